// AVX-512 Winograd kernels (this file gets -mavx512f and friends): the input and output transforms
// of F(4,3) and F(2,3) on vectors of 16 channels (adds and FMAs only; one tile's 6x6 x 16 values go
// through a column pass into a stack buffer, then a row pass), and the products' micro-kernel.
//
// Micro-kernel: NB output blocks x R tiles of accumulators (at most 28 zmm: 4 x 7, 3 x 9, 2 x 14),
// per input channel one U vector per block and one broadcast of V per tile folded into the FMA, as
// the direct NCHWc tile does; Zen 4 issues one 512-bit FMA per cycle with latency 4.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/conv_winograd.h"

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace onnxi::kernels {
namespace {

constexpr int64_t B = 16;

// Not std::min: a template instantiated here could become the program's one copy, built for AVX-512.
inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

inline __m512 clamp_keep_nan(__m512 v, __m512 lo, __m512 hi) {
  // vmaxps/vminps return the second operand when either is NaN: v second keeps NaN, as Clip does.
  return _mm512_min_ps(hi, _mm512_max_ps(lo, v));
}

// acc += w * broadcast(*x) with the broadcast in the FMA's memory operand: left to itself GCC
// hoists each broadcast into a register of its own and spills accumulators.
inline void fma_bcast(__m512& acc, __m512 w, const float* x) {
  __asm__("vfmadd231ps %[x]%{1to16%}, %[w], %[acc]" : [acc] "+v"(acc) : [w] "v"(w), [x] "m"(*x));
}

// ---- 1-D transforms ----------------------------------------------------------------------------

// The rows of kF43Bt (conv_winograd.cpp) with p = d1 - d3, q = d2 - d4.
inline void bt6(const __m512* d, __m512* o) {
  const __m512 half3 = _mm512_set1_ps(1.5f), two = _mm512_set1_ps(2.f);
  const __m512 p = _mm512_sub_ps(d[1], d[3]), q = _mm512_sub_ps(d[2], d[4]);
  o[0] = _mm512_fmadd_ps(half3, p, _mm512_sub_ps(_mm512_sub_ps(d[0], d[2]), q));
  o[1] = _mm512_fmadd_ps(half3, _mm512_add_ps(d[2], d[3]), _mm512_add_ps(p, q));
  o[2] = _mm512_fmadd_ps(half3, _mm512_sub_ps(d[2], d[3]), _mm512_sub_ps(p, q));
  o[3] = _mm512_fmadd_ps(two, q, p);
  o[4] = _mm512_fmsub_ps(two, p, q);
  o[5] = _mm512_fmadd_ps(half3, q, _mm512_add_ps(_mm512_sub_ps(p, d[3]), d[5]));
}

inline void bt4(const __m512* d, __m512* o) {
  o[0] = _mm512_sub_ps(d[0], d[2]);
  o[1] = _mm512_add_ps(d[1], d[2]);
  o[2] = _mm512_sub_ps(d[2], d[1]);
  o[3] = _mm512_sub_ps(d[1], d[3]);
}

// The rows of kF43At.
inline void at6(const __m512* m, __m512* o) {
  const __m512 s12 = _mm512_add_ps(m[1], m[2]), d12 = _mm512_sub_ps(m[1], m[2]);
  const __m512 two = _mm512_set1_ps(2.f), four = _mm512_set1_ps(4.f), eight = _mm512_set1_ps(8.f);
  o[0] = _mm512_fmadd_ps(eight, m[4], _mm512_add_ps(_mm512_add_ps(m[0], s12), m[3]));
  o[1] = _mm512_fnmadd_ps(four, m[4], _mm512_fmadd_ps(two, m[3], d12));
  o[2] = _mm512_fmadd_ps(two, m[4], _mm512_fmadd_ps(four, m[3], s12));
  o[3] = _mm512_add_ps(_mm512_sub_ps(_mm512_fmadd_ps(eight, m[3], d12), m[4]), m[5]);
}

inline void at4(const __m512* m, __m512* o) {
  o[0] = _mm512_add_ps(_mm512_add_ps(m[0], m[1]), m[2]);
  o[1] = _mm512_sub_ps(_mm512_sub_ps(m[1], m[2]), m[3]);
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
    // Rows and columns of the tile inside x (the rest reads as zero).
    unsigned row_ok = 0, col_ok = 0;
    for (int i = 0; i < A; ++i) {
      if (ih0 + i >= 0 && ih0 + i < j.in_h) row_ok |= 1u << i;
      if (iw0 + i >= 0 && iw0 + i < j.in_w) col_ok |= 1u << i;
    }
    const int64_t cb_end = j.cb_end < 0 ? j.in_blocks : j.cb_end;
    const float* x0 = j.x + j.cb_begin * plane + (ih0 * j.in_w + iw0) * B;
    float* v0 = j.v + (j.cb_begin * j.tiles + tl) * B;
    for (int64_t cb = j.cb_begin; cb < cb_end; ++cb, x0 += plane, v0 += j.tiles * B) {
      __m512 t[A][A];  // t[c][r] = (B^T d)[r][c]
#pragma GCC unroll 6
      for (int c = 0; c < A; ++c) {
        __m512 d[A];
        if (inside) {
#pragma GCC unroll 6
          for (int r = 0; r < A; ++r) d[r] = _mm512_loadu_ps(x0 + (r * j.in_w + c) * B);
        } else {
#pragma GCC unroll 6
          for (int r = 0; r < A; ++r) {
            d[r] = ((row_ok >> r) & (col_ok >> c) & 1u) ? _mm512_loadu_ps(x0 + (r * j.in_w + c) * B)
                                                       : _mm512_setzero_ps();
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
        __m512 row[A], o[A];
#pragma GCC unroll 6
        for (int c = 0; c < A; ++c) row[c] = t[c][r];
        if constexpr (A == 6) {
          bt6(row, o);
        } else {
          bt4(row, o);
        }
#pragma GCC unroll 6
        for (int c = 0; c < A; ++c) _mm512_storeu_ps(v0 + (r * A + c) * xi_stride, o[c]);
      }
    }
  }
}

void input_avx512(const WinogradInputJob& j) {
  if (j.m == 4) {
    input_tiles<6>(j);
  } else {
    input_tiles<4>(j);
  }
}

// ---- products ----------------------------------------------------------------------------------

// pf: where this call's prefetches go, one line per (input channel, block) step: pf + b * pf_ob +
// (cb * 16 + ic) * 16. The wide convs' U streams from memory (9-38 MB per conv, read once per tile
// group), so each call fetches ahead what a later one reads.
template <int NB, int R>
void gemm_tile(const float* v, int64_t v_cb_stride, int64_t in_blocks, const float* u, int64_t u_ob, float* m,
               int64_t m_b, const float* pf, int64_t pf_ob) {
  __m512 acc[NB][R];
#pragma GCC unroll 4
  for (int b = 0; b < NB; ++b) {
#pragma GCC unroll 28
    for (int r = 0; r < R; ++r) acc[b][r] = _mm512_setzero_ps();
  }
  for (int64_t cb = 0; cb < in_blocks; ++cb, v += v_cb_stride, u += 256, pf += 256) {
#pragma GCC unroll 4
    for (int ic = 0; ic < 16; ++ic) {
#pragma GCC unroll 4
      for (int b = 0; b < NB; ++b) {
        _mm_prefetch(reinterpret_cast<const char*>(pf + b * pf_ob + ic * 16), _MM_HINT_T1);
        const __m512 w = _mm512_loadu_ps(u + b * u_ob + ic * 16);
#pragma GCC unroll 28
        for (int r = 0; r < R; ++r) fma_bcast(acc[b][r], w, v + r * 16 + ic);
      }
    }
  }
#pragma GCC unroll 4
  for (int b = 0; b < NB; ++b) {
#pragma GCC unroll 28
    for (int r = 0; r < R; ++r) _mm512_storeu_ps(m + b * m_b + r * 16, acc[b][r]);
  }
}

using GemmTileFn = void (*)(const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t, const float*,
                            int64_t);
constexpr int kMaxRows[5] = {0, 28, 14, 9, 7};

template <int NB, int R = 1>
void fill_rows(GemmTileFn* row) {
  if constexpr (R <= kMaxRows[NB]) {
    row[R] = &gemm_tile<NB, R>;
    fill_rows<NB, R + 1>(row);
  }
}

struct GemmTable {
  GemmTileFn fn[5][29] = {};
  GemmTable() { fill_rows<1>(fn[1]), fill_rows<2>(fn[2]), fill_rows<3>(fn[3]), fill_rows<4>(fn[4]); }
};

void gemm_avx512(const WinogradGemmJob& j) {
  static const GemmTable table;
  const int64_t v_xi = j.in_blocks * j.tiles * B, m_xi = j.blocks * j.tiles * B, u_ob = j.in_blocks * B * B;
  if (j.tiles >= 8 && j.tiles <= kMaxRows[1]) {
    // All tiles in one call, one block at a time: each U line is read once, by every tile, while
    // the next (xi, block) panel is prefetched; with several calls per panel most of them would
    // run from cache and leave memory idle.
    for (int b = 0; b < j.blocks; ++b) {
      for (int64_t xi = 0; xi < j.xis; ++xi) {
        const float* u = j.u + xi * j.u_xi_stride + b * u_ob;
        const float* next = xi + 1 < j.xis ? u + j.u_xi_stride : j.u + (b + 1) * u_ob;
        table.fn[1][j.tiles](j.v + xi * v_xi, j.tiles * B, j.in_blocks, u, u_ob, j.m + xi * m_xi + b * j.tiles * B,
                             j.tiles * B, next, 0);
      }
    }
    return;
  }
  const int nb = j.blocks;
  const int64_t max_rows = kMaxRows[nb];
  // Row blocks of near-equal size: 30 tiles as 6 x 5 rather than 4 x 7 + 2.
  const int64_t chunks = (j.tiles + max_rows - 1) / max_rows;
  for (int64_t xi = 0; xi < j.xis; ++xi) {
    const float* v = j.v + xi * v_xi;
    const float* u = j.u + xi * j.u_xi_stride;
    float* m = j.m + xi * m_xi;
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t r0 = c * j.tiles / chunks, r1 = (c + 1) * j.tiles / chunks;
      table.fn[nb][r1 - r0](v + r0 * B, j.tiles * B, j.in_blocks, u, u_ob, m + r0 * B, j.tiles * B, u + 512, u_ob);
    }
  }
}

// ---- output transform --------------------------------------------------------------------------

template <int A>
void output_tiles(const WinogradOutputJob& j) {
  constexpr int M = A - 2;
  const int64_t xi_stride = j.blocks * j.tiles * B, y_block = j.out_h * j.out_w * B;
  const bool clamp = j.lo != -__builtin_inff() || j.hi != __builtin_inff();
  const __m512 lo = _mm512_set1_ps(j.lo), hi = _mm512_set1_ps(j.hi);
  for (int64_t tl = 0; tl < j.tiles; ++tl) {
    const int64_t tile = j.tile0 + tl;
    const int64_t oh0 = (tile / j.tiles_w) * M, ow0 = (tile % j.tiles_w) * M;
    const int rows = static_cast<int>(min_i64(M, j.out_h - oh0));
    const int cols = static_cast<int>(min_i64(M, j.out_w - ow0));
    for (int b = 0; b < j.blocks; ++b) {
      const float* mb = j.m + (b * j.tiles + tl) * B;
      __m512 t[A][M];  // t[c][r] = (A^T m)[r][c]
#pragma GCC unroll 6
      for (int c = 0; c < A; ++c) {
        __m512 col[A];
#pragma GCC unroll 6
        for (int r = 0; r < A; ++r) col[r] = _mm512_loadu_ps(mb + (r * A + c) * xi_stride);
        if constexpr (A == 6) {
          at6(col, t[c]);
        } else {
          at4(col, t[c]);
        }
      }
      const __m512 bias = _mm512_loadu_ps(j.bias + b * B);
      const int64_t base = b * y_block + (oh0 * j.out_w + ow0) * B;
#pragma GCC unroll 4
      for (int r = 0; r < M; ++r) {
        if (r >= rows) break;
        __m512 row[A], o[M];
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
          __m512 val = _mm512_add_ps(o[c], bias);
          if (j.sum != nullptr) val = _mm512_add_ps(val, _mm512_loadu_ps(j.sum + at));
          if (clamp) val = clamp_keep_nan(val, lo, hi);
          _mm512_storeu_ps(j.y + at, val);
        }
      }
    }
  }
}

void output_avx512(const WinogradOutputJob& j) {
  if (j.m_side == 4) {
    output_tiles<6>(j);
  } else {
    output_tiles<4>(j);
  }
}

// ---- weight transform (session creation) --------------------------------------------------------

void weights_avx512(const WinogradWeightJob& j) {
  const int a = j.a;
  const __mmask16 lanes = static_cast<__mmask16>((1u << j.lanes) - 1u);
  const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                          _mm512_set1_epi32(static_cast<int>(j.oc_stride)));
  for (int i = 0; i < 16; ++i) {
    __m512 g[9];
    for (int k = 0; k < 9; ++k) {
      g[k] = i < j.ics ? _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes, rows, j.w + i * 9 + k, 4)
                       : _mm512_setzero_ps();
    }
    __m512 t[6][3];
    for (int r = 0; r < a; ++r) {
      const __m512 g0 = _mm512_set1_ps(j.g[r * 3]), g1 = _mm512_set1_ps(j.g[r * 3 + 1]), g2 = _mm512_set1_ps(j.g[r * 3 + 2]);
      for (int c = 0; c < 3; ++c) {
        t[r][c] = _mm512_fmadd_ps(g2, g[6 + c], _mm512_fmadd_ps(g1, g[3 + c], _mm512_mul_ps(g0, g[c])));
      }
    }
    for (int c = 0; c < a; ++c) {
      const __m512 g0 = _mm512_set1_ps(j.g[c * 3]), g1 = _mm512_set1_ps(j.g[c * 3 + 1]), g2 = _mm512_set1_ps(j.g[c * 3 + 2]);
      for (int r = 0; r < a; ++r) {
        const __m512 u = _mm512_fmadd_ps(t[r][2], g2, _mm512_fmadd_ps(t[r][1], g1, _mm512_mul_ps(t[r][0], g0)));
        _mm512_storeu_ps(j.block + ((r * a + c) * B + i) * B, u);
      }
    }
  }
}

}  // namespace

WinogradKernels winograd_kernels__avx512() { return {input_avx512, gemm_avx512, output_avx512, weights_avx512}; }

}  // namespace onnxi::kernels
