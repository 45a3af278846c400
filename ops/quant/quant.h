// ops/quant: linear quantization (QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear) and the
// quantized products (MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv). register.cpp calls
// one function per op file; the helpers below are shared by them.
#pragma once

#include <string>
#include <vector>

#include "kernels/cpu/quant.h"
#include "onnxi/registry.h"

namespace onnxi::ops::quant {

void register_quantize_linear(Registry& r);           // quantize_linear.cpp
void register_dequantize_linear(Registry& r);         // dequantize_linear.cpp
void register_dynamic_quantize_linear(Registry& r);   // dynamic_quantize_linear.cpp
void register_quantized_matmul(Registry& r);          // quantized_matmul.cpp: MatMulInteger, QLinearMatMul
void register_quantized_conv(Registry& r);            // quantized_conv.cpp: ConvInteger, QLinearConv

bool is_float8(DataType t) noexcept;  // the four float8 kinds quantization targets (not e8m0)
// The saturation range of an integer quantized type (uint8 ... int2); false for other types.
bool integer_range(DataType t, int32_t& lo, int32_t& hi) noexcept;

// Elements of any numeric tensor (packed and narrow floats included) widened to double / float.
std::vector<double> to_doubles(const Tensor& t);
std::vector<float> to_floats(const Tensor& t);

// Encodes n float values into a float8 / float4e2m1 buffer of type `t` (float4 packed, low nibble
// first); `saturate` applies to float8 only (float4 has no infinity and always saturates).
void encode_floats(DataType t, const float* q, int64_t n, bool saturate, void* out);

// Packs n small integers into an int4/uint4/int2/uint2 buffer, low bits first.
void pack_small_ints(const int8_t* values, int64_t n, int bits, uint8_t* out);

// How `scale` (and a zero point of the same shape) applies to x: per tensor when it holds one
// element, per axis when it is 1-D along `axis`, blocked when block_size > 0 and it has x's rank
// with ceil(x.shape[axis] / block_size) entries along axis. Anything else is a Runtime error naming
// the node and `scale_name`.
kernels::QuantGrid quant_grid(const KernelContext& ctx, const Shape& x, const Shape& scale, int64_t axis,
                              int64_t block_size, const char* scale_name);

// The message for an input whose element type the op's version does not take (the node label is
// added by ctx.fail).
std::string type_rejected(const char* input, DataType got, const char* accepted);

}  // namespace onnxi::ops::quant
