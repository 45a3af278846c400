// Helpers shared by the quantization ops: type lists, element widening and encoding, and the
// scale / zero-point granularity rules (per tensor, per axis, blocked).
#include <algorithm>
#include <cstring>
#include <vector>

#include "onnxi/float_types.h"
#include "ops/quant/quant.h"

namespace onnxi::ops::quant {

TypeList concat(TypeList a, const TypeList& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

void set_output_like(InferContext& ctx, size_t out, DataType elem, size_t like) {
  const TypeInfo& t = ctx.input(like);
  if (t.is_tensor() && t.has_shape) {
    ctx.set_output(out, TypeInfo::tensor(elem, t.dims));
  } else {
    ctx.set_output(out, TypeInfo::tensor_unranked(elem));
  }
}

DataType type_attr(const Node& node, const char* name, const TypeList& allowed,
                   const std::function<void(const std::string&)>& fail) {
  const int64_t v = node.attr_int(name, 0);
  if (v == 0) return DataType::Undefined;
  if (v < 0 || v > kMaxDataType || !is_valid_dtype(static_cast<int32_t>(v)) ||
      !accepts(allowed, static_cast<DataType>(v))) {
    fail(cat("attribute ", name, " = ", v, " is not one of ", type_list_string(allowed),
             " (TensorProto.DataType values)"));
  }
  return static_cast<DataType>(v);
}

bool integer_range(DataType t, int32_t& lo, int32_t& hi) noexcept {
  switch (t) {
    case DataType::UInt8: lo = 0; hi = 255; return true;
    case DataType::Int8: lo = -128; hi = 127; return true;
    case DataType::UInt16: lo = 0; hi = 65535; return true;
    case DataType::Int16: lo = -32768; hi = 32767; return true;
    case DataType::UInt4: lo = 0; hi = 15; return true;
    case DataType::Int4: lo = -8; hi = 7; return true;
    case DataType::UInt2: lo = 0; hi = 3; return true;
    case DataType::Int2: lo = -2; hi = 1; return true;
    default: return false;
  }
}

std::vector<double> to_doubles(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.numel()));
  convert_to_f64(t.dtype(), t.raw(), out.data(), t.numel());
  return out;
}

std::vector<float> to_floats(const Tensor& t) {
  if (t.dtype() == DataType::Float) return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
  const std::vector<double> wide = to_doubles(t);
  return std::vector<float>(wide.begin(), wide.end());
}

void encode_floats(DataType t, const float* q, int64_t n, bool saturate, void* out) {
  auto* bytes = static_cast<uint8_t*>(out);
  switch (t) {
    case DataType::Float8E4M3FN:
      for (int64_t i = 0; i < n; ++i) bytes[i] = f32_to_f8e4m3fn(q[i], saturate);
      return;
    case DataType::Float8E4M3FNUZ:
      for (int64_t i = 0; i < n; ++i) bytes[i] = f32_to_f8e4m3fnuz(q[i], saturate);
      return;
    case DataType::Float8E5M2:
      for (int64_t i = 0; i < n; ++i) bytes[i] = f32_to_f8e5m2(q[i], saturate);
      return;
    case DataType::Float8E5M2FNUZ:
      for (int64_t i = 0; i < n; ++i) bytes[i] = f32_to_f8e5m2fnuz(q[i], saturate);
      return;
    case DataType::Float4E2M1:
      for (int64_t i = 0; i < n; ++i) packed_set(bytes, i, 4, f32_to_f4e2m1(q[i]));
      return;
    case DataType::Float:
      if (n > 0) std::memcpy(out, q, static_cast<size_t>(n) * sizeof(float));
      return;
    case DataType::Float16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(out)[i] = f32_to_f16(q[i]);
      return;
    case DataType::BFloat16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(out)[i] = f32_to_bf16(q[i]);
      return;
    default:
      fail(ErrorCode::NotImplemented, cat("encode_floats: ", dtype_name(t), " is not a float encoding target"));
  }
}

void pack_small_ints(const int8_t* values, int64_t n, int bits, uint8_t* out) {
  for (int64_t i = 0; i < n; ++i) packed_set(out, i, bits, static_cast<uint8_t>(values[i]));
}

bool make_quant_grid(const Shape& x, const Shape& scale, int64_t axis, int64_t block_size, const char* scale_name,
                     kernels::QuantGrid& g, std::string& error) {
  g = kernels::QuantGrid{};
  const int64_t rank = static_cast<int64_t>(x.size());
  if (block_size < 0) {
    error = cat("attribute block_size = ", block_size, " must be >= 0 (0: not blocked)");
    return false;
  }
  if (shape_numel(scale, scale_name) == 1) {
    g.inner = shape_numel(x);
    return true;
  }
  if (axis < -rank || axis >= rank) {
    error = cat(scale_name, " ", shape_str(scale), " is not a scalar, so it applies along attribute axis = ", axis,
                ", which is out of range for x ", shape_str(x), "; use an axis in [", -rank, ", ", rank - 1, "]");
    return false;
  }
  const size_t a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
  g.outer = shape_numel(Shape(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(a)));
  g.axis = x[a];
  g.inner = shape_numel(Shape(x.begin() + static_cast<std::ptrdiff_t>(a) + 1, x.end()));
  if (block_size == 0) {
    if (scale.size() != 1 || scale[0] != x[a]) {
      error = cat(scale_name, " ", shape_str(scale), " must be a scalar or a 1-D tensor of x.shape[", a, "] = ", x[a],
                  " entries (per-axis); for blocked quantization set block_size");
      return false;
    }
    g.mode = kernels::QuantGrid::Mode::PerAxis;
    return true;
  }
  const int64_t blocks = (x[a] + block_size - 1) / block_size;
  bool fits = scale.size() == x.size();
  for (size_t d = 0; fits && d < x.size(); ++d) fits = scale[d] == (d == a ? blocks : x[d]);
  if (!fits) {
    Shape want = x;
    want[a] = blocks;
    error = cat(scale_name, " ", shape_str(scale), " does not fit blocked quantization of x ", shape_str(x),
                " along axis ", a, " with block_size ", block_size, ": expected ", shape_str(want));
    return false;
  }
  g.mode = kernels::QuantGrid::Mode::Blocked;
  g.block = block_size;
  g.param_axis = blocks;
  return true;
}

kernels::QuantGrid quant_grid(const KernelContext& ctx, const Shape& x, const Shape& scale, int64_t axis,
                              int64_t block_size, const char* scale_name) {
  kernels::QuantGrid g;
  std::string error;
  if (!make_quant_grid(x, scale, axis, block_size, scale_name, g, error)) ctx.fail(error);
  return g;
}

void check_zero_point_shape(const KernelContext& ctx, const Tensor& zero_point, const char* zp_name,
                            const Tensor& scale, const char* scale_name) {
  if (zero_point.shape() == scale.shape() || (zero_point.numel() == 1 && scale.numel() == 1)) return;
  ctx.fail(cat(zp_name, " ", zero_point.describe(), " must have the shape of ", scale_name, " ", scale.describe()));
}

kernels::QuantPrecision precision_of(DataType t) noexcept {
  switch (t) {
    case DataType::Float16: return kernels::QuantPrecision::Float16;
    case DataType::BFloat16: return kernels::QuantPrecision::BFloat16;
    case DataType::Double:
    case DataType::Int32: return kernels::QuantPrecision::Float64;
    default: return kernels::QuantPrecision::Float32;
  }
}

}  // namespace onnxi::ops::quant
