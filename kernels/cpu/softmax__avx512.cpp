// AVX-512 exp and the softmax rows of Softmax and attention. Defines nothing but its entry points
// (docs/ARCHITECTURE.md on ISA files); exp_ps and its measured error: vec_math__avx512.h.
#include <immintrin.h>

#include "kernels/cpu/softmax.h"
#include "kernels/cpu/vec_math__avx512.h"

namespace onnxi::kernels {

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
