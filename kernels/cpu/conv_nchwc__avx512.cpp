// AVX-512 NCHWc convolution tiles (this file gets -mavx512f and friends).
//
// Dense tile: blocks x pixels accumulators (at most 28 zmm: 2 x 14), each step of input channel
// loads one weight vector per block and broadcasts one input value per pixel, into a register
// shared by the blocks (2 blocks) or straight from memory into the FMA (1 block). The driver
// gives these tiles runs of 1 or 2 output blocks (block_runs in conv_nchwc.cpp). 14+ independent
// accumulators cover the FMA latency (4) at one 512-bit FMA per cycle (Zen 4) and nearly at two
// (Zen 5); the pixel stride is a template parameter so every broadcast address is a constant
// offset from one pointer (no per-pixel registers).
// Measured 108-116 GFLOP/s on one Zen 4 core (memory operands; 3x3 and 1x1 ResNet shapes,
// weights in cache), about its FMA peak; on one Zen 5 core (peak ~240) 201-208 with memory
// operands, 220-234 with the shared register (bench BM_WinogradDirect, 3x3 convs of 56 to 14).
//
// Also here: depthwise rows (16 channels per vector, no reduction), 16 x 16 register transposes
// for ReorderInput / ReorderOutput.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/conv_nchwc.h"
#include "kernels/cpu/transpose__avx512.h"

// GCC 12's vmaxps/vminps intrinsics pass _mm512_undefined_ps() as the unused merge source, which
// its own -Wmaybe-uninitialized then flags in every inlined copy; the value is never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace onnxi::kernels {
namespace {

inline __m512 clamp_keep_nan(__m512 v, __m512 lo, __m512 hi) {
  // vmaxps/vminps return the second operand when either is NaN: v second keeps NaN, as Clip does.
  return _mm512_min_ps(hi, _mm512_max_ps(lo, v));
}

// acc += w * broadcast(*x), the broadcast folded into the FMA's memory operand. Written as asm
// because GCC otherwise hoists each broadcast into its own register (reused across the blocks),
// which with 28 accumulators spills them to the stack on every step.
inline void fma_bcast(__m512& acc, __m512 w, const float* x) {
  __asm__("vfmadd231ps %[x]%{1to16%}, %[w], %[acc]" : [acc] "+v"(acc) : [w] "v"(w), [x] "m"(*x));
}

// A broadcast into a register of its own, shared by the FMAs of every block: asm so that GCC
// neither folds it back into one FMA's memory operand nor hoists it away from its uses.
inline __m512 broadcast(const float* x) {
  __m512 v;
  __asm__("vbroadcastss %[x], %[v]" : [v] "=v"(v) : [x] "m"(*x));
  return v;
}

// Zen 5 issues two 512-bit FMAs per cycle but loads at most two vectors, and an FMA with a
// broadcast memory operand is one load each: a 2 x 14 tile then needs 30 loads per 28 FMAs and
// waits on the load ports (~88% of the FMA peak with everything in L1). Broadcasting each pixel
// once into a register and sharing it between the blocks needs NB + TW loads. It takes
// NB x TW + NB + 1 registers: 2 x 14 fits, 4 x 7 (33) would not, so no run has 4 blocks here.
template <int NB, int TW>
constexpr bool kRegisterBroadcast = NB > 1 && NB * TW + NB + 1 <= 31;

// PS: floats between the inputs of adjacent output pixels. 16 or 32 mean a blocked input (16
// channels per block, adjacent in memory); 1 or 2 an NCHW input (channels a plane apart).
template <int NB, int TW, int PS>
void conv_tile(const NchwcTile& t) {
  constexpr bool kBlocked = PS >= 16;
  __m512 acc[NB][TW];
  if (t.first) {
#pragma GCC unroll 4
    for (int b = 0; b < NB; ++b) {
      const __m512 bias = _mm512_loadu_ps(t.bias + b * 16);
#pragma GCC unroll 14
      for (int p = 0; p < TW; ++p) acc[b][p] = bias;
    }
  } else {
#pragma GCC unroll 4
    for (int b = 0; b < NB; ++b) {
#pragma GCC unroll 14
      for (int p = 0; p < TW; ++p) acc[b][p] = _mm512_loadu_ps(t.y + b * t.y_block_stride + p * 16);
    }
  }
  const float* xb = t.x;
  const float* w = t.w;
  const int64_t wbs = t.w_block_stride;
  const float* pf = t.prefetch;
  for (int64_t icb = 0; icb < t.ic_blocks; ++icb, xb += t.x_block_stride) {
    if (pf != nullptr) {
      for (int b = 0; b < NB; ++b) {
        const char* line = reinterpret_cast<const char*>(pf + b * t.prefetch_block_stride);
        for (int64_t l = 0; l < t.prefetch_lines; ++l) _mm_prefetch(line + l * 64, _MM_HINT_T1);
      }
      pf += t.prefetch_lines * 16;
    }
    if constexpr (kBlocked) {
      // The next tile's pixels of this block: 16 blocks a plane apart are more streams than the
      // hardware prefetchers follow, and a 1x1 conv reads each line only once.
#pragma GCC unroll 14
      for (int p = 0; p < TW; ++p) _mm_prefetch(reinterpret_cast<const char*>(xb + (TW + p) * PS), _MM_HINT_T0);
    }
    // The last block of a channel count that is not a multiple of 16 (24: a third of the work
    // would be zero weights times padding) stops at its real channels.
    const int n_ic = icb + 1 == t.ic_blocks ? static_cast<int>(t.tail_ics) : 16;
    for (int64_t tap = 0; tap < t.taps; ++tap) {
      const float* xt = xb + t.tap_offsets[tap];
      if constexpr (kBlocked) {
        if (kRegisterBroadcast<NB, TW> && n_ic == 16) {
#pragma GCC unroll 2
          for (int ic = 0; ic < 16; ++ic) {
            __m512 wv[NB];
#pragma GCC unroll 4
            for (int b = 0; b < NB; ++b) wv[b] = _mm512_loadu_ps(w + b * wbs + ic * 16);
#pragma GCC unroll 14
            for (int p = 0; p < TW; ++p) {
              const __m512 xv = broadcast(xt + p * PS + ic);
#pragma GCC unroll 4
              for (int b = 0; b < NB; ++b) acc[b][p] = _mm512_fmadd_ps(wv[b], xv, acc[b][p]);
            }
          }
        } else if (n_ic == 16) {
#pragma GCC unroll 4
          for (int ic = 0; ic < 16; ++ic) {
#pragma GCC unroll 4
            for (int b = 0; b < NB; ++b) {
              const __m512 wv = _mm512_loadu_ps(w + b * wbs + ic * 16);
#pragma GCC unroll 14
              for (int p = 0; p < TW; ++p) fma_bcast(acc[b][p], wv, xt + p * PS + ic);
            }
          }
        } else {
#pragma GCC unroll 1
          for (int ic = 0; ic < n_ic; ++ic) {
#pragma GCC unroll 4
            for (int b = 0; b < NB; ++b) {
              const __m512 wv = _mm512_loadu_ps(w + b * wbs + ic * 16);
#pragma GCC unroll 14
              for (int p = 0; p < TW; ++p) fma_bcast(acc[b][p], wv, xt + p * PS + ic);
            }
          }
        }
        w += 256;
      } else {
        // Channel planes of an NCHW input: one stream per channel, too many for the hardware
        // prefetchers once there are more than a few, so each fetches the next tile's line.
        const int64_t ics = t.x_ic_stride;
        const int64_t n_planes = n_ic < t.ic_per_block ? n_ic : t.ic_per_block;
        const float* wt = w;
        for (int64_t ic = 0; ic < n_planes; ++ic, xt += ics, wt += 16) {
          if (t.ic_per_block == 16) _mm_prefetch(reinterpret_cast<const char*>(xt + TW * PS), _MM_HINT_T0);
          if constexpr (kRegisterBroadcast<NB, TW>) {
            __m512 wv[NB];
#pragma GCC unroll 4
            for (int b = 0; b < NB; ++b) wv[b] = _mm512_loadu_ps(wt + b * wbs);
#pragma GCC unroll 14
            for (int p = 0; p < TW; ++p) {
              const __m512 xv = broadcast(xt + p * PS);
#pragma GCC unroll 4
              for (int b = 0; b < NB; ++b) acc[b][p] = _mm512_fmadd_ps(wv[b], xv, acc[b][p]);
            }
          } else {
#pragma GCC unroll 4
            for (int b = 0; b < NB; ++b) {
              const __m512 wv = _mm512_loadu_ps(wt + b * wbs);
#pragma GCC unroll 14
              for (int p = 0; p < TW; ++p) fma_bcast(acc[b][p], wv, xt + p * PS);
            }
          }
        }
        w += t.ic_per_block * 16;
      }
    }
  }
  if (t.last) {
    if (t.sum != nullptr) {
#pragma GCC unroll 4
      for (int b = 0; b < NB; ++b) {
#pragma GCC unroll 14
        for (int p = 0; p < TW; ++p) {
          acc[b][p] = _mm512_add_ps(acc[b][p], _mm512_loadu_ps(t.sum + b * t.y_block_stride + p * 16));
        }
      }
    }
    if (t.lo != -__builtin_inff() || t.hi != __builtin_inff()) {
      const __m512 lo = _mm512_set1_ps(t.lo), hi = _mm512_set1_ps(t.hi);
#pragma GCC unroll 4
      for (int b = 0; b < NB; ++b) {
#pragma GCC unroll 14
        for (int p = 0; p < TW; ++p) acc[b][p] = clamp_keep_nan(acc[b][p], lo, hi);
      }
    }
  }
#pragma GCC unroll 4
  for (int b = 0; b < NB; ++b) {
#pragma GCC unroll 14
    for (int p = 0; p < TW; ++p) _mm512_storeu_ps(t.y + b * t.y_block_stride + p * 16, acc[b][p]);
  }
}

inline void fma_bcast8(__m256& acc, __m256 w, const float* x) {
  __asm__("vfmadd231ps %[x]%{1to8%}, %[w], %[acc]" : [acc] "+v"(acc) : [w] "v"(w), [x] "m"(*x));
}

// NF full output blocks and a last one with at most 8 real channels (M = 24: a quarter of the
// FMAs would be zero weights), on a blocked stride-1 input: the half block runs on 256-bit
// vectors, which Zen 4 issues twice per cycle. Its padding lanes are written in the last chunk
// as the full tile would (clamp(0 + sum)), so they stay finite.
template <int NF, int TW>
void conv_tile_half(const NchwcTile& t) {
  static_assert(NF == 0 || NF == 1, "the driver gives half tiles at most 2 blocks");
  constexpr int PS = 16;
  __m512 acc[NF > 0 ? NF : 1][TW];
  __m256 half[TW];
  const int64_t ybs = t.y_block_stride;
  float* yh = t.y + NF * ybs;
#pragma GCC unroll 14
  for (int p = 0; p < TW; ++p) {
    for (int b = 0; b < NF; ++b) acc[b][p] = t.first ? _mm512_loadu_ps(t.bias + b * 16) : _mm512_loadu_ps(t.y + b * ybs + p * 16);
    half[p] = t.first ? _mm256_loadu_ps(t.bias + NF * 16) : _mm256_loadu_ps(yh + p * 16);
  }
  const float* xb = t.x;
  const float* w = t.w;
  const int64_t wbs = t.w_block_stride;
  for (int64_t icb = 0; icb < t.ic_blocks; ++icb, xb += t.x_block_stride) {
#pragma GCC unroll 14
    for (int p = 0; p < TW; ++p) _mm_prefetch(reinterpret_cast<const char*>(xb + (TW + p) * PS), _MM_HINT_T0);
    const int n_ic = icb + 1 == t.ic_blocks ? static_cast<int>(t.tail_ics) : 16;
    for (int64_t tap = 0; tap < t.taps; ++tap) {
      const float* xt = xb + t.tap_offsets[tap];
      if constexpr (NF == 1) {
        // One broadcast per pixel for both the full and the half block (kRegisterBroadcast).
#pragma GCC unroll 2
        for (int ic = 0; ic < n_ic; ++ic) {
          const __m512 wv = _mm512_loadu_ps(w + ic * 16);
          const __m256 wh = _mm256_loadu_ps(w + wbs + ic * 16);
#pragma GCC unroll 14
          for (int p = 0; p < TW; ++p) {
            const __m512 xv = broadcast(xt + p * PS + ic);
            acc[0][p] = _mm512_fmadd_ps(wv, xv, acc[0][p]);
            half[p] = _mm256_fmadd_ps(wh, _mm512_castps512_ps256(xv), half[p]);
          }
        }
      } else {  // the half block alone (M <= 8): each broadcast has one use, the memory operand
#pragma GCC unroll 2
        for (int ic = 0; ic < n_ic; ++ic) {
          const __m256 wh = _mm256_loadu_ps(w + ic * 16);
#pragma GCC unroll 14
          for (int p = 0; p < TW; ++p) fma_bcast8(half[p], wh, xt + p * PS + ic);
        }
      }
      w += 256;
    }
  }
  if (t.last) {
    const bool clamp = t.lo != -__builtin_inff() || t.hi != __builtin_inff();
    const __m512 lo = _mm512_set1_ps(t.lo), hi = _mm512_set1_ps(t.hi);
    const __m256 lo8 = _mm256_set1_ps(t.lo), hi8 = _mm256_set1_ps(t.hi);
#pragma GCC unroll 14
    for (int p = 0; p < TW; ++p) {
      for (int b = 0; b < NF; ++b) {
        if (t.sum != nullptr) acc[b][p] = _mm512_add_ps(acc[b][p], _mm512_loadu_ps(t.sum + b * ybs + p * 16));
        if (clamp) acc[b][p] = clamp_keep_nan(acc[b][p], lo, hi);
      }
      __m256 pad = _mm256_setzero_ps();
      if (t.sum != nullptr) {
        half[p] = _mm256_add_ps(half[p], _mm256_loadu_ps(t.sum + NF * ybs + p * 16));
        pad = _mm256_loadu_ps(t.sum + NF * ybs + p * 16 + 8);
      }
      if (clamp) {
        half[p] = _mm256_min_ps(hi8, _mm256_max_ps(lo8, half[p]));
        pad = _mm256_min_ps(hi8, _mm256_max_ps(lo8, pad));
      }
      _mm256_storeu_ps(yh + p * 16 + 8, pad);
    }
  }
#pragma GCC unroll 14
  for (int p = 0; p < TW; ++p) {
    for (int b = 0; b < NF; ++b) _mm512_storeu_ps(t.y + b * ybs + p * 16, acc[b][p]);
    _mm256_storeu_ps(yh + p * 16, half[p]);
  }
}

template <int NF, int TW = 1>
void fill_half_row(NchwcTileFn* row) {
  if constexpr (TW <= 14) {
    row[TW] = &conv_tile_half<NF, TW>;
    fill_half_row<NF, TW + 1>(row);
  }
}

// Tiles for 1..14 pixels of one (blocks, pixel stride) pair.
template <int NB, int PS, int TW = 1>
void fill_row(NchwcTileFn* row) {
  if constexpr (TW <= 14) {
    row[TW] = NB * TW <= 28 ? &conv_tile<NB, TW, PS> : nullptr;
    if constexpr (NB * TW < 28) fill_row<NB, PS, TW + 1>(row);
  }
}

struct TileTable {
  NchwcTileFn fn[3][4][15] = {};  // [blocks][pixel stride 16, 32, 1, 2][pixels]
  NchwcTileFn half[3][15] = {};   // [blocks, the last one half][pixels], pixel stride 16
  TileTable() {
    fill_half_row<0>(half[1]), fill_half_row<1>(half[2]);
    fill_row<1, 16>(fn[1][0]), fill_row<1, 32>(fn[1][1]), fill_row<1, 1>(fn[1][2]), fill_row<1, 2>(fn[1][3]);
    fill_row<2, 16>(fn[2][0]), fill_row<2, 32>(fn[2][1]), fill_row<2, 1>(fn[2][2]), fill_row<2, 2>(fn[2][3]);
  }
};

int pixel_stride_index(int64_t ps) {
  switch (ps) {
    case 16: return 0;
    case 32: return 1;
    case 1: return 2;
    case 2: return 3;
    default: return -1;
  }
}

// One output pixel with every tap bounds-checked (depthwise edges).
inline __m512 depthwise_pixel(const NchwcConvParams& p, const NchwcDepthwiseRow& r, int64_t ow, __m512 acc) {
  for (int64_t kh = 0; kh < p.kernel_h; ++kh) {
    const int64_t ih = r.oh * p.stride_h - p.pad_top + kh * p.dilation_h;
    if (ih < 0 || ih >= p.in_h) continue;
    for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
      const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
      if (iw < 0 || iw >= p.in_w) continue;
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(r.x + ((ih - r.row0) * p.in_w + iw) * 16),
                            _mm512_loadu_ps(r.w + (kh * p.kernel_w + kw) * 16), acc);
    }
  }
  return acc;
}

inline void depthwise_store(const NchwcConvParams& p, const NchwcDepthwiseRow& r, int64_t ow, __m512 acc) {
  if (r.sum != nullptr) acc = _mm512_add_ps(acc, _mm512_loadu_ps(r.sum + ow * 16));
  if (p.act_lo != -__builtin_inff() || p.act_hi != __builtin_inff()) {
    acc = clamp_keep_nan(acc, _mm512_set1_ps(p.act_lo), _mm512_set1_ps(p.act_hi));
  }
  _mm512_storeu_ps(r.y + ow * 16, acc);
}

// 8 interior pixels (every tap inside the image), the rows in the padding skipped.
template <int TW>
inline void depthwise_interior(const NchwcConvParams& p, const NchwcDepthwiseRow& r, int64_t ow, int64_t kh_lo,
                               int64_t kh_hi, __m512 bias) {
  __m512 acc[TW];
#pragma GCC unroll 8
  for (int i = 0; i < TW; ++i) acc[i] = bias;
  const int64_t step = p.stride_w * 16;
  for (int64_t kh = kh_lo; kh < kh_hi; ++kh) {
    const int64_t ih = r.oh * p.stride_h - p.pad_top + kh * p.dilation_h;
    const float* row = r.x + ((ih - r.row0) * p.in_w + ow * p.stride_w - p.pad_left) * 16;
    for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
      const __m512 wv = _mm512_loadu_ps(r.w + (kh * p.kernel_w + kw) * 16);
      const float* xp = row + kw * p.dilation_w * 16;
#pragma GCC unroll 8
      for (int i = 0; i < TW; ++i) acc[i] = _mm512_fmadd_ps(_mm512_loadu_ps(xp + i * step), wv, acc[i]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < TW; ++i) depthwise_store(p, r, ow + i, acc[i]);
}

// 3-wide kernels, dilation 1 along the row, stride S: the TW pixels of a row of taps read
// (TW - 1) * S + 3 input vectors, each loaded once and used by up to 3 pixels.
template <int S, int TW>
inline void depthwise_interior_k3(const NchwcConvParams& p, const NchwcDepthwiseRow& r, int64_t ow, int64_t kh_lo,
                                  int64_t kh_hi, __m512 bias) {
  constexpr int kIn = (TW - 1) * S + 3;
  __m512 acc[TW];
#pragma GCC unroll 8
  for (int i = 0; i < TW; ++i) acc[i] = bias;
  for (int64_t kh = kh_lo; kh < kh_hi; ++kh) {
    const int64_t ih = r.oh * p.stride_h - p.pad_top + kh * p.dilation_h;
    const float* row = r.x + ((ih - r.row0) * p.in_w + ow * S - p.pad_left) * 16;
    const float* wk = r.w + kh * 3 * 16;
    const __m512 w0 = _mm512_loadu_ps(wk), w1 = _mm512_loadu_ps(wk + 16), w2 = _mm512_loadu_ps(wk + 32);
    __m512 xv[kIn];
#pragma GCC unroll 17
    for (int i = 0; i < kIn; ++i) xv[i] = _mm512_loadu_ps(row + i * 16);
#pragma GCC unroll 8
    for (int i = 0; i < TW; ++i) {
      acc[i] = _mm512_fmadd_ps(xv[i * S], w0, acc[i]);
      acc[i] = _mm512_fmadd_ps(xv[i * S + 1], w1, acc[i]);
      acc[i] = _mm512_fmadd_ps(xv[i * S + 2], w2, acc[i]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < TW; ++i) depthwise_store(p, r, ow + i, acc[i]);
}

// One edge pixel of a 3-wide, dilation-1 kernel: taps outside the row are masked loads with an
// empty mask (zero, and no memory touched), so the edges run the same branch-free FMAs.
inline void depthwise_edge_k3(const NchwcConvParams& p, const NchwcDepthwiseRow& r, int64_t ow, int64_t kh_lo,
                              int64_t kh_hi, __m512 bias) {
  const int64_t iw0 = ow * p.stride_w - p.pad_left;
  __mmask16 m[3];
  for (int k = 0; k < 3; ++k) m[k] = iw0 + k >= 0 && iw0 + k < p.in_w ? 0xffff : 0;
  __m512 acc = bias;
  for (int64_t kh = kh_lo; kh < kh_hi; ++kh) {
    const int64_t ih = r.oh * p.stride_h - p.pad_top + kh * p.dilation_h;
    const float* row = r.x + ((ih - r.row0) * p.in_w + iw0) * 16;
    const float* wk = r.w + kh * 3 * 16;
#pragma GCC unroll 3
    for (int k = 0; k < 3; ++k) acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m[k], row + k * 16), _mm512_loadu_ps(wk + k * 16), acc);
  }
  depthwise_store(p, r, ow, acc);
}

// Reorders move 16 x 16 squares (16 channels x 16 pixels) through registers (transpose16,
// transpose__avx512.h).
inline __mmask16 first_lanes(int64_t n) { return static_cast<__mmask16>(n >= 16 ? 0xffffu : (1u << n) - 1u); }

}  // namespace

void nchwc_reorder_input_plane__avx512(const float* x, int64_t real, int64_t spatial, float* y) {
  __m512 r[16];
  for (int64_t s = 0; s < spatial; s += 16) {
    const int64_t n = spatial - s < 16 ? spatial - s : 16;
    const __mmask16 m = first_lanes(n);
    for (int64_t l = 0; l < 16; ++l) r[l] = l < real ? _mm512_maskz_loadu_ps(m, x + l * spatial + s) : _mm512_setzero_ps();
    transpose16(r);
    for (int64_t i = 0; i < n; ++i) _mm512_storeu_ps(y + (s + i) * 16, r[i]);
  }
}

void nchwc_reorder_output_rows__avx512(const float* x, int64_t real, int64_t count, int64_t y_stride, float* y) {
  __m512 r[16];
  for (int64_t s = 0; s < count; s += 16) {
    const int64_t n = count - s < 16 ? count - s : 16;
    for (int64_t i = 0; i < 16; ++i) r[i] = i < n ? _mm512_loadu_ps(x + (s + i) * 16) : _mm512_setzero_ps();
    transpose16(r);
    const __mmask16 m = first_lanes(n);
    for (int64_t l = 0; l < real; ++l) _mm512_mask_storeu_ps(y + l * y_stride + s, m, r[l]);
  }
}

void nchwc_conv_tile__avx512(const NchwcTile& t) {
  static const TileTable table;
  const int psi = pixel_stride_index(t.x_pixel_stride);
  const bool blocked = t.ic_per_block == 16 && t.x_ic_stride == 1 && t.x_pixel_stride % 16 == 0;
  NchwcTileFn fn = nullptr;
  if (t.half_last && blocked && t.x_pixel_stride == 16 && t.blocks <= 2 && t.pixels >= 1 && t.pixels <= 14) {
    fn = table.half[t.blocks][t.pixels];
  } else if (t.blocks >= 1 && t.blocks <= 2 && t.pixels >= 1 && t.pixels <= 14) {
    if (psi >= 0 && blocked == (psi < 2)) {
      fn = table.fn[t.blocks][psi][t.pixels];
    } else if (t.pixels == 1) {
      fn = table.fn[t.blocks][blocked ? 0 : 2][1];  // one pixel: its stride never matters
    }
  }
  if (fn == nullptr) {
    nchwc_conv_tile__scalar(t);
    return;
  }
  fn(t);
}

void nchwc_depthwise_row__avx512(const NchwcConvParams& p, const NchwcDepthwiseRow& r) {
  const __m512 bias = _mm512_loadu_ps(r.bias);
  // Rows of taps inside the image, and the output columns whose taps are all inside.
  const int64_t ih0 = r.oh * p.stride_h - p.pad_top;
  int64_t kh_lo = 0, kh_hi = p.kernel_h;
  while (kh_lo < kh_hi && ih0 + kh_lo * p.dilation_h < 0) ++kh_lo;
  while (kh_hi > kh_lo && ih0 + (kh_hi - 1) * p.dilation_h >= p.in_h) --kh_hi;
  const int64_t span = (p.kernel_w - 1) * p.dilation_w;
  int64_t lo = 0;
  while (lo < p.out_w && lo * p.stride_w - p.pad_left < 0) ++lo;
  int64_t hi = lo;
  while (hi < p.out_w && hi * p.stride_w - p.pad_left + span < p.in_w) ++hi;
  const bool k3 = p.kernel_w == 3 && p.dilation_w == 1;
  for (int64_t ow = 0; ow < lo; ++ow) {
    if (k3) {
      depthwise_edge_k3(p, r, ow, kh_lo, kh_hi, bias);
    } else {
      depthwise_store(p, r, ow, depthwise_pixel(p, r, ow, bias));
    }
  }
  int64_t ow = lo;
  if (k3 && (p.stride_w == 1 || p.stride_w == 2)) {
    if (p.stride_w == 1) {
      for (; ow + 8 <= hi; ow += 8) depthwise_interior_k3<1, 8>(p, r, ow, kh_lo, kh_hi, bias);
      for (; ow + 4 <= hi; ow += 4) depthwise_interior_k3<1, 4>(p, r, ow, kh_lo, kh_hi, bias);
      for (; ow < hi; ++ow) depthwise_interior_k3<1, 1>(p, r, ow, kh_lo, kh_hi, bias);
    } else {
      for (; ow + 8 <= hi; ow += 8) depthwise_interior_k3<2, 8>(p, r, ow, kh_lo, kh_hi, bias);
      for (; ow + 4 <= hi; ow += 4) depthwise_interior_k3<2, 4>(p, r, ow, kh_lo, kh_hi, bias);
      for (; ow < hi; ++ow) depthwise_interior_k3<2, 1>(p, r, ow, kh_lo, kh_hi, bias);
    }
  }
  for (; ow + 8 <= hi; ow += 8) depthwise_interior<8>(p, r, ow, kh_lo, kh_hi, bias);
  if (ow + 4 <= hi) {
    depthwise_interior<4>(p, r, ow, kh_lo, kh_hi, bias);
    ow += 4;
  }
  for (; ow < hi; ++ow) depthwise_interior<1>(p, r, ow, kh_lo, kh_hi, bias);
  for (ow = hi; ow < p.out_w; ++ow) {
    if (k3) {
      depthwise_edge_k3(p, r, ow, kh_lo, kh_hi, bias);
    } else {
      depthwise_store(p, r, ow, depthwise_pixel(p, r, ow, bias));
    }
  }
}

}  // namespace onnxi::kernels
