// Vector math shared by the AVX-512 files (include it only from *__avx512.cpp: it needs their
// flags). Internal linkage on purpose, as docs/ARCHITECTURE.md asks of code shared between ISA files.
//
// exp(x) = 2^n * e^r with n = round(x * log2(e)) and r = x - n * ln(2) (ln 2 split in two parts so
// r is exact to float precision), e^r by its Taylor polynomial of degree 7 on |r| <= ln(2)/2, and
// 2^n applied with vscalefps, which also gives the right overflow (inf), underflow and denormal
// results. Inputs are clamped to [-104, 89] (beyond it the result is 0 or inf anyway) in an order
// that keeps NaN. Measured against std::exp over [-87, 88] (tests/unit/test_softmax_kernels.cpp):
// at most 1 ulp.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace onnxi::kernels {
namespace {

inline __m512 exp_ps(__m512 x) {
  x = _mm512_min_ps(_mm512_set1_ps(89.f), _mm512_max_ps(_mm512_set1_ps(-104.f), x));  // second operand on NaN
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.f / 5040.f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 720.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 120.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 24.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 6.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  return _mm512_scalef_ps(p, n);
}

// tanh: below |x| = 0.35 its odd Taylor series to x^13 (truncation under 1e-9 relative there, where
// 1 - 2 / (e^2x + 1) would cancel); above, sign(x) (1 - 2 / (exp(2|x|) + 1)), which saturates to
// +-1 for large |x| (exp -> inf gives 1). NaN stays NaN, -0 stays -0. At most 2 ulp against double
// over [-20, 20] (tests/unit/test_elementwise_avx512.cpp).
inline __m512 tanh_ps(__m512 v) {
  const __m512 one = _mm512_set1_ps(1.f), two = _mm512_set1_ps(2.f);
  const __m512 sign_bit = _mm512_set1_ps(-0.f);
  const __m512 sign = _mm512_and_ps(v, sign_bit);
  const __m512 a = _mm512_andnot_ps(sign_bit, v);
  const __m512 e = exp_ps(_mm512_mul_ps(two, a));
  const __m512 big = _mm512_sub_ps(one, _mm512_div_ps(two, _mm512_add_ps(e, one)));
  const __m512 z = _mm512_mul_ps(a, a);
  __m512 p = _mm512_set1_ps(21844.f / 6081075.f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-1382.f / 155925.f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(62.f / 2835.f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-17.f / 315.f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.f / 15.f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-1.f / 3.f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), a, a);
  __m512 r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_set1_ps(0.35f), _CMP_LT_OQ), big, small);
  r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), r, v);  // NaN keeps its payload
  return _mm512_or_ps(r, sign);
}

// GELU, tanh form: 0.5 x (1 + tanh(u)) = x * sigmoid(2u) = x / (1 + exp(-2u)), u = sqrt(2/pi) (x +
// 0.044715 x^3). One exp and one division: for large positive x exp underflows to 0 and y = x; for
// large negative x it overflows to inf and y = -0, as the tanh form does; NaN stays NaN.
inline __m512 gelu_tanh_ps(__m512 x) {
  const __m512 inner = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(0.044715f), x), _mm512_mul_ps(x, x), x);
  const __m512 e = exp_ps(_mm512_mul_ps(_mm512_set1_ps(-2.f * 0.79788456080286535588f), inner));
  return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.f), e));
}

// Lanes [0, left) of a 16-lane vector.
inline __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
}

}  // namespace
}  // namespace onnxi::kernels
