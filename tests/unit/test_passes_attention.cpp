// fuse_attention: spelled-out attention (three spellings of where the scale goes, with and without
// the mask Add) becomes one com.onnxi Attention with the same outputs as the unfused graph; it stays
// apart when the probabilities or scores are read elsewhere or are graph outputs, or when the
// Softmax is not over the last axis; a second run of the passes changes nothing. And the op the pass
// writes, com.onnxi Attention over [B, S, H, D], against ai.onnx Attention, and its errors.
#include <doctest/doctest.h>

#include <cmath>
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

constexpr int64_t kSeq = 10, kHeads = 3, kHead = 8, kHidden = kHeads * kHead;

Tensor seeded(Shape shape, uint64_t seed, float lo, float hi) { return xorshift_tensor(std::move(shape), seed, lo, hi, 11); }

Tensor int64s(std::vector<int64_t> v) {
  Tensor t(DataType::Int64, {static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
  return t;
}


enum class Spelling {
  Bert,     // Div(scores, sqrt(D)); K through one Transpose(0,2,3,1)
  HfScale,  // Mul(Q^T, D^-1/4) and Mul(K heads, D^-1/4) between K's two transposes
  Tf2onnx,  // Mul(q projection, 1/sqrt(D)) before the Reshape: outside the pattern, scale 1
};

// x [1, S, hidden] -> Q/K/V projections -> heads -> attention -> [1, S, hidden] -> y.
Model attention_model(Spelling spelling, bool with_mask) {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 17;
  m.graph.name = "attention";
  Graph& g = m.graph;
  g.inputs.push_back(ValueInfo{"x", TypeInfo::tensor_of_shape(DataType::Float, {1, kSeq, kHidden}), {}});
  if (with_mask) g.inputs.push_back(ValueInfo{"mask", TypeInfo::tensor_of_shape(DataType::Float, {1, 1, 1, kSeq}), {}});
  g.initializers["heads_shape"] = int64s({0, 0, kHeads, kHead});
  g.initializers["merged_shape"] = int64s({0, 0, kHidden});
  const float root = 1.f / std::sqrt(std::sqrt(static_cast<float>(kHead)));
  g.initializers["sqrt_d"] = Tensor::scalar_f32(std::sqrt(static_cast<float>(kHead)));
  g.initializers["inv_sqrt_d"] = Tensor::scalar_f32(1.f / std::sqrt(static_cast<float>(kHead)));
  g.initializers["root"] = Tensor::scalar_f32(root);
  for (const char* p : {"q", "k", "v"}) {
    const std::string w = std::string("W") + p;
    g.initializers[w] = seeded({kHidden, kHidden}, static_cast<uint64_t>(p[0]), -0.4f, 0.4f);
    g.nodes.push_back(graph_node("MatMul", {"x", w}, {std::string(p) + "3"}));
  }
  std::string q3 = "q3";
  if (spelling == Spelling::Tf2onnx) {
    g.nodes.push_back(graph_node("Mul", {"q3", "inv_sqrt_d"}, {"q3s"}));
    q3 = "q3s";
  }
  g.nodes.push_back(graph_node("Reshape", {q3, "heads_shape"}, {"q4"}));
  g.nodes.push_back(graph_node("Reshape", {"k3", "heads_shape"}, {"k4"}));
  g.nodes.push_back(graph_node("Reshape", {"v3", "heads_shape"}, {"v4"}));
  g.nodes.push_back(graph_node("Transpose", {"q4"}, {"qt"}, {attr_ints("perm", {0, 2, 1, 3})}));
  g.nodes.push_back(graph_node("Transpose", {"v4"}, {"vt"}, {attr_ints("perm", {0, 2, 1, 3})}));
  std::string q = "qt", kt = "kt", scores = "scores";
  if (spelling == Spelling::HfScale) {
    g.nodes.push_back(graph_node("Mul", {"qt", "root"}, {"qts"}));
    g.nodes.push_back(graph_node("Transpose", {"k4"}, {"kh"}, {attr_ints("perm", {0, 2, 1, 3})}));
    g.nodes.push_back(graph_node("Mul", {"root", "kh"}, {"khs"}));
    g.nodes.push_back(graph_node("Transpose", {"khs"}, {"kt"}, {attr_ints("perm", {0, 1, 3, 2})}));
    q = "qts";
  } else {
    g.nodes.push_back(graph_node("Transpose", {"k4"}, {"kt"}, {attr_ints("perm", {0, 2, 3, 1})}));
  }
  g.nodes.push_back(graph_node("MatMul", {q, kt}, {"scores"}));
  if (spelling == Spelling::Bert) {
    g.nodes.push_back(graph_node("Div", {"scores", "sqrt_d"}, {"scaled"}));
    scores = "scaled";
  }
  if (with_mask) {
    // The mask as the first operand in one spelling, the second in the others.
    g.nodes.push_back(graph_node("Add", spelling == Spelling::Tf2onnx ? std::vector<std::string>{"mask", scores}
                                                                 : std::vector<std::string>{scores, "mask"},
                           {"masked"}));
    scores = "masked";
  }
  g.nodes.push_back(graph_node("Softmax", {scores}, {"probs"}, {attr_int("axis", -1)}));
  g.nodes.push_back(graph_node("MatMul", {"probs", "vt"}, {"context"}));
  g.nodes.push_back(graph_node("Transpose", {"context"}, {"context_t"}, {attr_ints("perm", {0, 2, 1, 3})}));
  g.nodes.push_back(graph_node("Reshape", {"context_t", "merged_shape"}, {"y"}));
  g.outputs.push_back(ValueInfo{"y", {}, {}});
  return m;
}

int count_op(const Model& m, const std::string& op, const std::string& domain = "") {
  int n = 0;
  for (const Node& x : m.graph.nodes) n += x.op_type == op && x.domain == domain;
  return n;
}

// Runs m at levels none and all and compares every output; returns the "all" session's model.
Model compare_levels(const Model& m) {
  SessionOptions none, all;
  none.optimization_level = "none";
  all.optimization_level = "all";
  Session a = Session::from_model(m, none);
  Session b = Session::from_model(m, all);
  Tensor mask(DataType::Float, {1, 1, 1, kSeq});
  for (int64_t j = 0; j < kSeq; ++j) mask.data<float>()[j] = j >= kSeq - 3 ? -10000.f : 0.f;
  std::map<std::string, Value> feeds{{"x", Value(seeded({1, kSeq, kHidden}, 5, -1.f, 1.f))}};
  for (const ValueInfo& in : m.graph.inputs) {
    if (in.name == "mask") feeds.emplace("mask", Value(mask));
  }
  const std::vector<Value> ya = a.run(feeds), yb = b.run(feeds);
  REQUIRE(ya.size() == yb.size());
  // Float sums in another order (fused kernel vs MatMul/Softmax): a few ulp of values near 1.
  for (size_t i = 0; i < ya.size(); ++i) check_close(yb[i].tensor(), ya[i].tensor(), 1e-5, 2e-6);
  CHECK(count_op(a.model(), "Softmax") == count_op(m, "Softmax"));  // level none changes nothing
  return b.model();
}

}  // namespace

TEST_CASE("fuse_attention: three spellings, with and without the mask, become one Attention") {
  const struct {
    Spelling spelling;
    const char* name;
    float scale;
  } cases[] = {
      {Spelling::Bert, "BERT (Div on the scores)", 1.f / std::sqrt(8.f)},
      {Spelling::HfScale, "scale on Q and K", 1.f / std::sqrt(8.f)},
      {Spelling::Tf2onnx, "scale before the Reshape", 1.f},
  };
  for (const auto& c : cases) {
    for (bool mask : {true, false}) {
      INFO(c.name << (mask ? ", mask" : ", no mask"));
      const Model m = attention_model(c.spelling, mask);
      const Model fused = compare_levels(m);
      CHECK(count_op(fused, "Attention", "com.onnxi") == 1);
      for (const char* gone : {"Softmax", "Transpose", "Div"}) CHECK(count_op(fused, gone) == 0);
      CHECK(count_op(fused, "MatMul") == 3);   // the projections only
      CHECK(count_op(fused, "Reshape") == 4);  // three heads and the merge stay
      for (const Node& n : fused.graph.nodes) {
        if (n.op_type != "Attention") continue;
        CHECK(n.inputs.size() == (mask ? 4u : 3u));
        CHECK(n.inputs[0] == "q4");
        CHECK(n.inputs[1] == "k4");
        CHECK(n.inputs[2] == "v4");
        CHECK(n.outputs[0] == "context_t");
        CHECK(n.attr_float("scale", 0.f) == doctest::Approx(c.scale).epsilon(1e-6));
      }
    }
  }
}

TEST_CASE("fuse_attention leaves the graph alone when the probabilities or scores are read elsewhere") {
  SUBCASE("the probabilities are a graph output") {
    Model m = attention_model(Spelling::Bert, true);
    m.graph.outputs.push_back(ValueInfo{"probs", {}, {}});
    const Model after = compare_levels(m);
    CHECK(count_op(after, "Attention", "com.onnxi") == 0);
    CHECK(count_op(after, "Softmax") == 1);
  }
  SUBCASE("the scores have a second reader") {
    Model m = attention_model(Spelling::Bert, true);
    m.graph.nodes.push_back(graph_node("ReduceMax", {"scores"}, {"score_max"}, {attr_int("keepdims", 0)}));
    m.graph.outputs.push_back(ValueInfo{"score_max", {}, {}});
    CHECK(count_op(compare_levels(m), "Attention", "com.onnxi") == 0);
  }
  SUBCASE("the masked scores are a graph output") {
    Model m = attention_model(Spelling::Bert, true);
    m.graph.outputs.push_back(ValueInfo{"masked", {}, {}});
    CHECK(count_op(compare_levels(m), "Attention", "com.onnxi") == 0);
  }
  SUBCASE("the context before its transpose is read too") {
    Model m = attention_model(Spelling::HfScale, false);
    m.graph.outputs.push_back(ValueInfo{"context", {}, {}});
    CHECK(count_op(compare_levels(m), "Attention", "com.onnxi") == 0);
  }
  SUBCASE("Softmax over another axis") {
    Model m = attention_model(Spelling::Bert, false);
    for (Node& n : m.graph.nodes) {
      if (n.op_type == "Softmax") n.attributes = {attr_int("axis", 2)};
    }
    CHECK(count_op(compare_levels(m), "Attention", "com.onnxi") == 0);
  }
  SUBCASE("a scale fed at run time") {
    Model m = attention_model(Spelling::Bert, false);
    m.graph.inputs.push_back(ValueInfo{"sqrt_d", TypeInfo::tensor_of_shape(DataType::Float, {}), {}});
    Model copy = m;
    CHECK(passes::fuse_attention(copy) == 0);
  }
}

TEST_CASE("fuse_attention is idempotent and only runs at extended and above") {
  Model m = attention_model(Spelling::Bert, true);
  Model basic = m;
  passes::run_passes(basic, "basic");  // the basic passes may tidy up, but never fuse attention
  CHECK(count_op(basic, "Attention", "com.onnxi") == 0);
  CHECK(passes::fuse_attention(m) == 1);
  CHECK(passes::fuse_attention(m) == 0);
  passes::run_passes(m, "all");  // drops the constants the fusion left unused
  const size_t nodes = m.graph.nodes.size();
  CHECK(passes::run_passes(m, "all") == 0);
  CHECK(m.graph.nodes.size() == nodes);
  CHECK(count_op(m, "Attention", "com.onnxi") == 1);
  CHECK(m.opset_imports.at("com.onnxi") == 1);
}

namespace {

// t [B, S, H, D] -> [B, H, S, D] (or back: the permutation is its own inverse).
Tensor swap_seq_heads(const Tensor& t) {
  const int64_t B = t.dim(0), S = t.dim(1), H = t.dim(2), D = t.dim(3);
  Tensor out(t.dtype(), {B, H, S, D});
  const size_t es = t.dtype() == DataType::Double ? 8 : 4;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t h = 0; h < H; ++h) {
        std::memcpy(static_cast<char*>(out.raw()) + (((b * H + h) * S + s) * D) * es,
                    static_cast<const char*>(t.raw()) + (((b * S + s) * H + h) * D) * es, static_cast<size_t>(D) * es);
      }
    }
  }
  return out;
}

Tensor as_double(const Tensor& t) {
  Tensor out(DataType::Double, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) out.data<double>()[i] = t.data<float>()[i];
  return out;
}

}  // namespace

TEST_CASE("com.onnxi Attention over [B, S, H, D] equals ai.onnx Attention over [B, H, S, D]") {
  for (bool use_double : {false, true}) {  // float32: the flash kernel; double: the unfused path
    for (bool causal : {false, true}) {
      INFO((use_double ? "double" : "float") << (causal ? ", causal" : ""));
      Tensor q = seeded({2, 7, 4, 8}, 21, -1.f, 1.f), k = seeded({2, 9, 2, 8}, 22, -1.f, 1.f),
             v = seeded({2, 9, 2, 5}, 23, -1.f, 1.f), mask = seeded({2, 1, 1, 9}, 24, -2.f, 0.f);
      if (use_double) q = as_double(q), k = as_double(k), v = as_double(v), mask = as_double(mask);
      NodeRun fused{"Attention", {attr_float("scale", 0.3f), attr_int("is_causal", causal)}, 1, "com.onnxi"};
      NodeRun standard{"Attention", {attr_float("scale", 0.3f), attr_int("is_causal", causal)}, 23};
      const std::vector<Value> got = run_node(fused, {Value(q), Value(k), Value(v), Value(mask)});
      const std::vector<Value> want = run_node(
          standard, {Value(swap_seq_heads(q)), Value(swap_seq_heads(k)), Value(swap_seq_heads(v)), Value(mask)});
      REQUIRE(got[0].tensor().shape() == Shape{2, 7, 4, 5});
      check_close(got[0].tensor(), swap_seq_heads(want[0].tensor()), 1e-5, 1e-6);

      // A mask with a key axis of 1 broadcasts over the keys, as the Add it replaces did (ai.onnx
      // Attention would read it as covering key 0 only): the same as that value repeated.
      Tensor row_mask = seeded({2, 1, 7, 1}, 25, -3.f, 0.f);
      Tensor repeated(DataType::Float, {2, 1, 7, 9});
      for (int64_t i = 0; i < repeated.numel(); ++i) repeated.data<float>()[i] = row_mask.data<float>()[i / 9];
      if (use_double) row_mask = as_double(row_mask), repeated = as_double(repeated);
      const std::vector<Value> got_row = run_node(fused, {Value(q), Value(k), Value(v), Value(row_mask)});
      const std::vector<Value> want_row = run_node(fused, {Value(q), Value(k), Value(v), Value(repeated)});
      check_close(got_row[0].tensor(), want_row[0].tensor(), 1e-6, 1e-7);
    }
  }
}

TEST_CASE("com.onnxi Attention rejects inputs it cannot read with a clear error") {
  NodeRun fused{"Attention", {attr_float("scale", 1.f)}, 1, "com.onnxi"};
  const Tensor q3 = seeded({1, 4, 16}, 1, -1.f, 1.f);
  CHECK(error_of([&] { run_node(fused, {Value(q3), Value(q3), Value(q3)}); }).find("[B, S, heads, head_size]") !=
        std::string::npos);
  const Tensor q = seeded({1, 4, 2, 8}, 2, -1.f, 1.f), bad_mask = seeded({1, 3, 4, 4}, 3, -1.f, 0.f);
  const std::string err = error_of([&] { run_node(fused, {Value(q), Value(q), Value(q), Value(bad_mask)}); });
  CHECK(err.find("attn_mask") != std::string::npos);
  CHECK(err.find("does not broadcast") != std::string::npos);
}
