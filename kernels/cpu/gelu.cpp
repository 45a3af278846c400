#include "kernels/cpu/gelu.h"

#include "kernels/cpu/elementwise.h"

namespace onnxi::kernels {

void gelu_f32(const float* x, float* y, int64_t n) { unary(UnaryOp::Gelu, x, y, n, UnaryParams{}); }

void gelu_tanh_f32(const float* x, float* y, int64_t n) { unary(UnaryOp::GeluTanh, x, y, n, UnaryParams{}); }

}  // namespace onnxi::kernels
