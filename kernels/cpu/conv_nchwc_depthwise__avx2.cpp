// AVX2 NCHWc depthwise rows (this file gets -mavx2 -mfma): the AVX-512 row's plan with one
// 16-channel block as two 8-lane halves. Each run of TW output pixels does the low half, then the
// high half, over the same input pixels (one 64-byte line per pixel, so the second half reads what
// the first brought in). TW = 8 accumulators per half cover Zen 3's two FMA pipes at latency 4
// (a row's last 1..7 interior pixels go as one shorter run); the weights of a 3-wide row stay in
// registers and the inputs are FMA memory operands. Measured on one Zen 3 core, 3x3 Relu6, one
// plane in cache: 56x56 stride 1 ~30-38 GFLOP/s, stride 2 ~20-30 (each output pixel brings in 4x
// the input lines from L2), 7x7 ~17-27; the scalar row ~3-4.
//
// Same contract and summation order as nchwc_depthwise_row__scalar (bias, then taps in (kh, kw)
// order, then sum, then the clamp that keeps NaN); only the FMA's single rounding differs.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/conv_nchwc.h"

namespace onnxi::kernels {
namespace {

inline __m256 clamp_keep_nan(__m256 v, __m256 lo, __m256 hi) {
  // vmaxps/vminps return the second operand when either is NaN: v second keeps NaN, as Clip does.
  return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}

struct Row {
  const NchwcConvParams& p;
  const NchwcDepthwiseRow& r;
  bool clamp;
  __m256 lo, hi;
};

// The 8 lanes of half h (0 or 1) of output pixel ow: + sum, clamp, store.
inline void store_half(const Row& q, int64_t ow, int h, __m256 acc) {
  if (q.r.sum != nullptr) acc = _mm256_add_ps(acc, _mm256_loadu_ps(q.r.sum + ow * 16 + h * 8));
  if (q.clamp) acc = clamp_keep_nan(acc, q.lo, q.hi);
  _mm256_storeu_ps(q.r.y + ow * 16 + h * 8, acc);
}

// One output pixel with every tap bounds-checked (the edges, and rows too narrow for the window);
// both halves at once, so two FMA chains run side by side.
inline void edge_pixel(const Row& q, int64_t ow) {
  const NchwcConvParams& p = q.p;
  const NchwcDepthwiseRow& r = q.r;
  __m256 a0 = _mm256_loadu_ps(r.bias), a1 = _mm256_loadu_ps(r.bias + 8);
  for (int64_t kh = 0; kh < p.kernel_h; ++kh) {
    const int64_t ih = r.oh * p.stride_h - p.pad_top + kh * p.dilation_h;
    if (ih < 0 || ih >= p.in_h) continue;
    for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
      const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
      if (iw < 0 || iw >= p.in_w) continue;
      const float* xv = r.x + ((ih - r.row0) * p.in_w + iw) * 16;
      const float* wv = r.w + (kh * p.kernel_w + kw) * 16;
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(xv), _mm256_loadu_ps(wv), a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(xv + 8), _mm256_loadu_ps(wv + 8), a1);
    }
  }
  store_half(q, ow, 0, a0);
  store_half(q, ow, 1, a1);
}

// TW interior pixels (every tap inside the row) of any window, stride and dilation; kernel rows
// [kh_lo, kh_hi) are the ones inside the image.
template <int TW>
inline void interior(const Row& q, int64_t ow, int64_t kh_lo, int64_t kh_hi) {
  const NchwcConvParams& p = q.p;
  const NchwcDepthwiseRow& r = q.r;
  const int64_t step = p.stride_w * 16;
  for (int h = 0; h < 2; ++h) {
    const __m256 bias = _mm256_loadu_ps(r.bias + h * 8);
    __m256 acc[TW];
#pragma GCC unroll 8
    for (int i = 0; i < TW; ++i) acc[i] = bias;
    for (int64_t kh = kh_lo; kh < kh_hi; ++kh) {
      const int64_t ih = r.oh * p.stride_h - p.pad_top + kh * p.dilation_h;
      const float* row = r.x + ((ih - r.row0) * p.in_w + ow * p.stride_w - p.pad_left) * 16 + h * 8;
      for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
        const __m256 wv = _mm256_loadu_ps(r.w + (kh * p.kernel_w + kw) * 16 + h * 8);
        const float* xp = row + kw * p.dilation_w * 16;
#pragma GCC unroll 8
        for (int i = 0; i < TW; ++i) acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(xp + i * step), wv, acc[i]);
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < TW; ++i) store_half(q, ow + i, h, acc[i]);
  }
}

// 3-wide kernels, dilation 1 along the row, stride S: the row's three weight halves in registers,
// every input address a constant offset from one pointer.
template <int S, int TW>
inline void interior_k3(const Row& q, int64_t ow, int64_t kh_lo, int64_t kh_hi) {
  const NchwcConvParams& p = q.p;
  const NchwcDepthwiseRow& r = q.r;
  for (int h = 0; h < 2; ++h) {
    const __m256 bias = _mm256_loadu_ps(r.bias + h * 8);
    __m256 acc[TW];
#pragma GCC unroll 8
    for (int i = 0; i < TW; ++i) acc[i] = bias;
    for (int64_t kh = kh_lo; kh < kh_hi; ++kh) {
      const int64_t ih = r.oh * p.stride_h - p.pad_top + kh * p.dilation_h;
      const float* row = r.x + ((ih - r.row0) * p.in_w + ow * S - p.pad_left) * 16 + h * 8;
      const float* wk = r.w + kh * 3 * 16 + h * 8;
      const __m256 w0 = _mm256_loadu_ps(wk), w1 = _mm256_loadu_ps(wk + 16), w2 = _mm256_loadu_ps(wk + 32);
#pragma GCC unroll 8
      for (int i = 0; i < TW; ++i) {
        acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(row + (i * S) * 16), w0, acc[i]);
        acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(row + (i * S + 1) * 16), w1, acc[i]);
        acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(row + (i * S + 2) * 16), w2, acc[i]);
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < TW; ++i) store_half(q, ow + i, h, acc[i]);
  }
}

// Pixels [ow, hi): runs of 8, then the 1..7 left as one run (a lone pixel would wait on one FMA
// chain per half).
template <int S>
inline void run_k3(const Row& q, int64_t ow, int64_t hi, int64_t kh_lo, int64_t kh_hi) {
  for (; ow + 8 <= hi; ow += 8) interior_k3<S, 8>(q, ow, kh_lo, kh_hi);
  switch (hi - ow) {
    case 7: interior_k3<S, 7>(q, ow, kh_lo, kh_hi); break;
    case 6: interior_k3<S, 6>(q, ow, kh_lo, kh_hi); break;
    case 5: interior_k3<S, 5>(q, ow, kh_lo, kh_hi); break;
    case 4: interior_k3<S, 4>(q, ow, kh_lo, kh_hi); break;
    case 3: interior_k3<S, 3>(q, ow, kh_lo, kh_hi); break;
    case 2: interior_k3<S, 2>(q, ow, kh_lo, kh_hi); break;
    case 1: interior_k3<S, 1>(q, ow, kh_lo, kh_hi); break;
    default: break;
  }
}

inline void run_any(const Row& q, int64_t ow, int64_t hi, int64_t kh_lo, int64_t kh_hi) {
  for (; ow + 8 <= hi; ow += 8) interior<8>(q, ow, kh_lo, kh_hi);
  switch (hi - ow) {
    case 7: interior<7>(q, ow, kh_lo, kh_hi); break;
    case 6: interior<6>(q, ow, kh_lo, kh_hi); break;
    case 5: interior<5>(q, ow, kh_lo, kh_hi); break;
    case 4: interior<4>(q, ow, kh_lo, kh_hi); break;
    case 3: interior<3>(q, ow, kh_lo, kh_hi); break;
    case 2: interior<2>(q, ow, kh_lo, kh_hi); break;
    case 1: interior<1>(q, ow, kh_lo, kh_hi); break;
    default: break;
  }
}

}  // namespace

void nchwc_depthwise_row__avx2(const NchwcConvParams& p, const NchwcDepthwiseRow& r) {
  const bool clamp = p.act_lo != -__builtin_inff() || p.act_hi != __builtin_inff();
  const Row q{p, r, clamp, _mm256_set1_ps(p.act_lo), _mm256_set1_ps(p.act_hi)};
  // Rows of taps inside the image, and the output columns [lo, hi) whose taps are all inside.
  const int64_t ih0 = r.oh * p.stride_h - p.pad_top;
  int64_t kh_lo = 0, kh_hi = p.kernel_h;
  while (kh_lo < kh_hi && ih0 + kh_lo * p.dilation_h < 0) ++kh_lo;
  while (kh_hi > kh_lo && ih0 + (kh_hi - 1) * p.dilation_h >= p.in_h) --kh_hi;
  const int64_t span = (p.kernel_w - 1) * p.dilation_w;
  int64_t lo = 0;
  while (lo < p.out_w && lo * p.stride_w - p.pad_left < 0) ++lo;
  int64_t hi = lo;
  while (hi < p.out_w && hi * p.stride_w - p.pad_left + span < p.in_w) ++hi;
  for (int64_t ow = 0; ow < lo; ++ow) edge_pixel(q, ow);
  if (p.kernel_w == 3 && p.dilation_w == 1 && p.stride_w == 1) {
    run_k3<1>(q, lo, hi, kh_lo, kh_hi);
  } else if (p.kernel_w == 3 && p.dilation_w == 1 && p.stride_w == 2) {
    run_k3<2>(q, lo, hi, kh_lo, kh_hi);
  } else {
    run_any(q, lo, hi, kh_lo, kh_hi);
  }
  for (int64_t ow = hi; ow < p.out_w; ++ow) edge_pixel(q, ow);
}

}  // namespace onnxi::kernels
