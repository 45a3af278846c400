// AVX-512 versions of the transcendental unary ops where the models spend time (Erf and Gelu in
// BERT's GELU, Exp). Defines nothing but its entry points (docs/ARCHITECTURE.md on ISA files).
//
// erf: below |x| = 0.5 the odd Taylor series to x^15 (error under 1e-9 relative there); above it
// 1 - erfc(|x|) with erfc(z) = t * exp(-z^2 - 1.26551223 + t * P(t)), t = 1 / (1 + z / 2), the
// classic Chebyshev fit with relative error below 1.2e-7, sign restored; |x| >= 10 gives +-1.
// Measured against std::erf (tests/unit/test_elementwise_avx512.cpp): at most 2 ulp, 1.2e-7 absolute,
// over [-6, 6].
// exp: vec_math__avx512.h.
// sigmoid: 1 / (1 + exp(-x)) (exp overflowing to inf gives 0, as the formula does).
// tanh: tanh_ps of vec_math__avx512.h.
// Their errors against the C library are measured in tests/unit/test_elementwise_avx512.cpp.
#include <immintrin.h>

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/vec_math__avx512.h"

namespace onnxi::kernels {
namespace {

inline __m512 erf_ps(__m512 x) {
  const __m512 sign_bit = _mm512_set1_ps(-0.f);
  const __m512 sign = _mm512_and_ps(x, sign_bit);
  const __m512 z = _mm512_min_ps(_mm512_set1_ps(10.f), _mm512_andnot_ps(sign_bit, x));  // |x|, NaN kept
  // Small: 2/sqrt(pi) * x * (1 - x^2/3 + x^4/10 - x^6/42 + x^8/216 - x^10/1320 + x^12/9360 - x^14/75600)
  const __m512 z2 = _mm512_mul_ps(z, z);
  __m512 s = _mm512_set1_ps(-1.f / 75600.f);
  s = _mm512_fmadd_ps(s, z2, _mm512_set1_ps(1.f / 9360.f));
  s = _mm512_fmadd_ps(s, z2, _mm512_set1_ps(-1.f / 1320.f));
  s = _mm512_fmadd_ps(s, z2, _mm512_set1_ps(1.f / 216.f));
  s = _mm512_fmadd_ps(s, z2, _mm512_set1_ps(-1.f / 42.f));
  s = _mm512_fmadd_ps(s, z2, _mm512_set1_ps(1.f / 10.f));
  s = _mm512_fmadd_ps(s, z2, _mm512_set1_ps(-1.f / 3.f));
  s = _mm512_fmadd_ps(s, z2, _mm512_set1_ps(1.f));
  const __m512 small = _mm512_mul_ps(_mm512_mul_ps(s, z), _mm512_set1_ps(1.12837916709551257f));
  // Large: 1 - erfc(z).
  const __m512 t = _mm512_div_ps(_mm512_set1_ps(1.f), _mm512_fmadd_ps(z, _mm512_set1_ps(0.5f), _mm512_set1_ps(1.f)));
  __m512 p = _mm512_set1_ps(0.17087277f);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.82215223f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.48851587f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.13520398f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.27886807f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.18628806f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.09678418f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.37409196f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.00002368f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.26551223f));
  const __m512 erfc = _mm512_mul_ps(t, exp_ps(_mm512_sub_ps(p, z2)));
  const __m512 large = _mm512_sub_ps(_mm512_set1_ps(1.f), erfc);
  const __mmask16 is_small = _mm512_cmp_ps_mask(z, _mm512_set1_ps(0.5f), _CMP_LT_OQ);
  const __m512 r = _mm512_mask_blend_ps(is_small, large, small);  // NaN: large is NaN too
  return _mm512_or_ps(r, sign);
}

}  // namespace

void erf_f32__avx512(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, erf_ps(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

void gelu_f32__avx512(const float* x, float* y, int64_t n) {
  const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.f), inv_sqrt2 = _mm512_set1_ps(0.70710678118654752f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m512 e = erf_ps(_mm512_mul_ps(v, inv_sqrt2));
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, e)));
  }
}

void sigmoid_f32__avx512(const float* x, float* y, int64_t n) {
  const __m512 one = _mm512_set1_ps(1.f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), v));
    _mm512_mask_storeu_ps(y + i, m, _mm512_div_ps(one, _mm512_add_ps(one, e)));
  }
}

void tanh_f32__avx512(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, tanh_ps(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

void exp_elementwise_f32__avx512(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, exp_ps(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

}  // namespace onnxi::kernels
