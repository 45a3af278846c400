// TFLOP/s of the CUDA kernels with cuBLAS beside them (cuBLAS is a reference here only; onnxi's
// kernels never call it). Times are CUDA-event medians of `runs` launches after a warm-up.
//   onnxi_bench_cuda [runs]      (default 20)
// GEMM at 4096^3 (fp32 SIMT, TF32, FP16, BF16 tensor cores), batched GEMM, a ResNet 3x3 convolution
// and attention at S = 1024. Each GEMM also prints its largest difference from cuBLAS.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"

namespace cu = onnxi::cuda;

namespace {

#define BENCH_CHECK(expr)                                                                     \
  do {                                                                                        \
    cudaError_t err_ = (expr);                                                                \
    if (err_ != cudaSuccess) {                                                                \
      std::fprintf(stderr, "%s failed: %s\n", #expr, cudaGetErrorString(err_));                \
      std::exit(1);                                                                           \
    }                                                                                         \
  } while (0)
#define BLAS_CHECK(expr)                                                                      \
  do {                                                                                        \
    cublasStatus_t st_ = (expr);                                                              \
    if (st_ != CUBLAS_STATUS_SUCCESS) {                                                       \
      std::fprintf(stderr, "%s failed: status %d\n", #expr, static_cast<int>(st_));           \
      std::exit(1);                                                                           \
    }                                                                                         \
  } while (0)

int g_runs = 20;

double median_ms(cudaStream_t stream, const std::function<void()>& launch) {
  launch();  // warm-up (and first-launch costs)
  BENCH_CHECK(cudaStreamSynchronize(stream));
  cudaEvent_t start, stop;
  BENCH_CHECK(cudaEventCreate(&start));
  BENCH_CHECK(cudaEventCreate(&stop));
  std::vector<float> ms(static_cast<std::size_t>(g_runs));
  for (float& m : ms) {
    BENCH_CHECK(cudaEventRecord(start, stream));
    launch();
    BENCH_CHECK(cudaEventRecord(stop, stream));
    BENCH_CHECK(cudaEventSynchronize(stop));
    BENCH_CHECK(cudaEventElapsedTime(&m, start, stop));
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void report(const char* what, double flops, double ours_ms, double blas_ms) {
  const double ours = flops / (ours_ms * 1e9), blas = blas_ms > 0 ? flops / (blas_ms * 1e9) : 0;
  if (blas_ms > 0)
    std::printf("%-44s onnxi %8.3f ms %7.1f TFLOP/s | cuBLAS %8.3f ms %7.1f TFLOP/s | %5.1f%%\n", what, ours_ms, ours,
                blas_ms, blas, 100.0 * ours / blas);
  else
    std::printf("%-44s onnxi %8.3f ms %7.1f TFLOP/s\n", what, ours_ms, ours);
}

// Fills n elements of type T (float, __half, __nv_bfloat16) with uniform [-1, 1).
template <class T>
__global__ void fill_kernel(T* p, std::int64_t n, unsigned seed) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    unsigned h = static_cast<unsigned>(i) * 2654435761u ^ seed;
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    p[i] = static_cast<T>(static_cast<float>(h & 0xffffff) / 8388608.f - 1.f);
  }
}
template <class T>
void fill(T* p, std::int64_t n, unsigned seed, cudaStream_t s) {
  fill_kernel<T><<<1024, 256, 0, s>>>(p, n, seed);
  BENCH_CHECK(cudaGetLastError());
}

template <class T>
__global__ void max_diff_kernel(const T* a, const T* b, std::int64_t n, float* out) {
  float m = 0.f;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    m = fmaxf(m, fabsf(static_cast<float>(a[i]) - static_cast<float>(b[i])));
  atomicMax(reinterpret_cast<int*>(out), __float_as_int(m));  // non-negative floats order as ints
}
template <class T>
float max_diff(const T* a, const T* b, std::int64_t n, cudaStream_t s) {
  float* d = nullptr;
  BENCH_CHECK(cudaMalloc(&d, sizeof(float)));
  BENCH_CHECK(cudaMemsetAsync(d, 0, sizeof(float), s));
  max_diff_kernel<T><<<1024, 256, 0, s>>>(a, b, n, d);
  float h = 0;
  BENCH_CHECK(cudaMemcpyAsync(&h, d, sizeof(float), cudaMemcpyDeviceToHost, s));
  BENCH_CHECK(cudaStreamSynchronize(s));
  cudaFree(d);
  return h;
}

template <class T>
void bench_gemm(const char* name, cu::GemmType type, cudaDataType dt, cublasComputeType_t compute, std::int64_t m,
                std::int64_t n, std::int64_t k, std::int64_t batch, cublasHandle_t blas, cu::Stream& stream) {
  cudaStream_t s = static_cast<cudaStream_t>(stream.handle());
  cu::DeviceBuffer a(sizeof(T) * m * k * batch, stream.handle()), b(sizeof(T) * k * n * batch, stream.handle()),
      c(sizeof(T) * m * n * batch, stream.handle()), ref(sizeof(T) * m * n * batch, stream.handle());
  fill(a.as<T>(), m * k * batch, 1, s);
  fill(b.as<T>(), k * n * batch, 2, s);
  cu::GemmParams p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.lda = k;
  p.ldb = n;
  p.ldc = n;
  p.batch = batch;
  p.stride_a = m * k;
  p.stride_b = k * n;
  p.stride_c = m * n;
  const double ours = median_ms(s, [&] { cu::gemm(type, p, a.data(), b.data(), c.data(), stream.handle()); });
  // Row-major C = A B is column-major C^T = B^T A^T: cuBLAS gets (B, A) with n and m swapped.
  const float alpha = 1.f, beta = 0.f;
  const double theirs = median_ms(s, [&] {
    BLAS_CHECK(cublasGemmStridedBatchedEx(blas, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(m),
                                          static_cast<int>(k), &alpha, b.data(), dt, static_cast<int>(n), k * n,
                                          a.data(), dt, static_cast<int>(k), m * k, &beta, ref.data(), dt,
                                          static_cast<int>(n), m * n, static_cast<int>(batch), compute,
                                          CUBLAS_GEMM_DEFAULT));
  });
  char what[128];
  std::snprintf(what, sizeof what, "gemm %s %lldx%lldx%lld x%lld", name, static_cast<long long>(m),
                static_cast<long long>(n), static_cast<long long>(k), static_cast<long long>(batch));
  report(what, 2.0 * m * n * k * batch, ours, theirs);
  std::printf("%-44s max |onnxi - cuBLAS| = %g\n", "", max_diff(c.as<T>(), ref.as<T>(), m * n * batch, s));
}

void bench_conv(cu::ConvAlgo algo, const char* name, cu::Stream& stream) {
  cudaStream_t s = static_cast<cudaStream_t>(stream.handle());
  cu::ConvParams p;  // ResNet-50 stage 1 3x3, batch 8
  p.n = 8;
  p.h = p.w = 56;
  p.c = p.cout = 64;
  p.kh = p.kw = 3;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  const std::int64_t xs = p.n * p.h * p.w * p.c, ws = p.cout * 9 * p.c, ys = p.n * p.out_h() * p.out_w() * p.cout;
  cu::DeviceBuffer x(4 * xs, stream.handle()), w(4 * ws, stream.handle()), y(4 * ys, stream.handle()),
      bias(4 * p.cout, stream.handle());
  fill(x.as<float>(), xs, 3, s);
  fill(w.as<float>(), ws, 4, s);
  fill(bias.as<float>(), p.cout, 5, s);
  cu::ActivationParams relu{cu::Activation::Relu};
  const double ms = median_ms(s, [&] {
    cu::conv2d_nhwc(p, x.as<float>(), w.as<float>(), bias.as<float>(), nullptr, y.as<float>(), relu, stream.handle(),
                    algo);
  });
  report(name, 2.0 * ys * 9 * p.c, ms, 0);
}

void bench_attention(cu::AttentionType type, bool causal, const char* name, cu::Stream& stream) {
  cudaStream_t s = static_cast<cudaStream_t>(stream.handle());
  cu::AttentionParams p;
  p.batch = 4;
  p.heads = 16;
  p.seq_q = p.seq_k = 1024;
  p.head_dim = p.head_dim_v = 64;
  p.causal = causal;
  const std::int64_t n = p.batch * p.heads * p.seq_q * p.head_dim;
  const std::size_t bytes = (type == cu::AttentionType::F16 ? 2 : 4) * static_cast<std::size_t>(n);
  cu::DeviceBuffer q(bytes, stream.handle()), k(bytes, stream.handle()), v(bytes, stream.handle()),
      o(bytes, stream.handle());
  if (type == cu::AttentionType::F16) {
    fill(q.as<__half>(), n, 6, s);
    fill(k.as<__half>(), n, 7, s);
    fill(v.as<__half>(), n, 8, s);
  } else {
    fill(q.as<float>(), n, 6, s);
    fill(k.as<float>(), n, 7, s);
    fill(v.as<float>(), n, 8, s);
  }
  const double ms = median_ms(s, [&] { cu::attention(type, p, q.data(), k.data(), v.data(), o.data(), stream.handle()); });
  const double flops = 4.0 * p.batch * p.heads * p.seq_q * p.seq_k * p.head_dim * (causal ? 0.5 : 1.0);
  report(name, flops, ms, 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) g_runs = std::max(1, std::atoi(argv[1]));
  if (!cu::cuda_available()) {
    std::printf("onnxi_bench_cuda: skipped: %s\n", cu::cuda_unavailable_reason().c_str());
    return 0;
  }
  const cu::DeviceInfo info = cu::device_info();
  std::printf("%s (sm_%d%d, %d SMs), median of %d runs\n", info.name.c_str(), info.major, info.minor, info.sm_count,
              g_runs);
  cu::Stream stream;
  cublasHandle_t blas;
  BLAS_CHECK(cublasCreate(&blas));
  BLAS_CHECK(cublasSetStream(blas, static_cast<cudaStream_t>(stream.handle())));
  const std::int64_t N = 4096;
  bench_gemm<__half>("fp16", cu::GemmType::F16, CUDA_R_16F, CUBLAS_COMPUTE_32F, N, N, N, 1, blas, stream);
  bench_gemm<__nv_bfloat16>("bf16", cu::GemmType::BF16, CUDA_R_16BF, CUBLAS_COMPUTE_32F, N, N, N, 1, blas, stream);
  bench_gemm<float>("tf32", cu::GemmType::TF32, CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32, N, N, N, 1, blas, stream);
  bench_gemm<float>("fp32", cu::GemmType::F32, CUDA_R_32F, CUBLAS_COMPUTE_32F, N, N, N, 1, blas, stream);
  bench_gemm<__half>("fp16 batched (BERT QK^T-like)", cu::GemmType::F16, CUDA_R_16F, CUBLAS_COMPUTE_32F, 512, 512, 64,
                     96, blas, stream);
  bench_conv(cu::ConvAlgo::ImplicitGemmF32, "conv 3x3 64->64 56x56 n8 fp32", stream);
  bench_conv(cu::ConvAlgo::ImplicitGemmTF32, "conv 3x3 64->64 56x56 n8 tf32", stream);
  bench_attention(cu::AttentionType::F16, false, "attention fp16 B4 H16 S1024 D64", stream);
  bench_attention(cu::AttentionType::F16, true, "attention fp16 causal B4 H16 S1024 D64", stream);
  bench_attention(cu::AttentionType::F32, false, "attention fp32 B4 H16 S1024 D64", stream);
  cublasDestroy(blas);
  return 0;
}
