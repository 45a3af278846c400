// Indexing ops: Slice, Split, Concat, Gather*, Scatter*, Compress, TensorScatter.
#include "op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor iota_f32(Shape shape) {
  Tensor t(DataType::Float, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

Tensor ints(std::vector<int64_t> v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  return Tensor::from_vector(v, shape);
}

std::vector<float> floats_of(const Value& v) { return values<float>(v.tensor()); }

}  // namespace

TEST_CASE("tensor: Slice clamps bounds and walks negative steps") {
  // x = [[0..4], [5..9]]
  struct Case {
    std::vector<int64_t> starts, ends, axes, steps;
    Shape shape;
    std::vector<float> expected;
  };
  const int64_t big = INT64_MAX, small = INT64_MIN;
  const std::vector<Case> cases = {
      {{0, 1}, {2, 3}, {0, 1}, {1, 1}, {2, 2}, {1, 2, 6, 7}},
      {{1}, {big}, {1}, {2}, {2, 2}, {1, 3, 6, 8}},
      {{-1}, {small}, {1}, {-1}, {2, 5}, {4, 3, 2, 1, 0, 9, 8, 7, 6, 5}},
      {{10}, {0}, {1}, {-2}, {2, 2}, {4, 2, 9, 7}},
      {{3}, {1}, {1}, {1}, {2, 0}, {}},
      {{-100}, {100}, {0}, {1}, {2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
  };
  for (const Case& c : cases) {
    auto out = run_node({"Slice", {}, 13}, {iota_f32({2, 5}), ints(c.starts), ints(c.ends), ints(c.axes), ints(c.steps)});
    CHECK(out[0].tensor().shape() == c.shape);
    CHECK(floats_of(out[0]) == c.expected);
  }
  auto v1 = run_node({"Slice", {attr_ints("starts", {1}), attr_ints("ends", {3}), attr_ints("axes", {1})}, 1}, {iota_f32({2, 5})});
  CHECK(floats_of(v1[0]) == std::vector<float>{1, 2, 6, 7});
  CHECK_THROWS_AS(run_node({"Slice", {}, 13}, {iota_f32({2, 5}), ints({0}), ints({1}), ints({0}), ints({0})}), Error);
}

TEST_CASE("tensor: Split by sizes, equal parts and num_outputs") {
  NodeRun sized{"Split", {attr_int("axis", 1)}, 13, "", 2};
  auto a = run_node(sized, {iota_f32({2, 5}), ints({2, 3})});
  CHECK(floats_of(a[0]) == std::vector<float>{0, 1, 5, 6});
  CHECK(floats_of(a[1]) == std::vector<float>{2, 3, 4, 7, 8, 9});
  NodeRun uneven{"Split", {attr_int("num_outputs", 3)}, 18, "", 3};
  auto b = run_node(uneven, {iota_f32({7})});
  CHECK(floats_of(b[0]) == std::vector<float>{0, 1, 2});
  CHECK(floats_of(b[1]) == std::vector<float>{3, 4, 5});
  CHECK(floats_of(b[2]) == std::vector<float>{6});
  NodeRun bad{"Split", {}, 13, "", 2};
  CHECK_THROWS_AS(run_node(bad, {iota_f32({5}), ints({2, 2})}), Error);
}

TEST_CASE("tensor: Concat joins along an axis, strings too") {
  auto out = run_node({"Concat", {attr_int("axis", -1)}, 13}, {iota_f32({2, 2}), iota_f32({2, 1})});
  CHECK(floats_of(out[0]) == std::vector<float>{0, 1, 0, 2, 3, 1});
  auto s = run_node({"Concat", {attr_int("axis", 0)}, 13},
                    {Tensor::from_vector<std::string>({"a"}, {1}), Tensor::from_vector<std::string>({"b", "c"}, {2})});
  CHECK(values<std::string>(s[0].tensor()) == std::vector<std::string>{"a", "b", "c"});
  CHECK_THROWS_AS(run_node({"Concat", {attr_int("axis", 0)}, 13}, {iota_f32({2, 2}), iota_f32({2, 3})}), Error);
}

TEST_CASE("tensor: Gather, GatherElements, GatherND") {
  auto g = run_node({"Gather", {attr_int("axis", 1)}, 13}, {iota_f32({2, 3}), ints({2, -3, 1}, {3})});
  CHECK(g[0].tensor().shape() == Shape{2, 3});
  CHECK(floats_of(g[0]) == std::vector<float>{2, 0, 1, 5, 3, 4});
  auto scalar = run_node({"Gather", {}, 13}, {iota_f32({2, 3}), Tensor::scalar_i64(1)});
  CHECK(scalar[0].tensor().shape() == Shape{3});
  CHECK_THROWS_AS(run_node({"Gather", {}, 13}, {iota_f32({2, 3}), ints({2})}), Error);

  auto ge = run_node({"GatherElements", {attr_int("axis", 1)}, 13}, {iota_f32({2, 3}), ints({2, 0, -1, 1}, {2, 2})});
  CHECK(floats_of(ge[0]) == std::vector<float>{2, 0, 5, 4});

  auto nd = run_node({"GatherND", {}, 13}, {iota_f32({2, 2, 2}), ints({0, 1, 1, 0}, {2, 2})});
  CHECK(nd[0].tensor().shape() == Shape{2, 2});
  CHECK(floats_of(nd[0]) == std::vector<float>{2, 3, 4, 5});
  auto ndb = run_node({"GatherND", {attr_int("batch_dims", 1)}, 13}, {iota_f32({2, 2, 2}), ints({1, 0}, {2, 1})});
  CHECK(floats_of(ndb[0]) == std::vector<float>{2, 3, 4, 5});
}

TEST_CASE("tensor: ScatterElements and ScatterND reductions") {
  Tensor data = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 4});
  Tensor idx = ints({1, 1, 3}, {1, 3});
  Tensor upd = Tensor::from_vector<float>({10, 20, 5}, {1, 3});
  struct Case {
    const char* reduction;
    std::vector<float> expected;
  };
  for (const Case& c : std::vector<Case>{{"none", {1, 20, 3, 5}}, {"add", {1, 32, 3, 9}}, {"mul", {1, 400, 3, 20}},
                                         {"min", {1, 2, 3, 4}}, {"max", {1, 20, 3, 5}}}) {
    auto out = run_node({"ScatterElements", {attr_int("axis", 1), attr_string("reduction", c.reduction)}, 18}, {data, idx, upd});
    CHECK(floats_of(out[0]) == c.expected);
  }
  auto nd = run_node({"ScatterND", {attr_string("reduction", "add")}, 18},
                     {iota_f32({2, 2}), ints({1, 1}, {2, 1}), Tensor::from_vector<float>({10, 10, 1, 1}, {2, 2})});
  CHECK(floats_of(nd[0]) == std::vector<float>{0, 1, 13, 14});
  CHECK_THROWS_AS(run_node({"ScatterElements", {attr_string("reduction", "max")}, 16}, {data, idx, upd}), Error);
}

TEST_CASE("tensor: Compress with and without axis") {
  Tensor cond = Tensor::from_vector<bool>({false, true, true}, {3});
  auto a = run_node({"Compress", {attr_int("axis", 1)}, 11}, {iota_f32({2, 3}), cond});
  CHECK(floats_of(a[0]) == std::vector<float>{1, 2, 4, 5});
  auto b = run_node({"Compress", {}, 11}, {iota_f32({2, 3}), cond});
  CHECK(floats_of(b[0]) == std::vector<float>{1, 2});
}

TEST_CASE("tensor: TensorScatter writes per-batch, circular wraps") {
  Tensor past(DataType::Float, {2, 4, 1});
  Tensor update = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2, 1});
  auto lin = run_node({"TensorScatter", {attr_int("axis", 1)}, 24}, {past, update, ints({0, 2})});
  CHECK(floats_of(lin[0]) == std::vector<float>{1, 2, 0, 0, 0, 0, 3, 4});
  auto circ = run_node({"TensorScatter", {attr_int("axis", 1), attr_string("mode", "circular")}, 24}, {past, update, ints({3, 1})});
  CHECK(floats_of(circ[0]) == std::vector<float>{2, 0, 0, 1, 0, 3, 4, 0});
  CHECK_THROWS_AS(run_node({"TensorScatter", {attr_int("axis", 1)}, 24}, {past, update, ints({3, 0})}), Error);
}
