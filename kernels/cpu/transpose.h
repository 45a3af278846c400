// Transpose: out[j] = in[perm applied], the permutation given as ONNX's perm (output axis k is input
// axis perm[k]). A strided copy underneath; elements are opaque byte blocks or strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace onnxi::kernels {

// Output shape is in_shape permuted by perm; `perm` must be a permutation of 0..rank-1.
void transpose(const void* src, void* dst, size_t elem_size, const std::vector<int64_t>& in_shape,
               const std::vector<int64_t>& perm);
void transpose(const std::string* src, std::string* dst, const std::vector<int64_t>& in_shape,
               const std::vector<int64_t>& perm);

}  // namespace onnxi::kernels
