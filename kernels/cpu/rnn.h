// Recurrent layers: the simple RNN cell, GRU and LSTM, one direction at a time, over dense
// row-major tensors. The input projection X * W^T of all time steps is one GEMM; each step then
// adds H_{t-1} * R^T (one GEMM over the batch) and applies the cell's gate arithmetic.
//
// Layouts (ONNX's, `batch_major` is its layout = 1):
//   X          [seq, batch, input]         or [batch, seq, input]
//   W          [dirs, gates * hidden, input]      (gate order: GRU z r h, LSTM i o f c)
//   R          [dirs, gates * hidden, hidden]
//   B          [dirs, 2 * gates * hidden]         (Wb then Rb; null: zeros)
//   P          [dirs, 3 * hidden]                 (LSTM peepholes i o f; null: zeros)
//   initial_h, initial_c, Y_h, Y_c
//              [dirs, batch, hidden]       or [batch, dirs, hidden]
//   Y          [seq, dirs, batch, hidden]  or [batch, seq, dirs, hidden]
// With seq_lens, batch entry b runs for seq_lens[b] steps (a reverse direction starts at step
// seq_lens[b] - 1); Y is zero past the end and Y_h / Y_c hold the state after its last step.
#pragma once

#include <cstdint>
#include <vector>

namespace onnxi::kernels {

enum class RnnActivationKind {
  Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus,
};

// alpha/beta as the ONNX activation_alpha/beta: Affine alpha*x+beta, LeakyRelu/Elu/ThresholdedRelu
// alpha, ScaledTanh alpha*tanh(beta*x), HardSigmoid max(0, min(1, alpha*x+beta)).
struct RnnActivation {
  RnnActivationKind kind = RnnActivationKind::Tanh;
  float alpha = 0.f;
  float beta = 0.f;
};

// Applies `f` to x[0..n) in place.
template <class T>
void rnn_activate(const RnnActivation& f, T* x, int64_t n);

enum class RnnCell { Simple, Gru, Lstm };

// Gates per cell: 1, 3, 4.
int64_t rnn_gate_count(RnnCell cell) noexcept;

struct RnnParams {
  RnnCell cell = RnnCell::Simple;
  int64_t seq_len = 0;
  int64_t batch = 0;
  int64_t input_size = 0;
  int64_t hidden = 0;
  bool batch_major = false;
  float clip = 0.f;  // > 0: gate pre-activations are clipped to [-clip, clip]
  bool linear_before_reset = false;  // GRU: apply the reset gate after the recurrent product
  bool input_forget = false;         // LSTM: couple the forget gate to the input gate (f = 1 - i)
  // One entry per direction (1 or 2): whether it runs backwards and its activations (f; f, g;
  // f, g, h for Simple, GRU, LSTM).
  struct Direction {
    bool reverse = false;
    RnnActivation f, g, h;
  };
  std::vector<Direction> directions;
};

template <class T>
struct RnnBuffers {
  const T* x = nullptr;
  const T* w = nullptr;
  const T* r = nullptr;
  const T* b = nullptr;              // optional
  const int64_t* seq_lens = nullptr;  // optional, [batch], each in [0, seq_len]
  const T* initial_h = nullptr;       // optional
  const T* initial_c = nullptr;       // optional (LSTM)
  const T* p = nullptr;               // optional (LSTM)
  T* y = nullptr;                     // optional outputs
  T* y_h = nullptr;
  T* y_c = nullptr;
};

// T: float or double.
template <class T>
void rnn_forward(const RnnParams& p, const RnnBuffers<T>& buf);

}  // namespace onnxi::kernels
