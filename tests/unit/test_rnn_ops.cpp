// RNN, GRU and LSTM through a real Session, checked against a plain double-precision oracle that
// follows the ONNX equations one batch entry and one time step at a time (the kernel batches rows
// and projects all steps at once, so the two share no code). Cases cover directions, sequence
// lengths, initial states, biases, peepholes, clip, input_forget, linear_before_reset, custom
// activations with alpha/beta, layout 1, float16/double, inference and bad inputs.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "onnxi/error.h"
#include "onnxi/float_types.h"
#include "op_test_util.h"

namespace onnxi::test {
namespace {

using Fn = std::function<double(double)>;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Deterministic values in [-scale, scale].
std::vector<double> pseudo_random(size_t n, uint32_t seed, double scale = 1.0) {
  std::vector<double> v(n);
  uint32_t s = seed * 2654435761u + 1u;
  for (double& x : v) {
    s = s * 1664525u + 1013904223u;
    x = scale * (static_cast<double>(s >> 8) / static_cast<double>(1u << 24) * 2.0 - 1.0);
  }
  return v;
}

Tensor to_tensor(const std::vector<double>& v, Shape shape, DataType dtype = DataType::Float) {
  Tensor t(dtype, std::move(shape));
  convert_from_f64(dtype, v.data(), t.raw(), t.numel());
  return t;
}

struct Case {
  std::string op;  // RNN, GRU, LSTM
  std::string direction = "forward";
  int64_t S = 3, B = 2, I = 3, H = 4;
  bool bias = false, init_h = false, init_c = false, peepholes = false;
  std::vector<int64_t> lens;  // empty: full length
  float clip = 0.f;
  bool linear_before_reset = false, input_forget = false;
  std::vector<std::string> activations;  // empty: the op's defaults
  std::vector<float> alphas, betas;
  Fn f, g, h;  // the oracle's activations (set to match `activations`)
};

int64_t gates(const std::string& op) { return op == "RNN" ? 1 : op == "GRU" ? 3 : 4; }

struct Data {
  std::vector<double> x, w, r, b, p, h0, c0;
};

Data make_data(const Case& c) {
  const int64_t D = c.direction == "bidirectional" ? 2 : 1, G = gates(c.op);
  Data d;
  d.x = pseudo_random(static_cast<size_t>(c.S * c.B * c.I), 1);
  d.w = pseudo_random(static_cast<size_t>(D * G * c.H * c.I), 2, 0.6);
  d.r = pseudo_random(static_cast<size_t>(D * G * c.H * c.H), 3, 0.6);
  if (c.bias) d.b = pseudo_random(static_cast<size_t>(D * 2 * G * c.H), 4, 0.5);
  if (c.peepholes) d.p = pseudo_random(static_cast<size_t>(D * 3 * c.H), 5, 0.5);
  if (c.init_h) d.h0 = pseudo_random(static_cast<size_t>(D * c.B * c.H), 6);
  if (c.init_c) d.c0 = pseudo_random(static_cast<size_t>(D * c.B * c.H), 7);
  return d;
}

struct Outputs {
  std::vector<double> y, yh, yc;
};

// The ONNX equations, literally (layout 0).
Outputs oracle(const Case& c, const Data& d) {
  const int64_t D = c.direction == "bidirectional" ? 2 : 1, G = gates(c.op), H = c.H, I = c.I, S = c.S, B = c.B;
  Outputs out;
  out.y.assign(static_cast<size_t>(S * D * B * H), 0.0);
  out.yh.assign(static_cast<size_t>(D * B * H), 0.0);
  out.yc.assign(static_cast<size_t>(D * B * H), 0.0);
  const auto clip = [&](double v) { return c.clip > 0 ? std::min(std::max(v, -double(c.clip)), double(c.clip)) : v; };
  for (int64_t dir = 0; dir < D; ++dir) {
    const bool reverse = c.direction == "reverse" || dir == 1;
    // Row k*H + j of W (or R) times a vector.
    const auto wx = [&](int64_t k, int64_t j, const double* x) {
      double s = 0;
      for (int64_t i = 0; i < I; ++i) s += d.w[static_cast<size_t>(((dir * G + k) * H + j) * I + i)] * x[i];
      return s;
    };
    const auto rh = [&](int64_t k, int64_t j, const std::vector<double>& hv) {
      double s = 0;
      for (int64_t m = 0; m < H; ++m) s += d.r[static_cast<size_t>(((dir * G + k) * H + j) * H + m)] * hv[m];
      return s;
    };
    const auto wb = [&](int64_t k, int64_t j) { return d.b.empty() ? 0.0 : d.b[static_cast<size_t>(dir * 2 * G * H + k * H + j)]; };
    const auto rb = [&](int64_t k, int64_t j) {
      return d.b.empty() ? 0.0 : d.b[static_cast<size_t>(dir * 2 * G * H + G * H + k * H + j)];
    };
    const auto peep = [&](int64_t k, int64_t j) { return d.p.empty() ? 0.0 : d.p[static_cast<size_t>(dir * 3 * H + k * H + j)]; };
    for (int64_t b = 0; b < B; ++b) {
      std::vector<double> hv(static_cast<size_t>(H), 0.0), cv(static_cast<size_t>(H), 0.0);
      for (int64_t j = 0; j < H; ++j) {
        if (!d.h0.empty()) hv[j] = d.h0[static_cast<size_t>((dir * B + b) * H + j)];
        if (!d.c0.empty()) cv[j] = d.c0[static_cast<size_t>((dir * B + b) * H + j)];
      }
      const int64_t len = c.lens.empty() ? S : c.lens[static_cast<size_t>(b)];
      for (int64_t step = 0; step < len; ++step) {
        const int64_t t = reverse ? len - 1 - step : step;
        const double* x = d.x.data() + (t * B + b) * I;
        std::vector<double> nh(static_cast<size_t>(H)), nc(static_cast<size_t>(H));
        for (int64_t j = 0; j < H; ++j) {
          if (c.op == "RNN") {
            nh[j] = c.f(clip(wx(0, j, x) + rh(0, j, hv) + wb(0, j) + rb(0, j)));
          } else if (c.op == "GRU") {
            const double z = c.f(clip(wx(0, j, x) + rh(0, j, hv) + wb(0, j) + rb(0, j)));
            double cand;
            if (c.linear_before_reset) {
              const double r = c.f(clip(wx(1, j, x) + rh(1, j, hv) + wb(1, j) + rb(1, j)));
              cand = c.g(clip(wx(2, j, x) + r * (rh(2, j, hv) + rb(2, j)) + wb(2, j)));
            } else {
              std::vector<double> rhv(static_cast<size_t>(H));
              for (int64_t m = 0; m < H; ++m) {
                rhv[m] = c.f(clip(wx(1, m, x) + rh(1, m, hv) + wb(1, m) + rb(1, m))) * hv[m];
              }
              cand = c.g(clip(wx(2, j, x) + rh(2, j, rhv) + wb(2, j) + rb(2, j)));
            }
            nh[j] = (1 - z) * cand + z * hv[j];
          } else {  // LSTM, gate order i o f c
            const double i_gate = c.f(clip(wx(0, j, x) + rh(0, j, hv) + wb(0, j) + rb(0, j) + peep(0, j) * cv[j]));
            const double f_gate = c.input_forget ? 1 - i_gate
                                                 : c.f(clip(wx(2, j, x) + rh(2, j, hv) + wb(2, j) + rb(2, j) +
                                                            peep(2, j) * cv[j]));
            const double cand = c.g(clip(wx(3, j, x) + rh(3, j, hv) + wb(3, j) + rb(3, j)));
            nc[j] = f_gate * cv[j] + i_gate * cand;
            const double o_gate = c.f(clip(wx(1, j, x) + rh(1, j, hv) + wb(1, j) + rb(1, j) + peep(1, j) * nc[j]));
            nh[j] = o_gate * c.h(nc[j]);
          }
        }
        hv = nh;
        if (c.op == "LSTM") cv = nc;
        for (int64_t j = 0; j < H; ++j) out.y[static_cast<size_t>(((t * D + dir) * B + b) * H + j)] = hv[j];
      }
      for (int64_t j = 0; j < H; ++j) {
        out.yh[static_cast<size_t>((dir * B + b) * H + j)] = hv[j];
        out.yc[static_cast<size_t>((dir * B + b) * H + j)] = cv[j];
      }
    }
  }
  return out;
}

NodeRun node_for(const Case& c, int64_t opset = 21, int64_t layout = 0) {
  NodeRun n{c.op, {attr_int("hidden_size", c.H), attr_string("direction", c.direction)}, opset};
  n.num_outputs = c.op == "LSTM" ? 3 : 2;
  if (c.clip > 0) n.attributes.push_back(attr_float("clip", c.clip));
  if (c.linear_before_reset) n.attributes.push_back(attr_int("linear_before_reset", 1));
  if (c.input_forget) n.attributes.push_back(attr_int("input_forget", 1));
  if (!c.activations.empty()) n.attributes.push_back(attr_strings("activations", c.activations));
  if (!c.alphas.empty()) n.attributes.push_back(attr_floats("activation_alpha", c.alphas));
  if (!c.betas.empty()) n.attributes.push_back(attr_floats("activation_beta", c.betas));
  if (layout != 0) n.attributes.push_back(attr_int("layout", layout));
  return n;
}

std::vector<Value> inputs_for(const Case& c, const Data& d, DataType dtype = DataType::Float) {
  const int64_t D = c.direction == "bidirectional" ? 2 : 1, G = gates(c.op);
  std::vector<Value> in{to_tensor(d.x, {c.S, c.B, c.I}, dtype), to_tensor(d.w, {D, G * c.H, c.I}, dtype),
                        to_tensor(d.r, {D, G * c.H, c.H}, dtype)};
  in.push_back(d.b.empty() ? Value() : Value(to_tensor(d.b, {D, 2 * G * c.H}, dtype)));
  if (c.lens.empty()) {
    in.emplace_back();
  } else {
    std::vector<int32_t> l(c.lens.begin(), c.lens.end());
    in.push_back(Tensor::from_vector(l, {c.B}));
  }
  in.push_back(d.h0.empty() ? Value() : Value(to_tensor(d.h0, {D, c.B, c.H}, dtype)));
  if (c.op == "LSTM") {
    in.push_back(d.c0.empty() ? Value() : Value(to_tensor(d.c0, {D, c.B, c.H}, dtype)));
    in.push_back(d.p.empty() ? Value() : Value(to_tensor(d.p, {D, 3 * c.H}, dtype)));
  }
  while (!in.empty() && in.back().is_none()) in.pop_back();
  return in;
}

void check_case(Case c) {
  if (!c.f) c.f = c.op == "RNN" ? Fn([](double v) { return std::tanh(v); }) : Fn(sigmoid);
  if (!c.g) c.g = [](double v) { return std::tanh(v); };
  if (!c.h) c.h = [](double v) { return std::tanh(v); };
  const Data d = make_data(c);
  const Outputs want = oracle(c, d);
  const std::vector<Value> got = run_node(node_for(c), inputs_for(c, d));
  const int64_t D = c.direction == "bidirectional" ? 2 : 1;
  check_close(got.at(0).tensor(), to_tensor(want.y, {c.S, D, c.B, c.H}), 1e-4, 1e-5);
  check_close(got.at(1).tensor(), to_tensor(want.yh, {D, c.B, c.H}), 1e-4, 1e-5);
  if (c.op == "LSTM") check_close(got.at(2).tensor(), to_tensor(want.yc, {D, c.B, c.H}), 1e-4, 1e-5);
}

TEST_CASE("RNN matches the ONNX equations") {
  Case c{"RNN"};
  SUBCASE("forward, bias, initial_h") { c.bias = c.init_h = true; }
  SUBCASE("reverse, Relu, clip") {
    c.direction = "reverse";
    c.activations = {"Relu"};
    c.f = [](double v) { return v > 0 ? v : 0; };
    c.clip = 0.4f;
    c.bias = true;
  }
  SUBCASE("bidirectional, sequence_lens") {
    c.direction = "bidirectional";
    c.S = 4;
    c.B = 3;
    c.lens = {4, 1, 2};
    c.init_h = c.bias = true;
  }
  SUBCASE("Affine takes alpha and beta") {
    c.activations = {"Affine"};
    c.alphas = {0.5f};
    c.betas = {0.25f};
    c.f = [](double v) { return 0.5 * v + 0.25; };
  }
  SUBCASE("batch of one, hidden of one") {
    c.B = 1;
    c.H = 1;
    c.S = 5;
  }
  check_case(c);
}

TEST_CASE("GRU matches the ONNX equations") {
  Case c{"GRU"};
  SUBCASE("forward, bias, initial_h") { c.bias = c.init_h = true; }
  SUBCASE("linear_before_reset with bias") {
    c.linear_before_reset = true;
    c.bias = c.init_h = true;
  }
  SUBCASE("bidirectional, linear_before_reset, sequence_lens, clip") {
    c.direction = "bidirectional";
    c.linear_before_reset = true;
    c.bias = true;
    c.lens = {2, 3};
    c.clip = 0.5f;
  }
  SUBCASE("reverse, sequence_lens, HardSigmoid/Softsign with alpha/beta") {
    c.direction = "reverse";
    c.lens = {1, 3};
    c.bias = c.init_h = true;
    c.activations = {"HardSigmoid", "Softsign"};
    c.alphas = {0.3f};
    c.betas = {0.45f};
    c.f = [](double v) { return std::max(0.0, std::min(1.0, 0.3 * v + 0.45)); };
    c.g = [](double v) { return v / (1 + std::fabs(v)); };
  }
  check_case(c);
}

TEST_CASE("LSTM matches the ONNX equations") {
  Case c{"LSTM"};
  SUBCASE("peepholes, bias, initial h and c") { c.peepholes = c.bias = c.init_h = c.init_c = true; }
  SUBCASE("input_forget, clip, reverse") {
    c.direction = "reverse";
    c.input_forget = true;
    c.clip = 0.3f;
    c.bias = c.init_c = true;
  }
  SUBCASE("bidirectional, sequence_lens, peepholes") {
    c.direction = "bidirectional";
    c.B = 3;
    c.lens = {3, 1, 2};
    c.peepholes = c.init_h = c.init_c = true;
  }
  SUBCASE("alpha/beta are consumed in list order by the functions that take them") {
    c.activations = {"HardSigmoid", "ScaledTanh", "LeakyRelu"};
    c.alphas = {0.3f, 1.5f, 0.05f};
    c.betas = {0.4f, 0.7f};
    c.f = [](double v) { return std::max(0.0, std::min(1.0, 0.3 * v + 0.4)); };
    c.g = [](double v) { return 1.5 * std::tanh(0.7 * v); };
    c.h = [](double v) { return v < 0 ? 0.05 * v : v; };
    c.bias = true;
  }
  SUBCASE("bidirectional with one direction's activations: both use them") {
    c.direction = "bidirectional";
    c.activations = {"Sigmoid", "Elu", "Softplus"};
    c.g = [](double v) { return v < 0 ? std::expm1(v) : v; };
    c.h = [](double v) { return std::log1p(std::exp(v)); };
  }
  check_case(c);
}

// [S, B, ...] <-> [B, S, ...] for the layout-1 check.
Tensor swap01(const Tensor& t) {
  Shape s = t.shape();
  std::swap(s[0], s[1]);
  Tensor out(t.dtype(), s);
  int64_t inner = 1;
  for (size_t i = 2; i < s.size(); ++i) inner *= s[i];
  const float* src = t.data<float>();
  float* dst = out.data<float>();
  for (int64_t a = 0; a < t.dim(0); ++a) {
    for (int64_t b = 0; b < t.dim(1); ++b) {
      for (int64_t i = 0; i < inner; ++i) dst[(b * t.dim(0) + a) * inner + i] = src[(a * t.dim(1) + b) * inner + i];
    }
  }
  return out;
}

TEST_CASE("layout 1 puts batch first in X, Y, initial and final states") {
  for (const char* op : {"RNN", "GRU", "LSTM"}) {
    CAPTURE(op);
    Case c{op};
    c.direction = "bidirectional";
    c.bias = c.init_h = c.init_c = true;
    const Data d = make_data(c);
    std::vector<Value> in0 = inputs_for(c, d);
    const std::vector<Value> want = run_node(node_for(c, 14, 0), in0);
    std::vector<Value> in1 = in0;
    in1[0] = swap01(in0[0].tensor());
    in1[5] = swap01(in0[5].tensor());
    if (c.op == "LSTM") in1[6] = swap01(in0[6].tensor());
    const std::vector<Value> got = run_node(node_for(c, 14, 1), in1);
    // Y: [S, D, B, H] -> [B, S, D, H].
    const Tensor& y0 = want[0].tensor();
    Tensor y_expect(DataType::Float, {c.B, c.S, 2, c.H});
    for (int64_t t = 0; t < c.S; ++t) {
      for (int64_t dir = 0; dir < 2; ++dir) {
        for (int64_t b = 0; b < c.B; ++b) {
          for (int64_t j = 0; j < c.H; ++j) {
            y_expect.data<float>()[((b * c.S + t) * 2 + dir) * c.H + j] =
                y0.data<float>()[((t * 2 + dir) * c.B + b) * c.H + j];
          }
        }
      }
    }
    check_close(got[0].tensor(), y_expect);
    check_close(got[1].tensor(), swap01(want[1].tensor()));
    if (c.op == "LSTM") check_close(got[2].tensor(), swap01(want[2].tensor()));
  }
}

TEST_CASE("float16 and double compute and keep their element type") {
  Case c{"GRU"};
  c.bias = c.init_h = true;
  c.f = sigmoid;
  c.g = [](double v) { return std::tanh(v); };
  const Data d = make_data(c);
  const Outputs want = oracle(c, d);
  const std::vector<Value> dbl = run_node(node_for(c), inputs_for(c, d, DataType::Double));
  check_close(dbl[0].tensor(), to_tensor(want.y, {c.S, 1, c.B, c.H}, DataType::Double), 1e-12, 1e-12);
  const std::vector<Value> half = run_node(node_for(c), inputs_for(c, d, DataType::Float16));
  REQUIRE(half[1].tensor().dtype() == DataType::Float16);
  // float16 inputs are rounded; the outputs stay within a few half-precision ulps of the oracle.
  check_close(half[1].tensor(), to_tensor(want.yh, {1, c.B, c.H}, DataType::Float16), 2e-2, 5e-3);
  // bfloat16 arrives at opset 22.
  CHECK_THROWS_AS(run_node(node_for(c, 21), inputs_for(c, d, DataType::BFloat16)), Error);
  const std::vector<Value> bf = run_node(node_for(c, 22), inputs_for(c, d, DataType::BFloat16));
  CHECK(bf[0].tensor().dtype() == DataType::BFloat16);
}

TEST_CASE("sequence_lens: Y is zero past each sequence's end") {
  Case c{"RNN"};
  c.lens = {1, 3};
  c.bias = true;
  c.f = [](double v) { return std::tanh(v); };
  const Data d = make_data(c);
  const std::vector<Value> got = run_node(node_for(c), inputs_for(c, d));
  const Tensor& y = got[0].tensor();  // [S, 1, B, H]
  for (int64_t t = 1; t < c.S; ++t) {
    for (int64_t j = 0; j < c.H; ++j) CHECK(y.data<float>()[(t * c.B + 0) * c.H + j] == 0.f);
  }
  CHECK(y.data<float>()[(2 * c.B + 1) * c.H] != 0.f);
}

TEST_CASE("inference: symbolic batch and sequence, layout, outputs") {
  Case c{"LSTM"};
  c.direction = "bidirectional";
  const Data d = make_data(c);
  Model m = single_node_model(node_for(c, 14, 1), inputs_for(c, d));
  m.graph.inputs[0].type = TypeInfo::tensor(DataType::Float, {Dim::symbol("batch"), Dim::symbol("seq"), Dim::known(3)});
  Session s = Session::from_model(m);
  REQUIRE(s.outputs().size() == 3);
  CHECK(s.outputs()[0].type.str() == TypeInfo::tensor(DataType::Float, {Dim::symbol("batch"), Dim::symbol("seq"),
                                                                        Dim::known(2), Dim::known(4)}).str());
  CHECK(s.outputs()[2].type.str() ==
        TypeInfo::tensor(DataType::Float, {Dim::symbol("batch"), Dim::known(2), Dim::known(4)}).str());
}

TEST_CASE("bad attributes and inputs fail with errors naming the node") {
  Case c{"GRU"};
  const Data d = make_data(c);
  const std::vector<Value> in = inputs_for(c, d);
  NodeRun bad_dir = node_for(c);
  bad_dir.attributes[1] = attr_string("direction", "sideways");
  CHECK_THROWS_WITH_AS(run_node(bad_dir, in), doctest::Contains("direction"), Error);
  NodeRun bad_act = node_for(c);
  bad_act.attributes.push_back(attr_strings("activations", {"Sigmoid", "Cosine"}));
  CHECK_THROWS_WITH_AS(run_node(bad_act, in), doctest::Contains("Cosine"), Error);
  NodeRun bad_hidden = node_for(c);
  bad_hidden.attributes[0] = attr_int("hidden_size", 5);
  CHECK_THROWS_WITH_AS(run_node(bad_hidden, in), doctest::Contains("node0"), Error);
  std::vector<Value> short_w = in;
  short_w[1] = to_tensor(std::vector<double>(2 * 3 * 4 * 3, 0.1), {2, 3 * 4, 3});
  CHECK_THROWS_AS(run_node(node_for(c), short_w), Error);
  std::vector<Value> long_len = in;
  long_len.resize(5);
  long_len[4] = Tensor::from_vector(std::vector<int32_t>{4, 1}, {2});
  CHECK_THROWS_WITH_AS(run_node(node_for(c), long_len), doctest::Contains("sequence_lens"), Error);
  std::vector<Value> int_x = in;
  int_x[0] = Tensor::from_vector(std::vector<int32_t>(18, 1), {3, 2, 3});
  CHECK_THROWS_AS(run_node(node_for(c), int_x), Error);
}

TEST_CASE("an empty sequence leaves the initial state; an empty batch gives empty outputs") {
  for (const char* op : {"RNN", "GRU", "LSTM"}) {
    CAPTURE(op);
    Case c{op};
    c.S = 0;
    c.init_h = true;
    const Data d = make_data(c);
    const std::vector<Value> got = run_node(node_for(c), inputs_for(c, d));
    CHECK(got[0].tensor().shape() == Shape{0, 1, c.B, c.H});
    check_close(got[1].tensor(), to_tensor(d.h0, {1, c.B, c.H}));
    Case e{op};
    e.B = 0;
    const std::vector<Value> empty = run_node(node_for(e), inputs_for(e, make_data(e)));
    CHECK(empty[0].tensor().shape() == Shape{e.S, 1, 0, e.H});
  }
}

}  // namespace
}  // namespace onnxi::test
