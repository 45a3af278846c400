// Quantization ops through a real Session: QuantizeLinear / DequantizeLinear over their opset
// ranges (per tensor, per axis, blocked; 16-, 8-, 4- and 2-bit integers, float8, float4; saturate,
// output_dtype, precision), DynamicQuantizeLinear, MatMulInteger, QLinearMatMul, ConvInteger and
// QLinearConv. Expected values are worked out by hand in the comments or are the ONNX spec's
// examples; a few kernel-level checks pin the rounding rules.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cpu/quant.h"
#include "onnxi/error.h"
#include "onnxi/float_types.h"
#include "op_test_util.h"

namespace onnxi::test {
namespace {

Tensor f32(std::vector<float> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor u8(std::vector<uint8_t> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor i8(std::vector<int8_t> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor i32(std::vector<int32_t> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }

Tensor f16(const std::vector<float>& v, Shape s) {
  Tensor t(DataType::Float16, std::move(s));
  for (size_t i = 0; i < v.size(); ++i) t.data<uint16_t>()[i] = f32_to_f16(v[i]);
  return t;
}

// A packed sub-byte tensor (int4, uint4, int2, uint2) from small integers.
Tensor packed(DataType t, const std::vector<int>& v, Shape s) {
  Tensor out(t, std::move(s));
  for (size_t i = 0; i < v.size(); ++i) {
    packed_set(out.data<uint8_t>(), static_cast<int64_t>(i), element_bits(t), static_cast<uint8_t>(v[i]));
  }
  return out;
}

// Element values of any tensor, widened.
std::vector<double> elems(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.numel()));
  convert_to_f64(t.dtype(), t.raw(), out.data(), t.numel());
  return out;
}

Tensor run1(const char* op, const std::vector<Value>& inputs, std::vector<Attribute> attrs = {}, int64_t opset = 21) {
  return run_node(NodeRun{op, std::move(attrs), opset}, inputs).at(0).tensor();
}

// ---- QuantizeLinear ---------------------------------------------------------------------------------

struct QuantizeCase {
  const char* name;
  int64_t opset;
  std::vector<Attribute> attrs;
  std::vector<Value> inputs;  // x, y_scale[, y_zero_point]
  DataType out;
  Shape shape;
  std::vector<double> want;
};

TEST_CASE("QuantizeLinear: granularities, target types and rounding") {
  const std::vector<QuantizeCase> cases = {
      // x / 2 = 0, 1.5, 2.5, -1.5, 500, -500: half to even gives 0, 2, 2, -2; then + 128 and clamp.
      {"per tensor uint8", 10, {}, {f32({0, 3, 5, -3, 1000, -1000}, {6}), f32({2}, {}), u8({128}, {})},
       DataType::UInt8, {6}, {128, 130, 130, 126, 255, 0}},
      // No zero point: uint8, zero point 0.
      {"default uint8", 13, {}, {f32({-1, 1, 254.5f, 300}, {4}), f32({1}, {})}, DataType::UInt8, {4}, {0, 1, 254, 255}},
      // Along axis 1 (scales 1, 2, 4; zero points 0, 1, -1): 8/1, 8/2 + 1, 8/4 - 1 and -200 saturating.
      {"per axis int8", 13, {},
       {f32({8, 8, 8, -200, -200, -200}, {2, 3}), f32({1, 2, 4}, {3}), i8({0, 1, -1}, {3})}, DataType::Int8, {2, 3},
       {8, 5, 1, -128, -99, -51}},
      // Negative axis: -2 is axis 0 of a [2, 2] tensor (scales 1 and 10).
      {"negative axis", 13, {attr_int("axis", -2)}, {f32({7, 7, 70, 70}, {2, 2}), f32({1, 10}, {2}), u8({0, 0}, {2})},
       DataType::UInt8, {2, 2}, {7, 7, 7, 7}},
      // Blocks of 2 along axis 1 of [1, 5]; the last block holds one column. Scales 1, 2, 4.
      {"blocked with a short last block", 21, {attr_int("axis", 1), attr_int("block_size", 2)},
       {f32({3, 3, 12, 12, 40}, {1, 5}), f32({1, 2, 4}, {1, 3}), u8({0, 1, 2}, {1, 3})}, DataType::UInt8, {1, 5},
       {3, 3, 7, 7, 12}},
      // int16 saturates at +-32767/-32768; zero point 256.
      {"int16", 21, {},
       {f32({0, 70000, -70000, 3}, {4}), f32({2}, {}), Tensor::from_vector(std::vector<int16_t>{256}, {})},
       DataType::Int16, {4}, {256, 32767, -32768, 258}},
      // uint16 via output_dtype (no zero point).
      {"uint16 by output_dtype", 21, {attr_int("output_dtype", static_cast<int64_t>(DataType::UInt16))},
       {f32({-5, 65535.4f, 1e6f}, {3}), f32({1}, {})}, DataType::UInt16, {3}, {0, 65535, 65535}},
      // int4 range [-8, 7]; zero point 1.
      {"int4", 21, {}, {f32({2, -20, 9, 20}, {4}), f32({2}, {}), packed(DataType::Int4, {1}, {})}, DataType::Int4, {4},
       {2, -8, 5, 7}},
      {"uint4", 21, {}, {f32({-1, 15, 16, 7.5f}, {4}), f32({1}, {}), packed(DataType::UInt4, {0}, {})}, DataType::UInt4,
       {4}, {0, 15, 15, 8}},
      // int2 [-2, 1] and uint2 [0, 3] (opset 25), per axis.
      {"int2 per axis", 25, {attr_int("axis", 0)},
       {f32({1, 5, -1, -9}, {2, 2}), f32({1, 4}, {2}), packed(DataType::Int2, {0, 0}, {2})}, DataType::Int2, {2, 2},
       {1, 1, 0, -2}},
      {"uint2 by output_dtype", 25, {attr_int("output_dtype", static_cast<int64_t>(DataType::UInt2))},
       {f32({0, 1, 2, 3, 4}, {5}), f32({1}, {})}, DataType::UInt2, {5}, {0, 1, 2, 3, 3}},
      // float8e4m3fn: 200 / 2 = 100 rounds to 96 (step 8 in [64, 128)); 1e5 / 2 saturates to 448.
      {"float8e4m3fn", 19, {},
       {f32({0, 1, 200, 1e5f}, {4}), f32({2}, {}), [] {
          Tensor z(DataType::Float8E4M3FN, {});
          return z;
        }()},
       DataType::Float8E4M3FN, {4}, {0, 0.5, 96, 448}},
      // float8e5m2 saturates at 57344.
      {"float8e5m2 by output_dtype", 21, {attr_int("output_dtype", static_cast<int64_t>(DataType::Float8E5M2))},
       {f32({3, -1e6f}, {2}), f32({1}, {})}, DataType::Float8E5M2, {2}, {3, -57344}},
      // float4e2m1 (23+): 2.5 / 2 = 1.25 rounds to 1 (even mantissa), 30 saturates to 6.
      {"float4e2m1", 23, {attr_int("output_dtype", static_cast<int64_t>(DataType::Float4E2M1))},
       {f32({2.5f, 30, -3}, {3}), f32({2}, {})}, DataType::Float4E2M1, {3}, {1, 6, -1.5}},
      // int32 x (exact in float64).
      {"int32 x", 13, {}, {i32({-300, 301, 5}, {3}), f32({2}, {}), i8({0}, {})}, DataType::Int8, {3}, {-128, 127, 2}},
  };
  for (const QuantizeCase& c : cases) {
    CAPTURE(c.name);
    const Tensor y = run1("QuantizeLinear", c.inputs, c.attrs, c.opset);
    REQUIRE(y.dtype() == c.out);
    CHECK(y.shape() == c.shape);
    CHECK(elems(y) == c.want);
  }
}

TEST_CASE("QuantizeLinear: sub-byte outputs pack low bits first") {
  // int4 {1, -2, 7}: bytes 0xE1 (-2 = 0xE in the high nibble), 0x07.
  const Tensor y4 = run1("QuantizeLinear", {f32({1, -2, 7}, {3}), f32({1}, {}), packed(DataType::Int4, {0}, {})});
  REQUIRE(y4.nbytes() == 2);
  CHECK(y4.data<uint8_t>()[0] == 0xE1);
  CHECK(y4.data<uint8_t>()[1] == 0x07);
  // uint2 {0, 1, 2, 3, 3}: 0b11'10'01'00 = 0xE4, then 0x03.
  const Tensor y2 = run1("QuantizeLinear", {f32({0, 1, 2, 3, 9}, {5}), f32({1}, {})},
                         {attr_int("output_dtype", static_cast<int64_t>(DataType::UInt2))}, 25);
  REQUIRE(y2.nbytes() == 2);
  CHECK(y2.data<uint8_t>()[0] == 0xE4);
  CHECK(y2.data<uint8_t>()[1] == 0x03);
}

TEST_CASE("QuantizeLinear: saturate=0 lets float8 overflow to NaN / inf") {
  Tensor zp(DataType::Float8E4M3FN, {});
  const Tensor sat = run1("QuantizeLinear", {f32({1e5f}, {1}), f32({1}, {}), zp}, {}, 19);
  CHECK(sat.data<uint8_t>()[0] == 0x7E);  // 448
  const Tensor wrap = run1("QuantizeLinear", {f32({1e5f}, {1}), f32({1}, {}), zp}, {attr_int("saturate", 0)}, 19);
  CHECK(wrap.data<uint8_t>()[0] == 0x7F);  // e4m3fn has no inf: NaN
  Tensor zp5(DataType::Float8E5M2, {});
  const Tensor inf = run1("QuantizeLinear", {f32({-1e6f}, {1}), f32({1}, {}), zp5}, {attr_int("saturate", 0)}, 19);
  CHECK(elems(inf)[0] == -INFINITY);
}

TEST_CASE("QuantizeLinear: the division runs in the scale's or the precision attribute's type") {
  // float16 0.25 / 0.1 (0.0999755859375) is 2.50061 exactly but 2.5 in float16: half to even gives 2.
  const Tensor y16 = run1("QuantizeLinear", {f16({0.25f}, {1}), f16({0.1f}, {}), u8({0}, {})}, {}, 21);
  CHECK(elems(y16)[0] == 2);
  // The same values in float32 give 3.
  const Tensor y32 = run1("QuantizeLinear", {f32({0.25f}, {1}), f32({0.0999755859375f}, {}), u8({0}, {})}, {}, 21);
  CHECK(elems(y32)[0] == 3);
  // precision = float16 (23+): x = 34.49 becomes 34.5 first, 34.5 / 3 = 11.5 rounds to 12; without
  // it 11.4967 rounds to 11.
  const std::vector<Value> in = {f32({34.49f}, {1}), f32({3}, {}), u8({0}, {})};
  CHECK(elems(run1("QuantizeLinear", in, {}, 23))[0] == 11);
  CHECK(elems(run1("QuantizeLinear", in, {attr_int("precision", static_cast<int64_t>(DataType::Float16))}, 23))[0] ==
        12);
  // Opset 23 takes x and y_scale of different types: a float scale for float16 x divides in float32.
  CHECK(elems(run1("QuantizeLinear", {f16({0.25f}, {1}), f32({0.0999755859375f}, {}), u8({0}, {})}, {}, 23))[0] == 3);
}

TEST_CASE("QuantizeLinear: float8e8m0 scales (24+) and float16 / bfloat16 x") {
  Tensor scale(DataType::Float8E8M0, {});
  scale.data<uint8_t>()[0] = 127 + 2;  // 2^2 = 4
  const Tensor y = run1("QuantizeLinear", {f32({8, 10, -6}, {3}), scale, i8({0}, {})}, {}, 24);
  CHECK(elems(y) == std::vector<double>{2, 2, -2});  // 2.5 and -1.5 round to even
  Tensor xb(DataType::BFloat16, {2});
  xb.data<uint16_t>()[0] = f32_to_bf16(6.f);
  xb.data<uint16_t>()[1] = f32_to_bf16(-6.f);
  Tensor sb(DataType::BFloat16, {});
  sb.data<uint16_t>()[0] = f32_to_bf16(4.f);
  CHECK(elems(run1("QuantizeLinear", {xb, sb, u8({10}, {})}, {}, 19)) == std::vector<double>{12, 8});
}

TEST_CASE("QuantizeLinear: bad inputs and attributes are errors naming the problem") {
  const Tensor x = f32({1, 2, 3, 4, 5, 6}, {2, 3});
  // output_dtype disagrees with the zero point.
  CHECK_THROWS_WITH_AS(run1("QuantizeLinear", {x, f32({1}, {}), u8({0}, {})},
                            {attr_int("output_dtype", static_cast<int64_t>(DataType::Int8))}),
                       doctest::Contains("output_dtype"), Error);
  // A per-axis scale of the wrong length, and a scale shape that fits no granularity.
  CHECK_THROWS_WITH_AS(run1("QuantizeLinear", {x, f32({1, 2}, {2}), u8({0, 0}, {2})}), doctest::Contains("y_scale"),
                       Error);
  CHECK_THROWS_WITH_AS(run1("QuantizeLinear", {x, f32({1, 2, 3, 4, 5, 6}, {2, 3}), u8({0, 0, 0, 0, 0, 0}, {2, 3})},
                            {attr_int("block_size", 2)}),
                       doctest::Contains("blocked"), Error);
  // Opset 10 is per tensor only; the axis is out of range; block_size < 0.
  CHECK_THROWS_WITH_AS(run1("QuantizeLinear", {x, f32({1, 2, 3}, {3}), u8({0, 0, 0}, {3})}, {}, 10),
                       doctest::Contains("scalar"), Error);
  CHECK_THROWS_WITH_AS(run1("QuantizeLinear", {x, f32({1, 2, 3}, {3}), u8({0, 0, 0}, {3})}, {attr_int("axis", 2)}),
                       doctest::Contains("axis"), Error);
  CHECK_THROWS_WITH_AS(run1("QuantizeLinear", {x, f32({1}, {})}, {attr_int("block_size", -1)}),
                       doctest::Contains("block_size"), Error);
  // Zero point shaped unlike the scale; x of a type the opset does not take; x / scale types differ
  // before opset 23; a precision that is not a float type.
  CHECK_THROWS_WITH_AS(run1("QuantizeLinear", {x, f32({1, 2, 3}, {3}), u8({0, 0}, {2})}),
                       doctest::Contains("y_zero_point"), Error);
  CHECK_THROWS_WITH_AS(run1("QuantizeLinear", {i8({1}, {1}), f32({1}, {})}), doctest::Contains("input x"), Error);
  CHECK_THROWS_WITH_AS(run1("QuantizeLinear", {x, f16({1}, {})}, {}, 21), doctest::Contains("y_scale"), Error);
  CHECK_THROWS_WITH_AS(run1("QuantizeLinear", {x, f32({1}, {})}, {attr_int("precision", 3)}, 23),
                       doctest::Contains("precision"), Error);
  // int16 targets arrive with opset 21, float4 with 23.
  CHECK_THROWS_AS(run1("QuantizeLinear", {x, f32({1}, {}), Tensor::from_vector(std::vector<int16_t>{0}, {})}, {}, 19),
                  Error);
}

TEST_CASE("QuantizeLinear: inference gives the output type and x's dims") {
  Model m = single_node_model(NodeRun{"QuantizeLinear", {attr_int("output_dtype", 3)}, 21},
                              {f32({1, 2}, {1, 2}), f32({1}, {})});
  m.graph.inputs[0].type = TypeInfo::tensor(DataType::Float, {Dim::symbol("N"), Dim::known(2)});
  Session s = Session::from_model(m);
  CHECK(s.outputs()[0].type.str() == TypeInfo::tensor(DataType::Int8, {Dim::symbol("N"), Dim::known(2)}).str());
}

// ---- DequantizeLinear -------------------------------------------------------------------------------

TEST_CASE("DequantizeLinear: granularities and input types") {
  struct Case {
    const char* name;
    int64_t opset;
    std::vector<Attribute> attrs;
    std::vector<Value> inputs;
    std::vector<double> want;
  };
  Tensor f8(DataType::Float8E4M3FN, {3});
  f8.data<uint8_t>()[0] = f32_to_f8e4m3fn(0.5f);
  f8.data<uint8_t>()[1] = f32_to_f8e4m3fn(-104.f);
  f8.data<uint8_t>()[2] = f32_to_f8e4m3fn(448.f);
  Tensor f4(DataType::Float4E2M1, {3});
  packed_set(f4.data<uint8_t>(), 0, 4, f32_to_f4e2m1(1.5f));
  packed_set(f4.data<uint8_t>(), 1, 4, f32_to_f4e2m1(-4.f));
  packed_set(f4.data<uint8_t>(), 2, 4, f32_to_f4e2m1(6.f));
  const std::vector<Case> cases = {
      // The spec's example: (x - 128) * 2.
      {"uint8 per tensor", 10, {}, {u8({0, 3, 128, 255}, {4}), f32({2}, {}), u8({128}, {})}, {-256, -250, 0, 254}},
      {"int32 without zero point", 10, {}, {i32({-1000000, 7}, {2}), f32({0.5f}, {})}, {-500000, 3.5}},
      // Along axis 1 with scales 1, 2, 4 and zero points 0, 1, -1.
      {"per axis", 13, {}, {i8({5, 5, 5, 0, 0, 0}, {2, 3}), f32({1, 2, 4}, {3}), i8({0, 1, -1}, {3})},
       {5, 8, 24, 0, -2, 4}},
      // Blocks of 2 along axis 0 of [3, 1]: rows 0-1 scale 2, row 2 scale 10.
      {"blocked", 21, {attr_int("axis", 0), attr_int("block_size", 2)},
       {u8({1, 2, 3}, {3, 1}), f32({2, 10}, {2, 1}), u8({1, 0}, {2, 1})}, {0, 2, 30}},
      {"int16", 21, {}, {Tensor::from_vector(std::vector<int16_t>{-300, 1270}, {2}), f32({2}, {}),
                         Tensor::from_vector(std::vector<int16_t>{-1024}, {})}, {1448, 4588}},
      {"uint16", 21, {}, {Tensor::from_vector(std::vector<uint16_t>{30000, 65535}, {2}), f32({1}, {}),
                          Tensor::from_vector(std::vector<uint16_t>{32767}, {})}, {-2767, 32768}},
      // int4 {0, 7, -8} minus 1, times 2; uint4 {15} minus 1; int2 {-2, 1} minus 1; uint2 {3}.
      {"int4", 21, {}, {packed(DataType::Int4, {0, 7, -8}, {3}), f32({2}, {}), packed(DataType::Int4, {1}, {})},
       {-2, 12, -18}},
      {"uint4", 21, {}, {packed(DataType::UInt4, {15, 0}, {2}), f32({1}, {}), packed(DataType::UInt4, {1}, {})},
       {14, -1}},
      {"int2", 25, {}, {packed(DataType::Int2, {-2, 1, 0}, {3}), f32({3}, {}), packed(DataType::Int2, {1}, {})},
       {-9, 0, -3}},
      {"uint2", 25, {}, {packed(DataType::UInt2, {3, 0}, {2}), f32({1}, {})}, {3, 0}},
      {"float8e4m3fn", 19, {}, {f8, f32({2}, {})}, {1, -208, 896}},
      {"float4e2m1", 23, {}, {f4, f32({2}, {})}, {3, -8, 12}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const Tensor y = run1("DequantizeLinear", c.inputs, c.attrs, c.opset);
    REQUIRE(y.dtype() == DataType::Float);
    CHECK(elems(y) == c.want);
  }
}

TEST_CASE("DequantizeLinear: the output type follows x_scale or output_dtype") {
  // float16 scale (19+): a float16 output, rounded once from the float32 product: 3 * 0.0999755859375
  // (float16's 0.1) is 0.2999267578125, a tie in float16 that rounds to even, 0.2998046875.
  const Tensor y = run1("DequantizeLinear", {u8({3}, {1}), f16({0.1f}, {}), u8({0}, {})}, {}, 19);
  REQUIRE(y.dtype() == DataType::Float16);
  CHECK(f16_to_f32(y.data<uint16_t>()[0]) == 0.2998046875f);
  // output_dtype (23+) overrides the scale's type.
  const Tensor yb = run1("DequantizeLinear", {u8({10}, {1}), f32({0.5f}, {})},
                         {attr_int("output_dtype", static_cast<int64_t>(DataType::BFloat16))}, 23);
  REQUIRE(yb.dtype() == DataType::BFloat16);
  CHECK(bf16_to_f32(yb.data<uint16_t>()[0]) == 5.f);
  // A float8e8m0 scale (24+) needs output_dtype: it is not an output type.
  Tensor e8(DataType::Float8E8M0, {});
  e8.data<uint8_t>()[0] = 127 - 1;  // 0.5
  const Tensor ye = run1("DequantizeLinear", {i8({-6}, {1}), e8}, {attr_int("output_dtype", 1)}, 24);
  CHECK(elems(ye)[0] == -3);
  CHECK_THROWS_WITH_AS(run1("DequantizeLinear", {i8({-6}, {1}), e8}, {}, 24), doctest::Contains("output_dtype"), Error);
}

TEST_CASE("DequantizeLinear: mismatched zero points and types are errors") {
  CHECK_THROWS_WITH_AS(run1("DequantizeLinear", {u8({1}, {1}), f32({1}, {}), i8({0}, {})}),
                       doctest::Contains("x_zero_point"), Error);
  CHECK_THROWS_WITH_AS(
      run1("DequantizeLinear", {u8({1, 2}, {2}), f32({1, 2}, {2}), u8({0}, {})}, {attr_int("axis", 0)}),
      doctest::Contains("x_zero_point"), Error);
  CHECK_THROWS_WITH_AS(run1("DequantizeLinear", {f32({1}, {1}), f32({1}, {})}), doctest::Contains("input x"), Error);
  CHECK_THROWS_WITH_AS(run1("DequantizeLinear", {u8({1, 2}, {2}), f32({1, 2}, {2})}, {}, 10),
                       doctest::Contains("scalar"), Error);
  // int4 arrives with opset 21.
  CHECK_THROWS_AS(run1("DequantizeLinear", {packed(DataType::Int4, {1}, {1}), f32({1}, {})}, {}, 19), Error);
}

// ---- DynamicQuantizeLinear --------------------------------------------------------------------------

TEST_CASE("DynamicQuantizeLinear: scale and zero point cover [min(x, 0), max(x, 0)]") {
  const NodeRun dq{"DynamicQuantizeLinear", {}, 11, {}, 3};
  // The spec's example: range [-3, 2], scale 5 / 255, zero point round(3 / scale) = 153.
  auto out = run_node(dq, {f32({0, 2, -3, -2.5f, 1.34f, 0.5f}, {6})});
  CHECK(values<uint8_t>(out[0].tensor()) == std::vector<uint8_t>{153, 255, 0, 26, 221, 179});
  CHECK(out[1].tensor().data<float>()[0] == 5.f / 255.f);
  CHECK(out[1].tensor().rank() == 0);
  CHECK(values<uint8_t>(out[2].tensor()) == std::vector<uint8_t>{153});
  // All positive: the range starts at 0, so the zero point is 0; all zero: scale 1 / 255.
  out = run_node(dq, {f32({1, 2.55f}, {2})});
  CHECK(values<uint8_t>(out[2].tensor()) == std::vector<uint8_t>{0});
  CHECK(values<uint8_t>(out[0].tensor()) == std::vector<uint8_t>{100, 255});
  out = run_node(dq, {f32({0, 0}, {2})});
  CHECK(out[1].tensor().data<float>()[0] == 1.f / 255.f);
  CHECK_THROWS_AS(run_node(dq, {i32({1}, {1})}), Error);
}

// ---- MatMulInteger / QLinearMatMul ------------------------------------------------------------------

TEST_CASE("MatMulInteger: zero points per tensor, per row and per column") {
  // The spec's example: A - 12 times B.
  const Tensor y = run1("MatMulInteger", {u8({11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0}, {4, 3}),
                                          u8({1, 4, 2, 5, 3, 6}, {3, 2}), u8({12}, {1}), u8({0}, {1})},
                        {}, 10);
  CHECK(values<int32_t>(y) == std::vector<int32_t>{-38, -83, -44, -98, -50, -113, -56, -128});
  // Per row of A (zero points 1, 2) and per column of B (0, 10): A' = [[0, 1], [1, 0]],
  // B' = [[1, -8], [3, -6]] -> [[3, -6], [1, -8]].
  const Tensor y2 = run1("MatMulInteger", {u8({1, 2, 3, 2}, {2, 2}), i8({1, 2, 3, 4}, {2, 2}), u8({1, 2}, {2}),
                                           i8({0, 10}, {2})},
                         {}, 10);
  CHECK(values<int32_t>(y2) == std::vector<int32_t>{3, -6, 1, -8});
  // Batches broadcast: [2, 1, 2] x [2, 1] without zero points.
  const Tensor y3 = run1("MatMulInteger", {i8({1, 2, -3, 4}, {2, 1, 2}), i8({5, 6}, {2, 1})}, {}, 10);
  CHECK(y3.shape() == Shape{2, 1, 1});
  CHECK(values<int32_t>(y3) == std::vector<int32_t>{17, 9});
  CHECK_THROWS_WITH_AS(run1("MatMulInteger", {u8({1, 2}, {1, 2}), u8({1, 2, 3}, {3, 1})}, {}, 10),
                       doctest::Contains("inner dimensions"), Error);
  CHECK_THROWS_WITH_AS(run1("MatMulInteger", {u8({1, 2}, {1, 2}), u8({1, 2}, {2, 1}), i8({0}, {})}, {}, 10),
                       doctest::Contains("a_zero_point"), Error);
  CHECK_THROWS_WITH_AS(run1("MatMulInteger", {u8({1, 2}, {1, 2}), u8({1, 2}, {2, 1}), u8({0, 0, 0}, {3})}, {}, 10),
                       doctest::Contains("per-row"), Error);
}

TEST_CASE("QLinearMatMul: rescaling, per-row / per-column scales and float16 scales") {
  // a' = [2, 4], b' = [0, 2]^T: 8 * 0.5 * 1 / 1 = 4, plus y_zero_point 10.
  const std::vector<Value> simple = {u8({2, 4}, {1, 2}), f32({0.5f}, {}), u8({0}, {}), u8({1, 3}, {2, 1}),
                                     f32({1}, {}), u8({1}, {}), f32({1}, {}), u8({10}, {})};
  CHECK(values<uint8_t>(run1("QLinearMatMul", simple, {}, 10)) == std::vector<uint8_t>{14});
  // Per row of a (scales 1, 2) and per column of b (1, 3), y_scale 4: acc = [1, 3]^T [1, 2] =
  // [[1, 2], [3, 6]], factors [[1/4, 3/4], [2/4, 6/4]]: 0.25, 1.5, 1.5, 9 -> 0, 2, 2, 9.
  const Tensor y = run1("QLinearMatMul", {i8({1, 3}, {2, 1}), f32({1, 2}, {2, 1}), i8({0, 0}, {2, 1}),
                                          i8({1, 2}, {1, 2}), f32({1, 3}, {2}), i8({0, 0}, {2}), f32({4}, {}),
                                          i8({0}, {})},
                        {}, 21);
  CHECK(values<int8_t>(y) == std::vector<int8_t>{0, 2, 2, 9});
  // The ONNX test's data with float16 scales: 0.0066 * 0.00705 / 0.0107 in float16 is 0.0043526, not
  // the exact 0.0043494, and the outputs follow the float16 factor.
  const std::vector<int8_t> a = {81, 109, -127, 111, -124, 87, -128, -98};
  const std::vector<int8_t> b = {25, -76, 117, -67, -101, -128, -127, 0, 119, 0, 127, 120};
  const Tensor y16 = run1("QLinearMatMul", {i8(a, {2, 4}), f16({0.0066f}, {1}), i8({-14}, {1}), i8(b, {4, 3}),
                                            f16({0.00705f}, {1}), i8({-13}, {1}), f16({0.0107f}, {1}), i8({-9}, {1})});
  CHECK(values<int8_t>(y16) == std::vector<int8_t>{41, -12, -9, 1, -75, -128});
  // Errors: scales of different types, a non-scalar y_scale.
  std::vector<Value> bad = simple;
  bad[4] = f16({1}, {});
  CHECK_THROWS_AS(run1("QLinearMatMul", bad, {}, 21), Error);
  bad = simple;
  bad[6] = f32({1, 1}, {2});
  CHECK_THROWS_WITH_AS(run1("QLinearMatMul", bad, {}, 21), doctest::Contains("y_scale"), Error);
}

TEST_CASE("QLinearMatMul: float8 operands and output (21+) rescale without integer rounding") {
  Tensor a(DataType::Float8E4M3FN, {1, 2}), b(DataType::Float8E4M3FN, {2, 1}), z(DataType::Float8E4M3FN, {});
  a.data<uint8_t>()[0] = f32_to_f8e4m3fn(1.5f);
  a.data<uint8_t>()[1] = f32_to_f8e4m3fn(-2.f);
  b.data<uint8_t>()[0] = f32_to_f8e4m3fn(4.f);
  b.data<uint8_t>()[1] = f32_to_f8e4m3fn(0.5f);
  // (1.5 * 4 - 2 * 0.5) * 2 * 1 / 4 = 2.5, exact in float8e4m3fn.
  const Tensor y = run1("QLinearMatMul", {a, f32({2}, {}), z, b, f32({1}, {}), z, f32({4}, {}), z}, {}, 21);
  REQUIRE(y.dtype() == DataType::Float8E4M3FN);
  CHECK(elems(y)[0] == 2.5);
}

// ---- ConvInteger / QLinearConv ----------------------------------------------------------------------

TEST_CASE("ConvInteger: padding reads the zero point, per-channel w zero points, groups") {
  // The ONNX test: x - 1 = 1..9 on 3x3, pads 1, two 2x2 filters of ones with zero points 0 and 1 (the
  // second filter is all zero after centering).
  const Tensor y = run1("ConvInteger",
                        {u8({2, 3, 4, 5, 6, 7, 8, 9, 10}, {1, 1, 3, 3}), u8({1, 1, 1, 1, 1, 1, 1, 1}, {2, 1, 2, 2}),
                         u8({1}, {}), u8({0, 1}, {2})},
                        {attr_ints("pads", {1, 1, 1, 1})}, 10);
  CHECK(y.shape() == Shape{1, 2, 4, 4});
  std::vector<int32_t> want = {1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9};
  want.resize(32, 0);
  CHECK(values<int32_t>(y) == want);
  // Two groups of one channel, 1x1 filters 2 and -3, stride 2 on a 1x3 row: picks columns 0 and 2.
  const Tensor yg = run1("ConvInteger", {i8({1, 2, 3, 4, 5, 6}, {1, 2, 1, 3}), i8({2, -3}, {2, 1, 1, 1})},
                         {attr_int("group", 2), attr_ints("strides", {1, 2})}, 10);
  CHECK(yg.shape() == Shape{1, 2, 1, 2});
  CHECK(values<int32_t>(yg) == std::vector<int32_t>{2, 6, -12, -18});
  CHECK_THROWS_WITH_AS(run1("ConvInteger", {u8({1, 2}, {1, 2, 1, 1}), u8({1, 1}, {1, 1, 1, 1})}, {}, 10),
                       doctest::Contains("group"), Error);
  CHECK_THROWS_WITH_AS(run1("ConvInteger", {u8({1}, {1, 1, 1, 1}), u8({1}, {1, 1, 1, 1}), u8({0, 0}, {2})}, {}, 10),
                       doctest::Contains("x_zero_point"), Error);
}

TEST_CASE("QLinearConv: per-channel scales, bias and requantization") {
  // x' = x - 10 = {0, 10, 20, 30}, 1x1 filters 1 and -2, bias 4 and -8.
  // Channel 0: {4, 14, 24, 34} * 0.5 * 1 / 2 = {1, 3.5, 6, 8.5} -> {1, 4, 6, 8} + 5.
  // Channel 1: {-8, -28, -48, -68} * 0.5 * 0.25 / 2 = {-0.5, -1.75, -3, -4.25} -> {0, -2, -3, -4} + 5.
  const std::vector<Value> in = {u8({10, 20, 30, 40}, {1, 1, 2, 2}), f32({0.5f}, {}), u8({10}, {}),
                                 i8({1, -2}, {2, 1, 1, 1}), f32({1, 0.25f}, {2}), i8({0, 0}, {2}),
                                 f32({2}, {}), u8({5}, {}), i32({4, -8}, {2})};
  const Tensor y = run1("QLinearConv", in, {}, 10);
  CHECK(y.shape() == Shape{1, 2, 2, 2});
  CHECK(values<uint8_t>(y) == std::vector<uint8_t>{6, 9, 11, 13, 5, 3, 2, 1});
  std::vector<Value> bad = in;
  bad[8] = i32({1, 2, 3}, {3});
  CHECK_THROWS_WITH_AS(run1("QLinearConv", bad, {}, 10), doctest::Contains("bias"), Error);
  bad = in;
  bad[4] = f32({1, 2, 3}, {3});
  CHECK_THROWS_WITH_AS(run1("QLinearConv", bad, {}, 10), doctest::Contains("w_scale"), Error);
}

// ---- kernels ----------------------------------------------------------------------------------------

TEST_CASE("quant kernels: NaN and inf quotients, the requantization factor's precision") {
  kernels::QuantGrid g;
  g.inner = 3;
  const float x[3] = {NAN, INFINITY, -INFINITY};
  const double s = 1;
  const int32_t zp = 7;
  int8_t y[3];
  kernels::quantize_int(g, x, &s, &zp, kernels::QuantPrecision::Float32, -128, 127, y);
  CHECK(y[0] == 7);
  CHECK(y[1] == 127);
  CHECK(y[2] == -128);
  // 3 * 0.1 / 1 in float16: 0.1 is 0.0999755859375; times 3 is 0.2999267578125, a float16 tie that
  // rounds to even, 0.2998046875.
  CHECK(kernels::requant_multiplier(3, 0.0999755859375, 1, kernels::QuantPrecision::Float16) == 0.2998046875);
  CHECK(kernels::requant_multiplier(3, 0.1, 1, kernels::QuantPrecision::Float64) == 3 * 0.1);
  int32_t w[2];
  const double acc[2] = {4294967296.0 + 5, -2147483649.0};
  kernels::wrap_to_i32(acc, 2, w);
  CHECK(w[0] == 5);
  CHECK(w[1] == 2147483647);
}

}  // namespace
}  // namespace onnxi::test
