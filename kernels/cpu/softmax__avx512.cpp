// AVX-512 instantiation of the softmax rows (softmax_impl.h over Vec16). Defines nothing but its
// entry points (docs/ARCHITECTURE.md on ISA files).
#include "kernels/cpu/vec_math__avx512.h"
// after the traits
#include "kernels/cpu/softmax.h"
#include "kernels/cpu/softmax_impl.h"

namespace onnxi::kernels {

void softmax_row_masked_f32__avx512(float* row, int64_t n) { softmax_row_vec<Vec16>(row, row, n, /*masked=*/true); }

void softmax_rows_f32__avx512(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) softmax_row_vec<Vec16>(x + r * n, y + r * n, n, /*masked=*/false);
}

void log_softmax_rows_f32__avx512(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) log_softmax_row_vec<Vec16>(x + r * n, y + r * n, n);
}

}  // namespace onnxi::kernels
