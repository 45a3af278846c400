// The vision family (ops/vision/): sampling (GridSample, AffineGrid, DeformConv), region pooling
// (RoiAlign, MaxRoiPool) and NonMaxSuppression. One register function per op file; register.cpp
// calls them all. Numeric work lives in kernels/cpu/vision_*.h.
#pragma once

#include <string>
#include <vector>

#include "onnxi/registry.h"

namespace onnxi::ops::vision {

void register_grid_sample(Registry& r);  // grid_sample.cpp: GridSample
void register_affine_grid(Registry& r);  // affine_grid.cpp: AffineGrid
void register_roi(Registry& r);          // roi.cpp: RoiAlign, MaxRoiPool
void register_nms(Registry& r);          // nms.cpp: NonMaxSuppression
void register_deform_conv(Registry& r);  // deform_conv.cpp: DeformConv

// Element types one opset range of an op accepts, and the "float, double, ..." text for OpDef::types.
using TypeList = std::vector<DataType>;
TypeList float_types(int since, int bf16_since);  // float16, float, double (+ bfloat16 from bf16_since)
std::string type_list_string(const TypeList& types);
bool accepts(const TypeList& types, DataType t);

// The element type of input i in inference, Undefined when unknown.
DataType input_elem(const InferContext& ctx, size_t i);
// Inference: fails when input i's known element type is not in `types`.
void check_input_type(const InferContext& ctx, size_t i, const char* name, const TypeList& types);
// Run time: input i, required to have one of `types`; the error names the node and input.
const Tensor& typed_input(const KernelContext& ctx, size_t i, const char* name, const TypeList& types);

// Any numeric tensor as float32 or float64 (`to`): the same tensor when it already is.
Tensor to_compute(const Tensor& t, DataType to);
// A float32/float64 result stored as `target` (narrow floats round to nearest even; integers
// truncate toward zero, as a C cast does): the same tensor when no conversion is needed.
Tensor from_compute(const Tensor& t, DataType target);

}  // namespace onnxi::ops::vision
