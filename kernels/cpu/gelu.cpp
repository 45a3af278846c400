#include "kernels/cpu/gelu.h"

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/elementwise.h"

namespace onnxi::kernels {
namespace {

using Fn = void (*)(const float*, float*, int64_t);

void gelu_portable(const float* x, float* y, int64_t n) { unary(UnaryOp::Gelu, x, y, n, UnaryParams{}); }
void gelu_tanh_portable(const float* x, float* y, int64_t n) { unary(UnaryOp::GeluTanh, x, y, n, UnaryParams{}); }

}  // namespace

void gelu_f32(const float* x, float* y, int64_t n) {
  static const Fn fn = active_isa() >= Isa::Avx512 ? gelu_f32__avx512
                       : active_isa() >= Isa::Avx2 ? gelu_f32__avx2
                                                   : gelu_portable;
  fn(x, y, n);
}

void gelu_tanh_f32(const float* x, float* y, int64_t n) {
  static const Fn fn = active_isa() >= Isa::Avx512 ? gelu_tanh_f32__avx512
                       : active_isa() >= Isa::Avx2 ? gelu_tanh_f32__avx2
                                                   : gelu_tanh_portable;
  fn(x, y, n);
}

}  // namespace onnxi::kernels
