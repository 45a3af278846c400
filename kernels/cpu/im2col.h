// im2col / col2im for N-d convolution: the bridge that turns Conv into one GEMM per image and group.
//
// Layout: the image is [channels, image[0], ..., image[n-1]] (dense, row-major). The column matrix
// has one row per (channel, kernel offset), channel-major then kernel offsets row-major, and one
// column per sliding position (output spatial index, row-major). Positions outside the image read
// as zero (im2col) or are dropped (col2im).
#pragma once

#include <cstdint>
#include <vector>

namespace onnxi::kernels {

struct ConvGeometry {
  int64_t channels = 0;
  std::vector<int64_t> image;   // spatial dims of the image
  std::vector<int64_t> kernel;  // spatial dims of the kernel
  std::vector<int64_t> output;  // spatial dims of the sliding positions
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads_begin;

  int64_t image_size() const;   // product of image
  int64_t kernel_size() const;  // product of kernel
  int64_t output_size() const;  // product of output
  // Positions per output "row": the last output dim (1 for 0-d).
  int64_t row_length() const { return output.empty() ? 1 : output.back(); }
};

// Writes the columns of output rows [row_begin, row_end) (a row is row_length() consecutive
// positions) into `col`, a (channels * kernel_size) x ((row_end - row_begin) * row_length()) matrix.
template <class T>
void im2col(const ConvGeometry& g, const T* image, int64_t row_begin, int64_t row_end, T* col);

// Rows [pc, pc+kc) x columns [j0, j0+nc) of the same column matrix, written as GEMM panels nr
// columns wide (the SgemmPackB contract of kernels/cpu/gemm.h): a convolution's GEMM packs its
// columns straight from the image, one cache-sized slice at a time.
void im2col_slice(const ConvGeometry& g, const float* image, int64_t pc, int64_t kc, int64_t j0, int64_t nc, int64_t nr,
                  float* out);

// The adjoint of im2col over all positions: adds each column entry into the image pixel it was read
// from. `image` must be initialized (zero, or a bias).
template <class T>
void col2im(const ConvGeometry& g, const T* col, T* image);

}  // namespace onnxi::kernels
