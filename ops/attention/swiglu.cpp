// SwiGLU (opset 28): Y = Swish_alpha(A) * B with Swish_alpha(a) = a * sigmoid(alpha * a). A and B
// must have the same shape and element type: no broadcasting. float16/bfloat16 compute in float32
// and round once, as the node tests' expected values do (the Python reference evaluator rounds the
// sigmoid and each product to float16 instead, which can differ by an ulp).
#include "ops/attention/attention.h"
#include "ops/common.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::attention {
namespace {

void infer_swiglu(InferContext& ctx) {
  const TypeList types = float_types(true);
  check_input_type(ctx, 0, "A", types);
  check_input_type(ctx, 1, "B", types);
  const DataType ea = input_elem(ctx, 0), eb = input_elem(ctx, 1);
  if (ea != DataType::Undefined && eb != DataType::Undefined && ea != eb) {
    ctx.fail(cat("A (", dtype_name(ea), ") and B (", dtype_name(eb), ") must have the same element type"));
  }
  if (ctx.has_input(0) && ctx.has_input(1)) {
    const TypeInfo& a = ctx.input(0);
    const TypeInfo& b = ctx.input(1);
    if (a.has_shape && b.has_shape) {
      bool differ = a.dims.size() != b.dims.size();
      for (size_t i = 0; !differ && i < a.dims.size(); ++i) {
        differ = a.dims[i].is_known() && b.dims[i].is_known() && a.dims[i].value != b.dims[i].value;
      }
      if (differ)
        ctx.fail(cat("A ", a.str(), " and B ", b.str(), " must have the same shape (SwiGLU does not broadcast)"));
    }
  }
  infer_same_as_input(ctx);
}

class SwigluKernel final : public Kernel {
 public:
  explicit SwigluKernel(float alpha) : alpha_(alpha) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& a = typed_input(ctx, 0, "A", float_types(true));
    const Tensor& b = input_like(ctx, 1, "B", a.dtype(), -1);
    if (a.shape() != b.shape()) {
      ctx.fail(
          cat("A ", a.describe(), " and B ", b.describe(), " must have the same shape (SwiGLU does not broadcast)"));
    }
    if (a.dtype() == DataType::Double) {
      Tensor& y = ctx.allocate_output(0, DataType::Double, a.shape());
      kernels::swiglu_f64(a.data<double>(), b.data<double>(), y.data<double>(), a.numel(), alpha_);
      return;
    }
    const Tensor aw = nn::widen(a), bw = nn::widen(b);
    Tensor y(DataType::Float, a.shape());
    kernels::swiglu_f32(aw.data<float>(), bw.data<float>(), y.data<float>(), a.numel(), alpha_);
    ctx.set_output(0, nn::narrow(y, a.dtype()));
  }

 private:
  float alpha_;
};

}  // namespace

void register_swiglu(Registry& r) {
  OpDef d;
  d.op_type = "SwiGLU";
  d.since_version = 28;
  d.types = "float, double, float16, bfloat16";
  d.infer = infer_swiglu;
  d.create = [](const KernelInit& init) { return std::make_unique<SwigluKernel>(init.node.attr_float("alpha", 1.f)); };
  r.add(d);
}

}  // namespace onnxi::ops::attention
