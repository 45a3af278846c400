// RNN, GRU and LSTM: the ONNX attribute rules (direction, activations with their alpha/beta,
// clip, layout, linear_before_reset, input_forget), the input checks and shape inference. The
// recurrence itself is kernels/cpu/rnn.h; float16/bfloat16 compute in float32.
//
// Activations: each direction takes 1 (RNN: f), 2 (GRU: f, g) or 3 (LSTM: f, g, h) functions,
// forward's first. A bidirectional node given one direction's worth uses it for both.
// activation_alpha / activation_beta are consumed in list order by the functions that take them
// (Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu), as onnxruntime reads them;
// a function that finds the list exhausted takes its ONNX default.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "kernels/cpu/rnn.h"
#include "ops/nn/nn.h"
#include "ops/rnn/rnn.h"

namespace onnxi::ops::rnn {
namespace {

using kernels::RnnActivation;
using kernels::RnnActivationKind;
using kernels::RnnCell;

const char* cell_op(RnnCell cell) {
  switch (cell) {
    case RnnCell::Simple: return "RNN";
    case RnnCell::Gru: return "GRU";
    case RnnCell::Lstm: return "LSTM";
  }
  return "?";
}

int64_t activations_per_direction(RnnCell cell) { return cell == RnnCell::Simple ? 1 : cell == RnnCell::Gru ? 2 : 3; }

struct ActivationInfo {
  const char* name;  // lower case
  RnnActivationKind kind;
  bool takes_alpha, takes_beta;
  float alpha, beta;  // defaults
};

constexpr ActivationInfo kActivations[] = {
    {"relu", RnnActivationKind::Relu, false, false, 0.f, 0.f},
    {"tanh", RnnActivationKind::Tanh, false, false, 0.f, 0.f},
    {"sigmoid", RnnActivationKind::Sigmoid, false, false, 0.f, 0.f},
    {"affine", RnnActivationKind::Affine, true, true, 1.f, 0.f},
    {"leakyrelu", RnnActivationKind::LeakyRelu, true, false, 0.01f, 0.f},
    {"thresholdedrelu", RnnActivationKind::ThresholdedRelu, true, false, 1.f, 0.f},
    {"scaledtanh", RnnActivationKind::ScaledTanh, true, true, 1.f, 1.f},
    {"hardsigmoid", RnnActivationKind::HardSigmoid, true, true, 0.2f, 0.5f},
    {"elu", RnnActivationKind::Elu, true, false, 1.f, 0.f},
    {"softsign", RnnActivationKind::Softsign, false, false, 0.f, 0.f},
    {"softplus", RnnActivationKind::Softplus, false, false, 0.f, 0.f},
};

struct RecurrentAttrs {
  RnnCell cell = RnnCell::Simple;
  int since = 1;
  std::vector<DataType> types;
  int64_t hidden_size = -1;  // -1: not given (taken from R)
  int64_t directions = 1;
  bool batch_major = false;
  kernels::RnnParams params;  // clip, flags, directions and their activations; sizes come per run
};

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string type_list(const std::vector<DataType>& types) {
  std::string s;
  for (DataType t : types) s += (s.empty() ? "" : ", ") + std::string(dtype_name(t));
  return s;
}

// Reads and checks every attribute; `fail` reports a definite model error (never returns).
template <class Fail>
RecurrentAttrs read_attrs(const Node& node, RnnCell cell, int since, const Fail& fail) {
  RecurrentAttrs a;
  a.cell = cell;
  a.since = since;
  a.types = {DataType::Float16, DataType::Float, DataType::Double};
  if (since >= 22) a.types.push_back(DataType::BFloat16);

  const std::string direction = node.attr_string("direction", "forward");
  bool reverse_only = false;
  if (direction == "forward" || direction == "foward") {  // GRU-1's schema default is misspelled
    a.directions = 1;
  } else if (direction == "reverse") {
    a.directions = 1;
    reverse_only = true;
  } else if (direction == "bidirectional") {
    a.directions = 2;
  } else {
    fail(cat("attribute direction = '", direction, "' is not one of forward, reverse, bidirectional"));
  }
  if (node.has_attr("hidden_size")) {
    a.hidden_size = node.attr_int("hidden_size", -1);
    if (a.hidden_size <= 0) fail(cat("attribute hidden_size = ", a.hidden_size, " must be positive"));
  }
  a.batch_major = since >= 14 && node.attr_int("layout", 0) != 0;
  if (since >= 14) {
    const int64_t layout = node.attr_int("layout", 0);
    if (layout != 0 && layout != 1) fail(cat("attribute layout = ", layout, " must be 0 or 1"));
  }
  a.params.cell = cell;
  a.params.batch_major = a.batch_major;
  if (node.has_attr("clip")) {
    a.params.clip = node.attr_float("clip", 0.f);
    if (!(a.params.clip > 0.f)) fail(cat("attribute clip = ", a.params.clip, " must be positive"));
  }
  if (cell == RnnCell::Gru && since >= 3) a.params.linear_before_reset = node.attr_int("linear_before_reset", 0) != 0;
  if (cell == RnnCell::Lstm) a.params.input_forget = node.attr_int("input_forget", 0) != 0;

  const int64_t per_dir = activations_per_direction(cell);
  std::vector<std::string> names = node.attr_strings("activations");
  if (names.empty()) {
    if (cell == RnnCell::Simple) names = {"Tanh"};
    if (cell == RnnCell::Gru) names = {"Sigmoid", "Tanh"};
    if (cell == RnnCell::Lstm) names = {"Sigmoid", "Tanh", "Tanh"};
  }
  const std::vector<float> alphas = node.attr_floats("activation_alpha");
  const std::vector<float> betas = node.attr_floats("activation_beta");
  size_t next_alpha = 0, next_beta = 0;
  std::vector<RnnActivation> fns;
  for (const std::string& name : names) {
    const std::string key = lower(name);
    const ActivationInfo* info = nullptr;
    for (const ActivationInfo& cand : kActivations) {
      if (key == cand.name) info = &cand;
    }
    if (info == nullptr) {
      fail(cat("activation '", name, "' is not one of Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ",
               "ScaledTanh, HardSigmoid, Elu, Softsign, Softplus"));
    }
    RnnActivation f{info->kind, info->alpha, info->beta};
    if (info->takes_alpha && next_alpha < alphas.size()) f.alpha = alphas[next_alpha++];
    if (info->takes_beta && next_beta < betas.size()) f.beta = betas[next_beta++];
    fns.push_back(f);
  }
  const int64_t given = static_cast<int64_t>(fns.size());
  if (given < per_dir) {
    fail(cat("attribute activations lists ", given, " functions; ", cell_op(cell), " needs ", per_dir,
             " per direction"));
  }
  if (a.directions == 2 && given < 2 * per_dir) {
    fns.insert(fns.end(), fns.begin(), fns.begin() + per_dir);  // one direction's list serves both
  }
  for (int64_t d = 0; d < a.directions; ++d) {
    kernels::RnnParams::Direction dir;
    dir.reverse = reverse_only || d == 1;
    const RnnActivation* f = fns.data() + d * per_dir;
    dir.f = f[0];
    if (per_dir > 1) dir.g = f[1];
    if (per_dir > 2) dir.h = f[2];
    a.params.directions.push_back(dir);
  }
  return a;
}

// ---- inference -----------------------------------------------------------------------------------

void infer_recurrent(InferContext& ctx, const RecurrentAttrs& a) {
  const DataType elem = input_elem(ctx, 0);
  if (elem != DataType::Undefined && std::find(a.types.begin(), a.types.end(), elem) == a.types.end()) {
    ctx.fail(cat("input X has element type ", dtype_name(elem), "; ", cell_op(a.cell), "-", a.since, " takes ",
                 type_list(a.types)));
  }
  const int64_t G = kernels::rnn_gate_count(a.cell);
  Dim seq, batch, hidden;
  if (a.hidden_size > 0) hidden = Dim::known(a.hidden_size);
  const TypeInfo& tx = ctx.input(0);
  if (tx.is_tensor() && tx.has_shape) {
    if (tx.dims.size() != 3) ctx.fail(cat("input X must have rank 3, got ", tx.str()));
    seq = tx.dims[a.batch_major ? 1 : 0];
    batch = tx.dims[a.batch_major ? 0 : 1];
  }
  for (size_t i : {size_t{1}, size_t{2}}) {
    const TypeInfo& t = ctx.input(i);
    if (!t.is_tensor() || !t.has_shape) continue;
    const char* name = i == 1 ? "W" : "R";
    if (t.dims.size() != 3) ctx.fail(cat("input ", name, " must have rank 3, got ", t.str()));
    if (t.dims[0].is_known() && t.dims[0].value != a.directions) {
      ctx.fail(cat("input ", name, " ", t.str(), " must have num_directions = ", a.directions, " as its first dim"));
    }
    if (!t.dims[1].is_known()) continue;
    if (t.dims[1].value % G != 0 || (hidden.is_known() && t.dims[1].value != G * hidden.value)) {
      ctx.fail(cat("input ", name, " ", t.str(), " must have ", G, " * hidden_size rows"));
    }
    if (!hidden.is_known()) hidden = Dim::known(t.dims[1].value / G);
  }
  const Dim dirs = Dim::known(a.directions);
  const DataType out = elem;
  if (a.batch_major) {
    ctx.set_output(0, TypeInfo::tensor(out, {batch, seq, dirs, hidden}));
  } else {
    ctx.set_output(0, TypeInfo::tensor(out, {seq, dirs, batch, hidden}));
  }
  const std::vector<Dim> state = a.batch_major ? std::vector<Dim>{batch, dirs, hidden} : std::vector<Dim>{dirs, batch, hidden};
  if (ctx.node.outputs.size() > 1) ctx.set_output(1, TypeInfo::tensor(out, state));
  if (a.cell == RnnCell::Lstm && ctx.node.outputs.size() > 2) ctx.set_output(2, TypeInfo::tensor(out, state));
}

// ---- compute -------------------------------------------------------------------------------------

// An optional float input of shape `shape`, widened to the compute type; undefined when absent.
Tensor optional_float(const KernelContext& ctx, size_t i, DataType dtype, const Shape& shape, const char* name) {
  if (!ctx.has_input(i)) return Tensor();
  const Tensor& t = nn::input_of_type(ctx, i, dtype);
  if (t.shape() != shape) {
    ctx.fail(cat("input ", name, " has shape ", shape_str(t.shape()), "; expected ", shape_str(shape)));
  }
  return nn::widen(t);
}

void compute_recurrent(KernelContext& ctx, const RecurrentAttrs& a) {
  const Tensor& X = ctx.input(0);
  if (std::find(a.types.begin(), a.types.end(), X.dtype()) == a.types.end()) {
    ctx.fail(cat("input X has element type ", dtype_name(X.dtype()), "; ", cell_op(a.cell), "-", a.since, " takes ",
                 type_list(a.types)));
  }
  const Tensor& W = nn::input_of_type(ctx, 1, X.dtype());
  const Tensor& R = nn::input_of_type(ctx, 2, X.dtype());
  if (X.rank() != 3) ctx.fail(cat("input X must have rank 3, got ", X.describe()));
  if (W.rank() != 3 || R.rank() != 3) {
    ctx.fail(cat("inputs W ", W.describe(), " and R ", R.describe(), " must have rank 3"));
  }
  const int64_t G = kernels::rnn_gate_count(a.cell), D = a.directions;
  const int64_t S = X.dim(a.batch_major ? 1 : 0), B = X.dim(a.batch_major ? 0 : 1), I = X.dim(2);
  const int64_t H = R.dim(2);
  if (a.hidden_size > 0 && a.hidden_size != H) {
    ctx.fail(cat("attribute hidden_size = ", a.hidden_size, " disagrees with R ", R.describe()));
  }
  if (W.shape() != Shape{D, G * H, I}) {
    ctx.fail(cat("input W ", W.describe(), " must have shape ", shape_str({D, G * H, I}),
                 " (num_directions, gates * hidden_size, input_size)"));
  }
  if (R.shape() != Shape{D, G * H, H}) {
    ctx.fail(cat("input R ", R.describe(), " must have shape ", shape_str({D, G * H, H}),
                 " (num_directions, gates * hidden_size, hidden_size)"));
  }
  const Shape state_shape = a.batch_major ? Shape{B, D, H} : Shape{D, B, H};
  const Tensor bias = optional_float(ctx, 3, X.dtype(), {D, 2 * G * H}, "B");
  std::vector<int64_t> lens;
  if (ctx.has_input(4)) {
    const Tensor& sl = ctx.input(4);
    if ((sl.dtype() != DataType::Int32 && sl.dtype() != DataType::Int64) || sl.shape() != Shape{B}) {
      ctx.fail(cat("input sequence_lens ", sl.describe(), " must be int32 of shape [", B, "]"));
    }
    lens = sl.to_int64_vector();
    for (int64_t v : lens) {
      if (v < 0 || v > S) ctx.fail(cat("sequence_lens holds ", v, "; each length must be in [0, ", S, "]"));
    }
  }
  const Tensor h0 = optional_float(ctx, 5, X.dtype(), state_shape, "initial_h");
  Tensor c0, peep;
  if (a.cell == RnnCell::Lstm) {
    c0 = optional_float(ctx, 6, X.dtype(), state_shape, "initial_c");
    peep = optional_float(ctx, 7, X.dtype(), {D, 3 * H}, "P");
  }

  kernels::RnnParams p = a.params;
  p.seq_len = S;
  p.batch = B;
  p.input_size = I;
  p.hidden = H;
  const DataType ct = nn::compute_type(X.dtype());
  const Shape y_shape = a.batch_major ? Shape{B, S, D, H} : Shape{S, D, B, H};
  const size_t n_out = ctx.num_outputs();
  const bool want_y = n_out > 0 && ctx.output_wanted(0);
  const bool want_h = n_out > 1 && ctx.output_wanted(1);
  const bool want_c = a.cell == RnnCell::Lstm && n_out > 2 && ctx.output_wanted(2);
  Tensor y = want_y ? Tensor(ct, y_shape) : Tensor();
  Tensor yh = want_h ? Tensor(ct, state_shape) : Tensor();
  Tensor yc = want_c ? Tensor(ct, state_shape) : Tensor();
  const Tensor x = nn::widen(X), w = nn::widen(W), r = nn::widen(R);

  nn::with_compute_type(ct, [&](auto tag) {
    using T = decltype(tag);
    kernels::RnnBuffers<T> buf;
    buf.x = x.data<T>();
    buf.w = w.data<T>();
    buf.r = r.data<T>();
    buf.b = bias.defined() ? bias.data<T>() : nullptr;
    buf.seq_lens = lens.empty() ? nullptr : lens.data();
    buf.initial_h = h0.defined() ? h0.data<T>() : nullptr;
    buf.initial_c = c0.defined() ? c0.data<T>() : nullptr;
    buf.p = peep.defined() ? peep.data<T>() : nullptr;
    buf.y = want_y ? y.data<T>() : nullptr;
    buf.y_h = want_h ? yh.data<T>() : nullptr;
    buf.y_c = want_c ? yc.data<T>() : nullptr;
    kernels::rnn_forward<T>(p, buf);
  });
  if (want_y) ctx.set_output(0, nn::narrow(y, X.dtype()));
  if (want_h) ctx.set_output(1, nn::narrow(yh, X.dtype()));
  if (want_c) ctx.set_output(2, nn::narrow(yc, X.dtype()));
}

void register_cell(Registry& r, RnnCell cell, std::vector<int> versions) {
  for (size_t v = 0; v < versions.size(); ++v) {
    const int since = versions[v];
    OpDef def;
    def.op_type = cell_op(cell);
    def.since_version = since;
    def.last_version = v + 1 < versions.size() ? versions[v + 1] - 1 : kLatestOpset;
    def.types = since >= 22 ? "float16, float, double, bfloat16" : "float16, float, double";
    def.infer = [cell, since](InferContext& ctx) {
      const auto fail = [&](const std::string& m) { ctx.fail(m); };
      infer_recurrent(ctx, read_attrs(ctx.node, cell, since, fail));
    };
    def.create = [cell, since](const KernelInit& init) {
      const auto fail = [&](const std::string& m) { init.fail(m); };
      RecurrentAttrs attrs = read_attrs(init.node, cell, since, fail);
      return make_kernel([attrs = std::move(attrs)](KernelContext& ctx) { compute_recurrent(ctx, attrs); });
    };
    r.add(std::move(def));
  }
}

}  // namespace

void register_recurrent(Registry& r) {
  register_cell(r, RnnCell::Simple, {1, 7, 14, 22});
  register_cell(r, RnnCell::Gru, {1, 3, 7, 14, 22});
  register_cell(r, RnnCell::Lstm, {1, 7, 14, 22});
}

}  // namespace onnxi::ops::rnn
