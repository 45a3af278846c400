// RoiAlign, MaxRoiPool and non-maximum suppression. RoiAlign precomputes, per box, the four corner
// offsets and weights of every bilinear sample (they are the same for all channels), following the
// operation order of the ONNX reference so float32 results agree to the last bits.
#include "kernels/cpu/vision_roi.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

template <class T>
struct Sample {
  int64_t pos[4];
  T w[4];
};

// Bilinear samples of one box, bin-major: for each (ph, pw), grid_h * grid_w samples.
template <class T>
void roi_samples(const RoiAlignParams& p, T start_h, T start_w, T bin_h, T bin_w, int64_t grid_h, int64_t grid_w,
                 std::vector<Sample<T>>& out) {
  const T height = static_cast<T>(p.height), width = static_cast<T>(p.width);
  out.clear();
  for (int64_t ph = 0; ph < p.pooled_height; ++ph) {
    for (int64_t pw = 0; pw < p.pooled_width; ++pw) {
      for (int64_t iy = 0; iy < grid_h; ++iy) {
        const T yy = start_h + static_cast<T>(ph) * bin_h +
                     (static_cast<T>(iy) + T(0.5)) * bin_h / static_cast<T>(grid_h);
        for (int64_t ix = 0; ix < grid_w; ++ix) {
          const T xx = start_w + static_cast<T>(pw) * bin_w +
                       (static_cast<T>(ix) + T(0.5)) * bin_w / static_cast<T>(grid_w);
          Sample<T> s{};
          // A sample beyond one pixel outside the image contributes nothing.
          if (!(yy >= T(-1) && yy <= height && xx >= T(-1) && xx <= width)) {
            out.push_back(s);
            continue;
          }
          T y = std::max(yy, T(0)), x = std::max(xx, T(0));
          int64_t y_low = static_cast<int64_t>(y), x_low = static_cast<int64_t>(x), y_high, x_high;
          if (y_low >= p.height - 1) {
            y_high = y_low = p.height - 1;
            y = static_cast<T>(y_low);
          } else {
            y_high = y_low + 1;
          }
          if (x_low >= p.width - 1) {
            x_high = x_low = p.width - 1;
            x = static_cast<T>(x_low);
          } else {
            x_high = x_low + 1;
          }
          const T ly = y - static_cast<T>(y_low), lx = x - static_cast<T>(x_low);
          const T hy = T(1) - ly, hx = T(1) - lx;
          s.pos[0] = y_low * p.width + x_low;
          s.pos[1] = y_low * p.width + x_high;
          s.pos[2] = y_high * p.width + x_low;
          s.pos[3] = y_high * p.width + x_high;
          s.w[0] = hy * hx;
          s.w[1] = hy * lx;
          s.w[2] = ly * hx;
          s.w[3] = ly * lx;
          out.push_back(s);
        }
      }
    }
  }
}

// Samples per bin along one dim: the sampling ratio, or ceil of the bin's extent (0 for an empty
// or inverted box). Saturates instead of overflowing for absurd extents.
template <class T>
int64_t sample_grid(int64_t sampling_ratio, T bin_extent) {
  if (sampling_ratio > 0) return sampling_ratio;
  const T c = std::ceil(bin_extent);
  if (!(c >= T(1))) return 0;
  return c < T(1e15) ? static_cast<int64_t>(c) : int64_t{1000000000000000};
}

// The box in image coordinates and its bin sizes.
template <class T>
struct RoiBox {
  T start_h, start_w, bin_h, bin_w;
};

template <class T>
RoiBox<T> roi_box(const RoiAlignParams& p, const T* box) {
  const T scale = static_cast<T>(p.spatial_scale);
  const T offset = p.half_pixel ? T(0.5) : T(0);
  const T start_w = box[0] * scale - offset, start_h = box[1] * scale - offset;
  const T end_w = box[2] * scale - offset, end_h = box[3] * scale - offset;
  T roi_w = end_w - start_w, roi_h = end_h - start_h;
  if (!p.half_pixel) {
    roi_w = std::max(roi_w, T(1));  // malformed boxes become 1x1
    roi_h = std::max(roi_h, T(1));
  }
  return {start_h, start_w, roi_h / static_cast<T>(p.pooled_height), roi_w / static_cast<T>(p.pooled_width)};
}

}  // namespace

template <class T>
int64_t roi_align_samples_per_bin(const RoiAlignParams& p, const T* rois, int64_t num_rois) {
  int64_t most = 0;
  for (int64_t r = 0; r < num_rois; ++r) {
    const RoiBox<T> b = roi_box(p, rois + r * 4);
    const int64_t gh = sample_grid(p.sampling_ratio, b.bin_h), gw = sample_grid(p.sampling_ratio, b.bin_w);
    const int64_t n = gh > 0 && gw > std::numeric_limits<int64_t>::max() / gh ? std::numeric_limits<int64_t>::max()
                                                                                 : gh * gw;
    most = std::max(most, n);
  }
  return most;
}

template int64_t roi_align_samples_per_bin<float>(const RoiAlignParams&, const float*, int64_t);
template int64_t roi_align_samples_per_bin<double>(const RoiAlignParams&, const double*, int64_t);

template <class T>
void roi_align(const RoiAlignParams& p, const T* x, const T* rois, const int64_t* batch_indices, int64_t num_rois,
               T* y) {
  const int64_t plane = p.height * p.width, bins = p.pooled_height * p.pooled_width;
  if (p.height <= 0 || p.width <= 0) {
    std::fill(y, y + num_rois * p.channels * bins, T(0));
    return;
  }
  parallel_for(0, num_rois, 1, [&](int64_t begin, int64_t end) {
    std::vector<Sample<T>> samples;
    for (int64_t r = begin; r < end; ++r) {
      // Sample counts are bounded by the caller (roi_align_samples_per_bin).
      const RoiBox<T> box = roi_box(p, rois + r * 4);
      const int64_t grid_h = sample_grid(p.sampling_ratio, box.bin_h);
      const int64_t grid_w = sample_grid(p.sampling_ratio, box.bin_w);
      const T count = static_cast<T>(std::max<int64_t>(grid_h * grid_w, 1));
      roi_samples(p, box.start_h, box.start_w, box.bin_h, box.bin_w, grid_h, grid_w, samples);
      const int64_t per_bin = grid_h * grid_w;
      for (int64_t c = 0; c < p.channels; ++c) {
        const T* img = x + (batch_indices[r] * p.channels + c) * plane;
        T* out = y + (r * p.channels + c) * bins;
        for (int64_t b = 0; b < bins; ++b) {
          const Sample<T>* s = samples.data() + b * per_bin;
          T acc = T(0);
          if (!p.max_mode) {
            for (int64_t i = 0; i < per_bin; ++i) {
              acc += s[i].w[0] * img[s[i].pos[0]] + s[i].w[1] * img[s[i].pos[1]] + s[i].w[2] * img[s[i].pos[2]] +
                     s[i].w[3] * img[s[i].pos[3]];
            }
            acc /= count;
          } else {
            for (int64_t i = 0; i < per_bin; ++i) {
              const T v = std::max(std::max(s[i].w[0] * img[s[i].pos[0]], s[i].w[1] * img[s[i].pos[1]]),
                                   std::max(s[i].w[2] * img[s[i].pos[2]], s[i].w[3] * img[s[i].pos[3]]));
              acc = i == 0 ? v : std::max(acc, v);
            }
          }
          out[b] = acc;
        }
      }
    }
  });
}

template void roi_align<float>(const RoiAlignParams&, const float*, const float*, const int64_t*, int64_t, float*);
template void roi_align<double>(const RoiAlignParams&, const double*, const double*, const int64_t*, int64_t,
                                double*);

template <class T>
void max_roi_pool(const T* x, int64_t channels, int64_t height, int64_t width, const T* rois, int64_t num_rois,
                  int64_t pooled_height, int64_t pooled_width, float spatial_scale, T* y) {
  const int64_t plane = height * width, bins = pooled_height * pooled_width;
  const double scale = spatial_scale;
  for (int64_t r = 0; r < num_rois; ++r) {
    const T* box = rois + r * 5;
    const int64_t batch = static_cast<int64_t>(box[0]);
    // Corners far outside the image only matter through the clamping below.
    const auto corner = [&](T v) {
      const double c = std::round(static_cast<double>(v) * scale);
      return std::isnan(c) ? int64_t{0} : static_cast<int64_t>(std::clamp(c, -1e15, 1e15));
    };
    const int64_t start_w = corner(box[1]), start_h = corner(box[2]);
    const int64_t end_w = corner(box[3]), end_h = corner(box[4]);
    const int64_t roi_h = std::max<int64_t>(end_h - start_h + 1, 1), roi_w = std::max<int64_t>(end_w - start_w + 1, 1);
    const double bin_h = static_cast<double>(roi_h) / static_cast<double>(pooled_height);
    const double bin_w = static_cast<double>(roi_w) / static_cast<double>(pooled_width);
    for (int64_t c = 0; c < channels; ++c) {
      const T* img = x + (batch * channels + c) * plane;
      T* out = y + (r * channels + c) * bins;
      for (int64_t ph = 0; ph < pooled_height; ++ph) {
        const int64_t h0 = std::clamp<int64_t>(static_cast<int64_t>(std::floor(ph * bin_h)) + start_h, 0, height);
        const int64_t h1 = std::clamp<int64_t>(static_cast<int64_t>(std::ceil((ph + 1) * bin_h)) + start_h, 0, height);
        for (int64_t pw = 0; pw < pooled_width; ++pw) {
          const int64_t w0 = std::clamp<int64_t>(static_cast<int64_t>(std::floor(pw * bin_w)) + start_w, 0, width);
          const int64_t w1 =
              std::clamp<int64_t>(static_cast<int64_t>(std::ceil((pw + 1) * bin_w)) + start_w, 0, width);
          if (h1 <= h0 || w1 <= w0) {
            out[ph * pooled_width + pw] = T(0);
            continue;
          }
          T m = std::numeric_limits<T>::lowest();
          for (int64_t h = h0; h < h1; ++h) {
            for (int64_t w = w0; w < w1; ++w) m = std::max(m, img[h * width + w]);
          }
          out[ph * pooled_width + pw] = m;
        }
      }
    }
  }
}

template void max_roi_pool<float>(const float*, int64_t, int64_t, int64_t, const float*, int64_t, int64_t, int64_t,
                                  float, float*);
template void max_roi_pool<double>(const double*, int64_t, int64_t, int64_t, const double*, int64_t, int64_t,
                                   int64_t, float, double*);

namespace {

struct Extent {
  float x_min, x_max, y_min, y_max;
};

Extent box_extent(const float* b, bool center_point) {
  if (center_point) {
    const float hw = b[2] / 2, hh = b[3] / 2;
    return {b[0] - hw, b[0] + hw, b[1] - hh, b[1] + hh};
  }
  // Corners may come in either order.
  return {std::min(b[1], b[3]), std::max(b[1], b[3]), std::min(b[0], b[2]), std::max(b[0], b[2])};
}

bool suppresses(const Extent& a, const Extent& b, float iou_threshold) {
  const float ix_min = std::max(a.x_min, b.x_min), ix_max = std::min(a.x_max, b.x_max);
  if (ix_max <= ix_min) return false;
  const float iy_min = std::max(a.y_min, b.y_min), iy_max = std::min(a.y_max, b.y_max);
  if (iy_max <= iy_min) return false;
  const float inter = (ix_max - ix_min) * (iy_max - iy_min);
  const float area_a = (a.x_max - a.x_min) * (a.y_max - a.y_min);
  const float area_b = (b.x_max - b.x_min) * (b.y_max - b.y_min);
  const float uni = area_a + area_b - inter;
  if (!(inter > 0.f) || !(area_a > 0.f) || !(area_b > 0.f) || !(uni > 0.f)) return false;
  return inter / uni > iou_threshold;
}

}  // namespace

std::vector<int64_t> non_max_suppression(const NmsParams& p, const float* boxes, const float* scores) {
  std::vector<int64_t> result;
  if (p.max_per_class <= 0) return result;
  std::vector<int64_t> order;
  std::vector<Extent> kept;
  for (int64_t b = 0; b < p.batches; ++b) {
    const float* batch_boxes = boxes + b * p.boxes * 4;
    for (int64_t c = 0; c < p.classes; ++c) {
      const float* s = scores + (b * p.classes + c) * p.boxes;
      order.clear();
      for (int64_t i = 0; i < p.boxes; ++i) {
        if (!p.has_score_threshold || s[i] > p.score_threshold) order.push_back(i);
      }
      // Descending score, NaN last (a strict weak order even with NaN); stable keeps lower indices first.
      std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) {
        const bool nan_i = std::isnan(s[i]), nan_j = std::isnan(s[j]);
        if (nan_i || nan_j) return !nan_i && nan_j;
        return s[i] > s[j];
      });
      kept.clear();
      for (int64_t i : order) {
        if (static_cast<int64_t>(kept.size()) >= p.max_per_class) break;
        const Extent e = box_extent(batch_boxes + i * 4, p.center_point_box);
        bool keep = true;
        for (const Extent& k : kept) {
          if (suppresses(e, k, p.iou_threshold)) {
            keep = false;
            break;
          }
        }
        if (!keep) continue;
        kept.push_back(e);
        result.insert(result.end(), {b, c, i});
      }
    }
  }
  return result;
}

}  // namespace onnxi::kernels
