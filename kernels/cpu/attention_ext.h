// Numeric loops of the attention-extension ops (ops/attention/): the linear-attention recurrence,
// the stateful causal depthwise convolution, the SwiGLU gate and the grouped-head matrix products
// of FlexAttention. Dense row-major buffers; the caller checked shapes.
//
// Narrow float storage (float16, bfloat16) is handled by the caller widening to float32 and
// passing a RoundFn: the kernel calls it wherever the reference rounds an intermediate result to
// the storage type, so results match it to the last bit in most cases. RoundFn is the identity
// (nullptr) for float32 itself.
#pragma once

#include <cstdint>

namespace onnxi::kernels {

// Rounds a float32 value to the storage precision and back; nullptr means no rounding.
using RoundFn = float (*)(float);

// ---- CausalConvWithState -------------------------------------------------------------------------

struct CausalConvParams {
  int64_t batch = 0;
  int64_t channels = 0;
  int64_t length = 0;  // L: positions of the input
  int64_t kernel = 1;  // k >= 1: taps per channel
  bool silu = false;   // fused y = z * sigmoid(z)
};

// The input is taken left-padded with `past` (or zeros when null) to length L + k - 1:
//   y[b, c, t]       = act(sum_j w[c, j] * padded[b, c, t + j] + bias[c])
//   present[b, c, i] = padded[b, c, L + i],  i < k - 1
// x: [B, C, L], w: [C, k], bias: [C] or null, past: [B, C, k - 1] or null.
// Rounding follows the reference: the tap sum, the bias add and the activation each round.
void causal_conv_with_state_f32(const CausalConvParams& p, const float* x, const float* w, const float* bias,
                                const float* past, float* y, float* present, RoundFn round);

// ---- LinearAttention -----------------------------------------------------------------------------

enum class LinearAttentionRule { Linear, Gated, Delta, GatedDelta };

struct LinearAttentionParams {
  int64_t batch = 0;
  int64_t steps = 0;           // T: tokens
  int64_t q_heads = 0;         // H_q, a multiple of kv_heads
  int64_t kv_heads = 0;        // H_kv
  int64_t key_dim = 0;         // d_k
  int64_t value_dim = 0;       // d_v
  bool decay_per_key = false;  // decay holds H_kv * d_k values per token (else H_kv)
  int64_t beta_heads = 1;      // beta holds H_kv or 1 values per token
  double scale = 1.0;
  LinearAttentionRule rule = LinearAttentionRule::GatedDelta;
};

// Runs the recurrence token by token for every (batch, kv head):
//   gated:  S *= exp(g_t)                      (per key row, or one factor per head)
//   delta:  v_t <- beta_t * (v_t - S^T k_t)
//   always: S += k_t (outer) v_t;  o_t = scale * q_t^T S   for each query head of the group
// q: [B, T, H_q * d_k], k: [B, T, H_kv * d_k], v: [B, T, H_kv * d_v]; decay/beta per the params
// (null when the rule does not use them). state: [B, H_kv, d_k, d_v], read as the past state and
// left holding the present one. out: [B, T, H_q * d_v].
void linear_attention_f32(const LinearAttentionParams& p, const float* q, const float* k, const float* v,
                          const float* decay, const float* beta, float* state, float* out);

// ---- SwiGLU ---------------------------------------------------------------------------------------

// y = a * sigmoid(alpha * a) * b. Narrow inputs are computed in float32 and rounded once at the
// end, as the node-test generator computes its float16 case.
void swiglu_f32(const float* a, const float* b, float* y, int64_t n, float alpha);
void swiglu_f64(const double* a, const double* b, double* y, int64_t n, double alpha);

// ---- grouped-head products (FlexAttention) --------------------------------------------------------

struct GroupedHeads {
  int64_t batch = 0;
  int64_t q_heads = 0;  // query head h reads kv head h / (q_heads / kv_heads)
  int64_t kv_heads = 0;
  int64_t q_len = 0;     // L
  int64_t kv_len = 0;    // S
  int64_t head_dim = 0;  // E: Q and K
  int64_t v_dim = 0;     // Ev: V
};

// scores[b, h] = q[b, h] * k[b, kvh]^T: q [B, Hq, L, E], k [B, Hkv, S, E], scores [B, Hq, L, S].
template <class T>
void grouped_qk(const GroupedHeads& g, const T* q, const T* k, T* scores);
// out[b, h] = probs[b, h] * v[b, kvh]: probs [B, Hq, L, S], v [B, Hkv, S, Ev], out [B, Hq, L, Ev].
template <class T>
void grouped_pv(const GroupedHeads& g, const T* probs, const T* v, T* out);

// Softmax over `rows` contiguous rows of n values for a narrow softmax type: x - max, its exp, the
// row sum and the quotient are each rounded, as numpy computes it in float16. A row of all -inf
// gives NaN, as the formula does.
void softmax_rows_f32(const float* x, float* y, int64_t rows, int64_t n, RoundFn round);

// x[i] = round(x[i] * s) over n values.
void scale_f32(float* x, int64_t n, float s, RoundFn round);
void scale_f64(double* x, int64_t n, double s);

}  // namespace onnxi::kernels
