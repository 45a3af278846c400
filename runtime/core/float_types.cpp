// Narrow float formats. One generic encoder (round a double to a given exponent/mantissa layout)
// serves every 8- and 4-bit float, so their rounding and special values cannot drift apart; float16
// and bfloat16 get bit-twiddling fast paths because models cast whole activations through them.
//
// Where the ONNX spec leaves a choice open, we match ml_dtypes, which the ONNX reference
// implementation and the node tests use:
//   - double -> bfloat16 / float8 / float4 rounds through float32 first (ml_dtypes does, so the
//     reference results carry that double rounding); double -> float16 rounds once (numpy does).
//   - float4e2m1 has no NaN: NaN becomes a zero whose sign bit is the opposite of the NaN's.
//
// convert_to_f64 / convert_from_f64 are for generic paths (summaries, tests, constant folding of
// small tensors). int64/uint64 beyond 2^53 lose precision in a double, so Cast must not route
// integer-to-integer or integer-to-float conversions through them; ops/cast converts directly.
#include "onnxi/float_types.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "onnxi/error.h"

namespace onnxi {
namespace {

// How a format spends its top exponent code and its sign on special values.
enum class Specials {
  Ieee,   // all-ones exponent: inf (mantissa 0) or NaN; float16, float8e5m2
  Fn,     // no inf; only all-ones exponent and mantissa is NaN; float8e4m3fn
  Fnuz,   // no inf, no -0: 0x80 is the only NaN; float8e4m3fnuz, float8e5m2fnuz
  None,   // neither inf nor NaN; float4e2m1
};

struct MiniFloat {
  int exp_bits;
  int man_bits;
  int bias;
  Specials specials;

  int total_bits() const { return 1 + exp_bits + man_bits; }
  uint32_t sign_bit() const { return 1u << (exp_bits + man_bits); }
  uint32_t exp_mask() const { return (1u << exp_bits) - 1; }
  uint32_t man_mask() const { return (1u << man_bits) - 1; }
  int min_normal_exp() const { return 1 - bias; }
  // Bits of the largest finite value (positive).
  uint32_t max_bits() const {
    switch (specials) {
      case Specials::Ieee: return ((exp_mask() - 1) << man_bits) | man_mask();
      case Specials::Fn: return (exp_mask() << man_bits) | (man_mask() - 1);
      case Specials::Fnuz:
      case Specials::None: return (exp_mask() << man_bits) | man_mask();
    }
    return 0;
  }
};

constexpr MiniFloat kF16{5, 10, 15, Specials::Ieee};
constexpr MiniFloat kE4M3FN{4, 3, 7, Specials::Fn};
constexpr MiniFloat kE4M3FNUZ{4, 3, 8, Specials::Fnuz};
constexpr MiniFloat kE5M2{5, 2, 15, Specials::Ieee};
constexpr MiniFloat kE5M2FNUZ{5, 2, 16, Specials::Fnuz};
constexpr MiniFloat kE2M1{2, 1, 1, Specials::None};

double decode(uint32_t bits, const MiniFloat& f) {
  const bool negative = (bits & f.sign_bit()) != 0;
  const uint32_t exp = (bits >> f.man_bits) & f.exp_mask();
  const uint32_t man = bits & f.man_mask();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  switch (f.specials) {
    case Specials::Ieee:
      if (exp == f.exp_mask()) {
        if (man != 0) return negative ? -nan : nan;
        return negative ? -HUGE_VAL : HUGE_VAL;
      }
      break;
    case Specials::Fn:
      if (exp == f.exp_mask() && man == f.man_mask()) return negative ? -nan : nan;
      break;
    case Specials::Fnuz:
      if (bits == f.sign_bit()) return -nan;  // the NaN code is "negative zero": keep its sign, as ml_dtypes does
      break;
    case Specials::None:
      break;
  }
  double magnitude = exp == 0 ? std::ldexp(static_cast<double>(man), f.min_normal_exp() - f.man_bits)
                              : std::ldexp(static_cast<double>(man | (1u << f.man_bits)),
                                           static_cast<int>(exp) - f.bias - f.man_bits);
  return negative ? -magnitude : magnitude;
}

// What an out-of-range value (including +-inf) becomes.
uint32_t overflow_bits(const MiniFloat& f, uint32_t sign, bool saturate) {
  if (saturate) return sign | f.max_bits();
  switch (f.specials) {
    case Specials::Ieee: return sign | (f.exp_mask() << f.man_bits);
    case Specials::Fn: return sign | (f.exp_mask() << f.man_bits) | f.man_mask();
    case Specials::Fnuz: return f.sign_bit();
    case Specials::None: return sign | f.max_bits();
  }
  return 0;
}

// Rounds v to the nearest representable value, ties to even. Scaling by powers of two is exact
// in double for every format here, so nearbyint() is the only rounding step.
uint32_t encode(double v, const MiniFloat& f, bool saturate) {
  const uint32_t sign = std::signbit(v) ? f.sign_bit() : 0;
  if (std::isnan(v)) {
    switch (f.specials) {
      case Specials::Ieee: return sign | (f.exp_mask() << f.man_bits) | (1u << (f.man_bits - 1));
      case Specials::Fn: return sign | (f.exp_mask() << f.man_bits) | f.man_mask();
      case Specials::Fnuz: return f.sign_bit();
      case Specials::None: return sign ^ f.sign_bit();
    }
  }
  const double a = std::fabs(v);
  if (std::isinf(a)) return overflow_bits(f, sign, saturate);
  const uint32_t zero = f.specials == Specials::Fnuz ? 0 : sign;
  if (a == 0) return zero;

  int e = std::max(std::ilogb(a), f.min_normal_exp());
  double q = std::nearbyint(std::ldexp(a, f.man_bits - e));
  if (q == 0) return zero;
  if (q >= std::ldexp(1.0, f.man_bits + 1)) {  // rounded up into the next binade
    q /= 2;
    ++e;
  }
  const bool subnormal = q < std::ldexp(1.0, f.man_bits);
  const int biased = subnormal ? 0 : e + f.bias;
  if (biased > static_cast<int>(f.exp_mask())) return overflow_bits(f, sign, saturate);
  const uint32_t bits =
      (static_cast<uint32_t>(biased) << f.man_bits) | (static_cast<uint32_t>(q) & f.man_mask());
  if (bits > f.max_bits()) return overflow_bits(f, sign, saturate);
  return sign | bits;
}

// Every value of an 8-bit format, decoded once.
template <const MiniFloat& F>
const std::array<float, 256>& table8() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (uint32_t b = 0; b < 256; ++b) t[b] = static_cast<float>(decode(b, F));
    return t;
  }();
  return table;
}

const std::array<float, 256>& e8m0_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int b = 0; b < 255; ++b) t[b] = std::ldexp(1.0f, b - 127);
    t[255] = std::numeric_limits<float>::quiet_NaN();
    return t;
  }();
  return table;
}

// Truncates toward zero and returns the two's complement bits, so every integer target takes its
// low bits (the spec's "discard higher bits" rule, also what numpy and ml_dtypes do on x86). NaN and
// values outside [-2^63, 2^64) have no integer meaning; they give INT64_MIN's bits like x86's
// cvttsd2si, never undefined behaviour.
uint64_t f64_to_int_bits(double v) {
  const double t = std::trunc(v);
  if (t >= -0x1p63 && t < 0x1p63) return static_cast<uint64_t>(static_cast<int64_t>(t));
  if (t >= 0x1p63 && t < 0x1p64) return static_cast<uint64_t>(t);
  return uint64_t{1} << 63;
}

template <class T>
void to_f64_loop(const T* src, double* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<double>(src[i]);
}

template <class T>
void int_from_f64_loop(const double* src, T* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(f64_to_int_bits(src[i]));
}

template <class Fn>
void narrow_from_f64_loop(const double* src, uint8_t* dst, int64_t n, Fn encode_one) {
  for (int64_t i = 0; i < n; ++i) dst[i] = encode_one(static_cast<float>(src[i]));
}

}  // namespace

float f16_to_f32(uint16_t bits) noexcept {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exp = (bits >> 10) & 0x1fu;
  const uint32_t man = bits & 0x3ffu;
  if (exp == 0) {
    const float magnitude = static_cast<float>(man) * 0x1p-24f;  // exact: man < 2^10
    return std::bit_cast<float>(std::bit_cast<uint32_t>(magnitude) | sign);
  }
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (man << 13));
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t f32_to_f16(float v) noexcept {
  uint32_t x = std::bit_cast<uint32_t>(v);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  x &= 0x7fffffffu;
  if (x > 0x7f800000u) return sign | 0x7e00u | static_cast<uint16_t>((x >> 13) & 0x3ffu);  // quiet NaN
  if (x >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds past 65504: inf (also inf itself)
  if (x < 0x38800000u) {
    // Below the smallest normal half (2^-14). Adding 0.5 puts the float's last mantissa bit at
    // 2^-24, the half subnormal step, so the FPU's own round-to-nearest-even does the rounding;
    // a result of 1024 lands exactly on the smallest normal's encoding.
    const float shifted = std::bit_cast<float>(x) + 0.5f;
    return sign | static_cast<uint16_t>(std::bit_cast<uint32_t>(shifted) - 0x3f000000u);
  }
  const uint32_t odd = (x >> 13) & 1u;
  x += (static_cast<uint32_t>(15 - 127) << 23) + 0xfffu + odd;  // rebias, round half to even
  return sign | static_cast<uint16_t>(x >> 13);
}

float bf16_to_f32(uint16_t bits) noexcept { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

uint16_t f32_to_bf16(float v) noexcept {
  const uint32_t x = std::bit_cast<uint32_t>(v);
  // Truncating a NaN whose payload sits in the low 16 bits would leave inf: force the quiet bit.
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

float f8e4m3fn_to_f32(uint8_t bits) noexcept { return table8<kE4M3FN>()[bits]; }
uint8_t f32_to_f8e4m3fn(float v, bool saturate) noexcept {
  return static_cast<uint8_t>(encode(v, kE4M3FN, saturate));
}
float f8e4m3fnuz_to_f32(uint8_t bits) noexcept { return table8<kE4M3FNUZ>()[bits]; }
uint8_t f32_to_f8e4m3fnuz(float v, bool saturate) noexcept {
  return static_cast<uint8_t>(encode(v, kE4M3FNUZ, saturate));
}
float f8e5m2_to_f32(uint8_t bits) noexcept { return table8<kE5M2>()[bits]; }
uint8_t f32_to_f8e5m2(float v, bool saturate) noexcept {
  return static_cast<uint8_t>(encode(v, kE5M2, saturate));
}
float f8e5m2fnuz_to_f32(uint8_t bits) noexcept { return table8<kE5M2FNUZ>()[bits]; }
uint8_t f32_to_f8e5m2fnuz(float v, bool saturate) noexcept {
  return static_cast<uint8_t>(encode(v, kE5M2FNUZ, saturate));
}

float f8e8m0_to_f32(uint8_t bits) noexcept { return e8m0_table()[bits]; }

// Rounds |v| up to a power of two. The spec's table fixes the special values: NaN stays NaN;
// inf, overflow, zero and values below 2^-127 clamp to the ends of the range when saturating and
// become NaN otherwise. The sign is ignored (negative inputs are unspecified; the reference
// implementation drops the sign too).
uint8_t f32_to_f8e8m0(float v, bool saturate) noexcept {
  if (std::isnan(v)) return 0xff;
  const float a = std::fabs(v);
  if (std::isinf(a)) return saturate ? 0xfe : 0xff;
  if (a == 0) return saturate ? 0x00 : 0xff;
  const int k = std::ilogb(a);
  const int e = k + (a != std::ldexp(1.0f, k) ? 1 : 0) + 127;
  if (e > 254) return saturate ? 0xfe : 0xff;
  if (e < 0) return saturate ? 0x00 : 0xff;
  return static_cast<uint8_t>(e);
}

float f4e2m1_to_f32(uint8_t nibble) noexcept {
  static constexpr float kValues[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                        -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};
  return kValues[nibble & 0xfu];
}

uint8_t f32_to_f4e2m1(float v) noexcept { return static_cast<uint8_t>(encode(v, kE2M1, true)); }

uint8_t packed_get(const uint8_t* data, int64_t i, int bits) noexcept {
  const int64_t per_byte = 8 / bits;
  const int shift = static_cast<int>(i % per_byte) * bits;
  return static_cast<uint8_t>((data[i / per_byte] >> shift) & ((1u << bits) - 1));
}

void packed_set(uint8_t* data, int64_t i, int bits, uint8_t value) noexcept {
  const int64_t per_byte = 8 / bits;
  const int shift = static_cast<int>(i % per_byte) * bits;
  const uint32_t mask = ((1u << bits) - 1) << shift;
  uint8_t& byte = data[i / per_byte];
  byte = static_cast<uint8_t>((byte & ~mask) | ((static_cast<uint32_t>(value) << shift) & mask));
}

int8_t sign_extend(uint8_t field, int bits) noexcept {
  const int unused = 8 - bits;
  return static_cast<int8_t>(static_cast<int8_t>(field << unused) >> unused);
}

void convert_to_f64(DataType src_type, const void* src, double* dst, int64_t n) {
  const auto* bytes = static_cast<const uint8_t*>(src);
  switch (src_type) {
    case DataType::Float: return to_f64_loop(static_cast<const float*>(src), dst, n);
    case DataType::Double: return to_f64_loop(static_cast<const double*>(src), dst, n);
    case DataType::Int8: return to_f64_loop(static_cast<const int8_t*>(src), dst, n);
    case DataType::Int16: return to_f64_loop(static_cast<const int16_t*>(src), dst, n);
    case DataType::Int32: return to_f64_loop(static_cast<const int32_t*>(src), dst, n);
    case DataType::Int64: return to_f64_loop(static_cast<const int64_t*>(src), dst, n);
    case DataType::UInt8: return to_f64_loop(static_cast<const uint8_t*>(src), dst, n);
    case DataType::UInt16: return to_f64_loop(static_cast<const uint16_t*>(src), dst, n);
    case DataType::UInt32: return to_f64_loop(static_cast<const uint32_t*>(src), dst, n);
    case DataType::UInt64: return to_f64_loop(static_cast<const uint64_t*>(src), dst, n);
    case DataType::Bool: return to_f64_loop(static_cast<const bool*>(src), dst, n);
    case DataType::Float16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(s[i]);
      return;
    }
    case DataType::BFloat16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
      return;
    }
    case DataType::Float8E4M3FN:
    case DataType::Float8E4M3FNUZ:
    case DataType::Float8E5M2:
    case DataType::Float8E5M2FNUZ:
    case DataType::Float8E8M0: {
      const std::array<float, 256>& t = src_type == DataType::Float8E4M3FN     ? table8<kE4M3FN>()
                                        : src_type == DataType::Float8E4M3FNUZ ? table8<kE4M3FNUZ>()
                                        : src_type == DataType::Float8E5M2     ? table8<kE5M2>()
                                        : src_type == DataType::Float8E5M2FNUZ ? table8<kE5M2FNUZ>()
                                                                               : e8m0_table();
      for (int64_t i = 0; i < n; ++i) dst[i] = t[bytes[i]];
      return;
    }
    case DataType::Float4E2M1:
      for (int64_t i = 0; i < n; ++i) dst[i] = f4e2m1_to_f32(packed_get(bytes, i, 4));
      return;
    case DataType::Int4:
    case DataType::Int2: {
      const int bits = element_bits(src_type);
      for (int64_t i = 0; i < n; ++i) dst[i] = sign_extend(packed_get(bytes, i, bits), bits);
      return;
    }
    case DataType::UInt4:
    case DataType::UInt2: {
      const int bits = element_bits(src_type);
      for (int64_t i = 0; i < n; ++i) dst[i] = packed_get(bytes, i, bits);
      return;
    }
    default:
      fail(ErrorCode::NotImplemented,
           cat("convert_to_f64: element type ", dtype_name(src_type), " has no numeric value"));
  }
}

void convert_from_f64(DataType dst_type, const double* src, void* dst, int64_t n, bool saturate) {
  auto* bytes = static_cast<uint8_t*>(dst);
  switch (dst_type) {
    case DataType::Float: {
      auto* d = static_cast<float*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = static_cast<float>(src[i]);
      return;
    }
    case DataType::Double: std::memmove(dst, src, static_cast<size_t>(n) * sizeof(double)); return;
    case DataType::Int8: return int_from_f64_loop(src, static_cast<int8_t*>(dst), n);
    case DataType::Int16: return int_from_f64_loop(src, static_cast<int16_t*>(dst), n);
    case DataType::Int32: return int_from_f64_loop(src, static_cast<int32_t*>(dst), n);
    case DataType::Int64: return int_from_f64_loop(src, static_cast<int64_t*>(dst), n);
    case DataType::UInt8: return int_from_f64_loop(src, static_cast<uint8_t*>(dst), n);
    case DataType::UInt16: return int_from_f64_loop(src, static_cast<uint16_t*>(dst), n);
    case DataType::UInt32: return int_from_f64_loop(src, static_cast<uint32_t*>(dst), n);
    case DataType::UInt64: return int_from_f64_loop(src, static_cast<uint64_t*>(dst), n);
    case DataType::Bool: {
      auto* d = static_cast<bool*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = src[i] != 0;  // NaN is nonzero: true
      return;
    }
    case DataType::Float16: {
      auto* d = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = static_cast<uint16_t>(encode(src[i], kF16, false));
      return;
    }
    case DataType::BFloat16: {
      auto* d = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(static_cast<float>(src[i]));
      return;
    }
    case DataType::Float8E4M3FN:
      return narrow_from_f64_loop(src, bytes, n, [&](float v) { return f32_to_f8e4m3fn(v, saturate); });
    case DataType::Float8E4M3FNUZ:
      return narrow_from_f64_loop(src, bytes, n, [&](float v) { return f32_to_f8e4m3fnuz(v, saturate); });
    case DataType::Float8E5M2:
      return narrow_from_f64_loop(src, bytes, n, [&](float v) { return f32_to_f8e5m2(v, saturate); });
    case DataType::Float8E5M2FNUZ:
      return narrow_from_f64_loop(src, bytes, n, [&](float v) { return f32_to_f8e5m2fnuz(v, saturate); });
    case DataType::Float8E8M0:
      return narrow_from_f64_loop(src, bytes, n, [&](float v) { return f32_to_f8e8m0(v, saturate); });
    case DataType::Float4E2M1:
      for (int64_t i = 0; i < n; ++i) packed_set(bytes, i, 4, f32_to_f4e2m1(static_cast<float>(src[i])));
      return;
    case DataType::Int4:
    case DataType::UInt4:
    case DataType::Int2:
    case DataType::UInt2: {
      // Out of range is undefined in the spec; like the reference (ml_dtypes 0.7, which makes the
      // node tests' expected data) such values, and NaN, become 0 rather than wrapping around.
      const int bits = element_bits(dst_type);
      const bool is_signed = dst_type == DataType::Int4 || dst_type == DataType::Int2;
      const double hi = is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
      const double lo = is_signed ? -(1 << (bits - 1)) : 0;
      for (int64_t i = 0; i < n; ++i) {
        const double t = std::trunc(src[i]);
        const int64_t v = (t >= lo && t <= hi) ? static_cast<int64_t>(t) : 0;
        packed_set(bytes, i, bits, static_cast<uint8_t>(v));
      }
      return;
    }
    default:
      fail(ErrorCode::NotImplemented,
           cat("convert_from_f64: element type ", dtype_name(dst_type), " has no numeric value"));
  }
}

}  // namespace onnxi
