// Cast and CastLike through a real Session. Expected values follow the ONNX spec's rules and were
// cross-checked with numpy / ml_dtypes (the reference implementation's backends).
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "onnxi/float_types.h"
#include "op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor cast(const Tensor& x, DataType to, std::vector<Attribute> extra = {}, int64_t opset = 21) {
  extra.push_back(attr_int("to", static_cast<int64_t>(to)));
  NodeRun spec{"Cast", extra, opset};
  auto out = run_node(spec, {Value(x)});
  REQUIRE(out.size() == 1);
  return out[0].tensor();
}

Tensor strings(const std::vector<std::string>& v) {
  return Tensor::from_vector(v, {static_cast<int64_t>(v.size())});
}

// A tensor of a narrow type from its raw bytes.
Tensor raw_tensor(DataType t, Shape shape, const std::vector<uint8_t>& bytes) {
  Tensor x(t, std::move(shape));
  REQUIRE(x.nbytes() == bytes.size());
  std::memcpy(x.raw(), bytes.data(), bytes.size());
  return x;
}

std::vector<uint8_t> bytes_of(const Tensor& t) {
  const auto* p = static_cast<const uint8_t*>(t.raw());
  return std::vector<uint8_t>(p, p + t.nbytes());
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

}  // namespace

TEST_CASE("Cast float -> integers truncates toward zero") {
  Tensor x = Tensor::from_vector<float>({2.7f, -2.7f, 0.5f, -0.0f, 127.9f}, {5});
  CHECK(values<int32_t>(cast(x, DataType::Int32)) == std::vector<int32_t>{2, -2, 0, 0, 127});
  CHECK(values<int64_t>(cast(x, DataType::Int64)) == std::vector<int64_t>{2, -2, 0, 0, 127});
  CHECK(values<uint8_t>(cast(x, DataType::UInt8)) == std::vector<uint8_t>{2, 254, 0, 0, 127});
}

TEST_CASE("Cast between integers discards the high bits") {
  CHECK(values<int8_t>(cast(Tensor::from_vector<int16_t>({200, -200, 127}, {3}), DataType::Int8)) ==
        std::vector<int8_t>{-56, 56, 127});  // the spec's own example: 200 (int16) -> -56 (int8)
  CHECK(values<int32_t>(cast(Tensor::from_vector<int64_t>({(int64_t{1} << 32) + 5, -1}, {2}), DataType::Int32)) ==
        std::vector<int32_t>{5, -1});
  CHECK(values<uint32_t>(cast(Tensor::from_vector<int64_t>({-1}, {1}), DataType::UInt32)) ==
        std::vector<uint32_t>{4294967295u});
  CHECK(values<int64_t>(cast(Tensor::from_vector<uint64_t>({~uint64_t{0}}, {1}), DataType::Int64)) ==
        std::vector<int64_t>{-1});
  // Large int64 values convert exactly, never through double.
  const int64_t big = std::numeric_limits<int64_t>::max() - 1;
  CHECK(values<uint64_t>(cast(Tensor::from_vector<int64_t>({big}, {1}), DataType::UInt64)) ==
        std::vector<uint64_t>{static_cast<uint64_t>(big)});
}

TEST_CASE("Cast integer -> float rounds once") {
  // 2^62 + 2^38 + 1: through double it would become a tie and round down to 2^62.
  const int64_t v = (int64_t{1} << 62) + (int64_t{1} << 38) + 1;
  CHECK(values<float>(cast(Tensor::from_vector<int64_t>({v}, {1}), DataType::Float)) ==
        std::vector<float>{std::ldexp(1.0f, 62) + std::ldexp(1.0f, 39)});
  CHECK(values<double>(cast(Tensor::from_vector<int64_t>({(int64_t{1} << 53) + 1}, {1}), DataType::Double)) ==
        std::vector<double>{std::ldexp(1.0, 53)});
  CHECK(values<float>(cast(Tensor::from_vector<uint64_t>({~uint64_t{0}}, {1}), DataType::Float)) ==
        std::vector<float>{std::ldexp(1.0f, 64)});
}

TEST_CASE("Cast to and from bool") {
  Tensor x = Tensor::from_vector<float>({0.0f, -0.0f, 0.1f, kNaN, -kInf}, {5});
  CHECK(values<bool>(cast(x, DataType::Bool)) == std::vector<bool>{false, false, true, true, true});
  CHECK(values<bool>(cast(Tensor::from_vector<int64_t>({0, 36, -1}, {3}), DataType::Bool)) ==
        std::vector<bool>{false, true, true});
  Tensor b = Tensor::from_vector<bool>({true, false}, {2});
  CHECK(values<float>(cast(b, DataType::Float)) == std::vector<float>{1.0f, 0.0f});
  CHECK(values<int64_t>(cast(b, DataType::Int64)) == std::vector<int64_t>{1, 0});
}

TEST_CASE("Cast float <-> float16 / bfloat16 / double") {
  Tensor x = Tensor::from_vector<float>({1.0f, 65520.0f, -kInf, 1.0f + std::ldexp(1.0f, -11)}, {2, 2});
  Tensor h = cast(x, DataType::Float16);
  CHECK(h.shape() == Shape{2, 2});
  const auto* hb = h.data<uint16_t>();
  CHECK(std::vector<uint16_t>(hb, hb + 4) == std::vector<uint16_t>{0x3c00, 0x7c00, 0xfc00, 0x3c00});
  Tensor b = cast(x, DataType::BFloat16);
  CHECK(b.data<uint16_t>()[0] == 0x3f80);
  CHECK(values<double>(cast(Tensor::from_vector<float>({0.1f}, {1}), DataType::Double)) ==
        std::vector<double>{static_cast<double>(0.1f)});
  // double -> float16 rounds once, as numpy does.
  Tensor d = Tensor::from_vector<double>({1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)}, {1});
  CHECK(cast(d, DataType::Float16).data<uint16_t>()[0] == 0x3c01);
}

TEST_CASE("Cast to float8: saturate (default) and saturate=0") {
  Tensor x = Tensor::from_vector<float>({1000.0f, -kInf, kNaN, 0.5f, -0.0f}, {5});
  CHECK(bytes_of(cast(x, DataType::Float8E4M3FN, {}, 19)) == std::vector<uint8_t>{0x7e, 0xfe, 0x7f, 0x30, 0x80});
  CHECK(bytes_of(cast(x, DataType::Float8E4M3FN, {attr_int("saturate", 0)}, 19)) ==
        std::vector<uint8_t>{0x7f, 0xff, 0x7f, 0x30, 0x80});
  CHECK(bytes_of(cast(x, DataType::Float8E4M3FNUZ, {attr_int("saturate", 0)}, 19)) ==
        std::vector<uint8_t>{0x80, 0x80, 0x80, 0x38, 0x00});
  CHECK(bytes_of(cast(Tensor::from_vector<float>({1e6f}, {1}), DataType::Float8E5M2, {attr_int("saturate", 0)}, 19)) ==
        std::vector<uint8_t>{0x7c});
  // And back: E4M3FN 0x7e is 448.
  Tensor f8 = raw_tensor(DataType::Float8E4M3FN, {2}, {0x7e, 0x7f});
  Tensor back = cast(f8, DataType::Float);
  CHECK(back.data<float>()[0] == 448.0f);
  CHECK(std::isnan(back.data<float>()[1]));
}

TEST_CASE("Cast to float8e8m0 honours round_mode (opset 24)") {
  Tensor x = Tensor::from_vector<float>({1.1f, 1.5f, 3.0f, 0.25f}, {4});
  CHECK(bytes_of(cast(x, DataType::Float8E8M0, {}, 24)) == std::vector<uint8_t>{128, 128, 129, 125});
  CHECK(bytes_of(cast(x, DataType::Float8E8M0, {attr_string("round_mode", "down")}, 24)) ==
        std::vector<uint8_t>{127, 127, 128, 125});
  CHECK(bytes_of(cast(x, DataType::Float8E8M0, {attr_string("round_mode", "nearest")}, 24)) ==
        std::vector<uint8_t>{127, 128, 129, 125});
  const std::string err = error_of([&] { cast(x, DataType::Float8E8M0, {attr_string("round_mode", "zero")}, 24); });
  CHECK(err.find("round_mode") != std::string::npos);
  CHECK(err.find("node0") != std::string::npos);
}

TEST_CASE("Cast packed int4 / uint2 / float4e2m1") {
  Tensor x = Tensor::from_vector<int8_t>({-8, 7, 1, -1, 9}, {5});
  Tensor i4 = cast(x, DataType::Int4);
  CHECK(bytes_of(i4) == std::vector<uint8_t>{0x78, 0xf1, 0x09});  // low nibble first; 9 wraps to -7
  CHECK(values<int8_t>(cast(i4, DataType::Int8)) == std::vector<int8_t>{-8, 7, 1, -1, -7});
  CHECK(values<float>(cast(i4, DataType::Float)) == std::vector<float>{-8, 7, 1, -1, -7});
  Tensor u2 = cast(Tensor::from_vector<float>({-3, -2, -1, 0, 1, 2, 3}, {7}), DataType::UInt2);
  // Floats out of a packed type's range are undefined in the spec; onnxi gives 0, as the reference does.
  CHECK(values<uint8_t>(cast(u2, DataType::UInt8)) == std::vector<uint8_t>{0, 0, 0, 0, 1, 2, 3});
  Tensor f4 = cast(Tensor::from_vector<float>({0.25f, 2.5f, -8.0f, kNaN}, {4}), DataType::Float4E2M1);
  CHECK(bytes_of(f4) == std::vector<uint8_t>{0x40, 0x8f});
  CHECK(values<float>(cast(f4, DataType::Float)) == std::vector<float>{0.0f, 2.0f, -6.0f, -0.0f});
  // Packed -> packed, int4 -> uint4 keeps the bits.
  CHECK(bytes_of(cast(i4, DataType::UInt4)) == bytes_of(i4));
}

TEST_CASE("Cast from string") {
  Tensor s = strings({"1.5", " -2 ", "1e-5", "INF", "-inf", "+INF", "NaN", "100", "1E8"});
  Tensor f = cast(s, DataType::Float);
  const float* v = f.data<float>();
  CHECK(v[0] == 1.5f);
  CHECK(v[1] == -2.0f);
  CHECK(v[2] == 1e-5f);
  CHECK(v[3] == kInf);
  CHECK(v[4] == -kInf);
  CHECK(v[5] == kInf);
  CHECK(std::isnan(v[6]));
  CHECK(v[7] == 100.0f);
  CHECK(v[8] == 1e8f);

  Tensor ints = strings({"100", "-9223372036854775808", "100.5", "18446744073709551615"});
  CHECK(values<int64_t>(cast(ints, DataType::Int64)) ==
        std::vector<int64_t>{100, std::numeric_limits<int64_t>::min(), 100, -1});
  CHECK(values<bool>(cast(strings({"true", "0", "0.5", " FALSE "}), DataType::Bool)) ==
        std::vector<bool>{true, false, true, false});
  Tensor h = cast(strings({"0.1"}), DataType::Float16);
  CHECK(h.data<uint16_t>()[0] == f32_to_f16(0.1f));

  const std::string err = error_of([&] { cast(strings({"1", "abc"}), DataType::Float); });
  CHECK(err.find("node0") != std::string::npos);
  CHECK(err.find("\"abc\"") != std::string::npos);
  CHECK(err.find("element 1") != std::string::npos);
}

TEST_CASE("Cast to string prints like numpy") {
  Tensor f = Tensor::from_vector<float>({0.1f, 1e-5f, 1e6f, 123456.0f, -0.0f, kNaN, -kInf, 0.47892547f, 1e-4f}, {9});
  CHECK(values<std::string>(cast(f, DataType::String)) ==
        std::vector<std::string>{"0.1", "1e-05", "1e+06", "123456.0", "-0.0", "nan", "-inf", "0.47892547", "1e-04"});
  Tensor d = Tensor::from_vector<double>({0.1, 1e16, 1e15, 1e-4, 1.0 / 3}, {5});
  CHECK(values<std::string>(cast(d, DataType::String)) ==
        std::vector<std::string>{"0.1", "1e+16", "1000000000000000.0", "0.0001", "0.3333333333333333"});
  CHECK(values<std::string>(cast(Tensor::from_vector<int64_t>({-5, 0}, {2}), DataType::String)) ==
        std::vector<std::string>{"-5", "0"});
  CHECK(values<std::string>(cast(Tensor::from_vector<bool>({true, false}, {2}), DataType::String)) ==
        std::vector<std::string>{"True", "False"});
  // float16 prints its own shortest digits (numpy: 0.1 -> "0.1", 2^-6 -> "0.01563", 2048 -> "2.048e+03").
  Tensor h = cast(Tensor::from_vector<float>({0.1f, 0.015625f, 2048.0f}, {3}), DataType::Float16);
  CHECK(values<std::string>(cast(h, DataType::String)) == std::vector<std::string>{"0.1", "0.01563", "2.048e+03"});
  // String -> string is a copy.
  CHECK(values<std::string>(cast(strings({"a", ""}), DataType::String)) == std::vector<std::string>{"a", ""});
}

TEST_CASE("Cast-1 names the target type with a string") {
  NodeRun spec{"Cast", {attr_string("to", "FLOAT")}, 1};
  auto out = run_node(spec, {Value(Tensor::from_vector<int32_t>({3, -4}, {2}))});
  CHECK(values<float>(out[0].tensor()) == std::vector<float>{3.0f, -4.0f});
}

TEST_CASE("Cast to the same type keeps the values") {
  Tensor x = Tensor::from_vector<int64_t>({1, 2, 3}, {3});
  CHECK(values<int64_t>(cast(x, DataType::Int64)) == std::vector<int64_t>{1, 2, 3});
}

TEST_CASE("Cast rejects bad attributes with the node's name") {
  Tensor x = Tensor::from_vector<float>({1.0f}, {1});
  std::string err = error_of([&] { run_node(NodeRun{"Cast", {}, 21}, {Value(x)}); });
  CHECK(err.find("node0") != std::string::npos);
  CHECK(err.find("'to'") != std::string::npos);
  err = error_of([&] { cast(x, DataType::Complex64); });
  CHECK(err.find("complex64") != std::string::npos);
  err = error_of([&] { run_node(NodeRun{"Cast", {attr_int("to", 99)}, 21}, {Value(x)}); });
  CHECK(err.find("99") != std::string::npos);
}

TEST_CASE("Cast of large tensors crosses block and thread boundaries") {
  const int64_t n = 100003;
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i % 1000) - 500.25f;
  Tensor x = Tensor::from_vector(v, {n});
  Tensor y = cast(x, DataType::Int16);
  Tensor h = cast(x, DataType::Float16);
  Tensor i4 = cast(y, DataType::Int4);
  Tensor back = cast(i4, DataType::Int32);
  for (int64_t i = 0; i < n; ++i) {
    const float f = v[static_cast<size_t>(i)];
    const auto t = static_cast<int16_t>(std::trunc(f));
    REQUIRE(y.data<int16_t>()[i] == t);
    REQUIRE(h.data<uint16_t>()[i] == f32_to_f16(f));
    REQUIRE(back.data<int32_t>()[i] == sign_extend(static_cast<uint8_t>(t & 0xf), 4));
  }
}

TEST_CASE("CastLike takes the type of its second input") {
  Tensor x = Tensor::from_vector<float>({1.5f, 1000.0f}, {2});
  Tensor like = Tensor::from_vector<double>({0.0}, {1});
  auto out = run_node(NodeRun{"CastLike", {}, 15}, {Value(x), Value(like)});
  CHECK(values<double>(out[0].tensor()) == std::vector<double>{1.5, 1000.0});
  Tensor f8(DataType::Float8E4M3FN, {1});
  out = run_node(NodeRun{"CastLike", {attr_int("saturate", 0)}, 19}, {Value(x), Value(f8)});
  CHECK(bytes_of(out[0].tensor()) == std::vector<uint8_t>{0x3c, 0x7f});
  out = run_node(NodeRun{"CastLike", {}, 19}, {Value(x), Value(f8)});
  CHECK(bytes_of(out[0].tensor()) == std::vector<uint8_t>{0x3c, 0x7e});
  out = run_node(NodeRun{"CastLike", {}, 21}, {Value(Tensor::from_vector<int64_t>({7}, {1})), Value(strings({"x"}))});
  CHECK(values<std::string>(out[0].tensor()) == std::vector<std::string>{"7"});
}

TEST_CASE("Cast handles empty and scalar tensors") {
  Tensor empty(DataType::Float, {0, 3});
  Tensor y = cast(empty, DataType::Int4);
  CHECK(y.shape() == Shape{0, 3});
  CHECK(y.numel() == 0);
  CHECK(cast(empty, DataType::String).numel() == 0);
  Tensor scalar = Tensor::from_vector<double>({-3.75}, {});
  Tensor s = cast(scalar, DataType::Int32);
  CHECK(s.rank() == 0);
  CHECK(s.data<int32_t>()[0] == -3);
}

TEST_CASE("Cast infers the output type and folds small constants") {
  NodeRun spec{"Cast", {attr_int("to", static_cast<int64_t>(DataType::Float16))}, 21};
  Model m = single_node_model(spec, {Value(Tensor::from_vector<int64_t>({1, 2, 3, 4, 5, 6}, {2, 3}))});
  m.graph.inputs[0].type.dims[0] = Dim::symbol("N");
  {
    Session s = Session::from_model(m);
    REQUIRE(s.outputs().size() == 1);
    const TypeInfo& t = s.outputs()[0].type;
    CHECK(t.elem == DataType::Float16);
    REQUIRE(t.dims.size() == 2);
    CHECK(t.dims[0].param == "N");
    CHECK(t.dims[1].value == 3);
  }
  // The same node fed by an initializer: the session computes it from the constant.
  m.graph.initializers["in0"] = Tensor::from_vector<int64_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  m.graph.inputs.clear();
  Session s = Session::from_model(m);
  auto out = s.run({});
  const Tensor& h = out[0].tensor();
  REQUIRE(h.dtype() == DataType::Float16);
  for (int64_t i = 0; i < 6; ++i) CHECK(f16_to_f32(h.data<uint16_t>()[i]) == static_cast<float>(i + 1));
}

// ---- BitCast (opset 26) ----------------------------------------------------------------------------

namespace {

Tensor bitcast(const Tensor& x, DataType to) {
  auto out = run_node({"BitCast", {attr_int("to", static_cast<int64_t>(to))}, 26}, {Value(x)});
  REQUIRE(out.size() == 1);
  return out[0].tensor();
}

}  // namespace

TEST_CASE("BitCast keeps the bits: floats, integers and signedness") {
  // 1.0f = 0x3F800000, -2.0f = 0xC0000000, 0.0f = 0.
  Tensor f = Tensor::from_vector<float>({1.f, -2.f, 0.f}, {3});
  CHECK(values<int32_t>(bitcast(f, DataType::Int32)) == std::vector<int32_t>{0x3F800000, -0x40000000, 0});
  CHECK(values<uint32_t>(bitcast(f, DataType::UInt32)) == std::vector<uint32_t>{0x3F800000u, 0xC0000000u, 0});
  Tensor back = bitcast(Tensor::from_vector<int32_t>({0x3F800000, -0x40000000, 0x7FC00000}, {3}), DataType::Float);
  CHECK(back.data<float>()[0] == 1.f);
  CHECK(back.data<float>()[1] == -2.f);
  CHECK(std::isnan(back.data<float>()[2]));
  // 1.0 = 0x3FF0000000000000.
  CHECK(values<int64_t>(bitcast(Tensor::from_vector<double>({1.0, -0.0}, {2}), DataType::Int64)) ==
        std::vector<int64_t>{0x3FF0000000000000, std::numeric_limits<int64_t>::min()});
  CHECK(values<int16_t>(bitcast(Tensor::from_vector<uint16_t>({65535, 32768, 1}, {3}), DataType::Int16)) ==
        std::vector<int16_t>{-1, -32768, 1});
  CHECK(values<uint8_t>(bitcast(Tensor::from_vector<int8_t>({-1, -128, 127}, {3}), DataType::UInt8)) ==
        std::vector<uint8_t>{255, 128, 127});
  // float16 1.0 = 0x3C00 read as bfloat16 bits, and the same bits back as uint16.
  Tensor h = raw_tensor(DataType::Float16, {1}, {0x00, 0x3C});
  CHECK(bytes_of(bitcast(h, DataType::BFloat16)) == std::vector<uint8_t>{0x00, 0x3C});
  CHECK(values<uint16_t>(bitcast(h, DataType::UInt16)) == std::vector<uint16_t>{0x3C00});
  // float8 and e8m0 are bytes too.
  CHECK(values<uint8_t>(bitcast(raw_tensor(DataType::Float8E4M3FN, {2}, {0x38, 0xFF}), DataType::UInt8)) ==
        std::vector<uint8_t>{0x38, 0xFF});
  // complex64 is 64 bits: (1, -2) as int64 holds -2.0f's bits high and 1.0f's low.
  Tensor c = Tensor::from_vector<float>({1.f, -2.f}, {2});
  Tensor c64 = raw_tensor(DataType::Complex64, {1}, bytes_of(c));
  CHECK(values<int64_t>(bitcast(c64, DataType::Int64)) ==
        std::vector<int64_t>{static_cast<int64_t>(0xC00000003F800000ull)});
}

TEST_CASE("BitCast: shapes, bool, packed types and same-type") {
  Tensor m = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor mi = bitcast(m, DataType::Int32);
  CHECK(mi.shape() == Shape{2, 3});
  CHECK(mi.data<int32_t>()[5] == 0x40C00000);  // 6.0f
  Tensor s = bitcast(Tensor::from_vector<float>({-1.f}, {}), DataType::UInt32);
  CHECK(s.rank() == 0);
  CHECK(s.data<uint32_t>()[0] == 0xBF800000u);
  CHECK(values<uint8_t>(bitcast(Tensor::from_vector<bool>({true, false, true}, {3}), DataType::UInt8)) ==
        std::vector<uint8_t>{1, 0, 1});
  // A byte that is not 0 or 1 has no bool: nonzero reads as true.
  CHECK(values<bool>(bitcast(Tensor::from_vector<uint8_t>({0, 1, 2, 255}, {4}), DataType::Bool)) ==
        std::vector<bool>{false, true, true, true});
  // int4 [-1, 7] packs as 0x7F; as uint4 that is [15, 7], as float4e2m1 the same byte.
  Tensor i4 = raw_tensor(DataType::Int4, {2}, {0x7F});
  Tensor u4 = bitcast(i4, DataType::UInt4);
  REQUIRE(u4.dtype() == DataType::UInt4);
  CHECK(u4.element_as_double(0) == 15);
  CHECK(u4.element_as_double(1) == 7);
  CHECK(bytes_of(bitcast(i4, DataType::Float4E2M1)) == std::vector<uint8_t>{0x7F});
  CHECK(bytes_of(bitcast(raw_tensor(DataType::UInt2, {4}, {0xE4}), DataType::Int2)) == std::vector<uint8_t>{0xE4});
  // Same type in and out, and empty tensors.
  CHECK(values<int32_t>(bitcast(Tensor::from_vector<int32_t>({7}, {1}), DataType::Int32)) == std::vector<int32_t>{7});
  CHECK(bitcast(Tensor(DataType::Float, {0, 3}), DataType::Int32).shape() == Shape{0, 3});
}

TEST_CASE("BitCast rejects mismatched widths, strings, float6 and a missing 'to'") {
  Tensor f = Tensor::from_vector<float>({1.f}, {1});
  CHECK(error_of([&] { bitcast(f, DataType::Int64); }).find("same bit width") != std::string::npos);
  CHECK(error_of([&] { bitcast(Tensor::from_vector<bool>({true}, {1}), DataType::Int16); }).find("bits") !=
        std::string::npos);
  CHECK(error_of([&] { bitcast(f, DataType::String); }).find("not a BitCast target") != std::string::npos);
  CHECK(error_of([&] { bitcast(strings({"a"}), DataType::UInt8); }).find("string") != std::string::npos);
  CHECK(error_of([&] { bitcast(Tensor::from_vector<uint8_t>({1}, {1}), DataType::Float6E2M3); })
            .find("not a BitCast target") != std::string::npos);
  CHECK(error_of([&] { bitcast(f, static_cast<DataType>(99)); }).find("'to' is 99") != std::string::npos);
  CHECK(error_of([&] { run_node({"BitCast", {}, 26}, {Value(f)}); }).find("'to' is missing") != std::string::npos);
  // BitCast is new in opset 26.
  CHECK_THROWS_AS(run_node({"BitCast", {attr_int("to", 6)}, 25}, {Value(f)}), Error);
}

TEST_CASE("BitCast infers the type and folds constants") {
  NodeRun spec{"BitCast", {attr_int("to", static_cast<int64_t>(DataType::UInt32))}, 26};
  Model m = single_node_model(spec, {Value(Tensor::from_vector<float>({1, 2}, {2}))});
  m.graph.inputs[0].type.dims[0] = Dim::symbol("N");
  {
    Session s = Session::from_model(m);
    CHECK(s.outputs()[0].type.str() == TypeInfo::tensor(DataType::UInt32, {Dim::symbol("N")}).str());
  }
  m.graph.initializers["in0"] = Tensor::from_vector<float>({1, 2}, {2});
  m.graph.inputs.clear();
  Session s = Session::from_model(m);
  CHECK(values<uint32_t>(s.run({})[0].tensor()) == std::vector<uint32_t>{0x3F800000u, 0x40000000u});
}
