// N-d grouped convolution and transposed convolution over dense NC[spatial] tensors, by im2col /
// col2im and the shared GEMM (kernels/cpu/gemm.h).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cpu/gemm.h"

namespace onnxi::kernels {

struct ConvParams {
  int64_t batch = 0;
  int64_t groups = 1;
  int64_t in_channels = 0;   // channels of x (all groups)
  int64_t out_channels = 0;  // channels of y (all groups)
  std::vector<int64_t> in_spatial;
  std::vector<int64_t> out_spatial;
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads_begin;
  // Float weights of each group packed ahead (pack_conv_weights), or null to pack them per call.
  const std::vector<PackedSgemmA>* packed_weights = nullptr;
  // A fused activation: y = clamp(conv + bias, act_lo, act_hi) (Relu: [0, inf); Clip: its bounds).
  double act_lo = -__builtin_inf(), act_hi = __builtin_inf();
  bool has_activation() const { return act_lo != -__builtin_inf() || act_hi != __builtin_inf(); }
};

// w[M, C/groups, kernel...] as one packed GEMM operand per group, for ConvParams::packed_weights.
std::vector<PackedSgemmA> pack_conv_weights(int64_t groups, int64_t out_channels, int64_t depth, const float* w);

// y[N, M, out...] = conv(x[N, C, in...], w[M, C/groups, kernel...]) + bias[M] (bias may be null).
template <class T>
void conv_forward(const ConvParams& p, const T* x, const T* w, const T* bias, T* y);

// y[N, M, out...] = conv_transpose(x[N, C, in...], w[C, M/groups, kernel...]) + bias[M]: each input
// pixel scatters its kernel-weighted contribution at stride spacing; pads_begin crops the start.
template <class T>
void conv_transpose_forward(const ConvParams& p, const T* x, const T* w, const T* bias, T* y);

}  // namespace onnxi::kernels
