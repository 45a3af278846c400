// The AVX2+FMA SGEMM micro-kernel: 6 rows x 16 columns, 12 ymm accumulators, two ymm loads of B and
// six broadcasts of A per step of depth (15 of the 16 ymm registers).
#include <immintrin.h>

#include "kernels/cpu/gemm_ukernel.h"

namespace onnxi::kernels {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

void sgemm_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t rows, int64_t cols,
                bool accumulate) {
  __m256 acc0[kMr], acc1[kMr];
#pragma GCC unroll 6
  for (int i = 0; i < kMr; ++i) acc0[i] = acc1[i] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
    }
    a += kMr;
    b += kNr;
  }
  if (rows == kMr && cols == kNr) {
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      float* row = c + i * ldc;
      if (accumulate) {
        acc0[i] = _mm256_add_ps(acc0[i], _mm256_loadu_ps(row));
        acc1[i] = _mm256_add_ps(acc1[i], _mm256_loadu_ps(row + 8));
      }
      _mm256_storeu_ps(row, acc0[i]);
      _mm256_storeu_ps(row + 8, acc1[i]);
    }
    return;
  }
  // Edge tiles: spill the accumulators and copy the valid corner.
  alignas(32) float tile[kMr][kNr];
  for (int i = 0; i < kMr; ++i) {
    _mm256_store_ps(tile[i], acc0[i]);
    _mm256_store_ps(tile[i] + 8, acc1[i]);
  }
  for (int64_t i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    if (accumulate) {
      for (int64_t j = 0; j < cols; ++j) row[j] += tile[i][j];
    } else {
      for (int64_t j = 0; j < cols; ++j) row[j] = tile[i][j];
    }
  }
}

}  // namespace

SgemmUkernel sgemm_ukernel_6x16__avx2() { return {sgemm_6x16, kMr, kNr, "f32-gemm-6x16__avx2"}; }

}  // namespace onnxi::kernels
