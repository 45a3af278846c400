// AVX2 Winograd kernels (this file gets -mavx2 -mfma): the AVX-512 file's transforms and product on
// the same 16-channel blocks, each block as two 8-lane halves.
//
// Transforms: per half of a block, one tile's 6x6 (4x4) vectors go through a column pass into a
// stack buffer, then a row pass, with the AVX-512 file's adds and FMAs (the same sums in the same
// order, so both ISAs give the same bits up to FMA contraction).
//
// Micro-kernel: 1 output block x R <= 6 tiles = 12 ymm accumulators, two U vectors and one V
// broadcast in the 16 registers; AVX2 has no broadcast operand on FMAs, so each tile's value is a
// vbroadcastss load (Zen 3: two 256-bit FMAs per cycle, three loads). One (xi, block) panel of U is
// at most in_blocks * 1 KiB and stays in L1/L2 while the chunks of tiles walk it; the first chunk
// prefetches the next panel.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/conv_winograd.h"

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace onnxi::kernels {
namespace {

constexpr int64_t B = 16;
constexpr int kMaxTiles = 6;

// Not std::min: a template instantiated here could become the program's one copy, built for AVX2.
inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

inline __m256 clamp_keep_nan(__m256 v, __m256 lo, __m256 hi) {
  // vmaxps/vminps return the second operand when either is NaN: v second keeps NaN, as Clip does.
  return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}

// ---- 1-D transforms (the rows of kF43Bt / kF23Bt / kF43At / kF23At in conv_winograd.cpp) --------

inline void bt6(const __m256* d, __m256* o) {
  const __m256 half3 = _mm256_set1_ps(1.5f), two = _mm256_set1_ps(2.f);
  const __m256 p = _mm256_sub_ps(d[1], d[3]), q = _mm256_sub_ps(d[2], d[4]);
  o[0] = _mm256_fmadd_ps(half3, p, _mm256_sub_ps(_mm256_sub_ps(d[0], d[2]), q));
  o[1] = _mm256_fmadd_ps(half3, _mm256_add_ps(d[2], d[3]), _mm256_add_ps(p, q));
  o[2] = _mm256_fmadd_ps(half3, _mm256_sub_ps(d[2], d[3]), _mm256_sub_ps(p, q));
  o[3] = _mm256_fmadd_ps(two, q, p);
  o[4] = _mm256_fmsub_ps(two, p, q);
  o[5] = _mm256_fmadd_ps(half3, q, _mm256_add_ps(_mm256_sub_ps(p, d[3]), d[5]));
}

inline void bt4(const __m256* d, __m256* o) {
  o[0] = _mm256_sub_ps(d[0], d[2]);
  o[1] = _mm256_add_ps(d[1], d[2]);
  o[2] = _mm256_sub_ps(d[2], d[1]);
  o[3] = _mm256_sub_ps(d[1], d[3]);
}

inline void at6(const __m256* m, __m256* o) {
  const __m256 s12 = _mm256_add_ps(m[1], m[2]), d12 = _mm256_sub_ps(m[1], m[2]);
  const __m256 two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f), eight = _mm256_set1_ps(8.f);
  o[0] = _mm256_fmadd_ps(eight, m[4], _mm256_add_ps(_mm256_add_ps(m[0], s12), m[3]));
  o[1] = _mm256_fnmadd_ps(four, m[4], _mm256_fmadd_ps(two, m[3], d12));
  o[2] = _mm256_fmadd_ps(two, m[4], _mm256_fmadd_ps(four, m[3], s12));
  o[3] = _mm256_add_ps(_mm256_sub_ps(_mm256_fmadd_ps(eight, m[3], d12), m[4]), m[5]);
}

inline void at4(const __m256* m, __m256* o) {
  o[0] = _mm256_add_ps(_mm256_add_ps(m[0], m[1]), m[2]);
  o[1] = _mm256_sub_ps(_mm256_sub_ps(m[1], m[2]), m[3]);
}

// ---- input transform ---------------------------------------------------------------------------

template <int A>
void input_tiles(const WinogradInputJob& j) {
  constexpr int M = A - 2;
  const int64_t xi_stride = j.in_blocks * j.tiles * B, plane = j.in_h * j.in_w * B;
  for (int64_t tl = 0; tl < j.tiles; ++tl) {
    const int64_t tile = j.tile0 + tl;
    const int64_t ih0 = (tile / j.tiles_w) * M - j.pad_top, iw0 = (tile % j.tiles_w) * M - j.pad_left;
    const bool inside = ih0 >= 0 && iw0 >= 0 && ih0 + A <= j.in_h && iw0 + A <= j.in_w;
    unsigned row_ok = 0, col_ok = 0;  // rows and columns of the tile inside x (the rest reads as zero)
    for (int i = 0; i < A; ++i) {
      if (ih0 + i >= 0 && ih0 + i < j.in_h) row_ok |= 1u << i;
      if (iw0 + i >= 0 && iw0 + i < j.in_w) col_ok |= 1u << i;
    }
    const int64_t cb_end = j.cb_end < 0 ? j.in_blocks : j.cb_end;
    const float* x0 = j.x + j.cb_begin * plane + (ih0 * j.in_w + iw0) * B;
    float* v0 = j.v + (j.cb_begin * j.tiles + tl) * B;
    for (int64_t cb = j.cb_begin; cb < cb_end; ++cb, x0 += plane, v0 += j.tiles * B) {
      for (int half = 0; half < 2; ++half) {
        const float* xh = x0 + half * 8;
        float* vh = v0 + half * 8;
        __m256 t[A][A];  // t[c][r] = (B^T d)[r][c]
#pragma GCC unroll 6
        for (int c = 0; c < A; ++c) {
          __m256 d[A];
          if (inside) {
#pragma GCC unroll 6
            for (int r = 0; r < A; ++r) d[r] = _mm256_loadu_ps(xh + (r * j.in_w + c) * B);
          } else {
#pragma GCC unroll 6
            for (int r = 0; r < A; ++r) {
              d[r] = ((row_ok >> r) & (col_ok >> c) & 1u) ? _mm256_loadu_ps(xh + (r * j.in_w + c) * B)
                                                         : _mm256_setzero_ps();
            }
          }
          if constexpr (A == 6) {
            bt6(d, t[c]);
          } else {
            bt4(d, t[c]);
          }
        }
#pragma GCC unroll 6
        for (int r = 0; r < A; ++r) {
          __m256 row[A], o[A];
#pragma GCC unroll 6
          for (int c = 0; c < A; ++c) row[c] = t[c][r];
          if constexpr (A == 6) {
            bt6(row, o);
          } else {
            bt4(row, o);
          }
#pragma GCC unroll 6
          for (int c = 0; c < A; ++c) _mm256_storeu_ps(vh + (r * A + c) * xi_stride, o[c]);
        }
      }
    }
  }
}

void input_avx2(const WinogradInputJob& j) {
  if (j.m == 4) {
    input_tiles<6>(j);
  } else {
    input_tiles<4>(j);
  }
}

// ---- products ----------------------------------------------------------------------------------

// m[r][16] = sum over ic of v[r][ic] * u[ic][16] for R tiles of one output block; v's input blocks
// are v_cb_stride apart, u's 256 floats apart. With PF, one line of the panel at pf per step.
template <int R, bool PF>
void gemm_tile(const float* v, int64_t v_cb_stride, int64_t in_blocks, const float* u, float* m, const float* pf) {
  __m256 lo[R], hi[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) lo[r] = hi[r] = _mm256_setzero_ps();
  for (int64_t cb = 0; cb < in_blocks; ++cb, v += v_cb_stride, u += 256, pf += 256) {
#pragma GCC unroll 4
    for (int ic = 0; ic < 16; ++ic) {
      if constexpr (PF) _mm_prefetch(reinterpret_cast<const char*>(pf + ic * 16), _MM_HINT_T1);
      const __m256 w0 = _mm256_loadu_ps(u + ic * 16), w1 = _mm256_loadu_ps(u + ic * 16 + 8);
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) {
        const __m256 a = _mm256_broadcast_ss(v + r * 16 + ic);
        lo[r] = _mm256_fmadd_ps(a, w0, lo[r]);
        hi[r] = _mm256_fmadd_ps(a, w1, hi[r]);
      }
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    _mm256_storeu_ps(m + r * 16, lo[r]);
    _mm256_storeu_ps(m + r * 16 + 8, hi[r]);
  }
}

using GemmTileFn = void (*)(const float*, int64_t, int64_t, const float*, float*, const float*);

template <bool PF, int R = 1>
void fill_rows(GemmTileFn* row) {
  if constexpr (R <= kMaxTiles) {
    row[R] = &gemm_tile<R, PF>;
    fill_rows<PF, R + 1>(row);
  }
}

struct GemmTable {
  GemmTileFn plain[kMaxTiles + 1] = {}, prefetch[kMaxTiles + 1] = {};
  GemmTable() { fill_rows<false>(plain), fill_rows<true>(prefetch); }
};

void gemm_avx2(const WinogradGemmJob& j) {
  static const GemmTable table;
  const int64_t v_xi = j.in_blocks * j.tiles * B, m_xi = j.blocks * j.tiles * B, u_ob = j.in_blocks * B * B;
  // Chunks of near-equal size: 16 tiles as 6 + 5 + 5 rather than 6 + 6 + 4.
  const int64_t chunks = (j.tiles + kMaxTiles - 1) / kMaxTiles;
  for (int b = 0; b < j.blocks; ++b) {
    for (int64_t xi = 0; xi < j.xis; ++xi) {
      const float* u = j.u + xi * j.u_xi_stride + b * u_ob;
      const float* next = xi + 1 < j.xis ? u + j.u_xi_stride : j.u + (b + 1) * u_ob;
      const float* v = j.v + xi * v_xi;
      float* m = j.m + xi * m_xi + b * j.tiles * B;
      for (int64_t c = 0; c < chunks; ++c) {
        const int64_t r0 = c * j.tiles / chunks, r1 = (c + 1) * j.tiles / chunks;
        const GemmTileFn fn = c == 0 ? table.prefetch[r1 - r0] : table.plain[r1 - r0];
        fn(v + r0 * B, j.tiles * B, j.in_blocks, u, m + r0 * B, next);
      }
    }
  }
}

// ---- output transform --------------------------------------------------------------------------

template <int A>
void output_tiles(const WinogradOutputJob& j) {
  constexpr int M = A - 2;
  const int64_t xi_stride = j.blocks * j.tiles * B, y_block = j.out_h * j.out_w * B;
  const bool clamp = j.lo != -__builtin_inff() || j.hi != __builtin_inff();
  const __m256 lo = _mm256_set1_ps(j.lo), hi = _mm256_set1_ps(j.hi);
  for (int64_t tl = 0; tl < j.tiles; ++tl) {
    const int64_t tile = j.tile0 + tl;
    const int64_t oh0 = (tile / j.tiles_w) * M, ow0 = (tile % j.tiles_w) * M;
    const int rows = static_cast<int>(min_i64(M, j.out_h - oh0));
    const int cols = static_cast<int>(min_i64(M, j.out_w - ow0));
    for (int b = 0; b < j.blocks; ++b) {
      for (int half = 0; half < 2; ++half) {
        const float* mb = j.m + (b * j.tiles + tl) * B + half * 8;
        __m256 t[A][M];  // t[c][r] = (A^T m)[r][c]
#pragma GCC unroll 6
        for (int c = 0; c < A; ++c) {
          __m256 col[A];
#pragma GCC unroll 6
          for (int r = 0; r < A; ++r) col[r] = _mm256_loadu_ps(mb + (r * A + c) * xi_stride);
          if constexpr (A == 6) {
            at6(col, t[c]);
          } else {
            at4(col, t[c]);
          }
        }
        const __m256 bias = _mm256_loadu_ps(j.bias + b * B + half * 8);
        const int64_t base = b * y_block + (oh0 * j.out_w + ow0) * B + half * 8;
#pragma GCC unroll 4
        for (int r = 0; r < M; ++r) {
          if (r >= rows) break;
          __m256 row[A], o[M];
#pragma GCC unroll 6
          for (int c = 0; c < A; ++c) row[c] = t[c][r];
          if constexpr (A == 6) {
            at6(row, o);
          } else {
            at4(row, o);
          }
#pragma GCC unroll 4
          for (int c = 0; c < M; ++c) {
            if (c >= cols) break;
            const int64_t at = base + (r * j.out_w + c) * B;
            __m256 val = _mm256_add_ps(o[c], bias);
            if (j.sum != nullptr) val = _mm256_add_ps(val, _mm256_loadu_ps(j.sum + at));
            if (clamp) val = clamp_keep_nan(val, lo, hi);
            _mm256_storeu_ps(j.y + at, val);
          }
        }
      }
    }
  }
}

void output_avx2(const WinogradOutputJob& j) {
  if (j.m_side == 4) {
    output_tiles<6>(j);
  } else {
    output_tiles<4>(j);
  }
}

// ---- weight transform (session creation) --------------------------------------------------------

void weights_avx2(const WinogradWeightJob& j) {
  const int a = j.a;
  for (int half = 0; half < 2; ++half) {
    const __m256i lane = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(half * 8));
    const __m256i rows = _mm256_mullo_epi32(lane, _mm256_set1_epi32(static_cast<int>(j.oc_stride)));
    const __m256 live = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(j.lanes), lane));
    for (int i = 0; i < 16; ++i) {
      __m256 g[9];
      for (int k = 0; k < 9; ++k) {
        g[k] = i < j.ics ? _mm256_mask_i32gather_ps(_mm256_setzero_ps(), j.w + i * 9 + k, rows, live, 4)
                         : _mm256_setzero_ps();
      }
      __m256 t[6][3];
      for (int r = 0; r < a; ++r) {
        const __m256 g0 = _mm256_set1_ps(j.g[r * 3]), g1 = _mm256_set1_ps(j.g[r * 3 + 1]);
        const __m256 g2 = _mm256_set1_ps(j.g[r * 3 + 2]);
        for (int c = 0; c < 3; ++c) {
          t[r][c] = _mm256_fmadd_ps(g2, g[6 + c], _mm256_fmadd_ps(g1, g[3 + c], _mm256_mul_ps(g0, g[c])));
        }
      }
      for (int c = 0; c < a; ++c) {
        const __m256 g0 = _mm256_set1_ps(j.g[c * 3]), g1 = _mm256_set1_ps(j.g[c * 3 + 1]);
        const __m256 g2 = _mm256_set1_ps(j.g[c * 3 + 2]);
        for (int r = 0; r < a; ++r) {
          const __m256 u = _mm256_fmadd_ps(t[r][2], g2, _mm256_fmadd_ps(t[r][1], g1, _mm256_mul_ps(t[r][0], g0)));
          _mm256_storeu_ps(j.block + ((r * a + c) * B + i) * B + half * 8, u);
        }
      }
    }
  }
}

}  // namespace

WinogradKernels winograd_kernels__avx2() { return {input_avx2, gemm_avx2, output_avx2, weights_avx2}; }

}  // namespace onnxi::kernels
