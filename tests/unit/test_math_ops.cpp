// Math ops through a real one-node Session: broadcasting, the legacy broadcast attribute, integer
// division and mod, mixed-type Pow, NaN propagation, Clip's two forms, Where and string Equal.
#include <limits>

#include "onnxi/float_types.h"
#include "op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor f32(std::vector<float> v, Shape shape) { return Tensor::from_vector(v, std::move(shape)); }
Tensor i32(std::vector<int32_t> v, Shape shape) { return Tensor::from_vector(v, std::move(shape)); }
Tensor i64(std::vector<int64_t> v, Shape shape) { return Tensor::from_vector(v, std::move(shape)); }

Tensor iota_f32(Shape shape, float start = 0.0f) {
  Tensor t(DataType::Float, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

Tensor run1(const NodeRun& spec, const std::vector<Value>& inputs) { return run_node(spec, inputs)[0].tensor(); }

}  // namespace

TEST_CASE("math ops: Add/Sub/Mul/Div broadcast multidirectionally") {
  struct Case {
    const char* op;
    Shape a, b, out;
  };
  const std::vector<Case> cases = {
      {"Add", {2, 3}, {3}, {2, 3}},       {"Sub", {3, 1}, {1, 4}, {3, 4}},  {"Mul", {}, {2, 2}, {2, 2}},
      {"Div", {2, 1, 3}, {4, 1}, {2, 4, 3}}, {"Add", {1}, {5}, {5}},      {"Mul", {0, 2}, {2}, {0, 2}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.op);
    Tensor out = run1({c.op, {}, 14}, {iota_f32(c.a, 1.0f), iota_f32(c.b, 1.0f)});
    CHECK(out.shape() == c.out);
  }
  Tensor out = run1({"Sub", {}, 14}, {f32({10, 20, 30, 40, 50, 60}, {2, 3}), f32({1, 2}, {2, 1})});
  CHECK(values<float>(out) == std::vector<float>{9, 19, 29, 38, 48, 58});
  CHECK_THROWS_AS(run_node({"Add", {}, 14}, {iota_f32({2, 3}), iota_f32({2})}), Error);
  CHECK_THROWS_AS(run_node({"Add", {}, 14}, {iota_f32({2}), i64({1, 2}, {2})}), Error);  // mixed types
}

TEST_CASE("math ops: the opset < 7 broadcast attribute aligns B at axis") {
  Tensor a = iota_f32({2, 3, 4});
  // axis=1: B [3] runs along A's dim 1
  Tensor out = run1({"Add", {attr_int("broadcast", 1), attr_int("axis", 1)}, 6}, {a, f32({100, 200, 300}, {3})});
  REQUIRE(out.shape() == Shape{2, 3, 4});
  CHECK(out.data<float>()[0] == 100.0f);
  CHECK(out.data<float>()[4] == 204.0f);   // [0,1,0]
  CHECK(out.data<float>()[21] == 321.0f);  // [1,2,1]
  // no axis: suffix matching, as numpy
  out = run1({"Mul", {attr_int("broadcast", 1)}, 6}, {a, f32({1, 0, 1, 0}, {4})});
  CHECK(out.data<float>()[5] == 0.0f);
  CHECK(out.data<float>()[6] == 6.0f);
  // a one-element B of any rank applies everywhere
  out = run1({"Sub", {attr_int("broadcast", 1)}, 6}, {a, f32({1}, {1, 1})});
  CHECK(out.shape() == Shape{2, 3, 4});
  CHECK(out.data<float>()[23] == 22.0f);
  // without broadcast=1 the shapes must match
  CHECK_THROWS_AS(run_node({"Add", {}, 6}, {a, f32({1, 2, 3, 4}, {4})}), Error);
  CHECK_THROWS_AS(run_node({"Add", {attr_int("broadcast", 1), attr_int("axis", 0)}, 6}, {a, f32({1, 2, 3}, {3})}),
                  Error);
  // the same shapes broadcast freely from opset 7
  CHECK(run1({"Add", {}, 7}, {a, f32({1, 2, 3, 4}, {4})}).shape() == Shape{2, 3, 4});
}

TEST_CASE("math ops: integer Div truncates and Mod follows the sign rules") {
  Tensor a = i32({7, -7, 7, -7, 0}, {5}), b = i32({2, 2, -2, -2, 3}, {5});
  CHECK(values<int32_t>(run1({"Div", {}, 14}, {a, b})) == std::vector<int32_t>{3, -3, -3, 3, 0});
  CHECK(values<int32_t>(run1({"Mod", {}, 13}, {a, b})) == std::vector<int32_t>{1, 1, -1, -1, 0});
  CHECK(values<int32_t>(run1({"Mod", {attr_int("fmod", 1)}, 13}, {a, b})) == std::vector<int32_t>{1, -1, 1, -1, 0});
  Tensor fa = f32({5.5f, -5.5f, 5.5f, -5.5f}, {4}), fb = f32({2, 2, -2, -2}, {4});
  CHECK(values<float>(run1({"Mod", {}, 28}, {fa, fb})) == std::vector<float>{1.5f, 0.5f, -0.5f, -1.5f});
  CHECK(values<float>(run1({"Mod", {attr_int("fmod", 1)}, 13}, {fa, fb})) ==
        std::vector<float>{1.5f, -1.5f, 1.5f, -1.5f});
  CHECK_THROWS_AS(run_node({"Mod", {attr_int("fmod", 2)}, 13}, {a, b}), Error);
}

TEST_CASE("math ops: Pow with base and exponent of different types") {
  Tensor base = f32({2, 3, 4}, {3});
  Tensor out = run1({"Pow", {}, 15}, {base, i64({3, 2, -1}, {3})});
  CHECK(out.dtype() == DataType::Float);
  CHECK(values<float>(out) == std::vector<float>{8, 9, 0.25f});
  out = run1({"Pow", {}, 15}, {i64({2, 3, -2}, {3}), f32({3.0f, 0.5f, 2.0f}, {3})});
  CHECK(out.dtype() == DataType::Int64);
  CHECK(values<int64_t>(out) == std::vector<int64_t>{8, 1, 4});  // 3^0.5 truncates to 1
  out = run1({"Pow", {}, 15}, {i64({3}, {1}), i32({39}, {1})});
  CHECK(values<int64_t>(out) == std::vector<int64_t>{4052555153018976267});  // exact
  out = run1({"Pow", {}, 15}, {i32({2, 2}, {2}), i64({10, 31}, {2})});
  CHECK(values<int32_t>(out) == std::vector<int32_t>{1024, std::numeric_limits<int32_t>::min()});  // wraps
}

TEST_CASE("math ops: Min/Max/Sum/Mean are variadic with broadcasting; Min/Max propagate NaN") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor a = f32({1, nan, 5}, {3}), b = f32({2, 0, 4}, {3}), c = f32({3}, {1});
  Tensor mx = run1({"Max", {}, 13}, {a, b, c});
  CHECK(mx.data<float>()[0] == 3.0f);
  CHECK(std::isnan(mx.data<float>()[1]));
  CHECK(mx.data<float>()[2] == 5.0f);
  Tensor mn = run1({"Min", {}, 13}, {b, a});
  CHECK(mn.data<float>()[0] == 1.0f);
  CHECK(std::isnan(mn.data<float>()[1]));
  Tensor sum = run1({"Sum", {}, 13}, {iota_f32({2, 1}), iota_f32({3}), f32({10}, {1})});
  CHECK(sum.shape() == Shape{2, 3});
  CHECK(values<float>(sum) == std::vector<float>{10, 11, 12, 11, 12, 13});
  Tensor mean = run1({"Mean", {}, 13}, {f32({1, 2}, {2}), f32({3, 6}, {2}), f32({2, 1}, {2})});
  CHECK(values<float>(mean) == std::vector<float>{2, 3});
  CHECK(values<float>(run1({"Max", {}, 13}, {b})) == std::vector<float>{2, 0, 4});
  CHECK(values<int64_t>(run1({"Max", {}, 13}, {i64({1, 9}, {2}), i64({5}, {1})})) == std::vector<int64_t>{5, 9});
}

TEST_CASE("math ops: float16 computes through float32 and rounds back") {
  Tensor a(DataType::Float16, {3}), b(DataType::Float16, {});
  const float av[] = {1.0f, 2048.0f, -3.5f};
  for (int i = 0; i < 3; ++i) a.data<uint16_t>()[i] = f32_to_f16(av[i]);
  b.data<uint16_t>()[0] = f32_to_f16(1.0f);
  Tensor out = run1({"Add", {}, 14}, {a, b});
  REQUIRE(out.dtype() == DataType::Float16);
  CHECK(f16_to_f32(out.data<uint16_t>()[0]) == 2.0f);
  CHECK(f16_to_f32(out.data<uint16_t>()[1]) == 2048.0f);  // 2049 is not a float16: ties to even
  CHECK(f16_to_f32(out.data<uint16_t>()[2]) == -2.5f);
  Tensor r = run1({"Relu", {}, 14}, {a});
  CHECK(f16_to_f32(r.data<uint16_t>()[2]) == 0.0f);
}

TEST_CASE("math ops: Clip attribute form (opset 6) and input form (opset 13)") {
  Tensor x = f32({-5, -1, 0, 1, 5}, {5});
  CHECK(values<float>(run1({"Clip", {attr_float("min", -1), attr_float("max", 2)}, 6}, {x})) ==
        std::vector<float>{-1, -1, 0, 1, 2});
  CHECK(values<float>(run1({"Clip", {}, 13}, {x, f32({-2}, {}), f32({3}, {})})) ==
        std::vector<float>{-2, -1, 0, 1, 3});
  CHECK(values<float>(run1({"Clip", {}, 13}, {x, Value(), f32({0}, {})})) == std::vector<float>{-5, -1, 0, 0, 0});
  CHECK(values<float>(run1({"Clip", {}, 13}, {x})) == std::vector<float>{-5, -1, 0, 1, 5});
  // min > max: everything becomes max
  CHECK(values<float>(run1({"Clip", {}, 13}, {x, f32({2}, {}), f32({1}, {})})) == std::vector<float>{1, 1, 1, 1, 1});
  Tensor xi = Tensor::from_vector(std::vector<int8_t>{-100, 0, 100}, {3});
  Tensor lo = Tensor::from_vector(std::vector<int8_t>{-10}, {});
  CHECK(values<int8_t>(run1({"Clip", {}, 13}, {xi, lo})) == std::vector<int8_t>{-10, 0, 100});
  CHECK_THROWS_AS(run_node({"Clip", {}, 13}, {x, f32({1, 2}, {2})}), Error);  // bounds must be scalars
}

TEST_CASE("math ops: Where broadcasts three ways and moves any element type") {
  Tensor cond = Tensor::from_vector(std::vector<bool>{true, false}, {2, 1});
  Tensor out = run1({"Where", {}, 16}, {cond, i64({1, 2, 3}, {3}), i64({-1}, {})});
  CHECK(out.shape() == Shape{2, 3});
  CHECK(values<int64_t>(out) == std::vector<int64_t>{1, 2, 3, -1, -1, -1});
  Tensor xs = Tensor::from_vector(std::vector<std::string>{"a", "b"}, {2});
  Tensor ys = Tensor::from_vector(std::vector<std::string>{"z"}, {1});
  Tensor c2 = Tensor::from_vector(std::vector<bool>{false, true}, {2});
  CHECK(values<std::string>(run1({"Where", {}, 16}, {c2, xs, ys})) == std::vector<std::string>{"z", "b"});
}

TEST_CASE("math ops: comparisons, string Equal and boolean logic") {
  Tensor a = f32({1, 2, 3}, {3}), b = f32({2}, {});
  CHECK(values<bool>(run1({"Less", {}, 13}, {a, b})) == std::vector<bool>{true, false, false});
  CHECK(values<bool>(run1({"GreaterOrEqual", {}, 16}, {a, b})) == std::vector<bool>{false, true, true});
  CHECK(values<bool>(run1({"Equal", {}, 13}, {a, b})) == std::vector<bool>{false, true, false});
  Tensor s1 = Tensor::from_vector(std::vector<std::string>{"x", "yy", ""}, {3});
  Tensor s2 = Tensor::from_vector(std::vector<std::string>{"x", "y", ""}, {3});
  CHECK(values<bool>(run1({"Equal", {}, 19}, {s1, s2})) == std::vector<bool>{true, false, true});
  Tensor t = Tensor::from_vector(std::vector<bool>{true, true, false, false}, {2, 2});
  Tensor u = Tensor::from_vector(std::vector<bool>{true, false}, {2});
  CHECK(values<bool>(run1({"And", {}, 7}, {t, u})) == std::vector<bool>{true, false, false, false});
  CHECK(values<bool>(run1({"Xor", {}, 7}, {t, u})) == std::vector<bool>{false, true, true, false});
  CHECK(values<bool>(run1({"Not", {}, 1}, {u})) == std::vector<bool>{false, true});
}

TEST_CASE("math ops: activations with attributes") {
  Tensor x = f32({-2, -0.5f, 0, 0.5f, 2}, {5});
  struct Case {
    NodeRun spec;
    std::vector<float> expected;
  };
  const std::vector<Case> cases = {
      {{"LeakyRelu", {attr_float("alpha", 0.5f)}, 16}, {-1, -0.25f, 0, 0.5f, 2}},
      {{"ThresholdedRelu", {attr_float("alpha", 0.5f)}, 10}, {0, 0, 0, 0, 2}},
      {{"HardSigmoid", {}, 6}, {0.1f, 0.4f, 0.5f, 0.6f, 0.9f}},
      {{"Shrink", {attr_float("lambd", 1.0f), attr_float("bias", 0.5f)}, 9}, {-1.5f, 0, 0, 0, 1.5f}},
      {{"Softsign", {}, 1}, {-2.0f / 3, -0.5f / 1.5f, 0, 0.5f / 1.5f, 2.0f / 3}},
      {{"HardSwish", {}, 14}, {-2 * (1.0f / 6), -0.5f * (0.5f - 0.5f / 6), 0, 0.5f * (0.5f + 0.5f / 6), 2 * (5.0f / 6)}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.spec.op_type);
    check_close(run1(c.spec, {x}), f32(c.expected, {5}), 1e-6, 1e-7);
  }
  Tensor gelu = run1({"Gelu", {}, 20}, {f32({1}, {1})});
  CHECK(gelu.data<float>()[0] == doctest::Approx(0.8413447));
  Tensor gelu_tanh = run1({"Gelu", {attr_string("approximate", "tanh")}, 20}, {f32({1}, {1})});
  CHECK(gelu_tanh.data<float>()[0] == doctest::Approx(0.8411920));
  CHECK_THROWS_AS(run_node({"Gelu", {attr_string("approximate", "fast")}, 20}, {x}), Error);
}

TEST_CASE("math ops: PRelu slope broadcasts onto X, per-channel [C] included") {
  Tensor x = iota_f32({1, 2, 2}, -2.0f);  // -2 -1 0 1
  Tensor out = run1({"PRelu", {}, 16}, {x, f32({0.5f}, {1})});
  CHECK(values<float>(out) == std::vector<float>{-1, -0.5f, 0, 1});
  Tensor x4 = iota_f32({1, 2, 1, 3}, -4.0f);  // channel 0: -4 -3 -2, channel 1: -1 0 1
  out = run1({"PRelu", {}, 9}, {x4, f32({0.5f, 2.0f}, {2})});
  CHECK(values<float>(out) == std::vector<float>{-2, -1.5f, -1, -2, 0, 1});
  CHECK_THROWS_AS(run_node({"PRelu", {}, 16}, {x, f32({1, 2, 3}, {3})}), Error);
}

TEST_CASE("math ops: IsNaN, IsInf flags, BitShift and bitwise ops") {
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x = f32({-inf, 0, inf, std::numeric_limits<float>::quiet_NaN()}, {4});
  CHECK(values<bool>(run1({"IsNaN", {}, 20}, {x})) == std::vector<bool>{false, false, false, true});
  CHECK(values<bool>(run1({"IsInf", {}, 20}, {x})) == std::vector<bool>{true, false, true, false});
  CHECK(values<bool>(run1({"IsInf", {attr_int("detect_positive", 0)}, 20}, {x})) ==
        std::vector<bool>{true, false, false, false});
  CHECK(values<bool>(run1({"IsInf", {attr_int("detect_negative", 0), attr_int("detect_positive", 0)}, 20}, {x})) ==
        std::vector<bool>{false, false, false, false});
  Tensor v = Tensor::from_vector(std::vector<uint8_t>{1, 16, 255}, {3});
  Tensor s = Tensor::from_vector(std::vector<uint8_t>{2}, {1});
  CHECK(values<uint8_t>(run1({"BitShift", {attr_string("direction", "LEFT")}, 11}, {v, s})) ==
        std::vector<uint8_t>{4, 64, 252});
  CHECK(values<uint8_t>(run1({"BitShift", {attr_string("direction", "RIGHT")}, 11}, {v, s})) ==
        std::vector<uint8_t>{0, 4, 63});
  CHECK_THROWS_AS(run_node({"BitShift", {attr_string("direction", "UP")}, 11}, {v, s}), Error);
  CHECK(values<uint8_t>(run1({"BitwiseAnd", {}, 18}, {v, s})) == std::vector<uint8_t>{0, 0, 2});
  CHECK(values<uint8_t>(run1({"BitwiseNot", {}, 18}, {v})) == std::vector<uint8_t>{254, 239, 0});
  CHECK_THROWS_AS(run_node({"BitwiseAnd", {}, 18}, {x, x}), Error);  // floats have no bits to AND
}

namespace {

// A one-node model whose inputs have the given (possibly symbolic) types; returns the inferred
// type of the output.
std::string inferred(const std::string& op, int64_t opset, const std::vector<TypeInfo>& input_types,
                     std::vector<Attribute> attrs = {}) {
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = opset;
  Node n;
  n.name = "node0";
  n.op_type = op;
  n.attributes = std::move(attrs);
  for (size_t i = 0; i < input_types.size(); ++i) {
    std::string name = "in" + std::to_string(i);
    n.inputs.push_back(name);
    m.graph.inputs.push_back(ValueInfo{name, input_types[i], {}});
  }
  n.outputs.push_back("out0");
  m.graph.outputs.push_back(ValueInfo{"out0", {}, {}});
  m.graph.nodes.push_back(n);
  Session s = Session::from_model(std::move(m));
  return s.outputs().at(0).type.str();
}

TypeInfo ft(std::vector<Dim> dims, DataType t = DataType::Float) { return TypeInfo::tensor(t, std::move(dims)); }

}  // namespace

TEST_CASE("math ops: inference broadcasts symbolic dims and fails only on definite mismatches") {
  Dim n = Dim::symbol("N"), m = Dim::symbol("M"), three = Dim::known(3), one = Dim::known(1);
  CHECK(inferred("Add", 14, {ft({n, three}), ft({three})}) == "float32[N,3]");
  CHECK(inferred("Mul", 14, {ft({n, one}), ft({one, three})}) == "float32[N,3]");
  CHECK(inferred("Sub", 14, {ft({n}), ft({three})}) == "float32[3]");  // N must be 1 or 3
  CHECK(inferred("Add", 14, {ft({n}), ft({n})}) == "float32[N]");
  CHECK(inferred("Add", 14, {ft({n}), ft({m})}) == "float32[?]");
  CHECK(inferred("Less", 13, {ft({n, three}), ft({})}) == "bool[N,3]");
  CHECK(inferred("Where", 16, {ft({n, one}, DataType::Bool), ft({three}, DataType::Int64), ft({}, DataType::Int64)}) ==
        "int64[N,3]");
  CHECK(inferred("Add", 14, {TypeInfo::tensor_unranked(DataType::Float), ft({three})}) == "float32[unranked]");
  CHECK(inferred("Relu", 14, {ft({n, three})}) == "float32[N,3]");
  CHECK(inferred("IsNaN", 20, {ft({n})}) == "bool[N]");
  CHECK(inferred("Add", 6, {ft({n, three}), ft({three})}, {attr_int("broadcast", 1)}) == "float32[N,3]");
  CHECK_THROWS_AS(inferred("Add", 14, {ft({Dim::known(2)}), ft({three})}), Error);
}
