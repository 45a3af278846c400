// Matrix multiplication: the one entry point every op (Gemm, MatMul, Conv, ConvTranspose, Einsum,
// Attention) calls, so a faster implementation can replace the body without touching the ops.
//
// Layout: row-major with leading dimensions, BLAS style. op(A) is M x K, op(B) is K x N, C is M x N:
//   C = alpha * op(A) * op(B) + beta * C
// where op(A) = A (lda >= K) or, with trans_a, A is stored K x M (lda >= M); likewise for B.
// beta == 0 means C is write-only: whatever it holds (NaN included) is ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <vector>

#include "kernels/cpu/large_buffer.h"

namespace onnxi::kernels {

struct SgemmUkernel;
struct SgemmEpilogue;

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, const SgemmEpilogue* epilogue = nullptr);

// C = alpha * A * B + beta * C where the caller produces B (K x N) straight into the micro-kernel's
// packed form, slice by slice, so B never exists unpacked: convolution packs im2col columns this
// way. pack_b(pc, kc, j0, nc, nr, out) writes rows [pc, pc+kc) x columns [j0, j0+nc) of B as panels
// nr columns wide (panel p at out + p * nr * kc, element (k, j) at k * nr + j inside it), columns
// past nc zero. It is called concurrently for different slices. A is M x K row-major (lda >= K).
using SgemmPackB = std::function<void(int64_t pc, int64_t kc, int64_t j0, int64_t nc, int64_t nr, float* out)>;

// What runs on each strip of C (mr rows of a task's column chunk) once its product is complete
// (beta * C included), while the strip is still in cache, instead of separate passes over C:
//   v = C[i, j] + row_bias[i] + col_bias[j] + residual[i * ldr + j]   (each term only if non-null)
//   v = activation(v)                                                   (GELU erf / tanh form)
//   C[i, j] = clamp(v, lo, hi)                                          (Clip's: NaN stays NaN)
// Relu is lo = 0. Indices are those of the whole C the call computes. A convolution's bias and
// Relu/Clip, and a linear layer's bias, GELU and residual add (FusedMatMul) ride on it.
enum class SgemmActivation : uint8_t { None, GeluErf, GeluTanh };

struct SgemmEpilogue {
  const float* row_bias = nullptr;  // M values
  float lo = -__builtin_inff(), hi = __builtin_inff();
  const float* col_bias = nullptr;  // N values
  SgemmActivation activation = SgemmActivation::None;
  const float* residual = nullptr;  // M x N, row stride ldr; must not overlap C
  int64_t ldr = 0;
  bool trivial() const {
    return !row_bias && !col_bias && !residual && activation == SgemmActivation::None && !(lo > -__builtin_inff()) &&
           !(hi < __builtin_inff());
  }
};

// The portable epilogue over the rows x cols block of C at (i0, j0): the reference the SIMD ones
// are tested against, and what sgemm_with runs.
void sgemm_epilogue_ref(const SgemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols, float* c,
                        int64_t ldc);

void sgemm_pack_b_by(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const SgemmPackB& pack_b,
                     float beta, float* C, int64_t ldc, const SgemmEpilogue* epilogue = nullptr);
// The SgemmPackB of a plain row-major B (ldb >= N).
void sgemm_pack_b_rows(const float* B, int64_t ldb, int64_t pc, int64_t kc, int64_t j0, int64_t nc, int64_t nr,
                       float* out);

// A (M x K, row-major) packed once for sgemm_pack_b_by, as the weights of a convolution are at
// session creation. Valid in this process only (its layout follows the active micro-kernel).
struct PackedSgemmA;
PackedSgemmA pack_sgemm_a(int64_t M, int64_t K, const float* A, int64_t lda);
void sgemm_pack_b_by(const PackedSgemmA& A, int64_t N, const SgemmPackB& pack_b, float beta, float* C, int64_t ldc,
                     const SgemmEpilogue* epilogue = nullptr);

// Packed weights live as long as the session: huge pages from 2 MiB on (large_buffer.h).
struct PackedSgemmA {
  std::vector<float, LargeBufferAllocator<float>> data;
  int64_t M = 0, K = 0, mr = 0;
};

// op(B) packed once for sgemm_packed (constant weights: at session creation). It holds panels for
// the micro-kernel of the active ISA, so it is only valid in this process.
struct PackedSgemmB {
  std::vector<float, LargeBufferAllocator<float>> data;
  int64_t K = 0, N = 0, nr = 0;
};
PackedSgemmB pack_sgemm_b(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb);
// C = alpha * op(A) * B + beta * C, op(A) M x B.K.
void sgemm_packed(bool trans_a, int64_t M, float alpha, const float* A, int64_t lda, const PackedSgemmB& B,
                  float beta, float* C, int64_t ldc, const SgemmEpilogue* epilogue = nullptr);

// `count` independent products of one shape, C[i] = alpha * op(A[i]) * op(B[i]) + beta * C[i], each
// with the same epilogue (its biases and residual index each product's own C). Products too
// small to split well run one per task, so a stack of attention heads keeps every thread busy
// without a fork and join per head; larger ones run one after another, each on all threads.
void sgemm_batch(int64_t count, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* const* A, int64_t lda, const float* const* B, int64_t ldb, float beta, float* const* C,
                 int64_t ldc, const SgemmEpilogue* epilogue = nullptr);
// The same against one B packed ahead.
void sgemm_packed_batch(int64_t count, bool trans_a, int64_t M, float alpha, const float* const* A, int64_t lda,
                        const PackedSgemmB& B, float beta, float* const* C, int64_t ldc,
                        const SgemmEpilogue* epilogue = nullptr);

// sgemm with a given micro-kernel (tests compare every ISA's against the portable one).
void sgemm_with(const SgemmUkernel& ukernel, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                const SgemmEpilogue* epilogue = nullptr);

void dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
           const double* B, int64_t ldb, double beta, double* C, int64_t ldc);

// Overloads so templated callers (float or double) can name one function.
inline void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                 const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
inline void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
                 int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  dgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// Integer matrix product C = A * B (no transposes, no scaling), A: M x K, B: K x N, all dense
// row-major. Arithmetic wraps modulo 2^bits, as numpy's does.
void gemm_int(int64_t M, int64_t N, int64_t K, const int32_t* A, const int32_t* B, int32_t* C);
void gemm_int(int64_t M, int64_t N, int64_t K, const int64_t* A, const int64_t* B, int64_t* C);
void gemm_int(int64_t M, int64_t N, int64_t K, const uint32_t* A, const uint32_t* B, uint32_t* C);
void gemm_int(int64_t M, int64_t N, int64_t K, const uint64_t* A, const uint64_t* B, uint64_t* C);

}  // namespace onnxi::kernels
