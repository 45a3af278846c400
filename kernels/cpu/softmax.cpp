#include "kernels/cpu/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

enum class Mode { Softmax, LogSoftmax, Hardmax };

// One row: n values `inner` apart. The exponent sum accumulates in double so long rows of floats
// keep their precision.
template <class T>
void row_op(Mode mode, const T* x, T* y, int64_t n, int64_t inner) {
  T max_value = -std::numeric_limits<T>::infinity();
  int64_t arg_max = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T v = x[i * inner];
    if (v > max_value || (i == 0 && !(v <= max_value))) {
      max_value = v;
      arg_max = i;
    }
  }
  if (mode == Mode::Hardmax) {
    for (int64_t i = 0; i < n; ++i) y[i * inner] = i == arg_max ? T(1) : T(0);
    return;
  }
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T e = std::exp(x[i * inner] - max_value);
    if (mode == Mode::Softmax) y[i * inner] = e;
    sum += static_cast<double>(e);
  }
  if (mode == Mode::Softmax) {
    const T scale = static_cast<T>(1.0 / sum);
    for (int64_t i = 0; i < n; ++i) y[i * inner] *= scale;
  } else {
    const T shift = max_value + static_cast<T>(std::log(sum));
    for (int64_t i = 0; i < n; ++i) y[i * inner] = x[i * inner] - shift;
  }
}

template <class T>
void run(Mode mode, const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  const int64_t rows = outer * inner;
  const int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(1, n));
  parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t o = r / inner, i = r % inner;
      const int64_t base = o * n * inner + i;
      row_op(mode, x + base, y + base, n, inner);
    }
  });
}

template <class T>
void softmax_row_masked_portable(T* row, int64_t n) {
  T max_value = -std::numeric_limits<T>::infinity();
  for (int64_t i = 0; i < n; ++i) max_value = std::max(max_value, row[i]);
  if (std::isinf(max_value) && max_value < 0) max_value = T(0);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    row[i] = std::exp(row[i] - max_value);
    sum += static_cast<double>(row[i]);
  }
  const T scale = static_cast<T>(sum == 0 ? 1.0 : 1.0 / sum);
  for (int64_t i = 0; i < n; ++i) row[i] *= scale;
}

using RowsFn = void (*)(const float*, float*, int64_t, int64_t);
using MaskedRowFn = void (*)(float*, int64_t);

struct RowTable {
  RowsFn softmax, log_softmax;
  MaskedRowFn masked;
};

const RowTable& row_table() {
  static const RowTable table = [] {
    switch (active_isa()) {
      case Isa::Avx512:
        return RowTable{softmax_rows_f32__avx512, log_softmax_rows_f32__avx512, softmax_row_masked_f32__avx512};
      case Isa::Avx2: return RowTable{softmax_rows_f32__avx2, log_softmax_rows_f32__avx2, softmax_row_masked_f32__avx2};
      case Isa::Scalar: break;
    }
    return RowTable{nullptr, nullptr, softmax_row_masked_portable<float>};
  }();
  return table;
}

// Contiguous rows (inner == 1) through a vector row kernel, threaded over rows.
void run_rows(RowsFn fn, const float* x, float* y, int64_t rows, int64_t n) {
  parallel_for(0, rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, n)),
               [&](int64_t begin, int64_t end) { fn(x + begin * n, y + begin * n, end - begin, n); });
}

}  // namespace

template <class T>
void softmax(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  if constexpr (std::is_same_v<T, float>) {
    if (inner == 1 && row_table().softmax) return run_rows(row_table().softmax, x, y, outer, n);
  }
  run(Mode::Softmax, x, y, outer, n, inner);
}
template <class T>
void log_softmax(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  if constexpr (std::is_same_v<T, float>) {
    if (inner == 1 && row_table().log_softmax) return run_rows(row_table().log_softmax, x, y, outer, n);
  }
  run(Mode::LogSoftmax, x, y, outer, n, inner);
}
template <class T>
void hardmax(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  run(Mode::Hardmax, x, y, outer, n, inner);
}

template <class T>
void softmax_row_masked(T* row, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    return row_table().masked(row, n);
  } else {
    softmax_row_masked_portable(row, n);
  }
}

void softmax_rows_f32_reference(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) row_op(Mode::Softmax, x + r * n, y + r * n, n, 1);
}
void log_softmax_rows_f32_reference(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) row_op(Mode::LogSoftmax, x + r * n, y + r * n, n, 1);
}
void softmax_row_masked_f32_reference(float* row, int64_t n) { softmax_row_masked_portable(row, n); }

template void softmax<float>(const float*, float*, int64_t, int64_t, int64_t);
template void softmax<double>(const double*, double*, int64_t, int64_t, int64_t);
template void log_softmax<float>(const float*, float*, int64_t, int64_t, int64_t);
template void log_softmax<double>(const double*, double*, int64_t, int64_t, int64_t);
template void hardmax<float>(const float*, float*, int64_t, int64_t, int64_t);
template void hardmax<double>(const double*, double*, int64_t, int64_t, int64_t);
template void softmax_row_masked<float>(float*, int64_t);
template void softmax_row_masked<double>(double*, int64_t);

}  // namespace onnxi::kernels
