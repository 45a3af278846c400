// Selection along one axis: the k largest or smallest elements (ONNX TopK) of an
// (outer, n, inner) view of a dense row-major tensor.
#pragma once

#include <cstdint>

namespace onnxi::kernels {

// values and indices are (outer, k, inner); 0 <= k <= n. The k elements come out sorted (largest
// first, or smallest first when !largest); equal values keep the smaller index first. NaN ranks
// above every number, so it leads a `largest` selection and trails a smallest one.
// Instantiated for float, double and every int width 8..64.
template <class T>
void top_k(const T* in, int64_t outer, int64_t n, int64_t inner, int64_t k, bool largest, T* values,
           int64_t* indices);
// float16 / bfloat16 bits (compared as float32; values are copied bit-exact).
void top_k_f16(const uint16_t* in, int64_t outer, int64_t n, int64_t inner, int64_t k, bool largest,
               uint16_t* values, int64_t* indices);
void top_k_bf16(const uint16_t* in, int64_t outer, int64_t n, int64_t inner, int64_t k, bool largest,
                uint16_t* values, int64_t* indices);

}  // namespace onnxi::kernels
