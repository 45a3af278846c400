// DequantizeLinear: y = (x - x_zero_point) * x_scale, per tensor, per axis (13+) or blocked (21+).
// The output has x_scale's type (float16 / bfloat16 from 19) unless output_dtype says otherwise
// (23+); the arithmetic is float32 and the result is rounded to the output type. x may be an
// integer (int32 without a zero point in practice), a float8 (19+), packed int4/uint4 (21+),
// float4e2m1 (23+) or int2/uint2 (25+); packed and narrow-float x are widened first.
#include <functional>
#include <string>
#include <vector>

#include "ops/quant/quant.h"

namespace onnxi::ops::quant {
namespace {

const TypeList kX10 = {DataType::Int8, DataType::UInt8, DataType::Int32};
const TypeList kX19 = concat(kX10, {DataType::Float8E4M3FN, DataType::Float8E4M3FNUZ, DataType::Float8E5M2,
                                    DataType::Float8E5M2FNUZ});
const TypeList kX21 = concat(kX19, {DataType::Int16, DataType::UInt16, DataType::UInt4, DataType::Int4});
const TypeList kX23 = concat(kX21, {DataType::Float4E2M1});
const TypeList kX25 = concat(kX23, {DataType::UInt2, DataType::Int2});
const TypeList kFloatOut = {DataType::Float, DataType::Float16, DataType::BFloat16};
const TypeList kScale24 = concat(kFloatOut, {DataType::Float8E8M0});

// What one opset range of DequantizeLinear accepts.
struct Version {
  int since, last;
  const TypeList& x;
  const TypeList& scale;
};

struct Attrs {
  int64_t axis = 1;
  int64_t block_size = 0;
  DataType output_dtype = DataType::Undefined;  // not set: x_scale's type
};

Attrs read_attrs(const Node& node, int since, const std::function<void(const std::string&)>& fail) {
  Attrs a;
  if (since >= 13) a.axis = node.attr_int("axis", 1);
  if (since >= 21) {
    a.block_size = node.attr_int("block_size", 0);
    if (a.block_size < 0) fail(cat("attribute block_size = ", a.block_size, " must be >= 0 (0: not blocked)"));
  }
  if (since >= 23) a.output_dtype = type_attr(node, "output_dtype", kFloatOut, fail);
  return a;
}

// y's element type: output_dtype when set, else x_scale's, which must then be a float output type
// (a float8e8m0 scale needs output_dtype).
template <class Fail>
DataType output_type(DataType scale, const Attrs& a, Fail&& fail) {
  if (a.output_dtype != DataType::Undefined) return a.output_dtype;
  if (scale != DataType::Undefined && !accepts(kFloatOut, scale)) {
    fail(cat("x_scale has element type ", dtype_name(scale), ", which is not an output type (",
             type_list_string(kFloatOut), "); set output_dtype"));
  }
  return scale;
}

void check_zero_point_type(DataType x, DataType zp, const std::function<void(const std::string&)>& fail) {
  if (x != DataType::Undefined && zp != DataType::Undefined && x != zp) {
    fail(cat("x_zero_point has element type ", dtype_name(zp), " but x has ", dtype_name(x),
             "; they must be the same type"));
  }
}

void infer_dequantize(InferContext& ctx, const Version& v) {
  const auto fail = [&](const std::string& m) { ctx.fail(m); };
  const Attrs a = read_attrs(ctx.node, v.since, fail);
  check_input_type(ctx, 0, "x", v.x);
  check_input_type(ctx, 1, "x_scale", v.scale);
  check_zero_point_type(input_elem(ctx, 0), input_elem(ctx, 2), fail);
  const TypeInfo& tx = ctx.input(0);
  const TypeInfo& ts = ctx.input(1);
  if (tx.is_tensor() && ts.is_tensor() && tx.shape_is_static() && ts.shape_is_static()) {
    if (v.since < 13 && shape_numel(ts.static_shape()) != 1) {
      ctx.fail(cat("x_scale ", ts.str(), " must be a scalar: DequantizeLinear-10 dequantizes per tensor only"));
    }
    kernels::QuantGrid g;
    std::string error;
    if (!make_quant_grid(tx.static_shape(), ts.static_shape(), a.axis, a.block_size, "x_scale", g, error)) {
      ctx.fail(error);
    }
  }
  const DataType out = output_type(input_elem(ctx, 1), a, fail);
  if (out == DataType::Undefined) return;
  set_output_like(ctx, 0, out, 0);
}

template <class Q>
void dequantize_into(const kernels::QuantGrid& g, const Q* x, const std::vector<float>& scale, const Tensor* zero_point,
                     DataType out, Tensor& y) {
  const std::vector<float> zp = zero_point ? to_floats(*zero_point) : std::vector<float>{};
  const float* z = zero_point ? zp.data() : nullptr;
  if (out == DataType::Float) return kernels::dequantize(g, x, scale.data(), z, y.data<float>());
  std::vector<float> wide(static_cast<size_t>(g.numel()));
  kernels::dequantize(g, x, scale.data(), z, wide.data());
  encode_floats(out, wide.data(), g.numel(), true, y.raw());
}

void compute_dequantize(KernelContext& ctx, const Version& v, const Attrs& a) {
  const auto fail = [&](const std::string& m) { ctx.fail(m); };
  const Tensor& x = typed_input(ctx, 0, "x", v.x);
  const Tensor& scale = typed_input(ctx, 1, "x_scale", v.scale);
  const Tensor* zero_point = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (zero_point) {
    check_zero_point_type(x.dtype(), zero_point->dtype(), fail);
    check_zero_point_shape(ctx, *zero_point, "x_zero_point", scale, "x_scale");
  }
  if (v.since < 13 && scale.numel() != 1) {
    ctx.fail(cat("x_scale ", scale.describe(), " must be a scalar: DequantizeLinear-10 dequantizes per tensor only"));
  }
  const DataType out = output_type(scale.dtype(), a, fail);
  const kernels::QuantGrid g = quant_grid(ctx, x.shape(), scale.shape(), a.axis, a.block_size, "x_scale");
  const std::vector<float> s = to_floats(scale);
  Tensor& y = ctx.allocate_output(0, out, x.shape());
  switch (x.dtype()) {
    case DataType::Int8: return dequantize_into(g, x.data<int8_t>(), s, zero_point, out, y);
    case DataType::UInt8: return dequantize_into(g, x.data<uint8_t>(), s, zero_point, out, y);
    case DataType::Int16: return dequantize_into(g, x.data<int16_t>(), s, zero_point, out, y);
    case DataType::UInt16: return dequantize_into(g, x.data<uint16_t>(), s, zero_point, out, y);
    case DataType::Int32: return dequantize_into(g, x.data<int32_t>(), s, zero_point, out, y);
    default: {  // float8, float4e2m1 and packed integers: exact in float32
      const std::vector<float> wide = to_floats(x);
      return dequantize_into(g, wide.data(), s, zero_point, out, y);
    }
  }
}

void add_version(Registry& r, const Version& v) {
  OpDef d;
  d.op_type = "DequantizeLinear";
  d.since_version = v.since;
  d.last_version = v.last;
  d.types = type_list_string(v.x) + " -> " + type_list_string(v.since >= 19 ? kFloatOut : TypeList{DataType::Float});
  d.infer = [v](InferContext& ctx) { infer_dequantize(ctx, v); };
  d.create = [v](const KernelInit& init) {
    const Attrs a = read_attrs(init.node, v.since, [&](const std::string& m) { init.fail(m); });
    return make_kernel([v, a](KernelContext& ctx) { compute_dequantize(ctx, v, a); });
  };
  r.add(std::move(d));
}

}  // namespace

void register_dequantize_linear(Registry& r) {
  static const TypeList kScale10 = {DataType::Float};
  add_version(r, {10, 12, kX10, kScale10});
  add_version(r, {13, 18, kX10, kScale10});
  add_version(r, {19, 20, kX19, kFloatOut});
  add_version(r, {21, 22, kX21, kFloatOut});
  add_version(r, {23, 23, kX23, kFloatOut});
  add_version(r, {24, 24, kX23, kScale24});
  add_version(r, {25, kLatestOpset, kX25, kScale24});
}

}  // namespace onnxi::ops::quant
