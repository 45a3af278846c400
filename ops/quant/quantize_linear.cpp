// QuantizeLinear: y = saturate(round_half_even(x / y_scale) + y_zero_point), per tensor, per axis
// (13+) or blocked (21+). The output type is y_zero_point's, else the output_dtype attribute (21+),
// else uint8. Integer targets clamp to their range; float8 targets encode the quotient (saturating
// unless saturate=0, 19+); float4e2m1 (23+) always saturates. The division runs in y_scale's type
// or the `precision` attribute's (23+): a float16 quotient can land on another integer.
#include <functional>
#include <string>
#include <vector>

#include "ops/quant/quant.h"

namespace onnxi::ops::quant {
namespace {

const TypeList kX10 = {DataType::Float, DataType::Int32};
const TypeList kX19 = {DataType::Float, DataType::Float16, DataType::BFloat16, DataType::Int32};
const TypeList kOut10 = {DataType::Int8, DataType::UInt8};
const TypeList kFloat8 = {DataType::Float8E4M3FN, DataType::Float8E4M3FNUZ, DataType::Float8E5M2,
                          DataType::Float8E5M2FNUZ};
const TypeList kOut19 = concat(kOut10, kFloat8);
const TypeList kOut21 = concat(kOut19, {DataType::Int16, DataType::UInt16, DataType::UInt4, DataType::Int4});
const TypeList kOut23 = concat(kOut21, {DataType::Float4E2M1});
const TypeList kOut25 = concat(kOut23, {DataType::UInt2, DataType::Int2});
const TypeList kPrecisions = {DataType::Float, DataType::Float16, DataType::BFloat16};

// What one opset range of QuantizeLinear accepts.
struct Version {
  int since, last;
  const TypeList& x;
  TypeList scale;
  const TypeList& out;
  bool scale_is_x_type;  // 19, 21: x and y_scale share T1
};

struct Attrs {
  int64_t axis = 1;
  bool saturate = true;
  int64_t block_size = 0;
  DataType output_dtype = DataType::Undefined;  // not set
  DataType precision = DataType::Undefined;     // not set: y_scale's type
};

Attrs read_attrs(const Node& node, int since, const TypeList& out,
                 const std::function<void(const std::string&)>& fail) {
  Attrs a;
  if (since >= 13) a.axis = node.attr_int("axis", 1);
  if (since >= 19) a.saturate = node.attr_int("saturate", 1) != 0;
  if (since >= 21) {
    a.block_size = node.attr_int("block_size", 0);
    if (a.block_size < 0) fail(cat("attribute block_size = ", a.block_size, " must be >= 0 (0: not blocked)"));
    a.output_dtype = type_attr(node, "output_dtype", out, fail);
  }
  if (since >= 23) a.precision = type_attr(node, "precision", kPrecisions, fail);
  return a;
}

// y's element type from y_zero_point's (Undefined: absent) and output_dtype; `fail` reports a clash.
template <class Fail>
DataType output_type(DataType zero_point, const Attrs& a, Fail&& fail) {
  if (zero_point != DataType::Undefined) {
    if (a.output_dtype != DataType::Undefined && a.output_dtype != zero_point) {
      fail(cat("attribute output_dtype = ", dtype_name(a.output_dtype), " disagrees with y_zero_point's type ",
               dtype_name(zero_point), "; drop one or make them equal"));
    }
    return zero_point;
  }
  return a.output_dtype != DataType::Undefined ? a.output_dtype : DataType::UInt8;
}

void infer_quantize(InferContext& ctx, const Version& v) {
  const Attrs a = read_attrs(ctx.node, v.since, v.out, [&](const std::string& m) { ctx.fail(m); });
  check_input_type(ctx, 0, "x", v.x);
  check_input_type(ctx, 1, "y_scale", v.scale);
  check_input_type(ctx, 2, "y_zero_point", v.out);
  const DataType x = input_elem(ctx, 0), s = input_elem(ctx, 1);
  if (v.scale_is_x_type && x != DataType::Undefined && s != DataType::Undefined && x != s) {
    ctx.fail(cat("y_scale has element type ", dtype_name(s), " but x has ", dtype_name(x), "; QuantizeLinear-",
                 ctx.opset, " needs them equal"));
  }
  if (ctx.has_input(2) && input_elem(ctx, 2) == DataType::Undefined) return;  // the type comes at run time
  const DataType out = output_type(input_elem(ctx, 2), a, [&](const std::string& m) { ctx.fail(m); });
  const TypeInfo& tx = ctx.input(0);
  const TypeInfo& ts = ctx.input(1);
  if (tx.is_tensor() && ts.is_tensor() && tx.shape_is_static() && ts.shape_is_static()) {
    kernels::QuantGrid g;
    std::string error;
    if (v.since < 13 && shape_numel(ts.static_shape()) != 1) {
      ctx.fail(cat("y_scale ", ts.str(), " must be a scalar: QuantizeLinear-10 quantizes per tensor only"));
    }
    if (!make_quant_grid(tx.static_shape(), ts.static_shape(), a.axis, a.block_size, "y_scale", g, error)) {
      ctx.fail(error);
    }
  }
  set_output_like(ctx, 0, out, 0);
}

template <class X>
void quantize_to(const Attrs& a, const X* x, const Tensor& scale, const Tensor* zero_point, DataType out,
                 const kernels::QuantGrid& g, Tensor& y) {
  const std::vector<double> s = to_doubles(scale);
  const kernels::QuantPrecision p = precision_of(a.precision != DataType::Undefined ? a.precision : scale.dtype());
  const int64_t n = g.numel();
  int32_t lo = 0, hi = 0;
  if (integer_range(out, lo, hi)) {
    std::vector<int32_t> zp;
    if (zero_point) {
      for (double z : to_doubles(*zero_point)) zp.push_back(static_cast<int32_t>(z));
    }
    const int32_t* z = zero_point ? zp.data() : nullptr;
    switch (out) {
      case DataType::UInt8: return kernels::quantize_int(g, x, s.data(), z, p, lo, hi, y.data<uint8_t>());
      case DataType::Int8: return kernels::quantize_int(g, x, s.data(), z, p, lo, hi, y.data<int8_t>());
      case DataType::UInt16: return kernels::quantize_int(g, x, s.data(), z, p, lo, hi, y.data<uint16_t>());
      case DataType::Int16: return kernels::quantize_int(g, x, s.data(), z, p, lo, hi, y.data<int16_t>());
      default: {  // int4, uint4, int2, uint2: quantized one per byte, then packed
        std::vector<int8_t> q(static_cast<size_t>(n));
        kernels::quantize_int(g, x, s.data(), z, p, lo, hi, q.data());
        pack_small_ints(q.data(), n, element_bits(out), y.data<uint8_t>());
        return;
      }
    }
  }
  const std::vector<float> zp = zero_point ? to_floats(*zero_point) : std::vector<float>{};
  std::vector<float> q(static_cast<size_t>(n));
  kernels::quantize_scaled(g, x, s.data(), zero_point ? zp.data() : nullptr, p, q.data());
  encode_floats(out, q.data(), n, a.saturate, y.raw());
}

void compute_quantize(KernelContext& ctx, const Version& v, const Attrs& a) {
  const Tensor& x = typed_input(ctx, 0, "x", v.x);
  const Tensor& scale = typed_input(ctx, 1, "y_scale", v.scale);
  if (v.scale_is_x_type && scale.dtype() != x.dtype()) {
    ctx.fail(cat("y_scale ", scale.describe(), " must have x's element type (", dtype_name(x.dtype()),
                 ") in QuantizeLinear-", ctx.opset()));
  }
  const Tensor* zero_point = ctx.has_input(2) ? &typed_input(ctx, 2, "y_zero_point", v.out) : nullptr;
  const DataType out = output_type(zero_point ? zero_point->dtype() : DataType::Undefined, a,
                                   [&](const std::string& m) { ctx.fail(m); });
  if (v.since < 13 && scale.numel() != 1) {
    ctx.fail(cat("y_scale ", scale.describe(), " must be a scalar: QuantizeLinear-10 quantizes per tensor only"));
  }
  if (zero_point) check_zero_point_shape(ctx, *zero_point, "y_zero_point", scale, "y_scale");
  const kernels::QuantGrid g = quant_grid(ctx, x.shape(), scale.shape(), a.axis, a.block_size, "y_scale");
  Tensor& y = ctx.allocate_output(0, out, x.shape());
  if (x.dtype() == DataType::Float) {
    quantize_to(a, x.data<float>(), scale, zero_point, out, g, y);
  } else {  // float16, bfloat16 and int32 are exact in float64
    const std::vector<double> wide = to_doubles(x);
    quantize_to(a, wide.data(), scale, zero_point, out, g, y);
  }
}

void add_version(Registry& r, const Version& v) {
  OpDef d;
  d.op_type = "QuantizeLinear";
  d.since_version = v.since;
  d.last_version = v.last;
  d.types = type_list_string(v.x) + " -> " + type_list_string(v.out);
  d.infer = [v](InferContext& ctx) { infer_quantize(ctx, v); };
  d.create = [v](const KernelInit& init) {
    const Attrs a = read_attrs(init.node, v.since, v.out, [&](const std::string& m) { init.fail(m); });
    return make_kernel([v, a](KernelContext& ctx) { compute_quantize(ctx, v, a); });
  };
  r.add(std::move(d));
}

}  // namespace

void register_quantize_linear(Registry& r) {
  const TypeList scale24 = concat(kX19, {DataType::Float8E8M0});
  add_version(r, {10, 12, kX10, {DataType::Float}, kOut10, false});
  add_version(r, {13, 18, kX10, {DataType::Float}, kOut10, false});
  add_version(r, {19, 20, kX19, kX19, kOut19, true});
  add_version(r, {21, 22, kX19, kX19, kOut21, true});
  add_version(r, {23, 23, kX19, kX19, kOut23, false});
  add_version(r, {24, 24, kX19, scale24, kOut23, false});
  add_version(r, {25, kLatestOpset, kX19, scale24, kOut25, false});
}

}  // namespace onnxi::ops::quant
