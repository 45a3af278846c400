// N-d pooling over dense [planes, spatial...] tensors (planes = batch * channels).
//
// Window for output index o along a dim: taps at o * stride - pads_begin + k * dilation for
// k in [0, kernel). Taps outside the input are padding: max/avg/lp skip them; avg with
// count_include_pad counts the taps that fall in [-pads_begin, in + pads_end) in its divisor
// (taps past the end padding, which ceil_mode can create, are never counted).
#pragma once

#include <cstdint>
#include <vector>

namespace onnxi::kernels {

struct PoolParams {
  int64_t planes = 0;
  std::vector<int64_t> in_spatial;
  std::vector<int64_t> out_spatial;
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads_begin;
  std::vector<int64_t> pads_end;
};

// Max over each window. `indices` (may be null) receives the flat index of the chosen element in
// the whole input tensor: row-major, or with column_major the spatial part is column-major
// (h + w * H), the plane offset staying plane * in_size. A window with no taps yields lowest().
template <class T>
void max_pool(const PoolParams& p, const T* x, T* y, int64_t* indices, bool column_major);

template <class T>
void average_pool(const PoolParams& p, const T* x, T* y, bool count_include_pad);

// (sum over taps of |x|^p)^(1/p).
template <class T>
void lp_pool(const PoolParams& p, const T* x, T* y, double norm_p);

// Global pools: one value per plane of `size` contiguous elements. An empty plane gives NaN for
// the average, lowest() for the max and 0 for the Lp norm.
template <class T>
void global_average_pool(const T* x, T* y, int64_t planes, int64_t size);
template <class T>
void global_max_pool(const T* x, T* y, int64_t planes, int64_t size);
template <class T>
void global_lp_pool(const T* x, T* y, int64_t planes, int64_t size, double norm_p);

// One output row of a blocked 2-D max pool, in plain integers (what the ISA files get).
struct NchwcMaxPoolRow {
  const float* x = nullptr;  // the plane, [in_h, in_w, 16]
  float* y = nullptr;        // the output row, [out_w, 16]
  int64_t in_w = 0, out_w = 0, stride_w = 1, dilation_w = 1, pad_left = 0;
  int64_t dilation_h = 1;
  int64_t h0 = 0;              // input row of kernel row 0 (may be in the padding)
  int64_t h_lo = 0, h_hi = 0;  // kernel rows inside the image; h_lo < h_hi
  const int64_t* w_range = nullptr;  // per output column: kernel columns [w_range[2 ow], w_range[2 ow + 1]) inside
};
void nchwc_max_pool_row__avx512(const NchwcMaxPoolRow& r);
void nchwc_max_pool_row__avx2(const NchwcMaxPoolRow& r);

// 2-D pools over the blocked layout (kernels/cpu/conv_nchwc.h): planes of [H, W, 16], the 16
// channels of a block pooled side by side; p.planes counts (image, channel block) pairs.
void nchwc_max_pool_2d(const PoolParams& p, const float* x, float* y);
void nchwc_average_pool_2d(const PoolParams& p, const float* x, float* y, bool count_include_pad);
// y[N, channels] (NCHW [N, C, 1, 1]) = mean over `size` pixels of blocked x[N, ceil(C/16), size, 16].
void nchwc_global_average_pool(const float* x, float* y, int64_t batch, int64_t channels, int64_t size);

}  // namespace onnxi::kernels
