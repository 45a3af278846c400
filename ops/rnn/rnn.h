// The recurrent family (ops/rnn/): RNN, GRU and LSTM share attribute handling, inference and the
// kernel in kernels/cpu/rnn.h, so one file holds them; register.cpp calls its function.
#pragma once

#include "onnxi/registry.h"

namespace onnxi::ops::rnn {

void register_recurrent(Registry& r);  // recurrent.cpp: RNN, GRU, LSTM

}  // namespace onnxi::ops::rnn
