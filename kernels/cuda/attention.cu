// Fused attention, flash-style: keys and values stream through shared memory in tiles of 32, each
// query row keeps a running max and sum (online softmax), so the Sq x Sk score matrix never exists.
// One warp owns one query row; inside a tile lane j scores key j, then the warp accumulates the
// 32 weighted value rows with each lane owning head_dim_v / 32 output columns. Eight warps per block
// share each K/V tile.
#include <cuda_fp16.h>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/kernels.h"

namespace onnxi::cuda {
namespace {

using namespace detail;

constexpr int kWarps = 8, kTileKeys = 32;

__device__ __forceinline__ float load_f(const float* p) { return *p; }
__device__ __forceinline__ float load_f(const __half* p) { return __half2float(*p); }
__device__ __forceinline__ void store_f(float* p, float v) { *p = v; }
__device__ __forceinline__ void store_f(__half* p, float v) { *p = __float2half_rn(v); }

// kPer: output columns per lane (head_dim_v <= 32 * kPer).
template <class T, int kPer>
__global__ void __launch_bounds__(kWarps * 32)
    flash_attention_kernel(AttentionParams p, float scale, const T* __restrict__ q, const T* __restrict__ k,
                           const T* __restrict__ v, T* __restrict__ o) {
  extern __shared__ float smem[];
  const int d = static_cast<int>(p.head_dim), dv = static_cast<int>(p.head_dim_v);
  const int ks_ld = d + 1;  // odd stride: lane j reading K[j][c] hits 32 different banks
  float* ks = smem;                       // [32][d + 1]
  float* vs = ks + kTileKeys * ks_ld;     // [32][dv]
  float* qs = vs + kTileKeys * dv;        // [kWarps][d]
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const std::int64_t bh = blockIdx.y, b = bh / p.heads, h = bh % p.heads;
  const std::int64_t row0 = static_cast<std::int64_t>(blockIdx.x) * kWarps, row = row0 + warp;
  const bool active = row < p.seq_q;
  const T* kb = k + bh * p.seq_k * d;
  const T* vb = v + bh * p.seq_k * dv;
  float* qw = qs + warp * d;
  if (active)
    for (int c = lane; c < d; c += 32) qw[c] = load_f(q + (bh * p.seq_q + row) * d + c);
  const float* mask_row = p.mask ? p.mask + b * p.mask_stride_b + h * p.mask_stride_h + (active ? row : 0) * p.seq_k
                                 : nullptr;
  // Keys past the last row's causal limit are masked for every row of this block.
  std::int64_t key_end = p.seq_k;
  if (p.causal) {
    const std::int64_t last = (row0 + kWarps - 1 < p.seq_q ? row0 + kWarps - 1 : p.seq_q - 1) + p.causal_offset + 1;
    key_end = last < key_end ? (last > 0 ? last : 0) : key_end;
  }
  float m_run = -INFINITY, l_run = 0.f, acc[kPer];
#pragma unroll
  for (int i = 0; i < kPer; ++i) acc[i] = 0.f;

  for (std::int64_t j0 = 0; j0 < key_end; j0 += kTileKeys) {
    const int tile = static_cast<int>(key_end - j0 < kTileKeys ? key_end - j0 : kTileKeys);
    __syncthreads();  // the previous tile is no longer read
    for (int e = threadIdx.x; e < tile * d; e += blockDim.x)
      ks[(e / d) * ks_ld + e % d] = load_f(kb + (j0 + e / d) * d + e % d);
    for (int e = threadIdx.x; e < tile * dv; e += blockDim.x) vs[e] = load_f(vb + j0 * dv + e);
    __syncthreads();
    if (!active) continue;
    const std::int64_t j = j0 + lane;
    float s = -INFINITY;
    if (lane < tile && !(p.causal && j > row + p.causal_offset)) {
      const float* kr = ks + lane * ks_ld;
      float dot = 0.f;
      for (int c = 0; c < d; ++c) dot = fmaf(qw[c], kr[c], dot);
      s = dot * scale + (mask_row ? mask_row[j] : 0.f);
    }
    const float m_new = fmaxf(m_run, warp_max(s));
    if (m_new == -INFINITY) continue;  // every key so far is masked: nothing to accumulate yet
    const float pj = __expf(s - m_new);
    const float corr = __expf(m_run - m_new);  // 0 when m_run is still -inf
    l_run = l_run * corr + warp_sum(pj);
    m_run = m_new;
#pragma unroll
    for (int i = 0; i < kPer; ++i) acc[i] *= corr;
    for (int jj = 0; jj < tile; ++jj) {
      const float w = __shfl_sync(0xffffffffu, pj, jj);
      const float* vr = vs + jj * dv;
#pragma unroll
      for (int i = 0; i < kPer; ++i) {
        const int c = lane + 32 * i;
        if (c < dv) acc[i] = fmaf(w, vr[c], acc[i]);
      }
    }
  }
  if (!active) return;
  const float inv = l_run > 0.f ? 1.f / l_run : 0.f;
  T* orow = o + (bh * p.seq_q + row) * dv;
#pragma unroll
  for (int i = 0; i < kPer; ++i) {
    const int c = lane + 32 * i;
    if (c < dv) store_f(orow + c, acc[i] * inv);
  }
}

template <class T, int kPer>
void launch(const AttentionParams& p, float scale, const void* q, const void* k, const void* v, void* o,
            cudaStream_t stream) {
  const std::size_t smem =
      sizeof(float) * (kTileKeys * (p.head_dim + 1) + kTileKeys * p.head_dim_v + kWarps * p.head_dim);
  auto kernel = flash_attention_kernel<T, kPer>;
  check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
        "cudaFuncSetAttribute (attention shared memory)");
  dim3 grid(static_cast<unsigned>((p.seq_q + kWarps - 1) / kWarps), static_cast<unsigned>(p.batch * p.heads));
  kernel<<<grid, kWarps * 32, smem, stream>>>(p, scale, static_cast<const T*>(q), static_cast<const T*>(k),
                                              static_cast<const T*>(v), static_cast<T*>(o));
}

template <class T>
void dispatch(const AttentionParams& p, float scale, const void* q, const void* k, const void* v, void* o,
              cudaStream_t stream) {
  if (p.head_dim_v <= 32)
    launch<T, 1>(p, scale, q, k, v, o, stream);
  else if (p.head_dim_v <= 64)
    launch<T, 2>(p, scale, q, k, v, o, stream);
  else if (p.head_dim_v <= 128)
    launch<T, 4>(p, scale, q, k, v, o, stream);
  else
    launch<T, 8>(p, scale, q, k, v, o, stream);
}

}  // namespace

void attention(AttentionType type, const AttentionParams& p, const void* q, const void* k, const void* v, void* o,
               StreamHandle stream) {
  require(p.batch >= 1 && p.heads >= 1 && p.seq_q >= 0 && p.seq_k >= 0, "attention",
          "batch and heads must be >= 1, sequence lengths >= 0");
  require(p.head_dim >= 1 && p.head_dim <= 256 && p.head_dim_v >= 1 && p.head_dim_v <= 256, "attention",
          "head_dim and head_dim_v must be in [1, 256]");
  require(p.batch * p.heads <= 65535, "attention", "batch * heads must be <= 65535");
  require(p.mask_stride_b >= 0 && p.mask_stride_h >= 0, "attention", "mask strides must be >= 0");
  if (p.seq_q == 0) return;
  require(q && k && v && o, "attention", "null operand");
  const float scale = p.scale != 0.f ? p.scale : 1.f / sqrtf(static_cast<float>(p.head_dim));
  if (type == AttentionType::F32)
    dispatch<float>(p, scale, q, k, v, o, as_stream(stream));
  else
    dispatch<__half>(p, scale, q, k, v, o, as_stream(stream));
  check_launch("attention");
}

}  // namespace onnxi::cuda
