// AVX2+FMA instantiation of the inference BatchNormalization planes (norm_vec_impl.h over Vec8).
// Defines nothing but its entry point (docs/ARCHITECTURE.md on ISA files).
#include "kernels/cpu/vec_math__avx2.h"
// after the traits
#include "kernels/cpu/norm.h"
#include "kernels/cpu/norm_vec_impl.h"

namespace onnxi::kernels {

void batch_norm_planes_f32__avx2(const float* x, const float* a, const float* b, int64_t plane_begin,
                                 int64_t plane_end, int64_t channels, int64_t spatial, float* y) {
  batch_norm_planes_vec<Vec8>(x, a, b, plane_begin, plane_end, channels, spatial, y);
}

}  // namespace onnxi::kernels
