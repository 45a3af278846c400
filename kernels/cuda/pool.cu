// Max / average pooling (NCHW, 2-D) and global pooling.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/kernels.h"

namespace onnxi::cuda {
namespace {

using namespace detail;

__global__ void pool2d_kernel(PoolParams p, const float* __restrict__ x, float* __restrict__ y, std::int64_t total) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t ow = e % p.out_w, t = e / p.out_w, oh = t % p.out_h, plane = t / p.out_h;
    const float* src = x + plane * p.h * p.w;
    const std::int64_t h0 = oh * p.stride_h - p.pad_top, w0 = ow * p.stride_w - p.pad_left;
    float acc = p.kind == PoolKind::Max ? -INFINITY : 0.f;
    std::int64_t valid = 0, padded = 0;
    for (std::int64_t r = 0; r < p.kh; ++r) {
      const std::int64_t ih = h0 + r * p.dilation_h;
      const bool in_pad_h = ih >= -p.pad_top && ih < p.h + p.pad_bottom;
      for (std::int64_t s = 0; s < p.kw; ++s) {
        const std::int64_t iw = w0 + s * p.dilation_w;
        if (in_pad_h && iw >= -p.pad_left && iw < p.w + p.pad_right) ++padded;
        if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
        const float v = src[ih * p.w + iw];
        acc = p.kind == PoolKind::Max ? fmaxf(acc, v) : acc + v;
        ++valid;
      }
    }
    if (p.kind == PoolKind::Average) {
      const std::int64_t count = p.count_include_pad ? padded : valid;
      acc = count > 0 ? acc / static_cast<float>(count) : 0.f;
    }
    y[e] = acc;
  }
}

__global__ void global_pool_kernel(bool is_max, const float* __restrict__ x, std::int64_t spatial,
                                   float* __restrict__ y) {
  __shared__ float scratch[32];
  const float* row = x + blockIdx.x * spatial;
  float acc = is_max ? -INFINITY : 0.f;
  for (std::int64_t j = threadIdx.x; j < spatial; j += blockDim.x) acc = is_max ? fmaxf(acc, row[j]) : acc + row[j];
  acc = is_max ? block_max(acc, scratch) : block_sum(acc, scratch);
  if (threadIdx.x == 0) y[blockIdx.x] = is_max ? acc : acc / static_cast<float>(spatial);
}

}  // namespace

void pool2d(const PoolParams& p, const float* x, float* y, StreamHandle stream) {
  require(p.n >= 0 && p.c >= 1 && p.h >= 1 && p.w >= 1 && p.out_h >= 1 && p.out_w >= 1, "pool2d",
          "sizes must be >= 1 (n >= 0)");
  require(p.kh >= 1 && p.kw >= 1 && p.stride_h >= 1 && p.stride_w >= 1 && p.dilation_h >= 1 && p.dilation_w >= 1,
          "pool2d", "kernel, strides and dilations must be >= 1");
  require(p.pad_top >= 0 && p.pad_left >= 0 && p.pad_bottom >= 0 && p.pad_right >= 0, "pool2d", "pads must be >= 0");
  const std::int64_t total = p.n * p.c * p.out_h * p.out_w;
  if (total == 0) return;
  require(x && y, "pool2d", "null operand");
  pool2d_kernel<<<grid_for(total, 256), 256, 0, as_stream(stream)>>>(p, x, y, total);
  check_launch("pool2d");
}

void global_pool(PoolKind kind, const float* x, std::int64_t rows, std::int64_t spatial, float* y,
                 StreamHandle stream) {
  require(rows >= 0 && rows <= 0x7fffffffLL && spatial >= 1, "global_pool", "rows in [0, 2^31) and spatial >= 1");
  if (rows == 0) return;
  require(x && y, "global_pool", "null operand");
  const int block = spatial >= 256 ? 256 : static_cast<int>((spatial + 31) / 32 * 32);
  global_pool_kernel<<<static_cast<unsigned>(rows), block, 0, as_stream(stream)>>>(kind == PoolKind::Max, x, spatial,
                                                                                  y);
  check_launch("global_pool");
}

}  // namespace onnxi::cuda
