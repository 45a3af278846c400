// ai.onnx.ml ops through a real Session, with hand-computed expectations: the preprocessing and
// encoding ops, LabelEncoder (1, 2, 4) and CategoryMapper, ZipMap's sequence of maps, and small
// hand-built trees and linear models.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "onnxi/float_types.h"
#include "op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

constexpr const char* kMl = "ai.onnx.ml";

Tensor f32(std::vector<float> v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  return Tensor::from_vector(v, std::move(shape));
}
Tensor i64(std::vector<int64_t> v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  return Tensor::from_vector(v, std::move(shape));
}
Tensor str(std::vector<std::string> v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  return Tensor::from_vector(v, std::move(shape));
}

std::vector<std::string> strings_of(const Tensor& t) { return values<std::string>(t); }

std::vector<Value> run_ml(const std::string& op, std::vector<Attribute> attrs, const std::vector<Value>& in,
                          size_t outputs = 1, int64_t opset = 1) {
  return run_node(NodeRun{op, std::move(attrs), opset, kMl, outputs}, in);
}
Tensor run1(const std::string& op, std::vector<Attribute> attrs, const std::vector<Value>& in, int64_t opset = 1) {
  return run_ml(op, std::move(attrs), in, 1, opset)[0].tensor();
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// ---- ArrayFeatureExtractor ----------------------------------------------------------------------

TEST_CASE("ArrayFeatureExtractor gathers along the last axis; 1-D input gives one row") {
  Tensor z = run1("ArrayFeatureExtractor", {}, {f32({0, 1, 2, 3, 4, 5}, {2, 3}), i64({2, 0, 2})});
  check_close(z, f32({2, 0, 2, 5, 3, 5}, {2, 3}));
  z = run1("ArrayFeatureExtractor", {}, {f32({7, 8, 9}), i64({1}, {1, 1})});
  check_close(z, f32({8}, {1, 1}));
  z = run1("ArrayFeatureExtractor", {}, {str({"a", "b", "c", "d"}, {2, 1, 2}), i64({1})});
  CHECK(z.shape() == Shape{2, 1, 1});
  CHECK(strings_of(z) == std::vector<std::string>{"b", "d"});
  CHECK(has(error_of([] { run1("ArrayFeatureExtractor", {}, {f32({1, 2}), i64({2})}); }), "index 2"));
  CHECK(has(error_of([] { run1("ArrayFeatureExtractor", {}, {f32({1, 2}), i64({-1})}); }), "outside [0, 2)"));
}

// ---- Binarizer, Scaler, Normalizer, Imputer ---------------------------------------------------------

TEST_CASE("Binarizer maps x > threshold to 1 in the input type") {
  check_close(run1("Binarizer", {attr_float("threshold", 0.5f)}, {f32({-1.f, 0.5f, 0.6f, NAN})}), f32({0, 0, 1, 0}));
  Tensor y = run1("Binarizer", {attr_float("threshold", 1.5f)}, {i64({1, 2, 3})});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{0, 1, 1});
  check_close(run1("Binarizer", {}, {f32({-0.f, 1e-30f})}), f32({0, 1}));
}

TEST_CASE("Scaler subtracts offset then multiplies by scale, per feature or for all") {
  const std::vector<Attribute> per = {attr_floats("offset", {1.f, 2.f}), attr_floats("scale", {2.f, 0.5f})};
  check_close(run1("Scaler", per, {f32({1, 2, 3, 6}, {2, 2})}), f32({0, 0, 4, 2}, {2, 2}));
  check_close(run1("Scaler", {attr_floats("offset", {1.f}), attr_floats("scale", {3.f})}, {i64({1, 2, 4})}),
              f32({0, 3, 9}));
  CHECK(has(error_of([&] { run1("Scaler", per, {f32({1, 2, 3}, {1, 3})}); }), "needs 1 or one per feature (3"));
}

TEST_CASE("Normalizer divides each row by its max x, L1 or L2 norm; zero rows stay") {
  check_close(run1("Normalizer", {}, {f32({1, -4, 2, 0, 0, 0, -1, -2, -4}, {3, 3})}),
              f32({0.5f, -2, 1, 0, 0, 0, 1, 2, 4}, {3, 3}));
  check_close(run1("Normalizer", {attr_string("norm", "L1")}, {f32({1, -3}, {1, 2})}), f32({0.25f, -0.75f}, {1, 2}));
  check_close(run1("Normalizer", {attr_string("norm", "L2")}, {i64({3, -4})}), f32({0.6f, -0.8f}));
  CHECK(has(error_of([] { run1("Normalizer", {attr_string("norm", "L3")}, {f32({1})}); }), "'L3'"));
  CHECK(has(error_of([] { run1("Normalizer", {}, {f32({1}, {1, 1, 1})}); }), "[N, C] or [C]"));
}

TEST_CASE("Imputer replaces NaN or a sentinel per feature") {
  const std::vector<Attribute> nan = {attr_floats("imputed_value_floats", {10.f, 20.f}),
                                      attr_float("replaced_value_float", NAN)};
  check_close(run1("Imputer", nan, {f32({NAN, 1, 2, NAN}, {2, 2})}), f32({10, 1, 2, 20}, {2, 2}));
  Tensor y = run1("Imputer", {attr_ints("imputed_value_int64s", {0}), attr_int("replaced_value_int64", -1)},
                  {i64({-1, 5, -1}, {1, 3})});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{0, 5, 0});
  CHECK(has(error_of([&] { run1("Imputer", nan, {i64({1, 2})}); }), "needs the imputed_value_int64s"));
  CHECK(has(error_of([&] { run1("Imputer", nan, {f32({1, 2, 3}, {1, 3})}); }), "one per feature (3"));
  CHECK(has(error_of([] { run1("Imputer", {}, {f32({1})}); }), "exactly one of imputed_value_floats"));
}

// ---- LabelEncoder, CategoryMapper ---------------------------------------------------------------

TEST_CASE("LabelEncoder-1 maps strings to positions and positions to strings") {
  const std::vector<Attribute> a = {attr_strings("classes_strings", {"a", "b"})};
  CHECK(values<int64_t>(run1("LabelEncoder", a, {str({"b", "z", "a"})})) == std::vector<int64_t>{1, -1, 0});
  std::vector<Attribute> to_s = a;
  to_s.push_back(attr_string("default_string", "?"));
  CHECK(strings_of(run1("LabelEncoder", to_s, {i64({0, 5, 1})})) == std::vector<std::string>{"a", "?", "b"});
}

TEST_CASE("LabelEncoder-2 maps keys to values with a typed default") {
  Tensor y = run1("LabelEncoder",
                  {attr_ints("keys_int64s", {1, 2}), attr_strings("values_strings", {"x", "y"}),
                   attr_string("default_string", "?")},
                  {i64({2, 3, 1}, {3, 1})}, 2);
  CHECK(y.shape() == Shape{3, 1});
  CHECK(strings_of(y) == std::vector<std::string>{"y", "?", "x"});
  // Float keys: a NaN key matches a NaN input; the float default is -0.
  y = run1("LabelEncoder", {attr_floats("keys_floats", {NAN, 1.f}), attr_floats("values_floats", {5.f, 6.f})},
           {f32({NAN, 1.f, 2.f})}, 2);
  check_close(y, f32({5, 6, -0.f}));
  // A repeated key keeps its last value.
  y = run1("LabelEncoder", {attr_strings("keys_strings", {"a", "a"}), attr_ints("values_int64s", {1, 2})},
           {str({"a"})}, 2);
  CHECK(values<int64_t>(y) == std::vector<int64_t>{2});
}

TEST_CASE("LabelEncoder-4 takes keys, values and default as tensors of more types") {
  Tensor keys = Tensor::from_vector(std::vector<int32_t>{7, 8}, {2});
  Tensor vals = Tensor::from_vector(std::vector<double>{0.5, 1.5}, {2});
  Tensor def = Tensor::from_vector(std::vector<double>{-2.0}, {1});
  Tensor x = Tensor::from_vector(std::vector<int32_t>{8, 9, 7}, {3});
  Tensor y = run1("LabelEncoder",
                  {attr_tensor("keys_tensor", keys), attr_tensor("values_tensor", vals), attr_tensor("default_tensor", def)},
                  {x}, 4);
  CHECK(values<double>(y) == std::vector<double>{1.5, -2.0, 0.5});
  // Without default_tensor an int16 value type falls back to default_int64.
  Tensor v16 = Tensor::from_vector(std::vector<int16_t>{3}, {1});
  y = run1("LabelEncoder", {attr_strings("keys_strings", {"q"}), attr_tensor("values_tensor", v16)}, {str({"q", "r"})},
           4);
  CHECK(values<int16_t>(y) == std::vector<int16_t>{3, -1});
}

TEST_CASE("LabelEncoder rejects mismatched attributes and inputs") {
  CHECK(has(error_of([] {
              run1("LabelEncoder", {attr_strings("keys_strings", {"a", "b"}), attr_ints("values_int64s", {1})},
                   {str({"a"})}, 2);
            }),
            "2 keys but 1 values"));
  CHECK(has(error_of([] {
              run1("LabelEncoder", {attr_strings("keys_strings", {"a"}), attr_ints("values_int64s", {1})}, {i64({1})}, 2);
            }),
            "the keys are string"));
  CHECK(has(error_of([] { run1("LabelEncoder", {attr_ints("values_int64s", {1})}, {i64({1})}, 2); }),
            "set exactly one of keys_strings"));
  CHECK(has(error_of([] {
              run1("LabelEncoder",
                   {attr_strings("keys_strings", {"a"}), attr_ints("values_int64s", {1}),
                    attr_tensor("default_tensor", f32({1.f}))},
                   {str({"a"})}, 4);
            }),
            "must be a single int64"));
}

TEST_CASE("CategoryMapper converts strings to ints and back, by input type") {
  const std::vector<Attribute> a = {attr_strings("cats_strings", {"a", "b"}), attr_ints("cats_int64s", {10, 20}),
                                    attr_string("default_string", "none")};
  CHECK(values<int64_t>(run1("CategoryMapper", a, {str({"b", "q"})})) == std::vector<int64_t>{20, -1});
  CHECK(strings_of(run1("CategoryMapper", a, {i64({10, 7}, {1, 2})})) == std::vector<std::string>{"a", "none"});
  CHECK(has(error_of([&] { run1("CategoryMapper", a, {f32({1})}); }), "takes string or int64"));
}

// ---- OneHotEncoder, FeatureVectorizer, ZipMap ---------------------------------------------------

TEST_CASE("OneHotEncoder appends a one-hot axis; numbers are truncated to int64") {
  Tensor y = run1("OneHotEncoder", {attr_ints("cats_int64s", {3, 1})}, {i64({1, 3, 5}, {1, 3})});
  check_close(y, f32({0, 1, 1, 0, 0, 0}, {1, 3, 2}));
  check_close(run1("OneHotEncoder", {attr_ints("cats_int64s", {3, 1})}, {f32({3.7f, -1.f})}), f32({1, 0, 0, 0}, {2, 2}));
  check_close(run1("OneHotEncoder", {attr_strings("cats_strings", {"x", "y", "z"})}, {str({"z"})}), f32({0, 0, 1}, {1, 3}));
  CHECK(has(error_of([] {
              run1("OneHotEncoder", {attr_ints("cats_int64s", {1}), attr_int("zeros", 0)}, {i64({1, 2})});
            }),
            "element 1 of input X is not among the categories"));
  CHECK(has(error_of([] { run1("OneHotEncoder", {attr_ints("cats_int64s", {1})}, {str({"a"})}); }), "needs cats_strings"));
}

TEST_CASE("FeatureVectorizer concatenates columns, padding or cutting to inputdimensions") {
  Tensor y = run1("FeatureVectorizer", {attr_ints("inputdimensions", {3, 1, 1})},
                  {f32({1, 2, 3, 4}, {2, 2}), i64({5, 6}, {2, 1}), f32({7, 8, 9, 10}, {2, 2})});
  check_close(y, f32({1, 2, 0, 5, 7, 3, 4, 0, 6, 9}, {2, 5}));
  check_close(run1("FeatureVectorizer", {attr_ints("inputdimensions", {2})}, {f32({1, 2})}), f32({1, 2}, {1, 2}));
  CHECK(has(error_of([] {
              run1("FeatureVectorizer", {attr_ints("inputdimensions", {1, 1})}, {f32({1, 2}, {2, 1}), f32({1}, {1, 1})});
            }),
            "has 1 rows; the inputs before it have 2"));
  CHECK(has(error_of([] { run1("FeatureVectorizer", {attr_ints("inputdimensions", {1, 1})}, {f32({1})}); }),
            "one width per input"));
}

TEST_CASE("ZipMap gives one map per row, keyed by the class labels") {
  auto out = run_ml("ZipMap", {attr_strings("classlabels_strings", {"a", "b"})}, {f32({0.25f, 0.75f, 1, 0}, {2, 2})});
  const Value& seq = out[0];
  REQUIRE(seq.is_sequence());
  REQUIRE(seq.items().size() == 2);
  const Value& m1 = seq.items()[1];
  REQUIRE(m1.is_map());
  CHECK(strings_of(m1.items()[0].tensor()) == std::vector<std::string>{"a", "b"});
  check_close(m1.items()[1].tensor(), f32({1, 0}));
  check_close(seq.items()[0].items()[1].tensor(), f32({0.25f, 0.75f}));
  out = run_ml("ZipMap", {attr_ints("classlabels_int64s", {4, 2, 9})}, {f32({1, 2, 3})});
  REQUIRE(out[0].items().size() == 1);
  CHECK(values<int64_t>(out[0].items()[0].items()[0].tensor()) == std::vector<int64_t>{4, 2, 9});
  CHECK(has(error_of([] { run_ml("ZipMap", {attr_ints("classlabels_int64s", {1})}, {f32({1, 2})}); }),
            "2 columns for 1 class labels"));
}

// ---- LinearRegressor, LinearClassifier ----------------------------------------------------------

TEST_CASE("LinearRegressor computes X W^T + b per target") {
  const std::vector<Attribute> a = {attr_floats("coefficients", {1, 2, 3, 4}), attr_floats("intercepts", {0.5f, -1}),
                                    attr_int("targets", 2)};
  check_close(run1("LinearRegressor", a, {f32({1, 1, 2, 0}, {2, 2})}), f32({3.5f, 6, 2.5f, 5}, {2, 2}));
  check_close(run1("LinearRegressor", {attr_floats("coefficients", {2, -1})}, {i64({3, 4})}), f32({2}, {1, 1}));
  CHECK(has(error_of([&] { run1("LinearRegressor", a, {f32({1, 2, 3}, {1, 3})}); }), "the model has 2 per target"));
}

TEST_CASE("LinearClassifier picks the best class; one score column with two labels becomes [-s, s]") {
  // Three classes, scores = [x0, x1, x0 + x1 - 1]
  const std::vector<Attribute> three = {attr_floats("coefficients", {1, 0, 0, 1, 1, 1}),
                                        attr_floats("intercepts", {0, 0, -1}),
                                        attr_strings("classlabels_strings", {"r", "g", "b"})};
  auto out = run_ml("LinearClassifier", three, {f32({2, 1, 0, 3, 2, 2}, {3, 2})}, 2);
  CHECK(strings_of(out[0].tensor()) == std::vector<std::string>{"r", "g", "b"});
  check_close(out[1].tensor(), f32({2, 1, 2, 0, 3, 2, 2, 2, 3}, {3, 3}));
  // Binary: s = 2 x0 - 1; LOGISTIC on [-s, s]
  const std::vector<Attribute> two = {attr_floats("coefficients", {2}), attr_floats("intercepts", {-1}),
                                      attr_ints("classlabels_ints", {5, 7}), attr_string("post_transform", "LOGISTIC")};
  out = run_ml("LinearClassifier", two, {f32({1, 0}, {2, 1})}, 2);
  CHECK(values<int64_t>(out[0].tensor()) == std::vector<int64_t>{7, 5});
  const float p = static_cast<float>(1 / (1 + std::exp(-1.0)));
  check_close(out[1].tensor(), f32({1 - p, p, p, 1 - p}, {2, 2}));
  CHECK(has(error_of([&] { run_ml("LinearClassifier", three, {f32({1, 2, 3, 4}, {1, 4})}, 2); }),
            "not a whole number of rows"));
  CHECK(has(error_of([] {
              run_ml("LinearClassifier", {attr_floats("coefficients", {1}), attr_string("post_transform", "TANH")},
                     {f32({1}, {1, 1})}, 2);
            }),
            "'TANH' is not one of"));
}

// ---- TreeEnsemble (opset 5) ---------------------------------------------------------------------

namespace {

Tensor u8(std::vector<uint8_t> v) { return Tensor::from_vector(v, {static_cast<int64_t>(v.size())}); }

// Tree A: node 0 (x0 <= 1) -> leaf 0 (target 0, +1) | node 1 (x1 < 2) -> leaf 1 (target 1, +2) | leaf 2
// (target 0, +3). Tree B: a single node whose branches both reach leaf 3 (target 0, +10).
std::vector<Attribute> two_trees(int64_t aggregate, int64_t post = 0, std::vector<int64_t> missing = {}) {
  std::vector<Attribute> a = {
      attr_ints("nodes_featureids", {0, 1, 0}),   attr_tensor("nodes_modes", u8({0, 1, 0})),
      attr_tensor("nodes_splits", f32({1, 2, 0})), attr_ints("nodes_truenodeids", {0, 1, 3}),
      attr_ints("nodes_trueleafs", {1, 1, 1}),     attr_ints("nodes_falsenodeids", {1, 2, 3}),
      attr_ints("nodes_falseleafs", {0, 1, 1}),    attr_ints("leaf_targetids", {0, 1, 0, 0}),
      attr_tensor("leaf_weights", f32({1, 2, 3, 10})), attr_ints("tree_roots", {0, 2}),
      attr_int("n_targets", 2),                    attr_int("aggregate_function", aggregate),
      attr_int("post_transform", post)};
  if (!missing.empty()) a.push_back(attr_ints("nodes_missing_value_tracks_true", missing));
  return a;
}

const Tensor kRows = f32({0, 0, 5, 0, 5, 5, NAN, 9}, {4, 2});

Tensor tree5(std::vector<Attribute> attrs, const Tensor& x) { return run1("TreeEnsemble", std::move(attrs), {x}, 5); }

}  // namespace

TEST_CASE("TreeEnsemble aggregates leaf weights per target: SUM, AVERAGE, MIN, MAX") {
  check_close(tree5(two_trees(1), kRows), f32({11, 0, 10, 2, 13, 0, 13, 0}, {4, 2}));
  check_close(tree5(two_trees(0), kRows), f32({5.5f, 0, 5, 1, 6.5f, 0, 6.5f, 0}, {4, 2}));
  const float big = std::numeric_limits<float>::max();
  check_close(tree5(two_trees(2), kRows), f32({1, big, 10, 2, 3, big, 3, big}, {4, 2}));
  check_close(tree5(two_trees(3), kRows), f32({10, -big, 10, 2, 10, -big, 10, -big}, {4, 2}));
  // A NaN feature follows the true branch where nodes_missing_value_tracks_true says so.
  check_close(tree5(two_trees(1, 0, {1, 0, 0}), kRows), f32({11, 0, 10, 2, 13, 0, 11, 0}, {4, 2}));
}

TEST_CASE("TreeEnsemble applies post_transform to each row") {
  const double e8 = std::exp(8.0);
  Tensor y = tree5(two_trees(1, 1), f32({5, 0}, {1, 2}));  // SOFTMAX of [10, 2]
  check_close(y, f32({static_cast<float>(e8 / (e8 + 1)), static_cast<float>(1 / (e8 + 1))}, {1, 2}));
  y = tree5(two_trees(1, 2), f32({5, 0}, {1, 2}));  // LOGISTIC
  check_close(y, f32({static_cast<float>(1 / (1 + std::exp(-10.0))), static_cast<float>(1 / (1 + std::exp(-2.0)))},
                     {1, 2}));
}

TEST_CASE("TreeEnsemble set membership, double and float16 inputs keep their type") {
  const std::vector<Attribute> member = {
      attr_ints("nodes_featureids", {0}),           attr_tensor("nodes_modes", u8({6})),
      attr_tensor("nodes_splits", f32({0})),        attr_ints("nodes_truenodeids", {0}),
      attr_ints("nodes_trueleafs", {1}),            attr_ints("nodes_falsenodeids", {1}),
      attr_ints("nodes_falseleafs", {1}),           attr_ints("leaf_targetids", {0, 0}),
      attr_tensor("leaf_weights", f32({1, 2})),     attr_ints("tree_roots", {0}),
      attr_tensor("membership_values", f32({1, 3, NAN}))};
  check_close(tree5(member, f32({1, 2, 3, NAN}, {4, 1})), f32({1, 2, 1, 2}, {4, 1}));
  Tensor xd = Tensor::from_vector(std::vector<double>{5, 0}, {1, 2});
  Tensor yd = tree5(two_trees(1), xd);
  CHECK(values<double>(yd) == std::vector<double>{10, 2});
  Tensor xh(DataType::Float16, {1, 2});
  xh.data<uint16_t>()[0] = f32_to_f16(5.f);
  xh.data<uint16_t>()[1] = f32_to_f16(0.f);
  Tensor yh = tree5(two_trees(1), xh);
  REQUIRE(yh.dtype() == DataType::Float16);
  CHECK(yh.element_as_double(0) == 10.0);
  CHECK(yh.element_as_double(1) == 2.0);
}

TEST_CASE("TreeEnsemble rejects malformed trees and narrow inputs") {
  auto with = [](std::string name, Attribute a) {
    std::vector<Attribute> attrs = two_trees(1);
    for (auto& x : attrs) {
      if (x.name == name) x = std::move(a);
    }
    return attrs;
  };
  CHECK(has(error_of([&] { tree5(with("nodes_modes", attr_tensor("nodes_modes", u8({0, 9, 0}))), kRows); }),
            "nodes_modes[1] = 9"));
  // node 1's true branch back to node 0
  CHECK(has(error_of([&] {
              auto a = with("nodes_trueleafs", attr_ints("nodes_trueleafs", {1, 0, 1}));
              for (auto& x : a) {
                if (x.name == "nodes_truenodeids") x = attr_ints("nodes_truenodeids", {0, 0, 3});
              }
              tree5(a, kRows);
            }),
            "cycle"));
  CHECK(has(error_of([&] { tree5(with("leaf_targetids", attr_ints("leaf_targetids", {0, 5, 0, 0})), kRows); }),
            "target 5, outside [0, 2)"));
  CHECK(has(error_of([&] { tree5(with("nodes_truenodeids", attr_ints("nodes_truenodeids", {0, 1, 4})), kRows); }),
            "refers to leaf 4"));
  CHECK(has(error_of([&] { tree5(two_trees(1), f32({1, 2, 3}, {3, 1})); }), "the trees read feature 1"));
  CHECK(has(error_of([&] { tree5(with("nodes_splits", attr_tensor("nodes_splits", f32({1, 2}))), kRows); }),
            "nodes_splits has 2 values"));
}

// ---- TreeEnsembleRegressor / TreeEnsembleClassifier (opsets 1 and 3) ------------------------------

namespace {

// The same two trees in the legacy encoding: tree 0 nodes 0..4 (1, 3, 4 are leaves), tree 1 a leaf.
std::vector<Attribute> legacy_nodes(bool as_tensor) {
  std::vector<Attribute> a = {
      attr_ints("nodes_treeids", {0, 0, 0, 0, 0, 1}), attr_ints("nodes_nodeids", {0, 1, 2, 3, 4, 0}),
      attr_ints("nodes_featureids", {0, 0, 1, 0, 0, 0}),
      attr_strings("nodes_modes", {"BRANCH_LEQ", "LEAF", "BRANCH_LT", "LEAF", "LEAF", "LEAF"}),
      attr_ints("nodes_truenodeids", {1, 0, 3, 0, 0, 0}), attr_ints("nodes_falsenodeids", {2, 0, 4, 0, 0, 0})};
  if (as_tensor) {
    a.push_back(attr_tensor("nodes_values_as_tensor",
                            Tensor::from_vector(std::vector<double>{1, 0, 2, 0, 0, 0}, {6})));
  } else {
    a.push_back(attr_floats("nodes_values", {1, 0, 2, 0, 0, 0}));
  }
  return a;
}

std::vector<Attribute> regressor(std::string aggregate, bool as_tensor, std::vector<float> base = {}) {
  std::vector<Attribute> a = legacy_nodes(as_tensor);
  for (Attribute t : {attr_ints("target_treeids", {0, 0, 0, 1}), attr_ints("target_nodeids", {1, 3, 4, 0}),
                      attr_ints("target_ids", {0, 1, 0, 0}), attr_floats("target_weights", {1, 2, 3, 10}),
                      attr_int("n_targets", 2), attr_string("aggregate_function", std::move(aggregate))}) {
    a.push_back(std::move(t));
  }
  if (!base.empty()) a.push_back(attr_floats("base_values", base));
  return a;
}

// One tree (tree 0 of legacy_nodes) voting class_ids with class_weights at leaves 1, 3, 4.
std::vector<Attribute> classifier(std::vector<int64_t> nodes, std::vector<int64_t> ids, std::vector<float> weights,
                                  Attribute labels, std::string post, std::vector<float> base = {}) {
  std::vector<Attribute> a = legacy_nodes(false);
  for (auto& x : a) {  // keep tree 0 only
    if (x.type == Attribute::Type::Ints) x.ints.pop_back();
    if (x.type == Attribute::Type::Strings) x.strings.pop_back();
    if (x.type == Attribute::Type::Floats) x.floats.pop_back();
  }
  a.push_back(attr_ints("class_treeids", std::vector<int64_t>(nodes.size(), 0)));
  a.push_back(attr_ints("class_nodeids", nodes));
  a.push_back(attr_ints("class_ids", ids));
  a.push_back(attr_floats("class_weights", weights));
  a.push_back(std::move(labels));
  a.push_back(attr_string("post_transform", std::move(post)));
  if (!base.empty()) a.push_back(attr_floats("base_values", base));
  return a;
}

const Tensor kLegacyRows = f32({0, 0, 5, 0, 5, 5}, {3, 2});

float logistic(double v) { return static_cast<float>(1 / (1 + std::exp(-v))); }

}  // namespace

TEST_CASE("TreeEnsembleRegressor sums votes and adds base_values; unreached targets are 0") {
  check_close(run1("TreeEnsembleRegressor", regressor("SUM", false, {0.5f, -0.5f}), {kLegacyRows}),
              f32({11.5f, 0, 10.5f, 1.5f, 13.5f, 0}, {3, 2}));
  check_close(run1("TreeEnsembleRegressor", regressor("AVERAGE", true), {kLegacyRows}, 3),
              f32({5.5f, 0, 5, 1, 6.5f, 0}, {3, 2}));
  check_close(run1("TreeEnsembleRegressor", regressor("MIN", false), {i64({0, 0, 5, 0, 5, 5}, {3, 2})}),
              f32({1, 0, 10, 2, 3, 0}, {3, 2}));
  CHECK(has(error_of([] { run1("TreeEnsembleRegressor", regressor("MEDIAN", false), {kLegacyRows}); }), "'MEDIAN'"));
  CHECK(has(error_of([] { run1("TreeEnsembleRegressor", regressor("SUM", false, {1, 2, 3}), {kLegacyRows}); }),
            "base_values has 3 values for 2 targets"));
}

TEST_CASE("TreeEnsembleRegressor rejects votes on interior nodes and missing children") {
  std::vector<Attribute> a = regressor("SUM", false);
  for (auto& x : a) {
    if (x.name == "target_nodeids") x = attr_ints("target_nodeids", {1, 3, 2, 0});
  }
  CHECK(has(error_of([&] { run1("TreeEnsembleRegressor", a, {kLegacyRows}); }), "node 2 of tree 0, which is not a LEAF"));
  a = regressor("SUM", false);
  for (auto& x : a) {
    if (x.name == "nodes_falsenodeids") x = attr_ints("nodes_falsenodeids", {7, 0, 4, 0, 0, 0});
  }
  CHECK(has(error_of([&] { run1("TreeEnsembleRegressor", a, {kLegacyRows}); }), "names node 7, which the tree lacks"));
}

TEST_CASE("TreeEnsembleClassifier: argmax over several classes, SOFTMAX scores") {
  auto out = run_ml("TreeEnsembleClassifier",
                    classifier({1, 3, 3, 4}, {0, 1, 2, 2}, {1, 2, 1, 3}, attr_ints("classlabels_int64s", {10, 20, 30}),
                               "SOFTMAX"),
                    {kLegacyRows}, 2);
  CHECK(values<int64_t>(out[0].tensor()) == std::vector<int64_t>{10, 20, 30});
  // Scores [1, 0, 0], [0, 2, 1], [0, 0, 3]
  const double e = std::exp(1.0), e2 = std::exp(2.0), e3 = std::exp(3.0), d = 1 + e2 + e;
  const auto s = [](double v) { return static_cast<float>(v); };
  check_close(out[1].tensor(), f32({s(e / (e + 2)), s(1 / (e + 2)), s(1 / (e + 2)), s(1 / d), s(e2 / d), s(e / d),
                                    s(1 / (e3 + 2)), s(1 / (e3 + 2)), s(e3 / (e3 + 2))},
                                   {3, 3}),
              1e-5, 1e-6);
}

TEST_CASE("TreeEnsembleClassifier binary: margins under LOGISTIC, probabilities under NONE") {
  // Margins (a negative weight): v = vote + base; Z = [logistic(-v), logistic(v)], label v > 0.
  auto out = run_ml("TreeEnsembleClassifier",
                    classifier({1, 3, 4}, {0, 0, 0}, {-2, 0.5f, 1.5f}, attr_strings("classlabels_strings", {"no", "yes"}),
                               "LOGISTIC", {0.25f}),
                    {kLegacyRows}, 2);
  CHECK(strings_of(out[0].tensor()) == std::vector<std::string>{"no", "yes", "yes"});
  check_close(out[1].tensor(),
              f32({logistic(1.75), logistic(-1.75), logistic(-0.75), logistic(0.75), logistic(-1.75), logistic(1.75)},
                  {3, 2}));
  // Probabilities (all weights >= 0): Z = [1 - v, v], label v > 0.5.
  out = run_ml("TreeEnsembleClassifier",
               classifier({1, 3, 4}, {1, 1, 1}, {0.2f, 0.7f, 0.5f}, attr_ints("classlabels_int64s", {0, 1}), "NONE"),
               {kLegacyRows}, 2);
  CHECK(values<int64_t>(out[0].tensor()) == std::vector<int64_t>{0, 1, 0});
  check_close(out[1].tensor(), f32({0.8f, 0.2f, 0.3f, 0.7f, 0.5f, 0.5f}, {3, 2}));
  CHECK(has(error_of([] {
              run_ml("TreeEnsembleClassifier",
                     classifier({1}, {0}, {1}, attr_ints("classlabels_int64s", {0, 1}), "NONE", {1, 2, 3}),
                     {kLegacyRows}, 2);
            }),
            "base_values has 3 values for 2 classes"));
}

// ---- SVMRegressor, SVMClassifier ----------------------------------------------------------------
// Expected values are worked out by hand from the formulas in ops/ml/svm.cpp and agree with the ONNX
// reference implementation, except the 3-class probabilities: those follow libsvm's pairwise coupling
// (as onnxruntime does), which the reference builds differently for more than two classes.

TEST_CASE("SVMRegressor: linear coefficients, RBF support vectors, one-class sign") {
  const std::vector<Attribute> lin = {attr_floats("coefficients", {1, 2}), attr_floats("rho", {0.5f})};
  check_close(run1("SVMRegressor", lin, {f32({1, 1, 0, -1}, {2, 2})}), f32({3.5f, -1.5f}, {2, 1}));
  std::vector<Attribute> one = lin;
  one.push_back(attr_int("one_class", 1));
  check_close(run1("SVMRegressor", one, {f32({1, 1, 0, -1}, {2, 2})}), f32({1, -1}, {2, 1}));
  // k(x, sv) = exp(-0.5 |x - sv|^2); s = k(x, [0,0]) - k(x, [1,1])
  const std::vector<Attribute> rbf = {attr_floats("coefficients", {1, -1}), attr_floats("rho", {0}),
                                      attr_int("n_supports", 2), attr_floats("support_vectors", {0, 0, 1, 1}),
                                      attr_string("kernel_type", "RBF"), attr_floats("kernel_params", {0.5f, 0, 0})};
  check_close(run1("SVMRegressor", rbf, {f32({1, 0, 0, 0}, {2, 2})}), f32({0, static_cast<float>(1 - std::exp(-1.0))}, {2, 1}),
              1e-5, 1e-6);
  CHECK(has(error_of([&] { run1("SVMRegressor", rbf, {f32({1, 0, 0}, {1, 3})}); }), "the model has 2"));
  CHECK(has(error_of([] {
              run1("SVMRegressor", {attr_floats("coefficients", {1}), attr_string("kernel_type", "CUBIC")}, {f32({1})});
            }),
            "'CUBIC'"));
}

namespace {

// Two classes, one support vector each ([1, 0] and [0, 1]), linear kernel: s = x0 - x1; s > 0 votes
// class 0.
std::vector<Attribute> binary_svc(std::string post = "NONE") {
  return {attr_floats("coefficients", {1, -1}), attr_floats("rho", {0}), attr_ints("vectors_per_class", {1, 1}),
          attr_floats("support_vectors", {1, 0, 0, 1}), attr_ints("classlabels_ints", {5, 9}),
          attr_string("post_transform", std::move(post))};
}

// Three classes with support vectors [1,0], [0,1], [1,1]: s01 = k0 - k1, s02 = k0 + k2, s12 = 1 + k1 - k2.
std::vector<Attribute> three_svc() {
  return {attr_floats("coefficients", {1, -1, 1, 1, 1, -1}), attr_floats("rho", {0, 0, 1}),
          attr_ints("vectors_per_class", {1, 1, 1}), attr_floats("support_vectors", {1, 0, 0, 1, 1, 1}),
          attr_strings("classlabels_strings", {"a", "b", "c"})};
}

}  // namespace

TEST_CASE("SVMClassifier one-vs-one votes; one pairwise score becomes [-s, s]") {
  const Tensor x = f32({2, 1, 0, 3}, {2, 2});
  auto out = run_ml("SVMClassifier", binary_svc(), {x}, 2);
  CHECK(values<int64_t>(out[0].tensor()) == std::vector<int64_t>{5, 9});
  check_close(out[1].tensor(), f32({-1, 1, 3, -3}, {2, 2}));
  out = run_ml("SVMClassifier", binary_svc("LOGISTIC"), {x}, 2);
  const auto lg = [](double v) { return static_cast<float>(1 / (1 + std::exp(-v))); };
  check_close(out[1].tensor(), f32({lg(-1), lg(1), lg(3), lg(-3)}, {2, 2}));
  // x = [3, 1]: k = 3, 1, 4 -> s = 2, 7, -2, votes 2/0/1; x = [0, 3]: k = 0, 3, 3 -> s = -3, 3, 1.
  out = run_ml("SVMClassifier", three_svc(), {f32({3, 1, 0, 3}, {2, 2})}, 2);
  CHECK(strings_of(out[0].tensor()) == std::vector<std::string>{"a", "b"});
  check_close(out[1].tensor(), f32({2, 7, -2, -3, 3, 1}, {2, 3}));
}

TEST_CASE("SVMClassifier probabilities from prob_a / prob_b and pairwise coupling") {
  std::vector<Attribute> a = binary_svc();
  a.push_back(attr_floats("prob_a", {-2}));
  a.push_back(attr_floats("prob_b", {0}));
  auto out = run_ml("SVMClassifier", a, {f32({2, 1, 0, 3}, {2, 2})}, 2);
  CHECK(values<int64_t>(out[0].tensor()) == std::vector<int64_t>{5, 9});
  check_close(out[1].tensor(), f32({0.88079685f, 0.11920319f, 1.8476912e-05f, 0.99998146f}, {2, 2}), 1e-4, 1e-6);
  a = three_svc();
  a.push_back(attr_floats("prob_a", {-1, -0.5f, -2}));
  a.push_back(attr_floats("prob_b", {0.1f, 0, -0.2f}));
  out = run_ml("SVMClassifier", a, {f32({3, 1, 0, 3}, {2, 2})}, 2);
  CHECK(strings_of(out[0].tensor()) == std::vector<std::string>{"a", "b"});
  check_close(out[1].tensor(), f32({0.89896352f, 0.06431401f, 0.03672247f, 0.05259434f, 0.88632759f, 0.06107808f}, {2, 3}),
              1e-4, 1e-6);
}

TEST_CASE("SVMClassifier without support vectors scores each class linearly") {
  const std::vector<Attribute> a = {attr_floats("coefficients", {1, 0, 0, 1, -1, -1}), attr_floats("rho", {0.5f}),
                                    attr_ints("classlabels_ints", {1, 2, 3})};
  auto out = run_ml("SVMClassifier", a, {f32({3, 1, 0, 3}, {2, 2})}, 2);
  check_close(out[1].tensor(), f32({3.5f, 1.5f, -3.5f, 0.5f, 3.5f, -2.5f}, {2, 3}));
  // A single rho with other than two labels: the label is 1 when the best score is positive, as the
  // reference has it.
  CHECK(values<int64_t>(out[0].tensor()) == std::vector<int64_t>{1, 1});
  CHECK(has(error_of([] {
              run_ml("SVMClassifier", {attr_floats("coefficients", {1, 2, 3}), attr_ints("classlabels_ints", {1, 2})},
                     {f32({1, 2})}, 2);
            }),
            "do not split into 2 classes"));
  CHECK(has(error_of([] {
              std::vector<Attribute> b = binary_svc();
              b[1] = attr_floats("rho", {0, 1});
              run_ml("SVMClassifier", b, {f32({1, 2})}, 2);
            }),
            "rho has 2 values for 1 class pairs"));
}
