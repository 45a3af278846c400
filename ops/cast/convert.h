// Element conversion between onnxi's element types with ONNX Cast semantics, on raw buffers.
// Sub-byte types (int4, uint4, int2, uint2, float4e2m1) are packed low bits first, as Tensor
// stores them.
#pragma once

#include <cstdint>
#include <string>

#include "onnxi/dtype.h"

namespace onnxi::ops {

// Cast's `round_mode` (opset 24+); it only affects casts to float8e8m0.
enum class E8M0Rounding { Up, Down, Nearest };

struct CastOptions {
  bool saturate = true;  // float8 targets: clamp out-of-range values instead of inf/NaN
  E8M0Rounding e8m0_rounding = E8M0Rounding::Up;
};

// Every type Cast converts: all numeric types, bool and string. Not complex, not float6.
bool cast_supports(DataType t) noexcept;

// Converts n elements between two numeric (non-string) types that cast_supports.
//   float  -> integer: truncates toward zero, then keeps the low bits (two's complement);
//   integer-> integer: keeps the low bits; integer -> float: one correctly rounded step;
//   x -> bool: x != 0 (NaN is true); bool -> x: 0 or 1.
// int64/uint64 never pass through double, so no precision is lost beyond the target's own.
void convert_elements(DataType from, const void* src, DataType to, void* dst, int64_t n,
                      const CastOptions& options);

// float -> float8e8m0 with an explicit rounding mode (float_types.h's version always rounds up).
uint8_t f32_to_f8e8m0_rounded(float v, bool saturate, E8M0Rounding mode) noexcept;

// Formats element i of a numeric tensor as numpy's astype(str) does: shortest round-trip digits,
// positional notation for 1e-4 <= |x| < 1e16 (float64), 1e6 (float32) or 1e3 (narrower floats),
// scientific with a two-digit exponent otherwise; "nan", "inf", "-inf"; "True"/"False" for bool.
std::string format_element(DataType from, const void* src, int64_t i);

// A parsed numeric string: integers stay exact (int64, or uint64 above int64's range).
struct ParsedNumber {
  enum class Kind { Int, UInt, Float } kind = Kind::Float;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
};
// Accepts optional surrounding whitespace, a sign, decimal or scientific numbers and the
// case-insensitive literals INF, +INF, -INF, INFINITY and NaN. False for anything else.
bool parse_number(const std::string& text, ParsedNumber& out);

}  // namespace onnxi::ops
