// The basic graph passes (constant and shape folding, dead nodes, CSE, no-ops, reshape chains),
// Conv + Mul/Add folding and the pass report. Each rewrite: a model where it fires and ones where
// it must not, each run at level "none" and "all" with the outputs compared (the passes reuse the
// runtime's own kernels, so folded values equal computed ones to the bit: tolerance 0), the op
// counts after the passes, and idempotence.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "onnxi/session.h"
#include "runtime/passes/pass_util.h"
#include "runtime/passes/passes.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor seeded(Shape shape, uint64_t seed, float lo = -1.f, float hi = 1.f) { return xorshift_tensor(std::move(shape), seed, lo, hi, 11); }

Tensor i64(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector(v, {n});
}


Node constant(const std::string& out, Tensor value) { return graph_node("Constant", {}, {out}, {attr_tensor("value", value)}); }

// A model with float input x of `shape` (symbolic dims where negative) and outputs `outputs`.
Model model_with(Shape shape, std::vector<std::string> outputs, int64_t opset = 17) {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = opset;
  m.graph.name = "passes_basic";
  std::vector<Dim> dims;
  for (int64_t d : shape) dims.push_back(d >= 0 ? Dim::known(d) : Dim::symbol("N"));
  m.graph.inputs.push_back(ValueInfo{"x", TypeInfo::tensor(DataType::Float, dims), {}});
  for (const std::string& o : outputs) m.graph.outputs.push_back(ValueInfo{o, {}, {}});
  return m;
}

int count_op(const Model& m, const std::string& op) {
  int n = 0;
  for (const Node& node : m.graph.nodes) n += node.op_type == op;
  return n;
}

std::vector<Value> run(const Session& s, const Tensor& x) { return s.run({{"x", Value(x)}}); }

// Runs m at "none", "basic" and "all" on x; checks the outputs are equal within `tol` and returns
// the model the "all" session kept.
// The "optimized" level is "extended": "all" adds the NCHWc conv layout on AVX-512, whose other
// summation order and reorder nodes test_passes_layout.cpp covers.
Model compare_levels(const Model& m, const Tensor& x, double tol = 0) {
  SessionOptions none, basic, all;
  none.optimization_level = "none";
  basic.optimization_level = "basic";
  all.optimization_level = "extended";
  Session a = Session::from_model(m, none), b = Session::from_model(m, basic), c = Session::from_model(m, all);
  CHECK(a.model().graph.nodes.size() == m.graph.nodes.size());  // level none changes nothing
  const std::vector<Value> ya = run(a, x), yb = run(b, x), yc = run(c, x);
  REQUIRE(ya.size() == yc.size());
  for (size_t i = 0; i < ya.size(); ++i) {
    check_close(yb[i].tensor(), ya[i].tensor(), tol, tol);
    check_close(yc[i].tensor(), ya[i].tensor(), tol, tol);
  }
  // Idempotence: the passes find nothing left in what they produced.
  Model again = c.model();
  CHECK(passes::run_passes(again, "extended") == 0);
  return c.model();
}

int changes_of(const std::vector<passes::PassStat>& report, const std::string& pass) {
  for (const passes::PassStat& s : report) {
    if (s.pass == pass) return s.changes;
  }
  return 0;
}

// x [2,3] + sqrt(Constant [3] * K [3]) -> y: everything but the Add is known at load.
Model constant_chain() {
  Model m = model_with({2, 3}, {"y"});
  m.graph.initializers["K"] = seeded({3}, 1, 0.5f, 2.f);
  m.graph.nodes.push_back(constant("c", seeded({3}, 2, 0.5f, 2.f)));
  m.graph.nodes.push_back(graph_node("Mul", {"c", "K"}, {"m"}));
  m.graph.nodes.push_back(graph_node("Sqrt", {"m"}, {"s"}));
  m.graph.nodes.push_back(graph_node("Add", {"x", "s"}, {"y"}));
  return m;
}

}  // namespace

TEST_CASE("constant folding runs constant subgraphs once at load and keeps the outputs equal") {
  Model kept = compare_levels(constant_chain(), seeded({2, 3}, 3));
  CHECK(kept.graph.nodes.size() == 1);
  CHECK(count_op(kept, "Add") == 1);
  CHECK(kept.graph.initializers.size() == 1);  // K and the Constant's value are folded away
  CHECK(kept.graph.initializers.count("s") == 1);
}

TEST_CASE("constant folding leaves nodes alone when their value is not fixed at load") {
  SUBCASE("an input is an initializer that a graph input may override") {
    Model m = constant_chain();
    m.graph.inputs.push_back(ValueInfo{"K", TypeInfo::tensor_of_shape(DataType::Float, {3}), {}});
    Model kept = compare_levels(m, seeded({2, 3}, 3));
    CHECK(count_op(kept, "Mul") == 1);
    CHECK(count_op(kept, "Sqrt") == 1);
    CHECK(count_op(kept, "Constant") == 0);  // the Constant itself still becomes an initializer
    CHECK(kept.graph.initializers.count("K") == 1);
  }
  SUBCASE("a random op") {
    Model m = model_with({2, 3}, {"y"});
    m.graph.nodes.push_back(graph_node("RandomUniform", {}, {"r"}, {attr_ints("shape", {2, 3})}));
    m.graph.nodes.push_back(graph_node("Mul", {"r", "x"}, {"y"}));
    Model g = m;
    passes::run_passes(g, "all");
    CHECK(count_op(g, "RandomUniform") == 1);
  }
  SUBCASE("the node produces a graph output") {
    Model m = model_with({2, 3}, {"y", "c"});
    m.graph.nodes.push_back(constant("c", seeded({3}, 2)));
    m.graph.nodes.push_back(graph_node("Add", {"x", "c"}, {"y"}));
    Model kept = compare_levels(m, seeded({2, 3}, 3));
    CHECK(count_op(kept, "Constant") == 1);
  }
  SUBCASE("evaluation fails: the node stays and the error comes at run time, naming it") {
    Model m = model_with({2, 3}, {"y"});
    m.graph.initializers["table"] = seeded({4, 3}, 4);
    m.graph.initializers["idx"] = i64({7});  // out of range
    m.graph.nodes.push_back(graph_node("Gather", {"table", "idx"}, {"g"}));
    m.graph.nodes.push_back(graph_node("Add", {"x", "g"}, {"y"}));
    Session s = Session::from_model(m);
    CHECK(count_op(s.model(), "Gather") == 1);
    CHECK(error_of([&] { run(s, seeded({2, 3}, 3)); }).find("g_node") != std::string::npos);
  }
  SUBCASE("outputs over the 16 MiB budget stay; small ones fold") {
    for (int64_t rows : {4, 2049}) {
      INFO("rows: ", rows);
      Model m = model_with({1, 2048}, {"y"});
      m.graph.initializers["shape"] = i64({rows, 2048});
      m.graph.nodes.push_back(graph_node("ConstantOfShape", {"shape"}, {"k"}, {attr_tensor("value", seeded({1}, 5))}));
      m.graph.nodes.push_back(graph_node("Add", {"x", "k"}, {"y"}));
      passes::run_passes(m, "all");
      CHECK(count_op(m, "ConstantOfShape") == (rows == 4 ? 0 : 1));
    }
  }
  SUBCASE("an op a custom registry overrides is never evaluated with the built-in kernel") {
    auto custom = std::make_shared<Registry>();
    OpDef neg;
    neg.op_type = "Neg";
    neg.infer = [](InferContext& ctx) { ctx.set_output(0, ctx.input(0)); };
    neg.create = [](const KernelInit&) {
      return make_kernel([](KernelContext& ctx) {
        const Tensor& x = ctx.input(0);
        Tensor& y = ctx.allocate_output(0, DataType::Float, x.shape());
        for (int64_t i = 0; i < x.numel(); ++i) y.data<float>()[i] = x.data<float>()[i] + 100.f;
      });
    };
    custom->add(neg);
    Model m = model_with({3}, {"y"});
    m.graph.initializers["k"] = seeded({3}, 6);
    m.graph.nodes.push_back(graph_node("Neg", {"k"}, {"n"}));
    m.graph.nodes.push_back(graph_node("Add", {"x", "n"}, {"y"}));
    SessionOptions o;
    o.custom_ops = custom;
    Session s = Session::from_model(m, o);
    CHECK(count_op(s.model(), "Neg") == 1);
    const Tensor y = run(s, Tensor(DataType::Float, {3}))[0].tensor();
    CHECK(y.data<float>()[0] == doctest::Approx(m.graph.initializers["k"].data<float>()[0] + 100.f));
  }
}

TEST_CASE("Shape and Size of static shapes fold, and the chain into a Reshape target with them") {
  // y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])): [2,3,4] -> [2,12]
  auto shape_chain = [](Shape x_shape) {
    Model m = model_with(x_shape, {"y", "n"}, 13);
    m.graph.initializers["zero"] = Tensor::scalar_i64(0);
    m.graph.initializers["axes0"] = i64({0});
    m.graph.initializers["minus1"] = i64({-1});
    m.graph.nodes.push_back(graph_node("Shape", {"x"}, {"s"}));
    m.graph.nodes.push_back(graph_node("Gather", {"s", "zero"}, {"d0"}));
    m.graph.nodes.push_back(graph_node("Unsqueeze", {"d0", "axes0"}, {"d0v"}));
    m.graph.nodes.push_back(graph_node("Concat", {"d0v", "minus1"}, {"target"}, {attr_int("axis", 0)}));
    m.graph.nodes.push_back(graph_node("Reshape", {"x", "target"}, {"y"}));
    m.graph.nodes.push_back(graph_node("Size", {"x"}, {"size"}));
    m.graph.nodes.push_back(graph_node("Cast", {"size"}, {"n"}, {attr_int("to", static_cast<int64_t>(DataType::Float))}));
    return m;
  };
  SUBCASE("static") {
    Model kept = compare_levels(shape_chain({2, 3, 4}), seeded({2, 3, 4}, 7));
    CHECK(kept.graph.nodes.size() == 2);  // Reshape, and the Cast making graph output n
    CHECK(count_op(kept, "Reshape") == 1);
    CHECK(count_op(kept, "Cast") == 1);
    CHECK(kept.graph.initializers.at("target").to_int64_vector() == std::vector<int64_t>{2, -1});
  }
  SUBCASE("a symbolic batch dim: nothing folds") {
    Model m = shape_chain({-1, 3, 4});
    Model g = m;
    passes::run_passes(g, "all");
    CHECK(g.graph.nodes.size() == m.graph.nodes.size());
    compare_levels(m, seeded({5, 3, 4}, 8));
  }
  SUBCASE("Shape with start takes only the static dims it needs") {
    Model m = model_with({-1, 3, 4}, {"y"}, 15);
    m.graph.nodes.push_back(graph_node("Shape", {"x"}, {"s"}, {attr_int("start", -2)}));
    m.graph.initializers["batch"] = i64({-1});
    m.graph.nodes.push_back(graph_node("Concat", {"batch", "s"}, {"target"}, {attr_int("axis", 0)}));
    m.graph.nodes.push_back(graph_node("Reshape", {"x", "target"}, {"y"}));
    Model kept = compare_levels(m, seeded({2, 3, 4}, 9));
    CHECK(kept.graph.nodes.size() == 1);
    CHECK(kept.graph.initializers.at("target").to_int64_vector() == std::vector<int64_t>{-1, 3, 4});
  }
}

TEST_CASE("dead nodes and unused initializers go; what a subgraph or a feed may read stays") {
  SUBCASE("a dead chain") {
    Model m = model_with({2, 3}, {"y"});
    m.graph.initializers["unused"] = seeded({3}, 1);
    m.graph.nodes.push_back(graph_node("Neg", {"x"}, {"n"}));
    m.graph.nodes.push_back(graph_node("Abs", {"n"}, {"a"}));
    m.graph.nodes.push_back(graph_node("Relu", {"x"}, {"y"}));
    std::vector<passes::PassStat> report;
    passes::run_passes(m, "basic", &report);
    CHECK(changes_of(report, "eliminate_dead_nodes") == 2);
    CHECK(changes_of(report, "remove_unused_initializers") == 1);
    CHECK(m.graph.nodes.size() == 1);
    CHECK(m.graph.initializers.empty());
  }
  SUBCASE("an initializer that is also a graph input is an overridable default: kept") {
    Model m = model_with({2, 3}, {"y"});
    m.graph.initializers["d"] = seeded({3}, 1);
    m.graph.inputs.push_back(ValueInfo{"d", TypeInfo::tensor_of_shape(DataType::Float, {3}), {}});
    m.graph.nodes.push_back(graph_node("Relu", {"x"}, {"y"}));
    CHECK(passes::run_passes(m, "all") == 0);
    CHECK(m.graph.initializers.count("d") == 1);
  }
  SUBCASE("a value only an If branch reads") {
    Model m = model_with({2, 3}, {"y"});
    m.graph.inputs.push_back(ValueInfo{"cond", TypeInfo::tensor_of_shape(DataType::Bool, {}), {}});
    m.graph.initializers["bias"] = seeded({3}, 2);
    m.graph.nodes.push_back(graph_node("Neg", {"x"}, {"n"}));
    auto branch = [](const std::string& read) {
      auto g = std::make_shared<Graph>();
      g->name = "branch_" + read;
      g->nodes.push_back(graph_node("Identity", {read}, {"out_" + read}));
      g->outputs.push_back(ValueInfo{"out_" + read, {}, {}});
      return g;
    };
    Attribute then_a, else_a;
    then_a.name = "then_branch";
    then_a.type = Attribute::Type::Graph;
    then_a.g = branch("n");
    else_a.name = "else_branch";
    else_a.type = Attribute::Type::Graph;
    else_a.g = branch("bias");
    m.graph.nodes.push_back(graph_node("If", {"cond"}, {"y"}, {then_a, else_a}));
    Session s = Session::from_model(m);
    CHECK(count_op(s.model(), "Neg") == 1);
    CHECK(s.model().graph.initializers.count("bias") == 1);
    const Tensor x = seeded({2, 3}, 3);
    for (bool c : {true, false}) {
      Tensor cond(DataType::Bool, {});
      cond.data<bool>()[0] = c;
      const Tensor y = s.run({{"x", Value(x)}, {"cond", Value(cond)}})[0].tensor();
      CHECK(y.data<float>()[1] == (c ? -x.data<float>()[1] : m.graph.initializers["bias"].data<float>()[1]));
    }
  }
}

TEST_CASE("common subexpressions merge when op, inputs and every attribute are equal") {
  SUBCASE("two equal chains become one") {
    Model m = model_with({2, 3}, {"y"});
    m.graph.nodes.push_back(graph_node("LeakyRelu", {"x"}, {"a1"}, {attr_float("alpha", 0.2f)}));
    m.graph.nodes.push_back(graph_node("LeakyRelu", {"x"}, {"b1"}, {attr_float("alpha", 0.2f)}));
    m.graph.nodes.push_back(graph_node("Exp", {"a1"}, {"a2"}));
    m.graph.nodes.push_back(graph_node("Exp", {"b1"}, {"b2"}));
    m.graph.nodes.push_back(graph_node("Sub", {"a2", "b2"}, {"y"}));
    Model kept = compare_levels(m, seeded({2, 3}, 1));
    CHECK(count_op(kept, "LeakyRelu") == 1);
    CHECK(count_op(kept, "Exp") == 1);
  }
  SUBCASE("different attributes, random ops, and a duplicate that is a graph output stay") {
    Model m = model_with({2, 3}, {"y", "r2"});
    m.graph.nodes.push_back(graph_node("LeakyRelu", {"x"}, {"a"}, {attr_float("alpha", 0.2f)}));
    m.graph.nodes.push_back(graph_node("LeakyRelu", {"x"}, {"b"}, {attr_float("alpha", 0.3f)}));
    m.graph.nodes.push_back(graph_node("Relu", {"x"}, {"r1"}));
    m.graph.nodes.push_back(graph_node("Relu", {"x"}, {"r2"}));
    m.graph.nodes.push_back(graph_node("RandomUniformLike", {"x"}, {"u1"}));
    m.graph.nodes.push_back(graph_node("RandomUniformLike", {"x"}, {"u2"}));
    m.graph.nodes.push_back(graph_node("Sum", {"a", "b", "r1", "u1", "u2"}, {"y"}));
    Model g = m;
    CHECK(passes::eliminate_common_subexpressions(g, nullptr) == 0);
    CHECK(g.graph.nodes.size() == m.graph.nodes.size());
  }
  SUBCASE("tensor attributes compare by type, shape and bytes") {
    struct Case {
      Tensor a, b;
      bool merged;
    };
    const Tensor v = seeded({1}, 4);
    const std::vector<Case> cases{
        {v, v.clone(), true},
        {v, seeded({1}, 5), false},
        {v, Tensor::scalar_f32(v.data<float>()[0]), false},  // same bytes, other shape
        {Tensor::from_vector<int32_t>({7}, {1}), Tensor::from_vector<float>({9.8e-45f}, {1}), false},
    };
    for (size_t i = 0; i < cases.size(); ++i) {
      INFO("case ", i);
      Model m = model_with({2}, {"y"});
      m.graph.inputs.push_back(ValueInfo{"shape", TypeInfo::tensor_of_shape(DataType::Int64, {1}), {}});
      m.graph.nodes.push_back(graph_node("ConstantOfShape", {"shape"}, {"k1"}, {attr_tensor("value", cases[i].a)}));
      m.graph.nodes.push_back(graph_node("ConstantOfShape", {"shape"}, {"k2"}, {attr_tensor("value", cases[i].b)}));
      m.graph.nodes.push_back(graph_node("Concat", {"k1", "k2"}, {"y"}, {attr_int("axis", 0)}));
      CHECK(passes::eliminate_common_subexpressions(m, nullptr) == (cases[i].merged ? 1 : 0));
    }
  }
}

TEST_CASE("no-op nodes go and their readers read the input") {
  struct Case {
    const char* what;
    std::vector<Node> nodes;                    // read x [2,3,4], the last one writes p
    std::map<std::string, Tensor> initializers;
    int kept;                                   // nodes left besides the final Relu
  };
  const auto to = [](DataType t) { return attr_int("to", static_cast<int64_t>(t)); };
  const Tensor training = Tensor::from_vector<bool>({true}, {});
  const std::vector<Case> cases{
      {"Identity chain", {graph_node("Identity", {"x"}, {"i"}), graph_node("Identity", {"i"}, {"p"})}, {}, 0},
      {"Dropout, inference", {graph_node("Dropout", {"x"}, {"p"})}, {}, 0},
      {"Dropout, unread mask", {graph_node("Dropout", {"x"}, {"p", "mask"})}, {}, 0},
      {"Dropout, training_mode false", {graph_node("Dropout", {"x", "", "t"}, {"p"})},
       {{"t", Tensor::from_vector<bool>({false}, {})}}, 0},
      // Ratio 0 keeps the outputs comparable; the node stays all the same.
      {"Dropout, training_mode true", {graph_node("Dropout", {"x", "r", "t"}, {"p"})},
       {{"t", training}, {"r", Tensor::scalar_f32(0.f)}}, 1},
      {"Cast to float", {graph_node("Cast", {"x"}, {"p"}, {to(DataType::Float)})}, {}, 0},
      {"Cast to double and back", {graph_node("Cast", {"x"}, {"d"}, {to(DataType::Double)}),
                                   graph_node("Cast", {"d"}, {"p"}, {to(DataType::Float)})}, {}, 2},
      {"Expand to the same shape", {graph_node("Expand", {"x", "s"}, {"p"})}, {{"s", i64({3, 1})}}, 0},
      {"Expand that grows", {graph_node("Expand", {"x", "s"}, {"p"})}, {{"s", i64({2, 2, 3, 4})}}, 1},
      {"Reshape to the same shape", {graph_node("Reshape", {"x", "s"}, {"p"})}, {{"s", i64({2, 0, -1})}}, 0},
      {"Slice of everything", {graph_node("Slice", {"x", "b", "e"}, {"p"})}, {{"b", i64({0})}, {"e", i64({100})}}, 0},
      {"Slice of everything, reversed", {graph_node("Slice", {"x", "b", "e", "a", "st"}, {"p"})},
       {{"b", i64({-1})}, {"e", i64({-100})}, {"a", i64({2})}, {"st", i64({-1})}}, 1},
      {"Slice of a part", {graph_node("Slice", {"x", "b", "e"}, {"p"})}, {{"b", i64({1})}, {"e", i64({100})}}, 1},
      {"Transpose, identity perm", {graph_node("Transpose", {"x"}, {"p"}, {attr_ints("perm", {0, 1, 2})})}, {}, 0},
      {"Transpose, real perm", {graph_node("Transpose", {"x"}, {"p"}, {attr_ints("perm", {0, 2, 1})})}, {}, 1},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.what));
    Model m = model_with({2, 3, 4}, {"y"}, 13);
    m.graph.nodes = c.nodes;
    m.graph.initializers = c.initializers;
    m.graph.nodes.push_back(graph_node("Relu", {"p"}, {"y"}));
    Model kept = compare_levels(m, seeded({2, 3, 4}, 1));
    CHECK(kept.graph.nodes.size() == static_cast<size_t>(c.kept) + 1);
  }
}

TEST_CASE("a Reshape that keeps every dim goes, symbolic dims included") {
  struct Case {
    std::vector<int64_t> target;
    bool removed;
  };
  // x [N,3,4]
  const std::vector<Case> cases{
      {{0, 3, 4}, true}, {{0, 0, 0}, true}, {{-1, 3, 4}, true}, {{0, 0, -1}, false},  // -1 beside a symbol
      {{0, 4, 3}, false}, {{0, 12}, false},
  };
  for (const Case& c : cases) {
    INFO("target: ", shape_str(c.target));
    Model m = model_with({-1, 3, 4}, {"y"}, 13);
    m.graph.initializers["t"] = i64(c.target);
    m.graph.nodes = {graph_node("Relu", {"x"}, {"r"}), graph_node("Reshape", {"r", "t"}, {"s"}), graph_node("Neg", {"s"}, {"y"})};
    Model kept = compare_levels(m, seeded({2, 3, 4}, 4));
    CHECK(count_op(kept, "Reshape") == (c.removed ? 0 : 1));
  }
}

TEST_CASE("a removed no-op keeps the graph output's name") {
  SUBCASE("the producer of its input takes the name") {
    Model m = model_with({2, 3}, {"y"});
    m.graph.nodes.push_back(graph_node("Relu", {"x"}, {"r"}));
    m.graph.nodes.push_back(graph_node("Neg", {"r"}, {"n"}));  // another reader of r
    m.graph.nodes.push_back(graph_node("Identity", {"r"}, {"y"}));
    m.graph.outputs.push_back(ValueInfo{"n", {}, {}});
    Model kept = compare_levels(m, seeded({2, 3}, 1));
    CHECK(kept.graph.nodes.size() == 2);
    CHECK(kept.graph.nodes[0].outputs[0] == "y");
    CHECK(kept.graph.nodes[1].inputs[0] == "y");
  }
  SUBCASE("its input is a graph input or another graph output: it stays") {
    Model m = model_with({2, 3}, {"y", "r", "z"});
    m.graph.nodes.push_back(graph_node("Identity", {"x"}, {"y"}));
    m.graph.nodes.push_back(graph_node("Relu", {"x"}, {"r"}));
    m.graph.nodes.push_back(graph_node("Identity", {"r"}, {"z"}));
    Model kept = compare_levels(m, seeded({2, 3}, 1));
    CHECK(count_op(kept, "Identity") == 2);
  }
}

TEST_CASE("a rename that a subgraph's own value of the same name would capture is not made") {
  // i = Identity(r); the If branch reads i and defines a value of its own called r.
  Model m = model_with({2, 3}, {"y"});
  m.graph.inputs.push_back(ValueInfo{"cond", TypeInfo::tensor_of_shape(DataType::Bool, {}), {}});
  m.graph.nodes.push_back(graph_node("Relu", {"x"}, {"r"}));
  m.graph.nodes.push_back(graph_node("Identity", {"r"}, {"i"}));
  auto branch = std::make_shared<Graph>();
  branch->name = "then";
  branch->nodes.push_back(graph_node("Neg", {"i"}, {"r"}));
  branch->outputs.push_back(ValueInfo{"r", {}, {}});
  auto other = std::make_shared<Graph>();
  other->name = "else";
  other->nodes.push_back(graph_node("Abs", {"x"}, {"e"}));
  other->outputs.push_back(ValueInfo{"e", {}, {}});
  Attribute then_a, else_a;
  then_a.name = "then_branch";
  then_a.type = Attribute::Type::Graph;
  then_a.g = branch;
  else_a.name = "else_branch";
  else_a.type = Attribute::Type::Graph;
  else_a.g = other;
  m.graph.nodes.push_back(graph_node("If", {"cond"}, {"y"}, {then_a, else_a}));
  Model g = m;
  passes::run_passes(g, "all");
  CHECK(count_op(g, "Identity") == 1);
  CHECK(g.graph.nodes[2].attributes[0].g->nodes[0].inputs[0] == "i");
}

TEST_CASE("reshape chains collapse into one reshape; Squeeze and Unsqueeze of the same axes cancel") {
  struct Case {
    const char* what;
    std::vector<Node> nodes;  // read r = Relu(x) [2,3,4], the last one writes y
    std::map<std::string, Tensor> initializers;
    int64_t opset;
    size_t nodes_after;  // Relu included
  };
  const std::vector<Case> cases{
      {"Reshape, Reshape", {graph_node("Reshape", {"r", "s1"}, {"a"}), graph_node("Reshape", {"a", "s2"}, {"y"})},
       {{"s1", i64({6, 4})}, {"s2", i64({4, -1})}}, 13, 2},
      {"Flatten, Reshape", {graph_node("Flatten", {"r"}, {"a"}), graph_node("Reshape", {"a", "s2"}, {"y"})},
       {{"s2", i64({12, 2})}}, 13, 2},
      {"Reshape, Reshape copying a dim (0) of the middle shape", {graph_node("Reshape", {"r", "s1"}, {"a"}),
                                                                  graph_node("Reshape", {"a", "s2"}, {"y"})},
       {{"s1", i64({6, 4})}, {"s2", i64({0, 2, 2})}}, 13, 3},
      {"Unsqueeze, Squeeze (opset 13 inputs)", {graph_node("Unsqueeze", {"r", "ax"}, {"a"}),
                                                graph_node("Squeeze", {"a", "ax"}, {"y"})},
       {{"ax", i64({0, -1})}}, 13, 1},
      {"Unsqueeze, Squeeze (opset 11 attributes)",
       {graph_node("Unsqueeze", {"r"}, {"a"}, {attr_ints("axes", {1})}), graph_node("Squeeze", {"a"}, {"y"}, {attr_ints("axes", {1})})},
       {}, 11, 1},
      {"Unsqueeze, Squeeze of other axes",
       {graph_node("Unsqueeze", {"r"}, {"a"}, {attr_ints("axes", {0, 1})}), graph_node("Squeeze", {"a"}, {"y"}, {attr_ints("axes", {0})})},
       {}, 11, 3},
      {"Squeeze, Unsqueeze", {graph_node("Unsqueeze", {"r", "ax"}, {"a"}), graph_node("Squeeze", {"a", "ax"}, {"b"}),
                              graph_node("Unsqueeze", {"b", "ax"}, {"y"})},
       {{"ax", i64({2})}}, 13, 2},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.what));
    Model m = model_with({2, 3, 4}, {"y"}, c.opset);
    m.graph.nodes = {graph_node("Relu", {"x"}, {"r"})};
    m.graph.nodes.insert(m.graph.nodes.end(), c.nodes.begin(), c.nodes.end());
    m.graph.initializers = c.initializers;
    Model kept = compare_levels(m, seeded({2, 3, 4}, 2));
    CHECK(kept.graph.nodes.size() == c.nodes_after);
  }
}

TEST_CASE("a Squeeze that could fail at run time is never skipped") {
  // x [N,4]: Squeeze(axes 0) fails unless N is 1, so Squeeze then Unsqueeze is no identity.
  Model m = model_with({-1, 4}, {"y"}, 13);
  m.graph.initializers["ax"] = i64({0});
  m.graph.nodes = {graph_node("Relu", {"x"}, {"r"}), graph_node("Squeeze", {"r", "ax"}, {"s"}),
                   graph_node("Unsqueeze", {"s", "ax"}, {"y"})};
  Model kept = compare_levels(m, seeded({1, 4}, 3));
  CHECK(kept.graph.nodes.size() == 3);
  Session s = Session::from_model(m);
  CHECK(error_of([&] { run(s, seeded({2, 4}, 3)); }).find("s_node") != std::string::npos);
}

namespace {

// x [1,3,6,6] -> Conv 3x3 (4 channels, pad 1, optional bias) -> c, then `ops` (Mul/Add with
// the named constants) -> y.
Model conv_then(bool bias, const std::vector<std::pair<std::string, Tensor>>& ops) {
  Model m = model_with({1, 3, 6, 6}, {"y"});
  m.graph.initializers["W"] = seeded({4, 3, 3, 3}, 1, -0.5f, 0.5f);
  if (bias) m.graph.initializers["B"] = seeded({4}, 2, -0.2f, 0.2f);
  m.graph.nodes.push_back(graph_node("Conv", bias ? std::vector<std::string>{"x", "W", "B"} : std::vector<std::string>{"x", "W"},
                               {"c0"}, {attr_ints("pads", {1, 1, 1, 1})}));
  for (size_t i = 0; i < ops.size(); ++i) {
    const std::string k = "k" + std::to_string(i), in = "c" + std::to_string(i);
    const std::string out = i + 1 == ops.size() ? "y" : "c" + std::to_string(i + 1);
    m.graph.initializers[k] = ops[i].second;
    // Constant first for Mul: the pass takes either side.
    m.graph.nodes.push_back(graph_node(ops[i].first, ops[i].first == "Mul" ? std::vector<std::string>{k, in}
                                                                     : std::vector<std::string>{in, k},
                                 {out}));
  }
  return m;
}

}  // namespace

TEST_CASE("Conv followed by per-channel Mul and Add folds into the Conv") {
  const Tensor scale = seeded({1, 4, 1, 1}, 3, 0.5f, 2.f), shift = seeded({4, 1, 1}, 4);
  for (bool bias : {false, true}) {
    INFO("conv bias: ", bias);
    Model kept = compare_levels(conv_then(bias, {{"Mul", scale}, {"Add", shift}}), seeded({1, 3, 6, 6}, 5), 1e-5);
    CHECK(kept.graph.nodes.size() == 1);
    CHECK(count_op(kept, "Conv") == 1);
    // The folded W and B only (the session's model may drop W once the Conv packed it).
    CHECK(kept.graph.initializers.size() <= 2);
    CHECK(kept.graph.initializers.count("k0") == 0);
    CHECK(kept.graph.initializers.count("k1") == 0);
  }
  Model scalar = compare_levels(conv_then(false, {{"Mul", Tensor::scalar_f32(0.5f)}}), seeded({1, 3, 6, 6}, 5), 1e-5);
  CHECK(scalar.graph.nodes.size() == 1);
}

TEST_CASE("Conv + Mul/Add stays when the constant is not per channel or the Conv output is shared") {
  SUBCASE("a constant along the width") {
    Model kept = compare_levels(conv_then(true, {{"Mul", seeded({6}, 3)}}), seeded({1, 3, 6, 6}, 5));
    CHECK(count_op(kept, "Mul") == 1);
  }
  SUBCASE("a constant that broadcasts the output bigger") {
    Model kept = compare_levels(conv_then(true, {{"Add", seeded({2, 4, 1, 1}, 3)}}), seeded({1, 3, 6, 6}, 5));
    CHECK(count_op(kept, "Add") == 1);
  }
  SUBCASE("the Conv output has another reader") {
    Model m = conv_then(true, {{"Add", seeded({4, 1, 1}, 3)}});
    m.graph.nodes.push_back(graph_node("Neg", {"c0"}, {"n"}));
    m.graph.outputs.push_back(ValueInfo{"n", {}, {}});
    Model kept = compare_levels(m, seeded({1, 3, 6, 6}, 5));
    CHECK(count_op(kept, "Add") == 1);
  }
  SUBCASE("only at extended and above") {
    Model m = conv_then(true, {{"Add", seeded({4, 1, 1}, 3)}});
    passes::run_passes(m, "basic");
    CHECK(count_op(m, "Add") == 1);
  }
}

TEST_CASE("the pass report says what each pass changed, op by op") {
  Model m = constant_chain();
  m.graph.nodes.push_back(graph_node("Identity", {"y"}, {"unused"}));
  std::vector<passes::PassStat> report;
  const int total = passes::run_passes(m, "all", &report);
  int sum = 0;
  for (const passes::PassStat& s : report) sum += s.changes;
  CHECK(sum == total);
  CHECK(changes_of(report, "fold_constants") == 3);  // Constant, Mul, Sqrt
  CHECK(changes_of(report, "eliminate_noops") == 1);
  for (const passes::PassStat& s : report) {
    if (s.pass != "fold_constants") continue;
    CHECK(s.op_delta == std::map<std::string, int>{{"Constant", -1}, {"Mul", -1}, {"Sqrt", -1}});
  }
  std::vector<passes::PassStat> none;
  CHECK(passes::run_passes(m, "none", &none) == 0);
  CHECK(none.empty());
}
