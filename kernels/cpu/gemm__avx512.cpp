// The AVX-512 SGEMM micro-kernel: 12 rows x 32 columns, 24 zmm accumulators, two zmm loads of B and
// twelve broadcasts of A per step of depth. Zen 4 issues one 512-bit FMA per cycle per core with a
// latency of 4, so 24 independent accumulators keep the FMA pipes busy with room for the loads.
#include <immintrin.h>

#include "kernels/cpu/gemm_ukernel.h"

namespace onnxi::kernels {
namespace {

constexpr int kMr = 12;
constexpr int kNr = 32;

void sgemm_12x32(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t rows, int64_t cols,
                 bool accumulate) {
  __m512 acc0[kMr], acc1[kMr];
#pragma GCC unroll 12
  for (int i = 0; i < kMr; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < kMr; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
    }
    a += kMr;
    b += kNr;
  }
  if (rows == kMr && cols == kNr) {
#pragma GCC unroll 12
    for (int i = 0; i < kMr; ++i) {
      float* row = c + i * ldc;
      if (accumulate) {
        acc0[i] = _mm512_add_ps(acc0[i], _mm512_loadu_ps(row));
        acc1[i] = _mm512_add_ps(acc1[i], _mm512_loadu_ps(row + 16));
      }
      _mm512_storeu_ps(row, acc0[i]);
      _mm512_storeu_ps(row + 16, acc1[i]);
    }
    return;
  }
  const __mmask16 m0 = cols >= 16 ? __mmask16(0xffff) : __mmask16((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? __mmask16(0xffff) : cols > 16 ? __mmask16((1u << (cols - 16)) - 1) : __mmask16(0);
  for (int i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    if (accumulate) {
      acc0[i] = _mm512_add_ps(acc0[i], _mm512_maskz_loadu_ps(m0, row));
      acc1[i] = _mm512_add_ps(acc1[i], _mm512_maskz_loadu_ps(m1, row + 16));
    }
    _mm512_mask_storeu_ps(row, m0, acc0[i]);
    _mm512_mask_storeu_ps(row + 16, m1, acc1[i]);
  }
}

}  // namespace

SgemmUkernel sgemm_ukernel_12x32__avx512() { return {sgemm_12x32, kMr, kNr, "f32-gemm-12x32__avx512"}; }

}  // namespace onnxi::kernels
