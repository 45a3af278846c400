// An 8 x 8 float transpose in AVX2 registers, for the ISA files that reorder 8-float runs
// (conv_nchwc__avx2.cpp's NCHWc reorders, attention_flash__avx2.cpp's K panels). Internal linkage
// on purpose, like vec_math__avx2.h: each including file keeps its own AVX2 copy.
#pragma once

#include <immintrin.h>

namespace onnxi::kernels {
namespace {

// r[i] = row i in, column i out: 32-bit then 64-bit interleaves within 128-bit lanes, then the
// lanes swapped across.
inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int j = 0; j < 2; ++j) {
    u[4 * j] = _mm256_shuffle_ps(t[4 * j], t[4 * j + 2], 0x44);
    u[4 * j + 1] = _mm256_shuffle_ps(t[4 * j], t[4 * j + 2], 0xee);
    u[4 * j + 2] = _mm256_shuffle_ps(t[4 * j + 1], t[4 * j + 3], 0x44);
    u[4 * j + 3] = _mm256_shuffle_ps(t[4 * j + 1], t[4 * j + 3], 0xee);
  }
  for (int k = 0; k < 4; ++k) {
    r[k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x20);
    r[4 + k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x31);
  }
}

}  // namespace
}  // namespace onnxi::kernels
