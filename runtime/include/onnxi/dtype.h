// Element types. The numeric values are those of onnx.TensorProto.DataType (IR 13), so a value read
// from a model casts straight to DataType.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace onnxi {

enum class DataType : int32_t {
  Undefined = 0,
  Float = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  UInt32 = 12,
  UInt64 = 13,
  Complex64 = 14,
  Complex128 = 15,
  BFloat16 = 16,
  Float8E4M3FN = 17,
  Float8E4M3FNUZ = 18,
  Float8E5M2 = 19,
  Float8E5M2FNUZ = 20,
  UInt4 = 21,
  Int4 = 22,
  Float4E2M1 = 23,
  Float8E8M0 = 24,
  UInt2 = 25,
  Int2 = 26,
  Float6E2M3 = 27,
  Float6E3M2 = 28,
};

inline constexpr int kMaxDataType = 28;

// Bits per element: 4 for int4/uint4/float4, 2 for int2/uint2, 6 for float6 (stored one per byte is
// not allowed by ONNX: sub-byte types are packed low bits first). String reports 0.
int element_bits(DataType t) noexcept;
// True for the packed sub-byte types (int4, uint4, int2, uint2, float4e2m1, float6*).
bool is_packed(DataType t) noexcept;
// Bytes needed to store `count` elements (packed types round up). String: 0.
size_t storage_bytes(DataType t, int64_t count) noexcept;

// "float32", "int64", "float8e4m3fn", ... (numpy-style names where numpy has one).
const char* dtype_name(DataType t) noexcept;
// Accepts dtype_name() spellings and ONNX's in any case ("FLOAT", "float", "float32"; not "tensor(float)").
std::optional<DataType> parse_dtype(std::string_view name) noexcept;
bool is_valid_dtype(int32_t value) noexcept;

bool is_floating(DataType t) noexcept;  // float, double, f16, bf16, float8*, float4, float6
bool is_integer(DataType t) noexcept;   // all int/uint widths, incl. 4- and 2-bit
bool is_signed_integer(DataType t) noexcept;
bool is_complex(DataType t) noexcept;

// Maps C++ element types to DataType for templated kernels.
template <class T>
struct dtype_of;
template <> struct dtype_of<float> { static constexpr DataType value = DataType::Float; };
template <> struct dtype_of<double> { static constexpr DataType value = DataType::Double; };
template <> struct dtype_of<int8_t> { static constexpr DataType value = DataType::Int8; };
template <> struct dtype_of<int16_t> { static constexpr DataType value = DataType::Int16; };
template <> struct dtype_of<int32_t> { static constexpr DataType value = DataType::Int32; };
template <> struct dtype_of<int64_t> { static constexpr DataType value = DataType::Int64; };
template <> struct dtype_of<uint8_t> { static constexpr DataType value = DataType::UInt8; };
template <> struct dtype_of<uint16_t> { static constexpr DataType value = DataType::UInt16; };
template <> struct dtype_of<uint32_t> { static constexpr DataType value = DataType::UInt32; };
template <> struct dtype_of<uint64_t> { static constexpr DataType value = DataType::UInt64; };
template <> struct dtype_of<bool> { static constexpr DataType value = DataType::Bool; };
template <> struct dtype_of<std::string> { static constexpr DataType value = DataType::String; };

}  // namespace onnxi
