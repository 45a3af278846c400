// A 16 x 16 float transpose in AVX-512 registers, for the ISA files that reorder 16-float blocks
// (conv_nchwc__avx512.cpp's NCHWc reorders, attention_flash__avx512.cpp's K panels). Internal
// linkage on purpose, like vec_math__avx512.h: each including file keeps its own AVX-512 copy.
#pragma once

#include <immintrin.h>

namespace onnxi::kernels {
namespace {

// r[i] row i in, column i out: 32-bit then 64-bit interleaves within 128-bit lanes, then two
// rounds of lane shuffles.
inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // u[4j + k], 128-bit lane L: element 4L + k of rows 4j..4j+3.
  for (int j = 0; j < 4; ++j) {
    const __m512d t0 = _mm512_castps_pd(t[4 * j]), t1 = _mm512_castps_pd(t[4 * j + 1]);
    const __m512d t2 = _mm512_castps_pd(t[4 * j + 2]), t3 = _mm512_castps_pd(t[4 * j + 3]);
    u[4 * j] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    u[4 * j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    u[4 * j + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    u[4 * j + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  for (int k = 0; k < 4; ++k) {
    const __m512 v = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x88), w = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xdd);
    const __m512 v2 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x88);
    const __m512 w2 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xdd);
    r[k] = _mm512_shuffle_f32x4(v, v2, 0x88);
    r[8 + k] = _mm512_shuffle_f32x4(v, v2, 0xdd);
    r[4 + k] = _mm512_shuffle_f32x4(w, w2, 0x88);
    r[12 + k] = _mm512_shuffle_f32x4(w, w2, 0xdd);
  }
}

}  // namespace
}  // namespace onnxi::kernels
