// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss through a real Session: every reduction,
// class weights, ignore_index (inside, below and above the class range), N-D inputs, int32 targets,
// float16 / double / bfloat16 data, the optional log_prob output, inference with symbolic dims, and
// the errors for bad attributes, shapes, types and targets. Expected values are worked by hand in the
// comments (the NLL ones are the ONNX spec's own examples).
#include <cmath>
#include <limits>
#include <vector>

#include "onnxi/error.h"
#include "onnxi/float_types.h"
#include "op_test_util.h"

namespace onnxi::test {
namespace {

Tensor floats(std::vector<float> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor ints(std::vector<int64_t> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor scalar(float v) { return floats({v}, {}); }

NodeRun nll(const char* reduction, int64_t opset = 22) {
  return {"NegativeLogLikelihoodLoss", {attr_string("reduction", reduction)}, opset};
}
NodeRun nll_ii(const char* reduction, int64_t ignore, int64_t opset = 22) {
  return {"NegativeLogLikelihoodLoss", {attr_string("reduction", reduction), attr_int("ignore_index", ignore)}, opset};
}
NodeRun sce(const char* reduction, size_t outputs = 1, int64_t opset = 13) {
  return {"SoftmaxCrossEntropyLoss", {attr_string("reduction", reduction)}, opset, "", outputs};
}
Tensor run1(const NodeRun& spec, const std::vector<Value>& inputs) { return run_node(spec, inputs).at(0).tensor(); }

// The spec's example: N, C, d1 = 2, 3, 2.
const Tensor kInput = floats({1, 2, 2, 2, 3, 2, 0, 1, 2, 2, 1, 2}, {2, 3, 2});
const Tensor kTarget = ints({2, 1, 0, 2}, {2, 2});
const Tensor kWeight = floats({0.2f, 0.3f, 0.1f}, {3});

Tensor half(const std::vector<float>& v, Shape s) {
  Tensor t(DataType::Float16, std::move(s));
  for (size_t i = 0; i < v.size(); ++i) t.data<uint16_t>()[i] = f32_to_f16(v[i]);
  return t;
}
Tensor bf16(const std::vector<float>& v, Shape s) {
  Tensor t(DataType::BFloat16, std::move(s));
  for (size_t i = 0; i < v.size(); ++i) t.data<uint16_t>()[i] = f32_to_bf16(v[i]);
  return t;
}

// ---- NegativeLogLikelihoodLoss ---------------------------------------------------------------------

TEST_CASE("NegativeLogLikelihoodLoss: the spec's examples for every reduction") {
  // Picked: input[0, 2, 0] = 3, input[0, 1, 1] = 2, input[1, 0, 0] = 0, input[1, 2, 1] = 2.
  check_close(run1(nll("none"), {kInput, kTarget}), floats({-3, -2, -0, -2}, {2, 2}));
  check_close(run1(nll("sum"), {kInput, kTarget}), scalar(-7));
  check_close(run1(nll("mean"), {kInput, kTarget}), scalar(-1.75f));
  // Weighted by class 2, 1, 0, 2: -0.3, -0.6, 0, -0.2; the mean divides by 0.1 + 0.3 + 0.2 + 0.1.
  check_close(run1(nll("none"), {kInput, kTarget, kWeight}), floats({-0.3f, -0.6f, 0, -0.2f}, {2, 2}));
  check_close(run1(nll("sum"), {kInput, kTarget, kWeight}), scalar(-1.1f));
  check_close(run1(nll("mean"), {kInput, kTarget, kWeight}), scalar(-1.1f / 0.7f));
  // reduction defaults to mean.
  check_close(run1({"NegativeLogLikelihoodLoss", {}, 22}, {kInput, kTarget}), scalar(-1.75f));
}

TEST_CASE("NegativeLogLikelihoodLoss: ignore_index drops samples from the sum and the mean's count") {
  // Class 2 ignored: only samples (0, 1) -> -2 and (1, 0) -> -0 remain.
  check_close(run1(nll_ii("none", 2), {kInput, kTarget}), floats({0, -2, -0, 0}, {2, 2}));
  check_close(run1(nll_ii("sum", 2), {kInput, kTarget}), scalar(-2));
  check_close(run1(nll_ii("mean", 2), {kInput, kTarget}), scalar(-1));
  // Weighted: -0.6 and 0 over the weights 0.3 + 0.2.
  check_close(run1(nll_ii("mean", 2), {kInput, kTarget, kWeight}), scalar(-1.2f));
  // A negative ignore_index, and one above the class range, may appear as targets.
  const Tensor t_neg = ints({-1, 1, 0, -1}, {2, 2});
  check_close(run1(nll_ii("none", -1), {kInput, t_neg}), floats({0, -2, -0, 0}, {2, 2}));
  const Tensor t_high = ints({10, 1, 0, 10}, {2, 2});
  check_close(run1(nll_ii("sum", 10), {kInput, t_high, kWeight}), scalar(-0.6f));
  // Everything ignored: the mean is 0 / 0.
  const Tensor all = ints({2, 2, 2, 2}, {2, 2});
  CHECK(std::isnan(run1(nll_ii("mean", 2), {kInput, all}).data<float>()[0]));
  check_close(run1(nll_ii("sum", 2), {kInput, all}), scalar(0));
}

TEST_CASE("NegativeLogLikelihoodLoss: [N, C] and 5-D inputs, int32 targets, opsets 12 and 13") {
  const Tensor x = floats({-1, -2, -3, -4, -5, -6}, {2, 3});
  check_close(run1(nll("none", 12), {x, ints({0, 2}, {2})}), floats({1, 6}, {2}));
  check_close(run1(nll("mean", 13), {x, Tensor::from_vector<int32_t>({0, 2}, {2})}), scalar(3.5f));
  // [N=1, C=2, 2, 1, 2]: the class axis has stride 4; target picks class 1 at flat spatial 0 and 3.
  std::vector<float> v(8);
  for (int i = 0; i < 8; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i + 1);
  const Tensor x5 = floats(v, {1, 2, 2, 1, 2});
  const Tensor t5 = ints({1, 0, 0, 1}, {1, 2, 1, 2});
  check_close(run1(nll("none"), {x5, t5}), floats({-5, -2, -3, -8}, {1, 2, 1, 2}));
  check_close(run1(nll("sum"), {x5, t5, floats({2, 0.5f}, {2})}), scalar(-(2.5f + 4 + 6 + 4)));
}

TEST_CASE("NegativeLogLikelihoodLoss: float16, double and bfloat16 data") {
  const Tensor h = run1(nll("mean"), {half({1, 2, 2, 2, 3, 2, 0, 1, 2, 2, 1, 2}, {2, 3, 2}), kTarget});
  REQUIRE(h.dtype() == DataType::Float16);
  CHECK(f16_to_f32(h.data<uint16_t>()[0]) == -1.75f);
  const Tensor xd = Tensor::from_vector<double>({0.1, 0.2, 0.3, 0.4}, {2, 2});
  const Tensor wd = Tensor::from_vector<double>({1, 3}, {2});
  const Tensor d = run1(nll("mean"), {xd, ints({1, 0}, {2}), wd});
  REQUIRE(d.dtype() == DataType::Double);
  CHECK(d.data<double>()[0] == doctest::Approx(-(0.2 * 3 + 0.3) / 4).epsilon(1e-15));
  // bfloat16 from opset 22 only.
  const Tensor xb = bf16({-1, -2, -4, -8}, {2, 2});
  const Tensor b = run1(nll("none"), {xb, ints({1, 1}, {2})});
  REQUIRE(b.dtype() == DataType::BFloat16);
  CHECK(bf16_to_f32(b.data<uint16_t>()[1]) == 8.f);
  CHECK_THROWS_WITH_AS(run1(nll("none", 13), {xb, ints({1, 1}, {2})}), doctest::Contains("bfloat16"), Error);
}

TEST_CASE("NegativeLogLikelihoodLoss: bad attributes, shapes, types and targets") {
  CHECK_THROWS_WITH_AS(run1(nll("avg"), {kInput, kTarget}), doctest::Contains("reduction"), Error);
  // Target out of range, with no ignore_index and with a different one.
  CHECK_THROWS_WITH_AS(run1(nll("none"), {kInput, ints({3, 1, 0, 2}, {2, 2})}), doctest::Contains("outside"), Error);
  CHECK_THROWS_WITH_AS(run1(nll_ii("sum", 5), {kInput, ints({2, -1, 0, 2}, {2, 2})}), doctest::Contains("element 1"),
                       Error);
  // Target shape must be [N, d1..dk].
  CHECK_THROWS_WITH_AS(run1(nll("none"), {kInput, ints({0, 1, 2, 0, 1, 2}, {2, 3})}), doctest::Contains("target"),
                       Error);
  CHECK_THROWS_WITH_AS(run1(nll("none"), {kInput, ints({0, 1}, {2})}), doctest::Contains("target"), Error);
  // Weight must be [C] of the input's type.
  CHECK_THROWS_WITH_AS(run1(nll("sum"), {kInput, kTarget, floats({1, 1}, {2})}), doctest::Contains("weight"), Error);
  CHECK_THROWS_WITH_AS(run1(nll("sum"), {kInput, kTarget, Tensor::from_vector<double>({1, 1, 1}, {3})}),
                       doctest::Contains("weight"), Error);
  // Input rank 1, float targets, integer inputs.
  CHECK_THROWS_WITH_AS(run1(nll("none"), {floats({1, 2}, {2}), ints({0, 1}, {2})}),
                       doctest::Contains("must be [N, C"), Error);
  CHECK_THROWS_WITH_AS(run1(nll("none"), {kInput, floats({0, 1, 0, 1}, {2, 2})}), doctest::Contains("int32 or int64"),
                       Error);
  CHECK_THROWS_WITH_AS(run1(nll("none"), {ints({1, 2, 3, 4}, {2, 2}), ints({0, 1}, {2})}), doctest::Contains("int64"),
                       Error);
}

TEST_CASE("NegativeLogLikelihoodLoss: inference with symbolic dims") {
  Model m = single_node_model(nll("none"), {kInput, kTarget});
  m.graph.inputs[0].type = TypeInfo::tensor(DataType::Float, {Dim::symbol("N"), Dim::known(3), Dim{}});
  m.graph.inputs[1].type = TypeInfo::tensor(DataType::Int64, {Dim{}, Dim::known(2)});
  Session s = Session::from_model(m);
  CHECK(s.outputs()[0].type.str() == TypeInfo::tensor(DataType::Float, {Dim::symbol("N"), Dim::known(2)}).str());
  Model mean = single_node_model(nll("mean"), {kInput, kTarget});
  CHECK(Session::from_model(mean).outputs()[0].type.str() == TypeInfo::tensor(DataType::Float, {}).str());
  // Known dims that disagree fail at load.
  Model bad = single_node_model(nll("none"), {kInput, kTarget});
  bad.graph.inputs[1].type = TypeInfo::tensor(DataType::Int64, {Dim::known(2), Dim::known(5)});
  CHECK_THROWS_AS(Session::from_model(bad), Error);
}

// ---- SoftmaxCrossEntropyLoss -----------------------------------------------------------------------

// log_softmax([1, 2, 3]) = [1, 2, 3] - 3 - ln(1 + e^-1 + e^-2) = [-2.40760596, -1.40760596, -0.40760596];
// log_softmax([0, 0, 0]) = -ln 3 = -1.09861229 each.
const Tensor kScores = floats({1, 2, 3, 0, 0, 0}, {2, 3});
const Tensor kLabels = ints({2, 1}, {2});
const Tensor kLogProb = floats({-2.40760596f, -1.40760596f, -0.40760596f, -1.09861229f, -1.09861229f, -1.09861229f},
                               {2, 3});

TEST_CASE("SoftmaxCrossEntropyLoss: reductions, weights and the log_prob output") {
  check_close(run1(sce("none"), {kScores, kLabels}), floats({0.40760596f, 1.09861229f}, {2}));
  check_close(run1(sce("sum"), {kScores, kLabels}), scalar(1.50621825f));
  check_close(run1(sce("mean"), {kScores, kLabels}), scalar(0.75310912f));
  // Weights [1, 2, 3]: 3 * 0.40760596 + 2 * 1.09861229 = 3.42004246 over 3 + 2.
  const Tensor w = floats({1, 2, 3}, {3});
  check_close(run1(sce("mean"), {kScores, kLabels, w}), scalar(0.68400849f));
  check_close(run1(sce("none"), {kScores, kLabels, w}), floats({1.22281788f, 2.19722458f}, {2}));
  const auto both = run_node(sce("mean", 2), {kScores, kLabels});
  REQUIRE(both.size() == 2);
  check_close(both[0].tensor(), scalar(0.75310912f));
  check_close(both[1].tensor(), kLogProb);
  // ignore_index 1 leaves only the first sample.
  const NodeRun ii{"SoftmaxCrossEntropyLoss", {attr_int("ignore_index", 1)}, 13, "", 2};
  const auto ignored = run_node(ii, {kScores, kLabels});
  check_close(ignored[0].tensor(), scalar(0.40760596f));
  check_close(ignored[1].tensor(), kLogProb);  // log_prob is not masked
}

TEST_CASE("SoftmaxCrossEntropyLoss: N-D scores use the class axis, large scores stay finite") {
  // [N=1, C=2, d1=2]: position 0 sees classes [0, 0], position 1 sees [1, 3].
  // log p at position 1: class 1 = -ln(1 + e^-2) = -0.12692801, class 0 = -2.12692801.
  const Tensor x = floats({0, 1, 0, 3}, {1, 2, 2});
  const auto out = run_node(sce("none", 2), {x, ints({1, 0}, {1, 2})});
  check_close(out[0].tensor(), floats({0.69314718f, 2.12692801f}, {1, 2}));
  check_close(out[1].tensor(), floats({-0.69314718f, -2.12692801f, -0.69314718f, -0.12692801f}, {1, 2, 2}));
  // No overflow for scores far from zero: log_softmax([1000, 0]) = [-ln(1 + e^-1000), -1000] ~ [0, -1000],
  // and log_softmax([-1000, 0]) ~ [-1000, 0].
  const Tensor big = floats({1000, 0, -1000, 0}, {2, 2});
  check_close(run1(sce("none"), {big, ints({0, 0}, {2})}), floats({0, 1000}, {2}));
}

TEST_CASE("SoftmaxCrossEntropyLoss: opset 12, float16 and double, errors") {
  check_close(run1(sce("mean", 1, 12), {kScores, Tensor::from_vector<int32_t>({2, 1}, {2})}), scalar(0.75310912f));
  const Tensor h = run1(sce("sum"), {half({0, 0, 0, 0}, {2, 2}), ints({0, 1}, {2})});
  REQUIRE(h.dtype() == DataType::Float16);
  CHECK(f16_to_f32(h.data<uint16_t>()[0]) == doctest::Approx(2 * 0.69314718).epsilon(1e-3));
  const Tensor d = run1(sce("none"), {Tensor::from_vector<double>({0, std::log(3.0)}, {1, 2}), ints({1}, {1})});
  REQUIRE(d.dtype() == DataType::Double);
  CHECK(d.data<double>()[0] == doctest::Approx(std::log(4.0 / 3.0)).epsilon(1e-14));
  CHECK_THROWS_WITH_AS(run1(sce("mean", 1, 12), {bf16({0, 0}, {1, 2}), ints({0}, {1})}), doctest::Contains("bfloat16"),
                       Error);
  CHECK_THROWS_WITH_AS(run1(sce("none"), {kScores, ints({3, 0}, {2})}), doctest::Contains("labels"), Error);
  CHECK_THROWS_WITH_AS(run1(sce("none"), {kScores, kLabels, floats({1, 1, 1, 1}, {4})}), doctest::Contains("weights"),
                       Error);
  CHECK_THROWS_WITH_AS(run1(sce("max"), {kScores, kLabels}), doctest::Contains("reduction"), Error);
}

TEST_CASE("SoftmaxCrossEntropyLoss: inference of both outputs") {
  Model m = single_node_model(sce("none", 2), {kScores, kLabels});
  m.graph.inputs[0].type = TypeInfo::tensor(DataType::Float, {Dim::symbol("B"), Dim::known(3)});
  m.graph.inputs[1].type = TypeInfo::tensor(DataType::Int64, {Dim{}});
  Session s = Session::from_model(m);
  CHECK(s.outputs()[0].type.str() == TypeInfo::tensor(DataType::Float, {Dim::symbol("B")}).str());
  CHECK(s.outputs()[1].type.str() == TypeInfo::tensor(DataType::Float, {Dim::symbol("B"), Dim::known(3)}).str());
}

}  // namespace
}  // namespace onnxi::test
