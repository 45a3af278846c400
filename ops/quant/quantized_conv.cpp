// ConvInteger and QLinearConv: Conv over quantized tensors. x and w are centered on their zero
// points (x per tensor; w per tensor or per output channel) into float64, where Conv's im2col + GEMM
// (kernels/cpu/conv.h) sums the integer products exactly; padding then reads the zero point, as
// it should. ConvInteger stores the int32 sums; QLinearConv adds its int32 bias and rescales by
// x_scale * w_scale / y_scale (computed in float32, per output channel when w_scale is 1-D).
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/conv.h"
#include "ops/nn/spatial.h"
#include "ops/quant/quant.h"

namespace onnxi::ops::quant {
namespace {

const TypeList kInt8 = {DataType::Int8, DataType::UInt8};
const TypeList kScale = {DataType::Float};
const TypeList kBias = {DataType::Int32};

// Inference: y is [N, M, spatial...] of element type `elem` (the Conv family's rule).
void infer_conv_output(InferContext& ctx, size_t x_in, size_t w_in, DataType elem) {
  nn::infer_conv_output(ctx, x_in, w_in, elem, "x", "w");
}

struct ConvAttrs {
  nn::WindowAttrs window;
  int64_t group = 1;

  static ConvAttrs read(const KernelInit& init) {
    ConvAttrs a;
    a.window = nn::WindowAttrs::read(init.node);
    a.group = init.node.attr_int("group", 1);
    if (a.group < 1) init.fail(cat("group must be >= 1, got ", a.group));
    return a;
  }
};

// The convolution's geometry for x and w, checked.
kernels::ConvParams plan_conv(const KernelContext& ctx, const ConvAttrs& a, const Tensor& x, const Tensor& w) {
  if (x.rank() < 3) ctx.fail(cat("input x must be [N, C, spatial...] (rank >= 3), got ", x.describe()));
  if (w.rank() != x.rank()) ctx.fail(cat("w ", w.describe(), " must have the rank of x ", x.describe()));
  const int64_t C = x.dim(1), M = w.dim(0);
  if (w.dim(1) * a.group != C || M % a.group != 0) {
    ctx.fail(cat("x ", x.describe(), " and w ", w.describe(), " do not fit group=", a.group,
                 ": need C == w.shape[1] * group and w.shape[0] divisible by group"));
  }
  const std::vector<int64_t> kernel = nn::spatial_dims(w.shape());
  if (!a.window.kernel_shape.empty() && a.window.kernel_shape != kernel) {
    ctx.fail(cat("kernel_shape ", shape_str(a.window.kernel_shape), " does not match w's spatial dims ",
                 shape_str(kernel)));
  }
  const nn::Window win = nn::resolve_window(a.window, nn::spatial_dims(x.shape()), kernel, ctx.node());
  kernels::ConvParams p;
  p.batch = x.dim(0);
  p.groups = a.group;
  p.in_channels = C;
  p.out_channels = M;
  p.in_spatial = nn::spatial_dims(x.shape());
  p.out_spatial = win.output;
  p.kernel = kernel;
  p.strides = win.strides;
  p.dilations = win.dilations;
  p.pads_begin = win.pads_begin;
  return p;
}

Shape output_shape(const kernels::ConvParams& p) {
  Shape s{p.batch, p.out_channels};
  s.insert(s.end(), p.out_spatial.begin(), p.out_spatial.end());
  shape_numel(s, "output y");
  return s;
}

// t - zero_point in float64: zero_point one value (per tensor), or one per w output channel
// (per_channel_ok; a 1-D tensor of M entries). Absent: 0.
std::vector<double> centered(const KernelContext& ctx, const Tensor& t, const char* t_name, const Tensor* zero_point,
                             const char* zp_name, bool per_channel_ok) {
  kernels::QuantGrid g;
  g.inner = t.numel();
  std::vector<double> zp{0.0};
  if (zero_point) {
    if (zero_point->dtype() != t.dtype()) {
      ctx.fail(cat(zp_name, " ", zero_point->describe(), " must have ", t_name, "'s element type (",
                   dtype_name(t.dtype()), ")"));
    }
    zp = to_doubles(*zero_point);
    if (zero_point->numel() != 1) {
      if (!per_channel_ok || zero_point->rank() != 1 || zero_point->dim(0) != t.dim(0)) {
        ctx.fail(per_channel_ok ? cat(zp_name, " ", zero_point->describe(), " must be a scalar or a 1-D tensor of M = ",
                                      t.dim(0), " entries (per output channel)")
                                : cat(zp_name, " ", zero_point->describe(), " must be a scalar (per tensor)"));
      }
      g.mode = kernels::QuantGrid::Mode::PerAxis;
      g.axis = t.dim(0);
      g.inner = t.numel() / std::max<int64_t>(1, t.dim(0));
    }
  }
  std::vector<double> out(static_cast<size_t>(t.numel()));
  if (t.dtype() == DataType::Int8) {
    kernels::center(g, t.data<int8_t>(), zp.data(), out.data());
  } else {
    kernels::center(g, t.data<uint8_t>(), zp.data(), out.data());
  }
  return out;
}

// acc[N, M, out...] = conv(x - x_zero_point, w - w_zero_point) + bias.
std::vector<double> convolve(const kernels::ConvParams& p, const std::vector<double>& x, const std::vector<double>& w,
                             const std::vector<double>* bias) {
  std::vector<double> acc(static_cast<size_t>(shape_numel(output_shape(p))));
  kernels::conv_forward<double>(p, x.data(), w.data(), bias ? bias->data() : nullptr, acc.data());
  return acc;
}

// ---- ConvInteger ------------------------------------------------------------------------------------

void infer_conv_integer(InferContext& ctx) {
  check_input_type(ctx, 0, "x", kInt8);
  check_input_type(ctx, 1, "w", kInt8);
  check_input_type(ctx, 2, "x_zero_point", kInt8);
  check_input_type(ctx, 3, "w_zero_point", kInt8);
  infer_conv_output(ctx, 0, 1, DataType::Int32);
}

void compute_conv_integer(KernelContext& ctx, const ConvAttrs& a) {
  const Tensor& x = typed_input(ctx, 0, "x", kInt8);
  const Tensor& w = typed_input(ctx, 1, "w", kInt8);
  const kernels::ConvParams p = plan_conv(ctx, a, x, w);
  const Tensor* x_zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  const Tensor* w_zp = ctx.has_input(3) ? &ctx.input(3) : nullptr;
  const std::vector<double> xc = centered(ctx, x, "x", x_zp, "x_zero_point", false);
  const std::vector<double> wc = centered(ctx, w, "w", w_zp, "w_zero_point", true);
  const std::vector<double> acc = convolve(p, xc, wc, nullptr);
  Tensor& y = ctx.allocate_output(0, DataType::Int32, output_shape(p));
  kernels::wrap_to_i32(acc.data(), y.numel(), y.data<int32_t>());
}

// ---- QLinearConv ------------------------------------------------------------------------------------

void infer_qlinear_conv(InferContext& ctx) {
  check_input_type(ctx, 0, "x", kInt8);
  check_input_type(ctx, 1, "x_scale", kScale);
  check_input_type(ctx, 2, "x_zero_point", kInt8);
  check_input_type(ctx, 3, "w", kInt8);
  check_input_type(ctx, 4, "w_scale", kScale);
  check_input_type(ctx, 5, "w_zero_point", kInt8);
  check_input_type(ctx, 6, "y_scale", kScale);
  check_input_type(ctx, 7, "y_zero_point", kInt8);
  check_input_type(ctx, 8, "B", kBias);
  const DataType out = input_elem(ctx, 7);
  if (out == DataType::Undefined) return;
  infer_conv_output(ctx, 0, 3, out);
}

void compute_qlinear_conv(KernelContext& ctx, const ConvAttrs& a) {
  const Tensor& x = typed_input(ctx, 0, "x", kInt8);
  const Tensor& x_scale = typed_input(ctx, 1, "x_scale", kScale);
  const Tensor& w = typed_input(ctx, 3, "w", kInt8);
  const Tensor& w_scale = typed_input(ctx, 4, "w_scale", kScale);
  const Tensor& y_scale = typed_input(ctx, 6, "y_scale", kScale);
  const Tensor& y_zp = typed_input(ctx, 7, "y_zero_point", kInt8);
  const kernels::ConvParams p = plan_conv(ctx, a, x, w);
  const int64_t M = p.out_channels;
  if (x_scale.numel() != 1) ctx.fail(cat("x_scale ", x_scale.describe(), " must be a scalar (per tensor)"));
  if (y_scale.numel() != 1 || y_zp.numel() != 1) {
    ctx.fail(cat("y_scale ", y_scale.describe(), " and y_zero_point ", y_zp.describe(),
                 " must be scalars: the output is quantized per tensor"));
  }
  if (w_scale.numel() != 1 && (w_scale.rank() != 1 || w_scale.dim(0) != M)) {
    ctx.fail(cat("w_scale ", w_scale.describe(), " must be a scalar or a 1-D tensor of M = ", M,
                 " entries (per output channel)"));
  }
  check_zero_point_shape(ctx, ctx.input(5), "w_zero_point", w_scale, "w_scale");
  const std::vector<double> xc = centered(ctx, x, "x", &ctx.input(2), "x_zero_point", false);
  const std::vector<double> wc = centered(ctx, w, "w", &ctx.input(5), "w_zero_point", true);
  std::vector<double> bias;
  if (ctx.has_input(8)) {
    const Tensor& B = typed_input(ctx, 8, "B", kBias);
    if (B.rank() != 1 || B.dim(0) != M) {
      ctx.fail(cat("bias B ", B.describe(), " must be a 1-D tensor of M = ", M, " entries"));
    }
    bias = to_doubles(B);
  }
  const std::vector<double> acc = convolve(p, xc, wc, ctx.has_input(8) ? &bias : nullptr);

  const std::vector<double> ws = to_doubles(w_scale);
  const double xs = to_doubles(x_scale)[0];
  kernels::RequantScales s;
  s.row = ws.data();
  s.row_step = w_scale.numel() == 1 ? 0 : 1;
  s.col = &xs;
  s.out = to_doubles(y_scale)[0];
  s.precision = kernels::QuantPrecision::Float32;
  const int32_t zp = static_cast<int32_t>(to_doubles(y_zp)[0]);
  int32_t lo = 0, hi = 0;
  integer_range(y_zp.dtype(), lo, hi);
  Tensor& y = ctx.allocate_output(0, y_zp.dtype(), output_shape(p));
  const int64_t osize = y.numel() / std::max<int64_t>(1, p.batch * M);
  for (int64_t n = 0; n < p.batch; ++n) {
    const double* acc_n = acc.data() + n * M * osize;
    if (y_zp.dtype() == DataType::UInt8) {
      kernels::requantize(acc_n, M, osize, s, zp, lo, hi, y.data<uint8_t>() + n * M * osize);
    } else {
      kernels::requantize(acc_n, M, osize, s, zp, lo, hi, y.data<int8_t>() + n * M * osize);
    }
  }
}

}  // namespace

void register_quantized_conv(Registry& r) {
  OpDef ci;
  ci.op_type = "ConvInteger";
  ci.since_version = 10;
  ci.types = "int8, uint8 -> int32";
  ci.infer = infer_conv_integer;
  ci.create = [](const KernelInit& init) {
    const ConvAttrs a = ConvAttrs::read(init);
    return make_kernel([a](KernelContext& ctx) { compute_conv_integer(ctx, a); });
  };
  r.add(std::move(ci));

  OpDef ql;
  ql.op_type = "QLinearConv";
  ql.since_version = 10;
  ql.types = "int8, uint8; scales float; bias int32";
  ql.infer = infer_qlinear_conv;
  ql.create = [](const KernelInit& init) {
    const ConvAttrs a = ConvAttrs::read(init);
    return make_kernel([a](KernelContext& ctx) { compute_qlinear_conv(ctx, a); });
  };
  r.add(std::move(ql));
}

}  // namespace onnxi::ops::quant
