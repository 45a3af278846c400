// Gathers: copy blocks or single elements from computed source offsets. The op turns ONNX's index
// tensors into element offsets (validated, non-negative); these loops only move data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace onnxi::kernels {

// dst block i (of `block` elements) = src block starting at element src_offsets[i].
void gather_blocks(const void* src, const int64_t* src_offsets, int64_t count, int64_t block, void* dst,
                   size_t elem_size);
void gather_blocks(const std::string* src, const int64_t* src_offsets, int64_t count, int64_t block,
                   std::string* dst);

// GatherElements: for each index position p of `index_shape`, dst[p] = src[p with axis coordinate
// replaced by indices[p]]. Indices must already be in [0, src_shape[axis]).
void gather_elements(const void* src, const std::vector<int64_t>& src_shape, const int64_t* indices,
                     const std::vector<int64_t>& index_shape, int64_t axis, void* dst, size_t elem_size);
void gather_elements(const std::string* src, const std::vector<int64_t>& src_shape, const int64_t* indices,
                     const std::vector<int64_t>& index_shape, int64_t axis, std::string* dst);

// Element offsets of GatherElements/ScatterElements: offsets[p] = flat offset into a tensor of
// `data_shape` of index position p with its axis coordinate replaced by indices[p].
std::vector<int64_t> element_offsets(const std::vector<int64_t>& data_shape, const int64_t* indices,
                                     const std::vector<int64_t>& index_shape, int64_t axis);

}  // namespace onnxi::kernels
