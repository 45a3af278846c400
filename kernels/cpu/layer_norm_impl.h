// One row of LayerNorm / RMSNorm / SkipLayerNorm (kernels/cpu/layer_norm.h), written once over a
// vector traits type V (vec_math__avx512.h's Vec16, vec_math__avx2.h's Vec8) and instantiated by
// layer_norm__avx512.cpp and layer_norm__avx2.cpp; include it after one of those headers. Internal
// linkage, as docs/ARCHITECTURE.md asks of code shared between ISA files. Four accumulators per sum
// so the adds of a 768-wide row run in parallel; the partial last vector through the tail mask.
// __builtin_sqrtf, not std::sqrt: an out-of-line copy of an inline library function compiled with
// ISA flags could be the one the linker keeps for every caller.
#pragma once

#include <cstdint>

#include "kernels/cpu/layer_norm.h"

namespace onnxi::kernels {
namespace {

template <class V>
void norm_row_vec(const float* x, float* y, int64_t cols, const float* skip, const LayerNormParams& p,
                  bool simplified, float* sum, float* mean_out, float* inv_out) {
  using R = typename V::reg;
  constexpr int64_t w = V::width;
  const float* bias = p.bias;
  const bool adds = skip || bias;
  // s = (x + bias) + skip, in the order the unfused graph adds them.
  auto load_s = [&](int64_t i) {
    R v = V::load(x + i);
    if (bias) v = V::add(v, V::load(bias + i));
    if (skip) v = V::add(v, V::load(skip + i));
    return v;
  };
  auto load_s_tail = [&](int64_t i, typename V::tmask m) {
    R v = V::load_tail(x + i, m);
    if (bias) v = V::add(v, V::load_tail(bias + i, m));
    if (skip) v = V::add(v, V::load_tail(skip + i, m));
    return v;
  };
  // The sums are written where the later passes read them: the sum output, else y itself.
  float* s_buf = sum ? sum : y;
  const float* src = adds ? s_buf : x;

  // Pass 1: sum of s (of s^2 for RMS), storing s when it is computed.
  R a0 = V::zero(), a1 = a0, a2 = a0, a3 = a0;
  auto accumulate = [&](R& acc, R v) { acc = simplified ? V::fma(v, v, acc) : V::add(acc, v); };
  int64_t i = 0;
  for (; i + 4 * w <= cols; i += 4 * w) {
    R v[4];
    for (int k = 0; k < 4; ++k) {
      v[k] = load_s(i + w * k);
      if (adds) V::store(s_buf + i + w * k, v[k]);
    }
    accumulate(a0, v[0]);
    accumulate(a1, v[1]);
    accumulate(a2, v[2]);
    accumulate(a3, v[3]);
  }
  for (; i + w <= cols; i += w) {
    const R v = load_s(i);
    if (adds) V::store(s_buf + i, v);
    accumulate(a0, v);
  }
  if (i < cols) {
    const auto m = V::tail(cols - i);
    const R v = load_s_tail(i, m);
    if (adds) V::store_tail(s_buf + i, m, v);
    accumulate(a1, v);
  }
  const float n = static_cast<float>(cols);
  const float total = V::hsum(V::add(V::add(a0, a1), V::add(a2, a3)));
  float mean = 0.f, mean_lo = 0.f, inv = 0.f;
  if (simplified) {
    inv = 1.f / __builtin_sqrtf(total / n + p.epsilon);
  } else {
    // Pass 2: the deviations from the float mean m: their sum c corrects it (the mean is m + c / n,
    // kept as two floats since one float at |m| >> spread would round away digits of every
    // deviation) and their squares give the variance: sum(d^2) / n - (c / n)^2.
    mean = total / n;
    const R vm = V::set1(mean);
    a0 = V::zero(), a1 = a0;
    R c0 = V::zero(), c1 = c0;
    for (i = 0; i + 2 * w <= cols; i += 2 * w) {
      const R d0 = V::sub(V::load(src + i), vm);
      const R d1 = V::sub(V::load(src + i + w), vm);
      c0 = V::add(c0, d0);
      c1 = V::add(c1, d1);
      a0 = V::fma(d0, d0, a0);
      a1 = V::fma(d1, d1, a1);
    }
    for (; i + w <= cols; i += w) {
      const R d = V::sub(V::load(src + i), vm);
      c0 = V::add(c0, d);
      a0 = V::fma(d, d, a0);
    }
    if (i < cols) {
      const auto m = V::tail(cols - i);
      const R d = V::zero_outside(m, V::sub(V::load_tail(src + i, m), vm));
      c1 = V::add(c1, d);
      a1 = V::fma(d, d, a1);
    }
    mean_lo = V::hsum(V::add(c0, c1)) / n;
    const float var = V::hsum(V::add(a0, a1)) / n - mean_lo * mean_lo;
    inv = 1.f / __builtin_sqrtf((var < 0.f ? 0.f : var) + p.epsilon);
  }

  // Pass 3: y = (s - mean) * inv * gamma + beta.
  const R vm = V::set1(mean), vlo = V::set1(mean_lo), vi = V::set1(inv);
  auto finish = [&](R s, R g, R b) {
    R t = V::mul(V::sub(V::sub(s, vm), vlo), vi);
    if (p.gamma) t = V::mul(t, g);
    if (p.beta) t = V::add(t, b);
    return t;
  };
  const R zero = V::zero();
  for (i = 0; i + w <= cols; i += w) {
    const R g = p.gamma ? V::load(p.gamma + i) : zero, b = p.beta ? V::load(p.beta + i) : zero;
    V::store(y + i, finish(V::load(src + i), g, b));
  }
  if (i < cols) {
    const auto m = V::tail(cols - i);
    const R g = p.gamma ? V::load_tail(p.gamma + i, m) : zero, b = p.beta ? V::load_tail(p.beta + i, m) : zero;
    V::store_tail(y + i, m, finish(V::load_tail(src + i, m), g, b));
  }
  if (mean_out) *mean_out = mean + mean_lo;
  if (inv_out) *inv_out = inv;
}

}  // namespace
}  // namespace onnxi::kernels
