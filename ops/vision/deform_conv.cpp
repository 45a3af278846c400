// DeformConv: N-d grouped convolution whose kernel taps move by learned offsets (and, with a mask,
// are scaled), sampled bilinearly with zeros outside the image. X [N, C, in...], W [M, C/group,
// kernel...], offset [N, offset_group * K * ndim, out...] (K = kernel elements; per tap the ndim
// displacements, outermost dim first), B [M], mask [N, offset_group * K, out...].
// The window attributes (strides, pads, dilations, kernel_shape) are Conv's, without auto_pad.
#include <memory>
#include <string>

#include "kernels/cpu/vision_sample.h"
#include "ops/nn/spatial.h"
#include "ops/vision/vision.h"

namespace onnxi::ops::vision {
namespace {

struct DeformAttrs {
  nn::WindowAttrs window;
  int64_t group = 1;
  int64_t offset_group = 1;
  TypeList types;
};

template <class Fail>
DeformAttrs read_attrs(const Node& node, int since, const Fail& fail) {
  DeformAttrs a;
  a.window = nn::WindowAttrs::read(node);
  a.group = node.attr_int("group", 1);
  a.offset_group = node.attr_int("offset_group", 1);
  if (a.group < 1 || a.offset_group < 1) {
    fail(cat("attributes group = ", a.group, " and offset_group = ", a.offset_group, " must be >= 1"));
  }
  a.types = float_types(since, 22);
  return a;
}

void infer_deform_conv(InferContext& ctx, const DeformAttrs& a) {
  for (size_t i = 0; i < 5; ++i) {
    static const char* names[] = {"X", "W", "offset", "B", "mask"};
    check_input_type(ctx, i, names[i], a.types);
  }
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& tx = ctx.input(0);
  if (!tx.is_tensor() || !tx.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  if (tx.dims.size() < 3) ctx.fail(cat("input X must be [N, C, spatial...] (rank >= 3), got ", tx.str()));
  const size_t nd = tx.dims.size() - 2;
  const TypeInfo& tw = ctx.input(1);
  const bool w_ranked = tw.is_tensor() && tw.has_shape;
  if (w_ranked && tw.dims.size() != tx.dims.size()) ctx.fail(cat("W ", tw.str(), " must have the rank of X ", tx.str()));
  std::vector<int64_t> kernel = a.window.kernel_shape;
  if (kernel.empty()) {
    kernel.assign(nd, -1);
    for (size_t d = 0; w_ranked && d < nd; ++d) {
      if (tw.dims[d + 2].is_known()) kernel[d] = tw.dims[d + 2].value;
    }
  }
  std::vector<Dim> out{tx.dims[0], w_ranked ? tw.dims[0] : Dim{}};
  const auto spatial = nn::window_output_dims(a.window, std::vector<Dim>(tx.dims.begin() + 2, tx.dims.end()), kernel);
  out.insert(out.end(), spatial.begin(), spatial.end());
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

void compute_deform_conv(KernelContext& ctx, const DeformAttrs& a) {
  const Tensor& X = typed_input(ctx, 0, "X", a.types);
  const TypeList same{X.dtype()};
  const Tensor& W = typed_input(ctx, 1, "W", same);
  const Tensor& offset = typed_input(ctx, 2, "offset", same);
  if (X.rank() < 3) ctx.fail(cat("input X must be [N, C, spatial...] (rank >= 3), got ", X.describe()));
  if (X.rank() > 10) ctx.fail(cat("input X ", X.describe(), " has more than 8 spatial dims"));
  if (W.rank() != X.rank()) ctx.fail(cat("W ", W.describe(), " must have the rank of X ", X.describe()));
  const int64_t N = X.dim(0), C = X.dim(1), M = W.dim(0);
  if (W.dim(1) * a.group != C || M % a.group != 0) {
    ctx.fail(cat("X ", X.describe(), " and W ", W.describe(), " do not fit group=", a.group,
                 ": need C == W.shape[1] * group and W.shape[0] divisible by group"));
  }
  if (C % a.offset_group != 0) {
    ctx.fail(cat("X's ", C, " channels are not divisible by offset_group = ", a.offset_group));
  }
  const std::vector<int64_t> kernel = nn::spatial_dims(W.shape());
  if (!a.window.kernel_shape.empty() && a.window.kernel_shape != kernel) {
    ctx.fail(cat("kernel_shape ", shape_str(a.window.kernel_shape), " does not match W's spatial dims ",
                 shape_str(kernel)));
  }
  const nn::Window w = nn::resolve_window(a.window, nn::spatial_dims(X.shape()), kernel, ctx.node());
  const int64_t nd = X.rank() - 2;
  int64_t K = 1;
  for (int64_t k : kernel) K *= k;
  Shape offset_shape{N, a.offset_group * K * nd};
  offset_shape.insert(offset_shape.end(), w.output.begin(), w.output.end());
  if (offset.shape() != offset_shape) {
    ctx.fail(cat("input offset ", offset.describe(), " must have shape ", shape_str(offset_shape),
                 " (N, offset_group * kernel elements * spatial dims, output spatial...)"));
  }
  Tensor bias, mask;
  if (ctx.has_input(3)) {
    bias = typed_input(ctx, 3, "B", same);
    if (bias.numel() != M) ctx.fail(cat("input B ", bias.describe(), " must have M = ", M, " elements"));
  }
  if (ctx.has_input(4)) {
    mask = typed_input(ctx, 4, "mask", same);
    Shape mask_shape{N, a.offset_group * K};
    mask_shape.insert(mask_shape.end(), w.output.begin(), w.output.end());
    if (mask.shape() != mask_shape) {
      ctx.fail(cat("input mask ", mask.describe(), " must have shape ", shape_str(mask_shape)));
    }
  }
  kernels::DeformConvParams p;
  p.batch = N;
  p.in_channels = C;
  p.out_channels = M;
  p.groups = a.group;
  p.offset_groups = a.offset_group;
  p.in_spatial = nn::spatial_dims(X.shape());
  p.out_spatial = w.output;
  p.kernel = kernel;
  p.strides = w.strides;
  p.dilations = w.dilations;
  p.pads_begin = w.pads_begin;
  Shape y_shape{N, M};
  y_shape.insert(y_shape.end(), w.output.begin(), w.output.end());

  const DataType ct = X.dtype() == DataType::Double ? DataType::Double : DataType::Float;
  const Tensor x = to_compute(X, ct), wt = to_compute(W, ct), off = to_compute(offset, ct);
  const Tensor b = bias.defined() ? to_compute(bias, ct) : Tensor();
  const Tensor m = mask.defined() ? to_compute(mask, ct) : Tensor();
  Tensor y(ct, y_shape);
  const auto run = [&](auto tag) {
    using T = decltype(tag);
    kernels::deform_conv<T>(p, x.data<T>(), wt.data<T>(), off.data<T>(), m.defined() ? m.data<T>() : nullptr,
                            b.defined() ? b.data<T>() : nullptr, y.data<T>());
  };
  if (ct == DataType::Float) {
    run(float{});
  } else {
    run(double{});
  }
  ctx.set_output(0, from_compute(y, X.dtype()));
}

}  // namespace

void register_deform_conv(Registry& r) {
  for (int since : {19, 22}) {
    OpDef def;
    def.op_type = "DeformConv";
    def.since_version = since;
    def.last_version = since == 19 ? 21 : kLatestOpset;
    def.types = type_list_string(float_types(since, 22));
    def.infer = [since](InferContext& ctx) {
      infer_deform_conv(ctx, read_attrs(ctx.node, since, [&](const std::string& m) { ctx.fail(m); }));
    };
    def.create = [since](const KernelInit& init) {
      DeformAttrs attrs = read_attrs(init.node, since, [&](const std::string& m) { init.fail(m); });
      return make_kernel([attrs = std::move(attrs)](KernelContext& ctx) { compute_deform_conv(ctx, attrs); });
    };
    r.add(std::move(def));
  }
}

}  // namespace onnxi::ops::vision
