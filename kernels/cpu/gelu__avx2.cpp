// AVX2 GELU, both forms (kernels/cpu/gelu.h), for CPUs without AVX-512, where the portable loop
// would otherwise call std::erf / std::tanh per element.
//
// exp: 2^n * e^r with n = round(x log2 e), r = x - n ln 2 (ln 2 in two parts), e^r by its degree-7
// Taylor polynomial, 2^n built in the exponent bits; x is clamped to [-87.3, 88.3] so n stays a
// normal exponent: results saturate near 1e-38 and 2e38 instead of reaching 0 or inf, which the
// GELU formulas below absorb (1 - tiny = 1, x / huge = tiny).
// erf: below |x| = 0.5 the odd Taylor series to x^15; above, 1 - erfc(|x|) with the classic
// Chebyshev fit erfc(z) = t exp(-z^2 - 1.26551223 + t P(t)), t = 1 / (1 + z / 2) (relative error
// below 1.2e-7), sign restored; the same formula as the AVX-512 erf.
// Measured in tests/unit/test_layer_norm_kernels.cpp against the double formulas.
#include <immintrin.h>

#include "kernels/cpu/gelu.h"
#include "kernels/cpu/vec_math__avx2.h"

namespace onnxi::kernels {
namespace {


inline __m256 erf8(__m256 x) {
  const __m256 sign_bit = _mm256_set1_ps(-0.f);
  const __m256 sign = _mm256_and_ps(x, sign_bit);
  const __m256 z = _mm256_min_ps(_mm256_set1_ps(10.f), _mm256_andnot_ps(sign_bit, x));  // |x|, NaN kept
  const __m256 z2 = _mm256_mul_ps(z, z);
  __m256 s = _mm256_set1_ps(-1.f / 75600.f);
  s = _mm256_fmadd_ps(s, z2, _mm256_set1_ps(1.f / 9360.f));
  s = _mm256_fmadd_ps(s, z2, _mm256_set1_ps(-1.f / 1320.f));
  s = _mm256_fmadd_ps(s, z2, _mm256_set1_ps(1.f / 216.f));
  s = _mm256_fmadd_ps(s, z2, _mm256_set1_ps(-1.f / 42.f));
  s = _mm256_fmadd_ps(s, z2, _mm256_set1_ps(1.f / 10.f));
  s = _mm256_fmadd_ps(s, z2, _mm256_set1_ps(-1.f / 3.f));
  s = _mm256_fmadd_ps(s, z2, _mm256_set1_ps(1.f));
  const __m256 small = _mm256_mul_ps(_mm256_mul_ps(s, z), _mm256_set1_ps(1.12837916709551257f));
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_fmadd_ps(z, _mm256_set1_ps(0.5f), _mm256_set1_ps(1.f)));
  __m256 p = _mm256_set1_ps(0.17087277f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.82215223f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.48851587f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.13520398f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.27886807f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.18628806f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.09678418f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.37409196f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.00002368f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.26551223f));
  const __m256 large = _mm256_sub_ps(_mm256_set1_ps(1.f), _mm256_mul_ps(t, exp8(_mm256_sub_ps(p, z2))));
  const __m256 is_small = _mm256_cmp_ps(z, _mm256_set1_ps(0.5f), _CMP_LT_OQ);
  return _mm256_or_ps(_mm256_blendv_ps(large, small, is_small), sign);  // NaN: large is NaN too
}

alignas(32) constexpr int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// f over x[0, n) in 8-lane steps, the last partial vector through vmaskmov.
template <class F>
inline void map8(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - (n - i)));
    _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(x + i, m)));
  }
}

}  // namespace

void gelu_f32__avx2(const float* x, float* y, int64_t n) {
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.f), inv_sqrt2 = _mm256_set1_ps(0.70710678118654752f);
  map8(x, y, n, [&](__m256 v) {
    return _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, erf8(_mm256_mul_ps(v, inv_sqrt2))));
  });
}

void gelu_tanh_f32__avx2(const float* x, float* y, int64_t n) {
  const __m256 minus_2k = _mm256_set1_ps(-2.f * 0.79788456080286535588f), c = _mm256_set1_ps(0.044715f);
  const __m256 one = _mm256_set1_ps(1.f);
  const __m256 exp_max = _mm256_set1_ps(88.3f), zero = _mm256_setzero_ps();
  map8(x, y, n, [&](__m256 v) {
    const __m256 inner = _mm256_fmadd_ps(_mm256_mul_ps(c, v), _mm256_mul_ps(v, v), v);
    const __m256 arg = _mm256_mul_ps(minus_2k, inner);
    const __m256 r = _mm256_div_ps(v, _mm256_add_ps(one, exp8(arg)));
    // Where exp would overflow the result is x * 0: -0, or NaN for -inf, as the portable formula.
    return _mm256_blendv_ps(r, _mm256_mul_ps(v, zero), _mm256_cmp_ps(arg, exp_max, _CMP_GT_OQ));
  });
}

}  // namespace onnxi::kernels
