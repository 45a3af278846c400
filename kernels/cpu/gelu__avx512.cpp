// AVX-512 tanh-GELU (kernels/cpu/gelu.h). x / (1 + exp(-2z)) with z = sqrt(2/pi) (x + 0.044715 x^3):
// for large positive x exp underflows to 0 and y = x; for large negative x it overflows to inf and
// y = -0; NaN stays NaN. exp is the shared 1-ulp exp_ps (vec_math__avx512.h).
#include <immintrin.h>

#include "kernels/cpu/gelu.h"
#include "kernels/cpu/vec_math__avx512.h"

namespace onnxi::kernels {

void gelu_tanh_f32__avx512(const float* x, float* y, int64_t n) {
  const __m512 minus_2k = _mm512_set1_ps(-2.f * 0.79788456080286535588f), c = _mm512_set1_ps(0.044715f);
  const __m512 one = _mm512_set1_ps(1.f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m512 inner = _mm512_fmadd_ps(_mm512_mul_ps(c, v), _mm512_mul_ps(v, v), v);  // x + c x^3
    const __m512 e = exp_ps(_mm512_mul_ps(minus_2k, inner));
    _mm512_mask_storeu_ps(y + i, m, _mm512_div_ps(v, _mm512_add_ps(one, e)));
  }
}

}  // namespace onnxi::kernels
