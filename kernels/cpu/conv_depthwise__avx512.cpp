// The depthwise plane vectorized by the compiler for AVX-512 (this file gets -mavx512f and friends).
#include "kernels/cpu/conv_depthwise_impl.h"

namespace onnxi::kernels {

void depthwise_plane_f32__avx512(const DepthwiseParams& p, const float* x, const float* w, float bias, float* y,
                                 const float* zeros) {
  depthwise_plane(p, x, w, bias, y, zeros);
}

}  // namespace onnxi::kernels
