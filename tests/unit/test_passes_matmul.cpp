// The MatMul passes: fuse_matmul_bias (MatMul + bias Add [+ Relu | Gelu] -> FusedMatMul or Gemm)
// and fold_transpose_matmul (Transpose of the last two axes -> transA / transB). Each model runs at
// level "none" and "all" on the same seeded feeds and the outputs must agree within rtol 1e-5 /
// atol 1e-5 (the GELU of the epilogue and of the Gelu op are both within a few ulp of erf/tanh);
// the node lists after the passes are checked op by op; and a second run of the passes changes
// nothing.
#include <doctest/doctest.h>

#include <cstring>
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

Tensor seeded(Shape shape, uint64_t seed, float lo = -1.f, float hi = 1.f) { return xorshift_tensor(std::move(shape), seed, lo, hi, 7); }


Model empty_model() {
  Model m;
  m.ir_version = 9;
  m.opset_imports[""] = 20;  // Gelu is an ONNX op from 20
  m.graph.name = "matmul_passes";
  return m;
}

void add_input(Model& m, const std::string& name, const Shape& shape) {
  m.graph.inputs.push_back(ValueInfo{name, TypeInfo::tensor_of_shape(DataType::Float, shape), {}});
}

// x [x_shape] @ W [K, N] + b [N] (bias first in the Add when bias_left) [-> activation] -> y.
Model linear_model(const Shape& x_shape, int64_t N, const std::string& act = "", bool bias_left = false,
                   const std::vector<Attribute>& act_attrs = {}) {
  Model m = empty_model();
  add_input(m, "x", x_shape);
  m.graph.initializers["W"] = seeded({x_shape.back(), N}, 1);
  m.graph.initializers["b"] = seeded({N}, 2);
  m.graph.nodes.push_back(graph_node("MatMul", {"x", "W"}, {"mm"}));
  m.graph.nodes.push_back(graph_node("Add", bias_left ? std::vector<std::string>{"b", "mm"} : std::vector<std::string>{"mm", "b"},
                               {act.empty() ? "y" : "lin"}));
  if (!act.empty()) m.graph.nodes.push_back(graph_node(act, {"lin"}, {"y"}, act_attrs));
  m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
  return m;
}

std::vector<std::string> op_types(const Model& m) {
  std::vector<std::string> ops;
  for (const Node& n : m.graph.nodes) ops.push_back(n.op_type);
  return ops;
}

const Node* find_op(const Model& m, const std::string& op) {
  for (const Node& n : m.graph.nodes) {
    if (n.op_type == op) return &n;
  }
  return nullptr;
}

// Runs m at levels none and all with a seeded feed for every graph input and compares every
// output; returns the op types of the optimized model.
std::vector<std::string> compare_levels(const Model& m) {
  SessionOptions none, all;
  none.optimization_level = "none";
  all.optimization_level = "all";
  Session a = Session::from_model(m, none);
  Session b = Session::from_model(m, all);
  std::map<std::string, Value> feeds;
  uint64_t seed = 50;
  for (const ValueInfo& in : m.graph.inputs) {
    if (m.graph.initializers.count(in.name)) continue;
    Shape shape;
    for (const Dim& d : in.type.dims) shape.push_back(d.value);
    feeds.emplace(in.name, Value(seeded(shape, ++seed, -3.f, 3.f)));
  }
  std::vector<Value> ya = a.run(feeds), yb = b.run(feeds);
  REQUIRE(ya.size() == yb.size());
  for (size_t i = 0; i < ya.size(); ++i) check_close(yb[i].tensor(), ya[i].tensor(), 1e-5, 1e-5);
  CHECK(op_types(a.model()) == op_types(m));  // level none changes nothing
  return op_types(b.model());
}

// The passes run twice on a copy: the second run must change nothing.
void check_idempotent(const Model& m) {
  Model copy = m;
  passes::run_passes(copy, "all");
  const std::vector<std::string> once = op_types(copy);
  CHECK(passes::run_passes(copy, "all") == 0);
  CHECK(op_types(copy) == once);
}

using Ops = std::vector<std::string>;

}  // namespace

TEST_CASE("MatMul + bias Add [+ activation] becomes one FusedMatMul or Gemm with the same outputs") {
  struct Row {
    const char* what;
    Shape x;
    std::string act;
    std::vector<Attribute> act_attrs;
    bool bias_left;
    Ops want;
    std::string activation;  // FusedMatMul's attribute
  };
  const Row rows[] = {
      {"2-D, no activation: Gemm", {5, 7}, "", {}, false, {"Gemm"}, ""},
      {"2-D, bias on the left", {13, 17}, "", {}, true, {"Gemm"}, ""},
      {"3-D (batched rows)", {2, 5, 7}, "", {}, false, {"FusedMatMul"}, ""},
      {"Relu", {3, 13, 33}, "Relu", {}, false, {"FusedMatMul"}, "Relu"},
      {"2-D with Relu stays a FusedMatMul", {5, 7}, "Relu", {}, true, {"FusedMatMul"}, "Relu"},
      {"Gelu (erf)", {2, 12, 40}, "Gelu", {}, false, {"FusedMatMul"}, "Gelu"},
      {"Gelu approximate=tanh", {1, 7, 9}, "Gelu", {attr_string("approximate", "tanh")}, false, {"FusedMatMul"},
       "GeluTanh"},
      {"1-D A", {7}, "Relu", {}, false, {"FusedMatMul"}, "Relu"},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    const Model m = linear_model(r.x, r.x.back() == 7 ? 11 : 35, r.act, r.bias_left, r.act_attrs);
    CHECK(compare_levels(m) == r.want);
    check_idempotent(m);
    Model fused = m;
    passes::run_passes(fused, "all");
    const Node* f = find_op(fused, "FusedMatMul");
    if (r.want[0] == "FusedMatMul") {
      REQUIRE(f != nullptr);
      CHECK(f->domain == "com.onnxi");
      CHECK(f->attr_string("activation", "?") == r.activation);
      CHECK(f->inputs == std::vector<std::string>{"x", "W", "b"});
      CHECK(fused.opset_imports.count("com.onnxi") == 1);
    } else {
      CHECK(find_op(fused, "Gemm")->inputs == std::vector<std::string>{"x", "W", "b"});
    }
  }
}

TEST_CASE("a bias [1, N] fuses only where A's rank says it adds no axis") {
  Model m = linear_model({4, 7}, 9);
  m.graph.initializers["b"] = seeded({1, 9}, 3);
  CHECK(compare_levels(m) == Ops{"Gemm"});
  Model unknown = m;
  unknown.graph.inputs[0].type = TypeInfo::tensor_unranked(DataType::Float);  // rank unknown: [1, N] could add one
  Model copy = unknown;
  CHECK(passes::fuse_matmul_bias(copy) == 0);
  Model three = linear_model({2, 4, 7}, 9);
  three.graph.initializers["b"] = seeded({1, 1, 1, 9}, 4);  // would make the output 4-D
  CHECK(compare_levels(three) == Ops{"MatMul", "Add"});
}

TEST_CASE("a com.onnxi or com.microsoft Gelu joins the FusedMatMul too") {
  for (const char* domain : {"com.onnxi", "com.microsoft"}) {
    INFO(domain);
    Model m = linear_model({3, 7}, 5, "Gelu");
    m.graph.nodes.back().domain = domain;
    CHECK(passes::fuse_matmul_bias(m) == 1);
    CHECK(op_types(m) == Ops{"FusedMatMul"});
    CHECK(m.graph.nodes[0].attr_string("activation", "") == "Gelu");
    CHECK(m.graph.nodes[0].outputs[0] == "y");
  }
}

TEST_CASE("MatMul + Add stays apart when fusing could change what is computed") {
  SUBCASE("the MatMul output is also a graph output") {
    Model m = linear_model({5, 7}, 11);
    m.graph.outputs.push_back(ValueInfo{"mm", {}, {}});
    CHECK(compare_levels(m) == Ops{"MatMul", "Add"});
  }
  SUBCASE("the MatMul output has another consumer") {
    Model m = linear_model({5, 7}, 11);
    m.graph.nodes.push_back(graph_node("Neg", {"mm"}, {"n"}));
    m.graph.outputs.push_back(ValueInfo{"n", {}, {}});
    CHECK(compare_levels(m) == Ops{"MatMul", "Add", "Neg"});
  }
  SUBCASE("the bias is a graph input a feed may override") {
    Model m = linear_model({5, 7}, 11);
    add_input(m, "b", {11});
    CHECK(compare_levels(m) == Ops{"MatMul", "Add"});
  }
  SUBCASE("W is fed, not constant") {
    Model m = linear_model({5, 7}, 11);
    m.graph.initializers.erase("W");
    add_input(m, "W", {7, 11});
    CHECK(compare_levels(m) == Ops{"MatMul", "Add"});
  }
  SUBCASE("the Add is not a row bias: [M, N] addend") {
    Model m = linear_model({5, 7}, 11);
    m.graph.initializers["b"] = seeded({5, 11}, 5);
    CHECK(compare_levels(m) == Ops{"MatMul", "Add"});
  }
  SUBCASE("the Add output is a graph output: the bias fuses, the Relu stays") {
    Model m = linear_model({2, 5, 7}, 11, "Relu");
    m.graph.outputs.push_back(ValueInfo{"lin", {}, {}});
    CHECK(compare_levels(m) == Ops{"FusedMatMul", "Relu"});
    check_idempotent(m);
  }
  SUBCASE("the Add output is read twice: the Gelu stays") {
    Model m = linear_model({2, 5, 7}, 11, "Gelu");
    m.graph.nodes.push_back(graph_node("Neg", {"lin"}, {"n"}));
    m.graph.outputs.push_back(ValueInfo{"n", {}, {}});
    CHECK(compare_levels(m) == Ops{"FusedMatMul", "Gelu", "Neg"});
  }
}

namespace {

// a [a_shape] -> Transpose(perm) -> MatMul with b (transposed operand on `side`) -> y.
Model transpose_model(const Shape& a_shape, const std::vector<int64_t>& perm, const Shape& b_shape, int side,
                      bool b_constant = false) {
  Model m = empty_model();
  add_input(m, "a", a_shape);
  if (b_constant) {
    m.graph.initializers["b"] = seeded(b_shape, 8);
  } else {
    add_input(m, "b", b_shape);
  }
  std::vector<Attribute> attrs;
  if (!perm.empty()) attrs.push_back(attr_ints("perm", perm));
  m.graph.nodes.push_back(graph_node("Transpose", {"a"}, {"t"}, attrs));
  m.graph.nodes.push_back(graph_node("MatMul", side == 0 ? std::vector<std::string>{"t", "b"} : std::vector<std::string>{"b", "t"},
                               {"y"}));
  m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
  return m;
}

}  // namespace

TEST_CASE("Transpose of the last two axes folds into MatMul as transA / transB") {
  struct Row {
    const char* what;
    Shape a;
    std::vector<int64_t> perm;
    Shape b;
    int side;
    bool b_constant;
    Ops want;
    const char* attr;
  };
  const Row rows[] = {
      {"2-D A^T: Gemm transA", {7, 5}, {1, 0}, {7, 4}, 0, false, {"Gemm"}, "transA"},
      {"2-D no perm (declared 2-D)", {7, 5}, {}, {7, 4}, 0, false, {"Gemm"}, "transA"},
      {"2-D weights stored [N, K]: Gemm transB", {4, 7}, {1, 0}, {5, 7}, 1, true, {"Gemm"}, "transB"},
      {"batched A^T", {2, 7, 13}, {0, 2, 1}, {7, 33}, 0, false, {"FusedMatMul"}, "transA"},
      {"attention Q @ K^T", {2, 3, 17, 8}, {0, 1, 3, 2}, {2, 3, 13, 8}, 1, false, {"FusedMatMul"}, "transB"},
      {"broadcast batch, constant B^T", {6, 9}, {1, 0}, {3, 5, 9}, 1, true, {"FusedMatMul"}, "transB"},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    const Model m = transpose_model(r.a, r.perm, r.b, r.side, r.b_constant);
    CHECK(compare_levels(m) == r.want);
    check_idempotent(m);
    Model folded = m;
    passes::run_passes(folded, "all");
    CHECK(folded.graph.nodes[0].attr_int(r.attr, 0) == 1);
    CHECK(folded.graph.nodes[0].attr_int(std::string(r.attr) == "transA" ? "transB" : "transA", 0) == 0);
  }
}

TEST_CASE("Transpose into Gemm toggles its attribute; into FusedMatMul with a bias and Gelu") {
  SUBCASE("Gemm transB=1 fed a transposed B becomes transB=0") {
    Model m = empty_model();
    add_input(m, "x", {5, 7});
    m.graph.initializers["W"] = seeded({7, 6}, 3);
    m.graph.initializers["c"] = seeded({6}, 4);
    // W is also a graph input (an overridable default), so constant folding leaves the Neg alone.
    m.graph.inputs.push_back(ValueInfo{"W", TypeInfo::tensor(DataType::Float, {Dim::known(7), Dim::known(6)}), {}});
    m.graph.nodes.push_back(graph_node("Neg", {"W"}, {"w2"}));        // w2's rank is not declared
    m.graph.nodes.push_back(graph_node("Transpose", {"w2"}, {"wt"}));  // no perm: Gemm's B is 2-D, so a swap
    m.graph.nodes.push_back(graph_node("Gemm", {"x", "wt", "c"}, {"y"}, {attr_int("transB", 1), attr_float("alpha", 0.5f)}));
    m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
    CHECK(compare_levels(m) == Ops{"Neg", "Gemm"});
    Model folded = m;
    passes::run_passes(folded, "all");
    CHECK(folded.graph.nodes[1].attr_int("transB", 1) == 0);
    check_idempotent(m);
  }
  SUBCASE("Transpose + MatMul + bias + Gelu: one FusedMatMul") {
    Model m = empty_model();
    add_input(m, "x", {2, 9, 5});  // x^T per batch: [2, 5, 9]
    m.graph.initializers["W"] = seeded({9, 12}, 3);
    m.graph.initializers["b"] = seeded({12}, 4);
    m.graph.nodes.push_back(graph_node("Transpose", {"x"}, {"xt"}, {attr_ints("perm", {0, 2, 1})}));
    m.graph.nodes.push_back(graph_node("MatMul", {"xt", "W"}, {"mm"}));
    m.graph.nodes.push_back(graph_node("Add", {"mm", "b"}, {"lin"}));
    m.graph.nodes.push_back(graph_node("Gelu", {"lin"}, {"y"}));
    m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
    CHECK(compare_levels(m) == Ops{"FusedMatMul"});
    check_idempotent(m);
    Model folded = m;
    passes::run_passes(folded, "all");
    CHECK(folded.graph.nodes[0].attr_int("transA", 0) == 1);
    CHECK(folded.graph.nodes[0].attr_string("activation", "") == "Gelu");
  }
}

TEST_CASE("Transpose stays where folding could change what is computed") {
  SUBCASE("perm does not swap the last two axes") {
    CHECK(compare_levels(transpose_model({3, 2, 7}, {1, 0, 2}, {7, 4}, 0)) == Ops{"Transpose", "MatMul"});
  }
  SUBCASE("perm absent and the rank is not declared 2 (it reverses all axes)") {
    CHECK(compare_levels(transpose_model({2, 7, 3}, {}, {2, 4}, 0)) == Ops{"Transpose", "MatMul"});
  }
  SUBCASE("the Transpose output is a graph output") {
    Model m = transpose_model({7, 5}, {1, 0}, {7, 4}, 0);
    m.graph.outputs.push_back(ValueInfo{"t", {}, {}});
    CHECK(compare_levels(m) == Ops{"Transpose", "MatMul"});
  }
  SUBCASE("the Transpose output feeds both operands") {
    Model m = empty_model();
    add_input(m, "a", {6, 6});
    m.graph.nodes.push_back(graph_node("Transpose", {"a"}, {"t"}, {attr_ints("perm", {1, 0})}));
    m.graph.nodes.push_back(graph_node("MatMul", {"t", "t"}, {"y"}));
    m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
    CHECK(compare_levels(m) == Ops{"Transpose", "MatMul"});
  }
}

TEST_CASE("FusedMatMul rejects bad attributes and inputs with errors that name them") {
  SUBCASE("unknown activation") {
    NodeRun spec{"FusedMatMul", {attr_string("activation", "Swish")}, 1, "com.onnxi"};
    const std::string err = error_of([&] {
      run_node(spec, {Value(seeded({2, 3}, 1)), Value(seeded({3, 4}, 2))});
    });
    CHECK(err.find("Swish") != std::string::npos);
    CHECK(err.find("Relu, Gelu, GeluTanh") != std::string::npos);
  }
  SUBCASE("bias of the wrong length") {
    NodeRun spec{"FusedMatMul", {}, 1, "com.onnxi"};
    const std::string err = error_of([&] {
      run_node(spec, {Value(seeded({2, 3}, 1)), Value(seeded({3, 4}, 2)), Value(seeded({5}, 3))});
    });
    CHECK(err.find("bias") != std::string::npos);
    CHECK(err.find("N = 4") != std::string::npos);
  }
  SUBCASE("inner dimensions with transB") {
    NodeRun spec{"FusedMatMul", {attr_int("transB", 1)}, 1, "com.onnxi"};
    const std::string err = error_of([&] {
      run_node(spec, {Value(seeded({2, 3}, 1)), Value(seeded({3, 4}, 2))});
    });
    CHECK(err.find("inner dimensions differ") != std::string::npos);
  }
}

TEST_CASE("Transpose folds into MatMul of double and int64 too: FusedMatMul copies the operand then") {
  for (DataType dt : {DataType::Double, DataType::Int64}) {
    INFO(dtype_name(dt));
    Model m = empty_model();
    m.graph.inputs.push_back(ValueInfo{"a", TypeInfo::tensor_of_shape(dt, {2, 7, 5}), {}});
    m.graph.inputs.push_back(ValueInfo{"b", TypeInfo::tensor_of_shape(dt, {2, 7, 3}), {}});
    m.graph.nodes.push_back(graph_node("Transpose", {"a"}, {"t"}, {attr_ints("perm", {0, 2, 1})}));
    m.graph.nodes.push_back(graph_node("MatMul", {"t", "b"}, {"y"}));
    m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
    Tensor a(dt, {2, 7, 5}), b(dt, {2, 7, 3});
    for (int64_t i = 0; i < a.numel(); ++i) {
      if (dt == DataType::Double) a.data<double>()[i] = 0.25 * static_cast<double>(i % 9) - 1.0;
      if (dt == DataType::Int64) a.data<int64_t>()[i] = i % 7 - 3;
    }
    for (int64_t i = 0; i < b.numel(); ++i) {
      if (dt == DataType::Double) b.data<double>()[i] = 0.5 * static_cast<double>(i % 5) - 0.75;
      if (dt == DataType::Int64) b.data<int64_t>()[i] = i % 5 - 2;
    }
    SessionOptions none, all;
    none.optimization_level = "none";
    all.optimization_level = "all";
    Session s_none = Session::from_model(m, none), s_all = Session::from_model(m, all);
    CHECK(op_types(s_all.model()) == Ops{"FusedMatMul"});
    const std::map<std::string, Value> feeds{{"a", Value(a)}, {"b", Value(b)}};
    const Tensor want = s_none.run(feeds)[0].tensor(), got = s_all.run(feeds)[0].tensor();
    REQUIRE(got.shape() == want.shape());
    REQUIRE(got.dtype() == dt);
    CHECK(std::memcmp(got.raw(), want.raw(), got.nbytes()) == 0);  // the same products, summed in the same order
  }
}
