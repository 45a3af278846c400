// Conv: N-d grouped convolution with strides, dilations, explicit or automatic padding and an
// optional bias, computed by im2col + GEMM (kernels/cpu/conv.h).
#include <cmath>
#include <memory>

#include "kernels/cpu/conv.h"
#include "ops/nn/nn.h"
#include "ops/nn/spatial.h"

namespace onnxi::ops::nn {
namespace {

void infer_conv(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (elem != DataType::Undefined) infer_conv_output(ctx, 0, 1, elem);
}

class ConvKernel final : public Kernel {
 public:
  ConvKernel(WindowAttrs attrs, int64_t group, const Tensor* constant_w) : attrs_(std::move(attrs)), group_(group) {
    // Constant float weights are packed for the GEMM once, here (not for depthwise convolutions,
    // which have their own kernel, nor for weights that do not fit the group count).
    if (constant_w == nullptr || constant_w->dtype() != DataType::Float || constant_w->rank() < 3) return;
    const int64_t M = constant_w->dim(0);
    if (M == 0 || M % group_ != 0 || constant_w->numel() == 0) return;
    const bool depthwise = constant_w->rank() == 4 && constant_w->dim(1) == 1 && M == group_;
    if (depthwise) return;
    packed_w_ = std::make_shared<const std::vector<kernels::PackedSgemmA>>(
        kernels::pack_conv_weights(group_, M, constant_w->numel() / M, constant_w->data<float>()));
    packed_w_data_ = constant_w->data<float>();
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& X = float_input(ctx, 0);
    const Tensor& W = input_of_type(ctx, 1, X.dtype());
    const bool has_bias = ctx.has_input(2);
    if (X.rank() < 3) ctx.fail(cat("input X must be [N, C, spatial...] (rank >= 3), got ", X.describe()));
    if (W.rank() != X.rank()) ctx.fail(cat("W ", W.describe(), " must have the rank of X ", X.describe()));
    const int64_t C = X.dim(1), M = W.dim(0);
    if (W.dim(1) * group_ != C || M % group_ != 0) {
      ctx.fail(cat("X ", X.describe(), " and W ", W.describe(), " do not fit group=", group_,
                   ": need C == W.shape[1] * group and W.shape[0] divisible by group"));
    }
    const std::vector<int64_t> kernel = spatial_dims(W.shape());
    if (!attrs_.kernel_shape.empty() && attrs_.kernel_shape != kernel) {
      ctx.fail(
          cat("kernel_shape ", shape_str(attrs_.kernel_shape), " does not match W's spatial dims ", shape_str(kernel)));
    }
    const Window w = resolve_window(attrs_, spatial_dims(X.shape()), kernel, ctx.node());
    Tensor bias;
    if (has_bias) {
      bias = widen(input_of_type(ctx, 2, X.dtype()));
      if (bias.numel() != M) ctx.fail(cat("bias B ", bias.describe(), " must have M = ", M, " elements"));
    }
    kernels::ConvParams p;
    p.batch = X.dim(0);
    p.groups = group_;
    p.in_channels = C;
    p.out_channels = M;
    p.in_spatial = spatial_dims(X.shape());
    p.out_spatial = w.output;
    p.kernel = kernel;
    p.strides = w.strides;
    p.dilations = w.dilations;
    p.pads_begin = w.pads_begin;
    p.act_lo = act_lo_;
    p.act_hi = act_hi_;
    // The packed weights hold for this W only (it is the constant they were made from).
    if (packed_w_ && W.dtype() == DataType::Float && W.data<float>() == packed_w_data_) p.packed_weights = packed_w_.get();
    Shape out_shape{p.batch, M};
    out_shape.insert(out_shape.end(), w.output.begin(), w.output.end());

    const Tensor x = widen(X), wt = widen(W);
    Tensor y = Tensor::uninitialized(compute_type(X.dtype()), out_shape);  // conv_forward writes all of it
    with_compute_type(y.dtype(), [&](auto tag) {
      using T = decltype(tag);
      kernels::conv_forward<T>(p, x.data<T>(), wt.data<T>(), has_bias ? bias.data<T>() : nullptr, y.data<T>());
    });
    ctx.set_output(0, narrow(y, X.dtype()));
  }

  bool packs_weights() const noexcept { return packed_w_ != nullptr; }
  void set_activation(double lo, double hi) {
    act_lo_ = lo;
    act_hi_ = hi;
  }

 private:
  WindowAttrs attrs_;
  int64_t group_;
  double act_lo_ = -INFINITY, act_hi_ = INFINITY;
  std::shared_ptr<const std::vector<kernels::PackedSgemmA>> packed_w_;
  const float* packed_w_data_ = nullptr;
};

std::unique_ptr<Kernel> create_conv(const KernelInit& init) {
  const int64_t group = init.node.attr_int("group", 1);
  if (group < 1) init.fail(cat("group must be >= 1, got ", group));
  auto kernel = std::make_unique<ConvKernel>(WindowAttrs::read(init.node), group, init.constant(1));
  if (kernel->packs_weights()) init.consumed(1);  // compute matches W by address, reads its shape only
  if (init.node.domain == kOnnxiDomain) {
    // FusedConv: Conv followed by the activation the graph pass folded into it.
    const std::string act = init.node.attr_string("activation", "");
    if (act == "Relu") {
      kernel->set_activation(0.0, INFINITY);
    } else if (act == "Clip") {
      kernel->set_activation(init.node.attr_float("activation_min", -INFINITY),
                             init.node.attr_float("activation_max", INFINITY));
    } else {
      init.fail(cat("FusedConv activation '", act, "' is not one of Relu, Clip"));
    }
  }
  return kernel;
}

}  // namespace

void register_conv(Registry& r) {
  r.add(make_def("Conv", 1, 21, infer_conv, create_conv, "float, double, float16"));
  r.add(make_def("Conv", 22, kLatestOpset, infer_conv, create_conv));
  // Conv with a Relu or Clip folded in by the graph passes (runtime/passes/fuse_conv_activation.cpp):
  // Conv's inputs and attributes plus activation = "Relu" | "Clip", activation_min, activation_max.
  OpDef fused = make_def("FusedConv", 1, kLatestOpset, infer_conv, create_conv, "float, double, float16");
  fused.domain = kOnnxiDomain;
  r.add(fused);
}

}  // namespace onnxi::ops::nn
