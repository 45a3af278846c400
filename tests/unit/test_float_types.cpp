// Narrow float formats against the bit patterns of the ONNX spec (Cast's float8 tables, the
// float8/float4 technical notes) and of ml_dtypes, which the ONNX reference implementation uses.
// Every expected pattern below was cross-checked with ml_dtypes 0.6 / onnx.numpy_helper.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "onnxi/float_types.h"

using namespace onnxi;

namespace {

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

bool is_f16_nan(uint16_t bits) { return (bits & 0x7c00u) == 0x7c00u && (bits & 0x3ffu) != 0; }
bool is_bf16_nan(uint16_t bits) { return (bits & 0x7f80u) == 0x7f80u && (bits & 0x7fu) != 0; }

struct Case {
  float in;
  uint8_t saturated;
  uint8_t unsaturated;
};

template <class Fn>
void check_cases(const std::vector<Case>& cases, Fn convert) {
  for (const Case& c : cases) {
    CAPTURE(c.in);
    CHECK(convert(c.in, true) == c.saturated);
    CHECK(convert(c.in, false) == c.unsaturated);
  }
}

}  // namespace

TEST_CASE("float16: round to nearest even, overflow to inf, subnormals") {
  CHECK(f32_to_f16(0.0f) == 0x0000);
  CHECK(f32_to_f16(-0.0f) == 0x8000);
  CHECK(f32_to_f16(1.0f) == 0x3c00);
  CHECK(f32_to_f16(65504.0f) == 0x7bff);                    // max finite
  CHECK(f32_to_f16(65519.0f) == 0x7bff);                    // just under the halfway point
  CHECK(f32_to_f16(65520.0f) == 0x7c00);                    // halfway to 2^16 ties to even: inf
  CHECK(f32_to_f16(kInf) == 0x7c00);
  CHECK(f32_to_f16(-kInf) == 0xfc00);
  CHECK(f32_to_f16(std::ldexp(1.0f, -24)) == 0x0001);       // smallest subnormal
  CHECK(f32_to_f16(std::ldexp(1.0f, -25)) == 0x0000);       // tie between 0 and 1 step: even
  CHECK(f32_to_f16(std::ldexp(3.0f, -25)) == 0x0002);       // tie between 1 and 2 steps: even
  CHECK(f32_to_f16(std::ldexp(1.0f, -14)) == 0x0400);       // smallest normal
  CHECK(f32_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);  // tie: mantissa stays even
  CHECK(f32_to_f16(1.0f + std::ldexp(3.0f, -11)) == 0x3c02);  // tie: rounds up to even
  CHECK(is_f16_nan(f32_to_f16(kNaN)));
  CHECK(is_f16_nan(f32_to_f16(std::bit_cast<float>(0x7f800001u))));  // payload only in low bits
  CHECK((f32_to_f16(-kNaN) & 0x8000) != 0);

  CHECK(f16_to_f32(0x7bff) == 65504.0f);
  CHECK(f16_to_f32(0x0001) == std::ldexp(1.0f, -24));
  CHECK(f16_to_f32(0x03ff) == std::ldexp(1023.0f, -24));
  CHECK(std::signbit(f16_to_f32(0x8000)));
  CHECK(f16_to_f32(0x7c00) == kInf);
  CHECK(f16_to_f32(0xfc00) == -kInf);
  CHECK(std::isnan(f16_to_f32(0x7e00)));
  // Every finite half survives a round trip through float.
  for (uint32_t b = 0; b < 0x10000; ++b) {
    auto h = static_cast<uint16_t>(b);
    if (is_f16_nan(h)) continue;
    REQUIRE(f32_to_f16(f16_to_f32(h)) == h);
  }
}

TEST_CASE("bfloat16: round to nearest even, NaN stays NaN") {
  CHECK(f32_to_bf16(1.0f) == 0x3f80);
  CHECK(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);   // tie: even
  CHECK(f32_to_bf16(1.0f + std::ldexp(3.0f, -8)) == 0x3f82);   // tie: up to even
  CHECK(f32_to_bf16(-2.0f) == 0xc000);
  CHECK(f32_to_bf16(std::numeric_limits<float>::max()) == 0x7f80);  // rounds past max: inf
  CHECK(is_bf16_nan(f32_to_bf16(std::bit_cast<float>(0x7f800001u))));  // truncation alone gives inf
  CHECK(f32_to_bf16(-kNaN) == 0xffc0);
  CHECK(bf16_to_f32(0x3f80) == 1.0f);
  CHECK(bf16_to_f32(0xff80) == -kInf);
  CHECK(std::isnan(bf16_to_f32(0x7fc0)));
}

TEST_CASE("float8e4m3fn: no inf; saturate clamps to 448, otherwise NaN") {
  check_cases({{448.0f, 0x7e, 0x7e},
               {-448.0f, 0xfe, 0xfe},
               {464.0f, 0x7e, 0x7e},  // halfway to 480 ties to even 448
               {480.0f, 0x7e, 0x7f},
               {kInf, 0x7e, 0x7f},
               {-kInf, 0xfe, 0xff},
               {kNaN, 0x7f, 0x7f},
               {-0.0f, 0x80, 0x80},
               {std::ldexp(1.0f, -9), 0x01, 0x01},   // smallest subnormal
               {std::ldexp(1.0f, -10), 0x00, 0x00},  // half of it ties to 0
               {std::ldexp(3.0f, -10), 0x02, 0x02},
               {-std::ldexp(1.0f, -10), 0x80, 0x80},  // keeps its sign: -0
               {1e-7f, 0x00, 0x00}},
              [](float v, bool s) { return f32_to_f8e4m3fn(v, s); });
  CHECK(f8e4m3fn_to_f32(0x7e) == 448.0f);
  CHECK(f8e4m3fn_to_f32(0x01) == std::ldexp(1.0f, -9));
  CHECK(f8e4m3fn_to_f32(0x08) == std::ldexp(1.0f, -6));
  CHECK(std::isnan(f8e4m3fn_to_f32(0x7f)));
  CHECK(std::isnan(f8e4m3fn_to_f32(0xff)));
  CHECK(f8e4m3fn_to_f32(0x78) == 256.0f);  // exponent 1111 is a normal binade here
}

TEST_CASE("float8e4m3fnuz: one NaN (0x80), no negative zero") {
  check_cases({{240.0f, 0x7f, 0x7f},
               {-240.0f, 0xff, 0xff},
               {256.0f, 0x7f, 0x80},
               {kInf, 0x7f, 0x80},
               {-kInf, 0xff, 0x80},
               {kNaN, 0x80, 0x80},
               {-kNaN, 0x80, 0x80},
               {-0.0f, 0x00, 0x00},
               {-std::ldexp(1.0f, -12), 0x00, 0x00},  // rounds to zero: +0, never the NaN code
               {std::ldexp(1.0f, -10), 0x01, 0x01}},
              [](float v, bool s) { return f32_to_f8e4m3fnuz(v, s); });
  CHECK(std::isnan(f8e4m3fnuz_to_f32(0x80)));
  CHECK(f8e4m3fnuz_to_f32(0x7f) == 240.0f);
  CHECK(f8e4m3fnuz_to_f32(0x00) == 0.0f);
  CHECK_FALSE(std::signbit(f8e4m3fnuz_to_f32(0x00)));
}

TEST_CASE("float8e5m2: IEEE-like; non-saturating overflow gives inf") {
  check_cases({{57344.0f, 0x7b, 0x7b},
               {61439.0f, 0x7b, 0x7b},
               {61440.0f, 0x7b, 0x7c},  // halfway to 65536 ties to even: overflow
               {kInf, 0x7b, 0x7c},
               {-kInf, 0xfb, 0xfc},
               {-0.0f, 0x80, 0x80},
               {std::ldexp(1.0f, -16), 0x01, 0x01},
               {std::ldexp(1.0f, -17), 0x00, 0x00}},
              [](float v, bool s) { return f32_to_f8e5m2(v, s); });
  const uint8_t nan = f32_to_f8e5m2(kNaN, true);
  CHECK((nan & 0x7c) == 0x7c);
  CHECK((nan & 0x03) != 0);
  CHECK(f8e5m2_to_f32(0x7b) == 57344.0f);
  CHECK(f8e5m2_to_f32(0x7c) == kInf);
  CHECK(f8e5m2_to_f32(0xfc) == -kInf);
  CHECK(std::isnan(f8e5m2_to_f32(0x7d)));
}

TEST_CASE("float8e5m2fnuz") {
  check_cases({{57344.0f, 0x7f, 0x7f},
               {61440.0f, 0x7f, 0x80},
               {kInf, 0x7f, 0x80},
               {-kInf, 0xff, 0x80},
               {kNaN, 0x80, 0x80},
               {-0.0f, 0x00, 0x00},
               {std::ldexp(1.0f, -17), 0x01, 0x01}},
              [](float v, bool s) { return f32_to_f8e5m2fnuz(v, s); });
  CHECK(std::isnan(f8e5m2fnuz_to_f32(0x80)));
  CHECK(f8e5m2fnuz_to_f32(0x7f) == 57344.0f);
}

TEST_CASE("float8: every non-NaN code survives a round trip") {
  for (uint32_t b = 0; b < 256; ++b) {
    auto c = static_cast<uint8_t>(b);
    CAPTURE(b);
    if (!std::isnan(f8e4m3fn_to_f32(c))) CHECK(f32_to_f8e4m3fn(f8e4m3fn_to_f32(c), false) == c);
    if (!std::isnan(f8e4m3fnuz_to_f32(c))) CHECK(f32_to_f8e4m3fnuz(f8e4m3fnuz_to_f32(c), false) == c);
    if (!std::isnan(f8e5m2_to_f32(c))) CHECK(f32_to_f8e5m2(f8e5m2_to_f32(c), false) == c);
    if (!std::isnan(f8e5m2fnuz_to_f32(c))) CHECK(f32_to_f8e5m2fnuz(f8e5m2fnuz_to_f32(c), false) == c);
    if (c != 0xff) CHECK(f32_to_f8e8m0(f8e8m0_to_f32(c), false) == c);
  }
}

TEST_CASE("float8e8m0: powers of two, rounding up by default") {
  CHECK(f32_to_f8e8m0(1.0f) == 0x7f);
  CHECK(f32_to_f8e8m0(1.1f) == 0x80);
  CHECK(f32_to_f8e8m0(0.25f) == 0x7d);
  CHECK(f32_to_f8e8m0(0.124f) == 0x7c);
  CHECK(f32_to_f8e8m0(std::ldexp(1.0f, 127)) == 0xfe);
  CHECK(f32_to_f8e8m0(std::ldexp(1.5f, 127), true) == 0xfe);   // would round past the top
  CHECK(f32_to_f8e8m0(std::ldexp(1.5f, 127), false) == 0xff);
  // Special values as the spec's table gives them.
  CHECK(f32_to_f8e8m0(kNaN) == 0xff);
  CHECK(f32_to_f8e8m0(kInf, true) == 0xfe);
  CHECK(f32_to_f8e8m0(kInf, false) == 0xff);
  CHECK(f32_to_f8e8m0(0.0f, true) == 0x00);
  CHECK(f32_to_f8e8m0(0.0f, false) == 0xff);
  CHECK(f8e8m0_to_f32(0x00) == std::ldexp(1.0f, -127));
  CHECK(f8e8m0_to_f32(0x7f) == 1.0f);
  CHECK(f8e8m0_to_f32(0xfe) == std::ldexp(1.0f, 127));
  CHECK(std::isnan(f8e8m0_to_f32(0xff)));
}

TEST_CASE("float4e2m1: saturating, ties to even, NaN as ml_dtypes maps it") {
  const float values[16] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0.0f, -0.5f, -1, -1.5f, -2, -3, -4, -6};
  for (uint8_t c = 0; c < 16; ++c) {
    CHECK(f4e2m1_to_f32(c) == values[c]);
    CHECK(std::signbit(f4e2m1_to_f32(c)) == (c >= 8));
    CHECK(f32_to_f4e2m1(values[c]) == c);
  }
  CHECK(f32_to_f4e2m1(0.25f) == 0x0);  // tie between 0 and 0.5
  CHECK(f32_to_f4e2m1(0.75f) == 0x2);  // tie between 0.5 and 1
  CHECK(f32_to_f4e2m1(2.5f) == 0x4);   // tie between 2 and 3
  CHECK(f32_to_f4e2m1(5.0f) == 0x6);   // tie between 4 and 6
  CHECK(f32_to_f4e2m1(-3.5f) == 0xe);
  CHECK(f32_to_f4e2m1(1e6f) == 0x7);
  CHECK(f32_to_f4e2m1(-kInf) == 0xf);
  CHECK(f32_to_f4e2m1(kNaN) == 0x8);
  CHECK(f32_to_f4e2m1(-kNaN) == 0x0);
}

TEST_CASE("packed sub-byte accessors") {
  uint8_t data[2] = {0, 0};
  packed_set(data, 0, 4, 0x3);
  packed_set(data, 1, 4, 0xc);
  packed_set(data, 2, 4, 0xf);
  CHECK(data[0] == 0xc3);
  CHECK(data[1] == 0x0f);
  packed_set(data, 1, 4, 0x1);  // overwrites only its own nibble
  CHECK(data[0] == 0x13);
  CHECK(packed_get(data, 0, 4) == 0x3);
  CHECK(packed_get(data, 2, 4) == 0xf);

  uint8_t two[1] = {0};
  for (int i = 0; i < 4; ++i) packed_set(two, i, 2, static_cast<uint8_t>(i));
  CHECK(two[0] == 0xe4);  // 3,2,1,0 from the high bits down
  for (int i = 0; i < 4; ++i) CHECK(packed_get(two, i, 2) == i);

  CHECK(sign_extend(0x8, 4) == -8);
  CHECK(sign_extend(0x7, 4) == 7);
  CHECK(sign_extend(0xf, 4) == -1);
  CHECK(sign_extend(0x2, 2) == -2);
  CHECK(sign_extend(0x1, 2) == 1);
}

TEST_CASE("convert_from_f64 / convert_to_f64 over every numeric type") {
  const std::vector<double> in = {0.0, 1.0, -2.5, 300.0};
  SUBCASE("integers truncate toward zero; wide ones keep the low bits") {
    int8_t i8[4];
    convert_from_f64(DataType::Int8, in.data(), i8, 4);
    CHECK(std::vector<int>(i8, i8 + 4) == std::vector<int>{0, 1, -2, 44});
    uint8_t u8[4];
    convert_from_f64(DataType::UInt8, in.data(), u8, 4);
    CHECK(std::vector<int>(u8, u8 + 4) == std::vector<int>{0, 1, 254, 44});
    uint8_t i4[2] = {0, 0};
    convert_from_f64(DataType::Int4, in.data(), i4, 4);
    double back[4];
    convert_to_f64(DataType::Int4, i4, back, 4);
    // Packed targets: out of range (undefined in the spec) gives 0, as the reference does.
    CHECK(std::vector<double>(back, back + 4) == std::vector<double>{0, 1, -2, 0});
    convert_from_f64(DataType::UInt2, in.data(), i4, 4);
    convert_to_f64(DataType::UInt2, i4, back, 4);
    CHECK(std::vector<double>(back, back + 4) == std::vector<double>{0, 1, 0, 0});
  }
  SUBCASE("values beyond int64 and NaN never hit undefined behaviour") {
    const double odd[3] = {1e19, std::nan(""), -1e30};
    int64_t out[3];
    convert_from_f64(DataType::Int64, odd, out, 3);
    CHECK(out[0] == static_cast<int64_t>(10000000000000000000ull));  // uint64 range wraps
    CHECK(out[1] == std::numeric_limits<int64_t>::min());
    CHECK(out[2] == std::numeric_limits<int64_t>::min());
  }
  SUBCASE("bool: zero is false, NaN is true") {
    const double b[3] = {0.0, -0.0, std::nan("")};
    bool out[3];
    convert_from_f64(DataType::Bool, b, out, 3);
    CHECK_FALSE(out[0]);
    CHECK_FALSE(out[1]);
    CHECK(out[2]);
  }
  SUBCASE("double -> float16 rounds once") {
    const double v = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);  // just above a tie
    uint16_t h;
    convert_from_f64(DataType::Float16, &v, &h, 1);
    CHECK(h == 0x3c01);
  }
  SUBCASE("every type round-trips small integers") {
    const DataType types[] = {DataType::Float,         DataType::Double,         DataType::Float16,
                              DataType::BFloat16,      DataType::Float8E4M3FN,   DataType::Float8E4M3FNUZ,
                              DataType::Float8E5M2,    DataType::Float8E5M2FNUZ, DataType::Int8,
                              DataType::Int16,         DataType::Int32,          DataType::Int64,
                              DataType::UInt8,         DataType::UInt16,         DataType::UInt32,
                              DataType::UInt64,        DataType::Int4,           DataType::UInt4};
    const double small[4] = {0, 1, 2, 3};
    for (DataType t : types) {
      CAPTURE(dtype_name(t));
      uint8_t buf[32] = {};
      double back[4];
      convert_from_f64(t, small, buf, 4);
      convert_to_f64(t, buf, back, 4);
      CHECK(std::vector<double>(back, back + 4) == std::vector<double>(small, small + 4));
    }
  }
  SUBCASE("strings have no numeric value") {
    double d;
    std::string s;
    CHECK_THROWS(convert_to_f64(DataType::String, &s, &d, 1));
  }
}
