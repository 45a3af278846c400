// RNN / GRU / LSTM. Per direction: one GEMM projects every time step's input (biases folded in),
// then each step runs one GEMM of the hidden state against R and the cell's elementwise gate
// arithmetic, row by row over the batch (rows in parallel when the batch is large).
#include "kernels/cpu/rnn.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {

int64_t rnn_gate_count(RnnCell cell) noexcept {
  switch (cell) {
    case RnnCell::Simple: return 1;
    case RnnCell::Gru: return 3;
    case RnnCell::Lstm: return 4;
  }
  return 1;
}

template <class T>
void rnn_activate(const RnnActivation& f, T* x, int64_t n) {
  UnaryParams up;
  up.alpha = f.alpha;
  up.beta = f.beta;
  const T alpha = static_cast<T>(f.alpha), beta = static_cast<T>(f.beta);
  switch (f.kind) {
    case RnnActivationKind::Relu: return unary(UnaryOp::Relu, x, x, n);
    case RnnActivationKind::Tanh: return unary(UnaryOp::Tanh, x, x, n);
    case RnnActivationKind::Sigmoid: return unary(UnaryOp::Sigmoid, x, x, n);
    case RnnActivationKind::LeakyRelu: return unary(UnaryOp::LeakyRelu, x, x, n, up);
    case RnnActivationKind::ThresholdedRelu: return unary(UnaryOp::ThresholdedRelu, x, x, n, up);
    case RnnActivationKind::HardSigmoid: return unary(UnaryOp::HardSigmoid, x, x, n, up);
    case RnnActivationKind::Elu: return unary(UnaryOp::Elu, x, x, n, up);
    case RnnActivationKind::Softsign: return unary(UnaryOp::Softsign, x, x, n);
    case RnnActivationKind::Softplus: return unary(UnaryOp::Softplus, x, x, n);
    case RnnActivationKind::Affine:
      for (int64_t i = 0; i < n; ++i) x[i] = alpha * x[i] + beta;
      return;
    case RnnActivationKind::ScaledTanh:
      for (int64_t i = 0; i < n; ++i) x[i] = alpha * std::tanh(beta * x[i]);
      return;
  }
}

template void rnn_activate<float>(const RnnActivation&, float*, int64_t);
template void rnn_activate<double>(const RnnActivation&, double*, int64_t);

namespace {

// Row indices into the ONNX layouts (a row is `hidden` or `input` contiguous elements).
struct Rows {
  int64_t seq, batch, dirs;
  bool batch_major;
  int64_t x(int64_t t, int64_t b) const { return batch_major ? b * seq + t : t * batch + b; }
  int64_t y(int64_t t, int64_t d, int64_t b) const {
    return batch_major ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b;
  }
  int64_t state(int64_t d, int64_t b) const { return batch_major ? b * dirs + d : d * batch + b; }
};

template <class T>
void clip_in_place(T* x, int64_t n, float clip) {
  if (!(clip > 0.f)) return;
  const T hi = static_cast<T>(clip), lo = -hi;
  for (int64_t i = 0; i < n; ++i) x[i] = std::min(std::max(x[i], lo), hi);
}

// dst[i] = a[i] + b[i], then clipped and activated.
template <class T>
void gate(T* dst, const T* a, const T* b, int64_t n, float clip, const RnnActivation& f) {
  for (int64_t i = 0; i < n; ++i) dst[i] = a[i] + b[i];
  clip_in_place(dst, n, clip);
  rnn_activate(f, dst, n);
}

// Everything one direction's time loop needs, resolved once.
template <class T>
struct DirectionRun {
  const RnnParams& p;
  const RnnParams::Direction& dir;
  Rows rows;
  int64_t d, H, GH;
  const T* r;              // R of this direction, [GH, H]
  const T* peep;           // P of this direction (3H) or null
  const T* rb_h;           // GRU linear_before_reset: Rb of the h gate (H), else null
  std::vector<T> xw;       // [rows of X, GH]: input projection plus folded biases
  std::vector<T> h, c;     // [batch, H] state
  std::vector<T> hr;       // [batch, GH]: state * R^T of the current step
  std::vector<T> rh, rhr;  // GRU default: (r * h) and (r * h) * Rh^T, [batch, H]; LSTM: rh is scratch
  std::vector<int64_t> len;

  int64_t time_of(int64_t b, int64_t step) const { return dir.reverse ? len[b] - 1 - step : step; }

  // One batch row of a step. simple_row leaves the new state in `out`; lstm_row takes H scratch
  // elements in `tmp`.
  void simple_row(int64_t b, int64_t step, T* out) const;
  void lstm_row(int64_t b, int64_t step, T* tmp);
  void gru_gates_row(int64_t b, int64_t step);  // z, r (and r*h); linear_before_reset: the whole step
  void gru_finish_row(int64_t b, int64_t step);
};

template <class T>
void DirectionRun<T>::simple_row(int64_t b, int64_t step, T* out) const {
  const T* xg = xw.data() + rows.x(time_of(b, step), b) * GH;
  gate(out, xg, hr.data() + b * GH, H, p.clip, dir.f);
}

template <class T>
void DirectionRun<T>::lstm_row(int64_t b, int64_t step, T* tmp) {
  const T* xg = xw.data() + rows.x(time_of(b, step), b) * GH;
  T* g = hr.data() + b * GH;
  T* hb = h.data() + b * H;
  T* cb = c.data() + b * H;
  for (int64_t j = 0; j < GH; ++j) g[j] += xg[j];
  T* gi = g;
  T* go = g + H;
  T* gf = g + 2 * H;
  T* gc = g + 3 * H;
  if (peep != nullptr) {
    for (int64_t j = 0; j < H; ++j) {
      gi[j] += peep[j] * cb[j];
      gf[j] += peep[2 * H + j] * cb[j];
    }
  }
  clip_in_place(gi, H, p.clip);
  rnn_activate(dir.f, gi, H);
  if (p.input_forget) {
    for (int64_t j = 0; j < H; ++j) gf[j] = T(1) - gi[j];
  } else {
    clip_in_place(gf, H, p.clip);
    rnn_activate(dir.f, gf, H);
  }
  clip_in_place(gc, H, p.clip);
  rnn_activate(dir.g, gc, H);
  for (int64_t j = 0; j < H; ++j) cb[j] = gf[j] * cb[j] + gi[j] * gc[j];
  if (peep != nullptr) {
    for (int64_t j = 0; j < H; ++j) go[j] += peep[H + j] * cb[j];
  }
  clip_in_place(go, H, p.clip);
  rnn_activate(dir.f, go, H);
  std::memcpy(tmp, cb, static_cast<size_t>(H) * sizeof(T));
  rnn_activate(dir.h, tmp, H);
  for (int64_t j = 0; j < H; ++j) hb[j] = go[j] * tmp[j];
}

template <class T>
void DirectionRun<T>::gru_gates_row(int64_t b, int64_t step) {
  const T* xg = xw.data() + rows.x(time_of(b, step), b) * GH;
  T* g = hr.data() + b * GH;
  T* hb = h.data() + b * H;
  gate(g, xg, g, 2 * H, p.clip, dir.f);  // z then r
  const T* z = g;
  const T* rg = g + H;
  if (!p.linear_before_reset) {
    T* rhb = rh.data() + b * H;
    for (int64_t j = 0; j < H; ++j) rhb[j] = rg[j] * hb[j];
    return;
  }
  T* gh = g + 2 * H;
  for (int64_t j = 0; j < H; ++j) gh[j] = xg[2 * H + j] + rg[j] * (gh[j] + (rb_h ? rb_h[j] : T(0)));
  clip_in_place(gh, H, p.clip);
  rnn_activate(dir.g, gh, H);
  for (int64_t j = 0; j < H; ++j) hb[j] = (T(1) - z[j]) * gh[j] + z[j] * hb[j];
}

template <class T>
void DirectionRun<T>::gru_finish_row(int64_t b, int64_t step) {
  const T* xg = xw.data() + rows.x(time_of(b, step), b) * GH;
  T* g = hr.data() + b * GH;
  T* hb = h.data() + b * H;
  T* gh = g + 2 * H;
  gate(gh, xg + 2 * H, rhr.data() + b * H, H, p.clip, dir.g);
  const T* z = g;
  for (int64_t j = 0; j < H; ++j) hb[j] = (T(1) - z[j]) * gh[j] + z[j] * hb[j];
}

// Calls fn(b) for every batch row active at `step`, in parallel when there is enough work.
template <class Fn>
void for_active_rows(const std::vector<int64_t>& len, int64_t step, int64_t row_cost, const Fn& fn) {
  const int64_t batch = static_cast<int64_t>(len.size());
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, row_cost));
  parallel_for(0, batch, grain, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      if (step < len[static_cast<size_t>(b)]) fn(b);
    }
  });
}

template <class T>
void run_direction(const RnnParams& p, const RnnBuffers<T>& buf, int64_t d) {
  const int64_t G = rnn_gate_count(p.cell), H = p.hidden, I = p.input_size;
  const int64_t S = p.seq_len, B = p.batch, GH = G * H;
  const int64_t D = static_cast<int64_t>(p.directions.size());
  const bool gru_linear = p.cell == RnnCell::Gru && p.linear_before_reset;
  DirectionRun<T> run{p, p.directions[static_cast<size_t>(d)], Rows{S, B, D, p.batch_major}, d, H, GH,
                      buf.r + d * GH * H, nullptr, nullptr, {}, {}, {}, {}, {}, {}, {}};
  if (p.cell == RnnCell::Lstm && buf.p != nullptr) run.peep = buf.p + d * 3 * H;

  // Input projection of all steps at once; X's rows are in storage order, which Rows::x indexes.
  run.xw.assign(static_cast<size_t>(S * B * GH), T(0));
  if (S * B > 0 && GH > 0) {
    gemm(false, true, S * B, GH, I, T(1), buf.x, I, buf.w + d * GH * I, I, T(0), run.xw.data(), GH);
  }
  if (buf.b != nullptr) {
    const T* wb = buf.b + d * 2 * GH;
    const T* rb = wb + GH;
    std::vector<T> folded(static_cast<size_t>(GH));
    for (int64_t j = 0; j < GH; ++j) folded[j] = wb[j] + rb[j];
    if (gru_linear) {
      // Rb of the h gate sits inside the reset gate's product: it cannot fold into X * W^T.
      for (int64_t j = 2 * H; j < GH; ++j) folded[j] = wb[j];
      run.rb_h = rb + 2 * H;
    }
    for (int64_t row = 0; row < S * B; ++row) {
      T* dst = run.xw.data() + row * GH;
      for (int64_t j = 0; j < GH; ++j) dst[j] += folded[j];
    }
  }

  run.h.assign(static_cast<size_t>(B * H), T(0));
  if (p.cell == RnnCell::Lstm) run.c.assign(static_cast<size_t>(B * H), T(0));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t src = run.rows.state(d, b) * H;
    if (buf.initial_h) std::memcpy(run.h.data() + b * H, buf.initial_h + src, static_cast<size_t>(H) * sizeof(T));
    if (buf.initial_c && p.cell == RnnCell::Lstm) {
      std::memcpy(run.c.data() + b * H, buf.initial_c + src, static_cast<size_t>(H) * sizeof(T));
    }
  }
  run.len.assign(static_cast<size_t>(B), S);
  if (buf.seq_lens != nullptr) run.len.assign(buf.seq_lens, buf.seq_lens + B);
  const int64_t steps = B > 0 ? *std::max_element(run.len.begin(), run.len.end()) : 0;

  run.hr.assign(static_cast<size_t>(B * GH), T(0));
  const bool gru_split = p.cell == RnnCell::Gru && !gru_linear;
  // rh: GRU's r * h, or LSTM's per-row scratch for h(C).
  if (gru_split || p.cell == RnnCell::Lstm) run.rh.assign(static_cast<size_t>(B * H), T(0));
  if (gru_split) run.rhr.assign(static_cast<size_t>(B * H), T(0));
  // GRU without linear_before_reset multiplies R's h rows by (r * h), known only after the gates.
  const int64_t rec_cols = gru_split ? 2 * H : GH;

  for (int64_t s = 0; s < steps; ++s) {
    if (H > 0) gemm(false, true, B, rec_cols, H, T(1), run.h.data(), H, run.r, H, T(0), run.hr.data(), GH);
    switch (p.cell) {
      case RnnCell::Simple:
        for_active_rows(run.len, s, GH, [&](int64_t b) {
          run.simple_row(b, s, run.hr.data() + b * GH);
          std::memcpy(run.h.data() + b * H, run.hr.data() + b * GH, static_cast<size_t>(H) * sizeof(T));
        });
        break;
      case RnnCell::Lstm:
        for_active_rows(run.len, s, GH, [&](int64_t b) { run.lstm_row(b, s, run.rh.data() + b * H); });
        break;
      case RnnCell::Gru:
        for_active_rows(run.len, s, GH, [&](int64_t b) { run.gru_gates_row(b, s); });
        if (gru_split) {
          if (H > 0) {
            gemm(false, true, B, H, H, T(1), run.rh.data(), H, run.r + 2 * H * H, H, T(0), run.rhr.data(), H);
          }
          for_active_rows(run.len, s, GH, [&](int64_t b) { run.gru_finish_row(b, s); });
        }
        break;
    }
    if (buf.y != nullptr) {
      for (int64_t b = 0; b < B; ++b) {
        if (s >= run.len[b]) continue;
        T* dst = buf.y + run.rows.y(run.time_of(b, s), d, b) * H;
        std::memcpy(dst, run.h.data() + b * H, static_cast<size_t>(H) * sizeof(T));
      }
    }
  }

  for (int64_t b = 0; b < B; ++b) {
    const int64_t dst = run.rows.state(d, b) * H;
    if (buf.y_h) std::memcpy(buf.y_h + dst, run.h.data() + b * H, static_cast<size_t>(H) * sizeof(T));
    if (buf.y_c && p.cell == RnnCell::Lstm) {
      std::memcpy(buf.y_c + dst, run.c.data() + b * H, static_cast<size_t>(H) * sizeof(T));
    }
  }
}

}  // namespace

template <class T>
void rnn_forward(const RnnParams& p, const RnnBuffers<T>& buf) {
  const int64_t D = static_cast<int64_t>(p.directions.size());
  // Steps past a sequence's length leave zeros in Y.
  if (buf.y != nullptr) std::fill(buf.y, buf.y + p.seq_len * D * p.batch * p.hidden, T(0));
  for (int64_t d = 0; d < D; ++d) run_direction(p, buf, d);
}

template void rnn_forward<float>(const RnnParams&, const RnnBuffers<float>&);
template void rnn_forward<double>(const RnnParams&, const RnnBuffers<double>&);

}  // namespace onnxi::kernels
