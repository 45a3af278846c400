// Sampling an image at arbitrary (fractional) coordinates: GridSample, AffineGrid and deformable
// convolution. Images are dense [batch, channels, spatial...] row-major; spatial rank k >= 1.
#pragma once

#include <cstdint>
#include <vector>

namespace onnxi::kernels {

enum class GridSampleMode { Linear, Nearest, Cubic };
enum class GridSamplePadding { Zeros, Border, Reflection };

struct GridSampleParams {
  int64_t batch = 0;
  int64_t channels = 0;
  std::vector<int64_t> in_spatial;   // D1..Dk of x
  std::vector<int64_t> out_spatial;  // O1..Ok of the grid and of y
  GridSampleMode mode = GridSampleMode::Linear;
  GridSamplePadding padding = GridSamplePadding::Zeros;
  bool align_corners = false;
};

// y[n, c, o...] = x[n, c] sampled at grid[n, o..., :], a point in [-1, 1]^k given innermost
// dimension first (x, y, z). -1 and 1 are the centers of the corner pixels with align_corners,
// else their outer edges. Nearest rounds half to even; cubic is Keys' with a = -0.75. Points out of
// range read zeros, the clamped border, or the image reflected at its edges. T: float or double.
template <class T>
void grid_sample(const GridSampleParams& p, const T* x, const T* grid, T* y);

// grid[n, s..., :] = theta[n] * (base(s...), 1) for the k = 2 or 3 spatial dims `spatial`:
// base is the normalized pixel-center coordinate, innermost dimension first; theta is [n, k, k+1].
template <class T>
void affine_grid(const T* theta, int64_t batch, const std::vector<int64_t>& spatial, bool align_corners, T* grid);

struct DeformConvParams {
  int64_t batch = 0;
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t groups = 1;
  int64_t offset_groups = 1;
  std::vector<int64_t> in_spatial;
  std::vector<int64_t> out_spatial;
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads_begin;
};

// Deformable convolution: tap k of output position o reads x at
//   o * stride - pad_begin + k * dilation + offset[n, (og * K + k) * ndim + dim, o]
// by multilinear interpolation (zero outside the image), scaled by mask[n, og * K + k, o] (null:
// 1), where og is the input channel's offset group and K the kernel's element count. Then as Conv:
// y[N, M, out...] = w[M, C/groups, kernel...] * taps + bias[M] (bias may be null).
template <class T>
void deform_conv(const DeformConvParams& p, const T* x, const T* w, const T* offset, const T* mask, const T* bias,
                 T* y);

}  // namespace onnxi::kernels
