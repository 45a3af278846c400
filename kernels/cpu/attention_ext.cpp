#include "kernels/cpu/attention_ext.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

inline float rounded(RoundFn round, float v) { return round ? round(v) : v; }

}  // namespace

// ---- CausalConvWithState -------------------------------------------------------------------------

void causal_conv_with_state_f32(const CausalConvParams& p, const float* x, const float* w, const float* bias,
                                const float* past, float* y, float* present, RoundFn round) {
  const int64_t L = p.length, K = p.kernel, carry = p.kernel - 1;
  parallel_for(0, p.batch * p.channels, 4, [&](int64_t begin, int64_t end) {
    for (int64_t bc = begin; bc < end; ++bc) {
      const int64_t c = bc % p.channels;
      const float* xr = x + bc * L;
      const float* pr = past ? past + bc * carry : nullptr;
      const float* wr = w + c * K;
      // Position i of the padded sequence: the carry first, then the input.
      auto padded = [&](int64_t i) -> float { return i >= carry ? xr[i - carry] : (pr ? pr[i] : 0.f); };
      float* yr = y + bc * L;
      for (int64_t t = 0; t < L; ++t) {
        float acc = 0.f;
        for (int64_t j = 0; j < K; ++j) acc += wr[j] * padded(t + j);
        acc = rounded(round, acc);
        if (bias) acc = rounded(round, acc + bias[c]);
        if (p.silu) acc = rounded(round, acc * (1.f / (1.f + std::exp(-acc))));
        yr[t] = acc;
      }
      float* sr = present + bc * carry;
      for (int64_t i = 0; i < carry; ++i) sr[i] = padded(L + i);
    }
  });
}

// ---- LinearAttention -----------------------------------------------------------------------------

void linear_attention_f32(const LinearAttentionParams& p, const float* q, const float* k, const float* v,
                          const float* decay, const float* beta, float* state, float* out) {
  const int64_t Dk = p.key_dim, Dv = p.value_dim, Hq = p.q_heads, Hkv = p.kv_heads;
  const int64_t group = Hq / Hkv;
  const bool gated = p.rule == LinearAttentionRule::Gated || p.rule == LinearAttentionRule::GatedDelta;
  const bool delta = p.rule == LinearAttentionRule::Delta || p.rule == LinearAttentionRule::GatedDelta;
  const int64_t decay_width = p.decay_per_key ? Hkv * Dk : Hkv;
  parallel_for(0, p.batch * Hkv, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> vt(static_cast<size_t>(Dv));
    std::vector<float> factor(static_cast<size_t>(Dk));
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / Hkv, h = bh % Hkv;
      float* S = state + bh * Dk * Dv;  // [d_k, d_v]
      for (int64_t t = 0; t < p.steps; ++t) {
        const int64_t token = b * p.steps + t;
        const float* kt = k + token * Hkv * Dk + h * Dk;
        const float* vsrc = v + token * Hkv * Dv + h * Dv;
        for (int64_t m = 0; m < Dv; ++m) vt[m] = vsrc[m];
        if (gated) {
          const float* g = decay + token * decay_width + (p.decay_per_key ? h * Dk : h);
          for (int64_t d = 0; d < Dk; ++d) factor[d] = std::exp(p.decay_per_key ? g[d] : g[0]);
          for (int64_t d = 0; d < Dk; ++d) {
            for (int64_t m = 0; m < Dv; ++m) S[d * Dv + m] *= factor[d];
          }
        }
        if (delta) {
          const float bt = beta[token * p.beta_heads + (p.beta_heads == 1 ? 0 : h)];
          for (int64_t m = 0; m < Dv; ++m) {
            float retrieved = 0.f;
            for (int64_t d = 0; d < Dk; ++d) retrieved += S[d * Dv + m] * kt[d];
            vt[m] = bt * (vt[m] - retrieved);
          }
        }
        for (int64_t d = 0; d < Dk; ++d) {
          for (int64_t m = 0; m < Dv; ++m) S[d * Dv + m] += kt[d] * vt[m];
        }
        for (int64_t qh = h * group; qh < (h + 1) * group; ++qh) {
          const float* qt = q + token * Hq * Dk + qh * Dk;
          float* ot = out + token * Hq * Dv + qh * Dv;
          for (int64_t m = 0; m < Dv; ++m) {
            float acc = 0.f;
            for (int64_t d = 0; d < Dk; ++d) acc += qt[d] * S[d * Dv + m];
            ot[m] = static_cast<float>(p.scale * static_cast<double>(acc));
          }
        }
      }
    }
  });
}

// ---- SwiGLU ---------------------------------------------------------------------------------------

void swiglu_f32(const float* a, const float* b, float* y, int64_t n, float alpha) {
  parallel_for(0, n, 16384, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = a[i] * (1.f / (1.f + std::exp(-alpha * a[i]))) * b[i];
  });
}

void swiglu_f64(const double* a, const double* b, double* y, int64_t n, double alpha) {
  parallel_for(0, n, 16384, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = a[i] * (1.0 / (1.0 + std::exp(-alpha * a[i]))) * b[i];
  });
}

// ---- grouped-head products ------------------------------------------------------------------------

template <class T>
void grouped_qk(const GroupedHeads& g, const T* q, const T* k, T* scores) {
  const int64_t group = g.q_heads / g.kv_heads;
  parallel_for(0, g.batch * g.q_heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / g.q_heads, kvh = (bh % g.q_heads) / group;
      const T* kh = k + (b * g.kv_heads + kvh) * g.kv_len * g.head_dim;
      gemm(false, true, g.q_len, g.kv_len, g.head_dim, T(1), q + bh * g.q_len * g.head_dim, g.head_dim, kh, g.head_dim,
           T(0), scores + bh * g.q_len * g.kv_len, g.kv_len);
    }
  });
}

template <class T>
void grouped_pv(const GroupedHeads& g, const T* probs, const T* v, T* out) {
  const int64_t group = g.q_heads / g.kv_heads;
  parallel_for(0, g.batch * g.q_heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / g.q_heads, kvh = (bh % g.q_heads) / group;
      const T* vh = v + (b * g.kv_heads + kvh) * g.kv_len * g.v_dim;
      gemm(false, false, g.q_len, g.v_dim, g.kv_len, T(1), probs + bh * g.q_len * g.kv_len, g.kv_len, vh, g.v_dim, T(0),
           out + bh * g.q_len * g.v_dim, g.v_dim);
    }
  });
}

template void grouped_qk<float>(const GroupedHeads&, const float*, const float*, float*);
template void grouped_qk<double>(const GroupedHeads&, const double*, const double*, double*);
template void grouped_pv<float>(const GroupedHeads&, const float*, const float*, float*);
template void grouped_pv<double>(const GroupedHeads&, const double*, const double*, double*);

void softmax_rows_f32(const float* x, float* y, int64_t rows, int64_t n, RoundFn round) {
  parallel_for(0, rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, n)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* xr = x + r * n;
      float* yr = y + r * n;
      float max_value = -std::numeric_limits<float>::infinity();
      for (int64_t i = 0; i < n; ++i) max_value = std::max(max_value, xr[i]);
      float sum = 0.f;
      for (int64_t i = 0; i < n; ++i) {
        yr[i] = rounded(round, std::exp(rounded(round, xr[i] - max_value)));
        sum += yr[i];
      }
      sum = rounded(round, sum);
      for (int64_t i = 0; i < n; ++i) yr[i] = rounded(round, yr[i] / sum);
    }
  });
}

void scale_f32(float* x, int64_t n, float s, RoundFn round) {
  for (int64_t i = 0; i < n; ++i) x[i] = rounded(round, x[i] * s);
}

void scale_f64(double* x, int64_t n, double s) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

}  // namespace onnxi::kernels
