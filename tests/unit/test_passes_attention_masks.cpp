// fuse_attention on more spellings: a bool mask through Where(mask, scores, -inf) (after or before
// the scale), the BERT int mask (Cast, Sub, Mul, then the Add), and grouped KV heads repeated with
// Unsqueeze + Expand/Tile + Reshape (Hugging Face's repeat_kv). Each fires with the unfused graph's
// outputs, stays apart where the spelling means something else, and a second run changes nothing.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "onnxi/session.h"
#include "runtime/passes/passes.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

constexpr int64_t kSeq = 9, kHeads = 4, kHead = 8;

Tensor seeded(Shape shape, uint64_t seed, float lo, float hi) { return xorshift_tensor(std::move(shape), seed, lo, hi, 13); }

Tensor int64s(std::vector<int64_t> v) {
  Tensor t(DataType::Int64, {static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
  return t;
}

enum class Mask { None, WhereAfterScale, WhereBeforeScale, WhereFinite, BertInt };
enum class Repeat { None, Expand, Tile, TileWholeBlock };

struct Spec {
  Mask mask = Mask::None;
  Repeat repeat = Repeat::None;
  int64_t kv_heads = kHeads;  // < kHeads: grouped, repeated by `repeat`
};

// x [1, S, 32] -> projections -> Q [1, S, 4, 8], K/V [1, S, kv_heads, 8] -> attention -> y.
Model attention_model(const Spec& s) {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 17;
  Graph& g = m.graph;
  const int64_t hidden = kHeads * kHead, kv_hidden = s.kv_heads * kHead, n = kHeads / s.kv_heads;
  g.inputs.push_back(ValueInfo{"x", TypeInfo::tensor_of_shape(DataType::Float, {1, kSeq, hidden}), {}});
  g.initializers["Wq"] = seeded({hidden, hidden}, 1, -0.4f, 0.4f);
  g.initializers["Wk"] = seeded({hidden, kv_hidden}, 2, -0.4f, 0.4f);
  g.initializers["Wv"] = seeded({hidden, kv_hidden}, 3, -0.4f, 0.4f);
  g.initializers["q_shape"] = int64s({0, 0, kHeads, kHead});
  g.initializers["kv_shape"] = int64s({0, 0, s.kv_heads, kHead});
  g.initializers["merged_shape"] = int64s({0, 0, hidden});
  g.initializers["sqrt_d"] = Tensor::scalar_f32(std::sqrt(static_cast<float>(kHead)));
  g.nodes.push_back(graph_node("MatMul", {"x", "Wq"}, {"q3"}));
  g.nodes.push_back(graph_node("MatMul", {"x", "Wk"}, {"k3"}));
  g.nodes.push_back(graph_node("MatMul", {"x", "Wv"}, {"v3"}));
  g.nodes.push_back(graph_node("Reshape", {"q3", "q_shape"}, {"q4"}));
  g.nodes.push_back(graph_node("Reshape", {"k3", "kv_shape"}, {"k4"}));
  g.nodes.push_back(graph_node("Reshape", {"v3", "kv_shape"}, {"v4"}));
  g.nodes.push_back(graph_node("Transpose", {"q4"}, {"qt"}, {attr_ints("perm", {0, 2, 1, 3})}));
  g.nodes.push_back(graph_node("Transpose", {"k4"}, {"kh"}, {attr_ints("perm", {0, 2, 1, 3})}));
  g.nodes.push_back(graph_node("Transpose", {"v4"}, {"vh"}, {attr_ints("perm", {0, 2, 1, 3})}));
  // [1, kv_heads, S, D] -> [1, heads, S, D]
  auto repeat = [&](const std::string& x) -> std::string {
    if (s.repeat == Repeat::None) return x;
    if (s.repeat == Repeat::TileWholeBlock) {  // heads h0 h1 h0 h1: not Attention's grouping
      g.initializers["block_reps"] = int64s({1, n, 1, 1});
      g.nodes.push_back(graph_node("Tile", {x, "block_reps"}, {x + "_rep"}));
      return x + "_rep";
    }
    g.initializers["axis2"] = int64s({2});
    g.nodes.push_back(graph_node("Unsqueeze", {x, "axis2"}, {x + "_u"}));
    if (s.repeat == Repeat::Expand) {
      g.initializers["expand_shape"] = int64s({1, s.kv_heads, n, kSeq, kHead});
      g.nodes.push_back(graph_node("Expand", {x + "_u", "expand_shape"}, {x + "_e"}));
    } else {
      g.initializers["tile_reps"] = int64s({1, 1, n, 1, 1});
      g.nodes.push_back(graph_node("Tile", {x + "_u", "tile_reps"}, {x + "_e"}));
    }
    g.initializers["heads_shape"] = int64s({1, kHeads, kSeq, kHead});
    g.nodes.push_back(graph_node("Reshape", {x + "_e", "heads_shape"}, {x + "_rep"}));
    return x + "_rep";
  };
  const std::string k_heads = repeat("kh"), v_heads = repeat("vh");
  g.nodes.push_back(graph_node("Transpose", {k_heads}, {"kt"}, {attr_ints("perm", {0, 1, 3, 2})}));
  g.nodes.push_back(graph_node("MatMul", {"qt", "kt"}, {"scores"}));
  std::string scores = "scores";
  const bool where = s.mask == Mask::WhereAfterScale || s.mask == Mask::WhereBeforeScale || s.mask == Mask::WhereFinite;
  if (where) {
    g.inputs.push_back(ValueInfo{"bool_mask", TypeInfo::tensor_of_shape(DataType::Bool, {1, 1, kSeq, kSeq}), {}});
    g.initializers["fill"] = Tensor::scalar_f32(s.mask == Mask::WhereFinite ? -1e9f : -std::numeric_limits<float>::infinity());
  }
  if (where && s.mask == Mask::WhereBeforeScale) {
    g.nodes.push_back(graph_node("Where", {"bool_mask", scores, "fill"}, {"masked"}));
    scores = "masked";
  }
  g.nodes.push_back(graph_node("Div", {scores, "sqrt_d"}, {"scaled"}));
  scores = "scaled";
  if (where && s.mask != Mask::WhereBeforeScale) {
    g.nodes.push_back(graph_node("Where", {"bool_mask", scores, "fill"}, {"masked"}));
    scores = "masked";
  }
  if (s.mask == Mask::BertInt) {
    g.inputs.push_back(ValueInfo{"int_mask", TypeInfo::tensor_of_shape(DataType::Int64, {1, kSeq}), {}});
    g.initializers["axes12"] = int64s({1, 2});
    g.initializers["one"] = Tensor::scalar_f32(1.f);
    g.initializers["big_negative"] = Tensor::scalar_f32(-10000.f);
    g.nodes.push_back(graph_node("Unsqueeze", {"int_mask", "axes12"}, {"mask4"}));
    g.nodes.push_back(graph_node("Cast", {"mask4"}, {"maskf"}, {attr_int("to", 1)}));
    g.nodes.push_back(graph_node("Sub", {"one", "maskf"}, {"inverted"}));
    g.nodes.push_back(graph_node("Mul", {"inverted", "big_negative"}, {"bias"}));
    g.nodes.push_back(graph_node("Add", {scores, "bias"}, {"masked"}));
    scores = "masked";
  }
  g.nodes.push_back(graph_node("Softmax", {scores}, {"probs"}, {attr_int("axis", -1)}));
  g.nodes.push_back(graph_node("MatMul", {"probs", v_heads}, {"context"}));
  g.nodes.push_back(graph_node("Transpose", {"context"}, {"context_t"}, {attr_ints("perm", {0, 2, 1, 3})}));
  g.nodes.push_back(graph_node("Reshape", {"context_t", "merged_shape"}, {"y"}));
  g.outputs.push_back(ValueInfo{"y", {}, {}});
  return m;
}

int count_op(const Model& m, const std::string& op, const std::string& domain = "") {
  int c = 0;
  for (const Node& x : m.graph.nodes) c += x.op_type == op && x.domain == domain;
  return c;
}

// Levels none and extended on the same feeds (a causal bool mask: no query loses every key, where
// the unfused Softmax gives NaN and Attention zeros); returns the optimized model.
Model compare_levels(const Model& m) {
  SessionOptions none, ext;
  none.optimization_level = "none";
  ext.optimization_level = "extended";
  Session a = Session::from_model(m, none), b = Session::from_model(m, ext);
  Tensor bool_mask(DataType::Bool, {1, 1, kSeq, kSeq});
  for (int64_t i = 0; i < kSeq; ++i) {
    for (int64_t j = 0; j < kSeq; ++j) bool_mask.data<bool>()[i * kSeq + j] = j <= i;
  }
  Tensor int_mask(DataType::Int64, {1, kSeq});
  for (int64_t j = 0; j < kSeq; ++j) int_mask.data<int64_t>()[j] = j < kSeq - 3 ? 1 : 0;
  std::map<std::string, Value> feeds{{"x", Value(seeded({1, kSeq, kHeads * kHead}, 5, -1.f, 1.f))}};
  for (const ValueInfo& in : m.graph.inputs) {
    if (in.name == "bool_mask") feeds.emplace(in.name, Value(bool_mask));
    if (in.name == "int_mask") feeds.emplace(in.name, Value(int_mask));
  }
  const std::vector<Value> ya = a.run(feeds), yb = b.run(feeds);
  REQUIRE(ya.size() == yb.size());
  for (size_t i = 0; i < ya.size(); ++i) check_close(yb[i].tensor(), ya[i].tensor(), 1e-5, 2e-6);
  return b.model();
}

}  // namespace

TEST_CASE("fuse_attention: bool and int mask spellings and repeated KV heads become one Attention") {
  const struct {
    const char* what;
    Spec spec;
    bool fuses;
  } rows[] = {
      {"Where(mask, scores, -inf) after the scale", {Mask::WhereAfterScale}, true},
      {"Where(mask, QK, -inf) before the scale", {Mask::WhereBeforeScale}, true},
      {"Where with a finite fill: a fully masked row would differ", {Mask::WhereFinite}, false},
      {"BERT int mask: Cast, Sub, Mul, Add", {Mask::BertInt}, true},
      {"GQA 4 query heads, 2 KV heads, Unsqueeze + Expand + Reshape", {Mask::None, Repeat::Expand, 2}, true},
      {"GQA 4 / 1 heads, Unsqueeze + Tile + Reshape, bool mask", {Mask::WhereAfterScale, Repeat::Tile, 1}, true},
      {"GQA with the int mask", {Mask::BertInt, Repeat::Expand, 2}, true},
      {"Tile of whole head blocks (h0 h1 h0 h1): another grouping", {Mask::None, Repeat::TileWholeBlock, 2}, false},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    const Model m = attention_model(r.spec);
    const Model after = compare_levels(m);
    CHECK(count_op(after, "Attention", "com.onnxi") == (r.fuses ? 1 : 0));
    CHECK(count_op(after, "Softmax") == (r.fuses ? 0 : 1));
    if (!r.fuses) continue;
    CHECK(count_op(after, "Where") == 0);
    CHECK(count_op(after, "Expand") + count_op(after, "Tile") == 0);
    for (const Node& n : after.graph.nodes) {
      if (n.op_type != "Attention") continue;
      REQUIRE(n.inputs.size() == (r.spec.mask == Mask::None ? 3u : 4u));
      CHECK(n.inputs[1] == "k4");  // K and V enter with their own (unrepeated) heads
      CHECK(n.inputs[2] == "v4");
      if (r.spec.mask == Mask::WhereAfterScale || r.spec.mask == Mask::WhereBeforeScale) CHECK(n.inputs[3] == "bool_mask");
      CHECK(n.attr_float("scale", 0.f) == doctest::Approx(1.0 / std::sqrt(8.0)));
    }
    // Idempotence: the fused graph has nothing left for the passes.
    Model again = after;
    CHECK(passes::run_passes(again, "extended") == 0);
  }
}

TEST_CASE("fuse_attention leaves a repeat or a Where alone when it is read elsewhere") {
  SUBCASE("the repeated K heads are also a graph output") {
    Model m = attention_model({Mask::None, Repeat::Expand, 2});
    m.graph.outputs.push_back(ValueInfo{"kh_rep", {}, {}});
    const Model after = compare_levels(m);
    CHECK(count_op(after, "Attention", "com.onnxi") == 0);
  }
  SUBCASE("the masked scores are read by another node") {
    Model m = attention_model({Mask::WhereAfterScale});
    m.graph.nodes.push_back(graph_node("ReduceMax", {"masked"}, {"peak"}, {attr_int("keepdims", 0)}));
    m.graph.outputs.push_back(ValueInfo{"peak", {}, {}});
    const Model after = compare_levels(m);
    CHECK(count_op(after, "Attention", "com.onnxi") == 0);
  }
  SUBCASE("K repeated, V not: K and V would enter with different heads") {
    Model m = attention_model({Mask::None, Repeat::Expand, 2});
    // V's repeat is bypassed by reading 4-head V heads from another projection.
    m.graph.initializers["Wv4"] = seeded({kHeads * kHead, kHeads * kHead}, 9, -0.4f, 0.4f);
    m.graph.initializers["v4_shape"] = int64s({0, 0, kHeads, kHead});
    for (Node& n : m.graph.nodes) {
      if (n.op_type == "MatMul" && n.inputs[0] == "probs") n.inputs[1] = "vh4";
    }
    std::vector<Node> extra = {graph_node("MatMul", {"x", "Wv4"}, {"v3b"}), graph_node("Reshape", {"v3b", "v4_shape"}, {"v4b"}),
                               graph_node("Transpose", {"v4b"}, {"vh4"}, {attr_ints("perm", {0, 2, 1, 3})})};
    m.graph.nodes.insert(m.graph.nodes.begin() + 3, extra.begin(), extra.end());
    const Model after = compare_levels(m);
    CHECK(count_op(after, "Attention", "com.onnxi") == 0);
    CHECK(count_op(after, "Expand") == 1);
  }
}
