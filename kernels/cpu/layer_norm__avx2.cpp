// AVX2+FMA instantiation of the row normalization (layer_norm_impl.h over Vec8). Defines nothing but
// its entry point (docs/ARCHITECTURE.md on ISA files).
#include "kernels/cpu/vec_math__avx2.h"
// after the traits
#include "kernels/cpu/layer_norm_impl.h"

namespace onnxi::kernels {

void norm_row_f32__avx2(const float* x, float* y, int64_t cols, const float* skip, const LayerNormParams& p,
                        bool simplified, float* sum, float* mean_out, float* inv_out) {
  norm_row_vec<Vec8>(x, y, cols, skip, p, simplified, sum, mean_out, inv_out);
}

}  // namespace onnxi::kernels
