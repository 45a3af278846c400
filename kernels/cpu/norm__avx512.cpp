// Inference BatchNormalization over float32 NCHW planes with AVX-512: y = x * a[c] + b[c], one
// fused multiply-add per element. Defines nothing but its entry point (docs/ARCHITECTURE.md on ISA
// files).
#include <immintrin.h>

#include "kernels/cpu/norm.h"

namespace onnxi::kernels {

void batch_norm_planes_f32__avx512(const float* x, const float* a, const float* b, int64_t plane_begin,
                                   int64_t plane_end, int64_t channels, int64_t spatial, float* y) {
  const __mmask16 tail = static_cast<__mmask16>((1u << (spatial % 16)) - 1);
  const int64_t body = spatial - spatial % 16;
  for (int64_t plane = plane_begin; plane < plane_end; ++plane) {
    const int64_t c = plane % channels;
    const __m512 va = _mm512_set1_ps(a[c]), vb = _mm512_set1_ps(b[c]);
    const float* xp = x + plane * spatial;
    float* yp = y + plane * spatial;
    int64_t i = 0;
    for (; i + 64 <= body; i += 64) {
      _mm512_storeu_ps(yp + i, _mm512_fmadd_ps(_mm512_loadu_ps(xp + i), va, vb));
      _mm512_storeu_ps(yp + i + 16, _mm512_fmadd_ps(_mm512_loadu_ps(xp + i + 16), va, vb));
      _mm512_storeu_ps(yp + i + 32, _mm512_fmadd_ps(_mm512_loadu_ps(xp + i + 32), va, vb));
      _mm512_storeu_ps(yp + i + 48, _mm512_fmadd_ps(_mm512_loadu_ps(xp + i + 48), va, vb));
    }
    for (; i < body; i += 16) _mm512_storeu_ps(yp + i, _mm512_fmadd_ps(_mm512_loadu_ps(xp + i), va, vb));
    if (tail) _mm512_mask_storeu_ps(yp + body, tail, _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, xp + body), va, vb));
  }
}

}  // namespace onnxi::kernels
