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

}  // namespace onnxi::ops
