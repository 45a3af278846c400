// Scatters: write update blocks to computed destination offsets, in order, optionally combining
// with what is there (ScatterElements / ScatterND reduction). Duplicate offsets apply one after
// another, so with no reduction the last update wins.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace onnxi::kernels {

enum class ScatterReduction { None, Add, Mul, Min, Max };

// dst block at element dst_offsets[i] (of `block` elements) = updates block i (combined by `r`).
// T: float, double and the 8..64-bit integer types; bool supports None, Add (or), Mul (and),
// Min (and), Max (or).
template <class T>
void scatter_blocks(T* dst, const int64_t* dst_offsets, int64_t count, int64_t block, const T* updates,
                    ScatterReduction r);

// Plain overwrite for any element type: byte blocks or strings.
void scatter_blocks_copy(void* dst, const int64_t* dst_offsets, int64_t count, int64_t block, const void* updates,
                         size_t elem_size);
void scatter_blocks_copy(std::string* dst, const int64_t* dst_offsets, int64_t count, int64_t block,
                         const std::string* updates);

}  // namespace onnxi::kernels
