// One registration function per op family (ops/<family>/). register_all.cpp calls each of them:
// no static self-registration (a static library can drop such objects at link time).
#pragma once

#include "onnxi/registry.h"

namespace onnxi::ops {

void register_math(Registry& r);        // ops/math: unary, binary arithmetic, logic, activations
void register_tensor(Registry& r);      // ops/tensor: shape manipulation, indexing, copying
void register_nn(Registry& r);          // ops/nn: conv, gemm/matmul, pooling, norms, softmax
void register_reduce(Registry& r);      // ops/reduce: Reduce*, ArgMax/ArgMin, TopK, CumSum
void register_cast(Registry& r);        // ops/cast: Cast, CastLike
void register_control(Registry& r);     // ops/control: If, Loop, Scan
void register_sequence(Registry& r);    // ops/sequence: sequence and optional ops
void register_loss(Registry& r);        // ops/loss: NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss
void register_quant(Registry& r);       // ops/quant: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinear*, *Integer
void register_rnn(Registry& r);         // ops/rnn: RNN, GRU, LSTM
void register_attention(Registry& r);   // ops/attention: LinearAttention, FlexAttention, CausalConvWithState, SwiGLU (Attention itself: ops/nn)
void register_vision(Registry& r);      // ops/vision: GridSample, AffineGrid, RoiAlign, NonMaxSuppression, DeformConv, MaxRoiPool
void register_signal(Registry& r);      // ops/signal: DFT, STFT, window functions, MelWeightMatrix
void register_text(Registry& r);        // ops/text: StringNormalizer, StringConcat, StringSplit, RegexFullMatch, TfIdfVectorizer
void register_ml(Registry& r);          // ops/ml: ai.onnx.ml domain: tree ensembles, linear models, encoders, ZipMap
void register_training(Registry& r);    // ops/training: ai.onnx.preview.training: Adagrad, Adam, Momentum, Gradient
void register_random(Registry& r);      // ops/random: RandomNormal(Like), RandomUniform(Like), Bernoulli, Multinomial

}  // namespace onnxi::ops
