// Strided element copies: the one loop behind Transpose, Expand, Tile, Slice, Concat, Split and the
// space/depth shuffles. Elements are opaque: fixed-size byte blocks (any numeric type) or
// std::string objects. Strides are in elements and may be 0 (broadcast) or negative (reversed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace onnxi::kernels {

// dst[i0..] at dst + sum(i_k * dst_strides[k]) = src at src + sum(i_k * src_strides[k]) for every
// index of `shape`. Source and destination must not overlap. elem_size: 1, 2, 4, 8 or 16 bytes.
void copy_strided(const void* src, const std::vector<int64_t>& src_strides, void* dst,
                  const std::vector<int64_t>& dst_strides, const std::vector<int64_t>& shape, size_t elem_size);
void copy_strided(const std::string* src, const std::vector<int64_t>& src_strides, std::string* dst,
                  const std::vector<int64_t>& dst_strides, const std::vector<int64_t>& shape);

// Row-major strides of a contiguous tensor of `shape`.
std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape);

// Fills `count` elements of `elem_size` bytes with the bytes at `value`.
void fill_elements(void* dst, int64_t count, const void* value, size_t elem_size);

}  // namespace onnxi::kernels
