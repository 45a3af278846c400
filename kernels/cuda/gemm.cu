// GEMM / MatMul / batched MatMul: fp32 on CUDA cores, TF32/FP16/BF16 on tensor cores (gemm_tile.cuh).
#include <type_traits>

#include "kernels/cuda/gemm_tile.cuh"

namespace onnxi::cuda {
namespace {

using namespace detail;

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

template <class T>
void run(GemmType type, const GemmParams& p, const void* a, const void* b, void* c, cudaStream_t stream) {
  MatrixLoader<T> ld{};
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
  GemmEpilogue<T> epi{static_cast<T*>(c), p.ldc, p.stride_c, p.alpha, p.beta, p.bias, p.bias_per_row, p.act};
  if (type == GemmType::F32) {
    if constexpr (std::is_same_v<T, float>) launch_simt_gemm(ld, epi, p.batch, stream);
  } else {
    launch_mma_gemm<T>(ld, epi, p.batch, stream);
  }
}

}  // namespace

void gemm(GemmType type, const GemmParams& p, const void* a, const void* b, void* c, StreamHandle stream) {
  require(p.m >= 0 && p.n >= 0 && p.k >= 0 && p.batch >= 1, "gemm", "m, n, k must be >= 0 and batch >= 1");
  if (p.m == 0 || p.n == 0) return;
  require(p.lda >= (p.trans_a ? p.m : p.k) && p.lda >= 1, "gemm", "lda is smaller than A's row length");
  require(p.ldb >= (p.trans_b ? p.k : p.n) && p.ldb >= 1, "gemm", "ldb is smaller than B's row length");
  require(p.ldc >= p.n, "gemm", "ldc is smaller than n");
  require(p.stride_a >= 0 && p.stride_b >= 0 && (p.batch == 1 || p.stride_c >= p.m * p.ldc), "gemm",
          "batch strides must be >= 0 and C's must not overlap batches");
  require(a && b && c, "gemm", "null operand");
  cudaStream_t s = as_stream(stream);
  switch (type) {
    case GemmType::F32:
    case GemmType::TF32: run<float>(type, p, a, b, c, s); break;
    case GemmType::F16: run<__half>(type, p, a, b, c, s); break;
    case GemmType::BF16: run<__nv_bfloat16>(type, p, a, b, c, s); break;
  }
  check_launch("gemm");
}

}  // namespace onnxi::cuda
