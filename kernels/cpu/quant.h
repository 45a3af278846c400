// Linear quantization loops: x / scale rounded half to even plus a zero point, saturated to the
// target's range; the inverse (x - zero_point) * scale; rescaling of integer-valued accumulators
// (QLinearMatMul, QLinearConv); and the min/max scan of dynamic uint8 quantization.
//
// Scales and zero points follow a QuantGrid: the data is viewed as [outer, axis, inner] and every
// run of `inner` consecutive elements (o, a) reads its parameters from param_index(o, a) onward,
// stepping param_step() per element. Per-tensor: one parameter. Per-axis: one per axis position.
// Blocked: parameters shaped like the data except along axis, where `block` positions share one.
#pragma once

#include <cstdint>

namespace onnxi::kernels {

struct QuantGrid {
  enum class Mode { PerTensor, PerAxis, Blocked };
  Mode mode = Mode::PerTensor;
  int64_t outer = 1, axis = 1, inner = 1;
  int64_t block = 1;       // Blocked: axis positions sharing one parameter
  int64_t param_axis = 1;  // Blocked: the parameters' length along axis, ceil(axis / block)

  int64_t numel() const { return outer * axis * inner; }
  int64_t param_index(int64_t o, int64_t a) const {
    switch (mode) {
      case Mode::PerTensor: return 0;
      case Mode::PerAxis: return a;
      case Mode::Blocked: return (o * param_axis + a / block) * inner;
    }
    return 0;
  }
  int64_t param_step() const { return mode == Mode::Blocked ? 1 : 0; }
};

// The float type x / scale is computed in before it is rounded to an integer: ONNX divides in the
// scale's (or the `precision` attribute's) type, so x and scale are cast to it and the quotient is
// rounded to it; a float16 quotient can land on a different integer than the float32 one. Float64
// leaves the operands and quotient as they are.
enum class QuantPrecision { Float32, Float16, BFloat16, Float64 };

// y = clamp(round_half_even(x / scale) + zero_point, lo, hi), the division in `precision`;
// zero_point may be null (0). NaN quotients give the zero point, +-inf the ends of the range.
// X: float or double; Q: int8_t, uint8_t, int16_t, uint16_t.
template <class X, class Q>
void quantize_int(const QuantGrid& g, const X* x, const double* scale, const int32_t* zero_point,
                  QuantPrecision precision, int32_t lo, int32_t hi, Q* y);

// q = x / scale (+ zero_point when not null), rounded to `precision`: float targets (float8,
// float4) encode q themselves.
template <class X>
void quantize_scaled(const QuantGrid& g, const X* x, const double* scale, const float* zero_point,
                     QuantPrecision precision, float* q);

// y = (x - zero_point) * scale in float32; zero_point may be null. Q: int8_t, uint8_t, int16_t,
// uint16_t, int32_t, or float (narrow float and packed inputs, widened by the caller).
template <class Q>
void dequantize(const QuantGrid& g, const Q* x, const float* scale, const float* zero_point, float* y);

// y = x - zero_point as float64 (zero_point may be null: 0), the centered operand of an integer
// product (MatMulInteger, ConvInteger, QLinear*). Q: int8_t, uint8_t, or float (float8 inputs,
// widened by the caller).
template <class Q>
void center(const QuantGrid& g, const Q* x, const double* zero_point, double* y);

// The factor taking a product of two quantized operands to the output's scale,
// round(round(left * right) / out) with each step rounded to `precision`: ONNX computes
// a_scale * b_scale / y_scale in the scales' type, and a float16 factor differs from the exact one.
double requant_multiplier(double left, double right, double out, QuantPrecision precision);

// The scales of a product acc[rows, cols]: row r reads row[r * row_step] (step 0: one shared value),
// column c reads col[c * col_step]; the factor of element (r, c) is requant_multiplier(row, col, out).
struct RequantScales {
  const double* row = nullptr;
  int64_t row_step = 0;
  const double* col = nullptr;
  int64_t col_step = 0;
  double out = 1;
  QuantPrecision precision = QuantPrecision::Float32;
};

// Accumulators acc[rows, cols] (float64, integer-valued for integer operands) back to a quantized
// type: y = clamp(round_half_even(acc * factor) + zero_point, lo, hi). Q: int8_t or uint8_t.
template <class Q>
void requantize(const double* acc, int64_t rows, int64_t cols, const RequantScales& s, int32_t zero_point, int32_t lo,
                int32_t hi, Q* y);

// The same product without rounding, for float targets (float8): q = acc * factor + zero_point in
// float32; the caller encodes q.
void rescale(const double* acc, int64_t rows, int64_t cols, const RequantScales& s, float zero_point, float* q);

// Integer-valued float64 accumulators to int32, wrapping modulo 2^32 as int32 accumulation does.
void wrap_to_i32(const double* acc, int64_t n, int32_t* y);

// DynamicQuantizeLinear: the uint8 scale and zero point covering [min(x, 0), max(x, 0)], and x
// quantized with them. Arithmetic in float32, as the ONNX definition states it. n == 0 gives
// scale 1, zero point 0. NaN elements are skipped by the min/max scan.
void dynamic_quantize_u8(const float* x, int64_t n, uint8_t* y, float* scale, uint8_t* zero_point);

}  // namespace onnxi::kernels
