// Conversions between float32 and the narrow float and integer formats ONNX stores: float16,
// bfloat16, the float8 family, float8e8m0, float4e2m1, and packed int4/uint4/int2/uint2.
// Rounding is round-to-nearest-even unless a function says otherwise; `saturate` follows the ONNX
// Cast spec (out-of-range values clamp to the largest finite value instead of becoming inf/NaN).
#pragma once

#include <cstdint>

#include "onnxi/dtype.h"

namespace onnxi {

float f16_to_f32(uint16_t bits) noexcept;
uint16_t f32_to_f16(float v) noexcept;
float bf16_to_f32(uint16_t bits) noexcept;
uint16_t f32_to_bf16(float v) noexcept;

float f8e4m3fn_to_f32(uint8_t bits) noexcept;
uint8_t f32_to_f8e4m3fn(float v, bool saturate = true) noexcept;
float f8e4m3fnuz_to_f32(uint8_t bits) noexcept;
uint8_t f32_to_f8e4m3fnuz(float v, bool saturate = true) noexcept;
float f8e5m2_to_f32(uint8_t bits) noexcept;
uint8_t f32_to_f8e5m2(float v, bool saturate = true) noexcept;
float f8e5m2fnuz_to_f32(uint8_t bits) noexcept;
uint8_t f32_to_f8e5m2fnuz(float v, bool saturate = true) noexcept;
// E8M0: a power of two 2^(bits-127); 0xFF is NaN. float->e8m0 rounds up, as the ONNX spec's default.
float f8e8m0_to_f32(uint8_t bits) noexcept;
uint8_t f32_to_f8e8m0(float v, bool saturate = true) noexcept;
// One 4-bit float in the low nibble.
float f4e2m1_to_f32(uint8_t nibble) noexcept;
uint8_t f32_to_f4e2m1(float v) noexcept;

// Element i of a packed sub-byte tensor (int4/uint4/int2/uint2/float4e2m1 bits), low bits first.
uint8_t packed_get(const uint8_t* data, int64_t i, int bits) noexcept;
void packed_set(uint8_t* data, int64_t i, int bits, uint8_t value) noexcept;
// Sign-extends a packed int4 / int2 field.
int8_t sign_extend(uint8_t field, int bits) noexcept;

// Bulk conversion of `n` elements of any numeric dtype (incl. bool, packed and narrow floats) to and
// from float64, which holds every int32 and float exactly. int64/uint64 beyond 2^53 lose precision
// here: exact integer conversions (Cast) take direct integer paths instead (ops/cast/convert.cpp).
void convert_to_f64(DataType src_type, const void* src, double* dst, int64_t n);
void convert_from_f64(DataType dst_type, const double* src, void* dst, int64_t n, bool saturate = true);

}  // namespace onnxi
