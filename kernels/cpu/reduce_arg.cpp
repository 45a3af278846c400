// ArgMax / ArgMin over the middle axis of an (outer, n, inner) view.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/reduce.h"
#include "onnxi/float_types.h"

namespace onnxi::kernels {
namespace {

template <class T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(x);
  } else {
    return false;
  }
}

// Whether x replaces the current best. NaN beats every number (numpy's argmax/argmin agree);
// with LastIndex an equal value (or a later NaN) takes over, else the first one stays.
template <class T, bool WantMax, bool LastIndex>
bool replaces(T x, T best) {
  if constexpr (LastIndex) {
    if (is_nan(x)) return true;
    return WantMax ? x >= best : x <= best;
  } else {
    if (is_nan(best)) return false;
    if (is_nan(x)) return true;
    return WantMax ? x > best : x < best;
  }
}

template <class T, bool WantMax, bool LastIndex>
void arg_reduce_as(const T* in, int64_t outer, int64_t n, int64_t inner, int64_t* out) {
  const int64_t grain = std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, n * inner));
  parallel_for(0, outer, grain, [&](int64_t begin, int64_t end) {
    std::vector<T> best(static_cast<size_t>(inner));
    for (int64_t o = begin; o < end; ++o) {
      const T* slab = in + o * n * inner;
      int64_t* idx = out + o * inner;
      std::copy(slab, slab + inner, best.begin());
      std::fill(idx, idx + inner, int64_t(0));
      for (int64_t r = 1; r < n; ++r) {
        const T* row = slab + r * inner;
        for (int64_t j = 0; j < inner; ++j) {
          if (replaces<T, WantMax, LastIndex>(row[j], best[j])) {
            best[j] = row[j];
            idx[j] = r;
          }
        }
      }
    }
  });
}

template <float (*Widen)(uint16_t) noexcept>
void arg_reduce_half(const uint16_t* in, int64_t outer, int64_t n, int64_t inner, bool want_max,
                     bool last_index, int64_t* out) {
  std::vector<float> wide(static_cast<size_t>(outer * n * inner));
  for (size_t i = 0; i < wide.size(); ++i) wide[i] = Widen(in[i]);
  arg_reduce<float>(wide.data(), outer, n, inner, want_max, last_index, out);
}

}  // namespace

template <class T>
void arg_reduce(const T* in, int64_t outer, int64_t n, int64_t inner, bool want_max, bool last_index,
                int64_t* out) {
  if (outer == 0 || inner == 0 || n <= 0) return;
  if (want_max) {
    if (last_index) return arg_reduce_as<T, true, true>(in, outer, n, inner, out);
    return arg_reduce_as<T, true, false>(in, outer, n, inner, out);
  }
  if (last_index) return arg_reduce_as<T, false, true>(in, outer, n, inner, out);
  return arg_reduce_as<T, false, false>(in, outer, n, inner, out);
}

#define ONNXI_ARG_REDUCE(T) \
  template void arg_reduce<T>(const T*, int64_t, int64_t, int64_t, bool, bool, int64_t*);
ONNXI_ARG_REDUCE(float)
ONNXI_ARG_REDUCE(double)
ONNXI_ARG_REDUCE(int8_t)
ONNXI_ARG_REDUCE(uint8_t)
ONNXI_ARG_REDUCE(int16_t)
ONNXI_ARG_REDUCE(uint16_t)
ONNXI_ARG_REDUCE(int32_t)
ONNXI_ARG_REDUCE(uint32_t)
ONNXI_ARG_REDUCE(int64_t)
ONNXI_ARG_REDUCE(uint64_t)
#undef ONNXI_ARG_REDUCE

void arg_reduce_f16(const uint16_t* in, int64_t outer, int64_t n, int64_t inner, bool want_max,
                    bool last_index, int64_t* out) {
  arg_reduce_half<f16_to_f32>(in, outer, n, inner, want_max, last_index, out);
}

void arg_reduce_bf16(const uint16_t* in, int64_t outer, int64_t n, int64_t inner, bool want_max,
                     bool last_index, int64_t* out) {
  arg_reduce_half<bf16_to_f32>(in, outer, n, inner, want_max, last_index, out);
}

}  // namespace onnxi::kernels
