// AVX2 row normalization (kernels/cpu/layer_norm.h): 8 lanes, 4 accumulators per sum, only the
// last partial vector through vmaskmov loads and stores (masked-off lanes read as 0 and are never
// written; vmaskmov stores are microcoded and slow on AMD, so nothing else uses them).
#include <immintrin.h>

#include "kernels/cpu/layer_norm.h"

namespace onnxi::kernels {
namespace {

alignas(32) constexpr int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// Lanes [0, left) set, left <= 8.
inline __m256i tail_mask8(int64_t left) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - (left < 8 ? left : 8)));
}

inline float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 h = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
}

}  // namespace

void norm_row_f32__avx2(const float* x, float* y, int64_t cols, const float* skip, const LayerNormParams& p,
                        bool simplified, float* sum, float* mean_out, float* inv_out) {
  const float* bias = p.bias;
  const bool adds = skip || bias;
  auto load_s = [&](int64_t i) {
    __m256 v = _mm256_loadu_ps(x + i);
    if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + i));
    if (skip) v = _mm256_add_ps(v, _mm256_loadu_ps(skip + i));
    return v;
  };
  auto load_s_tail = [&](int64_t i, __m256i m) {
    __m256 v = _mm256_maskload_ps(x + i, m);
    if (bias) v = _mm256_add_ps(v, _mm256_maskload_ps(bias + i, m));
    if (skip) v = _mm256_add_ps(v, _mm256_maskload_ps(skip + i, m));
    return v;
  };
  float* s_buf = sum ? sum : y;
  const float* src = adds ? s_buf : x;

  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  auto accumulate = [&](__m256& acc, __m256 v) {
    acc = simplified ? _mm256_fmadd_ps(v, v, acc) : _mm256_add_ps(acc, v);
  };
  int64_t i = 0;
  for (; i + 32 <= cols; i += 32) {
    __m256 v[4];
    for (int k = 0; k < 4; ++k) {
      v[k] = load_s(i + 8 * k);
      if (adds) _mm256_storeu_ps(s_buf + i + 8 * k, v[k]);
    }
    accumulate(a0, v[0]);
    accumulate(a1, v[1]);
    accumulate(a2, v[2]);
    accumulate(a3, v[3]);
  }
  for (; i + 8 <= cols; i += 8) {
    const __m256 v = load_s(i);
    if (adds) _mm256_storeu_ps(s_buf + i, v);
    accumulate(a0, v);
  }
  if (i < cols) {
    const __m256i m = tail_mask8(cols - i);
    const __m256 v = load_s_tail(i, m);
    if (adds) _mm256_maskstore_ps(s_buf + i, m, v);
    accumulate(a1, v);
  }
  const float n = static_cast<float>(cols);
  const float total = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  float mean = 0.f, mean_lo = 0.f, inv = 0.f;
  if (simplified) {
    inv = 1.f / __builtin_sqrtf(total / n + p.epsilon);
  } else {
    // Deviations from the float mean: their sum corrects it (kept as a second float), their
    // squares give the variance (see layer_norm__avx512.cpp).
    mean = total / n;
    const __m256 vm = _mm256_set1_ps(mean);
    a0 = _mm256_setzero_ps(), a1 = a0;
    __m256 c0 = _mm256_setzero_ps(), c1 = c0;
    for (i = 0; i + 16 <= cols; i += 16) {
      const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(src + i), vm);
      const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(src + i + 8), vm);
      c0 = _mm256_add_ps(c0, d0);
      c1 = _mm256_add_ps(c1, d1);
      a0 = _mm256_fmadd_ps(d0, d0, a0);
      a1 = _mm256_fmadd_ps(d1, d1, a1);
    }
    for (; i + 8 <= cols; i += 8) {
      const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(src + i), vm);
      c0 = _mm256_add_ps(c0, d);
      a0 = _mm256_fmadd_ps(d, d, a0);
    }
    if (i < cols) {
      const __m256i m = tail_mask8(cols - i);
      const __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(src + i, m), vm), _mm256_castsi256_ps(m));
      c1 = _mm256_add_ps(c1, d);
      a1 = _mm256_fmadd_ps(d, d, a1);
    }
    mean_lo = hsum(_mm256_add_ps(c0, c1)) / n;
    const float var = hsum(_mm256_add_ps(a0, a1)) / n - mean_lo * mean_lo;
    inv = 1.f / __builtin_sqrtf((var < 0.f ? 0.f : var) + p.epsilon);
  }

  // Plain loads and stores but for the tail: vmaskmov stores are microcoded and slow on AMD.
  const __m256 vm = _mm256_set1_ps(mean), vlo = _mm256_set1_ps(mean_lo), vi = _mm256_set1_ps(inv);
  auto finish = [&](__m256 s, __m256 g, __m256 b) {
    __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_sub_ps(s, vm), vlo), vi);
    if (p.gamma) t = _mm256_mul_ps(t, g);
    if (p.beta) t = _mm256_add_ps(t, b);
    return t;
  };
  const __m256 zero = _mm256_setzero_ps();
  for (i = 0; i + 8 <= cols; i += 8) {
    const __m256 g = p.gamma ? _mm256_loadu_ps(p.gamma + i) : zero, b = p.beta ? _mm256_loadu_ps(p.beta + i) : zero;
    _mm256_storeu_ps(y + i, finish(_mm256_loadu_ps(src + i), g, b));
  }
  if (i < cols) {
    const __m256i m = tail_mask8(cols - i);
    const __m256 g = p.gamma ? _mm256_maskload_ps(p.gamma + i, m) : zero;
    const __m256 b = p.beta ? _mm256_maskload_ps(p.beta + i, m) : zero;
    _mm256_maskstore_ps(y + i, m, finish(_mm256_maskload_ps(src + i, m), g, b));
  }
  if (mean_out) *mean_out = mean + mean_lo;
  if (inv_out) *inv_out = inv;
}

}  // namespace onnxi::kernels
