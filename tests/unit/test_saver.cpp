// The model saver (runtime/loader/saver.cpp) and `onnxi optimize`'s path: IR -> ONNX -> IR keeps
// initializers of every dtype, attributes of every kind and subgraphs; external data; onnxruntime
// reads what onnxi writes; an optimized graph (com.onnxi FusedConv) loads again with equal outputs.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "onnxi/loader.h"
#include "onnxi/session.h"
#include "runtime/graph/prepare.h"
#include "runtime/passes/passes.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Node make_node(const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs,
               std::vector<Attribute> attrs = {}) {
  Node n;
  n.name = outputs[0] + "_node";
  n.op_type = op;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attributes = std::move(attrs);
  return n;
}

ValueInfo tensor_info(const std::string& name, DataType t, std::vector<Dim> dims) {
  return ValueInfo{name, TypeInfo::tensor(t, std::move(dims)), {}};
}

std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("onnxi_test_saver_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

bool same_tensor(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  if (a.dtype() == DataType::String) {
    for (int64_t i = 0; i < a.numel(); ++i) {
      if (a.data<std::string>()[i] != b.data<std::string>()[i]) return false;
    }
    return true;
  }
  return a.nbytes() == b.nbytes() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// y = If(c, then: x + W (W from the outer graph), else: x * x); z = Loop(3 trips, v0 = y, body: v + one).
Model control_flow_model() {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 17;
  m.graph.name = "control";
  m.graph.inputs = {tensor_info("c", DataType::Bool, {}), tensor_info("x", DataType::Float, {Dim::known(2), Dim::known(3)})};
  m.graph.initializers["W"] = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  m.graph.initializers["trips"] = Tensor::from_vector<int64_t>({3}, {});
  Tensor flag(DataType::Bool, {});
  *flag.data<uint8_t>() = 1;
  m.graph.initializers["keep_going"] = flag;

  auto then_g = std::make_shared<Graph>();
  then_g->name = "then";
  then_g->nodes = {make_node("Add", {"x", "W"}, {"then_y"})};
  then_g->outputs = {tensor_info("then_y", DataType::Float, {Dim::known(2), Dim::known(3)})};
  auto else_g = std::make_shared<Graph>();
  else_g->name = "else";
  else_g->nodes = {make_node("Mul", {"x", "x"}, {"else_y"})};
  else_g->outputs = {tensor_info("else_y", DataType::Float, {Dim::known(2), Dim::known(3)})};
  Attribute then_a, else_a;
  then_a.name = "then_branch";
  then_a.type = Attribute::Type::Graph;
  then_a.g = then_g;
  else_a.name = "else_branch";
  else_a.type = Attribute::Type::Graph;
  else_a.g = else_g;
  m.graph.nodes.push_back(make_node("If", {"c"}, {"y"}, {then_a, else_a}));

  auto body = std::make_shared<Graph>();
  body->name = "body";
  body->inputs = {tensor_info("i", DataType::Int64, {}), tensor_info("cond_in", DataType::Bool, {}),
                  tensor_info("v", DataType::Float, {Dim::known(2), Dim::known(3)})};
  body->initializers["one"] = Tensor::from_vector<float>({1.f}, {1});
  body->nodes = {make_node("Identity", {"cond_in"}, {"cond_out"}), make_node("Add", {"v", "one"}, {"v_next"})};
  body->outputs = {tensor_info("cond_out", DataType::Bool, {}),
                   tensor_info("v_next", DataType::Float, {Dim::known(2), Dim::known(3)})};
  Attribute body_a;
  body_a.name = "body";
  body_a.type = Attribute::Type::Graph;
  body_a.g = body;
  m.graph.nodes.push_back(make_node("Loop", {"trips", "keep_going", "y"}, {"z"}, {body_a}));
  m.graph.outputs = {tensor_info("z", DataType::Float, {Dim::known(2), Dim::known(3)})};
  return m;
}

std::vector<float> run_control(const Model& m, bool c) {
  Session s = Session::from_model(m);
  Tensor cond(DataType::Bool, {});
  *cond.data<uint8_t>() = c ? 1 : 0;
  return s.run({{"c", cond}, {"x", Tensor::from_vector<float>({1, -2, 3, -4, 5, -6}, {2, 3})}})[0]
      .tensor()
      .to_float_vector();
}

}  // namespace

TEST_CASE("saver: initializers of every dtype and attributes of every kind survive a round trip") {
  Model m;
  m.ir_version = 10;
  m.producer_name = "test";
  m.opset_imports[""] = 21;
  m.opset_imports["test.attrs"] = 1;
  m.metadata["author"] = "onnxi";
  m.graph.name = "everything";
  m.graph.inputs = {tensor_info("x", DataType::Float, {Dim::symbol("N"), Dim::known(3)})};
  m.graph.outputs = {ValueInfo{"y", {}, {}}};
  m.graph.value_info = {ValueInfo{"seq", [] {
                                    TypeInfo t;
                                    t.kind = TypeInfo::Kind::Sequence;
                                    t.inner = std::make_shared<TypeInfo>(TypeInfo::tensor_unranked(DataType::Int32));
                                    return t;
                                  }(),
                                  "a sequence"}};
  std::map<std::string, Tensor>& init = m.graph.initializers;
  init["f32"] = Tensor::from_vector<float>({1.5f, -2.f, 3.25f}, {3});
  init["f64"] = Tensor::from_vector<double>({1e300, -0.5}, {2, 1});
  init["i64"] = Tensor::from_vector<int64_t>({-(int64_t{1} << 40), 7}, {2});
  init["i8"] = Tensor::from_vector<int8_t>({-128, 127, 0, 5}, {2, 2});
  init["u16"] = Tensor::from_vector<uint16_t>({65535, 1}, {2});
  {
    Tensor h(DataType::Float16, {2});
    h.data<uint16_t>()[0] = 0x3c00;
    h.data<uint16_t>()[1] = 0xc000;
    init["f16"] = h;
    Tensor b(DataType::Bool, {3});
    b.data<uint8_t>()[1] = 1;
    init["bool"] = b;
    Tensor i4(DataType::Int4, {3});  // packed: two per byte, low nibble first
    static_cast<uint8_t*>(i4.raw())[0] = 0x7f;
    static_cast<uint8_t*>(i4.raw())[1] = 0x08;
    init["i4"] = i4;
    Tensor s(DataType::String, {2});
    s.data<std::string>()[0] = "hello";
    s.data<std::string>()[1] = std::string("a\0b", 3);
    init["str"] = s;
    init["empty"] = Tensor(DataType::Float, {0, 4});
    init["scalar"] = Tensor::scalar_i64(42);
  }

  auto sub = std::make_shared<Graph>();
  sub->name = "sub";
  sub->nodes = {make_node("Identity", {"x"}, {"sub_y"})};
  sub->outputs = {ValueInfo{"sub_y", {}, {}}};
  Tensor sparse_dense(DataType::Float, {2, 3});
  sparse_dense.data<float>()[4] = 9.f;
  std::vector<Attribute> attrs = {attr_float("f", 0.25f), attr_int("i", -3), attr_string("s", "text"),
                                  attr_tensor("t", init["i8"]), attr_floats("fs", {1.f, 2.f}),
                                  attr_ints("is", {4, 5, 6}), attr_strings("ss", {"a", "", "c"})};
  Attribute a;
  a.name = "g";
  a.type = Attribute::Type::Graph;
  a.g = sub;
  attrs.push_back(a);
  a = Attribute{};
  a.name = "gs";
  a.type = Attribute::Type::Graphs;
  a.graphs = {sub, sub};
  attrs.push_back(a);
  a = Attribute{};
  a.name = "ts";
  a.type = Attribute::Type::Tensors;
  a.tensors = {init["f32"], init["str"]};
  attrs.push_back(a);
  a = Attribute{};
  a.name = "sparse";
  a.type = Attribute::Type::SparseTensor;
  a.t = sparse_dense;
  attrs.push_back(a);
  a = Attribute{};
  a.name = "sparses";
  a.type = Attribute::Type::SparseTensors;
  a.tensors = {sparse_dense};
  attrs.push_back(a);
  a = Attribute{};
  a.name = "tp";
  a.type = Attribute::Type::TypeProto;
  a.tp = TypeInfo::tensor(DataType::Float, {Dim::known(2), Dim::symbol("B")});
  attrs.push_back(a);
  a = Attribute{};
  a.name = "tps";
  a.type = Attribute::Type::TypeProtos;
  a.tps = {TypeInfo::tensor_unranked(DataType::Int8)};
  attrs.push_back(a);
  Node n = make_node("Everything", {"x", "", "f32"}, {"y", ""}, attrs);
  n.domain = "test.attrs";
  m.graph.nodes.push_back(n);

  const std::string bytes = save_model_bytes(m);
  Model back = load_model_bytes(bytes.data(), bytes.size());
  CHECK(back.ir_version == 10);
  CHECK(back.producer_name == "test");
  CHECK(back.opset_imports == m.opset_imports);
  CHECK(back.metadata == m.metadata);
  CHECK(back.graph.inputs[0].type.str() == "float32[N,3]");
  REQUIRE(back.graph.value_info.size() == 1);
  CHECK(back.graph.value_info[0].type.str() == m.graph.value_info[0].type.str());
  CHECK(back.graph.value_info[0].doc == "a sequence");
  REQUIRE(back.graph.initializers.size() == init.size());
  for (const auto& [name, t] : init) {
    CAPTURE(name);
    REQUIRE(back.graph.initializers.count(name));
    CHECK(same_tensor(back.graph.initializers.at(name), t));
  }
  REQUIRE(back.graph.nodes.size() == 1);
  const Node& b = back.graph.nodes[0];
  CHECK(b.name == n.name);
  CHECK(b.domain == "test.attrs");
  CHECK(b.inputs == n.inputs);
  CHECK(b.outputs == n.outputs);
  REQUIRE(b.attributes.size() == attrs.size());
  for (size_t i = 0; i < attrs.size(); ++i) {
    const Attribute &x = attrs[i], &y = b.attributes[i];
    CAPTURE(x.name);
    CHECK(y.name == x.name);
    CHECK(y.type == x.type);
    CHECK(y.f == x.f);
    CHECK(y.i == x.i);
    CHECK(y.s == x.s);
    CHECK(y.floats == x.floats);
    CHECK(y.ints == x.ints);
    CHECK(y.strings == x.strings);
    CHECK(y.t.defined() == x.t.defined());
    if (x.t.defined()) CHECK(same_tensor(y.t, x.t));
    REQUIRE(y.tensors.size() == x.tensors.size());
    for (size_t k = 0; k < x.tensors.size(); ++k) CHECK(same_tensor(y.tensors[k], x.tensors[k]));
    CHECK(static_cast<bool>(y.g) == static_cast<bool>(x.g));
    if (x.g) CHECK(y.g->nodes.at(0).op_type == "Identity");
    CHECK(y.graphs.size() == x.graphs.size());
    CHECK(y.tp.str() == x.tp.str());
    REQUIRE(y.tps.size() == x.tps.size());
    for (size_t k = 0; k < x.tps.size(); ++k) CHECK(y.tps[k].str() == x.tps[k].str());
  }
}

TEST_CASE("saver: If and Loop subgraphs reading outer values load again with equal outputs") {
  const Model m = control_flow_model();
  const std::string bytes = save_model_bytes(m);
  const Model back = load_model_bytes(bytes.data(), bytes.size());
  for (bool c : {true, false}) {
    CAPTURE(c);
    const std::vector<float> want = run_control(m, c);
    CHECK(run_control(back, c) == want);
    // x + W + 3 or x * x + 3
    CHECK(want[1] == (c ? -2.f + 2.f + 3.f : 4.f + 3.f));
  }
}

TEST_CASE("saver: big initializers go to an external-data file the loader maps back") {
  const auto dir = temp_dir("external");
  Model m = control_flow_model();
  m.graph.initializers["big"] = Tensor::from_vector<float>(std::vector<float>(5000, 0.5f), {5000});
  SaveOptions opts;
  opts.external_data_over = 1024;  // stands in for 2 GiB
  opts.external_min_tensor_bytes = 16;
  const std::string path = (dir / "model.onnx").string();
  save_model_file(m, path, opts);
  REQUIRE(std::filesystem::exists(dir / "model.onnx.data"));
  CHECK(std::filesystem::file_size(dir / "model.onnx.data") >= 20000 + 24);
  Model back = load_model_file(path);
  CHECK(same_tensor(back.graph.initializers.at("big"), m.graph.initializers.at("big")));
  CHECK(same_tensor(back.graph.initializers.at("W"), m.graph.initializers.at("W")));
  CHECK(run_control(back, true) == run_control(m, true));
  // Under the threshold everything stays inline.
  const std::string inline_path = (dir / "small.onnx").string();
  save_model_file(control_flow_model(), inline_path);
  CHECK_FALSE(std::filesystem::exists(dir / "small.onnx.data"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("saver: an optimized graph keeps its com.onnxi FusedConv and gives the same outputs") {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 17;
  m.graph.inputs = {tensor_info("x", DataType::Float, {Dim::known(1), Dim::known(2), Dim::known(5), Dim::known(5)})};
  std::vector<float> w(3 * 2 * 3 * 3);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(static_cast<int>(i % 7) - 3) * 0.1f;
  m.graph.initializers["w"] = Tensor::from_vector<float>(w, {3, 2, 3, 3});
  m.graph.initializers["b"] = Tensor::from_vector<float>({0.1f, -0.2f, 0.3f}, {3});
  m.graph.nodes = {make_node("Conv", {"x", "w", "b"}, {"c"}, {attr_ints("pads", {1, 1, 1, 1})}),
                   make_node("Relu", {"c"}, {"y"})};
  m.graph.outputs = {ValueInfo{"y", {}, {}}};
  std::vector<float> xs(50);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(static_cast<int>(i % 11) - 5) * 0.3f;
  const Tensor x = Tensor::from_vector<float>(xs, {1, 2, 5, 5});
  SessionOptions none;
  none.optimization_level = "none";
  const std::vector<float> want = Session::from_model(m, none).run({{"x", x}})[0].tensor().to_float_vector();

  Model opt = m;
  graph::inline_functions(opt);
  graph::validate_graph(opt.graph, {}, opt, nullptr, Registry::standard());
  // "extended": "all" would go on to the NCHWc layout on AVX-512, which is not what this checks.
  CHECK(passes::run_passes(opt, "extended") >= 1);
  const std::string bytes = save_model_bytes(opt);
  Model back = load_model_bytes(bytes.data(), bytes.size());
  REQUIRE(back.graph.nodes.size() == 1);
  CHECK(back.graph.nodes[0].op_type == "FusedConv");
  CHECK(back.graph.nodes[0].domain == "com.onnxi");
  CHECK(back.opset_imports.count("com.onnxi") == 1);
  const std::vector<float> got = Session::from_model(back, none).run({{"x", x}})[0].tensor().to_float_vector();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));
}

TEST_CASE("saver: onnxruntime loads and runs a saved standard-domain model") {
  const std::string python = std::string(ONNXI_SOURCE_DIR) + "/build/venv/bin/python";
  if (!std::filesystem::exists(python)) {
    MESSAGE("no build/venv python: skipped");
    return;
  }
  const auto dir = temp_dir("ort");
  const std::string path = (dir / "control.onnx").string();
  save_model_file(control_flow_model(), path);
  const std::string script = (dir / "check.py").string();
  std::ofstream(script) << "import sys, numpy as np, onnx, onnxruntime as ort\n"
                           "onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\n"
                           "s = ort.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider'])\n"
                           "x = np.array([[1, -2, 3], [-4, 5, -6]], np.float32)\n"
                           "z = s.run(None, {'c': np.array(True), 'x': x})[0]\n"
                           "w = np.arange(1, 7, dtype=np.float32).reshape(2, 3)\n"
                           "sys.exit(0 if np.allclose(z, x + w + 3) else 3)\n";
  const std::string cmd = python + " " + script + " " + path + " > " + (dir / "log.txt").string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::ifstream log(dir / "log.txt");
    MESSAGE(std::string(std::istreambuf_iterator<char>(log), std::istreambuf_iterator<char>()));
  }
  CHECK(rc == 0);
  std::filesystem::remove_all(dir);
}
