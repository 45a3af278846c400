// Helpers shared by op families: ONNX index rules (axes, broadcasting) and inference shortcuts.
// Numeric loops do not belong here: they live in kernels/cpu/.
#pragma once

#include <string>
#include <vector>

#include "onnxi/registry.h"

namespace onnxi::ops {

// onnxi's own domain: fused ops the graph passes create (docs/OPERATORS.md lists them).
inline constexpr const char* kOnnxiDomain = "com.onnxi";

// Normalizes a possibly negative axis into [0, rank); an error naming the node when out of range.
int64_t normalize_axis(int64_t axis, int64_t rank, const Node& node, const char* what = "axis");
std::vector<int64_t> normalize_axes(const std::vector<int64_t>& axes, int64_t rank, const Node& node);

// Multidirectional (numpy) broadcasting of run-time shapes; a Runtime error naming the node when
// the shapes do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const Node& node);
// The same over inference dims: known dims must match or be 1; symbols pass through.
std::vector<Dim> broadcast_dims(const std::vector<Dim>& a, const std::vector<Dim>& b, const InferContext& ctx);

// Strides (in elements) of `shape` as seen from the broadcast `out_shape`: 0 along broadcast axes.
std::vector<int64_t> broadcast_strides(const Shape& shape, const Shape& out_shape);

// Inference: output `out` has input `in`'s type (element type and shape).
void infer_same_as_input(InferContext& ctx, size_t in = 0, size_t out = 0);
// Inference: all present inputs broadcast; output element type `elem` (Undefined: input 0's).
void infer_broadcast(InferContext& ctx, DataType elem = DataType::Undefined);

// Reads an optional integer input (axes, pads, shape...) as int64 values; `fallback` when absent.
std::vector<int64_t> int_input(const KernelContext& ctx, size_t i, std::vector<int64_t> fallback = {});

// Element types one opset range of an op accepts, and the "float, int8, ..." text for OpDef::types
// and error messages; shared by the op families that check types themselves.
using TypeList = std::vector<DataType>;
std::string type_list_string(const TypeList& types);
bool accepts(const TypeList& types, DataType t);
// The element type of input i when it is a tensor whose type is known at load, else Undefined.
DataType input_elem(const InferContext& ctx, size_t i);
// At load: an InvalidModel error naming the input and the accepted types when input i's element
// type is known and not in `types`.
void check_input_type(const InferContext& ctx, size_t i, const char* name, const TypeList& types);
// At run time: input i, after the same check.
const Tensor& typed_input(const KernelContext& ctx, size_t i, const char* name, const TypeList& types);

}  // namespace onnxi::ops
