// The ai.onnx neural-network family: matrix products, convolution, pooling, normalization,
// softmax, attention. Each op file registers its opset ranges through one function below;
// register.cpp calls them all. The shared plumbing (float widening, typed dispatch) is here too.
#pragma once

#include <string>
#include <utility>

#include "onnxi/registry.h"
#include "ops/common.h"

namespace onnxi::ops::nn {

void register_gemm(Registry& r);              // Gemm
void register_matmul(Registry& r);            // MatMul
void register_fused_matmul(Registry& r);      // com.onnxi FusedMatMul (fused_matmul.cpp)
// MatMul's product of any of its element types (matmul.cpp); FusedMatMul's path for non-float32.
Tensor matmul_tensors(const KernelContext& ctx, const Tensor& A, const Tensor& B);
void register_conv(Registry& r);              // Conv
void register_conv_nchwc(Registry& r);        // com.onnxi ReorderInput/Output, NchwcConv, NchwcMaxPool/AveragePool
void register_conv_transpose(Registry& r);    // ConvTranspose
void register_pool(Registry& r);              // MaxPool, AveragePool, LpPool
void register_global_pool(Registry& r);       // GlobalAveragePool, GlobalMaxPool, GlobalLpPool, MaxUnpool
void register_batchnorm(Registry& r);         // BatchNormalization
void register_norms(Registry& r);             // Instance/Layer/Group/RMS normalization
void register_norms_misc(Registry& r);        // MeanVarianceNormalization, LpNormalization, LRN
void register_softmax(Registry& r);           // Softmax, LogSoftmax, Hardmax
void register_dropout(Registry& r);           // Dropout
void register_einsum(Registry& r);            // Einsum
void register_det(Registry& r);               // Det
void register_attention(Registry& r);         // Attention
void register_rotary_embedding(Registry& r);  // RotaryEmbedding

// ---- element types ---------------------------------------------------------------------------

inline constexpr const char* kFloatTypes = "float, double, float16, bfloat16";

// float, double, float16, bfloat16: the types the NN schemas compute on.
bool is_nn_float(DataType t) noexcept;
// Kernels run in double for double and in float for the others (float16/bfloat16 widen).
DataType compute_type(DataType t) noexcept;
// `t` in its compute type: the same tensor for float/double, a float32 copy for float16/bfloat16.
Tensor widen(const Tensor& t);
// A compute-type result stored as `target`: the same tensor when no rounding is needed.
Tensor narrow(const Tensor& t, DataType target);

// Any float tensor converted to float type `to` (float, double, float16, bfloat16): the same tensor
// when it already has that type.
Tensor convert_float(const Tensor& t, DataType to);

// Calls fn(float{}) or fn(double{}) for compute type `t` (Float or Double).
template <class Fn>
decltype(auto) with_compute_type(DataType t, Fn&& fn) {
  if (t == DataType::Double) return fn(double{});
  return fn(float{});
}

// Input i, required to be one of the NN float types; fails naming the node and input otherwise.
const Tensor& float_input(const KernelContext& ctx, size_t i);
// Input i, required to have element type `dtype` (that of input 0, typically).
const Tensor& input_of_type(const KernelContext& ctx, size_t i, DataType dtype);

// Inference: output 0 has input 0's type.
void infer_identity(InferContext& ctx);
// Inference helper: the element type of input i, Undefined when unknown.

// One OpDef in the default domain.
OpDef make_def(const char* op_type, int since, int last, OpDef::InferFn infer, OpDef::CreateFn create,
               const char* types = kFloatTypes);

}  // namespace onnxi::ops::nn
