// Resize of the last two dims (nearest and bilinear) with the ONNX coordinate transformations.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/kernels.h"

namespace onnxi::cuda {
namespace {

using namespace detail;

__device__ __forceinline__ float source_coord(CoordMode mode, float out_i, float scale, std::int64_t in_len,
                                              std::int64_t out_len) {
  switch (mode) {
    case CoordMode::HalfPixel: return (out_i + 0.5f) / scale - 0.5f;
    case CoordMode::PytorchHalfPixel: return out_len > 1 ? (out_i + 0.5f) / scale - 0.5f : 0.f;
    case CoordMode::AlignCorners:
      return out_len > 1 ? out_i * static_cast<float>(in_len - 1) / static_cast<float>(out_len - 1) : 0.f;
    case CoordMode::Asymmetric: return out_i / scale;
  }
  return 0.f;
}

__device__ __forceinline__ std::int64_t nearest_index(NearestRound r, float x, std::int64_t len) {
  float v;
  switch (r) {
    case NearestRound::RoundPreferFloor: v = (x - floorf(x) == 0.5f) ? floorf(x) : rintf(x); break;
    case NearestRound::RoundPreferCeil: v = (x - floorf(x) == 0.5f) ? ceilf(x) : rintf(x); break;
    case NearestRound::Floor: v = floorf(x); break;
    default: v = ceilf(x); break;
  }
  std::int64_t i = static_cast<std::int64_t>(v);
  return i < 0 ? 0 : (i >= len ? len - 1 : i);
}

__global__ void resize_kernel(ResizeParams p, float sh, float sw, const float* __restrict__ x, float* __restrict__ y,
                              std::int64_t total) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t ow = e % p.out_w, t = e / p.out_w, oh = t % p.out_h, plane = t / p.out_h;
    const float* src = x + plane * p.in_h * p.in_w;
    const float fy = source_coord(p.coord, static_cast<float>(oh), sh, p.in_h, p.out_h);
    const float fx = source_coord(p.coord, static_cast<float>(ow), sw, p.in_w, p.out_w);
    if (p.mode == ResizeMode::Nearest) {
      y[e] = src[nearest_index(p.nearest, fy, p.in_h) * p.in_w + nearest_index(p.nearest, fx, p.in_w)];
      continue;
    }
    // Outside the input the edge value repeats: clamp the coordinate, then both neighbours.
    const float cy = fminf(fmaxf(fy, 0.f), static_cast<float>(p.in_h - 1));
    const float cx = fminf(fmaxf(fx, 0.f), static_cast<float>(p.in_w - 1));
    const std::int64_t y0 = static_cast<std::int64_t>(floorf(cy)), x0 = static_cast<std::int64_t>(floorf(cx));
    const std::int64_t y1 = y0 + 1 < p.in_h ? y0 + 1 : y0, x1 = x0 + 1 < p.in_w ? x0 + 1 : x0;
    const float ly = cy - static_cast<float>(y0), lx = cx - static_cast<float>(x0);
    const float top = src[y0 * p.in_w + x0] * (1.f - lx) + src[y0 * p.in_w + x1] * lx;
    const float bottom = src[y1 * p.in_w + x0] * (1.f - lx) + src[y1 * p.in_w + x1] * lx;
    y[e] = top * (1.f - ly) + bottom * ly;
  }
}

}  // namespace

void resize2d(const ResizeParams& p, const float* x, float* y, StreamHandle stream) {
  require(p.planes >= 0 && p.in_h >= 1 && p.in_w >= 1 && p.out_h >= 1 && p.out_w >= 1, "resize2d",
          "sizes must be >= 1 (planes >= 0)");
  require(p.scale_h >= 0.f && p.scale_w >= 0.f, "resize2d", "scales must be > 0 (or 0 for out / in)");
  const std::int64_t total = p.planes * p.out_h * p.out_w;
  if (total == 0) return;
  require(x && y, "resize2d", "null operand");
  const float sh = p.scale_h > 0.f ? p.scale_h : static_cast<float>(p.out_h) / static_cast<float>(p.in_h);
  const float sw = p.scale_w > 0.f ? p.scale_w : static_cast<float>(p.out_w) / static_cast<float>(p.in_w);
  resize_kernel<<<grid_for(total, 256), 256, 0, as_stream(stream)>>>(p, sh, sw, x, y, total);
  check_launch("resize2d");
}

}  // namespace onnxi::cuda
