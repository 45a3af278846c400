// Region-of-interest kernels over dense [batch, channels, height, width] images: RoiAlign,
// MaxRoiPool, and box selection by non-maximum suppression.
#pragma once

#include <cstdint>
#include <vector>

namespace onnxi::kernels {

struct RoiAlignParams {
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t pooled_height = 1;
  int64_t pooled_width = 1;
  int64_t sampling_ratio = 0;  // 0: ceil(roi size / pooled size) samples per bin and dim
  float spatial_scale = 1.f;
  bool half_pixel = true;      // shift the scaled box by -0.5 (else force it to at least 1x1)
  bool max_mode = false;       // max over the bin's samples (of their weighted corners) instead of the mean
};

// The most bilinear samples any bin of these boxes takes (grid_h * grid_w, saturating): callers
// bound it before roi_align, whose work and scratch grow with it.
template <class T>
int64_t roi_align_samples_per_bin(const RoiAlignParams& p, const T* rois, int64_t num_rois);

// y[r, c, ph, pw] pools bin (ph, pw) of box rois[r] = (x1, y1, x2, y2) in image batch_indices[r]
// by bilinear samples; batch indices must be valid. T: float or double.
template <class T>
void roi_align(const RoiAlignParams& p, const T* x, const T* rois, const int64_t* batch_indices, int64_t num_rois,
               T* y);

// Caffe-style max RoI pooling: rois[r] = (batch, x1, y1, x2, y2), corners rounded after scaling,
// bins of integer extent; an empty bin gives 0. Batch indices must be valid.
template <class T>
void max_roi_pool(const T* x, int64_t channels, int64_t height, int64_t width, const T* rois, int64_t num_rois,
                  int64_t pooled_height, int64_t pooled_width, float spatial_scale, T* y);

struct NmsParams {
  int64_t batches = 0;
  int64_t classes = 0;
  int64_t boxes = 0;
  int64_t max_per_class = 0;
  float iou_threshold = 0.f;
  bool has_score_threshold = false;
  float score_threshold = 0.f;
  bool center_point_box = false;  // boxes are (x_center, y_center, width, height), else (y1, x1, y2, x2)
};

// Greedy NMS per (batch, class): boxes [batches, boxes, 4], scores [batches, classes, boxes].
// Returns (batch, class, box) triples, flattened, in selection order (score descending, lower index
// first on ties). A box is suppressed when its IoU with a kept box exceeds iou_threshold; boxes
// scoring at or below score_threshold are never candidates.
std::vector<int64_t> non_max_suppression(const NmsParams& p, const float* boxes, const float* scores);

}  // namespace onnxi::kernels
