// GELU for float32, both forms: erf, 0.5 x (1 + erf(x / sqrt 2)), and tanh,
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). The vectorized unary maps of elementwise.h
// (UnaryOp::Gelu / GeluTanh: one template per ISA, vec_math.h for the errors), else the portable
// loop, which is the oracle.
#pragma once

#include <cstdint>

namespace onnxi::kernels {

// y may alias x. Single-threaded: callers split the range.
void gelu_f32(const float* x, float* y, int64_t n);
void gelu_tanh_f32(const float* x, float* y, int64_t n);

}  // namespace onnxi::kernels
