// MatMul's operand loader and store epilogue (see gemm_tile.cuh for the interface), shared by the
// mma.sync/SIMT kernels (gemm.cu) and the wgmma kernel (gemm_wgmma__sm90a.cu). Internal.
#pragma once

#include "kernels/cuda/gemm_tile.cuh"

namespace onnxi::cuda::detail {

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <class T>
struct MatrixLoader {
  const T* pa;
  const T* pb;
  std::int64_t m, n, k, lda, ldb, stride_a, stride_b;
  bool trans_a, trans_b, a_k_fastest, b_k_fastest;
  __device__ T a(int batch, std::int64_t i, std::int64_t kk) const {
    return pa[batch * stride_a + (trans_a ? kk * lda + i : i * lda + kk)];
  }
  __device__ T b(int batch, std::int64_t kk, std::int64_t j) const {
    return pb[batch * stride_b + (trans_b ? j * ldb + kk : kk * ldb + j)];
  }
};

template <class T>
struct GemmEpilogue {
  T* c;
  std::int64_t ldc, stride_c;
  float alpha, beta;
  const float* bias;
  bool bias_per_row;
  ActivationParams act;
  __device__ void operator()(int batch, std::int64_t i, std::int64_t j, float acc) const {
    T* p = c + batch * stride_c + i * ldc + j;
    float v = alpha * acc;
    if (beta != 0.f) v += beta * to_float(*p);
    if (bias) v += bias[bias_per_row ? i : j];
    *p = MmaTraits<T>::from_float(apply_activation(v, act));
  }
};

// Fills a MatrixLoader and GemmEpilogue from the public parameters.
template <class T>
void make_gemm_operands(const GemmParams& p, const void* a, const void* b, void* c, MatrixLoader<T>& ld,
                        GemmEpilogue<T>& epi) {
  ld = MatrixLoader<T>{};
  ld.pa = static_cast<const T*>(a);
  ld.pb = static_cast<const T*>(b);
  ld.m = p.m;
  ld.n = p.n;
  ld.k = p.k;
  ld.lda = p.lda;
  ld.ldb = p.ldb;
  ld.stride_a = p.stride_a;
  ld.stride_b = p.stride_b;
  ld.trans_a = p.trans_a;
  ld.trans_b = p.trans_b;
  ld.a_k_fastest = !p.trans_a;
  ld.b_k_fastest = p.trans_b;
  epi = GemmEpilogue<T>{static_cast<T*>(c), p.ldc, p.stride_c, p.alpha, p.beta, p.bias, p.bias_per_row, p.act};
}

// gemm_wgmma__sm90a.cu: false when this build or device has no sm_90a path (the caller falls back).
bool wgmma_gemm(GemmType type, const GemmParams& p, const void* a, const void* b, void* c, cudaStream_t stream);

}  // namespace onnxi::cuda::detail
