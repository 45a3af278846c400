// GELU's tanh approximation, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), for float32: the
// AVX-512 variant (gelu__avx512.cpp) where the CPU has it, else the portable unary kernel
// (elementwise.h, UnaryOp::GeluTanh), which is the oracle. The erf form is unary(UnaryOp::Gelu).
#pragma once

#include <cstdint>

namespace onnxi::kernels {

// y may alias x. Single-threaded: callers split the range.
void gelu_tanh_f32(const float* x, float* y, int64_t n);

// Uses 0.5 (1 + tanh(z)) = 1 / (1 + exp(-2z)): one exp and one division per element.
void gelu_tanh_f32__avx512(const float* x, float* y, int64_t n);

}  // namespace onnxi::kernels
