// Resize along one axis at a time (resizing is separable): a table gives, for every output
// coordinate, `taps` source coordinates and their weights; resize_axis applies it to a
// [outer, in_size, inner] block in float64. Nearest, linear, cubic and the antialiased filters
// differ only in their tables.
#pragma once

#include <cstdint>
#include <vector>

namespace onnxi::kernels {

enum class ResizeFilter { Nearest, Linear, Cubic };
// Simple: Resize-10 / Upsample behaviour (floor when upsampling, ceil when downsampling).
enum class NearestRounding { RoundPreferFloor, RoundPreferCeil, Floor, Ceil, Simple };
enum class ResizeCoordinates {
  HalfPixel, HalfPixelSymmetric, PytorchHalfPixel, AlignCorners, Asymmetric, TfCropAndResize,
  TfHalfPixelForNn,  // Resize-11/12 only: (x + 0.5) / scale
};

struct ResizeAxisParams {
  ResizeFilter filter = ResizeFilter::Nearest;
  NearestRounding rounding = NearestRounding::RoundPreferFloor;
  ResizeCoordinates coordinates = ResizeCoordinates::HalfPixel;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  bool antialias = false;  // widen linear/cubic filters by 1/scale when downsampling
  double scale = 1.0;      // output/input, as given (not recomputed from the integer sizes)
  int64_t in_size = 1;
  int64_t out_size = 1;
  double roi_start = 0.0;  // tf_crop_and_resize only: the crop box in normalized coordinates
  double roi_end = 1.0;
};

struct ResizeTable {
  int64_t taps = 0;
  std::vector<int64_t> index;        // out_size * taps source coordinates, clamped into range
  std::vector<double> weight;        // out_size * taps
  std::vector<uint8_t> extrapolate;  // out_size flags: take the extrapolation value instead
};

ResizeTable resize_table(const ResizeAxisParams& p);

// dst[o, x, i] = sum_t weight[x, t] * src[o, index[x, t], i] (or `extrapolation` where flagged).
// T: float or double (the accumulator type).
template <class T>
void resize_axis(const T* src, T* dst, int64_t outer, int64_t in_size, int64_t inner, const ResizeTable& table,
                 int64_t out_size, double extrapolation);

// For nearest tables: the one source coordinate each output takes, -1 where it extrapolates.
std::vector<int64_t> nearest_map(const ResizeTable& table, int64_t out_size);

}  // namespace onnxi::kernels
