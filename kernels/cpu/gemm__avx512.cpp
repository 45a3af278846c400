// The AVX-512 SGEMM micro-kernel: 12 rows x 32 columns, 24 zmm accumulators, two zmm loads of B and
// twelve broadcasts of A per step of depth. Zen 4 issues one 512-bit FMA per cycle per core with a
// latency of 4, so 24 independent accumulators keep the FMA pipes busy with room for the loads.
#include <immintrin.h>

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/gemm_ukernel.h"
#include "kernels/cpu/vec_math__avx512.h"

namespace onnxi::kernels {
namespace {

constexpr int kMr = 12;
constexpr int kNr = 32;

// R rows of a 12-row panel (R < 12 for the last panel of M): the FMAs of the padding rows are
// skipped, not just their stores (M = 128 is 10 full panels and one of 8 rows).
template <int R>
void sgemm_rx32(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t cols, bool accumulate) {
  __m512 acc0[R], acc1[R];
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < R; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
    }
    a += kMr;
    b += kNr;
  }
  if (cols == kNr) {
#pragma GCC unroll 12
    for (int i = 0; i < R; ++i) {
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
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) {
    float* row = c + i * ldc;
    if (accumulate) {
      acc0[i] = _mm512_add_ps(acc0[i], _mm512_maskz_loadu_ps(m0, row));
      acc1[i] = _mm512_add_ps(acc1[i], _mm512_maskz_loadu_ps(m1, row + 16));
    }
    _mm512_mask_storeu_ps(row, m0, acc0[i]);
    _mm512_mask_storeu_ps(row + 16, m1, acc1[i]);
  }
}

void sgemm_12x32(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t rows, int64_t cols,
                 bool accumulate) {
  switch (rows) {
    case 12: return sgemm_rx32<12>(kc, a, b, c, ldc, cols, accumulate);
    case 11: return sgemm_rx32<11>(kc, a, b, c, ldc, cols, accumulate);
    case 10: return sgemm_rx32<10>(kc, a, b, c, ldc, cols, accumulate);
    case 9: return sgemm_rx32<9>(kc, a, b, c, ldc, cols, accumulate);
    case 8: return sgemm_rx32<8>(kc, a, b, c, ldc, cols, accumulate);
    case 7: return sgemm_rx32<7>(kc, a, b, c, ldc, cols, accumulate);
    case 6: return sgemm_rx32<6>(kc, a, b, c, ldc, cols, accumulate);
    case 5: return sgemm_rx32<5>(kc, a, b, c, ldc, cols, accumulate);
    case 4: return sgemm_rx32<4>(kc, a, b, c, ldc, cols, accumulate);
    case 3: return sgemm_rx32<3>(kc, a, b, c, ldc, cols, accumulate);
    case 2: return sgemm_rx32<2>(kc, a, b, c, ldc, cols, accumulate);
    default: return sgemm_rx32<1>(kc, a, b, c, ldc, cols, accumulate);
  }
}

// One row against a 32-column panel: memory-bound, so four steps of depth are in flight at once
// (eight accumulators) to cover the FMA latency while B streams in.
void sgemm_1x32(int64_t kc, const float* a, int64_t a_stride, const float* b, float* c, int64_t cols, bool accumulate) {
  __m512 acc[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) acc[i] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
      const __m512 ak = _mm512_set1_ps(a[(k + u) * a_stride]);
      acc[2 * u] = _mm512_fmadd_ps(ak, _mm512_loadu_ps(b + (k + u) * kNr), acc[2 * u]);
      acc[2 * u + 1] = _mm512_fmadd_ps(ak, _mm512_loadu_ps(b + (k + u) * kNr + 16), acc[2 * u + 1]);
    }
  }
  for (; k < kc; ++k) {
    const __m512 ak = _mm512_set1_ps(a[k * a_stride]);
    acc[0] = _mm512_fmadd_ps(ak, _mm512_loadu_ps(b + k * kNr), acc[0]);
    acc[1] = _mm512_fmadd_ps(ak, _mm512_loadu_ps(b + k * kNr + 16), acc[1]);
  }
  __m512 lo = _mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[4], acc[6]));
  __m512 hi = _mm512_add_ps(_mm512_add_ps(acc[1], acc[3]), _mm512_add_ps(acc[5], acc[7]));
  const __mmask16 m0 = cols >= 16 ? __mmask16(0xffff) : __mmask16((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? __mmask16(0xffff) : cols > 16 ? __mmask16((1u << (cols - 16)) - 1) : __mmask16(0);
  if (accumulate) {
    lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(m0, c));
    hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(m1, c + 16));
  }
  _mm512_mask_storeu_ps(c, m0, lo);
  _mm512_mask_storeu_ps(c + 16, m1, hi);
}

// SgemmEpilogue over one block of C, 16 columns at a time. The erf form reuses the Gelu op's
// vectorized row function (elementwise__avx512.cpp) on the row while it is still in L1.
void epilogue_avx512(const SgemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols, float* c,
                     int64_t ldc) {
  const bool clamp = e.lo > -__builtin_inff() || e.hi < __builtin_inff();  // a NaN bound clamps nothing
  const __m512 lo = _mm512_set1_ps(e.lo), hi = _mm512_set1_ps(e.hi);
  const float* col_bias = e.col_bias ? e.col_bias + j0 : nullptr;
  for (int64_t i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    const __m512 rb = _mm512_set1_ps(e.row_bias ? e.row_bias[i0 + i] : 0.f);
    const float* res = e.residual ? e.residual + (i0 + i) * e.ldr + j0 : nullptr;
    const bool clamp_now = clamp && e.activation != SgemmActivation::GeluErf;
    for (int64_t j = 0; j < cols; j += 16) {
      const __mmask16 m = tail_mask(cols - j);
      __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, row + j), rb);
      if (col_bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, col_bias + j));
      if (res) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, res + j));
      if (e.activation == SgemmActivation::GeluTanh) v = gelu_tanh_ps(v);
      // max/min return their second operand when either is NaN: NaN stays NaN, as Clip keeps it.
      if (clamp_now) v = _mm512_min_ps(hi, _mm512_max_ps(lo, v));
      _mm512_mask_storeu_ps(row + j, m, v);
    }
    if (e.activation == SgemmActivation::GeluErf) {
      gelu_f32__avx512(row, row, cols);
      if (clamp) {
        for (int64_t j = 0; j < cols; j += 16) {
          const __mmask16 m = tail_mask(cols - j);
          const __m512 v = _mm512_maskz_loadu_ps(m, row + j);
          _mm512_mask_storeu_ps(row + j, m, _mm512_min_ps(hi, _mm512_max_ps(lo, v)));
        }
      }
    }
  }
}

}  // namespace

SgemmUkernel sgemm_ukernel_12x32__avx512() {
  return {sgemm_12x32, kMr, kNr, "f32-gemm-12x32__avx512", sgemm_1x32, epilogue_avx512};
}

}  // namespace onnxi::kernels
