#include "kernels/cpu/gelu.h"

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/elementwise.h"

namespace onnxi::kernels {

void gelu_tanh_f32(const float* x, float* y, int64_t n) {
  static const bool avx512 = active_isa() >= Isa::Avx512;
  if (avx512) return gelu_tanh_f32__avx512(x, y, n);
  unary(UnaryOp::GeluTanh, x, y, n, UnaryParams{});
}

}  // namespace onnxi::kernels
