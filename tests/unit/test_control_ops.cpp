// If, Loop and Scan through real sessions: outer-scope reads, dynamic trip counts, scan outputs,
// nesting, deadlines, and the errors a malformed body gets.
#include <chrono>
#include <climits>

#include "onnxi/error.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Node make_node(std::string op, std::vector<std::string> inputs, std::vector<std::string> outputs,
               std::vector<Attribute> attrs = {}, std::string name = {}) {
  Node n;
  n.name = name.empty() ? op + "_" + (outputs.empty() ? std::string() : outputs[0]) : std::move(name);
  n.op_type = std::move(op);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attributes = std::move(attrs);
  return n;
}

ValueInfo tensor_info(std::string name, DataType dt, std::vector<Dim> dims) {
  return ValueInfo{std::move(name), TypeInfo::tensor(dt, std::move(dims)), {}};
}

ValueInfo scalar_info(std::string name, DataType dt) { return tensor_info(std::move(name), dt, {}); }

Attribute graph_attr(std::string name, Graph g) {
  Attribute a;
  a.name = std::move(name);
  a.type = Attribute::Type::Graph;
  a.g = std::make_shared<Graph>(std::move(g));
  return a;
}

Model model_of(Graph g, int64_t opset = 21) {
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = opset;
  m.graph = std::move(g);
  return m;
}

Tensor bool_tensor(bool v) {
  Tensor t(DataType::Bool, {});
  t.data<bool>()[0] = v;
  return t;
}

// Loop body: acc_out = acc_in + step (step read from the enclosing graph), scan_out = acc_out,
// cond_out = cond_in.
Graph accumulate_body() {
  Graph body;
  body.name = "accumulate";
  body.inputs = {scalar_info("iter", DataType::Int64), scalar_info("cond_in", DataType::Bool),
                 tensor_info("acc_in", DataType::Float, {Dim::known(2)})};
  body.nodes = {make_node("Identity", {"cond_in"}, {"cond_out"}), make_node("Add", {"acc_in", "step"}, {"acc_out"}),
                make_node("Identity", {"acc_out"}, {"scan_out"})};
  body.outputs = {scalar_info("cond_out", DataType::Bool), tensor_info("acc_out", DataType::Float, {Dim::known(2)}),
                  tensor_info("scan_out", DataType::Float, {Dim::known(2)})};
  return body;
}

// y, ys = Loop(M, "", acc0) with the accumulate body.
Model accumulate_model() {
  Graph g;
  g.name = "main";
  g.inputs = {scalar_info("M", DataType::Int64), tensor_info("acc0", DataType::Float, {Dim::known(2)}),
              tensor_info("step", DataType::Float, {Dim::known(2)})};
  g.nodes = {make_node("Loop", {"M", "", "acc0"}, {"y", "ys"}, {graph_attr("body", accumulate_body())}, "loop")};
  g.outputs = {ValueInfo{"y", {}, {}}, ValueInfo{"ys", {}, {}}};
  return model_of(std::move(g));
}

}  // namespace

TEST_CASE("If: branches read an outer-scope value") {
  Graph then_g;
  then_g.name = "then";
  then_g.nodes = {make_node("Add", {"x", "x"}, {"doubled"})};
  then_g.outputs = {tensor_info("doubled", DataType::Float, {Dim::known(3)})};
  Graph else_g;
  else_g.name = "else";
  else_g.nodes = {make_node("Neg", {"x"}, {"negated"})};
  else_g.outputs = {tensor_info("negated", DataType::Float, {Dim::known(3)})};
  Graph g;
  g.name = "main";
  g.inputs = {scalar_info("c", DataType::Bool), tensor_info("x", DataType::Float, {Dim::known(3)})};
  g.nodes = {make_node("If", {"c"}, {"y"}, {graph_attr("then_branch", then_g), graph_attr("else_branch", else_g)}, "if")};
  g.outputs = {ValueInfo{"y", {}, {}}};
  Session s = Session::from_model(model_of(g));
  CHECK(s.outputs()[0].type.str() == "float32[3]");  // from the branches' declared outputs
  Tensor x = Tensor::from_vector<float>({1.f, -2.f, 3.5f}, {3});
  CHECK(values<float>(s.run({{"c", bool_tensor(true)}, {"x", x}})[0].tensor()) == std::vector<float>{2.f, -4.f, 7.f});
  CHECK(values<float>(s.run({{"c", bool_tensor(false)}, {"x", x}})[0].tensor()) == std::vector<float>{-1.f, 2.f, -3.5f});
}

TEST_CASE("If: a branch with the wrong number of outputs is an error naming the node") {
  Graph then_g;
  then_g.name = "then";
  then_g.nodes = {make_node("Identity", {"x"}, {"a"}), make_node("Identity", {"x"}, {"b"})};
  then_g.outputs = {ValueInfo{"a", {}, {}}, ValueInfo{"b", {}, {}}};
  Graph else_g;
  else_g.name = "else";
  else_g.nodes = {make_node("Identity", {"x"}, {"c"})};
  else_g.outputs = {ValueInfo{"c", {}, {}}};
  Graph g;
  g.name = "main";
  g.inputs = {scalar_info("c", DataType::Bool), tensor_info("x", DataType::Float, {Dim::known(1)})};
  g.nodes = {make_node("If", {"c"}, {"y"}, {graph_attr("then_branch", then_g), graph_attr("else_branch", else_g)}, "pick")};
  g.outputs = {ValueInfo{"y", {}, {}}};
  expect_error([&] { Session::from_model(model_of(g)); }, ErrorCode::InvalidModel, "node 'pick' (If)");
  expect_error([&] { Session::from_model(model_of(g)); }, ErrorCode::InvalidModel, "then_branch graph returns 2 values");
}

TEST_CASE("Loop: a trip count fed at run time, loop-carried value and scan output") {
  Session s = Session::from_model(accumulate_model());
  Tensor acc0 = Tensor::from_vector<float>({0.f, 1.f}, {2});
  Tensor step = Tensor::from_vector<float>({2.f, -1.f}, {2});
  auto out = s.run({{"M", Tensor::scalar_i64(3)}, {"acc0", acc0}, {"step", step}});
  CHECK(values<float>(out[0].tensor()) == std::vector<float>{6.f, -2.f});
  CHECK(out[1].tensor().shape() == Shape{3, 2});
  CHECK(values<float>(out[1].tensor()) == std::vector<float>{2.f, 0.f, 4.f, -1.f, 6.f, -2.f});

  out = s.run({{"M", Tensor::scalar_i64(1)}, {"acc0", acc0}, {"step", step}});
  CHECK(values<float>(out[0].tensor()) == std::vector<float>{2.f, 0.f});
  CHECK(out[1].tensor().shape() == Shape{1, 2});

  // Zero trips: the carried value passes through, the scan output is empty with the body's dims.
  out = s.run({{"M", Tensor::scalar_i64(0)}, {"acc0", acc0}, {"step", step}});
  CHECK(values<float>(out[0].tensor()) == std::vector<float>{0.f, 1.f});
  CHECK(out[1].tensor().shape() == Shape{0, 2});
  CHECK(out[1].tensor().dtype() == DataType::Float);
}

TEST_CASE("Loop: the body's condition ends a loop without a trip count") {
  // while-loop: keep going while iter < limit; the scan output records each iteration number.
  Graph body;
  body.name = "count";
  body.inputs = {scalar_info("iter", DataType::Int64), scalar_info("cond_in", DataType::Bool)};
  body.nodes = {make_node("Less", {"iter", "limit"}, {"cond_out"}), make_node("Identity", {"iter"}, {"seen"})};
  body.outputs = {scalar_info("cond_out", DataType::Bool), ValueInfo{"seen", {}, {}}};  // scan output of unknown type
  Graph g;
  g.name = "main";
  g.inputs = {scalar_info("limit", DataType::Int64), scalar_info("go", DataType::Bool)};
  g.nodes = {make_node("Loop", {"", "go"}, {"iters"}, {graph_attr("body", body)}, "while")};
  g.outputs = {ValueInfo{"iters", {}, {}}};
  Session s = Session::from_model(model_of(g));
  auto out = s.run({{"limit", Tensor::scalar_i64(3)}, {"go", bool_tensor(true)}});
  CHECK(values<int64_t>(out[0].tensor()) == std::vector<int64_t>{0, 1, 2, 3});
  out = s.run({{"limit", Tensor::scalar_i64(3)}, {"go", bool_tensor(false)}});
  CHECK(out[0].tensor().shape() == Shape{0});
}

TEST_CASE("Loop nested in If reads a value two scopes up") {
  Graph body;
  body.name = "inner";
  body.inputs = {scalar_info("i", DataType::Int64), scalar_info("c_in", DataType::Bool), ValueInfo{"v_in", {}, {}}};
  body.nodes = {make_node("Identity", {"c_in"}, {"c_out"}), make_node("Add", {"v_in", "x"}, {"v_out"})};
  body.outputs = {ValueInfo{"c_out", {}, {}}, ValueInfo{"v_out", {}, {}}};
  Graph then_g;
  then_g.name = "then";
  then_g.nodes = {make_node("Loop", {"M", "", "x"}, {"looped"}, {graph_attr("body", body)}, "inner_loop")};
  then_g.outputs = {ValueInfo{"looped", {}, {}}};
  Graph else_g;
  else_g.name = "else";
  else_g.nodes = {make_node("Identity", {"x"}, {"same"})};
  else_g.outputs = {ValueInfo{"same", {}, {}}};
  Graph g;
  g.name = "main";
  g.inputs = {scalar_info("c", DataType::Bool), scalar_info("M", DataType::Int64),
              tensor_info("x", DataType::Float, {Dim::known(2)})};
  g.nodes = {make_node("If", {"c"}, {"y"}, {graph_attr("then_branch", then_g), graph_attr("else_branch", else_g)}, "if")};
  g.outputs = {ValueInfo{"y", {}, {}}};
  Session s = Session::from_model(model_of(g));
  Tensor x = Tensor::from_vector<float>({1.f, 2.f}, {2});
  // x + 3 * x
  CHECK(values<float>(s.run({{"c", bool_tensor(true)}, {"M", Tensor::scalar_i64(3)}, {"x", x}})[0].tensor()) ==
        std::vector<float>{4.f, 8.f});
  CHECK(values<float>(s.run({{"c", bool_tensor(false)}, {"M", Tensor::scalar_i64(3)}, {"x", x}})[0].tensor()) ==
        std::vector<float>{1.f, 2.f});
}

TEST_CASE("Loop: a run that would never end stops at its deadline; the session stays usable") {
  Session s = Session::from_model(accumulate_model());
  Tensor acc0 = Tensor::from_vector<float>({0.f, 0.f}, {2});
  Tensor step = Tensor::from_vector<float>({1.f, 1.f}, {2});
  RunOptions opts;
  opts.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  const auto start = std::chrono::steady_clock::now();
  expect_error([&] { s.run({{"M", Tensor::scalar_i64(INT64_MAX)}, {"acc0", acc0}, {"step", step}}, opts); },
               ErrorCode::Cancelled, "deadline");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  auto out = s.run({{"M", Tensor::scalar_i64(4)}, {"acc0", acc0}, {"step", step}});
  CHECK(values<float>(out[0].tensor()) == std::vector<float>{4.f, 4.f});
}

TEST_CASE("Loop: a body whose carried inputs do not match the node is an error naming it") {
  Model m = accumulate_model();
  m.graph.nodes[0].inputs = {"M", ""};  // drops the carried value the body expects
  expect_error([&] { Session::from_model(m); }, ErrorCode::InvalidModel, "node 'loop' (Loop)");
}

TEST_CASE("Scan 9+: state, reversed input, scan output on axis 1 and prepended") {
  // state: running sum of rows; scan output: the running sum.
  Graph body;
  body.name = "cumsum";
  body.inputs = {tensor_info("sum_in", DataType::Float, {Dim::known(2)}), tensor_info("row", DataType::Float, {Dim::known(2)})};
  body.nodes = {make_node("Add", {"sum_in", "row"}, {"sum_out"}), make_node("Identity", {"sum_out"}, {"running"})};
  body.outputs = {tensor_info("sum_out", DataType::Float, {Dim::known(2)}),
                  tensor_info("running", DataType::Float, {Dim::known(2)})};
  auto run_scan = [&](std::vector<Attribute> attrs) {
    attrs.push_back(graph_attr("body", body));
    attrs.push_back(attr_int("num_scan_inputs", 1));
    Graph g;
    g.name = "main";
    g.inputs = {tensor_info("init", DataType::Float, {Dim::known(2)}), tensor_info("xs", DataType::Float, {Dim::known(3), Dim::known(2)})};
    g.nodes = {make_node("Scan", {"init", "xs"}, {"final", "all"}, std::move(attrs), "scan")};
    g.outputs = {ValueInfo{"final", {}, {}}, ValueInfo{"all", {}, {}}};
    Session s = Session::from_model(model_of(g, 16));
    return s.run({{"init", Tensor::from_vector<float>({0.f, 100.f}, {2})},
                   {"xs", Tensor::from_vector<float>({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {3, 2})}});
  };
  auto out = run_scan({});
  CHECK(values<float>(out[0].tensor()) == std::vector<float>{9.f, 112.f});
  CHECK(out[1].tensor().shape() == Shape{3, 2});
  CHECK(values<float>(out[1].tensor()) == std::vector<float>{1.f, 102.f, 4.f, 106.f, 9.f, 112.f});

  out = run_scan({attr_ints("scan_input_directions", {1})});
  CHECK(values<float>(out[1].tensor()) == std::vector<float>{5.f, 106.f, 8.f, 110.f, 9.f, 112.f});

  out = run_scan({attr_ints("scan_output_axes", {1}), attr_ints("scan_output_directions", {1})});
  CHECK(out[1].tensor().shape() == Shape{2, 3});
  CHECK(values<float>(out[1].tensor()) == std::vector<float>{9.f, 4.f, 1.f, 112.f, 106.f, 102.f});

  // Scanning axis 1 of a [2,3] input sees its columns.
  Graph g;
  g.name = "cols";
  g.inputs = {tensor_info("init", DataType::Float, {Dim::known(2)}), tensor_info("xs", DataType::Float, {Dim::known(2), Dim::known(3)})};
  g.nodes = {make_node("Scan", {"init", "xs"}, {"final", "all"},
                       {graph_attr("body", body), attr_int("num_scan_inputs", 1), attr_ints("scan_input_axes", {1})}, "scan")};
  g.outputs = {ValueInfo{"final", {}, {}}, ValueInfo{"all", {}, {}}};
  out = Session::from_model(model_of(g, 16))
            .run({{"init", Tensor::from_vector<float>({0.f, 0.f}, {2})},
                  {"xs", Tensor::from_vector<float>({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3})}});
  CHECK(values<float>(out[0].tensor()) == std::vector<float>{6.f, 15.f});
}

TEST_CASE("Scan 8: batch axis and sequence_lens pad short sequences with zeros") {
  Graph body;
  body.name = "cumsum";
  body.inputs = {ValueInfo{"sum_in", {}, {}}, ValueInfo{"x", {}, {}}};
  body.nodes = {make_node("Add", {"sum_in", "x"}, {"sum_out"}), make_node("Identity", {"sum_out"}, {"running"})};
  body.outputs = {ValueInfo{"sum_out", {}, {}}, ValueInfo{"running", {}, {}}};
  Graph g;
  g.name = "main";
  g.inputs = {tensor_info("lens", DataType::Int64, {Dim::known(2)}), tensor_info("init", DataType::Float, {Dim::known(2), Dim::known(1)}),
              tensor_info("xs", DataType::Float, {Dim::known(2), Dim::known(3), Dim::known(1)})};
  g.nodes = {make_node("Scan", {"lens", "init", "xs"}, {"final", "all"},
                       {graph_attr("body", body), attr_int("num_scan_inputs", 1), attr_ints("directions", {1})}, "scan8")};
  g.outputs = {ValueInfo{"final", {}, {}}, ValueInfo{"all", {}, {}}};
  Session s = Session::from_model(model_of(g, 8));
  auto out = s.run({{"lens", Tensor::from_vector<int64_t>({3, 2}, {2})},
                    {"init", Tensor::from_vector<float>({0.f, 10.f}, {2, 1})},
                    {"xs", Tensor::from_vector<float>({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3, 1})}});
  // batch 0 reversed over 3 steps: 3, 5, 6; batch 1 reversed over its first 2: 10+5, 10+5+4, then padding.
  CHECK(values<float>(out[0].tensor()) == std::vector<float>{6.f, 19.f});
  CHECK(out[1].tensor().shape() == Shape{2, 3, 1});
  CHECK(values<float>(out[1].tensor()) == std::vector<float>{3.f, 5.f, 6.f, 15.f, 19.f, 0.f});
}
