// Graph passes inside If/Loop bodies: the basic and extended passes fire there as in a main graph,
// outputs stay those of the unoptimized model, outer values a body reads survive (outer
// initializers count as the body's constants unless a feed or a nearer scope hides them), and the
// caller's model (whose bodies a Model copy shares) is never changed.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "onnxi/session.h"
#include "runtime/passes/passes.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor seeded(Shape shape, uint64_t seed, float lo, float hi) { return xorshift_tensor(std::move(shape), seed, lo, hi, 7); }

Attribute graph_attr(const std::string& name, Graph g) {
  Attribute a;
  a.name = name;
  a.type = Attribute::Type::Graph;
  a.g = std::make_shared<Graph>(std::move(g));
  return a;
}

Tensor bool_scalar(bool v) {
  Tensor t(DataType::Bool, {});
  t.data<bool>()[0] = v;
  return t;
}

ValueInfo float23(const std::string& name) { return ValueInfo{name, TypeInfo::tensor_of_shape(DataType::Float, {2, 3}), {}}; }

// A Loop body (iter, cond_in, v_in) -> (cond_out, v_out) computing
//   v_out = gelu(Identity(Identity(v_in))) * (Constant 2 * Constant 2) + outer
// where `outer` is a value of the enclosing graph and GELU is spelled out with Erf.
// `own_constants` false: the GELU's sqrt2, one and half are left for the enclosing graph to define.
Graph loop_body(const std::string& outer, bool own_constants = true) {
  Graph b;
  b.name = "body";
  b.inputs = {ValueInfo{"iter", TypeInfo::tensor_of_shape(DataType::Int64, {}), {}},
              ValueInfo{"cond_in", TypeInfo::tensor_of_shape(DataType::Bool, {}), {}}, float23("v_in")};
  if (own_constants) {
    b.initializers["sqrt2"] = Tensor::scalar_f32(1.4142135f);
    b.initializers["one"] = Tensor::scalar_f32(1.f);
    b.initializers["half"] = Tensor::scalar_f32(0.5f);
  }
  b.nodes.push_back(graph_node("Identity", {"v_in"}, {"a"}));
  b.nodes.push_back(graph_node("Identity", {"a"}, {"b"}));
  b.nodes.push_back(graph_node("Constant", {}, {"k"}, {attr_tensor("value", Tensor::scalar_f32(2.f))}));
  b.nodes.push_back(graph_node("Mul", {"k", "k"}, {"kk"}));
  b.nodes.push_back(graph_node("Div", {"b", "sqrt2"}, {"d"}));
  b.nodes.push_back(graph_node("Erf", {"d"}, {"e"}));
  b.nodes.push_back(graph_node("Add", {"e", "one"}, {"f"}));
  b.nodes.push_back(graph_node("Mul", {"b", "f"}, {"h"}));
  b.nodes.push_back(graph_node("Mul", {"h", "half"}, {"gelu"}));
  b.nodes.push_back(graph_node("Mul", {"gelu", "kk"}, {"t"}));
  b.nodes.push_back(graph_node("Add", {"t", outer}, {"v_out"}));
  b.nodes.push_back(graph_node("Identity", {"cond_in"}, {"cond_out"}));
  b.outputs = {ValueInfo{"cond_out", {}, {}}, ValueInfo{"v_out", {}, {}}};
  return b;
}

// x -> outer = Mul(x, x) (read only inside the body) -> Loop(3 times, body) -> y. With
// `outer_constants`, the GELU constants are initializers of the main graph instead of the body.
Model loop_model(bool outer_constants = false) {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 17;
  m.graph.name = "loop";
  m.graph.inputs.push_back(float23("x"));
  m.graph.initializers["trips"] = Tensor::scalar_i64(3);
  m.graph.initializers["go"] = bool_scalar(true);
  m.graph.nodes.push_back(graph_node("Mul", {"x", "x"}, {"outer"}));
  if (outer_constants) {
    m.graph.initializers["sqrt2"] = Tensor::scalar_f32(1.4142135f);
    m.graph.initializers["one"] = Tensor::scalar_f32(1.f);
    m.graph.initializers["half"] = Tensor::scalar_f32(0.5f);
  }
  m.graph.nodes.push_back(
      graph_node("Loop", {"trips", "go", "x"}, {"y"}, {graph_attr("body", loop_body("outer", !outer_constants))}));
  m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
  return m;
}

int count(const Graph& g, const std::string& op, const std::string& domain = "") {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op_type == op && node.domain == domain;
  return n;
}

const Graph& body_of(const Model& m) {
  for (const Node& n : m.graph.nodes) {
    if (n.op_type == "Loop" || n.op_type == "If") return *n.attributes.at(0).g;
  }
  FAIL("no Loop/If node");
  return m.graph;
}

// Runs m at level none and at `level` on the same x; returns the optimized model.
Model compare_levels(const Model& m, const std::string& level) {
  SessionOptions none, opt;
  none.optimization_level = "none";
  opt.optimization_level = level;
  Session a = Session::from_model(m, none), b = Session::from_model(m, opt);
  const std::map<std::string, Value> feeds{{"x", Value(seeded({2, 3}, 5, -1.5f, 1.5f))}};
  const std::vector<Value> ya = a.run(feeds), yb = b.run(feeds);
  REQUIRE(ya.size() == yb.size());
  for (size_t i = 0; i < ya.size(); ++i) check_close(yb[i].tensor(), ya[i].tensor(), 1e-5, 1e-6);
  return b.model();
}

}  // namespace

TEST_CASE("passes fire inside a Loop body: Identity chain, foldable constants, a GELU spelling") {
  const Model m = loop_model();
  const size_t body_nodes = body_of(m).nodes.size();
  for (const char* level : {"basic", "extended", "all"}) {
    INFO("level ", level);
    const Model after = compare_levels(m, level);
    const Graph& body = body_of(after);
    // cond_out = Identity(cond_in) stays: a body output that is a body input needs a node.
    CHECK(count(body, "Identity") == 1);
    CHECK(count(body, "Constant") == 0);
    CHECK(body.initializers.count("kk") == 1);  // Constant * Constant folded
    const bool extended = std::string(level) != "basic";
    CHECK(count(body, "Erf") == (extended ? 0 : 1));
    CHECK(count(body, "Gelu", "com.onnxi") == (extended ? 1 : 0));
    // The outer value read only by the body is still computed.
    CHECK(count(after.graph, "Mul") == 1);
    // The caller's model, which shares its bodies with the session's copy, is unchanged.
    CHECK(body_of(m).nodes.size() == body_nodes);
    CHECK(count(body_of(m), "Identity") == 3);
  }
}

TEST_CASE("a body's passes keep its interface, and a second run changes nothing") {
  Model m = loop_model();
  std::vector<passes::PassStat> report;
  CHECK(passes::run_passes(m, "extended", &report) > 0);
  const Graph& body = body_of(m);
  REQUIRE(body.inputs.size() == 3);
  CHECK(body.inputs[2].name == "v_in");
  REQUIRE(body.outputs.size() == 2);
  CHECK(body.outputs[0].name == "cond_out");
  CHECK(body.outputs[1].name == "v_out");
  bool gelu_counted = false;
  for (const passes::PassStat& s : report) gelu_counted |= s.pass == "fuse_gelu" && s.changes == 1;
  CHECK(gelu_counted);
  const size_t nodes = body.nodes.size();
  CHECK(passes::run_passes(m, "extended") == 0);
  CHECK(body_of(m).nodes.size() == nodes);
}

TEST_CASE("a body never folds or removes what its enclosing graph defines") {
  SUBCASE("an outer initializer the body reads folds there; as an overridable input it does not") {
    for (bool overridable : {false, true}) {
      INFO("w is also a graph input: ", overridable);
      Model m = loop_model();
      m.graph.initializers["w"] = seeded({2, 3}, 8, -1.f, 1.f);
      if (overridable) m.graph.inputs.push_back(float23("w"));
      Graph& body = *m.graph.nodes[1].attributes[0].g;
      body.nodes.insert(body.nodes.end() - 2, graph_node("Mul", {"w", "w"}, {"ww"}));
      body.nodes[body.nodes.size() - 2].inputs[1] = "ww";  // v_out = t + ww instead of t + outer
      const Model after = compare_levels(m, "extended");
      bool computed = false;
      for (const Node& n : body_of(after).nodes) computed |= n.op_type == "Mul" && n.outputs[0] == "ww";
      CHECK(computed == overridable);
      CHECK(body_of(after).initializers.count("ww") == (overridable ? 0u : 1u));
      // Read by nobody now (folded) or an input's default (kept with the input).
      CHECK(after.graph.initializers.count("w") == (overridable ? 1u : 0u));
      CHECK(count(after.graph, "Mul") == 0);  // outer is unused either way: removed
    }
  }
  SUBCASE("an outer Identity read only by the body: the body reads its source instead") {
    Model m = loop_model();
    m.graph.nodes.insert(m.graph.nodes.begin() + 1, graph_node("Identity", {"outer"}, {"outer_copy"}));
    m.graph.nodes[2].attributes[0].g = std::make_shared<Graph>(loop_body("outer_copy"));
    const Model after = compare_levels(m, "extended");
    CHECK(count(after.graph, "Identity") == 0);
    CHECK(count(after.graph, "Mul") == 1);
  }
  SUBCASE("If branches are optimized each on their own") {
    Model m;
    m.ir_version = 8;
    m.opset_imports[""] = 17;
    m.graph.inputs.push_back(float23("x"));
    m.graph.initializers["c"] = bool_scalar(false);
    m.graph.nodes.push_back(graph_node("Neg", {"x"}, {"nx"}));
    Graph then_b, else_b;
    then_b.nodes = {graph_node("Identity", {"nx"}, {"t1"}), graph_node("Relu", {"t1"}, {"t_out"})};
    then_b.outputs = {ValueInfo{"t_out", {}, {}}};
    else_b.nodes = {graph_node("Identity", {"nx"}, {"e1"}), graph_node("Identity", {"e1"}, {"e2"}),
                    graph_node("Sigmoid", {"e2"}, {"e_out"})};
    else_b.outputs = {ValueInfo{"e_out", {}, {}}};
    m.graph.nodes.push_back(
        graph_node("If", {"c"}, {"y"}, {graph_attr("then_branch", then_b), graph_attr("else_branch", else_b)}));
    m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
    const Model after = compare_levels(m, "extended");
    const Node& iff = after.graph.nodes.back();
    REQUIRE(iff.op_type == "If");
    CHECK(count(*iff.attributes[0].g, "Identity") == 0);
    CHECK(count(*iff.attributes[1].g, "Identity") == 0);
    CHECK(count(after.graph, "Neg") == 1);
  }
}

TEST_CASE("a body sees the enclosing graph's initializers as constants, unless a feed or a scope hides them") {
  SUBCASE("GELU constants defined by the main graph: the body's GELU fuses") {
    const Model after = compare_levels(loop_model(true), "extended");
    CHECK(count(body_of(after), "Gelu", "com.onnxi") == 1);
    CHECK(count(body_of(after), "Erf") == 0);
  }
  SUBCASE("one of them is also a main graph input, which a feed may override: no fusion") {
    Model m = loop_model(true);
    m.graph.inputs.push_back(ValueInfo{"half", TypeInfo::tensor_of_shape(DataType::Float, {}), {}});
    const Model after = compare_levels(m, "extended");
    CHECK(count(body_of(after), "Gelu", "com.onnxi") == 0);
    CHECK(count(body_of(after), "Erf") == 1);
  }
  SUBCASE("a nearer scope defines the name: the inner body reads that one") {
    // main: initializer k2 = 2 and If(c) whose then-branch computes its own k2 = Neg(x) and runs
    // a Loop whose body reads k2 (Mul(v, k2)): the Loop body must not take main's constant.
    Model m;
    m.ir_version = 8;
    m.opset_imports[""] = 17;
    m.graph.inputs.push_back(float23("x"));
    m.graph.initializers["k2"] = Tensor::scalar_f32(2.f);
    m.graph.initializers["c"] = bool_scalar(true);
    m.graph.initializers["trips"] = Tensor::scalar_i64(2);
    Graph inner;
    inner.inputs = {ValueInfo{"iter", TypeInfo::tensor_of_shape(DataType::Int64, {}), {}},
                    ValueInfo{"cond_in", TypeInfo::tensor_of_shape(DataType::Bool, {}), {}}, float23("v_in")};
    inner.nodes = {graph_node("Mul", {"v_in", "k2"}, {"v_out"}), graph_node("Identity", {"cond_in"}, {"cond_out"})};
    inner.outputs = {ValueInfo{"cond_out", {}, {}}, ValueInfo{"v_out", {}, {}}};
    Graph then_b;
    then_b.nodes = {graph_node("Neg", {"x"}, {"k2"}),
                    graph_node("Loop", {"trips", "c", "x"}, {"t_out"}, {graph_attr("body", inner)})};
    then_b.outputs = {ValueInfo{"t_out", {}, {}}};
    Graph else_b;
    else_b.nodes = {graph_node("Mul", {"x", "k2"}, {"e_out"})};
    else_b.outputs = {ValueInfo{"e_out", {}, {}}};
    m.graph.nodes.push_back(
        graph_node("If", {"c"}, {"y"}, {graph_attr("then_branch", then_b), graph_attr("else_branch", else_b)}));
    m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
    const Model after = compare_levels(m, "extended");
    const Node& iff = after.graph.nodes.back();
    const Graph& then_after = *iff.attributes[0].g;
    const Node& loop = then_after.nodes.back();
    REQUIRE(loop.op_type == "Loop");
    CHECK(loop.attributes[0].g->initializers.count("k2") == 0);
    CHECK(iff.attributes[1].g->initializers.count("k2") == 1);  // the else branch does see main's
  }
}
