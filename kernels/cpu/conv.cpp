#include "kernels/cpu/conv.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <type_traits>

#include "kernels/cpu/conv_depthwise.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/im2col.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

// Column buffers are built a band of output rows at a time so a large image never needs a
// (C * kernel) x (H * W) matrix at once.
constexpr int64_t kMaxColumnElements = int64_t{1} << 22;

int64_t product(const std::vector<int64_t>& v) {
  return std::accumulate(v.begin(), v.end(), int64_t{1}, std::multiplies<>());
}

bool is_pointwise(const ConvParams& p) {
  for (size_t d = 0; d < p.kernel.size(); ++d) {
    if (p.kernel[d] != 1 || p.strides[d] != 1 || p.pads_begin[d] != 0 || p.in_spatial[d] != p.out_spatial[d]) {
      return false;
    }
  }
  return true;
}

ConvGeometry geometry(const ConvParams& p, int64_t channels, const std::vector<int64_t>& image,
                      const std::vector<int64_t>& output) {
  ConvGeometry g;
  g.channels = channels;
  g.image = image;
  g.kernel = p.kernel;
  g.output = output;
  g.strides = p.strides;
  g.dilations = p.dilations;
  g.pads_begin = p.pads_begin;
  return g;
}

// y = clamp(y, lo, hi) as Clip computes it (NaN stays NaN).
template <class T>
void clamp_values(T* y, int64_t n, double lo_d, double hi_d) {
  const T lo = static_cast<T>(lo_d), hi = static_cast<T>(hi_d);
  parallel_for(0, n, 16384, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T v = y[i] < lo ? lo : y[i];
      y[i] = v > hi ? hi : v;
    }
  });
}

template <class T>
void add_channel_bias(const T* bias, int64_t channels, int64_t size, T* y) {
  if (!bias) return;
  for (int64_t c = 0; c < channels; ++c) {
    T* row = y + c * size;
    const T b = bias[c];
    for (int64_t i = 0; i < size; ++i) row[i] += b;
  }
}

}  // namespace

template <class T>
void conv_forward(const ConvParams& p, const T* x, const T* w, const T* bias, T* y) {
  const int64_t cg = p.in_channels / p.groups;
  const int64_t mg = p.out_channels / p.groups;
  const int64_t ksize = product(p.kernel);
  const int64_t isize = product(p.in_spatial);
  const int64_t osize = product(p.out_spatial);
  const int64_t depth = cg * ksize;
  if (osize == 0 || mg == 0) return;
  if (p.kernel.size() == 2 && cg == 1 && mg == 1) {
    DepthwiseParams d;
    d.batch = p.batch;
    d.channels = p.groups;
    d.in_h = p.in_spatial[0], d.in_w = p.in_spatial[1];
    d.out_h = p.out_spatial[0], d.out_w = p.out_spatial[1];
    d.kernel_h = p.kernel[0], d.kernel_w = p.kernel[1];
    d.stride_h = p.strides[0], d.stride_w = p.strides[1];
    d.dilation_h = p.dilations[0], d.dilation_w = p.dilations[1];
    d.pad_top = p.pads_begin[0], d.pad_left = p.pads_begin[1];
    d.act_lo = static_cast<float>(p.act_lo);
    d.act_hi = static_cast<float>(p.act_hi);
    depthwise_conv2d(d, x, w, bias, y);
    return;
  }
  const ConvGeometry g = geometry(p, cg, p.in_spatial, p.out_spatial);
  const int64_t row_len = g.row_length();
  const int64_t rows = osize / row_len;
  const bool pointwise = is_pointwise(p);
  const int64_t band = std::clamp<int64_t>(kMaxColumnElements / std::max<int64_t>(1, depth * row_len), 1, rows);
  std::vector<T> col(pointwise || std::is_same_v<T, float> ? 0 : static_cast<size_t>(depth * band * row_len));

  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t grp = 0; grp < p.groups; ++grp) {
      const T* xg = x + (n * p.in_channels + grp * cg) * isize;
      const T* wg = w + grp * mg * depth;
      T* yg = y + (n * p.out_channels + grp * mg) * osize;
      const std::vector<PackedSgemmA>* packed = p.packed_weights;
      if constexpr (std::is_same_v<T, float>) {
        // Bias and activation ride on the GEMM's epilogue, applied to each block of y in cache.
        SgemmEpilogue epilogue;
        epilogue.row_bias = bias ? bias + grp * mg : nullptr;
        epilogue.lo = static_cast<float>(p.act_lo);
        epilogue.hi = static_cast<float>(p.act_hi);
        if (pointwise && packed != nullptr) {
          sgemm_pack_b_by((*packed)[static_cast<size_t>(grp)], osize,
                          [&](int64_t pc, int64_t kc, int64_t j0, int64_t nc, int64_t nr, float* out) {
                            sgemm_pack_b_rows(xg, osize, pc, kc, j0, nc, nr, out);
                          },
                          0.f, yg, osize, &epilogue);
          continue;
        }
        if (!pointwise) {
          // The GEMM packs its im2col columns itself, a slice at a time, straight from the image.
          const SgemmPackB im2col_packer = [&](int64_t pc, int64_t kc, int64_t j0, int64_t nc, int64_t nr,
                                               float* out) { im2col_slice(g, xg, pc, kc, j0, nc, nr, out); };
          if (packed != nullptr) {
            sgemm_pack_b_by((*packed)[static_cast<size_t>(grp)], osize, im2col_packer, 0.f, yg, osize, &epilogue);
          } else {
            sgemm_pack_b_by(mg, osize, depth, 1.f, wg, depth, im2col_packer, 0.f, yg, osize, &epilogue);
          }
          continue;
        }
      }
      if (pointwise) {
        gemm(false, false, mg, osize, depth, T(1), wg, depth, xg, osize, T(0), yg, osize);
      } else {
        for (int64_t r0 = 0; r0 < rows; r0 += band) {
          const int64_t r1 = std::min(rows, r0 + band);
          const int64_t width = (r1 - r0) * row_len;
          im2col(g, xg, r0, r1, col.data());
          gemm(false, false, mg, width, depth, T(1), wg, depth, col.data(), width, T(0), yg + r0 * row_len, osize);
        }
      }
      add_channel_bias(bias ? bias + grp * mg : nullptr, mg, osize, yg);
      if (p.has_activation()) clamp_values(yg, mg * osize, p.act_lo, p.act_hi);
    }
  }
}

template <class T>
void conv_transpose_forward(const ConvParams& p, const T* x, const T* w, const T* bias, T* y) {
  const int64_t cg = p.in_channels / p.groups;
  const int64_t mg = p.out_channels / p.groups;
  const int64_t ksize = product(p.kernel);
  const int64_t isize = product(p.in_spatial);
  const int64_t osize = product(p.out_spatial);
  const int64_t rows = mg * ksize;
  // Roles swap: the output is the "image" and the input's pixels are the sliding positions.
  const ConvGeometry g = geometry(p, mg, p.out_spatial, p.in_spatial);
  std::vector<T> col(static_cast<size_t>(rows * isize));

  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t grp = 0; grp < p.groups; ++grp) {
      const T* xg = x + (n * p.in_channels + grp * cg) * isize;
      const T* wg = w + grp * cg * rows;
      T* yg = y + (n * p.out_channels + grp * mg) * osize;
      std::fill(yg, yg + mg * osize, T(0));
      add_channel_bias(bias ? bias + grp * mg : nullptr, mg, osize, yg);
      if (isize == 0 || rows == 0) continue;
      gemm(true, false, rows, isize, cg, T(1), wg, rows, xg, isize, T(0), col.data(), isize);
      col2im(g, col.data(), yg);
    }
  }
}

std::vector<PackedSgemmA> pack_conv_weights(int64_t groups, int64_t out_channels, int64_t depth, const float* w) {
  std::vector<PackedSgemmA> packed;
  const int64_t mg = out_channels / groups;
  for (int64_t grp = 0; grp < groups; ++grp) packed.push_back(pack_sgemm_a(mg, depth, w + grp * mg * depth, depth));
  return packed;
}

template void conv_forward<float>(const ConvParams&, const float*, const float*, const float*, float*);
template void conv_forward<double>(const ConvParams&, const double*, const double*, const double*, double*);
template void conv_transpose_forward<float>(const ConvParams&, const float*, const float*, const float*, float*);
template void conv_transpose_forward<double>(const ConvParams&, const double*, const double*, const double*, double*);

}  // namespace onnxi::kernels
