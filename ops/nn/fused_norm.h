// The float32 fast path shared by LayerNormalization / RMSNormalization (ops/nn/norms.cpp) and the
// com.onnxi normalizations the graph passes create (ops/nn/fused_norm.cpp).
#pragma once

#include "onnxi/registry.h"

namespace onnxi::ops::nn {

// Normalizes float32 X over its dims [axis, rank) with the fast row kernels (kernels/cpu/layer_norm.h)
// and sets output 0 (and, for LayerNorm, outputs 1 and 2, mean and inv_std_dev, when wanted).
// Returns false, having done nothing, when the case is not one it covers (a non-float32 tensor, a
// scale or bias that is not one value per normalized element or a single value): the caller then
// takes the general path.
bool try_fast_norm_f32(KernelContext& ctx, const Tensor& x, int64_t axis, const Tensor* scale, const Tensor* bias,
                       float epsilon, bool rms);

// com.onnxi LayerNormalization, RMSNormalization and SkipLayerNormalization.
void register_fused_norms(Registry& r);

}  // namespace onnxi::ops::nn
