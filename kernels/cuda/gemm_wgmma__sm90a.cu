// GEMM on Hopper's warpgroup MMA (wgmma.mma_async, sm_90a only): a 128x128 block tile, two
// warpgroups of 64x128, K in 64-byte slices (32 half/bf16 or 16 tf32 values). Threads stage the
// tiles in shared memory in the no-swizzle core-matrix layout wgmma reads through descriptors:
// 8 rows x 16 bytes per core matrix (128 contiguous bytes), core matrices along K 128 bytes apart
// (leading byte offset), along M/N kCoreK * 128 bytes apart (stride byte offset).
// Opt-in (GemmAlgo::Wgmma) until it has run on hardware; tested against the same references.
#include "kernels/cuda/gemm_matrix.cuh"

namespace onnxi::cuda::detail {
namespace {

constexpr int kBM = 128, kBN = 128, kSliceBytes = 64, kThreads = 256;

template <class T>
struct WgmmaShape {
  static constexpr int kElems16 = 16 / static_cast<int>(sizeof(T));  // values per core-matrix row
  static constexpr int kBK = kSliceBytes / static_cast<int>(sizeof(T));
  static constexpr int kCoreK = kBK / kElems16;                // core matrices along K per tile (4)
  static constexpr int kSteps = kCoreK / 2;                    // one wgmma covers 2 core matrices of K
  static constexpr int kStrideBytes = kCoreK * 128;            // between core matrices along M/N
  __device__ static int offset(int row, int k) {
    return ((row >> 3) * kCoreK + k / kElems16) * 128 + (row & 7) * 16 + (k % kElems16) * static_cast<int>(sizeof(T));
  }
};

__device__ __forceinline__ std::uint64_t make_desc(const void* smem, int lead_bytes, int stride_bytes) {
  const std::uint32_t addr = static_cast<std::uint32_t>(__cvta_generic_to_shared(smem));
  return static_cast<std::uint64_t>((addr & 0x3FFFF) >> 4) | (static_cast<std::uint64_t>(lead_bytes >> 4) << 16) |
         (static_cast<std::uint64_t>(stride_bytes >> 4) << 32);  // bits 62-63 = 0: no swizzle
}

template <class T>
__device__ __forceinline__ T stage_value(T v) {
  return v;
}
// TF32 operands are fp32 bit patterns whose low mantissa bits wgmma ignores: round them first.
template <>
__device__ __forceinline__ float stage_value<float>(float v) {
  return __uint_as_float(to_tf32(v));
}

template <class T>
__device__ __forceinline__ void wgmma_128(float (&d)[64], std::uint64_t desc_a, std::uint64_t desc_b);

template <>
__device__ __forceinline__ void wgmma_128<__half>(float (&d)[64], std::uint64_t desc_a, std::uint64_t desc_b) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
      "%64, %65, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
      : "l"(desc_a), "l"(desc_b), "r"(1));
#endif
}
template <>
__device__ __forceinline__ void wgmma_128<__nv_bfloat16>(float (&d)[64], std::uint64_t desc_a, std::uint64_t desc_b) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
      "%64, %65, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
      : "l"(desc_a), "l"(desc_b), "r"(1));
#endif
}
template <>
__device__ __forceinline__ void wgmma_128<float>(float (&d)[64], std::uint64_t desc_a, std::uint64_t desc_b) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
      "%64, %65, p, 1, 1;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
      : "l"(desc_a), "l"(desc_b), "r"(1));
#endif
}

template <class T, class Loader, class Epilogue>
__global__ void __launch_bounds__(kThreads) wgmma_gemm_kernel(Loader ld, Epilogue epi) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using S = WgmmaShape<T>;
  __shared__ __align__(128) unsigned char a_tile[kBM * kSliceBytes];
  __shared__ __align__(128) unsigned char b_tile[kBN * kSliceBytes];
  const int batch = blockIdx.z;
  const std::int64_t i0 = static_cast<std::int64_t>(blockIdx.x) * kBM;
  const std::int64_t j0 = static_cast<std::int64_t>(blockIdx.y) * kBN;
  const int tid = threadIdx.x, wg = tid >> 7;
  float d[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) d[i] = 0.f;
  const T zero = MmaTraits<T>::from_float(0.f);
  for (std::int64_t k0 = 0; k0 < ld.k; k0 += S::kBK) {
    for (int e = tid; e < kBM * S::kBK; e += kThreads) {
      const int mi = ld.a_k_fastest ? e / S::kBK : e % kBM;
      const int kk = ld.a_k_fastest ? e % S::kBK : e / kBM;
      const std::int64_t gi = i0 + mi, gk = k0 + kk;
      *reinterpret_cast<T*>(a_tile + S::offset(mi, kk)) =
          (gi < ld.m && gk < ld.k) ? stage_value<T>(ld.a(batch, gi, gk)) : zero;
      const int nj = ld.b_k_fastest ? e / S::kBK : e % kBN;
      const int kb = ld.b_k_fastest ? e % S::kBK : e / kBN;
      const std::int64_t gj = j0 + nj, gkb = k0 + kb;
      *reinterpret_cast<T*>(b_tile + S::offset(nj, kb)) =
          (gj < ld.n && gkb < ld.k) ? stage_value<T>(ld.b(batch, gkb, gj)) : zero;
    }
    // Generic-proxy stores must be visible to the async proxy that wgmma reads through.
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
    __syncthreads();
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
    for (int s = 0; s < S::kSteps; ++s) {
      // This warpgroup's 64 rows start 8 core-matrix rows per 64 down; each step is 2 core matrices of K.
      const std::uint64_t da = make_desc(a_tile + wg * 8 * S::kStrideBytes + s * 256, 128, S::kStrideBytes);
      const std::uint64_t db = make_desc(b_tile + s * 256, 128, S::kStrideBytes);
      wgmma_128<T>(d, da, db);
    }
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
    asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
    __syncthreads();  // the tiles are overwritten next
  }
  // Accumulators: warp w of the warpgroup owns rows 16w..16w+15; for n8 chunk c, d[4c+0..1] sit at
  // (g, 8c + 2t + 0..1) and d[4c+2..3] at (g + 8, same columns), g = lane / 4, t = lane % 4.
  const int w = (tid >> 5) & 3, lane = tid & 31, g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int c = 0; c < 16; ++c)
#pragma unroll
    for (int f = 0; f < 4; ++f) {
      const std::int64_t i = i0 + wg * 64 + w * 16 + g + (f >= 2 ? 8 : 0);
      const std::int64_t j = j0 + c * 8 + 2 * t + (f & 1);
      if (i < ld.m && j < ld.n) epi(batch, i, j, d[c * 4 + f]);
    }
#endif
}

template <class T>
void launch(const GemmParams& p, const void* a, const void* b, void* c, cudaStream_t stream) {
  MatrixLoader<T> ld;
  GemmEpilogue<T> epi;
  make_gemm_operands(p, a, b, c, ld, epi);
  require((p.n + kBN - 1) / kBN <= 65535 && p.batch <= 65535, "gemm", "n or batch too large for one launch");
  dim3 grid(static_cast<unsigned>((p.m + kBM - 1) / kBM), static_cast<unsigned>((p.n + kBN - 1) / kBN),
            static_cast<unsigned>(p.batch));
  wgmma_gemm_kernel<T><<<grid, kThreads, 0, stream>>>(ld, epi);
}

bool device_is_sm90() {
  static const bool yes = [] {
    int dev = 0, major = 0, minor = 0;
    if (cudaGetDevice(&dev) != cudaSuccess) return false;
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
    cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev);
    return major == 9 && minor == 0;
  }();
  return yes;
}

}  // namespace

bool wgmma_gemm(GemmType type, const GemmParams& p, const void* a, const void* b, void* c, cudaStream_t stream) {
#if defined(ONNXI_CUDA_HAVE_SM90A)
  if (!device_is_sm90()) return false;
  switch (type) {
    case GemmType::F16: launch<__half>(p, a, b, c, stream); return true;
    case GemmType::BF16: launch<__nv_bfloat16>(p, a, b, c, stream); return true;
    case GemmType::TF32: launch<float>(p, a, b, c, stream); return true;
    case GemmType::F32: return false;
  }
#endif
  return false;
}

}  // namespace onnxi::cuda::detail
