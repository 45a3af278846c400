// The com.onnxi blocked-channel (NCHWc) ops that runtime/passes/layout_nchwc.cpp puts into a model:
//   ReorderInput(X [N, C, H, W]) -> [N, ceil(C/16), H, W, 16], padding channels zero;
//   ReorderOutput(X [N, ceil(C/16), H, W, 16], channels = C) -> [N, C, H, W];
//   NchwcConv(X, W, B?, Sum?): Conv's attributes plus activation ("" | Relu | Clip, activation_min,
//     activation_max); X blocked (rank 5) or, for a first conv on a few channels, NCHW (rank 4);
//     W [M, C/group, kh, kw] and B constant; y = act(conv + B + Sum), blocked, or with nchw_output = 1
//     NCHW [N, M, OH, OW] (a conv that ends a region; Sum stays blocked);
//   NchwcMaxPool / NchwcAveragePool(X blocked): the pools' attributes (2-D, one output);
//   NchwcGlobalAveragePool(X blocked, channels = C) -> [N, C, 1, 1] (NCHW);
//   NchwcPointwiseDepthwise(X, W1, B1, W2, B2): NchwcConv(NchwcConv(X, W1, B1), W2, B2) for a 1x1
//     stride-1 conv W1 [E, C, 1, 1] followed by a depthwise conv W2 [E, 1, kh, kw] (group = E),
//     neither with Sum: the depthwise conv's window attributes and activation, the 1x1 conv's
//     activation as pointwise_activation (pointwise_activation_min, pointwise_activation_max);
//     B1, B2 constant or "". Computed in one pass (the E-channel intermediate stays in cache).
// Kernels: kernels/cpu/conv_nchwc.h, kernels/cpu/pool.h.
#include <cmath>
#include <functional>
#include <memory>
#include <mutex>

#include "kernels/cpu/conv_nchwc.h"
#include "kernels/cpu/pool.h"
#include "ops/nn/nn.h"
#include "ops/nn/spatial.h"

namespace onnxi::ops::nn {
namespace {

constexpr int64_t kBlock = kernels::kNchwcBlock;

Dim blocks_of(const Dim& channels) {
  if (!channels.is_known()) return Dim{};
  return Dim::known(kernels::nchwc_blocks(channels.value));
}

const TypeInfo* float_shape(InferContext& ctx, size_t i, size_t rank, const char* what) {
  const TypeInfo& t = ctx.input(i);
  if (t.is_tensor() && t.elem != DataType::Undefined && t.elem != DataType::Float) {
    ctx.fail(cat(what, " must be float32, got ", t.str()));
  }
  if (!t.is_tensor() || !t.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(DataType::Float));
    return nullptr;
  }
  if (t.dims.size() != rank) ctx.fail(cat(what, " must have rank ", rank, ", got ", t.str()));
  return &t;
}

// ---- reorders ----------------------------------------------------------------------------------

void infer_reorder_input(InferContext& ctx) {
  const TypeInfo* t = float_shape(ctx, 0, 4, "ReorderInput input X [N, C, H, W]");
  if (!t) return;
  ctx.set_output(0, TypeInfo::tensor(DataType::Float, {t->dims[0], blocks_of(t->dims[1]), t->dims[2], t->dims[3],
                                                        Dim::known(kBlock)}));
}

std::unique_ptr<Kernel> create_reorder_input(const KernelInit&) {
  return make_kernel([](KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DataType::Float || x.rank() != 4) {
      ctx.fail(cat("input X must be a float32 [N, C, H, W] tensor, got ", x.describe()));
    }
    const int64_t n = x.dim(0), c = x.dim(1), spatial = x.dim(2) * x.dim(3);
    Tensor& y = ctx.allocate_output_uninitialized(0, DataType::Float,
                                                  {n, kernels::nchwc_blocks(c), x.dim(2), x.dim(3), kBlock});
    kernels::nchwc_reorder_input(x.data<float>(), n, c, spatial, y.data<float>());
  });
}

int64_t channels_attr(const Node& node, const std::function<void(const std::string&)>& fail) {
  const int64_t c = node.attr_int("channels", -1);
  if (c < 1) fail(cat("attribute channels (the real channel count) must be >= 1, got ", c));
  return c;
}

void infer_reorder_output(InferContext& ctx) {
  const int64_t c = channels_attr(ctx.node, [&](const std::string& m) { ctx.fail(m); });
  const TypeInfo* t = float_shape(ctx, 0, 5, "ReorderOutput input X [N, C/16, H, W, 16]");
  if (!t) return;
  if (t->dims[1].is_known() && t->dims[1].value != kernels::nchwc_blocks(c)) {
    ctx.fail(cat("input X ", t->str(), " does not hold ", c, " channels in blocks of ", kBlock));
  }
  ctx.set_output(0, TypeInfo::tensor(DataType::Float, {t->dims[0], Dim::known(c), t->dims[2], t->dims[3]}));
}

// X of an op that ends a blocked region: float32 [N, ceil(channels/16), H, W, 16].
void check_blocked_input(KernelContext& ctx, const Tensor& x, int64_t c) {
  if (x.dtype() != DataType::Float || x.rank() != 5 || x.dim(1) != kernels::nchwc_blocks(c) || x.dim(4) != kBlock) {
    ctx.fail(cat("input X must be a float32 [N, ", kernels::nchwc_blocks(c), ", H, W, 16] tensor for channels=", c,
                 ", got ", x.describe()));
  }
}

std::unique_ptr<Kernel> create_reorder_output(const KernelInit& init) {
  const int64_t c = channels_attr(init.node, [&](const std::string& m) { init.fail(m); });
  return make_kernel([c](KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    check_blocked_input(ctx, x, c);
    const int64_t n = x.dim(0), spatial = x.dim(2) * x.dim(3);
    Tensor& y = ctx.allocate_output_uninitialized(0, DataType::Float, {n, c, x.dim(2), x.dim(3)});
    kernels::nchwc_reorder_output(x.data<float>(), n, c, spatial, y.data<float>());
  });
}

// ---- NchwcConv ---------------------------------------------------------------------------------

// activation (Relu | Clip with activation_min / activation_max) under `prefix`, into p's clamp.
void read_activation(const KernelInit& init, const std::string& prefix, kernels::NchwcConvParams& p) {
  const std::string act = init.node.attr_string(prefix + "activation", "");
  if (act == "Relu") {
    p.act_lo = 0.f;
  } else if (act == "Clip") {
    p.act_lo = init.node.attr_float(prefix + "activation_min", -INFINITY);
    p.act_hi = init.node.attr_float(prefix + "activation_max", INFINITY);
  } else if (!act.empty()) {
    init.fail(cat(init.node.op_type, " ", prefix, "activation '", act, "' is not one of Relu, Clip"));
  }
}

// A constant float32 bias of m values at input i, or null when the input is absent.
const float* optional_bias(const KernelInit& init, size_t i, int64_t m) {
  if (init.node.inputs.size() <= i || init.node.inputs[i].empty()) return nullptr;
  const Tensor* b = init.constant(i);
  if (b == nullptr || b->dtype() != DataType::Float || b->numel() != m) {
    init.fail(cat(init.node.op_type, " needs input ", i, " (a bias) as a constant float32 initializer of ", m, " values"));
  }
  return b->data<float>();
}

void infer_nchwc_conv(InferContext& ctx) {
  const TypeInfo& tx = ctx.input(0);
  const TypeInfo& tw = ctx.input(1);
  if (!tw.is_tensor() || !tw.has_shape || tw.dims.size() != 4 || !tw.dims[0].is_known()) {
    ctx.fail("NchwcConv needs W as a [M, C/group, kh, kw] constant");
  }
  const bool nchw = tx.is_tensor() && tx.has_shape && tx.dims.size() == 4;
  const TypeInfo* t = float_shape(ctx, 0, nchw ? 4 : 5, "input X [N, C/16, H, W, 16] (or [N, C, H, W])");
  if (!t) return;
  const WindowAttrs attrs = WindowAttrs::read(ctx.node);
  std::vector<int64_t> kernel{tw.dims[2].is_known() ? tw.dims[2].value : -1, tw.dims[3].is_known() ? tw.dims[3].value : -1};
  const auto spatial = window_output_dims(attrs, {t->dims[2], t->dims[3]}, kernel);
  if (spatial.size() != 2) ctx.fail(cat("cannot infer the output of a 2-D window over ", t->str()));
  if (ctx.node.attr_int("nchw_output", 0) != 0) {
    ctx.set_output(0, TypeInfo::tensor(DataType::Float, {t->dims[0], tw.dims[0], spatial[0], spatial[1]}));
    return;
  }
  ctx.set_output(0, TypeInfo::tensor(DataType::Float, {t->dims[0], blocks_of(tw.dims[0]), spatial[0], spatial[1],
                                                        Dim::known(kBlock)}));
}

class NchwcConvKernel final : public Kernel {
 public:
  // nchw_only: w is packed for an NCHW input (known rank 4 at creation), the only kind X can be.
  NchwcConvKernel(WindowAttrs attrs, kernels::NchwcConvParams p, kernels::NchwcPackedWeights w, bool nchw_only = false)
      : attrs_(std::move(attrs)), p_(p), w_(std::move(w)), nchw_only_(nchw_only) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.input(0);
    const bool nchw = X.rank() == 4;
    if (X.dtype() != DataType::Float || (X.rank() != 5 && !nchw)) {
      ctx.fail(cat("input X must be float32 [N, C/16, H, W, 16] or [N, C, H, W], got ", X.describe()));
    }
    const int64_t want_c = nchw ? p_.in_channels : kernels::nchwc_blocks(p_.in_channels);
    if (X.dim(1) != want_c || (!nchw && X.dim(4) != kBlock)) {
      ctx.fail(cat("input X ", X.describe(), " does not hold the ", p_.in_channels, " channels W expects"));
    }
    kernels::NchwcConvParams p = p_;
    p.nchw_input = nchw;
    if (nchw && !kernels::nchwc_conv_supported(p.in_channels, p.out_channels, p.groups, true)) {
      ctx.fail(cat("an NCHW input X ", X.describe(), " needs group = 1"));
    }
    const Window w = resolve_window(attrs_, {X.dim(2), X.dim(3)}, {p.kernel_h, p.kernel_w}, ctx.node());
    p.batch = X.dim(0);
    p.in_h = X.dim(2), p.in_w = X.dim(3);
    p.out_h = w.output[0], p.out_w = w.output[1];
    p.stride_h = w.strides[0], p.stride_w = w.strides[1];
    p.dilation_h = w.dilations[0], p.dilation_w = w.dilations[1];
    p.pad_top = w.pads_begin[0], p.pad_left = w.pads_begin[1];
    const Shape out_shape{p.batch, kernels::nchwc_blocks(p.out_channels), p.out_h, p.out_w, kBlock};
    const float* sum = nullptr;
    if (ctx.num_inputs() > 3 && ctx.has_input(3)) {
      const Tensor& S = ctx.input(3);
      if (S.dtype() != DataType::Float || S.shape() != out_shape) {
        ctx.fail(cat("input Sum ", S.describe(), " must be float32 of the output's blocked shape ", shape_str(out_shape)));
      }
      sum = S.data<float>();
    }
    if (nchw_only_ && !nchw) ctx.fail(cat("input X ", X.describe(), " is blocked, but was NCHW [N, C, H, W] at creation"));
    if (nchw && !nchw_only_) prepare_nchw_input();
    Tensor& y = ctx.allocate_output_uninitialized(
        0, DataType::Float, p.nchw_output ? Shape{p.batch, p.out_channels, p.out_h, p.out_w} : out_shape);
    kernels::nchwc_conv2d(p, nchw && !nchw_only_ ? nchw_w_ : w_, X.data<float>(), sum, y.data<float>());
  }

  // An NCHW input takes the weights in another order than a blocked one (made once, on first need
  // when the input's rank was unknown at creation).
  void prepare_nchw_input() const {
    std::call_once(nchw_once_, [&] {
      kernels::NchwcConvParams p = p_;
      p.nchw_input = true;
      nchw_w_ = kernels::pack_nchwc_weights(p, raw_w_.data(), raw_b_.data());
      std::vector<float>().swap(raw_w_);  // the copy was only kept for this packing
      std::vector<float>().swap(raw_b_);
    });
  }

  void keep_raw(const float* w, int64_t nw, const float* b) {
    raw_w_.assign(w, w + nw);
    raw_b_.assign(static_cast<size_t>(p_.out_channels), 0.f);
    if (b) std::copy(b, b + p_.out_channels, raw_b_.begin());
  }

 private:
  WindowAttrs attrs_;
  kernels::NchwcConvParams p_;
  kernels::NchwcPackedWeights w_;
  bool nchw_only_ = false;
  mutable std::vector<float> raw_w_, raw_b_;
  mutable std::once_flag nchw_once_;
  mutable kernels::NchwcPackedWeights nchw_w_;
};

std::unique_ptr<Kernel> create_nchwc_conv(const KernelInit& init) {
  const Tensor* W = init.constant(1);
  if (W == nullptr || W->dtype() != DataType::Float || W->rank() != 4) {
    init.fail("NchwcConv needs W as a constant float32 [M, C/group, kh, kw] initializer");
  }
  const Tensor* Bt = nullptr;
  if (init.node.inputs.size() > 2 && !init.node.inputs[2].empty()) {
    Bt = init.constant(2);
    if (Bt == nullptr || Bt->dtype() != DataType::Float || Bt->numel() != W->dim(0)) {
      init.fail(cat("NchwcConv needs B as a constant float32 initializer of ", W->dim(0), " values"));
    }
  }
  kernels::NchwcConvParams p;
  p.groups = init.node.attr_int("group", 1);
  p.out_channels = W->dim(0);
  p.in_channels = W->dim(1) * p.groups;
  p.kernel_h = W->dim(2), p.kernel_w = W->dim(3);
  if (p.groups < 1 || p.out_channels % p.groups != 0 ||
      !kernels::nchwc_conv_supported(p.in_channels, p.out_channels, p.groups, false)) {
    init.fail(cat("NchwcConv: group=", p.groups, " with W ", W->describe(),
                  " is not a blocked layout (need group 1, depthwise, or 16-multiple channels per group)"));
  }
  WindowAttrs attrs = WindowAttrs::read(init.node);
  if (!attrs.kernel_shape.empty() && attrs.kernel_shape != std::vector<int64_t>{p.kernel_h, p.kernel_w}) {
    init.fail(cat("kernel_shape ", shape_str(attrs.kernel_shape), " does not match W ", W->describe()));
  }
  read_activation(init, "", p);
  p.nchw_output = init.node.attr_int("nchw_output", 0) != 0;
  // What the Winograd choice needs at packing (compute sets them again from the input).
  p.allow_winograd = true;
  if (attrs.strides.size() == 2) p.stride_h = attrs.strides[0], p.stride_w = attrs.strides[1];
  if (attrs.dilations.size() == 2) p.dilation_h = attrs.dilations[0], p.dilation_w = attrs.dilations[1];
  if (const TypeInfo* t = init.input_types.empty() ? nullptr : init.input_types[0];
      t != nullptr && t->is_tensor() && t->has_shape && t->dims.size() == 5 && t->dims[2].is_known() &&
      t->dims[3].is_known()) {
    p.in_h = t->dims[2].value, p.in_w = t->dims[3].value;
  }
  const float* bias = Bt ? Bt->data<float>() : nullptr;
  // A known rank-4 input packs for an NCHW input only. Else a raw copy of W is kept while an NCHW
  // input is still possible (rank unknown at creation). Compute never reads W itself, so the
  // session may free it.
  const TypeInfo* tx = init.input_types.empty() ? nullptr : init.input_types[0];
  const int64_t x_rank = tx != nullptr && tx->is_tensor() && tx->has_shape ? static_cast<int64_t>(tx->dims.size()) : -1;
  if (p.groups == 1 && x_rank == 4) {
    kernels::NchwcConvParams pn = p;
    pn.nchw_input = true;
    auto kernel = std::make_unique<NchwcConvKernel>(std::move(attrs), p, kernels::pack_nchwc_weights(pn, W->data<float>(), bias),
                                                    true);
    init.consumed(1);
    return kernel;
  }
  auto kernel = std::make_unique<NchwcConvKernel>(std::move(attrs), p, kernels::pack_nchwc_weights(p, W->data<float>(), bias));
  if (p.groups == 1 && x_rank != 5) {
    kernel->keep_raw(W->data<float>(), W->numel(), bias);
  }
  init.consumed(1);
  return kernel;
}

// ---- NchwcPointwiseDepthwise -------------------------------------------------------------------

void infer_pointwise_depthwise(InferContext& ctx) {
  const TypeInfo& t1 = ctx.input(1);
  const TypeInfo& t2 = ctx.input(3);
  if (!t1.is_tensor() || !t1.has_shape || t1.dims.size() != 4 || !t1.dims[0].is_known() || !t2.is_tensor() ||
      !t2.has_shape || t2.dims.size() != 4 || !t2.dims[2].is_known() || !t2.dims[3].is_known()) {
    ctx.fail("NchwcPointwiseDepthwise needs W1 [E, C, 1, 1] and W2 [E, 1, kh, kw] as constants");
  }
  const TypeInfo* t = float_shape(ctx, 0, 5, "input X [N, C/16, H, W, 16]");
  if (!t) return;
  const WindowAttrs attrs = WindowAttrs::read(ctx.node);
  const auto spatial = window_output_dims(attrs, {t->dims[2], t->dims[3]}, {t2.dims[2].value, t2.dims[3].value});
  if (spatial.size() != 2) ctx.fail(cat("cannot infer the output of a 2-D window over ", t->str()));
  ctx.set_output(0, TypeInfo::tensor(DataType::Float, {t->dims[0], blocks_of(t1.dims[0]), spatial[0], spatial[1],
                                                        Dim::known(kBlock)}));
}

class PointwiseDepthwiseKernel final : public Kernel {
 public:
  PointwiseDepthwiseKernel(WindowAttrs attrs, kernels::NchwcConvParams pw, kernels::NchwcPackedWeights pw_w,
                           kernels::NchwcConvParams dw, kernels::NchwcPackedWeights dw_w)
      : attrs_(std::move(attrs)), pw_(pw), dw_(dw), pw_w_(std::move(pw_w)), dw_w_(std::move(dw_w)) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.input(0);
    if (X.dtype() != DataType::Float || X.rank() != 5 || X.dim(1) != kernels::nchwc_blocks(pw_.in_channels) ||
        X.dim(4) != kBlock) {
      ctx.fail(cat("input X must be float32 [N, ", kernels::nchwc_blocks(pw_.in_channels), ", H, W, 16] for the ",
                   pw_.in_channels, " channels W1 expects, got ", X.describe()));
    }
    kernels::NchwcConvParams pw = pw_, dw = dw_;
    const Window w = resolve_window(attrs_, {X.dim(2), X.dim(3)}, {dw.kernel_h, dw.kernel_w}, ctx.node());
    pw.batch = dw.batch = X.dim(0);
    pw.in_h = pw.out_h = dw.in_h = X.dim(2);
    pw.in_w = pw.out_w = dw.in_w = X.dim(3);
    dw.out_h = w.output[0], dw.out_w = w.output[1];
    dw.stride_h = w.strides[0], dw.stride_w = w.strides[1];
    dw.dilation_h = w.dilations[0], dw.dilation_w = w.dilations[1];
    dw.pad_top = w.pads_begin[0], dw.pad_left = w.pads_begin[1];
    Tensor& y = ctx.allocate_output_uninitialized(
        0, DataType::Float, {dw.batch, kernels::nchwc_blocks(dw.out_channels), dw.out_h, dw.out_w, kBlock});
    kernels::nchwc_pointwise_depthwise(pw, pw_w_, dw, dw_w_, X.data<float>(), y.data<float>());
  }

 private:
  WindowAttrs attrs_;
  kernels::NchwcConvParams pw_, dw_;
  kernels::NchwcPackedWeights pw_w_, dw_w_;
};

std::unique_ptr<Kernel> create_pointwise_depthwise(const KernelInit& init) {
  const Tensor* W1 = init.constant(1);
  const Tensor* W2 = init.node.inputs.size() > 3 ? init.constant(3) : nullptr;
  if (W1 == nullptr || W1->dtype() != DataType::Float || W1->rank() != 4 || W1->dim(2) != 1 || W1->dim(3) != 1) {
    init.fail("NchwcPointwiseDepthwise needs W1 as a constant float32 [E, C, 1, 1] initializer");
  }
  const int64_t e = W1->dim(0);
  if (W2 == nullptr || W2->dtype() != DataType::Float || W2->rank() != 4 || W2->dim(0) != e || W2->dim(1) != 1 ||
      init.node.attr_int("group", 1) != e) {
    init.fail(cat("NchwcPointwiseDepthwise needs W2 as a constant float32 [", e, ", 1, kh, kw] initializer and group=",
                  e, " (a depthwise conv of W1's ", e, " output channels)"));
  }
  kernels::NchwcConvParams pw, dw;
  pw.in_channels = W1->dim(1);
  pw.out_channels = dw.in_channels = dw.out_channels = dw.groups = e;
  dw.kernel_h = W2->dim(2), dw.kernel_w = W2->dim(3);
  WindowAttrs attrs = WindowAttrs::read(init.node);
  if (!attrs.kernel_shape.empty() && attrs.kernel_shape != std::vector<int64_t>{dw.kernel_h, dw.kernel_w}) {
    init.fail(cat("kernel_shape ", shape_str(attrs.kernel_shape), " does not match W2 ", W2->describe()));
  }
  read_activation(init, "pointwise_", pw);
  read_activation(init, "", dw);
  auto pw_w = kernels::pack_nchwc_weights(pw, W1->data<float>(), optional_bias(init, 2, e));
  auto dw_w = kernels::pack_nchwc_weights(dw, W2->data<float>(), optional_bias(init, 4, e));
  init.consumed(1);
  init.consumed(3);
  return std::make_unique<PointwiseDepthwiseKernel>(std::move(attrs), pw, std::move(pw_w), dw, std::move(dw_w));
}

// ---- pools -------------------------------------------------------------------------------------

void infer_nchwc_pool(InferContext& ctx) {
  const TypeInfo* t = float_shape(ctx, 0, 5, "input X [N, C/16, H, W, 16]");
  if (!t) return;
  const WindowAttrs attrs = WindowAttrs::read(ctx.node);
  if (attrs.kernel_shape.size() != 2) ctx.fail("attribute kernel_shape must have 2 entries");
  const auto spatial = window_output_dims(attrs, {t->dims[2], t->dims[3]}, attrs.kernel_shape);
  ctx.set_output(0, TypeInfo::tensor(DataType::Float, {t->dims[0], t->dims[1], spatial[0], spatial[1], Dim::known(kBlock)}));
}

OpDef::CreateFn create_nchwc_pool(bool max) {
  return [max](const KernelInit& init) -> std::unique_ptr<Kernel> {
    WindowAttrs attrs = WindowAttrs::read(init.node);
    if (attrs.kernel_shape.size() != 2) init.fail("attribute kernel_shape must have 2 entries");
    const bool count_pad = init.node.attr_int("count_include_pad", 0) != 0;
    return make_kernel([max, count_pad, attrs](KernelContext& ctx) {
      const Tensor& X = ctx.input(0);
      if (X.dtype() != DataType::Float || X.rank() != 5 || X.dim(4) != kBlock) {
        ctx.fail(cat("input X must be float32 [N, C/16, H, W, 16], got ", X.describe()));
      }
      const Window w = resolve_window(attrs, {X.dim(2), X.dim(3)}, attrs.kernel_shape, ctx.node());
      kernels::PoolParams p;
      p.planes = X.dim(0) * X.dim(1);
      p.in_spatial = {X.dim(2), X.dim(3)};
      p.out_spatial = w.output;
      p.kernel = w.kernel;
      p.strides = w.strides;
      p.dilations = w.dilations;
      p.pads_begin = w.pads_begin;
      p.pads_end = w.pads_end;
      Tensor& y = ctx.allocate_output_uninitialized(0, DataType::Float,
                                                    {X.dim(0), X.dim(1), w.output[0], w.output[1], kBlock});
      if (max) {
        kernels::nchwc_max_pool_2d(p, X.data<float>(), y.data<float>());
      } else {
        kernels::nchwc_average_pool_2d(p, X.data<float>(), y.data<float>(), count_pad);
      }
    });
  };
}

// NchwcGlobalAveragePool(X blocked, channels = C) -> [N, C, 1, 1] in NCHW: the mean is as small
// as a reorder's output would be, so the region ends here without one.
void infer_nchwc_global_pool(InferContext& ctx) {
  const int64_t c = channels_attr(ctx.node, [&](const std::string& m) { ctx.fail(m); });
  const TypeInfo* t = float_shape(ctx, 0, 5, "input X [N, C/16, H, W, 16]");
  if (!t) return;
  ctx.set_output(0, TypeInfo::tensor(DataType::Float, {t->dims[0], Dim::known(c), Dim::known(1), Dim::known(1)}));
}

std::unique_ptr<Kernel> create_nchwc_global_pool(const KernelInit& init) {
  const int64_t c = channels_attr(init.node, [&](const std::string& m) { init.fail(m); });
  return make_kernel([c](KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    check_blocked_input(ctx, x, c);
    Tensor& y = ctx.allocate_output_uninitialized(0, DataType::Float, {x.dim(0), c, 1, 1});
    kernels::nchwc_global_average_pool(x.data<float>(), y.data<float>(), x.dim(0), c, x.dim(2) * x.dim(3));
  });
}

OpDef onnxi_def(const char* op, OpDef::InferFn infer, OpDef::CreateFn create) {
  OpDef d = make_def(op, 1, kLatestOpset, std::move(infer), std::move(create), "float");
  d.domain = kOnnxiDomain;
  return d;
}

}  // namespace

void register_conv_nchwc(Registry& r) {
  r.add(onnxi_def("ReorderInput", infer_reorder_input, create_reorder_input));
  r.add(onnxi_def("ReorderOutput", infer_reorder_output, create_reorder_output));
  r.add(onnxi_def("NchwcConv", infer_nchwc_conv, create_nchwc_conv));
  r.add(onnxi_def("NchwcPointwiseDepthwise", infer_pointwise_depthwise, create_pointwise_depthwise));
  r.add(onnxi_def("NchwcMaxPool", infer_nchwc_pool, create_nchwc_pool(true)));
  r.add(onnxi_def("NchwcAveragePool", infer_nchwc_pool, create_nchwc_pool(false)));
  r.add(onnxi_def("NchwcGlobalAveragePool", infer_nchwc_global_pool, create_nchwc_global_pool));
}

}  // namespace onnxi::ops::nn
