// AVX2 NCHWc convolution tiles (this file gets -mavx2 -mfma).
//
// AVX2 has 16 ymm registers and no broadcast operand on FMAs, so a tile (1-4 output blocks x any
// number of pixels; the driver gives up to 24, whole sub-tiles of 5-6 where the row allows) runs as
// sub-tiles of one output block (two ymm halves) x up to 6 pixels: 12 accumulators, two weight
// vectors and one broadcast. The pixels are split evenly (17 as 5 + 6 + 6), since a sub-tile of
// 1-2 pixels waits on its FMA latency. A last block with at most 8 real channels runs its low
// half alone, up to 12 pixels per sub-tile. Narrow output rows come as one tile over several rows
// (NchwcTile::row_pixels), whose sub-tiles cross a row end at a compile-time split point.
//
// Also here: ReorderInput's planes and the NCHW store of nchw_output (8 x 8 register transposes,
// transpose__avx2.h).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cpu/conv_nchwc.h"
#include "kernels/cpu/transpose__avx2.h"

namespace onnxi::kernels {
namespace {

constexpr int kMaxSubPixels = 6;

// The lines of weights a later tile reads first (t.prefetch: the driver gives each tile its share
// of the next chunk's stream), fetched into L2 by the tile's first sub-tile, a few lines per ic
// block. Weights streamed from memory otherwise stall the first sub-tile of each chunk: in
// MobileNetV2 (Zen 2, 1 thread, profile of 300 runs, 3 alternations) the 7x7 1x1 convs
// 320 -> 1280 0.63-0.71 -> 0.57-0.60 ms and 960 -> 320 0.46-0.48 -> 0.43-0.45 ms.
inline void prefetch_weights(const NchwcTile& t, int64_t icb) {
  const float* pf = t.prefetch + icb * t.prefetch_lines * 16;
  for (int b = 0; b < t.blocks; ++b) {
    const char* line = reinterpret_cast<const char*>(pf + b * t.prefetch_block_stride);
    for (int64_t l = 0; l < t.prefetch_lines; ++l) _mm_prefetch(line + l * 64, _MM_HINT_T1);
  }
}

// PS: floats between the inputs of adjacent output pixels (16, 32: blocked; 1, 2: NCHW planes).
// x: the input of the sub-tile's first pixel. Pixels from K on are the next output row's (a tile
// of several rows, NchwcTile::row_pixels): they read `jump` floats further.
template <int TW, int PS, int K = TW>
void sub_tile(const NchwcTile& t, int b, int p0, const float* x, int64_t jump) {
  static_assert(K >= 1 && K <= TW);
  constexpr bool kBlocked = PS >= 16;
  const int64_t ybs = t.y_block_stride;
  float* y = t.y + b * ybs + p0 * 16;
  const float* sum = t.sum != nullptr ? t.sum + b * ybs + p0 * 16 : nullptr;
  __m256 lo_acc[TW], hi_acc[TW];
  if (t.first) {
    const __m256 b0 = _mm256_loadu_ps(t.bias + b * 16), b1 = _mm256_loadu_ps(t.bias + b * 16 + 8);
#pragma GCC unroll 6
    for (int p = 0; p < TW; ++p) lo_acc[p] = b0, hi_acc[p] = b1;
  } else {
#pragma GCC unroll 6
    for (int p = 0; p < TW; ++p) {
      lo_acc[p] = _mm256_loadu_ps(y + p * 16);
      hi_acc[p] = _mm256_loadu_ps(y + p * 16 + 8);
    }
  }
  const float* xb = x;
  const float* w = t.w + b * t.w_block_stride;
  const bool prefetch = t.prefetch != nullptr && b == 0 && p0 == 0;
  for (int64_t icb = 0; icb < t.ic_blocks; ++icb, xb += t.x_block_stride) {
    if (prefetch) prefetch_weights(t, icb);
    const int n_ic = icb + 1 == t.ic_blocks ? static_cast<int>(t.tail_ics) : 16;
    for (int64_t tap = 0; tap < t.taps; ++tap) {
      const float* xt = xb + t.tap_offsets[tap];
      const float* xj = xt + (K < TW ? jump : 0);
      if constexpr (kBlocked) {
#pragma GCC unroll 2
        for (int ic = 0; ic < n_ic; ++ic) {
          const __m256 w0 = _mm256_loadu_ps(w + ic * 16), w1 = _mm256_loadu_ps(w + ic * 16 + 8);
#pragma GCC unroll 6
          for (int p = 0; p < TW; ++p) {
            const __m256 a = _mm256_broadcast_ss((p < K ? xt : xj) + p * PS + ic);
            lo_acc[p] = _mm256_fmadd_ps(a, w0, lo_acc[p]);
            hi_acc[p] = _mm256_fmadd_ps(a, w1, hi_acc[p]);
          }
        }
        w += 256;
      } else {
        const int64_t n_planes = n_ic < t.ic_per_block ? n_ic : t.ic_per_block;
        const float* xi = xt;
#pragma GCC unroll 2
        for (int64_t ic = 0; ic < n_planes; ++ic, xi += t.x_ic_stride) {
          const __m256 w0 = _mm256_loadu_ps(w + ic * 16), w1 = _mm256_loadu_ps(w + ic * 16 + 8);
#pragma GCC unroll 6
          for (int p = 0; p < TW; ++p) {
            const __m256 a = _mm256_broadcast_ss(xi + p * PS);
            lo_acc[p] = _mm256_fmadd_ps(a, w0, lo_acc[p]);
            hi_acc[p] = _mm256_fmadd_ps(a, w1, hi_acc[p]);
          }
        }
        w += t.ic_per_block * 16;
      }
    }
  }
  if (t.last) {
    if (sum != nullptr) {
#pragma GCC unroll 6
      for (int p = 0; p < TW; ++p) {
        lo_acc[p] = _mm256_add_ps(lo_acc[p], _mm256_loadu_ps(sum + p * 16));
        hi_acc[p] = _mm256_add_ps(hi_acc[p], _mm256_loadu_ps(sum + p * 16 + 8));
      }
    }
    if (t.lo != -__builtin_inff() || t.hi != __builtin_inff()) {
      // vmaxps/vminps return the second operand when either is NaN: v second keeps NaN, as Clip does.
      const __m256 lo = _mm256_set1_ps(t.lo), hi = _mm256_set1_ps(t.hi);
#pragma GCC unroll 6
      for (int p = 0; p < TW; ++p) {
        lo_acc[p] = _mm256_min_ps(hi, _mm256_max_ps(lo, lo_acc[p]));
        hi_acc[p] = _mm256_min_ps(hi, _mm256_max_ps(lo, hi_acc[p]));
      }
    }
  }
#pragma GCC unroll 6
  for (int p = 0; p < TW; ++p) {
    _mm256_storeu_ps(y + p * 16, lo_acc[p]);
    _mm256_storeu_ps(y + p * 16 + 8, hi_acc[p]);
  }
}

// The last block of a tile when it has at most 8 real output channels (t.half_last; MobileNetV2's
// projections to 24 channels): its low half alone, one accumulator per pixel, so up to 12 pixels
// per sub-tile. The padding lanes are written in the last chunk as a full block would write them
// (clamp(0 + sum): zero weights and bias), so they stay finite.
constexpr int kMaxHalfPixels = 12;

template <int TW, int PS>
void half_sub_tile(const NchwcTile& t, int b, int p0, const float* x, int64_t /*jump*/) {
  constexpr bool kBlocked = PS >= 16;
  const int64_t ybs = t.y_block_stride;
  float* y = t.y + b * ybs + p0 * 16;
  const float* sum = t.sum != nullptr ? t.sum + b * ybs + p0 * 16 : nullptr;
  __m256 acc[TW];
  if (t.first) {
    const __m256 b0 = _mm256_loadu_ps(t.bias + b * 16);
#pragma GCC unroll 12
    for (int p = 0; p < TW; ++p) acc[p] = b0;
  } else {
#pragma GCC unroll 12
    for (int p = 0; p < TW; ++p) acc[p] = _mm256_loadu_ps(y + p * 16);
  }
  const float* xb = x;
  const float* w = t.w + b * t.w_block_stride;
  const bool prefetch = t.prefetch != nullptr && b == 0 && p0 == 0;
  for (int64_t icb = 0; icb < t.ic_blocks; ++icb, xb += t.x_block_stride) {
    if (prefetch) prefetch_weights(t, icb);
    const int n_ic = icb + 1 == t.ic_blocks ? static_cast<int>(t.tail_ics) : 16;
    for (int64_t tap = 0; tap < t.taps; ++tap) {
      const float* xt = xb + t.tap_offsets[tap];
      if constexpr (kBlocked) {
#pragma GCC unroll 2
        for (int ic = 0; ic < n_ic; ++ic) {
          const __m256 w0 = _mm256_loadu_ps(w + ic * 16);
#pragma GCC unroll 12
          for (int p = 0; p < TW; ++p) acc[p] = _mm256_fmadd_ps(_mm256_broadcast_ss(xt + p * PS + ic), w0, acc[p]);
        }
        w += 256;
      } else {
        const int64_t n_planes = n_ic < t.ic_per_block ? n_ic : t.ic_per_block;
        const float* xi = xt;
#pragma GCC unroll 2
        for (int64_t ic = 0; ic < n_planes; ++ic, xi += t.x_ic_stride) {
          const __m256 w0 = _mm256_loadu_ps(w + ic * 16);
#pragma GCC unroll 12
          for (int p = 0; p < TW; ++p) acc[p] = _mm256_fmadd_ps(_mm256_broadcast_ss(xi + p * PS), w0, acc[p]);
        }
        w += t.ic_per_block * 16;
      }
    }
  }
  if (t.last) {
    const bool clamp = t.lo != -__builtin_inff() || t.hi != __builtin_inff();
    const __m256 lo = _mm256_set1_ps(t.lo), hi = _mm256_set1_ps(t.hi);
#pragma GCC unroll 12
    for (int p = 0; p < TW; ++p) {
      __m256 pad = _mm256_setzero_ps();
      if (sum != nullptr) {
        acc[p] = _mm256_add_ps(acc[p], _mm256_loadu_ps(sum + p * 16));
        pad = _mm256_loadu_ps(sum + p * 16 + 8);
      }
      if (clamp) {
        acc[p] = _mm256_min_ps(hi, _mm256_max_ps(lo, acc[p]));
        pad = _mm256_min_ps(hi, _mm256_max_ps(lo, pad));
      }
      _mm256_storeu_ps(y + p * 16 + 8, pad);
    }
  }
#pragma GCC unroll 12
  for (int p = 0; p < TW; ++p) _mm256_storeu_ps(y + p * 16, acc[p]);
}

using SubTileFn = void (*)(const NchwcTile& t, int b, int p0, const float* x, int64_t jump);

template <int PS, int TW = 1>
void fill_sub_row(SubTileFn* row) {
  if constexpr (TW <= kMaxSubPixels) {
    row[TW] = &sub_tile<TW, PS>;
    fill_sub_row<PS, TW + 1>(row);
  }
}

// [pixels][K]: pixels from K on in the next row.
template <int PS, int TW = 2, int K = 1>
void fill_split(SubTileFn (*split)[kMaxSubPixels]) {
  if constexpr (TW <= kMaxSubPixels) {
    if constexpr (K < TW) {
      split[TW][K] = &sub_tile<TW, PS, K>;
      fill_split<PS, TW, K + 1>(split);
    } else {
      fill_split<PS, TW + 1, 1>(split);
    }
  }
}

template <int PS, int TW = 1>
void fill_half_row(SubTileFn* row) {
  if constexpr (TW <= kMaxHalfPixels) {
    row[TW] = &half_sub_tile<TW, PS>;
    fill_half_row<PS, TW + 1>(row);
  }
}

struct SubTileTable {
  SubTileFn fn[4][kMaxSubPixels + 1] = {};     // [pixel stride 16, 32, 1, 2][pixels]
  SubTileFn half[4][kMaxHalfPixels + 1] = {};  // the same for a half last block
  SubTileFn split[2][kMaxSubPixels + 1][kMaxSubPixels] = {};  // [pixel stride 16, 32][pixels][K]
  SubTileTable() {
    fill_sub_row<16>(fn[0]), fill_sub_row<32>(fn[1]), fill_sub_row<1>(fn[2]), fill_sub_row<2>(fn[3]);
    fill_half_row<16>(half[0]), fill_half_row<32>(half[1]), fill_half_row<1>(half[2]), fill_half_row<2>(half[3]);
    fill_split<16>(split[0]), fill_split<32>(split[1]);
  }
};

// Pixels [p0, p0 + n) of the tile as equal runs of at most `most` (17 by 6: 5 + 6 + 6).
template <typename F>
void split_pixels(int p0, int n, int most, F&& fn) {
  const int groups = (n + most - 1) / most;
  for (int g = 0, done = 0; g < groups; ++g) {
    const int k = (n - done) / (groups - g);
    fn(p0 + done, k);
    done += k;
  }
}

// The input of tile pixel p: t.x + p * stride in one row; past row ends on a multi-row tile.
const float* pixel_input(const NchwcTile& t, int p) {
  if (t.row_pixels <= 0) return t.x + p * t.x_pixel_stride;
  const int64_t f = t.col0 + p;
  return t.x + (f / t.row_pixels) * t.x_row_stride + (f % t.row_pixels - t.col0) * t.x_pixel_stride;
}

int pixel_stride_index(int64_t ps) {
  switch (ps) {
    case 16: return 0;
    case 32: return 1;
    case 1: return 2;
    case 2: return 3;
    default: return -1;
  }
}

}  // namespace

void nchwc_conv_tile__avx2(const NchwcTile& t) {
  static const SubTileTable table;
  const bool blocked = t.ic_per_block == 16 && t.x_ic_stride == 1 && t.x_pixel_stride % 16 == 0;
  int psi = pixel_stride_index(t.x_pixel_stride);
  if (psi >= 0 && blocked != (psi < 2)) psi = -1;
  if (psi < 0 && t.pixels == 1) psi = blocked ? 0 : 2;  // one pixel: its stride never matters
  if (psi < 0 || t.blocks < 1 || t.pixels < 1 || (t.row_pixels > 0 && psi > 1)) {
    for (int p = 0; p < t.pixels;) {  // the scalar tiles take one row at a time
      NchwcTile row = t;
      const int64_t col = t.row_pixels > 0 ? (t.col0 + p) % t.row_pixels : 0;
      row.pixels = t.row_pixels > 0 ? static_cast<int>(std::min<int64_t>(t.pixels - p, t.row_pixels - col)) : t.pixels;
      row.row_pixels = 0;
      row.x = pixel_input(t, p);
      row.y = t.y + p * 16;
      row.sum = t.sum != nullptr ? t.sum + p * 16 : nullptr;
      nchwc_conv_tile__scalar(row);
      p += row.pixels;
    }
    return;
  }
  if (t.row_pixels <= 0) {
    for (int b = 0; b < t.blocks; ++b) {
      const bool half = t.half_last && b + 1 == t.blocks;
      split_pixels(0, t.pixels, half ? kMaxHalfPixels : kMaxSubPixels, [&](int p0, int n) {
        (half ? table.half[psi][n] : table.fn[psi][n])(t, b, p0, pixel_input(t, p0), 0);
      });
    }
    return;
  }
  // A tile over several output rows (t.row_pixels per row, from column t.col0 of the first):
  // sub-tiles of up to 6 pixels cross a row end where they must, a half block's stop at it.
  const int64_t rp = t.row_pixels;
  const int64_t jump = t.x_row_stride - rp * t.x_pixel_stride;
  for (int b = 0; b < t.blocks; ++b) {
    if (t.half_last && b + 1 == t.blocks) {
      for (int p = 0; p < t.pixels;) {
        const int seg = static_cast<int>(std::min<int64_t>(t.pixels - p, rp - (t.col0 + p) % rp));
        split_pixels(p, seg, kMaxHalfPixels, [&](int p0, int n) { table.half[psi][n](t, b, p0, pixel_input(t, p0), 0); });
        p += seg;
      }
      continue;
    }
    split_pixels(0, t.pixels, static_cast<int>(std::min<int64_t>(kMaxSubPixels, rp)), [&](int p0, int n) {
      const int64_t k = rp - (t.col0 + p0) % rp;  // pixels left in p0's row
      if (k >= n) {
        table.fn[psi][n](t, b, p0, pixel_input(t, p0), 0);
      } else {
        table.split[psi][n][k](t, b, p0, pixel_input(t, p0), jump);
      }
    });
  }
}

void nchwc_reorder_input_plane__avx2(const float* x, int64_t real, int64_t spatial, float* y) {
  int64_t s = 0;
  for (; s + 8 <= spatial; s += 8) {
    for (int64_t h = 0; h < 16; h += 8) {
      __m256 r[8];
      for (int64_t l = 0; l < 8; ++l) r[l] = h + l < real ? _mm256_loadu_ps(x + (h + l) * spatial + s) : _mm256_setzero_ps();
      transpose8(r);
      for (int i = 0; i < 8; ++i) _mm256_storeu_ps(y + (s + i) * 16 + h, r[i]);
    }
  }
  for (; s < spatial; ++s) {
    for (int64_t l = 0; l < 16; ++l) y[s * 16 + l] = l < real ? x[l * spatial + s] : 0.f;
  }
}

void nchwc_reorder_output_rows__avx2(const float* x, int64_t real, int64_t count, int64_t y_stride, float* y) {
  int64_t s = 0;
  for (; s + 8 <= count; s += 8) {
    for (int64_t h = 0; h < 16 && h < real; h += 8) {
      __m256 r[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(x + (s + i) * 16 + h);
      transpose8(r);
      for (int64_t l = 0; l < 8 && h + l < real; ++l) _mm256_storeu_ps(y + (h + l) * y_stride + s, r[l]);
    }
  }
  for (int64_t l = 0; l < real; ++l) {
    for (int64_t i = s; i < count; ++i) y[l * y_stride + i] = x[i * 16 + l];
  }
}

}  // namespace onnxi::kernels
