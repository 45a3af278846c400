// LinearAttention (opset 27): the recurrent linear-attention family (linear, gated/GLA, delta,
// gated delta) over 3-D packed inputs [B, T, H * D] with a 4-D recurrent state [B, H_kv, d_k, d_v].
// Query heads share KV heads in groups (GQA/MQA). The recurrence runs token by token in float32
// whatever the storage type, as the reference does; chunk_size is only a tuning hint for
// chunk-parallel implementations and does not change the result.
//
// Like the reference, an input the update rule does not use (decay for 'linear'/'delta', beta for
// 'linear'/'gated') is rejected rather than silently ignored.
#include <cmath>
#include <cstring>

#include "ops/attention/attention.h"
#include "ops/common.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::attention {
namespace {

enum Input : size_t { kQuery, kKey, kValue, kPastState, kDecay, kBeta };

struct LinearAttentionAttrs {
  int64_t q_heads = 0;
  int64_t kv_heads = 0;
  double scale = 0.0;  // 0: 1 / sqrt(d_k)
  kernels::LinearAttentionRule rule = kernels::LinearAttentionRule::GatedDelta;
};

bool uses_decay(kernels::LinearAttentionRule r) {
  return r == kernels::LinearAttentionRule::Gated || r == kernels::LinearAttentionRule::GatedDelta;
}
bool uses_beta(kernels::LinearAttentionRule r) {
  return r == kernels::LinearAttentionRule::Delta || r == kernels::LinearAttentionRule::GatedDelta;
}

bool node_has_input(const Node& n, size_t i) { return i < n.inputs.size() && !n.inputs[i].empty(); }

LinearAttentionAttrs read_attrs(const Node& n) {
  LinearAttentionAttrs a;
  ONNXI_CHECK(n.has_attr("q_num_heads") && n.has_attr("kv_num_heads"), ErrorCode::InvalidModel, n.label(),
              ": the attributes q_num_heads and kv_num_heads are required");
  a.q_heads = n.attr_int("q_num_heads", 0);
  a.kv_heads = n.attr_int("kv_num_heads", 0);
  ONNXI_CHECK(a.q_heads > 0 && a.kv_heads > 0 && a.q_heads % a.kv_heads == 0, ErrorCode::InvalidModel, n.label(),
              ": q_num_heads (", a.q_heads, ") must be a positive multiple of kv_num_heads (", a.kv_heads, ")");
  a.scale = n.attr_float("scale", 0.f);
  const std::string rule = n.attr_string("update_rule", "gated_delta");
  if (rule == "linear") {
    a.rule = kernels::LinearAttentionRule::Linear;
  } else if (rule == "gated") {
    a.rule = kernels::LinearAttentionRule::Gated;
  } else if (rule == "delta") {
    a.rule = kernels::LinearAttentionRule::Delta;
  } else if (rule == "gated_delta") {
    a.rule = kernels::LinearAttentionRule::GatedDelta;
  } else {
    throw Error(ErrorCode::InvalidModel,
                cat(n.label(), ": update_rule '", rule, "' is not one of 'linear', 'gated', 'delta', 'gated_delta'"));
  }
  ONNXI_CHECK(n.attr_int("chunk_size", 64) > 0, ErrorCode::InvalidModel, n.label(), ": chunk_size must be positive");
  const bool has_decay = node_has_input(n, kDecay), has_beta = node_has_input(n, kBeta);
  ONNXI_CHECK(has_decay == uses_decay(a.rule), ErrorCode::InvalidModel, n.label(), ": update_rule '", rule, "' ",
              uses_decay(a.rule) ? "requires the decay input (5th)" : "takes no decay input (5th); remove it");
  ONNXI_CHECK(has_beta == uses_beta(a.rule), ErrorCode::InvalidModel, n.label(), ": update_rule '", rule, "' ",
              uses_beta(a.rule) ? "requires the beta input (6th)" : "takes no beta input (6th); remove it");
  return a;
}

void infer_linear_attention(InferContext& ctx) {
  const TypeList types = float_types(false);
  const char* names[] = {"query", "key", "value", "past_state", "decay", "beta"};
  for (size_t i = 0; i < 6; ++i) check_input_type(ctx, i, names[i], types);
  for (size_t i : {kQuery, kKey, kValue, kDecay, kBeta}) check_input_rank(ctx, i, names[i], 3);
  check_input_rank(ctx, kPastState, "past_state", 4);
  const LinearAttentionAttrs a = read_attrs(ctx.node);
  const DataType elem = input_elem(ctx, kQuery);
  if (elem == DataType::Undefined) return;
  const DataType state_elem = ctx.has_input(kPastState) ? input_elem(ctx, kPastState) : elem;
  const TypeInfo& q = ctx.input(kQuery);
  const TypeInfo& v = ctx.input(kValue);
  if (!q.has_shape || !v.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    if (ctx.node.outputs.size() > 1) ctx.set_output(1, TypeInfo::tensor_unranked(state_elem));
    return;
  }
  if (q.dims[2].is_known() && q.dims[2].value % a.q_heads != 0) {
    ctx.fail(cat("query's last dim ", q.dims[2].value, " is not divisible by q_num_heads ", a.q_heads));
  }
  if (v.dims[2].is_known() && v.dims[2].value % a.kv_heads != 0) {
    ctx.fail(cat("value's last dim ", v.dims[2].value, " is not divisible by kv_num_heads ", a.kv_heads));
  }
  const Dim dk = dim_div(q.dims[2], a.q_heads), dv = dim_div(v.dims[2], a.kv_heads);
  ctx.set_output(0, TypeInfo::tensor(elem, {q.dims[0], q.dims[1], dim_mul(dv, a.q_heads)}));
  if (ctx.node.outputs.size() > 1) {
    ctx.set_output(1, TypeInfo::tensor(state_elem, {q.dims[0], Dim::known(a.kv_heads), dk, dv}));
  }
}

class LinearAttentionKernel final : public Kernel {
 public:
  explicit LinearAttentionKernel(LinearAttentionAttrs a) : a_(a) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& q = typed_input(ctx, kQuery, "query", float_types(false));
    if (q.rank() != 3) ctx.fail(cat("query must be 3-D [B, T, H_q * d_k], got ", q.describe()));
    const DataType dt = q.dtype();
    const Tensor& k = input_like(ctx, kKey, "key", dt, 3);
    const Tensor& v = input_like(ctx, kValue, "value", dt, 3);
    const int64_t B = q.dim(0), T = q.dim(1);
    if (q.dim(2) % a_.q_heads != 0) {
      ctx.fail(cat("query's last dim ", q.dim(2), " is not divisible by q_num_heads ", a_.q_heads));
    }
    kernels::LinearAttentionParams p;
    p.batch = B;
    p.steps = T;
    p.q_heads = a_.q_heads;
    p.kv_heads = a_.kv_heads;
    p.key_dim = q.dim(2) / a_.q_heads;
    p.rule = a_.rule;
    if (k.dim(0) != B || k.dim(1) != T || k.dim(2) != a_.kv_heads * p.key_dim) {
      ctx.fail(cat("key ", k.describe(), " must be [", B, ", ", T, ", ", a_.kv_heads * p.key_dim,
                   "] (kv_num_heads * d_k, d_k = ", p.key_dim, " from query)"));
    }
    if (v.dim(0) != B || v.dim(1) != T || v.dim(2) % a_.kv_heads != 0) {
      ctx.fail(cat("value ", v.describe(), " must be [", B, ", ", T, ", kv_num_heads * d_v]"));
    }
    p.value_dim = v.dim(2) / a_.kv_heads;
    const int64_t Hkv = a_.kv_heads, Dk = p.key_dim, Dv = p.value_dim;

    Tensor decay, beta;
    if (uses_decay(a_.rule)) {
      const Tensor& g = input_like(ctx, kDecay, "decay", dt, 3);
      if (g.dim(0) != B || g.dim(1) != T || (g.dim(2) != Hkv && g.dim(2) != Hkv * Dk)) {
        ctx.fail(cat("decay ", g.describe(), " must be [", B, ", ", T, ", ", Hkv, "] (per head) or [", B, ", ", T, ", ",
                     Hkv * Dk, "] (per key dim)"));
      }
      p.decay_per_key = g.dim(2) != Hkv;
      decay = nn::widen(g);
    }
    if (uses_beta(a_.rule)) {
      const Tensor& bt = input_like(ctx, kBeta, "beta", dt, 3);
      if (bt.dim(0) != B || bt.dim(1) != T || (bt.dim(2) != Hkv && bt.dim(2) != 1)) {
        ctx.fail(cat("beta ", bt.describe(), " must be [", B, ", ", T, ", ", Hkv, "] or [", B, ", ", T, ", 1]"));
      }
      p.beta_heads = bt.dim(2);
      beta = nn::widen(bt);
    }

    // The state is updated in place, so it is always a fresh buffer (never the caller's input).
    const Shape state_shape{B, Hkv, Dk, Dv};
    DataType state_dt = dt;
    Tensor state(DataType::Float, state_shape);
    if (ctx.has_input(kPastState)) {
      const Tensor& past = typed_input(ctx, kPastState, "past_state", float_types(false));
      if (past.shape() != state_shape) {
        ctx.fail(
            cat("past_state ", past.describe(), " must be [B, kv_num_heads, d_k, d_v] = ", shape_str(state_shape)));
      }
      state_dt = past.dtype();
      const Tensor wide = nn::widen(past);
      std::memcpy(state.raw(), wide.raw(), wide.nbytes());
    }
    p.scale = a_.scale != 0.0 ? a_.scale : 1.0 / std::sqrt(static_cast<double>(Dk));

    const Tensor qw = nn::widen(q), kw = nn::widen(k), vw = nn::widen(v);
    Tensor out(DataType::Float, {B, T, a_.q_heads * Dv});
    kernels::linear_attention_f32(
        p, qw.data<float>(), kw.data<float>(), vw.data<float>(), decay.defined() ? decay.data<float>() : nullptr,
        beta.defined() ? beta.data<float>() : nullptr, state.data<float>(), out.data<float>());
    ctx.set_output(0, nn::narrow(out, dt));
    if (ctx.num_outputs() > 1 && ctx.output_wanted(1)) ctx.set_output(1, nn::narrow(state, state_dt));
  }

 private:
  LinearAttentionAttrs a_;
};

}  // namespace

void register_linear_attention(Registry& r) {
  OpDef d;
  d.op_type = "LinearAttention";
  d.since_version = 27;
  d.types = "float, float16, bfloat16 (past_state may differ)";
  d.infer = infer_linear_attention;
  d.create = [](const KernelInit& init) { return std::make_unique<LinearAttentionKernel>(read_attrs(init.node)); };
  r.add(d);
}

}  // namespace onnxi::ops::attention
