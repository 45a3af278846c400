// The attention-extension ops through real sessions: SwiGLU, CausalConvWithState, LinearAttention
// (all four update rules, GQA, past state) and FlexAttention (default and explicit scale, GQA,
// score_mod / prob_mod subgraphs). Expected values are worked out by hand in the comments; narrow
// float cases are compared with float32 results at float16 precision.
#include <cmath>
#include <limits>
#include <vector>

#include "onnxi/error.h"
#include "onnxi/float_types.h"
#include "op_test_util.h"

namespace onnxi::test {
namespace {

Tensor floats(std::vector<float> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor doubles(std::vector<double> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor halves(const std::vector<float>& v, Shape s) {
  Tensor t(DataType::Float16, std::move(s));
  for (size_t i = 0; i < v.size(); ++i) t.data<uint16_t>()[i] = f32_to_f16(v[i]);
  return t;
}
std::vector<float> halves_as_floats(const Tensor& t) {
  REQUIRE(t.dtype() == DataType::Float16);
  std::vector<float> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(f16_to_f32(t.data<uint16_t>()[i]));
  return out;
}

Tensor run1(const NodeRun& spec, const std::vector<Value>& inputs) { return run_node(spec, inputs).at(0).tensor(); }

// ---- SwiGLU ------------------------------------------------------------------------------------------

NodeRun swiglu(float alpha = 1.f) { return {"SwiGLU", {attr_float("alpha", alpha)}, 28}; }

TEST_CASE("SwiGLU: a * sigmoid(alpha * a) * b") {
  const Tensor a = floats({0, 1, -1, 2}, {2, 2});
  const Tensor b = floats({1, 2, 3, 0.5f}, {2, 2});
  // sigmoid(1) = 0.7310586, sigmoid(-1) = 0.2689414, sigmoid(2) = 0.8807971.
  check_close(run1(swiglu(), {a, b}), floats({0, 1.4621172f, -0.8068243f, 0.8807971f}, {2, 2}));
  // alpha = 0.5: sigmoid(0.5) = 0.6224593, sigmoid(-0.5) = 0.3775407, sigmoid(1) = 0.7310586.
  check_close(run1(swiglu(0.5f), {a, b}), floats({0, 1.2449186f, -1.1326222f, 0.7310586f}, {2, 2}));
  const Tensor y = run1(swiglu(), {doubles({1, -1}, {2}), doubles({2, 3}, {2})});
  check_close(y, doubles({1.4621171572600098, -0.8068242641099853}, {2}), 1e-12, 1e-15);
}

TEST_CASE("SwiGLU: float16 computes in float32 and rounds once; large gates saturate") {
  const std::vector<float> av = {0.5f, -3.f, 20.f, -20.f, 0.1f}, bv = {1.f, 2.f, 1.5f, 1.f, -7.f};
  const Tensor y = run1(swiglu(), {halves(av, {5}), halves(bv, {5})});
  const std::vector<float> got = halves_as_floats(y);
  for (size_t i = 0; i < av.size(); ++i) {
    const float a = f16_to_f32(f32_to_f16(av[i]));
    CHECK(got[i] == f16_to_f32(f32_to_f16(a * (1.f / (1.f + std::exp(-a))) * bv[i])));
  }
  CHECK(got[2] == 30.f);                   // sigmoid(20) is 1 in float32
  CHECK(got[3] == -std::ldexp(1.f, -24));  // -20 * sigmoid(-20) = -4.1e-8: float16's smallest subnormal
}

TEST_CASE("SwiGLU: mismatched shapes or types and integer inputs are rejected") {
  expect_error(
      [] {
        run1(swiglu(), {floats({1, 2}, {2}), floats({1, 2}, {1, 2})});
      },
      ErrorCode::InvalidModel, "same shape");
  expect_error(
      [] {
        run1(swiglu(), {floats({1, 2}, {2}), doubles({1, 2}, {2})});
      },
      ErrorCode::InvalidModel, "same element type");
  const Tensor i = Tensor::from_vector<int64_t>({1, 2}, {2});
  expect_error([&] { run1(swiglu(), {i, i}); }, ErrorCode::InvalidModel, "input A has element type int64");
}

// ---- CausalConvWithState -----------------------------------------------------------------------------

NodeRun causal_conv(const char* activation = "none") {
  return {"CausalConvWithState", {attr_string("activation", activation)}, 27, "", 2};
}

TEST_CASE("CausalConvWithState: left zero padding, past state and the carried state") {
  // One channel, x = 1 2 3 4, w = 1 10 100 (k = 3): y[t] = p[t] + 10 p[t+1] + 100 p[t+2] over the
  // padded sequence p = carry ++ x. Zero carry: 0 0 1 2 3 4 -> 100 210 321 432; carry 5 6 ->
  // 5 6 1 2 3 4 -> 165 216 321 432. The new carry is the last two positions, 3 4, either way.
  const Tensor x = floats({1, 2, 3, 4}, {1, 1, 4});
  const Tensor w = floats({1, 10, 100}, {1, 1, 3});
  std::vector<Value> out = run_node(causal_conv(), {x, w});
  check_close(out[0].tensor(), floats({100, 210, 321, 432}, {1, 1, 4}));
  check_close(out[1].tensor(), floats({3, 4}, {1, 1, 2}));
  out = run_node(causal_conv(), {x, w, Value(), floats({5, 6}, {1, 1, 2})});
  check_close(out[0].tensor(), floats({165, 216, 321, 432}, {1, 1, 4}));
  check_close(out[1].tensor(), floats({3, 4}, {1, 1, 2}));
  // A decode step (L = 1) shifts the carry: 5 6 7 -> y = 5 + 60 + 700; carry 6 7.
  out = run_node(causal_conv(), {floats({7}, {1, 1, 1}), w, Value(), floats({5, 6}, {1, 1, 2})});
  check_close(out[0].tensor(), floats({765}, {1, 1, 1}));
  check_close(out[1].tensor(), floats({6, 7}, {1, 1, 2}));
}

TEST_CASE("CausalConvWithState: channels and batches are independent; bias and SiLU") {
  // B = 2, C = 2, w = [identity tap] for channel 0 and [1, 1] (sum of two) for channel 1, bias 1 / -1.
  const Tensor x = floats({1, 2, 3, 4, -1, 0, 2, 2}, {2, 2, 2});
  const Tensor w = floats({0, 1, 1, 1}, {2, 1, 2});
  const Tensor bias = floats({1, -1}, {2});
  // batch 0: ch0 1 2 -> 2 3; ch1 3 4 (carry 0) -> 3-1=2, 7-1=6. batch 1: ch0 -1 0 -> 0 1; ch1 2 2 -> 1 3.
  std::vector<Value> out = run_node(causal_conv(), {x, w, bias});
  check_close(out[0].tensor(), floats({2, 3, 2, 6, 0, 1, 1, 3}, {2, 2, 2}));
  check_close(out[1].tensor(), floats({2, 4, 0, 2}, {2, 2, 1}));
  // SiLU z * sigmoid(z): silu(2) = 1.7615942, silu(3) = 2.8577223, silu(6) = 5.9851646, silu(1) = 0.7310586.
  const std::vector<float> z = {2, 3, 2, 6, 0, 1, 1, 3};
  std::vector<float> want;
  for (float v : z) want.push_back(v / (1 + std::exp(-v)));
  for (const char* act : {"silu", "swish"}) {
    CAPTURE(act);
    check_close(run_node(causal_conv(act), {x, w, bias})[0].tensor(), floats(want, {2, 2, 2}));
  }
}

TEST_CASE("CausalConvWithState: k = 1 carries nothing; a short input keeps part of the old carry") {
  std::vector<Value> out = run_node(causal_conv(), {floats({1, 2}, {1, 1, 2}), floats({3}, {1, 1, 1})});
  check_close(out[0].tensor(), floats({3, 6}, {1, 1, 2}));
  CHECK(out[1].tensor().shape() == Shape{1, 1, 0});
  // k = 4, carry 1 2 3, x = 9: padded 1 2 3 9, new carry 2 3 9.
  out = run_node(causal_conv(),
                 {floats({9}, {1, 1, 1}), floats({1, 1, 1, 1}, {1, 1, 4}), Value(), floats({1, 2, 3}, {1, 1, 3})});
  check_close(out[0].tensor(), floats({15}, {1, 1, 1}));
  check_close(out[1].tensor(), floats({2, 3, 9}, {1, 1, 3}));
}

TEST_CASE("CausalConvWithState: float16 rounds like the reference") {
  const std::vector<float> xv = {0.1f, 0.2f, -0.3f, 0.7f};
  std::vector<Value> out = run_node(causal_conv("silu"), {halves(xv, {1, 1, 4}), halves({0.5f, 0.25f}, {1, 1, 2})});
  const std::vector<float> got = halves_as_floats(out[0].tensor());
  float prev = 0.f;
  for (size_t t = 0; t < xv.size(); ++t) {
    const float x16 = f16_to_f32(f32_to_f16(xv[t]));
    const float z = f16_to_f32(f32_to_f16(0.5f * prev + 0.25f * x16));
    CHECK(got[t] == f16_to_f32(f32_to_f16(z * (1.f / (1.f + std::exp(-z))))));
    prev = x16;
  }
  CHECK(out[1].tensor().dtype() == DataType::Float16);
}

TEST_CASE("CausalConvWithState: bad weights, states and activations are errors") {
  const Tensor x = floats({1, 2, 3, 4}, {1, 2, 2});
  expect_error(
      [&] {
        run_node(causal_conv(), {x, floats({1, 2, 3, 4}, {2, 2, 1})});
      },
      ErrorCode::Runtime, "must be [channels, 1, k]");
  expect_error(
      [&] {
        run_node(causal_conv(), {x, floats({1, 2, 3, 4}, {2, 1, 2}), Value(), floats({1}, {1, 1, 1})});
      },
      ErrorCode::Runtime, "past_state float32[1,1,1] must be [batch, channels, k - 1] = [1,2,1]");
  expect_error(
      [&] {
        run_node(causal_conv(), {x, floats({1, 2}, {2, 1, 1}), floats({1, 2, 3}, {3})});
      },
      ErrorCode::Runtime, "bias");
  expect_error(
      [&] {
        run_node(causal_conv("gelu"), {x, floats({1, 2}, {2, 1, 1})});
      },
      ErrorCode::InvalidModel, "activation 'gelu'");
  expect_error(
      [&] {
        run_node(causal_conv(), {floats({1, 2}, {2}), floats({1, 2}, {2, 1, 1})});
      },
      ErrorCode::InvalidModel, "input input must have rank 3");
}

// ---- LinearAttention ---------------------------------------------------------------------------------

NodeRun linear_attention(const char* rule, int64_t q_heads = 1, int64_t kv_heads = 1, float scale = 1.f) {
  std::vector<Attribute> attrs = {attr_int("q_num_heads", q_heads), attr_int("kv_num_heads", kv_heads),
                                  attr_string("update_rule", rule)};
  if (scale != 0.f) attrs.push_back(attr_float("scale", scale));
  return {"LinearAttention", attrs, 27, "", 2};
}

// B = 1, T = 2, one head, d_k = 2, d_v = 1: q = (1,0), (0,1); k = (1,2), (1,0); v = 3, 1.
const Tensor kQ = floats({1, 0, 0, 1}, {1, 2, 2});
const Tensor kK = floats({1, 2, 1, 0}, {1, 2, 2});
const Tensor kV = floats({3, 1}, {1, 2, 1});

TEST_CASE("LinearAttention: the four update rules by hand") {
  const float half_log = std::log(0.5f);
  const Tensor g = floats({half_log, half_log}, {1, 2, 1});  // per-head decay: the state halves
  const Tensor beta = floats({0.5f, 0.5f}, {1, 2, 1});
  struct Case {
    const char* rule;
    std::vector<Value> extra;  // past_state, decay, beta
    std::vector<float> out, state;
  };
  const std::vector<Case> cases = {
      // S1 = k1 v1 = (3, 6); o1 = 3. S2 = (4, 6); o2 = 6.
      {"linear", {}, {3, 6}, {4, 6}},
      // S1 = (3, 6); S2 = 0.5 S1 + (1, 0) = (2.5, 3); o2 = 3.
      {"gated", {Value(), g}, {3, 3}, {2.5f, 3}},
      // v1' = 0.5 * 3: S1 = (1.5, 3), o1 = 1.5; v2' = 0.5 * (1 - 1.5) = -0.25: S2 = (1.25, 3), o2 = 3.
      {"delta", {Value(), Value(), beta}, {1.5f, 3}, {1.25f, 3}},
      // S1 = (1.5, 3); decayed (0.75, 1.5), v2' = 0.5 * (1 - 0.75) = 0.125: S2 = (0.875, 1.5).
      {"gated_delta", {Value(), g, beta}, {1.5f, 1.5f}, {0.875f, 1.5f}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.rule);
    std::vector<Value> in = {kQ, kK, kV};
    in.insert(in.end(), c.extra.begin(), c.extra.end());
    std::vector<Value> out = run_node(linear_attention(c.rule), in);
    check_close(out[0].tensor(), floats(c.out, {1, 2, 1}));
    check_close(out[1].tensor(), floats(c.state, {1, 1, 2, 1}));
  }
}

TEST_CASE("LinearAttention: default scale, per-key decay, past state and grouped heads") {
  // scale 0 means 1 / sqrt(d_k) = 1 / sqrt(2).
  const Tensor y = run1(linear_attention("linear", 1, 1, 0.f), {kQ, kK, kV});
  check_close(y, floats({3 / std::sqrt(2.f), 6 / std::sqrt(2.f)}, {1, 2, 1}));
  // Per-key decay at t = 2 halves row 0 only: S2 = (1.5 + 1, 6); q2 = (0, 1) -> 6.
  const Tensor g = floats({0, 0, std::log(0.5f), 0}, {1, 2, 2});
  std::vector<Value> out = run_node(linear_attention("gated"), {kQ, kK, kV, Value(), g});
  check_close(out[0].tensor(), floats({3, 6}, {1, 2, 1}));
  check_close(out[1].tensor(), floats({2.5f, 6}, {1, 1, 2, 1}));
  // Past state (1, 1), q = (1, 1), k = (1, 0), v = 2: S = (3, 1), o = 4.
  out = run_node(linear_attention("linear"), {floats({1, 1}, {1, 1, 2}), floats({1, 0}, {1, 1, 2}),
                                              floats({2}, {1, 1, 1}), floats({1, 1}, {1, 1, 2, 1})});
  check_close(out[0].tensor(), floats({4}, {1, 1, 1}));
  check_close(out[1].tensor(), floats({3, 1}, {1, 1, 2, 1}));
  // Two query heads (1,0) and (0,1) share one KV head: S = (3, 6) -> outputs 3 and 6.
  out = run_node(linear_attention("linear", 2, 1),
                 {floats({1, 0, 0, 1}, {1, 1, 4}), floats({1, 2}, {1, 1, 2}), floats({3}, {1, 1, 1})});
  check_close(out[0].tensor(), floats({3, 6}, {1, 1, 2}));
  CHECK(out[1].tensor().shape() == Shape{1, 1, 2, 1});
}

TEST_CASE("LinearAttention: float16 activations with a float32 state") {
  std::vector<Value> out =
      run_node(linear_attention("linear"), {halves({1, 0, 0, 1}, {1, 2, 2}), halves({1, 2, 1, 0}, {1, 2, 2}),
                                            halves({3, 1}, {1, 2, 1}), floats({0.5f, 0}, {1, 1, 2, 1})});
  CHECK(halves_as_floats(out[0].tensor()) == std::vector<float>{3.5f, 6});
  check_close(out[1].tensor(), floats({4.5f, 6}, {1, 1, 2, 1}));  // the state keeps past_state's type
  out = run_node(linear_attention("linear"),
                 {halves({1, 0}, {1, 1, 2}), halves({1, 2}, {1, 1, 2}), halves({3}, {1, 1, 1})});
  CHECK(out[1].tensor().dtype() == DataType::Float16);  // no past_state: the query's type
}

TEST_CASE("LinearAttention: missing or extra gates, bad heads and shapes are errors") {
  const Tensor beta = floats({0.5f, 0.5f}, {1, 2, 1});
  expect_error(
      [&] {
        run_node(linear_attention("gated_delta"), {kQ, kK, kV, Value(), Value(), beta});
      },
      ErrorCode::InvalidModel, "requires the decay input");
  expect_error(
      [&] {
        run_node(linear_attention("linear"), {kQ, kK, kV, Value(), Value(), beta});
      },
      ErrorCode::InvalidModel, "takes no beta input");
  expect_error(
      [&] {
        run_node(linear_attention("linear", 3, 2), {kQ, kK, kV});
      },
      ErrorCode::InvalidModel, "must be a positive multiple of kv_num_heads");
  expect_error(
      [&] {
        run_node(linear_attention("retention"), {kQ, kK, kV});
      },
      ErrorCode::InvalidModel, "update_rule 'retention'");
  expect_error(
      [&] {
        run_node({"LinearAttention", {attr_string("update_rule", "linear")}, 27, "", 2}, {kQ, kK, kV});
      },
      ErrorCode::InvalidModel, "q_num_heads and kv_num_heads are required");
  expect_error(
      [&] {
        run_node(linear_attention("linear"), {kQ, floats({1, 2, 3, 4, 5, 6}, {1, 2, 3}), kV});
      },
      ErrorCode::Runtime, "key float32[1,2,3] must be [1, 2, 2]");
  expect_error(
      [&] {
        run_node(linear_attention("delta"), {kQ, kK, kV, Value(), Value(), floats({1, 1, 1, 1}, {1, 2, 2})});
      },
      ErrorCode::Runtime, "beta float32[1,2,2]");
  expect_error(
      [&] {
        run_node(linear_attention("linear"), {kQ, kK, kV, floats({1, 1}, {1, 1, 1, 2})});
      },
      ErrorCode::Runtime, "past_state float32[1,1,1,2] must be [B, kv_num_heads, d_k, d_v] = [1,1,2,1]");
}

// ---- FlexAttention -----------------------------------------------------------------------------------

Attribute graph_attr(std::string name, Graph g) {
  Attribute a;
  a.name = std::move(name);
  a.type = Attribute::Type::Graph;
  a.g = std::make_shared<Graph>(std::move(g));
  return a;
}

// A one-node modifier graph: out = op(x, c) with the scalar initializer c, or op(x) when c is NaN.
Graph modifier_graph(const char* op, float c, DataType dt = DataType::Float) {
  const std::vector<Dim> dims = {Dim::symbol("B"), Dim::symbol("H"), Dim::symbol("L"), Dim::symbol("S")};
  Graph g;
  g.name = std::string("mod_") + op;
  g.inputs = {ValueInfo{"x", TypeInfo::tensor(dt, dims), {}}};
  g.outputs = {ValueInfo{"y", {}, {}}};
  Node n;
  n.name = "mod";
  n.op_type = op;
  n.inputs = {"x"};
  if (!std::isnan(c)) {
    n.inputs.push_back("c");
    g.initializers["c"] = Tensor::scalar_f32(c);
  }
  n.outputs = {"y"};
  g.nodes = {n};
  return g;
}

NodeRun flex(std::vector<Attribute> attrs = {}) { return {"FlexAttention", std::move(attrs), 1, "ai.onnx.preview"}; }

// L = 1, S = 2, E = 1: scores (0, ln 3) -> probs (1/4, 3/4); V = (4, 8) -> Y = 7.
const float kLn3 = std::log(3.f);
const Tensor kFq = floats({1}, {1, 1, 1, 1});
const Tensor kFk = floats({0, kLn3}, {1, 1, 2, 1});
const Tensor kFv = floats({4, 8}, {1, 1, 2, 1});

TEST_CASE("FlexAttention: softmax(Q K^T * scale) V, default and explicit scale") {
  check_close(run1(flex({attr_float("scale", 1.f)}), {kFq, kFk, kFv}), floats({7}, {1, 1, 1, 1}));
  // E = 4: the default scale 1/2 turns Q.K = (0, 2 ln 3) into (0, ln 3) again.
  const Tensor q = floats({2, 0, 0, 0}, {1, 1, 1, 4});
  const Tensor k = floats({0, 0, 0, 0, kLn3, 0, 0, 0}, {1, 1, 2, 4});
  check_close(run1(flex(), {q, k, floats({4, 8}, {1, 1, 2, 1})}), floats({7}, {1, 1, 1, 1}));
  // Double: the same in float64 (the sqrt(scale) factor is a float32 value, as in the reference).
  const Tensor y =
      run1(flex({attr_float("scale", 1.f)}),
           {doubles({1}, {1, 1, 1, 1}), doubles({0, std::log(3.0)}, {1, 1, 2, 1}), doubles({4, 8}, {1, 1, 2, 1})});
  check_close(y, doubles({7}, {1, 1, 1, 1}), 1e-12, 1e-12);
}

TEST_CASE("FlexAttention: grouped query heads share a KV head; V may have its own head size") {
  // Heads q = 1 and q = 0 read the same K/V: (1/4, 3/4) and (1/2, 1/2) over V rows (4, 40), (8, 80).
  const Tensor q = floats({1, 0}, {1, 2, 1, 1});
  const Tensor v = floats({4, 40, 8, 80}, {1, 1, 2, 2});
  check_close(run1(flex({attr_float("scale", 1.f)}), {q, kFk, v}), floats({7, 70, 6, 60}, {1, 2, 1, 2}));
  expect_error(
      [&] {
        run1(flex(),
             {floats({1, 0, 1}, {1, 3, 1, 1}), floats({0, 0, 0, 0}, {1, 2, 2, 1}), floats({0, 0, 0, 0}, {1, 2, 2, 1})});
      },
      ErrorCode::Runtime, "must be a multiple of K's 2");
}

TEST_CASE("FlexAttention: score_mod and prob_mod subgraphs") {
  // score_mod doubles the scores: (0, 2 ln 3) -> (1/10, 9/10) -> 0.4 + 7.2.
  check_close(
      run1(flex({attr_float("scale", 1.f), graph_attr("score_mod", modifier_graph("Mul", 2.f))}), {kFq, kFk, kFv}),
      floats({7.6f}, {1, 1, 1, 1}));
  // prob_mod halves the probabilities: 7 / 2.
  check_close(
      run1(flex({attr_float("scale", 1.f), graph_attr("prob_mod", modifier_graph("Mul", 0.5f))}), {kFq, kFk, kFv}),
      floats({3.5f}, {1, 1, 1, 1}));
  // Both; Neg flips the scores: (0, -ln 3) -> (3/4, 1/4) -> 5, then prob_mod scales by 2 -> 10.
  check_close(run1(flex({attr_float("scale", 1.f), graph_attr("score_mod", modifier_graph("Neg", NAN)),
                         graph_attr("prob_mod", modifier_graph("Mul", 2.f))}),
                   {kFq, kFk, kFv}),
              floats({10}, {1, 1, 1, 1}));
  // Every score masked to -inf: the softmax is 0/0, NaN, as the formula gives.
  const float neg_inf = -std::numeric_limits<float>::infinity();
  const Tensor y =
      run1(flex({graph_attr("score_mod", modifier_graph("Mul", neg_inf))}), {kFq, floats({1, 1}, {1, 1, 2, 1}), kFv});
  CHECK(std::isnan(y.data<float>()[0]));
}

TEST_CASE("FlexAttention: float16 inputs compute the softmax in float32") {
  const Tensor y = run1(flex({attr_float("scale", 1.f)}),
                        {halves({1}, {1, 1, 1, 1}), halves({0, kLn3}, {1, 1, 2, 1}), halves({4, 8}, {1, 1, 2, 1})});
  REQUIRE(y.dtype() == DataType::Float16);
  CHECK(std::fabs(halves_as_floats(y)[0] - 7.f) <= 7e-3f);
  // With softmax_precision = float16 the modifier graph sees float16 scores.
  const Tensor z = run1(flex({attr_float("scale", 1.f), attr_int("softmax_precision", 10),
                              graph_attr("score_mod", modifier_graph("Neg", NAN, DataType::Float16))}),
                        {halves({1}, {1, 1, 1, 1}), halves({0, kLn3}, {1, 1, 2, 1}), halves({4, 8}, {1, 1, 2, 1})});
  CHECK(std::fabs(halves_as_floats(z)[0] - 5.f) <= 5e-3f);
}

TEST_CASE("FlexAttention: malformed modifiers, precisions and shapes are errors") {
  Graph two_outputs = modifier_graph("Neg", NAN);
  two_outputs.outputs.push_back(ValueInfo{"x", {}, {}});
  expect_error(
      [&] {
        run1(flex({graph_attr("score_mod", two_outputs)}), {kFq, kFk, kFv});
      },
      ErrorCode::InvalidModel, "must take exactly one tensor and return exactly one");
  // The modifier declares float64 but the softmax runs in float32.
  expect_error(
      [&] {
        run1(flex({graph_attr("prob_mod", modifier_graph("Neg", NAN, DataType::Double))}), {kFq, kFk, kFv});
      },
      ErrorCode::InvalidModel, "prob_mod graph takes float64 but receives the softmax type float32");
  // A modifier that changes the shape (ReduceSum keeps dims, so the key axis shrinks to 1).
  Graph reduce = modifier_graph("ReduceSum", NAN);
  expect_error(
      [&] {
        run1(flex({graph_attr("score_mod", reduce)}), {kFq, kFk, kFv});
      },
      ErrorCode::Runtime, "must keep its input's type and shape float32[1,1,1,2]");
  expect_error(
      [&] {
        run1(flex({attr_int("softmax_precision", 7)}), {kFq, kFk, kFv});
      },
      ErrorCode::InvalidModel, "softmax_precision 7");
  expect_error(
      [&] {
        run1(flex(), {floats({1}, {1, 1, 1}), kFk, kFv});
      },
      ErrorCode::InvalidModel, "input Q must have rank 4");
  expect_error(
      [&] {
        run1(flex(), {kFq, kFk, floats({1, 2, 3}, {1, 1, 3, 1})});
      },
      ErrorCode::Runtime, "V float32[1,1,3,1] must be [B, Hkv, S, Ev]");
}

}  // namespace
}  // namespace onnxi::test
