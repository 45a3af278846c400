// AVX2+FMA instantiation of the vectorized unary maps (elementwise_vec_impl.h over Vec8). Defines
// nothing but its entry points (docs/ARCHITECTURE.md on ISA files).
#include "kernels/cpu/vec_math__avx2.h"
// after the traits
#include "kernels/cpu/elementwise_vec_impl.h"

namespace onnxi::kernels {

bool unary_f32__avx2(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p) {
  return unary_vec<Vec8>(op, x, y, n, p);
}

void clip_f32__avx2(const float* x, float lo, float hi, float* y, int64_t n) { clip_vec<Vec8>(x, lo, hi, y, n); }

void gelu_f32__avx2(const float* x, float* y, int64_t n) {
  map_vec<Vec8>(x, y, n, [](__m256 v) { return vm::gelu_erf<Vec8>(v); });
}

}  // namespace onnxi::kernels
