// AVX-512 exp and the attention softmax row. Defines nothing but its entry points (see
// docs/ARCHITECTURE.md on ISA files).
//
// exp(x) = 2^n * e^r with n = round(x * log2(e)) and r = x - n * ln(2) (ln 2 split in two parts so
// r is exact to float precision), e^r by its Taylor polynomial of degree 7 on |r| <= ln(2)/2, and
// 2^n applied with vscalefps, which also gives the right overflow (inf), underflow and denormal
// results. Inputs are clamped to [-104, 89] (beyond it the result is 0 or inf anyway) in an
// order that keeps NaN. Measured against std::exp over [-87, 88] (tests/unit/test_softmax_kernels.cpp):
// at most 1 ulp (the test allows 2).
#include <immintrin.h>

#include "kernels/cpu/softmax.h"

namespace onnxi::kernels {
namespace {

inline __m512 exp_ps(__m512 x) {
  const __m512 lo = _mm512_set1_ps(-104.f), hi = _mm512_set1_ps(89.f);
  x = _mm512_min_ps(hi, _mm512_max_ps(lo, x));  // second operand on NaN: x stays NaN
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

inline __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
}

}  // namespace

void exp_f32__avx512(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, exp_ps(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

namespace {

// y = exp(x - max) / sum over one row (y may be x). `masked`: an all -inf row gives zeros (the
// attention rule) instead of the formula's NaN.
inline void softmax_row(const float* x, float* y, int64_t n, bool masked) {
  if (n <= 0) return;
  const __m512 neg_inf = _mm512_set1_ps(-__builtin_inff());
  __m512 vmax = neg_inf;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    // max(v, acc): a NaN score is skipped here, as the portable rows skip it; the exp pass then
    // turns it into NaN and the whole row becomes NaN in both.
    vmax = _mm512_max_ps(_mm512_mask_loadu_ps(neg_inf, m, x + i), vmax);
  }
  float max_value = _mm512_reduce_max_ps(vmax);
  if (masked && max_value == -__builtin_inff()) max_value = 0.f;
  const __m512 vmax_b = _mm512_set1_ps(max_value);
  __m512d sum_lo = _mm512_setzero_pd(), sum_hi = _mm512_setzero_pd();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 e = _mm512_maskz_mov_ps(m, exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vmax_b)));
    _mm512_mask_storeu_ps(y + i, m, e);
    sum_lo = _mm512_add_pd(sum_lo, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
    sum_hi = _mm512_add_pd(sum_hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
  }
  const double sum = _mm512_reduce_add_pd(_mm512_add_pd(sum_lo, sum_hi));
  const __m512 scale = _mm512_set1_ps(static_cast<float>(masked && sum == 0 ? 1.0 : 1.0 / sum));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + i), scale));
  }
}

}  // namespace

void softmax_row_masked_f32__avx512(float* row, int64_t n) { softmax_row(row, row, n, /*masked=*/true); }

void softmax_rows_f32__avx512(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) softmax_row(x + r * n, y + r * n, n, /*masked=*/false);
}

}  // namespace onnxi::kernels
