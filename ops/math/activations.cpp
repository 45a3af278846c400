// Activation functions: Relu, Sigmoid, Tanh and the parameterized ones (LeakyRelu, Elu, Selu, Celu,
// Gelu, HardSigmoid, HardSwish, Softplus, Softsign, Mish, Swish, ThresholdedRelu, Shrink), plus
// PRelu, whose slope is a second, broadcast input.
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/gelu.h"
#include "ops/common.h"
#include "ops/math/dispatch.h"
#include "ops/math/math.h"

namespace onnxi::ops::math {

namespace {

using kernels::UnaryOp;
using kernels::UnaryParams;

void infer_unary(InferContext& ctx) { infer_same_as_input(ctx); }

UnaryParams alpha_param(const KernelInit& init, float fallback) {
  UnaryParams p;
  p.alpha = init.node.attr_float("alpha", fallback);
  return p;
}

UnaryParams leaky_relu_params(const KernelInit& init) { return alpha_param(init, 0.01f); }
UnaryParams alpha_one_params(const KernelInit& init) { return alpha_param(init, 1.0f); }

UnaryParams selu_params(const KernelInit& init) {
  // Opset 6 spelled the defaults out to float precision; opset 1 rounded them to 4 digits.
  bool v1 = init.opset < 6;
  UnaryParams p;
  p.alpha = init.node.attr_float("alpha", v1 ? 1.6732f : 1.67326319217681884765625f);
  p.gamma = init.node.attr_float("gamma", v1 ? 1.0507f : 1.05070102214813232421875f);
  return p;
}

UnaryParams hard_sigmoid_params(const KernelInit& init) {
  UnaryParams p;
  p.alpha = init.node.attr_float("alpha", 0.2f);
  p.beta = init.node.attr_float("beta", 0.5f);
  return p;
}

UnaryParams shrink_params(const KernelInit& init) {
  UnaryParams p;
  p.alpha = init.node.attr_float("lambd", 0.5f);
  p.beta = init.node.attr_float("bias", 0.0f);
  return p;
}

UnaryParams celu_params(const KernelInit& init) {
  UnaryParams p = alpha_param(init, 1.0f);
  if (p.alpha == 0.0) init.fail("attribute alpha is 0; Celu divides by alpha, so it must be nonzero");
  return p;
}

OpDef::CreateFn gelu_kernel() {
  return [](const KernelInit& init) {
    std::string approx = init.node.attr_string("approximate", "none");
    if (approx != "none" && approx != "tanh") {
      init.fail(cat("attribute approximate is '", approx, "'; it must be \"none\" or \"tanh\""));
    }
    UnaryOp op = approx == "tanh" ? UnaryOp::GeluTanh : UnaryOp::Gelu;
    return make_kernel([op](KernelContext& ctx) {
      // Float32: the vectorized kernels of both forms (kernels/cpu/gelu.h).
      const Tensor& x = ctx.input(0);
      if (x.dtype() == DataType::Float) {
        Tensor& y = ctx.allocate_output_uninitialized(0, DataType::Float, x.shape());
        const float* px = x.data<float>();
        float* py = y.data<float>();
        const auto fn = op == UnaryOp::GeluTanh ? kernels::gelu_tanh_f32 : kernels::gelu_f32;
        kernels::parallel_elements(x.numel(), [&](int64_t b, int64_t e) { fn(px + b, py + b, e - b); });
        return;
      }
      compute_unary(ctx, op, UnaryParams{}, kFloatTypes);
    });
  };
}

// The slope broadcasts onto X (unidirectionally). Older exporters give a per-channel slope [C] for
// X [N, C, H, W]; when numpy broadcasting fails and C matches exactly one dim of X, the slope is
// aligned to that dim, as the ONNX reference implementation does.
Shape prelu_slope_shape(const KernelContext& ctx, const Shape& x, const Shape& slope) {
  bool fits = slope.size() <= x.size();
  for (size_t i = 0; fits && i < slope.size(); ++i) {
    int64_t ds = slope[slope.size() - 1 - i], dx = x[x.size() - 1 - i];
    fits = ds == dx || ds == 1;
  }
  if (fits) return slope;
  if (slope.size() == 1) {
    size_t matches = 0, at = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (x[i] == slope[0]) {
        ++matches;
        at = i;
      }
    }
    if (matches == 1) {
      Shape aligned(x.size(), 1);
      aligned[at] = slope[0];
      return aligned;
    }
  }
  ctx.fail(cat("slope ", shape_str(slope), " does not broadcast onto X ", shape_str(x),
               "; give a slope whose dims match X's trailing dims or are 1"));
}

void compute_prelu(KernelContext& ctx) {
  const char* types = "float, double, float16, bfloat16, int32, int64, uint32, uint64";
  const Tensor& x = ctx.input(0);
  const Tensor& slope_in = same_type_input(ctx, 1);
  if (!binary_accepts(kernels::BinaryOp::PRelu, x.dtype()) || x.dtype() == DataType::Bool) {
    fail_type(ctx, 0, x.dtype(), types);
  }
  Tensor slope = slope_in.reshaped(prelu_slope_shape(ctx, x.shape(), slope_in.shape()));
  Tensor& out = ctx.allocate_output(0, x.dtype(), x.shape());
  binary_into(ctx, kernels::BinaryOp::PRelu, x, slope, out);
}

}  // namespace

void register_activations(Registry& r) {
  struct Entry {
    const char* name;
    int since;
    int last;
    UnaryOp op;
    UnaryParamsFn params;
    const char* types;
  };
  const char* relu_types = "float, double, float16, bfloat16, int8, int16, int32, int64";
  const char* shrink_types = kNumericTypes;
  const Entry entries[] = {
      {"Relu", 1, kLatestOpset, UnaryOp::Relu, nullptr, relu_types},
      {"Sigmoid", 1, kLatestOpset, UnaryOp::Sigmoid, nullptr, kFloatTypes},
      {"Tanh", 1, kLatestOpset, UnaryOp::Tanh, nullptr, kFloatTypes},
      {"LeakyRelu", 1, kLatestOpset, UnaryOp::LeakyRelu, leaky_relu_params, kFloatTypes},
      {"Elu", 1, kLatestOpset, UnaryOp::Elu, alpha_one_params, kFloatTypes},
      {"Selu", 1, 5, UnaryOp::Selu, selu_params, kFloatTypes},
      {"Selu", 6, kLatestOpset, UnaryOp::Selu, selu_params, kFloatTypes},
      {"Celu", 12, kLatestOpset, UnaryOp::Celu, celu_params, kFloatTypes},
      {"HardSigmoid", 1, kLatestOpset, UnaryOp::HardSigmoid, hard_sigmoid_params, kFloatTypes},
      {"HardSwish", 14, kLatestOpset, UnaryOp::HardSwish, nullptr, kFloatTypes},
      {"Softplus", 1, kLatestOpset, UnaryOp::Softplus, nullptr, kFloatTypes},
      {"Softsign", 1, kLatestOpset, UnaryOp::Softsign, nullptr, kFloatTypes},
      {"Mish", 18, kLatestOpset, UnaryOp::Mish, nullptr, kFloatTypes},
      {"Swish", 24, kLatestOpset, UnaryOp::Swish, alpha_one_params, kFloatTypes},
      {"ThresholdedRelu", 10, kLatestOpset, UnaryOp::ThresholdedRelu, alpha_one_params, kFloatTypes},
      {"Shrink", 9, kLatestOpset, UnaryOp::Shrink, shrink_params, shrink_types},
  };
  for (const Entry& e : entries) {
    r.add(make_def(e.name, e.since, e.last, infer_unary, unary_create(e.op, e.types, e.params), e.types));
  }
  r.add(make_def("Gelu", 20, kLatestOpset, infer_unary, gelu_kernel(), kFloatTypes));
  // The spelled-out GELU the graph passes fuse (runtime/passes/fuse_gelu.cpp), at any opset: the
  // same op as ai.onnx Gelu-20 (attribute approximate = "none" | "tanh").
  OpDef onnxi_gelu = make_def("Gelu", 1, kLatestOpset, infer_unary, gelu_kernel(), kFloatTypes);
  onnxi_gelu.domain = kOnnxiDomain;
  r.add(onnxi_gelu);
  r.add(make_def(
      "PRelu", 1, kLatestOpset, infer_unary,
      [](const KernelInit&) { return make_kernel([](KernelContext& ctx) { compute_prelu(ctx); }); },
      "float, double, float16, bfloat16, int32, int64, uint32, uint64"));
}

}  // namespace onnxi::ops::math
