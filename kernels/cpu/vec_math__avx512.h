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

// Lanes [0, left) of a 16-lane vector.
inline __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
}

}  // namespace
}  // namespace onnxi::kernels
