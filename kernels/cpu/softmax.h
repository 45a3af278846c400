// Softmax family along one axis of a tensor viewed as [outer, n, inner] (row-major): the axis has
// length n and stride inner. Rows are independent and processed in parallel.
#pragma once

#include <cstdint>

namespace onnxi::kernels {

// y = exp(x - max) / sum(exp(x - max)). A row that is all -inf gives NaN, as the formula does.
template <class T>
void softmax(const T* x, T* y, int64_t outer, int64_t n, int64_t inner);

// y = x - max - log(sum(exp(x - max))).
template <class T>
void log_softmax(const T* x, T* y, int64_t outer, int64_t n, int64_t inner);

// 1 at the first maximum of each row, 0 elsewhere.
template <class T>
void hardmax(const T* x, T* y, int64_t outer, int64_t n, int64_t inner);

// In place over one contiguous row of n scores: softmax that tolerates rows whose entries are all
// -inf (the result is all 0 instead of NaN), as attention needs for fully masked queries.
template <class T>
void softmax_row_masked(T* row, int64_t n);

// Float rows of one ISA (softmax_impl.h, one template instantiated in softmax__avx512.cpp and
// softmax__avx2.cpp), picked once from active_isa() by softmax<float> / log_softmax<float> on the
// last axis (inner == 1) and by softmax_row_masked<float>.
void softmax_row_masked_f32__avx512(float* row, int64_t n);
void softmax_row_masked_f32__avx2(float* row, int64_t n);
// Softmax / LogSoftmax of `rows` contiguous rows of n (an all -inf row gives NaN, as the formula).
void softmax_rows_f32__avx512(const float* x, float* y, int64_t rows, int64_t n);
void softmax_rows_f32__avx2(const float* x, float* y, int64_t rows, int64_t n);
void log_softmax_rows_f32__avx512(const float* x, float* y, int64_t rows, int64_t n);
void log_softmax_rows_f32__avx2(const float* x, float* y, int64_t rows, int64_t n);
// The portable float rows whatever the CPU (the oracle of the tests).
void softmax_rows_f32_reference(const float* x, float* y, int64_t rows, int64_t n);
void log_softmax_rows_f32_reference(const float* x, float* y, int64_t rows, int64_t n);
void softmax_row_masked_f32_reference(float* row, int64_t n);

}  // namespace onnxi::kernels
