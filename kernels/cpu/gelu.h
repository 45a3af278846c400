// GELU for float32, both forms: erf, 0.5 x (1 + erf(x / sqrt 2)), and tanh,
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Dispatched once on active_isa(): AVX-512
// (gelu_f32__avx512 in elementwise__avx512.cpp, gelu_tanh_f32__avx512 here), AVX2
// (gelu__avx2.cpp), else the portable unary kernel (elementwise.h, UnaryOp::Gelu / GeluTanh),
// which is the oracle.
#pragma once

#include <cstdint>

namespace onnxi::kernels {

// y may alias x. Single-threaded: callers split the range.
void gelu_f32(const float* x, float* y, int64_t n);
void gelu_tanh_f32(const float* x, float* y, int64_t n);

// The tanh form as x / (1 + exp(-2z)), since 0.5 (1 + tanh(z)) = 1 / (1 + exp(-2z)).
void gelu_tanh_f32__avx512(const float* x, float* y, int64_t n);
void gelu_f32__avx2(const float* x, float* y, int64_t n);
void gelu_tanh_f32__avx2(const float* x, float* y, int64_t n);

}  // namespace onnxi::kernels
