// Shape-only ops: Reshape, Flatten, Squeeze, Unsqueeze, Identity, Shape, Size, Constant,
// ConstantOfShape, through a real one-node Session.
#include "op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor iota_f32(Shape shape) {
  Tensor t(DataType::Float, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

Tensor ints(std::vector<int64_t> v) {
  auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector(v, {n});
}

}  // namespace

TEST_CASE("tensor: Reshape handles 0, -1 and allowzero") {
  struct Case {
    Shape in;
    std::vector<int64_t> request;
    int64_t allowzero;
    Shape expected;
  };
  const std::vector<Case> cases = {
      {{2, 3, 4}, {4, -1}, 0, {4, 6}},
      {{2, 3, 4}, {0, -1}, 0, {2, 12}},
      {{2, 3, 4}, {-1}, 0, {24}},
      {{2, 3, 4}, {0, 0, 4}, 0, {2, 3, 4}},
      {{0, 3}, {3, 0}, 1, {3, 0}},
      {{2, 0}, {0, -1}, 0, {2, 0}},
  };
  for (const Case& c : cases) {
    auto out = run_node({"Reshape", {attr_int("allowzero", c.allowzero)}, 14}, {iota_f32(c.in), ints(c.request)});
    CHECK(out[0].tensor().shape() == c.expected);
    CHECK(values<float>(out[0].tensor()) == values<float>(iota_f32(c.in)));
  }
  CHECK_THROWS_AS(run_node({"Reshape", {}, 14}, {iota_f32({2, 3}), ints({4, -1})}), Error);
  CHECK_THROWS_AS(run_node({"Reshape", {}, 14}, {iota_f32({2, 3}), ints({-1, -1})}), Error);
}

TEST_CASE("tensor: Flatten splits at axis, negative axes count from the back") {
  CHECK(run_node({"Flatten", {attr_int("axis", 2)}, 13}, {iota_f32({2, 3, 4, 5})})[0].tensor().shape() == Shape{6, 20});
  CHECK(run_node({"Flatten", {attr_int("axis", 0)}, 13}, {iota_f32({2, 3})})[0].tensor().shape() == Shape{1, 6});
  CHECK(run_node({"Flatten", {attr_int("axis", -1)}, 13}, {iota_f32({2, 3, 4})})[0].tensor().shape() == Shape{6, 4});
  CHECK(run_node({"Flatten", {attr_int("axis", 3)}, 13}, {iota_f32({2, 3, 4})})[0].tensor().shape() == Shape{24, 1});
}

TEST_CASE("tensor: Squeeze and Unsqueeze, attribute and input forms") {
  CHECK(run_node({"Squeeze", {}, 13}, {iota_f32({1, 3, 1, 2}), ints({0, -2})})[0].tensor().shape() == Shape{3, 2});
  CHECK(run_node({"Squeeze", {}, 13}, {iota_f32({1, 3, 1, 2})})[0].tensor().shape() == Shape{3, 2});
  CHECK(run_node({"Squeeze", {attr_ints("axes", {2})}, 11}, {iota_f32({1, 3, 1, 2})})[0].tensor().shape() == Shape{1, 3, 2});
  CHECK_THROWS_AS(run_node({"Squeeze", {}, 13}, {iota_f32({1, 3}), ints({1})}), Error);
  CHECK(run_node({"Unsqueeze", {}, 13}, {iota_f32({3, 2}), ints({0, 3})})[0].tensor().shape() == Shape{1, 3, 2, 1});
  CHECK(run_node({"Unsqueeze", {}, 13}, {iota_f32({3, 2}), ints({-1})})[0].tensor().shape() == Shape{3, 2, 1});
  CHECK(run_node({"Unsqueeze", {attr_ints("axes", {1})}, 11}, {iota_f32({3})})[0].tensor().shape() == Shape{3, 1});
  CHECK_THROWS_AS(run_node({"Unsqueeze", {}, 13}, {iota_f32({3}), ints({0, 0})}), Error);
}

TEST_CASE("tensor: Shape with start/end clamps; Size counts elements") {
  struct Case {
    int64_t start, end;
    std::vector<int64_t> expected;
  };
  for (const Case& c : std::vector<Case>{{0, 100, {2, 3, 4}}, {1, 100, {3, 4}}, {-1, 100, {4}}, {0, -1, {2, 3}},
                                         {-10, 1, {2}}, {2, 1, {}}}) {
    auto out = run_node({"Shape", {attr_int("start", c.start), attr_int("end", c.end)}, 15}, {iota_f32({2, 3, 4})});
    CHECK(values<int64_t>(out[0].tensor()) == c.expected);
  }
  auto size = run_node({"Size", {}, 13}, {iota_f32({2, 3, 4})});
  CHECK(size[0].tensor().rank() == 0);
  CHECK(values<int64_t>(size[0].tensor()) == std::vector<int64_t>{24});
}

TEST_CASE("tensor: Constant forms and ConstantOfShape") {
  auto f = run_node({"Constant", {attr_floats("value_floats", {1.5f, 2.5f})}, 13}, {});
  CHECK(values<float>(f[0].tensor()) == std::vector<float>{1.5f, 2.5f});
  auto i = run_node({"Constant", {attr_int("value_int", 7)}, 13}, {});
  CHECK(i[0].tensor().rank() == 0);
  CHECK(values<int64_t>(i[0].tensor()) == std::vector<int64_t>{7});
  auto s = run_node({"Constant", {attr_strings("value_strings", {"a", "bc"})}, 13}, {});
  CHECK(values<std::string>(s[0].tensor()) == std::vector<std::string>{"a", "bc"});
  CHECK_THROWS_AS(run_node({"Constant", {}, 13}, {}), Error);

  auto zeros = run_node({"ConstantOfShape", {}, 20}, {ints({2, 3})});
  CHECK(zeros[0].tensor().dtype() == DataType::Float);
  CHECK(values<float>(zeros[0].tensor()) == std::vector<float>(6, 0.f));
  auto sevens = run_node({"ConstantOfShape", {attr_tensor("value", Tensor::from_vector<int32_t>({7}, {1}))}, 20}, {ints({3})});
  CHECK(values<int32_t>(sevens[0].tensor()) == std::vector<int32_t>{7, 7, 7});
  auto empty = run_node({"ConstantOfShape", {}, 20}, {ints({0})});
  CHECK(empty[0].tensor().numel() == 0);
}

TEST_CASE("tensor: Identity passes strings and values through") {
  auto out = run_node({"Identity", {}, 21}, {Tensor::from_vector<std::string>({"x", "y"}, {2})});
  CHECK(values<std::string>(out[0].tensor()) == std::vector<std::string>{"x", "y"});
}

TEST_CASE("tensor: shape arithmetic folds at load, so Reshape's output shape is static") {
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = 21;
  auto node = [](std::string op, std::vector<std::string> in, std::string out, std::vector<Attribute> attrs = {}) {
    Node n;
    n.name = out + "_node";
    n.op_type = std::move(op);
    n.inputs = std::move(in);
    n.outputs = {std::move(out)};
    n.attributes = std::move(attrs);
    return n;
  };
  // x: [N, 3, 4] with a symbolic batch; y = Reshape(x, [N, -1]) where N comes from Shape(x)[0].
  m.graph.inputs.push_back(ValueInfo{"x", TypeInfo::tensor(DataType::Float, {Dim::symbol("N"), Dim::known(3), Dim::known(4)}), {}});
  m.graph.initializers["zero"] = Tensor::from_vector<int64_t>({0}, {1});
  m.graph.initializers["minus_one"] = Tensor::from_vector<int64_t>({-1}, {1});
  m.graph.nodes.push_back(node("Shape", {"x"}, "s", {attr_int("start", 1)}));
  m.graph.nodes.push_back(node("Gather", {"s", "zero"}, "d"));
  m.graph.nodes.push_back(node("Concat", {"minus_one", "d"}, "shape", {attr_int("axis", 0)}));
  m.graph.nodes.push_back(node("Reshape", {"x", "shape"}, "y"));
  m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
  Session s = Session::from_model(m);
  const TypeInfo& y = s.outputs()[0].type;
  REQUIRE(y.has_shape);
  REQUIRE(y.dims.size() == 2);
  CHECK(y.dims[1] == Dim::known(3));  // Shape(x)[1:][0] = 3 is static even with a symbolic batch
  CHECK_FALSE(y.dims[0].is_known());
  auto out = s.run({{"x", Value(iota_f32({2, 3, 4}))}});
  CHECK(out[0].tensor().shape() == Shape{8, 3});
}
