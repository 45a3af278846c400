// Vector math shared by the AVX2 files (include it only from *__avx2.cpp: it needs their flags).
// Internal linkage on purpose, as docs/ARCHITECTURE.md asks of code shared between ISA files.
//
// exp8(x) = 2^n * e^r with n = round(x log2 e), r = x - n ln 2 (ln 2 in two parts), e^r by its
// degree-7 Taylor polynomial, 2^n built in the exponent bits (AVX2 has no vscalefps); x is clamped
// to [-87.3, 88.3] so n stays a normal exponent: results saturate near 1e-38 and 2e38 instead of
// reaching 0 or inf (callers that need 0 below the clamp mask it themselves). NaN stays NaN.
#pragma once

#include <immintrin.h>

namespace onnxi::kernels {
namespace {

inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(88.3f), _mm256_max_ps(_mm256_set1_ps(-87.3f), x));  // NaN is kept
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.f / 5040.f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 720.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 120.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 24.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 6.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

}  // namespace
}  // namespace onnxi::kernels
