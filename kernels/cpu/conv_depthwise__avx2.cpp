// The depthwise plane vectorized by the compiler for AVX2+FMA (this file gets -mavx2 -mfma).
#include "kernels/cpu/conv_depthwise_impl.h"

namespace onnxi::kernels {

void depthwise_plane_f32__avx2(const DepthwiseParams& p, const float* x, const float* w, float bias, float* y,
                                 const float* zeros) {
  depthwise_plane(p, x, w, bias, y, zeros);
}

}  // namespace onnxi::kernels
