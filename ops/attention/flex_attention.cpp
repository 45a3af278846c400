// FlexAttention (ai.onnx.preview, version 1): scaled dot-product attention over rank-4 heads with
// optional modifier subgraphs, PyTorch flex_attention style:
//   scores = (Q * sqrt(scale)) (K * sqrt(scale))^T     in the input type
//   scores = score_mod(scores)                         in softmax_precision
//   probs  = softmax(scores) ; probs = prob_mod(probs)
//   Y      = probs V                                   in softmax_precision, stored as the input type
// Query head h reads KV head h / (Hq / Hkv). Each modifier graph takes one tensor and returns one of
// the same shape and element type; it may read outer-scope values by name.
//
// Rounding follows the reference: Q and K are pre-scaled by sqrt(scale) (computed in float32) and
// the Q K^T product is rounded to the input type before it is widened to the softmax type. A row
// whose scores are all -inf gives NaN probabilities, as the softmax formula does.
#include <cmath>

#include "kernels/cpu/softmax.h"
#include "ops/attention/attention.h"
#include "ops/common.h"
#include "ops/nn/nn.h"
#include "runtime/exec/executor.h"  // CompiledGraph: the modifier subgraphs

namespace onnxi::ops::attention {
namespace {

struct FlexAttrs {
  bool has_scale = false;
  float scale = 1.f;
  DataType softmax_type = DataType::Undefined;  // Undefined: float32, or double for double inputs
};

FlexAttrs read_attrs(const Node& n) {
  FlexAttrs a;
  a.has_scale = n.has_attr("scale");
  a.scale = n.attr_float("scale", 1.f);
  if (n.has_attr("softmax_precision")) {
    const int64_t p = n.attr_int("softmax_precision", 1);
    // TensorProto element type codes.
    switch (p) {
      case 1: a.softmax_type = DataType::Float; break;
      case 10: a.softmax_type = DataType::Float16; break;
      case 16: a.softmax_type = DataType::BFloat16; break;
      case 11: a.softmax_type = DataType::Double; break;
      default:
        throw Error(ErrorCode::InvalidModel,
                    cat(n.label(), ": softmax_precision ", p,
                        " is not a float type code (1 float, 10 float16, 16 bfloat16, 11 double)"));
    }
  }
  return a;
}

DataType softmax_type(const FlexAttrs& a, DataType input) {
  if (a.softmax_type != DataType::Undefined) return a.softmax_type;
  return input == DataType::Double ? DataType::Double : DataType::Float;
}

// A modifier graph attribute, checked for one input and one output; null when absent.
std::shared_ptr<Graph> modifier(const Node& n, const char* attr) {
  std::shared_ptr<Graph> g = n.attr_graph(attr);
  if (!g) return g;
  ONNXI_CHECK(g->inputs.size() == 1 && g->outputs.size() == 1, ErrorCode::InvalidModel, n.label(), ": the ", attr,
              " graph '", g->name, "' has ", g->inputs.size(), " inputs and ", g->outputs.size(),
              " outputs; it must take exactly one tensor and return exactly one");
  return g;
}

void infer_flex_attention(InferContext& ctx) {
  const TypeList types = float_types(true);
  const char* names[] = {"Q", "K", "V"};
  for (size_t i = 0; i < 3; ++i) {
    check_input_type(ctx, i, names[i], types);
    check_input_rank(ctx, i, names[i], 4);
  }
  read_attrs(ctx.node);
  modifier(ctx.node, "score_mod");
  modifier(ctx.node, "prob_mod");
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& q = ctx.input(0);
  const TypeInfo& v = ctx.input(2);
  if (!q.has_shape || !v.is_tensor() || !v.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  ctx.set_output(0, TypeInfo::tensor(elem, {q.dims[0], q.dims[1], q.dims[2], v.dims[3]}));
}

class FlexAttentionKernel final : public Kernel {
 public:
  FlexAttentionKernel(FlexAttrs a, std::shared_ptr<const CompiledGraph> score_mod,
                      std::shared_ptr<const CompiledGraph> prob_mod)
      : a_(a), score_mod_(std::move(score_mod)), prob_mod_(std::move(prob_mod)) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& Q = typed_input(ctx, 0, "Q", float_types(true));
    if (Q.rank() != 4) ctx.fail(cat("Q must be rank 4 [B, Hq, L, E], got ", Q.describe()));
    const DataType dt = Q.dtype();
    const Tensor& K = input_like(ctx, 1, "K", dt, 4);
    const Tensor& V = input_like(ctx, 2, "V", dt, 4);
    kernels::GroupedHeads g;
    g.batch = Q.dim(0);
    g.q_heads = Q.dim(1);
    g.q_len = Q.dim(2);
    g.head_dim = Q.dim(3);
    g.kv_heads = K.dim(1);
    g.kv_len = K.dim(2);
    g.v_dim = V.dim(3);
    if (K.dim(0) != g.batch || K.dim(3) != g.head_dim) {
      ctx.fail(cat("K ", K.describe(), " must be [B, Hkv, S, E] with B and E of Q ", Q.describe()));
    }
    if (V.dim(0) != g.batch || V.dim(1) != g.kv_heads || V.dim(2) != g.kv_len) {
      ctx.fail(cat("V ", V.describe(), " must be [B, Hkv, S, Ev] with B, Hkv and S of K ", K.describe()));
    }
    if (g.kv_heads == 0 || g.q_heads % g.kv_heads != 0) {
      ctx.fail(cat("Q's head count ", g.q_heads, " must be a multiple of K's ", g.kv_heads));
    }
    if (g.kv_len == 0) ctx.fail("K and V have no key positions (S = 0): the softmax over keys is undefined");

    const DataType sd = softmax_type(a_, dt);
    Tensor scores = nn::convert_float(scaled_scores(Q, K, g), sd);
    if (score_mod_) scores = run_modifier(ctx, *score_mod_, scores, "score_mod");

    const DataType sc = nn::compute_type(sd);
    const Tensor wide_scores = nn::convert_float(scores, sc);
    Tensor probs(sc, scores.shape());
    const int64_t rows = g.batch * g.q_heads * g.q_len;
    if (const kernels::RoundFn round = round_fn(sd)) {
      kernels::softmax_rows_f32(wide_scores.data<float>(), probs.data<float>(), rows, g.kv_len, round);
    } else {
      nn::with_compute_type(sc, [&](auto tag) {
        using T = decltype(tag);
        kernels::softmax<T>(wide_scores.data<T>(), probs.data<T>(), rows, g.kv_len, 1);
      });
    }
    probs = nn::convert_float(probs, sd);
    if (prob_mod_) probs = run_modifier(ctx, *prob_mod_, probs, "prob_mod");

    // probs V in the softmax type, V rounded to it first.
    const Tensor pw = nn::convert_float(probs, sc);
    const Tensor vw = nn::convert_float(nn::convert_float(V, sd), sc);
    Tensor out(sc, {g.batch, g.q_heads, g.q_len, g.v_dim});
    nn::with_compute_type(sc, [&](auto tag) {
      using T = decltype(tag);
      kernels::grouped_pv<T>(g, pw.data<T>(), vw.data<T>(), out.data<T>());
    });
    ctx.set_output(0, nn::convert_float(nn::convert_float(out, sd), dt));
  }

 private:
  // (Q * r)(K * r)^T with r = sqrt(scale) in float32, in the input's compute type and rounded to
  // the input type at each step, as the reference computes it.
  Tensor scaled_scores(const Tensor& Q, const Tensor& K, const kernels::GroupedHeads& g) const {
    const double scale = a_.has_scale ? a_.scale : 1.0 / std::sqrt(static_cast<double>(g.head_dim));
    const float root = std::sqrt(static_cast<float>(scale));
    const Shape shape{g.batch, g.q_heads, g.q_len, g.kv_len};
    if (Q.dtype() == DataType::Double) {
      Tensor q = Q.clone(), k = K.clone(), s(DataType::Double, shape);
      kernels::scale_f64(q.data<double>(), q.numel(), root);
      kernels::scale_f64(k.data<double>(), k.numel(), root);
      kernels::grouped_qk<double>(g, q.data<double>(), k.data<double>(), s.data<double>());
      return s;
    }
    const kernels::RoundFn round = round_fn(Q.dtype());
    const float r = round ? round(root) : root;
    // widen() hands float32 tensors back as they are: copy them before scaling in place.
    Tensor q = Q.dtype() == DataType::Float ? Q.clone() : nn::widen(Q);
    Tensor k = K.dtype() == DataType::Float ? K.clone() : nn::widen(K);
    kernels::scale_f32(q.data<float>(), q.numel(), r, round);
    kernels::scale_f32(k.data<float>(), k.numel(), r, round);
    Tensor s(DataType::Float, shape);
    kernels::grouped_qk<float>(g, q.data<float>(), k.data<float>(), s.data<float>());
    // The product is stored in the input type before the softmax type takes over.
    return nn::narrow(s, Q.dtype());
  }

  static Tensor run_modifier(KernelContext& ctx, const CompiledGraph& graph, const Tensor& in, const char* what) {
    std::vector<Value> out = ctx.run_subgraph(graph, {Value(in)});
    if (out.size() != 1 || !out[0].is_tensor()) {
      ctx.fail(cat("the ", what, " graph must return one tensor, got ",
                   out.size() == 1 ? out[0].describe() : cat(out.size(), " values")));
    }
    const Tensor& t = out[0].tensor();
    if (t.dtype() != in.dtype() || t.shape() != in.shape()) {
      ctx.fail(cat("the ", what, " graph returned ", t.describe(), "; it must keep its input's type and shape ",
                   in.describe()));
    }
    return t;
  }

  FlexAttrs a_;
  std::shared_ptr<const CompiledGraph> score_mod_;
  std::shared_ptr<const CompiledGraph> prob_mod_;
};

std::unique_ptr<Kernel> create_flex_attention(const KernelInit& init) {
  const FlexAttrs a = read_attrs(init.node);
  std::shared_ptr<const CompiledGraph> compiled[2];
  const char* attrs[] = {"score_mod", "prob_mod"};
  for (size_t i = 0; i < 2; ++i) {
    std::shared_ptr<Graph> g = modifier(init.node, attrs[i]);
    if (!g) continue;
    // The modifier's declared input type, when given, must be the softmax type.
    const TypeInfo* q = init.input_types.empty() ? nullptr : init.input_types[0];
    const TypeInfo& declared = g->inputs[0].type;
    if (q && q->is_tensor() && q->elem != DataType::Undefined && declared.is_tensor() &&
        declared.elem != DataType::Undefined && declared.elem != softmax_type(a, q->elem)) {
      init.fail(cat("the ", attrs[i], " graph takes ", dtype_name(declared.elem), " but receives the softmax type ",
                    dtype_name(softmax_type(a, q->elem)), " (set by softmax_precision, else float32 / double)"));
    }
    compiled[i] = init.compile_graph(*g);
  }
  return std::make_unique<FlexAttentionKernel>(a, compiled[0], compiled[1]);
}

}  // namespace

void register_flex_attention(Registry& r) {
  OpDef d;
  d.domain = "ai.onnx.preview";
  d.op_type = "FlexAttention";
  d.since_version = 1;
  d.types = "float, double, float16, bfloat16";
  d.infer = infer_flex_attention;
  d.create = create_flex_attention;
  r.add(d);
}

}  // namespace onnxi::ops::attention
