// The tensor-manipulation family (ops/tensor/): one register function per op file, all called from
// register.cpp's register_tensor.
#pragma once

#include "onnxi/registry.h"

namespace onnxi::ops::tensor {

void register_reshape(Registry& r);    // reshape.cpp: Reshape, Flatten, Squeeze, Unsqueeze, Identity
void register_shape(Registry& r);      // shape.cpp: Shape, Size, Constant, ConstantOfShape
void register_transpose(Registry& r);  // transpose.cpp: Transpose, DepthToSpace, SpaceToDepth
void register_concat(Registry& r);     // concat.cpp: Concat, Split
void register_expand(Registry& r);     // expand.cpp: Expand, Tile
void register_slice(Registry& r);      // slice.cpp: Slice
void register_gather(Registry& r);     // gather.cpp: Gather, GatherElements, GatherND, Compress
void register_scatter(Registry& r);    // scatter.cpp: Scatter, ScatterElements, ScatterND, TensorScatter
void register_pad(Registry& r);        // pad.cpp: Pad, CenterCropPad
void register_resize(Registry& r);     // resize.cpp: Resize, Upsample
void register_generate(Registry& r);   // generate.cpp: Range, EyeLike, OneHot, Trilu
void register_select(Registry& r);     // select.cpp: NonZero, ReverseSequence, Unique
void register_col2im(Registry& r);     // col2im.cpp: Col2Im

// GatherND's index resolution, shared with ScatterND: element offsets of each index tuple over a
// tensor of shape `data`; `block` gets the elements each tuple addresses.
std::vector<int64_t> scatter_nd_offsets(const KernelContext& ctx, const Shape& data, const Tensor& indices,
                                        int64_t& block);

}  // namespace onnxi::ops::tensor
