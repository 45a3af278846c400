// ops/quant: linear quantization (QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear) and the
// quantized products (MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv). register.cpp calls
// one function per op file; the helpers below are shared by them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kernels/cpu/quant.h"
#include "onnxi/registry.h"
#include "ops/common.h"

namespace onnxi::ops::quant {

void register_quantize_linear(Registry& r);           // quantize_linear.cpp
void register_dequantize_linear(Registry& r);         // dequantize_linear.cpp
void register_dynamic_quantize_linear(Registry& r);   // dynamic_quantize_linear.cpp
void register_quantized_matmul(Registry& r);          // quantized_matmul.cpp: MatMulInteger, QLinearMatMul
void register_quantized_conv(Registry& r);            // quantized_conv.cpp: ConvInteger, QLinearConv

// Both lists, a then b (TypeList and the checks on it: ops/common.h).
TypeList concat(TypeList a, const TypeList& b);

// Inference: output `out` has element type `elem` and input `like`'s dims (unranked when unknown).
void set_output_like(InferContext& ctx, size_t out, DataType elem, size_t like);

// A TensorProto.DataType attribute (output_dtype, precision): Undefined when absent or 0; reports
// through `fail` (which throws) a value that is not one of `allowed`.
DataType type_attr(const Node& node, const char* name, const TypeList& allowed,
                   const std::function<void(const std::string&)>& fail);

// The saturation range of an integer quantized type (uint8 ... int2); false for other types.
bool integer_range(DataType t, int32_t& lo, int32_t& hi) noexcept;

// Elements of any numeric tensor (packed and narrow floats included) widened to double / float.
std::vector<double> to_doubles(const Tensor& t);
std::vector<float> to_floats(const Tensor& t);

// Encodes n float values into a buffer of type `t`: float (copied), float16, bfloat16, a float8 or
// float4e2m1 (packed, low nibble first). `saturate` applies to float8 only (float4 has no infinity
// and always saturates); the others round to nearest even.
void encode_floats(DataType t, const float* q, int64_t n, bool saturate, void* out);

// Packs n small integers into an int4/uint4/int2/uint2 buffer, low bits first.
void pack_small_ints(const int8_t* values, int64_t n, int bits, uint8_t* out);

// How `scale` (and a zero point of the same shape) applies to x: per tensor when it holds one
// element, per axis when it is 1-D along `axis`, blocked when block_size > 0 and it has x's rank
// with ceil(x.shape[axis] / block_size) entries along axis. Anything else is a Runtime error naming
// the node and `scale_name`.
kernels::QuantGrid quant_grid(const KernelContext& ctx, const Shape& x, const Shape& scale, int64_t axis,
                              int64_t block_size, const char* scale_name);
// The same check without a context, for inference: false with `error` set when the shapes do not fit.
bool make_quant_grid(const Shape& x, const Shape& scale, int64_t axis, int64_t block_size, const char* scale_name,
                     kernels::QuantGrid& grid, std::string& error);
// A zero point must have its scale's shape (one element either way counts as per tensor: a scalar
// scale with a [1] zero point is common); a Runtime error naming both otherwise.
void check_zero_point_shape(const KernelContext& ctx, const Tensor& zero_point, const char* zp_name,
                            const Tensor& scale, const char* scale_name);

// The precision ONNX divides / multiplies scales in for a scale (or `precision` attribute) type:
// float16 and bfloat16 round each step, float32 too; int32 and double scales divide in float64,
// float8e8m0 (a power of two) in float32.
kernels::QuantPrecision precision_of(DataType t) noexcept;

}  // namespace onnxi::ops::quant
