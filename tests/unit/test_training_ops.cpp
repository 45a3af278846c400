// ai.onnx.preview.training through a real Session: the optimizers (Adagrad, Adam, Momentum) with
// values worked out from the spec's pseudo code, and Gradient on small graphs with hand-derived
// derivatives. Gradient needs its forward graph attached (ops/training/gradient.h); the sessions
// here attach it themselves, as the runtime's session creation does.
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "op_test_util.h"
#include "ops/training/gradient.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

constexpr const char* kTraining = "ai.onnx.preview.training";

Tensor f32(std::vector<float> v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  return Tensor::from_vector(v, std::move(shape));
}
Tensor scalar_f(float v) { return Tensor::from_vector(std::vector<float>{v}, {}); }
Tensor scalar_i(int64_t v) { return Tensor::from_vector(std::vector<int64_t>{v}, {}); }

std::vector<Value> run_training(const std::string& op, std::vector<Attribute> attrs, const std::vector<Value>& in,
                                size_t outputs) {
  return run_node(NodeRun{op, std::move(attrs), 1, kTraining, outputs}, in);
}

}  // namespace

// ---- Adagrad ------------------------------------------------------------------------------------

TEST_CASE("Adagrad follows the spec's update, with the learning rate decayed by T") {
  const std::vector<Attribute> attrs = {attr_float("norm_coefficient", 0.001f), attr_float("epsilon", 1e-5f),
                                        attr_float("decay_factor", 0.1f)};
  // g' = 0.001 * 1 - 1 = -0.999; h' = 2 + 0.998001; x' = 1 - r * g' / (sqrt(h') + 1e-5)
  auto out = run_training("Adagrad", attrs, {scalar_f(0.1f), scalar_i(0), f32({1.f}), f32({-1.f}), f32({2.f})}, 2);
  check_close(out[0].tensor(), f32({1.0576961844f}));
  check_close(out[1].tensor(), f32({2.998001f}));
  // T = 2: r = 0.1 / (1 + 2 * 0.1)
  out = run_training("Adagrad", attrs, {scalar_f(0.1f), scalar_i(2), f32({1.f}), f32({-1.f}), f32({2.f})}, 2);
  check_close(out[0].tensor(), f32({1.0480801537f}));
}

TEST_CASE("Adagrad updates several tensors, each with its own G and H") {
  // No regularization, no decay, epsilon 0: x' = x - R * g / sqrt(h + g^2).
  const std::vector<Attribute> attrs = {attr_float("epsilon", 0.f)};
  auto out = run_training("Adagrad", attrs,
                          {scalar_f(1.f), scalar_i(0), f32({1.f}), f32({2.f, 3.f}), f32({3.f}), f32({4.f, 0.f}),
                           f32({16.f}), f32({0.f, 9.f})},
                          4);
  check_close(out[0].tensor(), f32({1.f - 3.f / 5.f}));
  check_close(out[1].tensor(), f32({2.f - 1.f, 3.f}));
  check_close(out[2].tensor(), f32({25.f}));
  check_close(out[3].tensor(), f32({16.f, 9.f}));
}

// ---- Adam ---------------------------------------------------------------------------------------

TEST_CASE("Adam bias-corrects the rate once T > 0 and applies the post-update decay") {
  const std::vector<Value> in = {scalar_f(0.1f), scalar_i(1), f32({1.f}), f32({-0.5f}), f32({0.2f}), f32({0.04f})};
  // v' = 0.9 * 0.2 + 0.1 * -0.5 = 0.13; h' = 0.999 * 0.04 + 0.001 * 0.25 = 0.04021
  auto out = run_training("Adam", {}, in, 3);
  check_close(out[0].tensor(), f32({0.97949904f}));
  check_close(out[1].tensor(), f32({0.13f}));
  check_close(out[2].tensor(), f32({0.04021f}));
  out = run_training("Adam", {attr_float("norm_coefficient_post", 0.1f)}, in, 3);
  check_close(out[0].tensor(), f32({0.88154914f}));
  std::vector<Value> first = in;
  first[1] = Value(scalar_i(0));  // T = 0: no bias correction
  out = run_training("Adam", {}, first, 3);
  check_close(out[0].tensor(), f32({0.93517028f}));
}

TEST_CASE("Adam over two tensors keeps doubles double") {
  auto d = [](std::vector<double> v) { return Tensor::from_vector(v, {static_cast<int64_t>(v.size())}); };
  auto out = run_training("Adam", {attr_float("alpha", 0.f), attr_float("beta", 0.f), attr_float("epsilon", 0.f)},
                          {scalar_f(1.f), scalar_i(0), d({1.0}), d({2.0, 3.0}), d({4.0}), d({-1.0, 2.0}), d({0.0}),
                           d({0.0, 0.0}), d({0.0}), d({0.0, 0.0})},
                          6);
  // alpha = beta = 0: v' = g, h' = g^2, x' = x - g / |g| = x - sign(g)
  check_close(out[0].tensor(), d({0.0}));
  check_close(out[1].tensor(), d({3.0, 2.0}));
  check_close(out[2].tensor(), d({4.0}));
  check_close(out[5].tensor(), d({1.0, 4.0}));
}

// ---- Momentum -----------------------------------------------------------------------------------

TEST_CASE("Momentum takes the whole gradient at T = 0, beta afterwards; Nesterov looks ahead") {
  auto momentum = [](const std::string& mode, int64_t t) {
    return run_training("Momentum",
                        {attr_float("alpha", 0.9f), attr_float("beta", 0.5f), attr_float("norm_coefficient", 0.f),
                         attr_string("mode", mode)},
                        {scalar_f(0.1f), scalar_i(t), f32({1.f}), f32({2.f}), f32({0.5f})}, 2);
  };
  auto out = momentum("standard", 0);  // v' = 0.45 + 1 * 2
  check_close(out[0].tensor(), f32({0.755f}));
  check_close(out[1].tensor(), f32({2.45f}));
  out = momentum("standard", 3);  // v' = 0.45 + 0.5 * 2
  check_close(out[0].tensor(), f32({0.855f}));
  check_close(out[1].tensor(), f32({1.45f}));
  out = momentum("nesterov", 0);  // x' = 1 - 0.1 * (2 + 0.9 * 2.45)
  check_close(out[0].tensor(), f32({0.5795f}));
  out = momentum("nesterov", 3);
  check_close(out[0].tensor(), f32({0.6695f}));
}

TEST_CASE("optimizers reject bad input counts, shapes, types and attributes") {
  const std::vector<Attribute> mom = {attr_float("alpha", 0.9f), attr_float("beta", 0.5f),
                                      attr_float("norm_coefficient", 0.f), attr_string("mode", "standard")};
  std::string e = error_of([&] {
    run_training("Momentum", mom, {scalar_f(0.1f), scalar_i(0), f32({1.f}), f32({2.f})}, 2);
  });
  CHECK(e.find("2 + 3n inputs") != std::string::npos);
  e = error_of([&] {
    run_training("Momentum", mom, {scalar_f(0.1f), scalar_i(0), f32({1.f}), f32({2.f, 3.f}), f32({0.f})}, 2);
  });
  CHECK(e.find("must match X1") != std::string::npos);
  e = error_of([&] {
    run_training("Momentum", mom, {scalar_f(0.1f), scalar_f(0.f), f32({1.f}), f32({2.f}), f32({0.f})}, 2);
  });
  CHECK(e.find("int64") != std::string::npos);
  e = error_of([&] {
    run_training("Momentum", {attr_float("alpha", 0.9f), attr_float("beta", 0.5f), attr_float("norm_coefficient", 0.f)},
                 {scalar_f(0.1f), scalar_i(0), f32({1.f}), f32({2.f}), f32({0.f})}, 2);
  });
  CHECK(e.find("attribute mode is required") != std::string::npos);
  e = error_of([&] {
    std::vector<Attribute> bad = mom;
    bad[3] = attr_string("mode", "heavy-ball");
    run_training("Momentum", bad, {scalar_f(0.1f), scalar_i(0), f32({1.f}), f32({2.f}), f32({0.f})}, 2);
  });
  CHECK(e.find("'heavy-ball'") != std::string::npos);
  e = error_of([&] {
    run_training("Adam", {}, {scalar_f(0.1f), scalar_i(0), f32({1.f}), f32({2.f}), f32({0.f}), f32({0.f})}, 2);
  });
  CHECK(e.find("gives 3 outputs") != std::string::npos);
}

// ---- Gradient -----------------------------------------------------------------------------------

namespace {

struct GraphSpec {
  std::vector<std::pair<std::string, Tensor>> inputs;  // graph inputs and their test values
  std::vector<Node> nodes;
  std::vector<std::string> outputs;
  std::map<std::string, Tensor> initializers;
};

Node make_node(std::string op, std::vector<std::string> in, std::vector<std::string> out, std::string domain = "",
               std::vector<Attribute> attrs = {}) {
  Node n;
  n.name = op + "_" + out[0];
  n.op_type = std::move(op);
  n.domain = std::move(domain);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

Node gradient_node(std::vector<std::string> xs, std::string y, std::vector<std::string> outs,
                   std::vector<std::string> zs = {}) {
  std::vector<std::string> in = xs;
  in.insert(in.end(), zs.begin(), zs.end());
  std::vector<Attribute> attrs = {attr_strings("xs", xs), attr_string("y", std::move(y))};
  if (!zs.empty()) attrs.push_back(attr_strings("zs", zs));
  return make_node("Gradient", std::move(in), std::move(outs), kTraining, std::move(attrs));
}

Model gradient_model(const GraphSpec& spec) {
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = 17;
  m.opset_imports[kTraining] = 1;
  for (const auto& [name, t] : spec.inputs) {
    m.graph.inputs.push_back(ValueInfo{name, TypeInfo::tensor_of_shape(t.dtype(), t.shape()), {}});
  }
  m.graph.nodes = spec.nodes;
  for (const auto& o : spec.outputs) m.graph.outputs.push_back(ValueInfo{o, {}, {}});
  m.graph.initializers = spec.initializers;
  return m;
}

std::vector<Value> run_gradient(const GraphSpec& spec, bool attach = true) {
  Model m = gradient_model(spec);
  if (attach) ops::training::attach_gradient_graphs(m.graph);
  Session s = Session::from_model(std::move(m));
  std::map<std::string, Value> feeds;
  for (const auto& [name, t] : spec.inputs) feeds[name] = t;
  return s.run(feeds);
}

}  // namespace

TEST_CASE("Gradient of d = (a + b) * a: dd/da = 2a + b, dd/db = a") {
  GraphSpec g;
  g.inputs = {{"a", scalar_f(3.f)}, {"b", scalar_f(5.f)}};
  // The Gradient node comes first: it only reads a and b, so nothing orders it after Add and Mul.
  g.nodes = {gradient_node({"a", "b"}, "d", {"da", "db"}), make_node("Add", {"a", "b"}, {"c"}),
             make_node("Mul", {"c", "a"}, {"d"})};
  g.outputs = {"d", "da", "db"};
  auto out = run_gradient(g);
  check_close(out[0].tensor(), scalar_f(24.f));
  check_close(out[1].tensor(), scalar_f(11.f));
  check_close(out[2].tensor(), scalar_f(3.f));
}

TEST_CASE("Gradient sums over broadcast axes and over a non-scalar y") {
  GraphSpec g;
  g.inputs = {{"a", f32({1.f, 2.f, 3.f, 4.f}, {2, 2})}, {"b", f32({10.f, 20.f})}};
  // y = a * b - a / b, b broadcast over rows; gradient of sum(y)
  g.nodes = {make_node("Mul", {"a", "b"}, {"p"}), make_node("Div", {"a", "b"}, {"q"}),
             make_node("Sub", {"p", "q"}, {"y"}), gradient_node({"a", "b"}, "y", {"da", "db"})};
  g.outputs = {"da", "db"};
  auto out = run_gradient(g);
  // dy/da = b - 1/b; dy/db = sum over rows of (a + a / b^2)
  check_close(out[0].tensor(), f32({9.9f, 19.95f, 9.9f, 19.95f}, {2, 2}));
  check_close(out[1].tensor(), f32({4.f + 4.f / 100.f, 6.f + 6.f / 400.f}));
}

TEST_CASE("Gradient through unary ops and MatMul, with an initializer as a constant") {
  GraphSpec g;
  g.inputs = {{"x", f32({0.5f, -1.f}, {1, 2})}};
  g.initializers["w"] = f32({1.f, 2.f, 3.f, 4.f}, {2, 2});
  // y = sum(tanh(x @ w)) ; also a Relu branch: r = relu(x), y2 = y + r
  g.nodes = {make_node("MatMul", {"x", "w"}, {"h"}), make_node("Tanh", {"h"}, {"t"}),
             make_node("Relu", {"x"}, {"r"}), make_node("Add", {"t", "r"}, {"y"}),
             gradient_node({"x"}, "y", {"dx"})};
  g.outputs = {"dx"};
  auto out = run_gradient(g);
  // h = [0.5 - 3, 1 - 4] = [-2.5, -3]; dt/dh = 1 - tanh^2; dx = (1 - tanh(h)^2) @ w^T + [1, 0]
  const double d0 = 1 - std::tanh(-2.5) * std::tanh(-2.5), d1 = 1 - std::tanh(-3.0) * std::tanh(-3.0);
  check_close(out[0].tensor(), f32({static_cast<float>(d0 * 1 + d1 * 2 + 1), static_cast<float>(d0 * 3 + d1 * 4)}, {1, 2}),
              1e-5, 1e-7);
}

TEST_CASE("Gradient evaluates at its own inputs, treats zs as constants, and zero for unused xs") {
  GraphSpec g;
  g.inputs = {{"a", scalar_f(1.f)}, {"b", scalar_f(2.f)}, {"a2", scalar_f(7.f)}, {"k", scalar_f(4.f)}};
  g.nodes = {make_node("Exp", {"a"}, {"e"}), make_node("Mul", {"e", "b"}, {"y"}),
             // At a = a2 = 7 and b = k = 4: dy/da = e^7 * 4; y does not depend on the second x, k.
             make_node("Gradient", {"a2", "k", "k"}, {"da", "dk"}, kTraining,
                       {attr_strings("xs", {"a", "k"}), attr_strings("zs", {"b"}), attr_string("y", "y")})};
  g.outputs = {"da", "dk"};
  auto out = run_gradient(g);
  check_close(out[0].tensor(), scalar_f(static_cast<float>(std::exp(7.0) * 4)));
  check_close(out[1].tensor(), scalar_f(0.f));
}

TEST_CASE("Gradient reports ops it cannot differentiate and a missing forward graph") {
  GraphSpec g;
  g.inputs = {{"a", f32({1.f, 2.f})}};
  g.nodes = {make_node("Abs", {"a"}, {"y"}), gradient_node({"a"}, "y", {"da"})};
  g.outputs = {"da"};
  std::string e = error_of([&] { run_gradient(g); });
  CHECK(e.find("'Abs_y' (Abs), which Gradient cannot differentiate") != std::string::npos);
  CHECK(e.find("supports Add") != std::string::npos);
  g.nodes[0] = make_node("Neg", {"a"}, {"y"});
  // Unless the session attaches forward graphs itself, a Gradient without one says what is missing.
  std::vector<Value> out;
  e = error_of([&] { out = run_gradient(g, false); });
  if (out.empty()) {
    CHECK(e.find("attach_gradient_graphs") != std::string::npos);
  } else {
    check_close(out[0].tensor(), f32({-1.f, -1.f}));
  }
  out = run_gradient(g);
  check_close(out[0].tensor(), f32({-1.f, -1.f}));
  g.nodes[1] = make_node("Gradient", {"a", "a"}, {"da"}, kTraining, {attr_strings("xs", {"a"}), attr_string("y", "y")});
  e = error_of([&] { run_gradient(g); });
  CHECK(e.find("values of xs then zs (1 inputs)") != std::string::npos);
}

TEST_CASE("Gradient with respect to an intermediate value recomputes only what follows it") {
  GraphSpec g;
  g.inputs = {{"a", scalar_f(3.f)}, {"b", scalar_f(5.f)}};
  // d = c * a with c = a + b; with respect to c (a held as it is): dd/dc = a
  g.nodes = {make_node("Add", {"a", "b"}, {"c"}), make_node("Mul", {"c", "a"}, {"d"}),
             gradient_node({"c"}, "d", {"dc"})};
  g.outputs = {"dc"};
  auto out = run_gradient(g);
  check_close(out[0].tensor(), scalar_f(3.f));
}
