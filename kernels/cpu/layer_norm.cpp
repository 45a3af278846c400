#include "kernels/cpu/layer_norm.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

using RowFn = void (*)(const float*, float*, int64_t, const float*, const LayerNormParams&, bool, float*, float*,
                       float*);

// The portable row: s in double, two-pass variance in double, one rounding to float at the end.
void norm_row_reference(const float* x, float* y, int64_t cols, const float* skip, const LayerNormParams& p,
                        bool simplified, float* sum, float* mean_out, float* inv_out) {
  auto s_at = [&](int64_t i) {
    double v = x[i];
    if (p.bias) v = static_cast<double>(static_cast<float>(v + p.bias[i]));
    if (skip) v = static_cast<double>(static_cast<float>(v + skip[i]));
    return v;
  };
  double total = 0;
  for (int64_t i = 0; i < cols; ++i) total += s_at(i);
  const double n = static_cast<double>(cols);
  const double mean = simplified ? 0.0 : total / n;
  double sq = 0;
  for (int64_t i = 0; i < cols; ++i) {
    const double d = s_at(i) - mean;
    sq += d * d;
  }
  const double inv = 1.0 / std::sqrt(sq / n + static_cast<double>(p.epsilon));
  for (int64_t i = 0; i < cols; ++i) {
    const double s = s_at(i);
    if (sum) sum[i] = static_cast<float>(s);
    double v = (s - mean) * inv;
    if (p.gamma) v *= p.gamma[i];
    if (p.beta) v += p.beta[i];
    y[i] = static_cast<float>(v);
  }
  if (mean_out) *mean_out = static_cast<float>(mean);
  if (inv_out) *inv_out = static_cast<float>(inv);
}

RowFn pick_row_fn() {
  switch (active_isa()) {
    case Isa::Avx512: return norm_row_f32__avx512;
    case Isa::Avx2: return norm_row_f32__avx2;
    default: return norm_row_reference;
  }
}

void run_rows(RowFn row, const float* x, float* y, int64_t rows, int64_t cols, const LayerNormParams& p,
              bool simplified) {
  if (rows <= 0 || cols <= 0) return;
  const int64_t grain = std::max<int64_t>(1, 16384 / cols);
  parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* skip = p.skip ? p.skip + (p.skip_rows > 0 ? r % p.skip_rows : r) * cols : nullptr;
      row(x + r * cols, y + r * cols, cols, skip, p, simplified, p.sum ? p.sum + r * cols : nullptr,
          p.mean && !simplified ? p.mean + r : nullptr, p.inv_std_dev ? p.inv_std_dev + r : nullptr);
    }
  });
}

}  // namespace

void layer_norm_rows_f32(const float* x, float* y, int64_t rows, int64_t cols, const LayerNormParams& p) {
  static const RowFn row = pick_row_fn();
  run_rows(row, x, y, rows, cols, p, false);
}

void rms_norm_rows_f32(const float* x, float* y, int64_t rows, int64_t cols, const LayerNormParams& p) {
  static const RowFn row = pick_row_fn();
  run_rows(row, x, y, rows, cols, p, true);
}

void layer_norm_rows_f32_reference(const float* x, float* y, int64_t rows, int64_t cols, const LayerNormParams& p) {
  run_rows(norm_row_reference, x, y, rows, cols, p, false);
}

void rms_norm_rows_f32_reference(const float* x, float* y, int64_t rows, int64_t cols, const LayerNormParams& p) {
  run_rows(norm_row_reference, x, y, rows, cols, p, true);
}

}  // namespace onnxi::kernels
