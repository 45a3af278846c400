// Tiled GEMM main loops shared by MatMul (gemm.cu) and implicit-GEMM convolution (conv.cu).
// Both kernels read A and B through a Loader (so convolution can gather its im2col rows on the fly)
// and hand each finished accumulator to an Epilogue (bias, residual, activation, store):
//   Loader:   m, n, k; a_k_fastest / b_k_fastest (which index is contiguous in memory, for coalesced
//             tile loads); T a(batch, i, kk) and T b(batch, kk, j), called only for in-range indices.
//   Epilogue: void operator()(batch, i, j, float acc), called only for in-range i < m, j < n.
// Internal to kernels/cuda/*.cu.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/kernels.h"

namespace onnxi::cuda::detail {

__device__ __forceinline__ float apply_activation(float v, const ActivationParams& a) {
  switch (a.kind) {
    case Activation::None: return v;
    case Activation::Relu: return fmaxf(v, 0.f);
    case Activation::LeakyRelu: return v >= 0.f ? v : v * a.alpha;
    case Activation::Clip: return fminf(fmaxf(v, a.alpha), a.beta);
    case Activation::Sigmoid: return 1.f / (1.f + __expf(-v));
    case Activation::Tanh: return tanhf(v);
    case Activation::Gelu: return 0.5f * v * (1.f + erff(v * 0.70710678118654752f));
    case Activation::Silu: return v / (1.f + __expf(-v));
  }
  return v;
}

// ---- SIMT fp32: 64x64 block tile, BK 16, 256 threads of 4x4 ----------------------------------------
constexpr int kSimtBM = 64, kSimtBN = 64, kSimtBK = 16, kSimtThreads = 256;

template <class Loader, class Epilogue>
__global__ void __launch_bounds__(kSimtThreads) simt_gemm_kernel(Loader ld, Epilogue epi) {
  __shared__ __align__(16) float As[kSimtBK][kSimtBM];  // k-major: a thread's 4 rows are one float4 read
  __shared__ __align__(16) float Bs[kSimtBK][kSimtBN];
  const int batch = blockIdx.z;
  const std::int64_t i0 = static_cast<std::int64_t>(blockIdx.x) * kSimtBM;
  const std::int64_t j0 = static_cast<std::int64_t>(blockIdx.y) * kSimtBN;
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  float acc[4][4] = {};
  for (std::int64_t k0 = 0; k0 < ld.k; k0 += kSimtBK) {
    // 1024 elements per tile, 4 per thread; the contiguous index runs fastest across threads.
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int e = tid + r * kSimtThreads;
      const int mi = ld.a_k_fastest ? e / kSimtBK : e % kSimtBM;
      const int kk = ld.a_k_fastest ? e % kSimtBK : e / kSimtBM;
      const std::int64_t gi = i0 + mi, gk = k0 + kk;
      As[kk][mi] = (gi < ld.m && gk < ld.k) ? static_cast<float>(ld.a(batch, gi, gk)) : 0.f;
      const int nj = ld.b_k_fastest ? e / kSimtBK : e % kSimtBN;
      const int kb = ld.b_k_fastest ? e % kSimtBK : e / kSimtBN;
      const std::int64_t gj = j0 + nj, gkb = k0 + kb;
      Bs[kb][nj] = (gj < ld.n && gkb < ld.k) ? static_cast<float>(ld.b(batch, gkb, gj)) : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kSimtBK; ++kk) {
      const float4 av = *reinterpret_cast<const float4*>(&As[kk][ty * 4]);
      const float4 bv = *reinterpret_cast<const float4*>(&Bs[kk][tx * 4]);
      const float a[4] = {av.x, av.y, av.z, av.w}, b[4] = {bv.x, bv.y, bv.z, bv.w};
#pragma unroll
      for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[r][c] = fmaf(a[r], b[c], acc[r][c]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const std::int64_t i = i0 + ty * 4 + r;
    if (i >= ld.m) continue;
#pragma unroll
    for (int c = 0; c < 4; ++c) {
      const std::int64_t j = j0 + tx * 4 + c;
      if (j < ld.n) epi(batch, i, j, acc[r][c]);
    }
  }
}

template <class Loader, class Epilogue>
void launch_simt_gemm(const Loader& ld, const Epilogue& epi, std::int64_t batch, cudaStream_t stream) {
  // m tiles on x (up to 2^31 - 1: convolution has N*OH*OW rows), n tiles on y, batch on z.
  require((ld.n + kSimtBN - 1) / kSimtBN <= 65535 && batch <= 65535, "gemm", "n or batch too large for one launch");
  dim3 grid(static_cast<unsigned>((ld.m + kSimtBM - 1) / kSimtBM), static_cast<unsigned>((ld.n + kSimtBN - 1) / kSimtBN),
            static_cast<unsigned>(batch));
  simt_gemm_kernel<<<grid, kSimtThreads, 0, stream>>>(ld, epi);
}

// ---- tensor cores: mma.sync, 128x128 block tile, BK 32, 8 warps of 64x32 ----------------------------
// T is __half, __nv_bfloat16 (m16n8k16) or float (TF32, m16n8k8). Tiles are staged in shared memory
// k-contiguous for both operands ([row][k] for A, [col][k] for B), so each fragment register is one
// aligned 32-bit (16-bit pairs) or one float read; the padding makes those reads bank-conflict free.
template <class T>
struct MmaTraits;
template <>
struct MmaTraits<__half> {
  static constexpr int kStep = 16, kPad = 8;
  __device__ static __half from_float(float v) { return __float2half_rn(v); }
};
template <>
struct MmaTraits<__nv_bfloat16> {
  static constexpr int kStep = 16, kPad = 8;
  __device__ static __nv_bfloat16 from_float(float v) { return __float2bfloat16_rn(v); }
};
template <>
struct MmaTraits<float> {
  static constexpr int kStep = 8, kPad = 4;
  __device__ static float from_float(float v) { return v; }
};

constexpr int kMmaBM = 128, kMmaBN = 128, kMmaBK = 32, kMmaThreads = 256;

__device__ __forceinline__ std::uint32_t pack_pair(const __half* p) { return *reinterpret_cast<const std::uint32_t*>(p); }
__device__ __forceinline__ std::uint32_t pack_pair(const __nv_bfloat16* p) {
  return *reinterpret_cast<const std::uint32_t*>(p);
}
__device__ __forceinline__ std::uint32_t to_tf32(float v) {
  std::uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(v));
  return r;
}

// One warp-level MMA of a 16x8 tile over one k step; fragments per the PTX ISA layouts with
// g = lane / 4 and t = lane % 4. As: [row][k] at rows r0.., Bs: [col][k] at cols c0..
template <class T>
__device__ __forceinline__ void mma_tile(const T* As, int lda_s, const T* Bs, int ldb_s, int r0, int c0, int kk,
                                         float (&d)[4]);

template <>
__device__ __forceinline__ void mma_tile<__half>(const __half* As, int lda_s, const __half* Bs, int ldb_s, int r0,
                                                 int c0, int kk, float (&d)[4]) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const __half* a = As + (r0 + g) * lda_s + kk + 2 * t;
  const std::uint32_t a0 = pack_pair(a), a1 = pack_pair(a + 8 * lda_s), a2 = pack_pair(a + 8),
                      a3 = pack_pair(a + 8 * lda_s + 8);
  const __half* b = Bs + (c0 + g) * ldb_s + kk + 2 * t;
  const std::uint32_t b0 = pack_pair(b), b1 = pack_pair(b + 8);
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

template <>
__device__ __forceinline__ void mma_tile<__nv_bfloat16>(const __nv_bfloat16* As, int lda_s, const __nv_bfloat16* Bs,
                                                        int ldb_s, int r0, int c0, int kk, float (&d)[4]) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const __nv_bfloat16* a = As + (r0 + g) * lda_s + kk + 2 * t;
  const std::uint32_t a0 = pack_pair(a), a1 = pack_pair(a + 8 * lda_s), a2 = pack_pair(a + 8),
                      a3 = pack_pair(a + 8 * lda_s + 8);
  const __nv_bfloat16* b = Bs + (c0 + g) * ldb_s + kk + 2 * t;
  const std::uint32_t b0 = pack_pair(b), b1 = pack_pair(b + 8);
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

template <>
__device__ __forceinline__ void mma_tile<float>(const float* As, int lda_s, const float* Bs, int ldb_s, int r0, int c0,
                                                int kk, float (&d)[4]) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const float* a = As + (r0 + g) * lda_s + kk + t;
  const std::uint32_t a0 = to_tf32(a[0]), a1 = to_tf32(a[8 * lda_s]), a2 = to_tf32(a[4]),
                      a3 = to_tf32(a[8 * lda_s + 4]);
  const float* b = Bs + (c0 + g) * ldb_s + kk + t;
  const std::uint32_t b0 = to_tf32(b[0]), b1 = to_tf32(b[4]);
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

template <class T, class Loader, class Epilogue>
__global__ void __launch_bounds__(kMmaThreads) mma_gemm_kernel(Loader ld, Epilogue epi) {
  constexpr int kLd = kMmaBK + MmaTraits<T>::kPad;
  __shared__ __align__(16) T As[kMmaBM * kLd];
  __shared__ __align__(16) T Bs[kMmaBN * kLd];
  const int batch = blockIdx.z;
  const std::int64_t i0 = static_cast<std::int64_t>(blockIdx.x) * kMmaBM;
  const std::int64_t j0 = static_cast<std::int64_t>(blockIdx.y) * kMmaBN;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int wm = (warp >> 2) * 64, wn = (warp & 3) * 32;  // 2 x 4 warps
  float acc[4][4][4] = {};                                 // [m16 tile][n8 tile][fragment]
  const T zero = MmaTraits<T>::from_float(0.f);
  for (std::int64_t k0 = 0; k0 < ld.k; k0 += kMmaBK) {
    constexpr int kTile = kMmaBM * kMmaBK;  // 4096 elements, 16 per thread
#pragma unroll 4
    for (int e = tid; e < kTile; e += kMmaThreads) {
      const int mi = ld.a_k_fastest ? e / kMmaBK : e % kMmaBM;
      const int kk = ld.a_k_fastest ? e % kMmaBK : e / kMmaBM;
      const std::int64_t gi = i0 + mi, gk = k0 + kk;
      As[mi * kLd + kk] = (gi < ld.m && gk < ld.k) ? ld.a(batch, gi, gk) : zero;
      const int nj = ld.b_k_fastest ? e / kMmaBK : e % kMmaBN;
      const int kb = ld.b_k_fastest ? e % kMmaBK : e / kMmaBN;
      const std::int64_t gj = j0 + nj, gkb = k0 + kb;
      Bs[nj * kLd + kb] = (gj < ld.n && gkb < ld.k) ? ld.b(batch, gkb, gj) : zero;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kMmaBK; kk += MmaTraits<T>::kStep)
#pragma unroll
      for (int tm = 0; tm < 4; ++tm)
#pragma unroll
        for (int tn = 0; tn < 4; ++tn) mma_tile<T>(As, kLd, Bs, kLd, wm + tm * 16, wn + tn * 8, kk, acc[tm][tn]);
    __syncthreads();
  }
  // Accumulator fragment: d0,d1 at (g, 2t..2t+1), d2,d3 at (g + 8, 2t..2t+1).
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int tm = 0; tm < 4; ++tm)
#pragma unroll
    for (int tn = 0; tn < 4; ++tn)
#pragma unroll
      for (int f = 0; f < 4; ++f) {
        const std::int64_t i = i0 + wm + tm * 16 + g + (f >= 2 ? 8 : 0);
        const std::int64_t j = j0 + wn + tn * 8 + 2 * t + (f & 1);
        if (i < ld.m && j < ld.n) epi(batch, i, j, acc[tm][tn][f]);
      }
}

template <class T, class Loader, class Epilogue>
void launch_mma_gemm(const Loader& ld, const Epilogue& epi, std::int64_t batch, cudaStream_t stream) {
  // m tiles on x (up to 2^31 - 1: convolution has N*OH*OW rows), n tiles on y, batch on z.
  require((ld.n + kMmaBN - 1) / kMmaBN <= 65535 && batch <= 65535, "gemm", "n or batch too large for one launch");
  dim3 grid(static_cast<unsigned>((ld.m + kMmaBM - 1) / kMmaBM), static_cast<unsigned>((ld.n + kMmaBN - 1) / kMmaBN),
            static_cast<unsigned>(batch));
  mma_gemm_kernel<T><<<grid, kMmaThreads, 0, stream>>>(ld, epi);
}

}  // namespace onnxi::cuda::detail
