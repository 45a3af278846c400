// The blocked max pool's rows on AVX2 (this file gets -mavx2 -mfma): pool__avx512.cpp's loop with a
// 16-channel block as two ymm halves, the same tap order and NaN rule (vmaxps returns its second
// operand when either is NaN).
#include <immintrin.h>

#include "kernels/cpu/pool.h"

namespace onnxi::kernels {

void nchwc_max_pool_row__avx2(const NchwcMaxPoolRow& r) {
  for (int64_t ow = 0; ow < r.out_w; ++ow) {
    const int64_t w0 = ow * r.stride_w - r.pad_left, w_lo = r.w_range[2 * ow], w_hi = r.w_range[2 * ow + 1];
    float* out = r.y + ow * 16;
    if (w_lo >= w_hi) {
      const __m256 lowest = _mm256_set1_ps(-__FLT_MAX__);  // a window with no taps
      _mm256_storeu_ps(out, lowest);
      _mm256_storeu_ps(out + 8, lowest);
      continue;
    }
    const float* first = r.x + ((r.h0 + r.h_lo * r.dilation_h) * r.in_w + w0 + w_lo * r.dilation_w) * 16;
    __m256 lo = _mm256_loadu_ps(first), hi = _mm256_loadu_ps(first + 8);
    for (int64_t kh = r.h_lo; kh < r.h_hi; ++kh) {
      const float* row = r.x + ((r.h0 + kh * r.dilation_h) * r.in_w + w0) * 16;
      for (int64_t kw = w_lo; kw < w_hi; ++kw) {
        const float* q = row + kw * r.dilation_w * 16;
        lo = _mm256_max_ps(_mm256_loadu_ps(q), lo);
        hi = _mm256_max_ps(_mm256_loadu_ps(q + 8), hi);
      }
    }
    _mm256_storeu_ps(out, lo);
    _mm256_storeu_ps(out + 8, hi);
  }
}

}  // namespace onnxi::kernels
