// Reduce-family ops through a real Session: attribute vs input axes, keepdims, negative axes,
// noop_with_empty_axes, empty-set reductions, exact int64, ArgMax/TopK ties, CumSum/CumProd.
#include <cmath>
#include <limits>

#include "onnxi/float_types.h"
#include "op_test_util.h"

namespace onnxi::test {
namespace {

Tensor floats(std::vector<float> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor ints(std::vector<int64_t> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor axes(std::vector<int64_t> v) {
  Shape s{static_cast<int64_t>(v.size())};
  return Tensor::from_vector(v, s);
}

// 3x2x2 of 1..12.
Tensor sample() { return floats({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {3, 2, 2}); }

Tensor run1(const NodeRun& spec, const std::vector<Value>& inputs) { return run_node(spec, inputs).at(0).tensor(); }

TEST_CASE("ReduceSum: axes input (13+) and attribute (11), keepdims, negative axes") {
  Tensor y = run1({"ReduceSum", {attr_int("keepdims", 1)}, 13}, {sample(), axes({1})});
  check_close(y, floats({4, 6, 12, 14, 20, 22}, {3, 1, 2}));
  y = run1({"ReduceSum", {attr_int("keepdims", 0)}, 13}, {sample(), axes({-2})});
  check_close(y, floats({4, 6, 12, 14, 20, 22}, {3, 2}));
  y = run1({"ReduceSum", {attr_ints("axes", {0, 2}), attr_int("keepdims", 0)}, 11}, {sample()});
  check_close(y, floats({33, 45}, {2}));
  // No axes: everything.
  y = run1({"ReduceSum", {}, 13}, {sample()});
  check_close(y, floats({78}, {1, 1, 1}));
  y = run1({"ReduceSum", {attr_int("keepdims", 0)}, 1}, {sample()});
  check_close(y, floats({78}, {}));
}

TEST_CASE("noop_with_empty_axes keeps the element steps") {
  Tensor x = floats({-1, 2, -3, 4}, {2, 2});
  Tensor y = run1({"ReduceSum", {attr_int("noop_with_empty_axes", 1)}, 13}, {x, axes({})});
  check_close(y, x);
  y = run1({"ReduceSumSquare", {attr_int("noop_with_empty_axes", 1)}, 18}, {x});
  check_close(y, floats({1, 4, 9, 16}, {2, 2}));
  y = run1({"ReduceL1", {attr_int("noop_with_empty_axes", 1)}, 18}, {x, axes({})});
  check_close(y, floats({1, 2, 3, 4}, {2, 2}));
  Tensor pos = floats({1, 2, 4, 8}, {2, 2});
  y = run1({"ReduceLogSum", {attr_int("noop_with_empty_axes", 1)}, 18}, {pos, axes({})});
  check_close(y, floats({0.f, std::log(2.f), std::log(4.f), std::log(8.f)}, {2, 2}));
  // Without the flag an empty axes input reduces everything.
  y = run1({"ReduceMax", {attr_int("keepdims", 0)}, 18}, {x, axes({})});
  check_close(y, floats({4}, {}));
}

TEST_CASE("Reduce ops over the same axis") {
  Tensor x = sample();
  auto along1 = [&](const char* op, int64_t opset) { return run1({op, {}, opset}, {x, axes({1})}); };
  check_close(along1("ReduceMean", 18), floats({2, 3, 6, 7, 10, 11}, {3, 1, 2}));
  check_close(along1("ReduceMax", 18), floats({3, 4, 7, 8, 11, 12}, {3, 1, 2}));
  check_close(along1("ReduceMin", 20), floats({1, 2, 5, 6, 9, 10}, {3, 1, 2}));
  check_close(along1("ReduceProd", 18), floats({3, 8, 35, 48, 99, 120}, {3, 1, 2}));
  check_close(along1("ReduceSumSquare", 18), floats({10, 20, 74, 100, 202, 244}, {3, 1, 2}));
  check_close(along1("ReduceL2", 18),
              floats({std::sqrt(10.f), std::sqrt(20.f), std::sqrt(74.f), 10.f, std::sqrt(202.f), std::sqrt(244.f)},
                     {3, 1, 2}));
  Tensor lse = along1("ReduceLogSumExp", 18);
  CHECK(lse.element_as_double(0) == doctest::Approx(std::log(std::exp(1.0) + std::exp(3.0))));
  Tensor ls = along1("ReduceLogSum", 28);
  CHECK(ls.element_as_double(5) == doctest::Approx(std::log(22.0)));
  // Opset 13 took axes as an attribute for everything but ReduceSum.
  Tensor y = run1({"ReduceMean", {attr_ints("axes", {-1}), attr_int("keepdims", 0)}, 13}, {x});
  check_close(y, floats({1.5, 3.5, 5.5, 7.5, 9.5, 11.5}, {3, 2}));
}

TEST_CASE("Scattered axes reduce without a transpose") {
  Tensor x = floats({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}, {2, 3, 4});
  Tensor y = run1({"ReduceSum", {attr_int("keepdims", 0)}, 13}, {x, axes({0, 2})});
  check_close(y, floats({68, 100, 132}, {3}));
}

TEST_CASE("Empty-set reductions") {
  Tensor empty(DataType::Float, {2, 0, 4});
  auto reduce1 = [&](const char* op, int64_t opset) { return run1({op, {}, opset}, {empty, axes({1})}); };
  Tensor y = reduce1("ReduceMax", 20);
  REQUIRE(y.shape() == Shape{2, 1, 4});
  CHECK(y.data<float>()[0] == -INFINITY);
  CHECK(reduce1("ReduceMin", 20).data<float>()[3] == INFINITY);
  CHECK(reduce1("ReduceSum", 13).data<float>()[0] == 0.f);
  CHECK(reduce1("ReduceProd", 18).data<float>()[0] == 1.f);
  CHECK(reduce1("ReduceLogSum", 18).data<float>()[0] == -INFINITY);
  CHECK(reduce1("ReduceLogSumExp", 18).data<float>()[0] == -INFINITY);
  CHECK(reduce1("ReduceL1", 18).data<float>()[0] == 0.f);

  Tensor empty_i(DataType::Int32, {0, 3});
  Tensor yi = run1({"ReduceMax", {attr_int("keepdims", 0)}, 18}, {empty_i, axes({0})});
  CHECK(values<int32_t>(yi) == std::vector<int32_t>(3, std::numeric_limits<int32_t>::min()));
  yi = run1({"ReduceMin", {attr_int("keepdims", 0)}, 18}, {empty_i, axes({0})});
  CHECK(values<int32_t>(yi) == std::vector<int32_t>(3, std::numeric_limits<int32_t>::max()));

  Tensor empty_b(DataType::Bool, {2, 0});
  Tensor yb = run1({"ReduceMax", {attr_int("keepdims", 0)}, 20}, {empty_b, axes({1})});
  CHECK(values<bool>(yb) == std::vector<bool>{false, false});
  yb = run1({"ReduceMin", {attr_int("keepdims", 0)}, 20}, {empty_b, axes({1})});
  CHECK(values<bool>(yb) == std::vector<bool>{true, true});

  // The reduced axis is fine but a kept one is zero: an empty output.
  Tensor y0 = run1({"ReduceSum", {}, 13}, {empty, axes({2})});
  CHECK(y0.shape() == Shape{2, 0, 1});
}

TEST_CASE("Integer types: int64 exact, bool any/all, small ints for Max") {
  const int64_t big = (int64_t(1) << 53) + 1;
  Tensor x = ints({big, 2, -1, 0}, {2, 2});
  Tensor y = run1({"ReduceSum", {attr_int("keepdims", 0)}, 13}, {x, axes({1})});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{big + 2, -1});
  y = run1({"ReduceProd", {attr_int("keepdims", 0)}, 18}, {ints({int64_t(1) << 31, (int64_t(1) << 31) + 1}, {2})});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{(int64_t(1) << 62) + (int64_t(1) << 31)});

  Tensor b = Tensor::from_vector(std::vector<bool>{true, false, false, false}, {2, 2});
  Tensor yb = run1({"ReduceMax", {attr_int("keepdims", 0)}, 20}, {b, axes({1})});
  CHECK(values<bool>(yb) == std::vector<bool>{true, false});
  yb = run1({"ReduceMin", {attr_int("keepdims", 0)}, 20}, {b, axes({0})});
  CHECK(values<bool>(yb) == std::vector<bool>{false, false});

  Tensor i8 = Tensor::from_vector(std::vector<int8_t>{-5, 7, -128}, {3});
  Tensor y8 = run1({"ReduceMin", {attr_int("keepdims", 0)}, 18}, {i8});
  CHECK(values<int8_t>(y8) == std::vector<int8_t>{-128});
}

TEST_CASE("float16 and bfloat16 reduce in float32") {
  Tensor h(DataType::Float16, {4});
  Tensor bf(DataType::BFloat16, {4});
  const float src[] = {0.5f, 1.5f, 2.f, -1.f};
  for (int i = 0; i < 4; ++i) {
    h.data<uint16_t>()[i] = f32_to_f16(src[i]);
    bf.data<uint16_t>()[i] = f32_to_bf16(src[i]);
  }
  Tensor y = run1({"ReduceSum", {attr_int("keepdims", 0)}, 13}, {h});
  CHECK(f16_to_f32(y.data<uint16_t>()[0]) == 3.f);
  y = run1({"ReduceMean", {attr_int("keepdims", 0)}, 18}, {bf});
  CHECK(bf16_to_f32(y.data<uint16_t>()[0]) == 0.75f);
}

TEST_CASE("Reduce errors name the problem") {
  CHECK_THROWS_AS(run1({"ReduceSum", {}, 13}, {sample(), axes({3})}), Error);
  CHECK_THROWS_AS(run1({"ReduceSum", {}, 13}, {sample(), axes({1, -2})}), Error);
  Tensor b(DataType::Bool, {2});
  CHECK_THROWS_AS(run1({"ReduceSum", {}, 13}, {b}), Error);
  CHECK_THROWS_AS(run1({"ReduceMax", {}, 18}, {b}), Error);  // bool arrived at opset 20
  // Opset 28 dropped integers from the Log-based reductions.
  CHECK_THROWS_AS(run1({"ReduceLogSum", {}, 28}, {ints({1, 2}, {2})}), Error);
}

TEST_CASE("ArgMax / ArgMin: axis, keepdims, select_last_index") {
  Tensor x = floats({2, 1, 3, 10, 2, 1, 3, 10}, {2, 4});
  Tensor y = run1({"ArgMax", {attr_int("axis", 1)}, 13}, {x});
  CHECK(y.shape() == Shape{2, 1});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{3, 3});
  y = run1({"ArgMax", {attr_int("axis", 0), attr_int("keepdims", 0)}, 13}, {x});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{0, 0, 0, 0});
  y = run1({"ArgMax", {attr_int("axis", 0), attr_int("keepdims", 0), attr_int("select_last_index", 1)}, 13}, {x});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{1, 1, 1, 1});
  y = run1({"ArgMin", {attr_int("axis", -1), attr_int("keepdims", 0)}, 13}, {x});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{1, 1});
  Tensor ties = floats({1, 0, 1, 0}, {4});
  y = run1({"ArgMin", {attr_int("keepdims", 0), attr_int("select_last_index", 1)}, 12}, {ties});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{3});
  y = run1({"ArgMin", {attr_int("keepdims", 0), attr_int("select_last_index", 1)}, 11}, {ties});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{1});  // no select_last_index before opset 12
  CHECK_THROWS_AS(run1({"ArgMax", {attr_int("axis", 2)}, 13}, {x}), Error);
  CHECK_THROWS_AS(run1({"ArgMax", {attr_int("axis", 1)}, 13}, {Tensor(DataType::Float, {2, 0})}), Error);
}

TEST_CASE("TopK: largest / smallest, ties keep the lower index, k bounds") {
  Tensor x = floats({0, 1, 2, 3, 4, 5, 6, 7, 11, 10, 9, 8}, {3, 4});
  std::vector<Value> out = run_node({"TopK", {attr_int("axis", 1)}, 11, "", 2}, {x, ints({3}, {1})});
  check_close(out[0].tensor(), floats({3, 2, 1, 7, 6, 5, 11, 10, 9}, {3, 3}));
  CHECK(values<int64_t>(out[1].tensor()) == std::vector<int64_t>{3, 2, 1, 3, 2, 1, 0, 1, 2});
  out = run_node({"TopK", {attr_int("largest", 0)}, 11, "", 2}, {x, ints({2}, {1})});
  CHECK(values<int64_t>(out[1].tensor()) == std::vector<int64_t>{0, 1, 0, 1, 3, 2});

  Tensor same = ints({4, 4, 1, 4}, {4});
  out = run_node({"TopK", {}, 11, "", 2}, {same, ints({2}, {1})});
  CHECK(values<int64_t>(out[1].tensor()) == std::vector<int64_t>{0, 1});
  out = run_node({"TopK", {attr_int("largest", 0)}, 11, "", 2}, {ints({0, 0, 0}, {3}), ints({3}, {1})});
  CHECK(values<int64_t>(out[1].tensor()) == std::vector<int64_t>{0, 1, 2});

  out = run_node({"TopK", {attr_int("axis", 0)}, 24, "", 2}, {x, ints({0}, {1})});
  CHECK(out[0].tensor().shape() == Shape{0, 4});
  out = run_node({"TopK", {attr_int("k", 1)}, 1, "", 2}, {x});
  CHECK(values<int64_t>(out[1].tensor()) == std::vector<int64_t>{3, 3, 0});

  CHECK_THROWS_AS(run_node({"TopK", {}, 11, "", 2}, {x, ints({5}, {1})}), Error);
  CHECK_THROWS_AS(run_node({"TopK", {}, 11, "", 2}, {x, ints({-1}, {1})}), Error);
  CHECK_THROWS_AS(run_node({"TopK", {}, 10, "", 2}, {same, ints({1}, {1})}), Error);  // ints arrived at 11
}

// A one-node model whose input 0 is float[N,3,4]; input 1 is an initializer when `constant`.
TypeInfo inferred_output(const NodeRun& spec, const Tensor& second, bool constant, size_t out = 0) {
  Model m = single_node_model(spec, {Tensor(DataType::Float, {2, 3, 4}), second});
  m.graph.inputs[0].type = TypeInfo::tensor(DataType::Float, {Dim::symbol("N"), Dim::known(3), Dim::known(4)});
  if (constant) {
    m.graph.initializers["in1"] = second;
    m.graph.inputs.pop_back();
  }
  Session s = Session::from_model(std::move(m));
  return s.outputs().at(out).type;
}

TEST_CASE("Shape inference keeps symbols and degrades to unknown") {
  TypeInfo t = inferred_output({"ReduceSum", {attr_int("keepdims", 0)}, 13}, axes({-1}), true);
  REQUIRE(t.has_shape);
  REQUIRE(t.dims.size() == 2);
  CHECK(t.dims[0] == Dim::symbol("N"));
  CHECK(t.dims[1] == Dim::known(3));
  // Axes fed at run time: with keepdims the rank is still known.
  t = inferred_output({"ReduceMean", {}, 18}, axes({1}), false);
  CHECK(t.has_shape);
  CHECK(t.dims.size() == 3);
  t = inferred_output({"ReduceMean", {attr_int("keepdims", 0)}, 18}, axes({1}), false);
  CHECK(!t.has_shape);
  t = inferred_output({"TopK", {attr_int("axis", 1)}, 11, "", 2}, ints({2}, {1}), true, 1);
  CHECK(t.elem == DataType::Int64);
  REQUIRE(t.dims.size() == 3);
  CHECK(t.dims[1] == Dim::known(2));
  CHECK_THROWS_AS(inferred_output({"TopK", {attr_int("axis", 1)}, 11, "", 2}, ints({4}, {1}), true), Error);
  CHECK_THROWS_AS(inferred_output({"ReduceSum", {}, 13}, axes({5}), true), Error);
}

TEST_CASE("CumSum / CumProd") {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor axis0 = Tensor::from_vector(std::vector<int32_t>{0}, {});
  Tensor axis_last = Tensor::from_vector(std::vector<int64_t>{-1}, {});
  Tensor y = run1({"CumSum", {}, 14}, {x, axis0});
  CHECK(values<double>(y) == std::vector<double>{1, 2, 3, 5, 7, 9});
  y = run1({"CumSum", {attr_int("exclusive", 1), attr_int("reverse", 1)}, 14}, {x, axis_last});
  CHECK(values<double>(y) == std::vector<double>{5, 3, 0, 11, 6, 0});
  y = run1({"CumProd", {attr_int("exclusive", 1)}, 26}, {x, axis_last});
  CHECK(values<double>(y) == std::vector<double>{1, 1, 2, 1, 4, 20});
  Tensor i = ints({int64_t(1) << 53, 1, 1}, {3});
  y = run1({"CumSum", {}, 11}, {i, axis0});
  CHECK(values<int64_t>(y)[2] == (int64_t(1) << 53) + 2);
  CHECK_THROWS_AS(run1({"CumSum", {}, 14}, {x, Tensor::from_vector(std::vector<int64_t>{2}, {})}), Error);
  CHECK_THROWS_AS(run1({"CumSum", {}, 14}, {x, Tensor::from_vector(std::vector<int64_t>{0, 1}, {2})}), Error);
}

}  // namespace
}  // namespace onnxi::test
