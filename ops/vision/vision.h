// The vision family (ops/vision/): sampling (GridSample, AffineGrid, DeformConv), region pooling
// (RoiAlign, MaxRoiPool) and NonMaxSuppression. One register function per op file; register.cpp
// calls them all. Numeric work lives in kernels/cpu/vision_*.h.
#pragma once

#include <string>
#include <vector>

#include "onnxi/registry.h"
#include "ops/common.h"

namespace onnxi::ops::vision {

void register_grid_sample(Registry& r);  // grid_sample.cpp: GridSample
void register_affine_grid(Registry& r);  // affine_grid.cpp: AffineGrid
void register_roi(Registry& r);          // roi.cpp: RoiAlign, MaxRoiPool
void register_nms(Registry& r);          // nms.cpp: NonMaxSuppression
void register_deform_conv(Registry& r);  // deform_conv.cpp: DeformConv

// The float types of an op version (TypeList and the checks on it: ops/common.h).
TypeList float_types(int since, int bf16_since);  // float16, float, double (+ bfloat16 from bf16_since)

// Any numeric tensor as float32 or float64 (`to`): the same tensor when it already is.
Tensor to_compute(const Tensor& t, DataType to);
// A float32/float64 result stored as `target` (narrow floats round to nearest even; integers
// truncate toward zero, as a C cast does): the same tensor when no conversion is needed.
Tensor from_compute(const Tensor& t, DataType target);

}  // namespace onnxi::ops::vision
