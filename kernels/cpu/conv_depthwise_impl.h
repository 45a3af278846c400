// The body of one depthwise plane, included by conv_depthwise.cpp (portable) and by
// conv_depthwise__avx2.cpp (for what its own kernels leave), which the compiler vectorizes for its ISA:
// interior columns of 3x3 kernels run branch-free; edges and other kernels check every tap.
//
// Everything here has internal linkage (an unnamed namespace, on purpose in a header): each ISA's
// file must keep its own copy. Shared inline or template definitions would be merged by the linker
// into one copy compiled for whichever ISA it picks, so the AVX-512 file could run scalar code or,
// worse, the portable path AVX-512 code. For the same reason no std:: templates are called here.
#pragma once

#include <cstdint>

#include "kernels/cpu/conv_depthwise.h"

namespace onnxi::kernels {
namespace {

inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t max_i64(int64_t a, int64_t b) { return a < b ? b : a; }

// Smallest o >= 0 with o * s + off >= 0, and one past the largest o with o * s + off < limit.
inline void valid_range(int64_t off, int64_t s, int64_t limit, int64_t count, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = limit - off <= 0 ? 0 : (limit - off - 1) / s + 1;
  lo = min_i64(lo, count);
  hi = max_i64(lo, min_i64(hi, count));
}

// The fused activation over one output row (Clip's clamp: NaN stays NaN).
template <class T>
inline void clamp_row(const DepthwiseParams& p, T* row) {
  if (p.act_lo == -__builtin_inff() && p.act_hi == __builtin_inff()) return;
  const T lo = static_cast<T>(p.act_lo), hi = static_cast<T>(p.act_hi);
  for (int64_t i = 0; i < p.out_w; ++i) {
    const T v = row[i] < lo ? lo : row[i];
    row[i] = v > hi ? hi : v;
  }
}

// One output value with every bound checked: the edges, and kernels without a fast path.
template <class T>
inline T depthwise_point(const DepthwiseParams& p, const T* x, const T* w, T bias, int64_t oh, int64_t ow) {
  T acc = bias;
  for (int64_t kh = 0; kh < p.kernel_h; ++kh) {
    const int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
    if (ih < 0 || ih >= p.in_h) continue;
    for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
      const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
      if (iw >= 0 && iw < p.in_w) acc += w[kh * p.kernel_w + kw] * x[ih * p.in_w + iw];
    }
  }
  return acc;
}

// 3x3, dilation 1: the nine taps of an interior output column in registers, rows in the padding
// replaced by a row of zeros, so the loop over columns is branch-free and vectorizes.
template <class T>
inline void depthwise_plane_3x3(const DepthwiseParams& p, const T* x, const T* w, T bias, T* y, const T* zeros) {
  const int64_t s = p.stride_w;
  int64_t lo, hi, lo2, hi2;
  valid_range(-p.pad_left, s, p.in_w, p.out_w, lo, hi);      // tap 0 inside
  valid_range(2 - p.pad_left, s, p.in_w, p.out_w, lo2, hi2);  // tap 2 inside
  lo = max_i64(lo, lo2);
  hi = max_i64(lo, min_i64(hi, hi2));
  const T w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
  for (int64_t oh = 0; oh < p.out_h; ++oh) {
    const T* rows[3];
    for (int64_t kh = 0; kh < 3; ++kh) {
      const int64_t ih = oh * p.stride_h - p.pad_top + kh;
      rows[kh] = (ih >= 0 && ih < p.in_h) ? x + ih * p.in_w - p.pad_left : zeros - p.pad_left;
    }
    const T* __restrict r0 = rows[0];
    const T* __restrict r1 = rows[1];
    const T* __restrict r2 = rows[2];
    T* __restrict yrow = y + oh * p.out_w;
    for (int64_t ow = 0; ow < lo; ++ow) yrow[ow] = depthwise_point(p, x, w, bias, oh, ow);
    if (s == 1) {
      for (int64_t ow = lo; ow < hi; ++ow) {
        yrow[ow] = bias + w0 * r0[ow] + w1 * r0[ow + 1] + w2 * r0[ow + 2] + w3 * r1[ow] + w4 * r1[ow + 1] +
                   w5 * r1[ow + 2] + w6 * r2[ow] + w7 * r2[ow + 1] + w8 * r2[ow + 2];
      }
    } else {
      for (int64_t ow = lo; ow < hi; ++ow) {
        const int64_t i = ow * s;
        yrow[ow] = bias + w0 * r0[i] + w1 * r0[i + 1] + w2 * r0[i + 2] + w3 * r1[i] + w4 * r1[i + 1] + w5 * r1[i + 2] +
                   w6 * r2[i] + w7 * r2[i + 1] + w8 * r2[i + 2];
      }
    }
    for (int64_t ow = hi; ow < p.out_w; ++ow) yrow[ow] = depthwise_point(p, x, w, bias, oh, ow);
    clamp_row(p, yrow);
  }
}

template <class T>
inline void depthwise_plane_generic(const DepthwiseParams& p, const T* x, const T* w, T bias, T* y) {
  for (int64_t oh = 0; oh < p.out_h; ++oh) {
    for (int64_t ow = 0; ow < p.out_w; ++ow) y[oh * p.out_w + ow] = depthwise_point(p, x, w, bias, oh, ow);
    clamp_row(p, y + oh * p.out_w);
  }
}

// `zeros` holds at least in_w zeros (the 3x3 path reads it for rows in the padding).
template <class T>
inline void depthwise_plane(const DepthwiseParams& p, const T* x, const T* w, T bias, T* y, const T* zeros) {
  if (p.kernel_h == 3 && p.kernel_w == 3 && p.dilation_h == 1 && p.dilation_w == 1) {
    depthwise_plane_3x3(p, x, w, bias, y, zeros);
  } else {
    depthwise_plane_generic(p, x, w, bias, y);
  }
}

}  // namespace
}  // namespace onnxi::kernels
