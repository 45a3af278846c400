// The depthwise plane for AVX2+FMA (this file gets -mavx2 -mfma).
//
// 3x3 kernels with dilation 1 and stride 1 or 2 along the row (MobileNet's depthwise convs) run
// on 8 output columns per vector, edges included, with a row's last columns as one masked store:
// no scalar edge pixels and no scalar remainder. (At 14 columns the compiler-vectorized loop of
// conv_depthwise_impl.h ran 2 of them through the bounds-checked scalar path and 4 more as a
// scalar remainder; its stride-2 loop gathered.) Wide stride-1 rows are read in place, the vectors
// that reach into the padding with masked loads (zero, no memory touched); narrow stride-1 rows
// and all stride-2 rows are first copied with their padding as zeros, stride 2 split into its even
// and odd columns, so every tap is a plain load at a constant offset. Other kernels, and stride-2
// rows wider than the buffers, take conv_depthwise_impl.h.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/conv_depthwise_impl.h"

namespace onnxi::kernels {
namespace {

constexpr int64_t kMaxOutWidth = 512;              // stride-2 output columns the row buffers hold
constexpr int64_t kRowFloats = kMaxOutWidth + 16;  // one buffer: ceil8(out_w) + the window's overhang

// Stride-1 rows up to this wide are copied (plane_3x3_copied): their few vectors are mostly edge
// ones, whose masked loads cost more than copying the row once.
constexpr int64_t kCopyWidth = 32;

alignas(32) const int32_t kLaneMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// The first n lanes (1..8).
inline __m256i first_lanes(int64_t n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kLaneMask + 8 - n));
}

// x[start .. start + 8) of a row of in_w values, zero outside it; masked lanes touch no memory.
inline __m256 row8_masked(const float* x, int64_t in_w, int64_t start) {
  const __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(start)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256i in = _mm256_and_si256(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(-1)),
                                      _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(in_w)), idx));
  return _mm256_maskload_ps(x + start, in);
}

inline __m256 row8(const float* x, int64_t in_w, int64_t start) {
  if (start >= 0 && start + 8 <= in_w) return _mm256_loadu_ps(x + start);
  return row8_masked(x, in_w, start);
}

// even[j] = x[2j - pad_left], odd[j] = x[2j + 1 - pad_left] (zero outside the row) for j in
// [0, len), len a multiple of 8.
inline void split_even_odd(const float* x, int64_t in_w, int64_t pad_left, int64_t len, float* even, float* odd) {
  for (int64_t j = 0; j < len; j += 8) {
    const __m256 a = row8(x, in_w, 2 * j - pad_left), b = row8(x, in_w, 2 * j + 8 - pad_left);
    // Within 128-bit lanes: [a0 a2 b0 b2 | a4 a6 b4 b6]; then the 64-bit pairs in order.
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    _mm256_storeu_ps(even + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0))));
    _mm256_storeu_ps(odd + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0))));
  }
}

inline __m256 clamp_keep_nan(__m256 v, __m256 lo, __m256 hi) {
  // vmaxps/vminps return the second operand when either is NaN: v second keeps NaN, as Clip does.
  return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}

struct Taps3x3 {
  __m256 w[9];
  __m256 bias, lo, hi;
  bool clamp;
  explicit Taps3x3(const DepthwiseParams& p, const float* wt, float b) {
    for (int i = 0; i < 9; ++i) w[i] = _mm256_set1_ps(wt[i]);
    bias = _mm256_set1_ps(b);
    clamp = p.act_lo != -__builtin_inff() || p.act_hi != __builtin_inff();
    lo = _mm256_set1_ps(p.act_lo);
    hi = _mm256_set1_ps(p.act_hi);
  }
  // bias + the three rows' taps, one partial sum per kernel row (three chains of three FMAs, not
  // one of nine), clamped.
  __m256 sum(const __m256 (&v)[9]) const {
    __m256 a0 = _mm256_fmadd_ps(v[0], w[0], bias);
    __m256 a1 = _mm256_mul_ps(v[3], w[3]);
    __m256 a2 = _mm256_mul_ps(v[6], w[6]);
    a0 = _mm256_fmadd_ps(v[1], w[1], a0);
    a1 = _mm256_fmadd_ps(v[4], w[4], a1);
    a2 = _mm256_fmadd_ps(v[7], w[7], a2);
    a0 = _mm256_fmadd_ps(v[2], w[2], a0);
    a1 = _mm256_fmadd_ps(v[5], w[5], a1);
    a2 = _mm256_fmadd_ps(v[8], w[8], a2);
    const __m256 s = _mm256_add_ps(a0, _mm256_add_ps(a1, a2));
    return clamp ? clamp_keep_nan(s, lo, hi) : s;
  }
};

inline void store8(float* y, int64_t ow, int64_t out_w, __m256i tail_mask, __m256 v) {
  if (ow + 8 <= out_w) {
    _mm256_storeu_ps(y + ow, v);
  } else {
    _mm256_maskstore_ps(y + ow, tail_mask, v);
  }
}

// Stride 1 reads x in place: the vectors of a row that reach into the padding (at most one at
// each end) with masked loads, the interior ones in a loop of plain loads. Rows in the padding
// read `zeros`.
void plane_3x3_s1(const DepthwiseParams& p, const float* x, const float* wt, float bias, float* y,
                  const float* zeros) {
  const Taps3x3 k(p, wt, bias);
  const int64_t out_w8 = (p.out_w + 7) / 8 * 8;
  const __m256i tail_mask = first_lanes(p.out_w - (out_w8 - 8));
  const int64_t in_w = p.in_w, pl = p.pad_left;
  // Vectors at ow in [lo, hi) (multiples of 8) read columns ow - pl .. ow - pl + 9, all inside.
  int64_t lo = 0;
  while (lo < out_w8 && lo - pl < 0) lo += 8;
  int64_t hi = lo;
  while (hi < out_w8 && hi - pl + 10 <= in_w) hi += 8;
  for (int64_t oh = 0; oh < p.out_h; ++oh) {
    const float* r[3];
    for (int64_t kh = 0; kh < 3; ++kh) {
      const int64_t ih = oh * p.stride_h - p.pad_top + kh;
      r[kh] = ih >= 0 && ih < p.in_h ? x + ih * in_w : zeros;
    }
    float* yrow = y + oh * p.out_w;
    auto edge = [&](int64_t ow) {
      __m256 v[9];
      for (int kh = 0; kh < 3; ++kh) {
        for (int kw = 0; kw < 3; ++kw) v[kh * 3 + kw] = row8_masked(r[kh], in_w, ow - pl + kw);
      }
      store8(yrow, ow, p.out_w, tail_mask, k.sum(v));
    };
    for (int64_t ow = 0; ow < lo; ow += 8) edge(ow);
    const float* r0 = r[0] - pl;
    const float* r1 = r[1] - pl;
    const float* r2 = r[2] - pl;
    for (int64_t ow = lo; ow < hi; ow += 8) {
      const __m256 v[9] = {_mm256_loadu_ps(r0 + ow), _mm256_loadu_ps(r0 + ow + 1), _mm256_loadu_ps(r0 + ow + 2),
                           _mm256_loadu_ps(r1 + ow), _mm256_loadu_ps(r1 + ow + 1), _mm256_loadu_ps(r1 + ow + 2),
                           _mm256_loadu_ps(r2 + ow), _mm256_loadu_ps(r2 + ow + 1), _mm256_loadu_ps(r2 + ow + 2)};
      store8(yrow, ow, p.out_w, tail_mask, k.sum(v));
    }
    for (int64_t ow = hi; ow < out_w8; ow += 8) edge(ow);
  }
}

// Input rows copied with their padding as zeros: for stride 1 as they are (taps 0, 1, 2 of output
// column j at j, j + 1, j + 2), for stride 2 split into even and odd columns (taps at even[j],
// odd[j], even[j + 1]), so every load is a plain one. When the plane's rows fit in the buffer they
// are all copied first: a row read right after its copy would wait on store forwarding (unaligned
// loads across the copy's stores), which cost small planes more than the copy. Else three rows
// are kept in turn (an output row reads three consecutive input rows).
constexpr int64_t kBufferFloats = 8192;

template <int S>
void plane_3x3_copied(const DepthwiseParams& p, const float* x, const float* wt, float bias, float* y) {
  const Taps3x3 k(p, wt, bias);
  const int64_t out_w8 = (p.out_w + 7) / 8 * 8;
  const __m256i tail_mask = first_lanes(p.out_w - (out_w8 - 8));
  const int64_t half = out_w8 + 8;                 // stride 1: out_w8 + 2 read; even out_w8 + 1, odd out_w8
  const int64_t row_floats = S == 1 ? half : 2 * half;  // odd columns from half on
  float buffer[kBufferFloats];
  float zero[2 * kRowFloats];
  for (int64_t j = 0; j < row_floats; ++j) zero[j] = 0.f;
  const bool whole = p.in_h * row_floats <= kBufferFloats;
  int64_t slot_row[3] = {-1, -1, -1};  // the input row each slot holds (three in turn)
  auto copy_row = [&](int64_t ih, float* dst) {
    const float* xr = x + ih * p.in_w;
    if constexpr (S == 1) {
      for (int64_t j = 0; j < half; j += 8) _mm256_storeu_ps(dst + j, row8(xr, p.in_w, j - p.pad_left));
    } else {
      split_even_odd(xr, p.in_w, p.pad_left, half, dst, dst + half);
    }
  };
  if (whole) {
    for (int64_t ih = 0; ih < p.in_h; ++ih) copy_row(ih, buffer + ih * row_floats);
  }
  for (int64_t oh = 0; oh < p.out_h; ++oh) {
    const float* e[3];
    for (int64_t kh = 0; kh < 3; ++kh) {
      const int64_t ih = oh * p.stride_h - p.pad_top + kh;
      if (ih < 0 || ih >= p.in_h) {
        e[kh] = zero;
      } else if (whole) {
        e[kh] = buffer + ih * row_floats;
      } else {
        const int64_t s = ih % 3;  // three consecutive rows never share a slot
        float* slot = buffer + s * row_floats;
        if (slot_row[s] != ih) {
          copy_row(ih, slot);
          slot_row[s] = ih;
        }
        e[kh] = slot;
      }
    }
    float* yrow = y + oh * p.out_w;
    for (int64_t ow = 0; ow < out_w8; ow += 8) {
      __m256 v[9];
      for (int kh = 0; kh < 3; ++kh) {
        v[kh * 3] = _mm256_loadu_ps(e[kh] + ow);
        v[kh * 3 + 1] = _mm256_loadu_ps(S == 1 ? e[kh] + ow + 1 : e[kh] + half + ow);
        v[kh * 3 + 2] = _mm256_loadu_ps(S == 1 ? e[kh] + ow + 2 : e[kh] + ow + 1);
      }
      store8(yrow, ow, p.out_w, tail_mask, k.sum(v));
    }
  }
}

}  // namespace

void depthwise_plane_f32__avx2(const DepthwiseParams& p, const float* x, const float* w, float bias, float* y,
                               const float* zeros) {
  const bool fast = p.kernel_h == 3 && p.kernel_w == 3 && p.dilation_h == 1 && p.dilation_w == 1 &&
                    p.stride_h >= 1 && (p.stride_w == 1 || (p.stride_w == 2 && p.out_w <= kMaxOutWidth)) &&
                    p.out_w >= 1 && p.pad_left >= 0 && p.pad_top >= 0;
  if (!fast) {
    depthwise_plane(p, x, w, bias, y, zeros);
  } else if (p.stride_w == 2) {
    plane_3x3_copied<2>(p, x, w, bias, y);
  } else if (p.out_w <= kCopyWidth) {
    plane_3x3_copied<1>(p, x, w, bias, y);
  } else {
    plane_3x3_s1(p, x, w, bias, y, zeros);
  }
}

}  // namespace onnxi::kernels
