// Portable blocked GEMM. B is packed once into column panels kNr wide, A into row panels kMr tall
// (alpha folded in), both k-major, so the micro-tile's inner loop runs over kNr contiguous columns
// with no data-dependent branches: compilers vectorize it at any ISA level. Work is split into
// (row block, column chunk) tasks for parallel_for; each task owns its slice of C.
//
// This is the scalar baseline that SIMD kernels (kernels/cpu/*__avx2.cpp, ...) are tested against.
#include "kernels/cpu/gemm.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

constexpr int64_t kMr = 4;    // rows of one micro-tile
constexpr int64_t kNr = 8;    // columns of one micro-tile: 4x8 float accumulators use 8 of 16 SSE registers
constexpr int64_t kKc = 256;  // depth of one packed block: an A panel plus a B panel stay in L1
constexpr int64_t kMc = 64;   // rows per task (multiple of kMr)
constexpr int64_t kNc = 256;  // columns per task (multiple of kNr)

template <class T>
struct Operand {
  const T* data;
  int64_t ld;
  bool trans;
  // Element (row, col) of op(X).
  T at(int64_t row, int64_t col) const { return trans ? data[col * ld + row] : data[row * ld + col]; }
};

// Packs all of op(B) (K x N): for each depth block, panels of kNr columns, each k-major and padded
// with zeros to kNr. Block `pc` starts at pc * n_padded.
template <class T>
void pack_b(const Operand<T>& b, int64_t K, int64_t N, int64_t n_padded, T* out) {
  for (int64_t pc = 0; pc < K; pc += kKc) {
    const int64_t kc = std::min(kKc, K - pc);
    T* block = out + pc * n_padded;
    for (int64_t jp = 0; jp < n_padded; jp += kNr) {
      T* panel = block + jp * kc;
      const int64_t cols = std::min(kNr, N - jp);
      if (!b.trans) {
        for (int64_t k = 0; k < kc; ++k) {
          const T* src = b.data + (pc + k) * b.ld + jp;
          T* dst = panel + k * kNr;
          for (int64_t j = 0; j < cols; ++j) dst[j] = src[j];
          for (int64_t j = cols; j < kNr; ++j) dst[j] = T(0);
        }
      } else {
        for (int64_t j = 0; j < kNr; ++j) {
          if (j < cols) {
            const T* src = b.data + (jp + j) * b.ld + pc;
            for (int64_t k = 0; k < kc; ++k) panel[k * kNr + j] = src[k];
          } else {
            for (int64_t k = 0; k < kc; ++k) panel[k * kNr + j] = T(0);
          }
        }
      }
    }
  }
}

// Packs rows [i0, i0+mc) x depth [pc, pc+kc) of alpha*op(A) into panels of kMr rows, k-major.
template <class T>
void pack_a(const Operand<T>& a, int64_t i0, int64_t mc, int64_t pc, int64_t kc, T alpha, T* out) {
  for (int64_t ip = 0; ip < mc; ip += kMr) {
    T* panel = out + ip * kc;
    const int64_t rows = std::min(kMr, mc - ip);
    for (int64_t i = 0; i < kMr; ++i) {
      if (i < rows) {
        for (int64_t k = 0; k < kc; ++k) panel[k * kMr + i] = alpha * a.at(i0 + ip + i, pc + k);
      } else {
        for (int64_t k = 0; k < kc; ++k) panel[k * kMr + i] = T(0);
      }
    }
  }
}

// C[rows x cols] += A panel * B panel over depth kc.
template <class T>
void micro_tile(int64_t kc, const T* ap, const T* bp, T* c, int64_t ldc, int64_t rows, int64_t cols) {
  T acc[kMr][kNr] = {};
  for (int64_t k = 0; k < kc; ++k) {
    const T* b = bp + k * kNr;
    const T* a = ap + k * kMr;
    for (int64_t i = 0; i < kMr; ++i) {
      const T ai = a[i];
      for (int64_t j = 0; j < kNr; ++j) acc[i][j] += ai * b[j];
    }
  }
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) c[i * ldc + j] += acc[i][j];
  }
}

template <class T>
void scale_c(T beta, int64_t rows, int64_t cols, T* c, int64_t ldc) {
  if (beta == T(1)) return;
  for (int64_t i = 0; i < rows; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      std::fill(row, row + cols, T(0));
    } else {
      for (int64_t j = 0; j < cols; ++j) row[j] *= beta;
    }
  }
}

template <class T>
void gemm_blocked(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                  const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  const int64_t m_tasks = (M + kMc - 1) / kMc;
  const int64_t n_tasks = (N + kNc - 1) / kNc;
  if (K <= 0 || alpha == T(0)) {
    parallel_for(0, m_tasks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        const int64_t i0 = t * kMc;
        scale_c(beta, std::min(kMc, M - i0), N, C + i0 * ldc, ldc);
      }
    });
    return;
  }
  const Operand<T> a{A, lda, trans_a};
  const Operand<T> b{B, ldb, trans_b};
  const int64_t n_padded = (N + kNr - 1) / kNr * kNr;
  std::vector<T> packed_b(static_cast<size_t>(K * n_padded));
  pack_b(b, K, N, n_padded, packed_b.data());

  parallel_for(0, m_tasks * n_tasks, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> packed_a(static_cast<size_t>(kMc * kKc));
    for (int64_t t = begin; t < end; ++t) {
      const int64_t i0 = (t / n_tasks) * kMc;
      const int64_t j0 = (t % n_tasks) * kNc;
      const int64_t mc = std::min(kMc, M - i0);
      const int64_t nc = std::min(kNc, N - j0);
      scale_c(beta, mc, nc, C + i0 * ldc + j0, ldc);
      for (int64_t pc = 0; pc < K; pc += kKc) {
        const int64_t kc = std::min(kKc, K - pc);
        pack_a(a, i0, mc, pc, kc, alpha, packed_a.data());
        const T* b_block = packed_b.data() + pc * n_padded;
        for (int64_t jp = 0; jp < nc; jp += kNr) {
          const T* bp = b_block + (j0 + jp) * kc;
          const int64_t cols = std::min(kNr, nc - jp);
          for (int64_t ip = 0; ip < mc; ip += kMr) {
            micro_tile(kc, packed_a.data() + ip * kc, bp, C + (i0 + ip) * ldc + j0 + jp, ldc, std::min(kMr, mc - ip),
                       cols);
          }
        }
      }
    }
  });
}

template <class T>
void gemm_int_impl(int64_t M, int64_t N, int64_t K, const T* A, const T* B, T* C) {
  // Unsigned arithmetic wraps without undefined behaviour; the bits equal the signed result's.
  using U = std::make_unsigned_t<T>;
  const U* a = reinterpret_cast<const U*>(A);
  const U* b = reinterpret_cast<const U*>(B);
  U* c = reinterpret_cast<U*>(C);
  parallel_for(0, M, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, N * K)), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      U* crow = c + i * N;
      std::fill(crow, crow + N, U(0));
      for (int64_t k = 0; k < K; ++k) {
        const U aik = a[i * K + k];
        const U* brow = b + k * N;
        for (int64_t j = 0; j < N; ++j) crow[j] += aik * brow[j];
      }
    }
  });
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_blocked<float>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
           const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  gemm_blocked<double>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm_int(int64_t M, int64_t N, int64_t K, const int32_t* A, const int32_t* B, int32_t* C) {
  gemm_int_impl(M, N, K, A, B, C);
}
void gemm_int(int64_t M, int64_t N, int64_t K, const int64_t* A, const int64_t* B, int64_t* C) {
  gemm_int_impl(M, N, K, A, B, C);
}
void gemm_int(int64_t M, int64_t N, int64_t K, const uint32_t* A, const uint32_t* B, uint32_t* C) {
  gemm_int_impl(M, N, K, A, B, C);
}
void gemm_int(int64_t M, int64_t N, int64_t K, const uint64_t* A, const uint64_t* B, uint64_t* C) {
  gemm_int_impl(M, N, K, A, B, C);
}

}  // namespace onnxi::kernels
