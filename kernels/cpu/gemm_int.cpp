// Integer matrix products (MatMul of int32/int64/uint32/uint64): a plain row-major triple loop,
// rows split over threads; arithmetic wraps modulo 2^bits as numpy's does.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

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
