// Helpers shared by the tensor-manipulation ops: element movement that hides the three storage
// kinds (fixed-size bytes, std::string, packed sub-byte fields) and small inference shortcuts.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ops/common.h"

namespace onnxi::ops::tensor {

// Type lists for the coverage table.
inline constexpr const char* kAllTypes = "all tensor types (numeric, bool, string, float8, int4)";
inline constexpr const char* kNumericTypes = "all numeric types, bool";

// Bytes per element of a byte-movable type (not string, not packed).
size_t element_size(DataType t);

// Packed sub-byte tensors (int4, float4, ...) are moved one byte per element: unpack, move, pack.
// unpack_elements returns non-packed tensors unchanged; pack_elements inverts it.
Tensor unpack_elements(const Tensor& t);
Tensor pack_elements(const Tensor& bytes, DataType packed_type);

// A contiguous copy of the view of `src` with `shape`, element `strides` (0 broadcasts, negative
// reverses) starting at element `offset`. Handles every element type.
Tensor strided_copy(const Tensor& src, const Shape& shape, const std::vector<int64_t>& strides, int64_t offset = 0);
// Copies the contiguous tensor `src` into the view of `dst` at `offset` with `strides`.
// `dst` must not be packed (unpack first).
void copy_into(const Tensor& src, Tensor& dst, int64_t offset, const std::vector<int64_t>& strides);
// Transposed copy (ONNX perm). Handles every element type.
Tensor transposed(const Tensor& src, const std::vector<int64_t>& perm);
// out block i = src block at element offsets[i]; `out_shape` holds offsets.size() * block elements.
// `src` must not be packed.
Tensor gather_blocks(const Tensor& src, const std::vector<int64_t>& offsets, int64_t block, Shape out_shape);

// Validates and normalizes an index value into [0, dim); `what` names it in the error.
int64_t checked_index(const KernelContext& ctx, int64_t index, int64_t dim, const char* what);

// A kernel factory for ops with nothing to prepare: fn(KernelContext&) runs every time.
template <class Fn>
OpDef::CreateFn kernel_of(Fn fn) {
  return [fn](const KernelInit&) { return make_kernel(fn); };
}

// ---- inference -----------------------------------------------------------------------------
// The input's dims when it is a tensor of known rank.
const std::vector<Dim>* known_dims(const InferContext& ctx, size_t i);
DataType input_elem(const InferContext& ctx, size_t i);
// Values of a constant integer input (initializer or Constant); nullopt when unknown at load.
std::optional<std::vector<int64_t>> constant_ints(const InferContext& ctx, size_t i);
// A fresh symbol for a data-dependent size (an unknown dim when the context makes no symbols).
Dim fresh(const InferContext& ctx, const std::string& hint);
// A tensor of `rank` fresh dims (data-dependent or not inferable sizes).
TypeInfo fresh_tensor(const InferContext& ctx, DataType elem, int64_t rank, const std::string& hint = "d");
// Runs the kernel body `fn` at load when every present input is a constant with at most
// `max_elements` elements, and records the outputs as constants (with their exact types). Shape
// arithmetic (Shape -> Gather -> Concat -> Reshape) then folds, so inference downstream sees values.
// Returns false (changing nothing) when an input is not constant or the kernel fails.
bool fold_constants(InferContext& ctx, const std::function<void(KernelContext&)>& fn, int64_t max_elements = 4096);
// Dims from concrete sizes.
std::vector<Dim> known(const Shape& shape);

}  // namespace onnxi::ops::tensor
