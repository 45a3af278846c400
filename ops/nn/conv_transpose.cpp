// ConvTranspose: the adjoint of Conv (GEMM + col2im, kernels/cpu/conv.h). The output size comes
// from explicit pads, from auto_pad (SAME_*: input * stride), or from output_shape, in which case
// the pads are derived from it as the schema's formula says.
#include <memory>

#include "kernels/cpu/conv.h"
#include "ops/nn/nn.h"
#include "ops/nn/spatial.h"

namespace onnxi::ops::nn {
namespace {

int64_t floor_div2(int64_t a) { return a >= 0 ? a / 2 : -((-a + 1) / 2); }

struct TransposeAttrs {
  WindowAttrs window;
  int64_t group = 1;
  std::vector<int64_t> output_padding;
  std::vector<int64_t> output_shape;

  static TransposeAttrs read(const Node& node) {
    TransposeAttrs a;
    a.window = WindowAttrs::read(node);
    a.group = node.attr_int("group", 1);
    ONNXI_CHECK(a.group >= 1, ErrorCode::InvalidModel, node.label(), ": group must be >= 1, got ", a.group);
    a.output_padding = node.attr_ints("output_padding");
    a.output_shape = node.attr_ints("output_shape");
    return a;
  }
};

// Output spatial dims and pads for input dims `in` and kernel `k`; false (with `why`) when the
// attributes do not fit the input's rank.
struct Geometry {
  std::vector<int64_t> out, pads_begin, strides, dilations;
};

bool resolve(const TransposeAttrs& a, const std::vector<int64_t>& in, const std::vector<int64_t>& k, Geometry& g,
             std::string& why) {
  const size_t n = in.size();
  const WindowAttrs& w = a.window;
  auto bad_len = [&](const std::vector<int64_t>& v, size_t want, const char* name) {
    if (v.empty() || v.size() == want) return false;
    why = cat(name, " has ", v.size(), " entries but the input has ", n, " spatial axes");
    return true;
  };
  if (k.size() != n || bad_len(w.strides, n, "strides") || bad_len(w.dilations, n, "dilations") ||
      bad_len(w.pads, 2 * n, "pads") || bad_len(a.output_padding, n, "output_padding")) {
    if (why.empty()) why = cat("the kernel has ", k.size(), " spatial axes but the input has ", n);
    return false;
  }
  std::vector<int64_t> out_shape = a.output_shape;
  if (out_shape.size() == n + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
  if (bad_len(out_shape, n, "output_shape")) return false;
  g.strides = w.strides.empty() ? std::vector<int64_t>(n, 1) : w.strides;
  g.dilations = w.dilations.empty() ? std::vector<int64_t>(n, 1) : w.dilations;
  g.out.assign(n, 0);
  g.pads_begin.assign(n, 0);
  for (size_t d = 0; d < n; ++d) {
    const int64_t op = a.output_padding.empty() ? 0 : a.output_padding[d];
    const int64_t full = g.strides[d] * (in[d] - 1) + op + (k[d] - 1) * g.dilations[d] + 1;
    const bool same = w.auto_pad == AutoPad::SameUpper || w.auto_pad == AutoPad::SameLower;
    if (!out_shape.empty() || same) {
      g.out[d] = out_shape.empty() ? in[d] * g.strides[d] : out_shape[d];
      const int64_t total = full - g.out[d];
      g.pads_begin[d] = w.auto_pad == AutoPad::SameUpper ? floor_div2(total) : total - floor_div2(total);
    } else {
      const bool explicit_pads = !w.pads.empty() && w.auto_pad == AutoPad::NotSet;
      g.pads_begin[d] = explicit_pads ? w.pads[d] : 0;
      g.out[d] = full - g.pads_begin[d] - (explicit_pads ? w.pads[d + n] : 0);
    }
    if (g.out[d] < 0) {
      why = cat("spatial axis ", d, " would have negative size ", g.out[d]);
      return false;
    }
  }
  return true;
}

void infer_conv_transpose(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& tx = ctx.input(0);
  const TypeInfo& tw = ctx.input(1);
  if (!tx.is_tensor() || !tx.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  if (tx.dims.size() < 3) ctx.fail(cat("input X must be [N, C, spatial...] (rank >= 3), got ", tx.str()));
  const TransposeAttrs a = TransposeAttrs::read(ctx.node);
  const size_t n = tx.dims.size() - 2;
  const bool w_ranked = tw.is_tensor() && tw.has_shape && tw.dims.size() == tx.dims.size();
  std::vector<Dim> out{tx.dims[0], Dim{}};
  if (w_ranked && tw.dims[1].is_known()) out[1] = Dim::known(tw.dims[1].value * a.group);
  std::vector<int64_t> kernel = a.window.kernel_shape;
  bool known = true;
  if (kernel.empty()) {
    for (size_t d = 0; d < n; ++d) {
      known = known && w_ranked && tw.dims[d + 2].is_known();
      kernel.push_back(known ? tw.dims[d + 2].value : 1);
    }
  }
  std::vector<int64_t> in;
  for (size_t d = 0; d < n; ++d) {
    known = known && tx.dims[d + 2].is_known();
    in.push_back(known ? tx.dims[d + 2].value : 1);
  }
  Geometry g;
  std::string why;
  const bool fits = resolve(a, in, kernel, g, why);
  for (size_t d = 0; d < n; ++d) out.push_back(known && fits ? Dim::known(g.out[d]) : Dim{});
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

class ConvTransposeKernel final : public Kernel {
 public:
  explicit ConvTransposeKernel(TransposeAttrs attrs) : a_(std::move(attrs)) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& X = float_input(ctx, 0);
    const Tensor& W = input_of_type(ctx, 1, X.dtype());
    if (X.rank() < 3) ctx.fail(cat("input X must be [N, C, spatial...] (rank >= 3), got ", X.describe()));
    if (W.rank() != X.rank()) ctx.fail(cat("W ", W.describe(), " must have the rank of X ", X.describe()));
    const int64_t C = X.dim(1), M = W.dim(1) * a_.group;
    if (W.dim(0) != C || C % a_.group != 0) {
      ctx.fail(cat("X ", X.describe(), " and W ", W.describe(), " do not fit group=", a_.group,
                   ": need W.shape[0] == C and C divisible by group"));
    }
    const std::vector<int64_t> kernel = spatial_dims(W.shape());
    if (!a_.window.kernel_shape.empty() && a_.window.kernel_shape != kernel) {
      ctx.fail(cat("kernel_shape ", shape_str(a_.window.kernel_shape), " does not match W's spatial dims ",
                   shape_str(kernel)));
    }
    Geometry g;
    std::string why;
    if (!resolve(a_, spatial_dims(X.shape()), kernel, g, why)) ctx.fail(why);
    Tensor bias;
    if (ctx.has_input(2)) {
      bias = widen(input_of_type(ctx, 2, X.dtype()));
      if (bias.numel() != M) ctx.fail(cat("bias B ", bias.describe(), " must have M = ", M, " elements"));
    }
    kernels::ConvParams p;
    p.batch = X.dim(0);
    p.groups = a_.group;
    p.in_channels = C;
    p.out_channels = M;
    p.in_spatial = spatial_dims(X.shape());
    p.out_spatial = g.out;
    p.kernel = kernel;
    p.strides = g.strides;
    p.dilations = g.dilations;
    p.pads_begin = g.pads_begin;
    Shape out_shape{p.batch, M};
    out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());

    const Tensor x = widen(X), wt = widen(W);
    Tensor y(compute_type(X.dtype()), out_shape);
    with_compute_type(y.dtype(), [&](auto tag) {
      using T = decltype(tag);
      kernels::conv_transpose_forward<T>(p, x.data<T>(), wt.data<T>(), bias.defined() ? bias.data<T>() : nullptr,
                                         y.data<T>());
    });
    ctx.set_output(0, narrow(y, X.dtype()));
  }

 private:
  TransposeAttrs a_;
};

std::unique_ptr<Kernel> create_conv_transpose(const KernelInit& init) {
  return std::make_unique<ConvTransposeKernel>(TransposeAttrs::read(init.node));
}

}  // namespace

void register_conv_transpose(Registry& r) {
  r.add(make_def("ConvTranspose", 1, 21, infer_conv_transpose, create_conv_transpose, "float, double, float16"));
  r.add(make_def("ConvTranspose", 22, kLatestOpset, infer_conv_transpose, create_conv_transpose));
}

}  // namespace onnxi::ops::nn
