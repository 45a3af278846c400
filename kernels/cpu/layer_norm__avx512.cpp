// AVX-512 instantiation of the row normalization (layer_norm_impl.h over Vec16). Defines nothing but
// its entry point (docs/ARCHITECTURE.md on ISA files).
#include "kernels/cpu/vec_math__avx512.h"
// after the traits
#include "kernels/cpu/layer_norm_impl.h"

namespace onnxi::kernels {

void norm_row_f32__avx512(const float* x, float* y, int64_t cols, const float* skip, const LayerNormParams& p,
                        bool simplified, float* sum, float* mean_out, float* inv_out) {
  norm_row_vec<Vec16>(x, y, cols, skip, p, simplified, sum, mean_out, inv_out);
}

}  // namespace onnxi::kernels
