// The blocked max pool's rows on AVX-512 (this file gets -mavx512f): one zmm per output pixel, the
// maximum taken over the window's taps in the order of the portable loop (pool.cpp), so NaN
// handling is the same (a NaN first tap wins, a later one is ignored: vmaxps returns its second
// operand when either is NaN).
#include <immintrin.h>

#include "kernels/cpu/pool.h"

namespace onnxi::kernels {

void nchwc_max_pool_row__avx512(const NchwcMaxPoolRow& r) {
  for (int64_t ow = 0; ow < r.out_w; ++ow) {
    const int64_t w0 = ow * r.stride_w - r.pad_left, w_lo = r.w_range[2 * ow], w_hi = r.w_range[2 * ow + 1];
    float* out = r.y + ow * 16;
    if (w_lo >= w_hi) {
      _mm512_storeu_ps(out, _mm512_set1_ps(-__FLT_MAX__));  // lowest(): a window with no taps
      continue;
    }
    const float* first = r.x + ((r.h0 + r.h_lo * r.dilation_h) * r.in_w + w0 + w_lo * r.dilation_w) * 16;
    __m512 best = _mm512_loadu_ps(first);
    for (int64_t kh = r.h_lo; kh < r.h_hi; ++kh) {
      const float* row = r.x + ((r.h0 + kh * r.dilation_h) * r.in_w + w0) * 16;
      for (int64_t kw = w_lo; kw < w_hi; ++kw) {
        best = _mm512_max_ps(_mm512_loadu_ps(row + kw * r.dilation_w * 16), best);
      }
    }
    _mm512_storeu_ps(out, best);
  }
}

}  // namespace onnxi::kernels
