// Shared plumbing of the math ops: element-type dispatch, float16/bfloat16 widening, the legacy
// (opset < 7) broadcast rule and small OpDef builders.
#pragma once

#include <string>
#include <vector>

#include "kernels/cpu/elementwise.h"
#include "onnxi/registry.h"

namespace onnxi::ops::math {

template <class T>
struct Tag {
  using type = T;
};

// Calls f(Tag<T>{}) for the C++ type computing `t`: float, double, the integer widths and bool.
// float16/bfloat16 are not here: callers widen them to float first (see compute_type).
template <class F>
void visit_compute_type(DataType t, const KernelContext& ctx, F&& f) {
  switch (t) {
    case DataType::Float: return f(Tag<float>{});
    case DataType::Double: return f(Tag<double>{});
    case DataType::Int8: return f(Tag<int8_t>{});
    case DataType::Int16: return f(Tag<int16_t>{});
    case DataType::Int32: return f(Tag<int32_t>{});
    case DataType::Int64: return f(Tag<int64_t>{});
    case DataType::UInt8: return f(Tag<uint8_t>{});
    case DataType::UInt16: return f(Tag<uint16_t>{});
    case DataType::UInt32: return f(Tag<uint32_t>{});
    case DataType::UInt64: return f(Tag<uint64_t>{});
    case DataType::Bool: return f(Tag<bool>{});
    default:
      ctx.fail(cat("element type ", dtype_name(t), " is not supported by this op"));
  }
}

// float16 and bfloat16 compute as float32 and round back; every other type computes as itself.
bool widens_to_f32(DataType t) noexcept;
DataType compute_type(DataType t) noexcept;
// `t` converted to its compute type (the same tensor when no conversion is needed).
Tensor to_compute(const Tensor& t);
// A buffer in `out`'s compute type: `out` itself, or a float32 scratch tensor of the same shape.
Tensor compute_buffer(const Tensor& out);
// Rounds a float32 scratch buffer into `out` (no-op when `buffer` is `out`).
void store_computed(const Tensor& buffer, Tensor& out);
// Any numeric tensor as float64 / integer tensor as int64 (exact).
Tensor to_f64(const Tensor& t);
Tensor to_i64(const Tensor& t);

// Element-type families as a kernel sees them.
bool is_float_like(DataType t) noexcept;  // float, double, float16, bfloat16
bool is_plain_integer(DataType t) noexcept;  // int8..int64, uint8..uint64 (no packed types)

// Fails naming the node, the input and the accepted types.
[[noreturn]] void fail_type(const KernelContext& ctx, size_t input, DataType t, const std::string& accepted);
// Input i's tensor, required to have the same element type as input 0.
const Tensor& same_type_input(const KernelContext& ctx, size_t i);

// Opset < 7 binary ops broadcast only B onto A, starting at `axis` (suffix matching by default), and
// only with broadcast=1. Returns B's shape as an A-rank shape for numpy-style broadcasting.
Shape legacy_broadcast_shape(const KernelContext& ctx, const Shape& a, const Shape& b, bool broadcast,
                             bool has_axis, int64_t axis);

// The legacy rule as read from a node's attributes.
struct LegacyBroadcast {
  bool enabled = false;  // the node is from opset < 7
  bool broadcast = false;
  bool has_axis = false;
  int64_t axis = 0;

  static LegacyBroadcast from(const KernelInit& init);
  // B reshaped so numpy broadcasting reproduces the legacy rule (B itself from opset 7 on).
  Tensor apply(const KernelContext& ctx, const Tensor& a, const Tensor& b) const;
};

// A plan for the numpy broadcast of the inputs' shapes to `out`.
kernels::BroadcastPlan plan_for(const std::vector<const Tensor*>& inputs, const Shape& out);

// Whether kernels::binary implements `op` for element type `t` (float16/bfloat16 via float).
bool binary_accepts(kernels::BinaryOp op, DataType t) noexcept;
// out = op(a, b) with numpy broadcasting to out's shape; a and b share out's element type.
// float16/bfloat16 compute through float32.
void binary_into(const KernelContext& ctx, kernels::BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out);

bool unary_accepts(kernels::UnaryOp op, DataType t) noexcept;
// Output 0 = op(input 0), same type and shape; `types` names the accepted types in errors.
void compute_unary(KernelContext& ctx, kernels::UnaryOp op, const kernels::UnaryParams& p, const char* types);
// Reads an op's parameters from its attributes once, at kernel creation.
using UnaryParamsFn = kernels::UnaryParams (*)(const KernelInit&);
OpDef::CreateFn unary_create(kernels::UnaryOp op, const char* types, UnaryParamsFn params = nullptr);

// Inference: output 0 has input `in`'s shape and element type `elem`.
void infer_same_shape(InferContext& ctx, DataType elem, size_t in = 0);

// One OpDef; `types` lists the element types for docs and error messages.
OpDef make_def(const char* op_type, int since, int last, OpDef::InferFn infer, OpDef::CreateFn create,
               const char* types);

// Type lists of the schemas (latest version).
inline constexpr const char* kFloatTypes = "float, double, float16, bfloat16";
inline constexpr const char* kNumericTypes =
    "float, double, float16, bfloat16, int8, int16, int32, int64, uint8, uint16, uint32, uint64";
inline constexpr const char* kIntegerTypes = "int8, int16, int32, int64, uint8, uint16, uint32, uint64";

}  // namespace onnxi::ops::math
