// AVX-512 row normalization (kernels/cpu/layer_norm.h): 16 lanes, 4 accumulators per sum so the
// adds of a 768-wide row run in parallel, masked loads and stores for the tail. __builtin_sqrtf,
// not std::sqrt: an out-of-line copy of an inline library function compiled here could be the one
// the linker keeps for every caller.
#include <immintrin.h>

#include "kernels/cpu/layer_norm.h"
#include "kernels/cpu/vec_math__avx512.h"

namespace onnxi::kernels {
namespace {

// Sum of the 16 lanes. The maskz shuffles: GCC 12 warns on the undefined temporary inside
// _mm512_reduce_add_ps and the unmasked shuffle.
inline float hsum(__m512 v) {
  __m512 t = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  t = _mm512_add_ps(t, _mm512_maskz_shuffle_f32x4(0xffff, t, t, _MM_SHUFFLE(2, 3, 0, 1)));
  __m128 s = _mm512_maskz_extractf32x4_ps(0xf, t, 0);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

}  // namespace

void norm_row_f32__avx512(const float* x, float* y, int64_t cols, const float* skip, const LayerNormParams& p,
                          bool simplified, float* sum, float* mean_out, float* inv_out) {
  const float* bias = p.bias;
  const bool adds = skip || bias;
  // s = (x + bias) + skip, in the order the unfused graph adds them.
  auto load_s = [&](int64_t i, __mmask16 m) {
    __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + i));
    if (skip) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, skip + i));
    return v;
  };
  // The sums are written where the later passes read them: the sum output, else y itself.
  float* s_buf = sum ? sum : y;
  const float* src = adds ? s_buf : x;

  // Pass 1: sum of s (of s^2 for RMS), storing s when it is computed.
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  auto accumulate = [&](__m512& acc, __m512 v) {
    acc = simplified ? _mm512_fmadd_ps(v, v, acc) : _mm512_add_ps(acc, v);
  };
  int64_t i = 0;
  for (; i + 64 <= cols; i += 64) {
    __m512 v[4];
    for (int k = 0; k < 4; ++k) {
      v[k] = load_s(i + 16 * k, 0xffff);
      if (adds) _mm512_storeu_ps(s_buf + i + 16 * k, v[k]);
    }
    accumulate(a0, v[0]);
    accumulate(a1, v[1]);
    accumulate(a2, v[2]);
    accumulate(a3, v[3]);
  }
  for (; i < cols; i += 16) {
    const __mmask16 m = tail_mask(cols - i);
    const __m512 v = load_s(i, m);
    if (adds) _mm512_mask_storeu_ps(s_buf + i, m, v);
    accumulate(a0, v);
  }
  const float n = static_cast<float>(cols);
  const float total = hsum(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
  float mean = 0.f, mean_lo = 0.f, inv = 0.f;
  if (simplified) {
    inv = 1.f / __builtin_sqrtf(total / n + p.epsilon);
  } else {
    // Pass 2: the deviations from the float mean m: their sum c corrects it (the mean is m + c / n,
    // kept as two floats since one float at |m| >> spread would round away digits of every
    // deviation) and their squares give the variance: sum(d^2) / n - (c / n)^2.
    mean = total / n;
    const __m512 vm = _mm512_set1_ps(mean);
    a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m512 c0 = _mm512_setzero_ps(), c1 = c0;
    for (i = 0; i + 32 <= cols; i += 32) {
      const __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(src + i), vm);
      const __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(src + i + 16), vm);
      c0 = _mm512_add_ps(c0, d0);
      c1 = _mm512_add_ps(c1, d1);
      a0 = _mm512_fmadd_ps(d0, d0, a0);
      a1 = _mm512_fmadd_ps(d1, d1, a1);
    }
    for (; i < cols; i += 16) {
      const __mmask16 m = tail_mask(cols - i);
      const __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, src + i), vm);
      c0 = _mm512_add_ps(c0, d);
      a0 = _mm512_fmadd_ps(d, d, a0);
    }
    mean_lo = hsum(_mm512_add_ps(c0, c1)) / n;
    const float var = hsum(_mm512_add_ps(a0, a1)) / n - mean_lo * mean_lo;
    inv = 1.f / __builtin_sqrtf((var < 0.f ? 0.f : var) + p.epsilon);
  }

  // Pass 3: y = (s - mean) * inv * gamma + beta.
  const __m512 vm = _mm512_set1_ps(mean), vlo = _mm512_set1_ps(mean_lo), vi = _mm512_set1_ps(inv);
  for (i = 0; i < cols; i += 16) {
    const __mmask16 m = tail_mask(cols - i);
    __m512 t = _mm512_mul_ps(_mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, src + i), vm), vlo), vi);
    if (p.gamma) t = _mm512_mul_ps(t, _mm512_maskz_loadu_ps(m, p.gamma + i));
    if (p.beta) t = _mm512_add_ps(t, _mm512_maskz_loadu_ps(m, p.beta + i));
    _mm512_mask_storeu_ps(y + i, m, t);
  }
  if (mean_out) *mean_out = mean + mean_lo;
  if (inv_out) *inv_out = inv;
}

}  // namespace onnxi::kernels
