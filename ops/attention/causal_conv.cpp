// CausalConvWithState (opset 27): causal depthwise 1-D convolution over [B, C, L] with a carried
// state of the last k - 1 positions ([B, C, k - 1]), for incremental decoding (Mamba, Gated
// DeltaNet). The present state holds the last k - 1 positions of past_state ++ input, so an input
// shorter than k - 1 keeps part of the old state (or of the zero padding).
#include "ops/attention/attention.h"
#include "ops/common.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::attention {
namespace {

enum Input : size_t { kInput, kWeight, kBias, kPastState };

bool read_silu(const Node& n) {
  const std::string act = n.attr_string("activation", "none");
  if (act == "silu" || act == "swish") return true;
  ONNXI_CHECK(act == "none", ErrorCode::InvalidModel, n.label(), ": activation '", act,
              "' is not one of 'none', 'silu', 'swish'");
  return false;
}

void infer_causal_conv(InferContext& ctx) {
  const TypeList types = float_types(false);
  const char* names[] = {"input", "weight", "bias", "past_state"};
  for (size_t i = 0; i < 4; ++i) check_input_type(ctx, i, names[i], types);
  check_input_rank(ctx, kInput, "input", 3);
  check_input_rank(ctx, kWeight, "weight", 3);
  check_input_rank(ctx, kBias, "bias", 1);
  check_input_rank(ctx, kPastState, "past_state", 3);
  read_silu(ctx.node);
  const DataType elem = input_elem(ctx, kInput);
  if (elem == DataType::Undefined) return;
  const TypeInfo& x = ctx.input(kInput);
  ctx.set_output(0, x);
  if (ctx.node.outputs.size() < 2) return;
  const TypeInfo& w = ctx.input(kWeight);
  if (!x.has_shape || !w.is_tensor() || !w.has_shape) {
    ctx.set_output(1, TypeInfo::tensor_unranked(elem));
    return;
  }
  const Dim carry = w.dims[2].is_known() ? Dim::known(std::max<int64_t>(w.dims[2].value - 1, 0)) : Dim{};
  ctx.set_output(1, TypeInfo::tensor(elem, {x.dims[0], x.dims[1], carry}));
}

class CausalConvKernel final : public Kernel {
 public:
  explicit CausalConvKernel(bool silu) : silu_(silu) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& x = typed_input(ctx, kInput, "input", float_types(false));
    if (x.rank() != 3) ctx.fail(cat("input must be 3-D [batch, channels, length], got ", x.describe()));
    const DataType dt = x.dtype();
    const Tensor& w = input_like(ctx, kWeight, "weight", dt, 3);
    kernels::CausalConvParams p;
    p.batch = x.dim(0);
    p.channels = x.dim(1);
    p.length = x.dim(2);
    p.kernel = w.dim(2);
    p.silu = silu_;
    if (w.dim(0) != p.channels || w.dim(1) != 1 || p.kernel < 1) {
      ctx.fail(cat("weight ", w.describe(), " must be [channels, 1, k] with channels = ", p.channels, " and k >= 1"));
    }
    const Shape state_shape{p.batch, p.channels, p.kernel - 1};
    Tensor bias, past;
    if (ctx.has_input(kBias)) {
      const Tensor& b = input_like(ctx, kBias, "bias", dt, 1);
      if (b.dim(0) != p.channels) ctx.fail(cat("bias ", b.describe(), " must have channels = ", p.channels, " values"));
      bias = nn::widen(b);
    }
    if (ctx.has_input(kPastState)) {
      const Tensor& s = input_like(ctx, kPastState, "past_state", dt, 3);
      if (s.shape() != state_shape) {
        ctx.fail(cat("past_state ", s.describe(), " must be [batch, channels, k - 1] = ", shape_str(state_shape)));
      }
      past = nn::widen(s);
    }
    const Tensor xw = nn::widen(x), ww = nn::widen(w);
    Tensor y(DataType::Float, x.shape());
    Tensor present(DataType::Float, state_shape);
    kernels::causal_conv_with_state_f32(
        p, xw.data<float>(), ww.data<float>(), bias.defined() ? bias.data<float>() : nullptr,
        past.defined() ? past.data<float>() : nullptr, y.data<float>(), present.data<float>(), round_fn(dt));
    ctx.set_output(0, nn::narrow(y, dt));
    if (ctx.num_outputs() > 1 && ctx.output_wanted(1)) ctx.set_output(1, nn::narrow(present, dt));
  }

 private:
  bool silu_;
};

}  // namespace

void register_causal_conv(Registry& r) {
  OpDef d;
  d.op_type = "CausalConvWithState";
  d.since_version = 27;
  d.types = "float, float16, bfloat16";
  d.infer = infer_causal_conv;
  d.create = [](const KernelInit& init) { return std::make_unique<CausalConvKernel>(read_silu(init.node)); };
  r.add(d);
}

}  // namespace onnxi::ops::attention
