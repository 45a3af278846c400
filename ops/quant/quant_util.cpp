#include <vector>

#include "onnxi/float_types.h"
#include "ops/quant/quant.h"

namespace onnxi::ops::quant {

bool is_float8(DataType t) noexcept {
  return t == DataType::Float8E4M3FN || t == DataType::Float8E4M3FNUZ || t == DataType::Float8E5M2 ||
         t == DataType::Float8E5M2FNUZ;
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
    default:
      fail(ErrorCode::NotImplemented, cat("encode_floats: ", dtype_name(t), " is not a float quantization target"));
  }
}

void pack_small_ints(const int8_t* values, int64_t n, int bits, uint8_t* out) {
  for (int64_t i = 0; i < n; ++i) packed_set(out, i, bits, static_cast<uint8_t>(values[i]));
}

kernels::QuantGrid quant_grid(const KernelContext& ctx, const Shape& x, const Shape& scale, int64_t axis,
                              int64_t block_size, const char* scale_name) {
  kernels::QuantGrid g;
  const int64_t rank = static_cast<int64_t>(x.size());
  const int64_t scale_count = shape_numel(scale, scale_name);
  if (block_size < 0) ctx.fail(cat("attribute block_size = ", block_size, " must be >= 0 (0: not blocked)"));
  if (scale_count == 1) {
    g.inner = shape_numel(x);
    return g;
  }
  if (axis < -rank || axis >= rank) {
    ctx.fail(cat(scale_name, " ", shape_str(scale), " is not a scalar, so it applies along attribute axis = ", axis,
                 ", which is out of range for x ", shape_str(x), "; use an axis in [", -rank, ", ", rank - 1, "]"));
  }
  const size_t a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
  g.outer = shape_numel(Shape(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(a)));
  g.axis = x[a];
  g.inner = shape_numel(Shape(x.begin() + static_cast<std::ptrdiff_t>(a) + 1, x.end()));
  if (block_size == 0) {
    if (scale.size() != 1 || scale[0] != x[a]) {
      ctx.fail(cat(scale_name, " ", shape_str(scale), " must be a scalar or a 1-D tensor of x.shape[", a, "] = ", x[a],
                   " entries (per-axis); for blocked quantization set block_size"));
    }
    g.mode = kernels::QuantGrid::Mode::PerAxis;
    return g;
  }
  const int64_t blocks = (x[a] + block_size - 1) / block_size;
  bool fits = scale.size() == x.size();
  for (size_t d = 0; fits && d < x.size(); ++d) fits = scale[d] == (d == a ? blocks : x[d]);
  if (!fits) {
    Shape want = x;
    want[a] = blocks;
    ctx.fail(cat(scale_name, " ", shape_str(scale), " does not fit blocked quantization of x ", shape_str(x),
                 " along axis ", a, " with block_size ", block_size, ": expected ", shape_str(want)));
  }
  g.mode = kernels::QuantGrid::Mode::Blocked;
  g.block = block_size;
  g.param_axis = blocks;
  return g;
}

std::string type_rejected(const char* input, DataType got, const char* accepted) {
  return cat("input ", input, " has element type ", dtype_name(got), "; this opset takes ", accepted);
}

}  // namespace onnxi::ops::quant
