// SGEMM micro-kernels: the register-tiled inner loop of kernels/cpu/gemm.cpp, one per ISA.
//
// A micro-kernel multiplies an A panel (mr rows, k-major: a[k * mr + i], alpha already folded in)
// by a B panel (nr columns, k-major: b[k * nr + j]) over depth kc, and writes the rows x cols corner
// of the mr x nr product to C (row stride ldc): C = product, or C += product when `accumulate`.
// Panels are zero-padded to mr / nr, so the loop has no edge cases; only the store is masked.
#pragma once

#include <cstdint>

#include "kernels/cpu/cpu_features.h"

namespace onnxi::kernels {

using SgemmUkernelFn = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t rows,
                                int64_t cols, bool accumulate);

// The one-row case (M == 1, a GEMV): c[0, j] (+)= sum over k of a[k * a_stride] * b[k * nr + j] over
// one B panel, without the mr - 1 idle rows of the full tile.
using SgemmRowFn = void (*)(int64_t kc, const float* a, int64_t a_stride, const float* b, float* c, int64_t cols,
                            bool accumulate);

// The same tile with A read in place instead of packed: a points at row 0, depth 0 of the tile's rows
// of a row-major A (a[i * lda + k]); alpha is 1. Saves packing A when its rows are contiguous.
// Non-null `prefetch`: one cache line from there on is prefetched every 4 steps of depth (kc / 4
// lines in all), spread through the loop so the misses never queue up together. Prefetches never
// fault, so the last tile may run past the end of what it warms.
using SgemmUkernelDirectFn = void (*)(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc,
                                      int64_t rows, int64_t cols, bool accumulate, const float* prefetch);

struct SgemmEpilogue;
// Applies an SgemmEpilogue (kernels/cpu/gemm.h) to the rows x cols block of C at (i0, j0) of the
// whole product; c points at that block.
using SgemmEpilogueFn = void (*)(const SgemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols, float* c,
                                 int64_t ldc);

struct SgemmUkernel {
  SgemmUkernelFn fn = nullptr;
  int64_t mr = 0, nr = 0;
  const char* name = "";
  SgemmRowFn row = nullptr;            // null: one-row tiles use fn
  SgemmEpilogueFn epilogue = nullptr;  // null: the portable sgemm_epilogue_ref
  SgemmUkernelDirectFn direct = nullptr;  // null: A is always packed
};

SgemmUkernel sgemm_ukernel_4x8__scalar();     // gemm.cpp
SgemmUkernel sgemm_ukernel_6x16__avx2();      // gemm__avx2.cpp
SgemmUkernel sgemm_ukernel_8x48__avx512();    // gemm__avx512.cpp

// The micro-kernel for `isa` (which the CPU must have); sgemm uses the one of active_isa().
SgemmUkernel sgemm_ukernel_for(Isa isa);

}  // namespace onnxi::kernels
