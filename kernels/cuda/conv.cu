// 2-D convolution in NHWC: implicit GEMM (im2col rows gathered inside the tile loads, never stored)
// on CUDA cores (fp32) or tensor cores (TF32), and a direct depthwise kernel. Bias, residual and
// activation are fused into the store.
#include "kernels/cuda/gemm_tile.cuh"

namespace onnxi::cuda {
namespace {

using namespace detail;

// GEMM view per group g (blockIdx.z): rows i = output pixels (n, oh, ow), columns j = the group's
// output channels, k = (r, s, c) with c fastest, which is contiguous in NHWC x and KRSC w.
struct ConvLoader {
  const float* x;
  const float* w;
  std::int64_t m, n, k;
  bool a_k_fastest = true, b_k_fastest = true;
  std::int64_t h, wi, c, cg, kw, out_h, out_w, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l;
  __device__ float a(int g, std::int64_t i, std::int64_t kk) const {
    const std::int64_t ow = i % out_w, t = i / out_w, oh = t % out_h, img = t / out_h;
    const std::int64_t ci = kk % cg, rs = kk / cg, s = rs % kw, r = rs / kw;
    const std::int64_t ih = oh * stride_h - pad_t + r * dil_h, iw = ow * stride_w - pad_l + s * dil_w;
    if (ih < 0 || ih >= h || iw < 0 || iw >= wi) return 0.f;
    return x[((img * h + ih) * wi + iw) * c + g * cg + ci];
  }
  __device__ float b(int g, std::int64_t kk, std::int64_t j) const { return w[(g * n + j) * k + kk]; }
};

struct ConvEpilogue {
  float* y;
  const float* bias;
  const float* residual;
  std::int64_t cout, cout_g;
  ActivationParams act;
  __device__ void operator()(int g, std::int64_t i, std::int64_t j, float acc) const {
    const std::int64_t co = g * cout_g + j, at = i * cout + co;
    float v = acc;
    if (bias) v += bias[co];
    if (residual) v += residual[at];
    y[at] = apply_activation(v, act);
  }
};

// One thread per output element, channels fastest (coalesced in NHWC). Output channel co reads input
// channel co / multiplier (ONNX depthwise: groups == C, Cout = C * multiplier), weights [Cout, KH, KW].
__global__ void depthwise_nhwc_kernel(ConvParams p, std::int64_t oh_n, std::int64_t ow_n, std::int64_t mult,
                                      const float* __restrict__ x, const float* __restrict__ w,
                                      const float* __restrict__ bias, const float* __restrict__ residual,
                                      float* __restrict__ y, ActivationParams act, std::int64_t total) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t co = e % p.cout, t = e / p.cout, ow = t % ow_n, t2 = t / ow_n, oh = t2 % oh_n,
                       img = t2 / oh_n;
    const std::int64_t ci = co / mult;
    float acc = bias ? bias[co] : 0.f;
    for (std::int64_t r = 0; r < p.kh; ++r) {
      const std::int64_t ih = oh * p.stride_h - p.pad_top + r * p.dilation_h;
      if (ih < 0 || ih >= p.h) continue;
      for (std::int64_t s = 0; s < p.kw; ++s) {
        const std::int64_t iw = ow * p.stride_w - p.pad_left + s * p.dilation_w;
        if (iw < 0 || iw >= p.w) continue;
        acc = fmaf(x[((img * p.h + ih) * p.w + iw) * p.c + ci], w[(co * p.kh + r) * p.kw + s], acc);
      }
    }
    if (residual) acc += residual[e];
    y[e] = apply_activation(acc, act);
  }
}

}  // namespace

void conv2d_nhwc(const ConvParams& p, const float* x, const float* w, const float* bias, const float* residual,
                 float* y, ActivationParams act, StreamHandle stream, ConvAlgo algo) {
  require(p.n >= 1 && p.h >= 1 && p.w >= 1 && p.c >= 1 && p.cout >= 1, "conv2d_nhwc", "sizes must be >= 1");
  require(p.groups >= 1 && p.c % p.groups == 0 && p.cout % p.groups == 0, "conv2d_nhwc",
          "groups must divide both input and output channels");
  require(p.kh >= 1 && p.kw >= 1 && p.stride_h >= 1 && p.stride_w >= 1 && p.dilation_h >= 1 && p.dilation_w >= 1,
          "conv2d_nhwc", "kernel, strides and dilations must be >= 1");
  require(p.pad_top >= 0 && p.pad_left >= 0 && p.pad_bottom >= 0 && p.pad_right >= 0, "conv2d_nhwc",
          "pads must be >= 0");
  const std::int64_t oh = p.out_h(), ow = p.out_w();
  require(oh >= 1 && ow >= 1, "conv2d_nhwc", "the kernel (with dilation) is larger than the padded input");
  const bool depthwise_shape = p.groups == p.c && p.c > 1;
  if (algo == ConvAlgo::Auto) algo = depthwise_shape ? ConvAlgo::Depthwise : ConvAlgo::ImplicitGemmF32;
  require(algo != ConvAlgo::Depthwise || depthwise_shape, "conv2d_nhwc",
          "ConvAlgo::Depthwise needs groups == channels (> 1)");
  require(x && w && y, "conv2d_nhwc", "null operand");
  cudaStream_t s = as_stream(stream);
  if (algo == ConvAlgo::Depthwise) {
    const std::int64_t total = p.n * oh * ow * p.cout;
    depthwise_nhwc_kernel<<<grid_for(total, 256), 256, 0, s>>>(p, oh, ow, p.cout / p.c, x, w, bias, residual, y, act,
                                                              total);
  } else {
    ConvLoader ld{};
    ld.x = x;
    ld.w = w;
    ld.m = p.n * oh * ow;
    ld.n = p.cout / p.groups;
    ld.cg = p.c / p.groups;
    ld.k = p.kh * p.kw * ld.cg;
    ld.h = p.h;
    ld.wi = p.w;
    ld.c = p.c;
    ld.kw = p.kw;
    ld.out_h = oh;
    ld.out_w = ow;
    ld.stride_h = p.stride_h;
    ld.stride_w = p.stride_w;
    ld.dil_h = p.dilation_h;
    ld.dil_w = p.dilation_w;
    ld.pad_t = p.pad_top;
    ld.pad_l = p.pad_left;
    ConvEpilogue epi{y, bias, residual, p.cout, ld.n, act};
    if (algo == ConvAlgo::ImplicitGemmTF32)
      launch_mma_gemm<float>(ld, epi, p.groups, s);
    else
      launch_simt_gemm(ld, epi, p.groups, s);
  }
  check_launch("conv2d_nhwc");
}

}  // namespace onnxi::cuda
