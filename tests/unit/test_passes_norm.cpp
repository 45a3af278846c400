// The LayerNorm / SkipLayerNorm / RMSNorm and GELU fusions (runtime/passes/fuse_layernorm.cpp,
// fuse_gelu.cpp): for each spelling a small model where the pass fires and ones where it must
// not, each run at levels "none" and "all" with the outputs compared (within 1e-5: the fused
// kernels round differently from the chain of float nodes, by about 1e-7 here) and the ops left
// after the passes counted; idempotence; and the com.onnxi ops' errors.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "onnxi/session.h"
#include "runtime/passes/passes.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

constexpr int64_t kRows = 6, kCols = 37;  // 37: a tail after two vectors of either ISA

Tensor seeded(Shape shape, uint64_t seed, float lo, float hi) { return xorshift_tensor(std::move(shape), seed, lo, hi, 3, 100003); }

// A model under construction: graph inputs [2, kRows / 2, kCols] named as given, float scalars and
// vectors as initializers, nodes appended in order.
struct Builder {
  Model m;
  int next = 0;
  explicit Builder(int64_t opset = 17) {
    m.ir_version = 8;
    m.opset_imports[""] = opset;
    m.graph.name = "norm";
  }
  std::string input(const std::string& name) {
    m.graph.inputs.push_back(ValueInfo{name, TypeInfo::tensor_of_shape(DataType::Float, {2, kRows / 2, kCols}), {}});
    return name;
  }
  std::string scalar(float v) {
    const std::string name = "c" + std::to_string(next++);
    m.graph.initializers[name] = Tensor::scalar_f32(v);
    return name;
  }
  std::string vec(uint64_t seed, float lo, float hi) {
    const std::string name = "v" + std::to_string(next++);
    m.graph.initializers[name] = seeded({kCols}, seed, lo, hi);
    return name;
  }
  std::string op(const std::string& type, std::vector<std::string> inputs, std::vector<Attribute> attrs = {}) {
    Node n;
    n.op_type = type;
    n.inputs = std::move(inputs);
    n.outputs = {"t" + std::to_string(next++)};
    n.name = n.outputs[0] + "_" + type;
    n.attributes = std::move(attrs);
    m.graph.nodes.push_back(n);
    return n.outputs[0];
  }
  std::string reduce_mean(const std::string& x, int64_t axis = -1, int64_t keepdims = 1) {
    if (m.opset_imports[""] >= 18) {
      const std::string axes = "axes" + std::to_string(next++);
      m.graph.initializers[axes] = Tensor::from_vector<int64_t>({axis}, {1});
      return op("ReduceMean", {x, axes}, {attr_int("keepdims", keepdims)});
    }
    return op("ReduceMean", {x}, {attr_ints("axes", {axis}), attr_int("keepdims", keepdims)});
  }
  void output(const std::string& name) { m.graph.outputs.push_back(ValueInfo{name, {}, {}}); }
};

struct LnSpelling {
  bool mul_square = false;  // Mul(d, d) instead of Pow(d, 2)
  bool gamma = true, beta = true;
  bool gamma_first = false;  // Mul(gamma, y)
  bool eps_after_sqrt = false;
  int64_t axis = -1;
  int64_t keepdims = 1;
};

// LayerNorm of x as exporters spell it; returns the output. `d`/`var` receive the intermediates.
std::string layer_norm(Builder& b, const std::string& x, const LnSpelling& s, std::string* d_out = nullptr,
                       std::string* var_out = nullptr) {
  const std::string mean = b.reduce_mean(x, s.axis, s.keepdims);
  const std::string d = b.op("Sub", {x, mean});
  const std::string sq = s.mul_square ? b.op("Mul", {d, d}) : b.op("Pow", {d, b.scalar(2.f)});
  const std::string var = b.reduce_mean(sq, s.axis, s.keepdims);
  const std::string eps = b.scalar(1e-5f);
  const std::string sd =
      s.eps_after_sqrt ? b.op("Add", {b.op("Sqrt", {var}), eps}) : b.op("Sqrt", {b.op("Add", {var, eps})});
  std::string y = b.op("Div", {d, sd});
  if (s.gamma) {
    const std::string g = b.vec(1, 0.5f, 1.5f);
    y = s.gamma_first ? b.op("Mul", {g, y}) : b.op("Mul", {y, g});
  }
  if (s.beta) y = b.op("Add", {b.vec(2, -0.5f, 0.5f), y});
  if (d_out) *d_out = d;
  if (var_out) *var_out = var;
  return y;
}

enum class RmsForm { Div, Reciprocal, DivOne };

std::string rms_norm(Builder& b, const std::string& x, RmsForm form, bool mul_square, bool gamma) {
  const std::string sq = mul_square ? b.op("Mul", {x, x}) : b.op("Pow", {x, b.scalar(2.f)});
  const std::string sd = b.op("Sqrt", {b.op("Add", {b.scalar(1e-6f), b.reduce_mean(sq)})});
  std::string y;
  if (form == RmsForm::Div) y = b.op("Div", {x, sd});
  if (form == RmsForm::Reciprocal) y = b.op("Mul", {b.op("Reciprocal", {sd}), x});
  if (form == RmsForm::DivOne) y = b.op("Mul", {x, b.op("Div", {b.scalar(1.f), sd})});
  return gamma ? b.op("Mul", {b.vec(3, 0.5f, 1.5f), y}) : y;
}

int count(const Model& m, const std::string& op, const std::string& domain = "") {
  int n = 0;
  for (const Node& node : m.graph.nodes) n += node.op_type == op && node.domain == domain;
  return n;
}

// Runs m at levels none and all on seeded inputs and compares every output; returns the model
// after the passes.
Model compare_levels(const Model& m, double tol = 1e-5) {
  SessionOptions none, all;
  none.optimization_level = "none";
  all.optimization_level = "all";
  Session a = Session::from_model(m, none);
  Session b = Session::from_model(m, all);
  std::map<std::string, Value> feeds;
  uint64_t seed = 40;
  for (const ValueInfo& in : m.graph.inputs) feeds[in.name] = Value(seeded({2, kRows / 2, kCols}, seed++, -2.f, 2.f));
  const std::vector<Value> ya = a.run(feeds), yb = b.run(feeds);
  REQUIRE(ya.size() == yb.size());
  for (size_t i = 0; i < ya.size(); ++i) check_close(yb[i].tensor(), ya[i].tensor(), tol, tol);
  CHECK(a.model().graph.nodes.size() == m.graph.nodes.size());
  return b.model();
}

}  // namespace

TEST_CASE("LayerNorm spellings fuse into one com.onnxi LayerNormalization") {
  struct Row {
    const char* what;
    LnSpelling s;
    int64_t opset;
    size_t inputs;  // of the fused node
  };
  const Row rows[] = {
      {"Pow(d, 2), gamma and beta (PyTorch)", {}, 17, 3},
      {"Mul(d, d), Mul(gamma, y) (tf2onnx), ReduceMean-18 axes input", {true, true, true, true}, 18, 3},
      {"no gamma, no beta", {false, false, false}, 17, 1},
      {"beta only", {false, false, true}, 18, 3},
      {"axes [2] on a declared rank-3 input", {false, true, true, false, false, 2}, 17, 3},
  };
  for (const Row& r : rows) {
    INFO(std::string(r.what));
    Builder b(r.opset);
    b.output(layer_norm(b, b.input("x"), r.s));
    const Model after = compare_levels(b.m);
    REQUIRE(after.graph.nodes.size() == 1);
    CHECK(count(after, "LayerNormalization", "com.onnxi") == 1);
    CHECK(after.graph.nodes[0].inputs.size() == r.inputs);
    CHECK(after.opset_imports.at("com.onnxi") == 1);
  }
}

TEST_CASE("LayerNorm stays unfused where fusing would change what is computed") {
  SUBCASE("epsilon added after the Sqrt: d / (sqrt(var) + eps) is another function") {
    Builder b;
    LnSpelling s;
    s.eps_after_sqrt = true;
    b.output(layer_norm(b, b.input("x"), s));
    const Model after = compare_levels(b.m);
    CHECK(after.graph.nodes.size() == b.m.graph.nodes.size());
  }
  SUBCASE("the variance is also a graph output") {
    Builder b;
    std::string var;
    b.output(layer_norm(b, b.input("x"), {}, nullptr, &var));
    b.output(var);
    CHECK(compare_levels(b.m).graph.nodes.size() == b.m.graph.nodes.size());
  }
  SUBCASE("the reduction is not over the last axis") {
    Builder b;
    LnSpelling s;
    s.axis = 1;
    s.gamma = s.beta = false;
    b.output(layer_norm(b, b.input("x"), s));
    CHECK(count(compare_levels(b.m), "LayerNormalization", "com.onnxi") == 0);
  }
  SUBCASE("the reduction drops the axis (keepdims = 0)") {
    Builder b;
    LnSpelling s;
    s.keepdims = 0;
    b.output(layer_norm(b, b.input("x"), s));
    Model m = b.m;  // does not run (the Sub would not broadcast): the pass alone is checked
    CHECK(passes::run_passes(m, "all") == 0);
  }
  SUBCASE("the centered value d is read elsewhere: only d / rms(d) fuses, as an RMSNorm of d") {
    Builder b;
    std::string d;
    b.output(layer_norm(b, b.input("x"), {}, &d));
    b.output(b.op("Relu", {d}));
    const Model after = compare_levels(b.m);
    CHECK(count(after, "LayerNormalization", "com.onnxi") == 0);
    CHECK(count(after, "RMSNormalization", "com.onnxi") == 1);
    CHECK(count(after, "Sub") == 1);
  }
  SUBCASE("gamma fed at run time: the norm fuses, the Mul stays") {
    Builder b;
    LnSpelling s;
    s.gamma = s.beta = false;
    const std::string y = layer_norm(b, b.input("x"), s);
    b.output(b.op("Mul", {y, b.input("g")}));
    const Model after = compare_levels(b.m);
    CHECK(count(after, "LayerNormalization", "com.onnxi") == 1);
    CHECK(count(after, "Mul") == 1);
  }
}

TEST_CASE("RMSNorm spellings fuse into one com.onnxi RMSNormalization") {
  struct Row {
    const char* what;
    RmsForm form;
    bool mul_square, gamma;
  };
  const Row rows[] = {
      {"Div(x, sqrt), Pow", RmsForm::Div, false, true},
      {"Mul(Reciprocal(sqrt), x), Mul(x, x)", RmsForm::Reciprocal, true, true},
      {"Mul(x, Div(1, sqrt)), no gamma", RmsForm::DivOne, false, false},
  };
  for (const Row& r : rows) {
    INFO(std::string(r.what));
    Builder b(18);
    b.output(rms_norm(b, b.input("x"), r.form, r.mul_square, r.gamma));
    const Model after = compare_levels(b.m);
    REQUIRE(after.graph.nodes.size() == 1);
    CHECK(count(after, "RMSNormalization", "com.onnxi") == 1);
    CHECK(after.graph.nodes[0].inputs.size() == (r.gamma ? 2u : 1u));
  }
}

TEST_CASE("a residual Add in front of the norm joins it as com.onnxi SkipLayerNormalization") {
  struct Row {
    const char* what;
    bool bias, sum_read, sum_output, rms;
    size_t outputs;
  };
  const Row rows[] = {
      {"x + skip", false, false, false, false, 1},
      {"(x + bias) + skip", true, false, false, false, 1},
      {"the sum also read by another node", false, true, false, false, 2},
      {"the sum also a graph output, with bias", true, false, true, false, 2},
      {"before an RMSNorm (simplified = 1)", true, false, false, true, 1},
  };
  for (const Row& r : rows) {
    INFO(std::string(r.what));
    Builder b;
    const std::string x = b.input("x"), skip = b.input("skip");
    const std::string a = r.bias ? b.op("Add", {b.vec(7, -0.2f, 0.2f), x}) : x;
    const std::string s = b.op("Add", {skip, a});
    if (r.sum_read) b.output(b.op("Relu", {s}));  // read before the norm: the fused node must come first
    b.output(r.rms ? rms_norm(b, s, RmsForm::Div, false, true) : layer_norm(b, s, {}));
    if (r.sum_output) b.output(s);
    const Model after = compare_levels(b.m);
    CHECK(count(after, "SkipLayerNormalization", "com.onnxi") == 1);
    CHECK(count(after, "Add") == 0);
    const Node& fused = after.graph.nodes[0];
    CHECK(fused.op_type == "SkipLayerNormalization");
    CHECK(fused.outputs.size() == r.outputs);
    CHECK(fused.inputs.size() == (r.bias ? 5u : 4u));
    CHECK(fused.attr_int("simplified", 0) == (r.rms ? 1 : 0));
  }
}

TEST_CASE("a residual Add in front of an ai.onnx LayerNormalization joins it as SkipLayerNormalization") {
  struct Row {
    const char* what;
    bool bias, beta, mean_read;
    int fused;
  };
  const Row rows[] = {
      {"x + skip, scale and bias", false, true, false, 1},
      {"(x + bias) + skip, scale only", true, false, false, 1},
      {"the Mean output is read: left alone", false, true, true, 0},
  };
  for (const Row& r : rows) {
    INFO(std::string(r.what));
    Builder b;
    const std::string x = b.input("x"), skip = b.input("skip");
    const std::string a = r.bias ? b.op("Add", {x, b.vec(7, -0.2f, 0.2f)}) : x;
    const std::string s = b.op("Add", {a, skip});
    std::vector<std::string> in{s, b.vec(1, 0.5f, 1.5f)};
    if (r.beta) in.push_back(b.vec(2, -0.5f, 0.5f));
    const std::string y = b.op("LayerNormalization", in, {attr_float("epsilon", 1e-3f)});
    b.m.graph.nodes.back().outputs.push_back("ln_mean");
    b.output(y);
    if (r.mean_read) b.output("ln_mean");
    const Model after = compare_levels(b.m);
    CHECK(count(after, "SkipLayerNormalization", "com.onnxi") == r.fused);
    CHECK(count(after, "LayerNormalization") == 1 - r.fused);
    if (r.fused) {
      CHECK(after.graph.nodes.size() == 1);
      CHECK(after.graph.nodes[0].attr_float("epsilon", 0.f) == 1e-3f);
    }
  }
}

TEST_CASE("GELU spellings fuse into one com.onnxi Gelu") {
  enum class Form { ErfBert, ErfHalfFirst, ErfHalfOnSum, ErfMulInvSqrt2, TanhPow, TanhCube };
  struct Row {
    const char* what;
    Form form;
    const char* approximate;
  };
  const Row rows[] = {
      {"(x * (1 + erf(x / sqrt2))) * 0.5 (PyTorch)", Form::ErfBert, "none"},
      {"(x * 0.5) * (1 + erf(x / sqrt2))", Form::ErfHalfFirst, "none"},
      {"((erf(x / sqrt2) + 1) * 0.5) * x", Form::ErfHalfOnSum, "none"},
      {"erf(x * 0.70710678)", Form::ErfMulInvSqrt2, "none"},
      {"tanh form with Pow(x, 3)", Form::TanhPow, "tanh"},
      {"tanh form with x * (x * x)", Form::TanhCube, "tanh"},
  };
  for (const Row& r : rows) {
    INFO(std::string(r.what));
    Builder b(13);
    const std::string x = b.input("x");
    std::string s;
    if (r.form == Form::TanhPow || r.form == Form::TanhCube) {
      const std::string cube = r.form == Form::TanhPow ? b.op("Pow", {x, b.scalar(3.f)})
                                                       : b.op("Mul", {x, b.op("Mul", {x, x})});
      const std::string inner = b.op("Add", {x, b.op("Mul", {b.scalar(0.044715f), cube})});
      s = b.op("Add", {b.op("Tanh", {b.op("Mul", {inner, b.scalar(0.7978845608f)})}), b.scalar(1.f)});
    } else {
      const std::string u = r.form == Form::ErfMulInvSqrt2 ? b.op("Mul", {b.scalar(0.70710678f), x})
                                                           : b.op("Div", {x, b.scalar(1.4142135f)});
      s = b.op("Add", {b.scalar(1.f), b.op("Erf", {u})});
    }
    std::string y;
    if (r.form == Form::ErfHalfFirst) y = b.op("Mul", {b.op("Mul", {x, b.scalar(0.5f)}), s});
    else if (r.form == Form::ErfHalfOnSum) y = b.op("Mul", {b.op("Mul", {s, b.scalar(0.5f)}), x});
    else y = b.op("Mul", {b.op("Mul", {x, s}), b.scalar(0.5f)});
    b.output(y);
    const Model after = compare_levels(b.m);
    REQUIRE(after.graph.nodes.size() == 1);
    CHECK(count(after, "Gelu", "com.onnxi") == 1);
    CHECK(after.graph.nodes[0].attr_string("approximate", "") == r.approximate);
    CHECK(after.graph.nodes[0].inputs == std::vector<std::string>{"x"});
    CHECK(after.graph.outputs[0].name == y);
  }
}

TEST_CASE("GELU stays unfused where fusing would change what is computed") {
  auto erf_gelu = [](Builder& b, float sqrt2, std::string* erf_out) {
    const std::string x = b.input("x");
    const std::string e = b.op("Erf", {b.op("Div", {x, b.scalar(sqrt2)})});
    if (erf_out) *erf_out = e;
    return b.op("Mul", {b.op("Mul", {x, b.op("Add", {e, b.scalar(1.f)})}), b.scalar(0.5f)});
  };
  SUBCASE("a constant off by more than 1e-4") {
    Builder b(13);
    b.output(erf_gelu(b, 1.5f, nullptr));
    CHECK(count(compare_levels(b.m), "Gelu", "com.onnxi") == 0);
  }
  SUBCASE("the erf is a graph output") {
    Builder b(13);
    std::string e;
    b.output(erf_gelu(b, 1.4142135f, &e));
    b.output(e);
    CHECK(count(compare_levels(b.m), "Gelu", "com.onnxi") == 0);
  }
  SUBCASE("the erf has another reader") {
    Builder b(13);
    std::string e;
    b.output(erf_gelu(b, 1.4142135f, &e));
    b.output(b.op("Neg", {e}));
    CHECK(count(compare_levels(b.m), "Gelu", "com.onnxi") == 0);
  }
}

TEST_CASE("norm and GELU fusions are idempotent: a second run changes nothing") {
  Builder b;
  const std::string x = b.input("x"), skip = b.input("skip");
  const std::string s = b.op("Add", {x, skip});
  const std::string ln = layer_norm(b, s, {});
  const std::string e = b.op("Erf", {b.op("Div", {ln, b.scalar(1.4142135f)})});
  const std::string g = b.op("Mul", {b.op("Mul", {ln, b.op("Add", {e, b.scalar(1.f)})}), b.scalar(0.5f)});
  b.output(rms_norm(b, b.op("Add", {g, s}), RmsForm::Reciprocal, true, true));
  const Model after = compare_levels(b.m);
  CHECK(after.graph.nodes.size() == 3);  // SkipLayerNorm (with the sum), Gelu, SkipLayerNorm (RMS)
  CHECK(count(after, "SkipLayerNormalization", "com.onnxi") == 2);
  CHECK(count(after, "Gelu", "com.onnxi") == 1);
  Model m = b.m;
  // The first run's total also counts the constants the fusions left unused; the fusions' own
  // entries say three rewrites.
  std::vector<passes::PassStat> report;
  passes::run_passes(m, "all", &report);
  int fused = 0;
  for (const passes::PassStat& stat : report) {
    if (stat.pass == "fuse_layernorm" || stat.pass == "fuse_gelu") fused += stat.changes;
  }
  CHECK(fused == 3);
  CHECK(passes::run_passes(m, "all") == 0);
  CHECK(m.graph.nodes.size() == 3);
  Model untouched = b.m;
  CHECK(passes::run_passes(untouched, "basic") == 0);
}

TEST_CASE("com.onnxi normalizations reject what they cannot compute, naming the input") {
  const Value x(seeded({2, 8}, 1, -1.f, 1.f));
  NodeRun ln{"LayerNormalization", {attr_int("axis", 0)}, 1, "com.onnxi"};
  CHECK(error_of([&] { run_node(ln, {x}); }).find("last axis only") != std::string::npos);
  Tensor xd(DataType::Double, {2, 8});
  NodeRun skip{"SkipLayerNormalization", {}, 1, "com.onnxi"};
  CHECK(error_of([&] { run_node(skip, {Value(xd), Value(xd)}); }).find("float32 only") != std::string::npos);
  // A skip that does not broadcast against X.
  CHECK(error_of([&] { run_node(skip, {x, Value(seeded({3, 8}, 2, -1.f, 1.f))}); }).find("broadcast") !=
        std::string::npos);
  // A skip of X's trailing dims is repeated over the leading ones, as the unfused Add did.
  const std::vector<Value> y = run_node(skip, {x, Value(seeded({8}, 3, -1.f, 1.f))});
  CHECK(y[0].tensor().shape() == Shape{2, 8});
}

namespace {

// com.onnxi SkipLayerNormalization(x, skip, gamma, beta, bias) against ai.onnx Add + Add +
// LayerNormalization-17 (scale/bias broadcast by hand to the normalized shape when needed).
void check_skip_ln_against_unfused(const Tensor& x, const Tensor& skip, const Tensor& gamma, const Tensor& bias) {
  NodeRun fused{"SkipLayerNormalization", {attr_float("epsilon", 1e-4f)}, 1, "com.onnxi", 2};
  const std::vector<Value> got = run_node(fused, {Value(x), Value(skip), Value(gamma), Value(), Value(bias)});
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 17;
  for (const char* name : {"x", "skip"}) {
    const Tensor& t = std::string(name) == "x" ? x : skip;
    m.graph.inputs.push_back(ValueInfo{name, TypeInfo::tensor_of_shape(DataType::Float, t.shape()), {}});
  }
  m.graph.initializers["bias"] = bias;
  m.graph.initializers["gamma"] = gamma;
  auto add_node = [&](std::string op, std::vector<std::string> in, std::string out) {
    Node n;
    n.name = out;
    n.op_type = std::move(op);
    n.inputs = std::move(in);
    n.outputs = {std::move(out)};
    m.graph.nodes.push_back(n);
  };
  add_node("Add", {"x", "bias"}, "xb");
  add_node("Add", {"xb", "skip"}, "s");
  add_node("LayerNormalization", {"s", "gamma"}, "y");
  m.graph.nodes.back().attributes.push_back(attr_float("epsilon", 1e-4f));
  m.graph.outputs = {ValueInfo{"y", {}, {}}, ValueInfo{"s", {}, {}}};
  SessionOptions none;
  none.optimization_level = "none";
  const std::vector<Value> want = Session::from_model(m, none).run({{"x", Value(x)}, {"skip", Value(skip)}});
  check_close(got[0].tensor(), want[0].tensor(), 1e-5, 1e-5);
  check_close(got[1].tensor(), want[1].tensor(), 0, 0);  // the same two float adds
}

}  // namespace

TEST_CASE("com.onnxi SkipLayerNormalization computes what the Adds + LayerNorm it replaces did, any broadcast") {
  struct Row {
    const char* what;
    Shape x, skip, gamma, bias;
  };
  const Row rows[] = {
      {"skip like x", {2, 3, 17}, {2, 3, 17}, {17}, {17}},
      {"skip of x's trailing dims, repeated", {2, 3, 17}, {3, 17}, {17}, {17}},
      {"skip with a leading 1", {2, 3, 17}, {1, 3, 17}, {17}, {1, 17}},
      {"x broadcast by the skip (expanded)", {1, 3, 17}, {2, 3, 17}, {17}, {17}},
      {"skip broadcast along a middle dim (expanded)", {2, 3, 17}, {2, 1, 17}, {17}, {17}},
      {"a single-value gamma and bias", {4, 16}, {4, 16}, {1}, {1}},
  };
  for (const Row& r : rows) {
    INFO(std::string(r.what));
    check_skip_ln_against_unfused(seeded(r.x, 1, -2.f, 2.f), seeded(r.skip, 2, -1.f, 1.f),
                                  seeded(r.gamma, 3, 0.5f, 1.5f), seeded(r.bias, 4, -0.2f, 0.2f));
  }
}

TEST_CASE("LayerNormalization / RMSNormalization: the float32 fast path agrees with the double-stash path") {
  const Tensor x = seeded({3, 5, 40}, 5, -3.f, 3.f), scale = seeded({40}, 6, 0.5f, 1.5f);
  const Tensor bias = seeded({40}, 7, -1.f, 1.f);
  for (const char* op : {"LayerNormalization", "RMSNormalization"}) {
    INFO(std::string(op));
    const bool ln = std::string(op) == "LayerNormalization";
    const size_t outs = ln ? 3 : 1;
    std::vector<Value> inputs{Value(x), Value(scale)};
    if (ln) inputs.push_back(Value(bias));
    NodeRun fast{op, {attr_float("epsilon", 1e-3f)}, 23, "", outs};
    NodeRun precise{op, {attr_float("epsilon", 1e-3f), attr_int("stash_type", 11)}, 23, "", outs};
    const std::vector<Value> a = run_node(fast, inputs);
    const std::vector<Value> b = run_node(precise, inputs);
    check_close(a[0].tensor(), b[0].tensor(), 1e-6, 2e-6);
    if (ln) {
      // The double path returns its statistics in the stash type; compare as doubles.
      for (size_t k = 1; k < 3; ++k) {
        REQUIRE(a[k].tensor().shape() == Shape{3, 5, 1});
        for (int64_t i = 0; i < a[k].tensor().numel(); ++i) {
          const double want = b[k].tensor().element_as_double(i);
          CHECK(a[k].tensor().element_as_double(i) == doctest::Approx(want).epsilon(2e-6));
        }
      }
    }
  }
}
