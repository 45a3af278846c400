// The attention-extension family (ops/attention/): LinearAttention, CausalConvWithState and SwiGLU
// (ai.onnx 27/28) and FlexAttention (ai.onnx.preview 1). Attention itself lives in ops/nn. One
// register function per op file; register.cpp calls them all. Numeric loops: kernels/cpu/attention_ext.h.
//
// Narrow floats (float16, bfloat16) are widened to float32 for the kernels, which round
// intermediates back to the storage type where the ONNX reference does (see kernels::RoundFn).
#pragma once

#include <string>
#include <vector>

#include "kernels/cpu/attention_ext.h"
#include "onnxi/registry.h"
#include "ops/common.h"

namespace onnxi::ops::attention {

void register_linear_attention(Registry& r);  // linear_attention.cpp: LinearAttention
void register_causal_conv(Registry& r);       // causal_conv.cpp: CausalConvWithState
void register_swiglu(Registry& r);            // swiglu.cpp: SwiGLU
void register_flex_attention(Registry& r);    // flex_attention.cpp: FlexAttention (ai.onnx.preview)

// float16, bfloat16, float (+ double when `with_double`).
TypeList float_types(bool with_double);

// Inference: fails when input i's known rank is not `rank`.
void check_input_rank(const InferContext& ctx, size_t i, const char* name, size_t rank);
// Run time: input i, required to have element type `dtype` and rank `rank` (rank < 0: any).
const Tensor& input_like(const KernelContext& ctx, size_t i, const char* name, DataType dtype, int rank);

// Rounding to the storage precision of `t` for the kernels: nullptr for float and double.
kernels::RoundFn round_fn(DataType t) noexcept;

// Dim arithmetic for inference: unknown when any operand is.
Dim dim_div(const Dim& d, int64_t by);
Dim dim_mul(const Dim& d, int64_t by);

}  // namespace onnxi::ops::attention
