// Depthwise 2-D convolution (one filter per channel: groups == channels, one output channel per
// group), computed directly rather than as one tiny GEMM per channel, which is how MobileNet-style
// models spend most of their convolution time otherwise.
#pragma once

#include <cstdint>

namespace onnxi::kernels {

struct DepthwiseParams {
  int64_t batch = 0, channels = 0;
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  // A fused activation, applied to each output row while it is in cache: clamp(y, act_lo, act_hi).
  float act_lo = -__builtin_inff(), act_hi = __builtin_inff();
};

// y[n, c, oh, ow] = bias[c] + sum over (kh, kw) of w[c, kh, kw] * x[n, c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw]
// (taps in the padding count as zero); bias may be null. Float uses the widest ISA variant.
void depthwise_conv2d(const DepthwiseParams& p, const float* x, const float* w, const float* bias, float* y);
void depthwise_conv2d(const DepthwiseParams& p, const double* x, const double* w, const double* bias, double* y);

// One (n, c) plane at a time; the ISA variants share this body (conv_depthwise_impl.h).
using DepthwisePlaneFn = void (*)(const DepthwiseParams& p, const float* x, const float* w, float bias, float* y,
                                 const float* zeros);
void depthwise_plane_f32__scalar(const DepthwiseParams& p, const float* x, const float* w, float bias, float* y,
                                 const float* zeros);
void depthwise_plane_f32__avx2(const DepthwiseParams& p, const float* x, const float* w, float bias, float* y,
                                 const float* zeros);

}  // namespace onnxi::kernels
