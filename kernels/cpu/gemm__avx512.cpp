// The AVX-512 SGEMM micro-kernel: 8 rows x 48 columns, 24 zmm accumulators, three zmm loads of B and
// eight broadcasts of A per step of depth. Zen 4 retires one 512-bit FMA per cycle per core with a
// latency of 4, so 24 independent accumulators keep the pipes busy; against the 12x32 tile this one
// needs 11 loads per 24 FMAs instead of 14, and BERT's shapes tile it exactly (M = 128 is 16 row
// panels, N = 768 and 3072 are 16 and 64 column panels), where 12 rows left a 8-row remainder.
// Measured on 128 x 768 x 768 at one thread: 12x32 packed ~108 GFLOP/s, 8x48 packed ~111, 8x48
// with A read in place ~116 (peak ~116).
#include <immintrin.h>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/gemm_epilogue_impl.h"
#include "kernels/cpu/gemm_ukernel.h"
#include "kernels/cpu/vec_math__avx512.h"

// GCC 12's intrinsics pass _mm512_undefined_ps() as the unused merge source, which its own
// -Wmaybe-uninitialized then flags in every inlined copy of the GELU epilogue; never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace onnxi::kernels {
namespace {

constexpr int kMr = 8;
constexpr int kNr = 48;

// Lanes [0, left) of a 16-lane vector, none when left <= 0 (tail_mask needs left >= 0).
inline __mmask16 lanes(int64_t left) { return left <= 0 ? __mmask16(0) : tail_mask(left); }

// R rows (R < 8 for the last row panel: the FMAs of padding rows are skipped, not just their
// stores). A is either packed (a[k * 8 + i]) or, with kDirect, read in place from row-major A
// (a[i * lda + k]): BERT's activations are contiguous rows, and packing them cost 3-5% of the
// product plus, at two threads, a second fork and join.
template <int R, bool kDirect>
void sgemm_rx48(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc, int64_t cols,
                bool accumulate, const float* prefetch = nullptr) {
  __m512 acc0[R], acc1[R], acc2[R];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) acc0[i] = acc1[i] = acc2[i] = _mm512_setzero_ps();
  auto step = [&]() __attribute__((always_inline)) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
    const __m512 b2 = _mm512_loadu_ps(b + 32);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const __m512 ai = _mm512_set1_ps(kDirect ? a[i * lda] : a[i]);
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
      acc2[i] = _mm512_fmadd_ps(ai, b2, acc2[i]);
    }
    a += kDirect ? 1 : kMr;
    b += kNr;
  };
  int64_t k = 0;
  if (prefetch != nullptr) {
    for (; k + 4 <= kc; k += 4) {
      _mm_prefetch(reinterpret_cast<const char*>(prefetch), _MM_HINT_T1);
      prefetch += 16;
      step();
      step();
      step();
      step();
    }
  }
#pragma GCC unroll 4
  for (; k < kc; ++k) step();
  if (cols == kNr) {
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      float* row = c + i * ldc;
      if (accumulate) {
        acc0[i] = _mm512_add_ps(acc0[i], _mm512_loadu_ps(row));
        acc1[i] = _mm512_add_ps(acc1[i], _mm512_loadu_ps(row + 16));
        acc2[i] = _mm512_add_ps(acc2[i], _mm512_loadu_ps(row + 32));
      }
      _mm512_storeu_ps(row, acc0[i]);
      _mm512_storeu_ps(row + 16, acc1[i]);
      _mm512_storeu_ps(row + 32, acc2[i]);
    }
    return;
  }
  const __mmask16 m0 = lanes(cols), m1 = lanes(cols - 16), m2 = lanes(cols - 32);
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
    float* row = c + i * ldc;
    if (accumulate) {
      acc0[i] = _mm512_add_ps(acc0[i], _mm512_maskz_loadu_ps(m0, row));
      acc1[i] = _mm512_add_ps(acc1[i], _mm512_maskz_loadu_ps(m1, row + 16));
      acc2[i] = _mm512_add_ps(acc2[i], _mm512_maskz_loadu_ps(m2, row + 32));
    }
    _mm512_mask_storeu_ps(row, m0, acc0[i]);
    _mm512_mask_storeu_ps(row + 16, m1, acc1[i]);
    _mm512_mask_storeu_ps(row + 32, m2, acc2[i]);
  }
}

template <bool kDirect>
void sgemm_8x48_rows(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc, int64_t rows,
                     int64_t cols, bool accumulate, const float* prefetch = nullptr) {
  if (rows == 8) return sgemm_rx48<8, kDirect>(kc, a, lda, b, c, ldc, cols, accumulate, prefetch);
  switch (rows) {
    case 8: return sgemm_rx48<8, kDirect>(kc, a, lda, b, c, ldc, cols, accumulate);
    case 7: return sgemm_rx48<7, kDirect>(kc, a, lda, b, c, ldc, cols, accumulate);
    case 6: return sgemm_rx48<6, kDirect>(kc, a, lda, b, c, ldc, cols, accumulate);
    case 5: return sgemm_rx48<5, kDirect>(kc, a, lda, b, c, ldc, cols, accumulate);
    case 4: return sgemm_rx48<4, kDirect>(kc, a, lda, b, c, ldc, cols, accumulate);
    case 3: return sgemm_rx48<3, kDirect>(kc, a, lda, b, c, ldc, cols, accumulate);
    case 2: return sgemm_rx48<2, kDirect>(kc, a, lda, b, c, ldc, cols, accumulate);
    default: return sgemm_rx48<1, kDirect>(kc, a, lda, b, c, ldc, cols, accumulate);
  }
}

void sgemm_8x48(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t rows, int64_t cols,
                bool accumulate) {
  sgemm_8x48_rows<false>(kc, a, kMr, b, c, ldc, rows, cols, accumulate);
}

void sgemm_8x48_direct(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc, int64_t rows,
                       int64_t cols, bool accumulate, const float* prefetch) {
  sgemm_8x48_rows<true>(kc, a, lda, b, c, ldc, rows, cols, accumulate, prefetch);
}

// One row against a 48-column panel: memory-bound, so four steps of depth are in flight at once
// (twelve accumulators) to cover the FMA latency while B streams in.
void sgemm_1x48(int64_t kc, const float* a, int64_t a_stride, const float* b, float* c, int64_t cols, bool accumulate) {
  __m512 acc[12];
#pragma GCC unroll 12
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
      const __m512 ak = _mm512_set1_ps(a[(k + u) * a_stride]);
      const float* bk = b + (k + u) * kNr;
      acc[3 * u] = _mm512_fmadd_ps(ak, _mm512_loadu_ps(bk), acc[3 * u]);
      acc[3 * u + 1] = _mm512_fmadd_ps(ak, _mm512_loadu_ps(bk + 16), acc[3 * u + 1]);
      acc[3 * u + 2] = _mm512_fmadd_ps(ak, _mm512_loadu_ps(bk + 32), acc[3 * u + 2]);
    }
  }
  for (; k < kc; ++k) {
    const __m512 ak = _mm512_set1_ps(a[k * a_stride]);
    const float* bk = b + k * kNr;
    acc[0] = _mm512_fmadd_ps(ak, _mm512_loadu_ps(bk), acc[0]);
    acc[1] = _mm512_fmadd_ps(ak, _mm512_loadu_ps(bk + 16), acc[1]);
    acc[2] = _mm512_fmadd_ps(ak, _mm512_loadu_ps(bk + 32), acc[2]);
  }
  __m512 v[3];
#pragma GCC unroll 3
  for (int j = 0; j < 3; ++j) v[j] = _mm512_add_ps(_mm512_add_ps(acc[j], acc[3 + j]), _mm512_add_ps(acc[6 + j], acc[9 + j]));
#pragma GCC unroll 3
  for (int j = 0; j < 3; ++j) {
    const __mmask16 m = lanes(cols - 16 * j);
    if (accumulate) v[j] = _mm512_add_ps(v[j], _mm512_maskz_loadu_ps(m, c + 16 * j));
    _mm512_mask_storeu_ps(c + 16 * j, m, v[j]);
  }
}

// GELU, erf form, x * Phi(x), through erfc only: with z = |x| / sqrt(2) and h = erfc(z) / 2,
//   x >= 0: x * (1 - h)        x < 0: x * h
// neither of which cancels (1 - h >= 1/2; the negative side is a product), so no second series near
// zero is needed, as erf(z) = 1 - erfc(z) would be. erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2),
// P the Chebyshev fit the Erf op uses (relative error under 1.2e-7 for all z); 1 / (1 + z/2) is
// rcp14 refined by one Newton step, so there is one branch and no division. Error: 1.1e-7 of
// max(1, |x|) against double; on the negative side the relative error grows with x^2 (the float
// rounding of -z^2 + P), about 1.5e-5 at x = -13, where the result is -1e-37. Below x = -13 the
// result is returned as 0 (as is -inf); NaN stays NaN, +inf stays +inf.
//
// U vectors at a time, step by step across them: one vector's chain (the polynomial, then exp) is
// ~100 cycles of dependent operations, more than the FP scheduler looks ahead. Per element on a
// 128 x 3072 strip: the Gelu op's erf 1.21 ns, this form one vector at a time 0.79, four 0.60 (the
// tanh form: 0.37); BERT's FFN product lost ~10% of its time to the epilogue before, ~6% now.
template <int U>
inline void gelu_erf_ps(__m512* x) {
  const __m512 sign_bit = _mm512_set1_ps(-0.f), one = _mm512_set1_ps(1.f);
  constexpr float kP[] = {0.17087277f, -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f,
                          -0.18628806f, 0.09678418f,  0.37409196f, 1.00002368f, -1.26551223f};
  __m512 z[U], t[U], p[U], h[U];
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) {
    const __m512 ax = _mm512_min_ps(_mm512_set1_ps(13.f), _mm512_andnot_ps(sign_bit, x[u]));  // NaN kept
    z[u] = _mm512_mul_ps(ax, _mm512_set1_ps(0.70710678118654752f));
  }
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) {
    const __m512 d = _mm512_fmadd_ps(z[u], _mm512_set1_ps(0.5f), one);
    const __m512 r = _mm512_rcp14_ps(d);
    t[u] = _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.f)));
    p[u] = _mm512_set1_ps(kP[0]);
  }
#pragma GCC unroll 9
  for (int k = 1; k < 10; ++k) {
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) p[u] = _mm512_fmadd_ps(p[u], t[u], _mm512_set1_ps(kP[k]));
  }
  // exp(-z^2 + P), as exp_ps (vec_math__avx512.h) computes it, interleaved the same way. The
  // argument lies in [-86, 0], so exp_ps's clamp is not needed.
  __m512 n[U], r[U], e[U];
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) {
    const __m512 arg = _mm512_fnmadd_ps(z[u], z[u], p[u]);
    n[u] = _mm512_roundscale_ps(_mm512_mul_ps(arg, _mm512_set1_ps(1.44269504088896341f)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r[u] = _mm512_fnmadd_ps(n[u], _mm512_set1_ps(0.693359375f), arg);
    r[u] = _mm512_fnmadd_ps(n[u], _mm512_set1_ps(-2.12194440e-4f), r[u]);
    e[u] = _mm512_set1_ps(1.f / 5040.f);
  }
  constexpr float kE[] = {1.f / 720.f, 1.f / 120.f, 1.f / 24.f, 1.f / 6.f, 0.5f, 1.f, 1.f};
#pragma GCC unroll 7
  for (int k = 0; k < 7; ++k) {
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) e[u] = _mm512_fmadd_ps(e[u], r[u], _mm512_set1_ps(kE[k]));
  }
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) {
    h[u] = _mm512_mul_ps(_mm512_mul_ps(t[u], _mm512_set1_ps(0.5f)), _mm512_scalef_ps(e[u], n[u]));
    // x * (1 - h), not x - x * h: for x = +inf, h is a denormal and inf - inf would be NaN.
    const __mmask16 negative = _mm512_cmp_ps_mask(x[u], _mm512_setzero_ps(), _CMP_LT_OQ);
    const __mmask16 tiny = _mm512_cmp_ps_mask(x[u], _mm512_set1_ps(-13.f), _CMP_LT_OQ);
    const __m512 y = _mm512_mul_ps(x[u], _mm512_mask_blend_ps(negative, _mm512_sub_ps(one, h[u]), h[u]));
    x[u] = _mm512_maskz_mov_ps(static_cast<__mmask16>(~tiny), y);
  }
}

// SgemmEpilogue over one block of C in one pass, 16 columns at a time: bias, residual, activation
// and clamp on each vector while it is in a register. Two vectors per step give the GELU's long
// dependency chain a second one to overlap with.
template <SgemmActivation kAct, bool kClamp>
void epilogue_rows(const SgemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols, float* c,
                   int64_t ldc) {
  const __m512 lo = _mm512_set1_ps(e.lo), hi = _mm512_set1_ps(e.hi);
  const float* col_bias = e.col_bias ? e.col_bias + j0 : nullptr;
  // U vectors of a row from column j (the last one masked by `last`): sums, activation, clamp.
  auto step = [&]<int U>(float* row, const float* res, int64_t j, __mmask16 last, __m512 rb) {
    __m512 v[U];
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
      const __mmask16 m = u + 1 < U ? __mmask16(0xffff) : last;
      v[u] = _mm512_add_ps(_mm512_maskz_loadu_ps(m, row + j + 16 * u), rb);
      if (col_bias) v[u] = _mm512_add_ps(v[u], _mm512_maskz_loadu_ps(m, col_bias + j + 16 * u));
      if (res) v[u] = _mm512_add_ps(v[u], _mm512_maskz_loadu_ps(m, res + j + 16 * u));
    }
    if constexpr (kAct == SgemmActivation::GeluErf) gelu_erf_ps<U>(v);
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
      const __mmask16 m = u + 1 < U ? __mmask16(0xffff) : last;
      if constexpr (kAct == SgemmActivation::GeluTanh) v[u] = gelu_tanh_ps(v[u]);
      // max/min return their second operand when either is NaN: NaN stays NaN, as Clip keeps it.
      if constexpr (kClamp) v[u] = _mm512_min_ps(hi, _mm512_max_ps(lo, v[u]));
      _mm512_mask_storeu_ps(row + j + 16 * u, m, v[u]);
    }
  };
  for (int64_t i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    const __m512 rb = _mm512_set1_ps(e.row_bias ? e.row_bias[i0 + i] : 0.f);
    const float* res = e.residual ? e.residual + (i0 + i) * e.ldr + j0 : nullptr;
    int64_t j = 0;
    for (; j + 64 <= cols; j += 64) step.template operator()<4>(row, res, j, __mmask16(0xffff), rb);
    // The last 1-4 vectors as one group, not one at a time: a strip is often 240 columns (five
    // 48-column panels), whose 48-column tail one by one left the GELU waiting on its latency.
    const int64_t left = cols - j, last_lanes = left - (left - 1) / 16 * 16;
    const __mmask16 last = left > 0 ? tail_mask(last_lanes) : __mmask16(0);
    if (left > 48) {
      step.template operator()<4>(row, res, j, last, rb);
    } else if (left > 32) {
      step.template operator()<3>(row, res, j, last, rb);
    } else if (left > 16) {
      step.template operator()<2>(row, res, j, last, rb);
    } else if (left > 0) {
      step.template operator()<1>(row, res, j, last, rb);
    }
  }
}

void epilogue_avx512(const SgemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols, float* c,
                     int64_t ldc) {
  dispatch_sgemm_epilogue(e, [&]<SgemmActivation kAct, bool kClamp>() {
    epilogue_rows<kAct, kClamp>(e, i0, j0, rows, cols, c, ldc);
  });
}

}  // namespace

SgemmUkernel sgemm_ukernel_8x48__avx512() {
  return {sgemm_8x48, kMr, kNr, "f32-gemm-8x48__avx512", sgemm_1x48, epilogue_avx512, sgemm_8x48_direct};
}

}  // namespace onnxi::kernels
