// Folds that overwrite an initializer in place (run_passes' initializers_writable, which a session
// that loaded the model itself passes): the result equals the copying fold's, and the write happens
// only where nobody else can see it.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "onnxi/loader.h"
#include "onnxi/session.h"
#include "runtime/passes/pass_util.h"
#include "runtime/passes/passes.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor seeded(Shape shape, uint64_t seed, float lo, float hi) { return xorshift_tensor(std::move(shape), seed, lo, hi, 7); }

// x [1, 3, 6, 6] -> Conv 3x3 (5 channels: not a multiple of any tile) -> BatchNormalization -> y;
// with `second_conv`, another Conv reads the same W.
Model conv_bn(bool second_conv, int64_t channels = 5) {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 17;
  m.graph.inputs.push_back(ValueInfo{"x", TypeInfo::tensor_of_shape(DataType::Float, {1, 3, 6, 6}), {}});
  m.graph.initializers["W"] = seeded({channels, 3, 3, 3}, 11, -0.5f, 0.5f);
  m.graph.initializers["scale"] = seeded({channels}, 12, 0.5f, 1.5f);
  m.graph.initializers["bias"] = seeded({channels}, 13, -0.3f, 0.3f);
  m.graph.initializers["mean"] = seeded({channels}, 14, -0.2f, 0.2f);
  m.graph.initializers["var"] = seeded({channels}, 15, 0.5f, 2.0f);
  m.graph.nodes.push_back(graph_node("Conv", {"x", "W"}, {"c"}));
  m.graph.nodes.push_back(graph_node("BatchNormalization", {"c", "scale", "bias", "mean", "var"}, {"y"}));
  m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
  if (second_conv) {
    m.graph.nodes.push_back(graph_node("Conv", {"x", "W"}, {"y2"}));
    m.graph.outputs.push_back(ValueInfo{"y2", {}, {}});
  }
  return m;
}

// The folded weight (the Conv's input 1) of a folded model.
const Tensor& folded_weight(const Model& m) {
  for (const Node& n : m.graph.nodes) {
    if (n.op_type == "Conv") return m.graph.initializers.at(n.inputs[1]);
  }
  FAIL("no Conv left");
  static Tensor none;
  return none;
}

std::vector<Value> run_model(const Model& m, const std::string& level) {
  SessionOptions o;
  o.optimization_level = level;
  return Session::from_model(m, o).run({{"x", Value(seeded({1, 3, 6, 6}, 19, -1.f, 1.f))}});
}

}  // namespace

TEST_CASE("Conv + BatchNormalization folds into W in place only when W is the graph's alone") {
  Model copying = conv_bn(false);
  passes::fold_conv_batchnorm(copying.graph, /*initializers_writable=*/false);
  const Tensor& expected = folded_weight(copying);

  SUBCASE("sole holder, sole reader: W itself is overwritten, with the copying fold's values") {
    Model m = conv_bn(false);
    const void* w_data = m.graph.initializers.at("W").raw();
    REQUIRE(passes::fold_conv_batchnorm(m.graph, true) == 1);
    const Tensor& w = folded_weight(m);
    CHECK(w.raw() == w_data);
    CHECK(m.graph.nodes[0].inputs[1] == "W");
    REQUIRE(w.nbytes() == expected.nbytes());
    CHECK(std::memcmp(w.raw(), expected.raw(), w.nbytes()) == 0);
  }
  SUBCASE("the caller still holds the tensor: a copy is folded, the caller's W is unchanged") {
    Model m = conv_bn(false);
    const Tensor held = m.graph.initializers.at("W");
    const Tensor before = held.clone();
    REQUIRE(passes::fold_conv_batchnorm(m.graph, true) == 1);
    CHECK(folded_weight(m).raw() != held.raw());
    CHECK(std::memcmp(held.raw(), before.raw(), held.nbytes()) == 0);
    CHECK(std::memcmp(folded_weight(m).raw(), expected.raw(), expected.nbytes()) == 0);
  }
  SUBCASE("another Conv reads W: it is not overwritten") {
    Model m = conv_bn(true);
    const Tensor before = m.graph.initializers.at("W").clone();
    REQUIRE(passes::fold_conv_batchnorm(m.graph, true) == 1);
    const Tensor& w = m.graph.initializers.at("W");
    CHECK(std::memcmp(w.raw(), before.raw(), w.nbytes()) == 0);
    CHECK(m.graph.nodes[0].inputs[1] != "W");
  }
  SUBCASE("not writable: never in place, even as the sole holder") {
    Model m = conv_bn(false);
    const Tensor before = m.graph.initializers.at("W").clone();
    const void* w_data = m.graph.initializers.at("W").raw();
    REQUIRE(passes::fold_conv_batchnorm(m.graph, false) == 1);
    CHECK(folded_weight(m).raw() != w_data);
    CHECK(std::memcmp(m.graph.initializers.at("W").raw(), before.raw(), before.nbytes()) == 0);
  }
}

TEST_CASE("a session loaded from bytes folds in place and computes what the unfolded graph does") {
  for (bool second : {false, true}) {
    INFO("second Conv on W: ", second);
    const Model m = conv_bn(second);
    const std::string bytes = save_model_bytes(m);
    const std::vector<Value> reference = run_model(m, "none");
    for (const char* level : {"extended", "all"}) {
      INFO("level ", level);
      SessionOptions o;
      o.optimization_level = level;
      Session s = Session::from_bytes(bytes.data(), bytes.size(), o);
      const std::vector<Value> got = s.run({{"x", Value(seeded({1, 3, 6, 6}, 19, -1.f, 1.f))}});
      REQUIRE(got.size() == reference.size());
      for (size_t i = 0; i < got.size(); ++i) check_close(got[i].tensor(), reference[i].tensor(), 1e-5, 1e-6);
      // A second session from the same bytes starts from the file's weights, not folded ones.
      Session again = Session::from_bytes(bytes.data(), bytes.size(), o);
      const std::vector<Value> got2 = again.run({{"x", Value(seeded({1, 3, 6, 6}, 19, -1.f, 1.f))}});
      for (size_t i = 0; i < got2.size(); ++i) check_close(got2[i].tensor(), reference[i].tensor(), 1e-5, 1e-6);
    }
  }
}

TEST_CASE("a weight in a read-only mapped external-data file is folded into a copy, never in place") {
  // W (16 x 3 x 3 x 3 floats, 1728 bytes) alone goes to the .data file, which the loader maps
  // read-only; a write there would fault.
  const Model m = conv_bn(false, 16);
  const auto dir = std::filesystem::temp_directory_path() / "onnxi_test_inplace_external";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "conv_bn.onnx").string();
  SaveOptions save;
  save.external_data_over = 0;
  save.external_min_tensor_bytes = 1024;
  save_model_file(m, path, save);
  const std::string data_before = read_file_bytes(path + ".data");
  REQUIRE(data_before.size() >= 1728);
  const std::vector<Value> reference = run_model(m, "none");
  for (const char* level : {"extended", "all"}) {
    INFO("level ", level);
    SessionOptions o;
    o.optimization_level = level;
    Session s = Session::from_file(path, o);
    const std::vector<Value> got = s.run({{"x", Value(seeded({1, 3, 6, 6}, 19, -1.f, 1.f))}});
    check_close(got[0].tensor(), reference[0].tensor(), 1e-5, 1e-6);
  }
  CHECK(read_file_bytes(path + ".data") == data_before);
  std::filesystem::remove_all(dir);
}
