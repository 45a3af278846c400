// The AVX2+FMA SGEMM micro-kernel: 6 rows x 16 columns, 12 ymm accumulators, two ymm loads of B and
// six broadcasts of A per step of depth (15 of the 16 ymm registers). Zen 3 retires two 256-bit
// FMAs per cycle with a latency of 4, so 12 independent accumulators keep both pipes busy, and the
// 8 loads per 12 FMAs fit its load ports.
//
// Like the AVX-512 kernel it reads row-major A in place when alpha is 1 (no packing pass, no fork
// and join for it), has a one-row kernel for GEMVs, and runs the epilogue (bias, residual, GELU,
// clamp) in one vector pass over each finished strip instead of the portable loop's std::erf.
// Measured on a 2-core Zen 3 VM (peak of a 12-accumulator FMA loop: 93 GFLOP/s per core), one
// thread, B packed ahead and cold: 128 x 768 x 768 and 128 x 768 x 3072 at 71-78 GFLOP/s (thread
// CPU time, best of 30); with the accumulators spilled (see the edge tiles) it ran at ~25.
#include <immintrin.h>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/gemm_epilogue_impl.h"
#include "kernels/cpu/gemm_ukernel.h"
#include "kernels/cpu/vec_math__avx2.h"

namespace onnxi::kernels {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

// The valid corner (rows x cols) of a spilled edge tile (ld floats per row) into C, added to it
// when accumulating.
inline void store_corner(const float* tile, int64_t ld, int rows, float* c, int64_t ldc, int64_t cols,
                         bool accumulate) {
  for (int i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    const float* t = tile + i * ld;
    if (accumulate) {
      for (int64_t j = 0; j < cols; ++j) row[j] += t[j];
    } else {
      for (int64_t j = 0; j < cols; ++j) row[j] = t[j];
    }
  }
}

// R rows (R < 6 for the last row panel: the FMAs of padding rows are skipped, not just their
// stores). A is either packed (a[k * 6 + i]) or, with kDirect, read in place from row-major A
// (a[i * lda + k]). Non-null `prefetch`: one line from there every 4 steps of depth (the driver's
// next B slice; see gemm_ukernel.h).
template <int R, bool kDirect>
void sgemm_rx16(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc, int64_t cols,
                bool accumulate, const float* prefetch) {
  __m256 acc0[R], acc1[R];
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) acc0[i] = acc1[i] = _mm256_setzero_ps();
  auto step = [&]() __attribute__((always_inline)) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      const __m256 ai = _mm256_broadcast_ss(kDirect ? a + i * lda : a + i);
      acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
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
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
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
  // Edge tiles: spill the accumulators and copy the valid corner (vmaskmov is microcoded on AMD).
  // Every loop over the accumulators is unrolled: one indexed by a variable would make GCC keep
  // them in memory, and the main loop then stored each one on every step of depth (a third of the
  // speed).
  alignas(32) float tile[R][kNr];
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) {
    _mm256_store_ps(tile[i], acc0[i]);
    _mm256_store_ps(tile[i] + 8, acc1[i]);
  }
  store_corner(tile[0], kNr, R, c, ldc, cols, accumulate);
}

// A panel's first 8 columns only (the last panel of N % 16 <= 8: an isolated 7x7 1x1 conv's 49
// pixels, a Gemm's N = 1000): one B vector per step of depth, two sets of R accumulators for even
// and odd depths so the FMAs do not wait on each other's latency, summed at the end. Half the
// FMAs of the 16-column tile.
template <int R, bool kDirect>
void sgemm_rx8(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc, int64_t cols,
               bool accumulate) {
  __m256 even[R], odd[R];
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) even[i] = odd[i] = _mm256_setzero_ps();
  const int64_t a_step = kDirect ? 1 : kMr;
  int64_t k = 0;
  for (; k + 2 <= kc; k += 2) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + kNr);
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      const float* ai = kDirect ? a + i * lda : a + i;
      even[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(ai), b0, even[i]);
      odd[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(ai + a_step), b1, odd[i]);
    }
    a += 2 * a_step;
    b += 2 * kNr;
  }
  if (k < kc) {
    const __m256 b0 = _mm256_loadu_ps(b);
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) even[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(kDirect ? a + i * lda : a + i), b0, even[i]);
  }
  alignas(32) float tile[R][8];
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) _mm256_store_ps(tile[i], _mm256_add_ps(even[i], odd[i]));
  store_corner(tile[0], 8, R, c, ldc, cols, accumulate);
}

// A last panel of at most 4 columns against packed A (an isolated 7x7 1x1 conv's 49 pixels: 16 +
// 16 + 16 + 1), vectorized along the panel's rows instead: one load of a[k * 6 ..] covers the 6
// rows of depth k (lanes 6-7 are the next depth's rows, ignored), times a broadcast of each
// column's b[k]: C FMAs per depth instead of the 8-wide tile's 6, summed in that tile's order
// (even and odd depths apart), so a product is the same to the bit whichever tile (packed or
// direct A) computes it. The last depth loads only its 6 rows (the panel may end the buffer).
template <int C>
void sgemm_rx_cols(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows, bool accumulate) {
  constexpr int U = 2;  // even and odd depths, summed at the end: sgemm_rx8's order, to the bit
  __m256 acc[C][U];
#pragma GCC unroll 4
  for (int j = 0; j < C; ++j) {
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) acc[j][u] = _mm256_setzero_ps();
  }
  auto step = [&](const __m256 av, int64_t k, int u) __attribute__((always_inline)) {
#pragma GCC unroll 4
    for (int j = 0; j < C; ++j) acc[j][u] = _mm256_fmadd_ps(av, _mm256_broadcast_ss(b + k * kNr + j), acc[j][u]);
  };
  const int64_t body = kc - 1;  // depths whose 8-float load stays inside the panel
  int64_t k = 0;
  for (; k + 2 <= body; k += 2) {
    step(_mm256_loadu_ps(a + k * kMr), k, 0);
    step(_mm256_loadu_ps(a + (k + 1) * kMr), k + 1, 1);
  }
  if (k < body) step(_mm256_loadu_ps(a + k * kMr), k, 0);  // k is even here
  if (kc > 0) step(_mm256_maskload_ps(a + body * kMr, Vec8::tail(kMr)), body, static_cast<int>(body % 2));
  alignas(32) float tile[C][8];
#pragma GCC unroll 4
  for (int j = 0; j < C; ++j) {
    __m256 sum = acc[j][0];
#pragma GCC unroll 4
    for (int u = 1; u < U; ++u) sum = _mm256_add_ps(sum, acc[j][u]);
    _mm256_store_ps(tile[j], sum);
  }
  for (int i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    for (int j = 0; j < C; ++j) row[j] = accumulate ? row[j] + tile[j][i] : tile[j][i];
  }
}

// Panels of at most 4 columns against packed A take sgemm_rx_cols, of at most 8 the 8-wide tile;
// only full 6-row tiles prefetch.
template <bool kDirect>
void sgemm_6x16_rows(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc, int64_t rows,
                     int64_t cols, bool accumulate, const float* prefetch) {
  if constexpr (!kDirect) {
    switch (cols) {
      case 1: return sgemm_rx_cols<1>(kc, a, b, c, ldc, static_cast<int>(rows), accumulate);
      case 2: return sgemm_rx_cols<2>(kc, a, b, c, ldc, static_cast<int>(rows), accumulate);
      case 3: return sgemm_rx_cols<3>(kc, a, b, c, ldc, static_cast<int>(rows), accumulate);
      case 4: return sgemm_rx_cols<4>(kc, a, b, c, ldc, static_cast<int>(rows), accumulate);
      default: break;
    }
  }
  auto run = [&]<int R>() {
    if (cols <= 8) return sgemm_rx8<R, kDirect>(kc, a, lda, b, c, ldc, cols, accumulate);
    sgemm_rx16<R, kDirect>(kc, a, lda, b, c, ldc, cols, accumulate, R == kMr ? prefetch : nullptr);
  };
  switch (rows) {
    case 6: return run.template operator()<6>();
    case 5: return run.template operator()<5>();
    case 4: return run.template operator()<4>();
    case 3: return run.template operator()<3>();
    case 2: return run.template operator()<2>();
    default: return run.template operator()<1>();
  }
}

void sgemm_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t rows, int64_t cols,
                bool accumulate) {
  sgemm_6x16_rows<false>(kc, a, kMr, b, c, ldc, rows, cols, accumulate, nullptr);
}

void sgemm_6x16_direct(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc, int64_t rows,
                       int64_t cols, bool accumulate, const float* prefetch) {
  sgemm_6x16_rows<true>(kc, a, lda, b, c, ldc, rows, cols, accumulate, prefetch);
}

// One row against a 16-column panel: memory-bound, so four steps of depth are in flight at once
// (eight accumulators) to cover the FMA latency while B streams in.
void sgemm_1x16(int64_t kc, const float* a, int64_t a_stride, const float* b, float* c, int64_t cols,
                bool accumulate) {
  __m256 acc[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) acc[i] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
      const __m256 ak = _mm256_broadcast_ss(a + (k + u) * a_stride);
      const float* bk = b + (k + u) * kNr;
      acc[2 * u] = _mm256_fmadd_ps(ak, _mm256_loadu_ps(bk), acc[2 * u]);
      acc[2 * u + 1] = _mm256_fmadd_ps(ak, _mm256_loadu_ps(bk + 8), acc[2 * u + 1]);
    }
  }
  for (; k < kc; ++k) {
    const __m256 ak = _mm256_broadcast_ss(a + k * a_stride);
    const float* bk = b + k * kNr;
    acc[0] = _mm256_fmadd_ps(ak, _mm256_loadu_ps(bk), acc[0]);
    acc[1] = _mm256_fmadd_ps(ak, _mm256_loadu_ps(bk + 8), acc[1]);
  }
  alignas(32) float v[kNr];
  _mm256_store_ps(v, _mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[4], acc[6])));
  _mm256_store_ps(v + 8, _mm256_add_ps(_mm256_add_ps(acc[1], acc[3]), _mm256_add_ps(acc[5], acc[7])));
  for (int64_t j = 0; j < cols; ++j) c[j] = accumulate ? c[j] + v[j] : v[j];
}

// GELU, erf form, x * Phi(x), through erfc only, in the AVX-512 epilogue's form (gemm__avx512.cpp
// explains it): z = |x| / sqrt(2), h = erfc(z) / 2, x >= 0: x * (1 - h), x < 0: x * h, erfc(z) =
// t exp(-z^2 + P(t)), t = 1 / (1 + z/2). Here t is a true division (AVX2 has no 14-bit
// reciprocal; rcpps's 12 bits after one Newton step would cost up to 3e-7), and 2^n is built from
// its exponent bits: exp's argument lies in [-86, 0], so n >= -125 and 2^n is a normal float.
// Below x = -13 the result is 0 (as is -inf); NaN stays NaN, +inf stays +inf.
//
// U vectors at a time, step by step across them, so their long dependency chains overlap.
template <int U>
inline void gelu_erf_ps(__m256* x) {
  const __m256 sign_bit = _mm256_set1_ps(-0.f), one = _mm256_set1_ps(1.f);
  constexpr float kP[] = {0.17087277f, -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f,
                          -0.18628806f, 0.09678418f,  0.37409196f, 1.00002368f, -1.26551223f};
  __m256 z[U], t[U], p[U];
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) {
    const __m256 ax = _mm256_min_ps(_mm256_set1_ps(13.f), _mm256_andnot_ps(sign_bit, x[u]));  // NaN kept
    z[u] = _mm256_mul_ps(ax, _mm256_set1_ps(0.70710678118654752f));
    t[u] = _mm256_div_ps(one, _mm256_fmadd_ps(z[u], _mm256_set1_ps(0.5f), one));
    p[u] = _mm256_set1_ps(kP[0]);
  }
#pragma GCC unroll 9
  for (int k = 1; k < 10; ++k) {
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) p[u] = _mm256_fmadd_ps(p[u], t[u], _mm256_set1_ps(kP[k]));
  }
  __m256 n[U], r[U], e[U];
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) {
    const __m256 arg = _mm256_fnmadd_ps(z[u], z[u], p[u]);
    n[u] = _mm256_round_ps(_mm256_mul_ps(arg, _mm256_set1_ps(1.44269504088896341f)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r[u] = _mm256_fnmadd_ps(n[u], _mm256_set1_ps(0.693359375f), arg);
    r[u] = _mm256_fnmadd_ps(n[u], _mm256_set1_ps(-2.12194440e-4f), r[u]);
    e[u] = _mm256_set1_ps(1.f / 5040.f);
  }
  constexpr float kE[] = {1.f / 720.f, 1.f / 120.f, 1.f / 24.f, 1.f / 6.f, 0.5f, 1.f, 1.f};
#pragma GCC unroll 7
  for (int k = 0; k < 7; ++k) {
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) e[u] = _mm256_fmadd_ps(e[u], r[u], _mm256_set1_ps(kE[k]));
  }
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) {
    // NaN lanes give a garbage n, but their result is NaN through x below.
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n[u]), _mm256_set1_epi32(127)), 23);
    const __m256 h = _mm256_mul_ps(_mm256_mul_ps(t[u], _mm256_set1_ps(0.5f)),
                                   _mm256_mul_ps(e[u], _mm256_castsi256_ps(bits)));
    // x * (1 - h), not x - x * h: for x = +inf, h is tiny and inf - inf would be NaN.
    const __m256 negative = _mm256_cmp_ps(x[u], _mm256_setzero_ps(), _CMP_LT_OQ);
    const __m256 tiny = _mm256_cmp_ps(x[u], _mm256_set1_ps(-13.f), _CMP_LT_OQ);
    const __m256 y = _mm256_mul_ps(x[u], _mm256_blendv_ps(_mm256_sub_ps(one, h), h, negative));
    x[u] = _mm256_andnot_ps(tiny, y);
  }
}

// SgemmEpilogue over one block of C in one pass, 8 columns at a time: bias, residual, activation
// and clamp on each vector while it is in a register, four vectors per step for the GELU's sake.
// Only a strip's last partial vector uses vmaskmov.
template <SgemmActivation kAct, bool kClamp>
void epilogue_rows(const SgemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols, float* c,
                   int64_t ldc) {
  const __m256 lo = _mm256_set1_ps(e.lo), hi = _mm256_set1_ps(e.hi);
  const float* col_bias = e.col_bias ? e.col_bias + j0 : nullptr;
  // U vectors of a row from column j; the last one covers `last` lanes (1..8) of it.
  auto step = [&]<int U>(float* row, const float* res, int64_t j, int64_t last, __m256 rb) {
    const __m256i m = Vec8::tail(last);
    auto load = [&](const float* p, int u) __attribute__((always_inline)) {
      return u + 1 < U || last == 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
    };
    __m256 v[U];
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
      v[u] = _mm256_add_ps(load(row + j + 8 * u, u), rb);
      if (col_bias) v[u] = _mm256_add_ps(v[u], load(col_bias + j + 8 * u, u));
      if (res) v[u] = _mm256_add_ps(v[u], load(res + j + 8 * u, u));
    }
    if constexpr (kAct == SgemmActivation::GeluErf) gelu_erf_ps<U>(v);
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
      if constexpr (kAct == SgemmActivation::GeluTanh) v[u] = vm::gelu_tanh<Vec8>(v[u]);
      // max/min return their second operand when either is NaN: NaN stays NaN, as Clip keeps it.
      if constexpr (kClamp) v[u] = _mm256_min_ps(hi, _mm256_max_ps(lo, v[u]));
      if (u + 1 < U || last == 8) {
        _mm256_storeu_ps(row + j + 8 * u, v[u]);
      } else {
        _mm256_maskstore_ps(row + j + 8 * u, m, v[u]);
      }
    }
  };
  for (int64_t i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    const __m256 rb = _mm256_set1_ps(e.row_bias ? e.row_bias[i0 + i] : 0.f);
    const float* res = e.residual ? e.residual + (i0 + i) * e.ldr + j0 : nullptr;
    int64_t j = 0;
    for (; j + 32 <= cols; j += 32) step.template operator()<4>(row, res, j, 8, rb);
    // The last 1-4 vectors as one group, so a strip's tail still overlaps four GELU chains.
    const int64_t left = cols - j, last = left - (left - 1) / 8 * 8;
    if (left > 24) {
      step.template operator()<4>(row, res, j, last, rb);
    } else if (left > 16) {
      step.template operator()<3>(row, res, j, last, rb);
    } else if (left > 8) {
      step.template operator()<2>(row, res, j, last, rb);
    } else if (left > 0) {
      step.template operator()<1>(row, res, j, last, rb);
    }
  }
}

void epilogue_avx2(const SgemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols, float* c,
                   int64_t ldc) {
  dispatch_sgemm_epilogue(e, [&]<SgemmActivation kAct, bool kClamp>() {
    epilogue_rows<kAct, kClamp>(e, i0, j0, rows, cols, c, ldc);
  });
}

}  // namespace

SgemmUkernel sgemm_ukernel_6x16__avx2() {
  return {sgemm_6x16, kMr, kNr, "f32-gemm-6x16__avx2", sgemm_1x16, epilogue_avx2, sgemm_6x16_direct};
}

}  // namespace onnxi::kernels
