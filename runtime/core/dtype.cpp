#include "onnxi/dtype.h"

#include <array>
#include <cctype>
#include <string>

namespace onnxi {
namespace {

struct DTypeInfo {
  const char* name;
  int bits;
};

// Indexed by the ONNX enum value.
constexpr std::array<DTypeInfo, kMaxDataType + 1> kInfo = {{
    {"undefined", 0},       {"float32", 32},       {"uint8", 8},          {"int8", 8},
    {"uint16", 16},         {"int16", 16},         {"int32", 32},         {"int64", 64},
    {"string", 0},          {"bool", 8},           {"float16", 16},       {"float64", 64},
    {"uint32", 32},         {"uint64", 64},        {"complex64", 64},     {"complex128", 128},
    {"bfloat16", 16},       {"float8e4m3fn", 8},   {"float8e4m3fnuz", 8}, {"float8e5m2", 8},
    {"float8e5m2fnuz", 8},  {"uint4", 4},          {"int4", 4},           {"float4e2m1", 4},
    {"float8e8m0", 8},      {"uint2", 2},          {"int2", 2},           {"float6e2m3", 6},
    {"float6e3m2", 6},
}};

}  // namespace

bool is_valid_dtype(int32_t value) noexcept { return value > 0 && value <= kMaxDataType; }

int element_bits(DataType t) noexcept {
  auto i = static_cast<int32_t>(t);
  return (i >= 0 && i <= kMaxDataType) ? kInfo[static_cast<size_t>(i)].bits : 0;
}

bool is_packed(DataType t) noexcept {
  int b = element_bits(t);
  return b > 0 && b < 8;
}

size_t storage_bytes(DataType t, int64_t count) noexcept {
  if (count <= 0) return 0;
  int bits = element_bits(t);
  return static_cast<size_t>((static_cast<unsigned __int128>(count) * bits + 7) / 8);
}

const char* dtype_name(DataType t) noexcept {
  auto i = static_cast<int32_t>(t);
  return (i >= 0 && i <= kMaxDataType) ? kInfo[static_cast<size_t>(i)].name : "invalid";
}

std::optional<DataType> parse_dtype(std::string_view name_in) noexcept {
  // ONNX spells types in capitals ("FLOAT", "INT64"); lowercased they match ours but for two.
  std::string name(name_in);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 1; i <= kMaxDataType; ++i) {
    if (name == kInfo[static_cast<size_t>(i)].name) return static_cast<DataType>(i);
  }
  if (name == "float") return DataType::Float;
  if (name == "double") return DataType::Double;
  if (name == "half") return DataType::Float16;
  return std::nullopt;
}

bool is_floating(DataType t) noexcept {
  switch (t) {
    case DataType::Float: case DataType::Double: case DataType::Float16: case DataType::BFloat16:
    case DataType::Float8E4M3FN: case DataType::Float8E4M3FNUZ: case DataType::Float8E5M2:
    case DataType::Float8E5M2FNUZ: case DataType::Float8E8M0: case DataType::Float4E2M1:
    case DataType::Float6E2M3: case DataType::Float6E3M2:
      return true;
    default:
      return false;
  }
}

bool is_signed_integer(DataType t) noexcept {
  switch (t) {
    case DataType::Int8: case DataType::Int16: case DataType::Int32: case DataType::Int64:
    case DataType::Int4: case DataType::Int2:
      return true;
    default:
      return false;
  }
}

bool is_integer(DataType t) noexcept {
  switch (t) {
    case DataType::UInt8: case DataType::UInt16: case DataType::UInt32: case DataType::UInt64:
    case DataType::UInt4: case DataType::UInt2:
      return true;
    default:
      return is_signed_integer(t);
  }
}

bool is_complex(DataType t) noexcept { return t == DataType::Complex64 || t == DataType::Complex128; }

}  // namespace onnxi
