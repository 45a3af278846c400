// Elementwise unary ops and activations, broadcasting binary ops, and reductions over one axis.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/gemm_tile.cuh"
#include "kernels/cuda/kernels.h"

namespace onnxi::cuda {
namespace {

using namespace detail;

// Accurate libdevice math (not the __expf family): these are compared with the CPU ops at float
// round-off, and elementwise ops are bound by memory, not by the math.
__device__ __forceinline__ float unary_op(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::Relu: return x > 0.f ? x : 0.f;
    case UnaryOp::Sigmoid: return 1.f / (1.f + expf(-x));
    case UnaryOp::Tanh: return tanhf(x);
    case UnaryOp::Exp: return expf(x);
    case UnaryOp::Log: return logf(x);
    case UnaryOp::Sqrt: return sqrtf(x);
    case UnaryOp::Reciprocal: return 1.f / x;
    case UnaryOp::Neg: return -x;
    case UnaryOp::Abs: return fabsf(x);
    case UnaryOp::Erf: return erff(x);
    case UnaryOp::Gelu: return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
    case UnaryOp::Silu: return x / (1.f + expf(-x));
    case UnaryOp::Floor: return floorf(x);
    case UnaryOp::Ceil: return ceilf(x);
  }
  return x;
}

__global__ void unary_kernel(UnaryOp op, const float* __restrict__ x, float* __restrict__ y, std::int64_t n) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    y[e] = unary_op(op, x[e]);
}

__global__ void activation_kernel(ActivationParams act, const float* __restrict__ x, float* __restrict__ y,
                                  std::int64_t n) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    y[e] = apply_activation(x[e], act);
}

// Max/Min propagate NaN like the CPU kernels (fmaxf would drop it).
__device__ __forceinline__ float binary_op(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Max: return (a > b || isnan(a)) ? a : b;
    case BinaryOp::Min: return (a < b || isnan(a)) ? a : b;
    case BinaryOp::Pow: return powf(a, b);
  }
  return a;
}

__global__ void binary_same_kernel(BinaryOp op, const float* __restrict__ a, const float* __restrict__ b,
                                   float* __restrict__ y, std::int64_t n) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    y[e] = binary_op(op, a[e], b[e]);
}

__global__ void binary_broadcast_kernel(BinaryOp op, BroadcastShape s, const float* __restrict__ a,
                                        const float* __restrict__ b, float* __restrict__ y, std::int64_t n) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    std::int64_t rest = e, ia = 0, ib = 0;
    for (int d = s.rank - 1; d >= 0; --d) {
      const std::int64_t i = rest % s.out[d];
      rest /= s.out[d];
      ia += i * s.a_strides[d];
      ib += i * s.b_strides[d];
    }
    y[e] = binary_op(op, a[ia], b[ib]);
  }
}

__device__ __forceinline__ float reduce_init(ReduceOp op) {
  return op == ReduceOp::Max ? -INFINITY : (op == ReduceOp::Min ? INFINITY : 0.f);
}
__device__ __forceinline__ float reduce_step(ReduceOp op, float acc, float v) {
  switch (op) {
    case ReduceOp::Max: return fmaxf(acc, v);
    case ReduceOp::Min: return fminf(acc, v);
    case ReduceOp::SumSquare: return fmaf(v, v, acc);
    default: return acc + v;
  }
}

// inner == 1: one block per row, shuffle reduction.
__global__ void reduce_rows_kernel(ReduceOp op, const float* __restrict__ x, std::int64_t len, float* __restrict__ y) {
  __shared__ float scratch[32];
  const float* row = x + blockIdx.x * len;
  float acc = reduce_init(op);
  for (std::int64_t j = threadIdx.x; j < len; j += blockDim.x) acc = reduce_step(op, acc, row[j]);
  if (op == ReduceOp::Max) {
    acc = block_max(acc, scratch);
  } else if (op == ReduceOp::Min) {
    acc = -block_max(-acc, scratch);
  } else {
    acc = block_sum(acc, scratch);
  }
  if (threadIdx.x == 0) y[blockIdx.x] = op == ReduceOp::Mean ? acc / static_cast<float>(len) : acc;
}

// inner > 1: one thread per (outer, inner) walking the reduced axis; neighbours read neighbours.
__global__ void reduce_strided_kernel(ReduceOp op, const float* __restrict__ x, std::int64_t outer, std::int64_t len,
                                      std::int64_t inner, float* __restrict__ y) {
  const std::int64_t total = outer * inner;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t o = e / inner, i = e % inner;
    const float* p = x + o * len * inner + i;
    float acc = reduce_init(op);
    for (std::int64_t r = 0; r < len; ++r) acc = reduce_step(op, acc, p[r * inner]);
    y[e] = op == ReduceOp::Mean ? acc / static_cast<float>(len) : acc;
  }
}

}  // namespace

void unary(UnaryOp op, const float* x, float* y, std::int64_t n, StreamHandle stream) {
  require(n >= 0, "unary", "n must be >= 0");
  if (n == 0) return;
  require(x && y, "unary", "null operand");
  unary_kernel<<<grid_for(n, 256), 256, 0, as_stream(stream)>>>(op, x, y, n);
  check_launch("unary");
}

void activation(const ActivationParams& act, const float* x, float* y, std::int64_t n, StreamHandle stream) {
  require(n >= 0, "activation", "n must be >= 0");
  if (n == 0) return;
  require(x && y, "activation", "null operand");
  activation_kernel<<<grid_for(n, 256), 256, 0, as_stream(stream)>>>(act, x, y, n);
  check_launch("activation");
}

BroadcastShape make_broadcast(const std::int64_t* a_shape, int a_rank, const std::int64_t* b_shape, int b_rank) {
  require(a_rank >= 0 && a_rank <= kMaxDims && b_rank >= 0 && b_rank <= kMaxDims, "binary",
          "inputs may have at most 8 dims");
  BroadcastShape s;
  s.rank = a_rank > b_rank ? a_rank : b_rank;
  std::int64_t sa = 1, sb = 1;
  for (int d = s.rank - 1; d >= 0; --d) {
    const int da = d - (s.rank - a_rank), db = d - (s.rank - b_rank);
    const std::int64_t ea = da >= 0 ? a_shape[da] : 1, eb = db >= 0 ? b_shape[db] : 1;
    if (ea != eb && ea != 1 && eb != 1)
      fail(ErrorCode::InvalidArgument, cat("CUDA kernel binary: shapes do not broadcast (dim ", d, ": ", ea, " vs ",
                                           eb, ")"));
    s.out[d] = ea == 1 ? eb : ea;
    s.a_strides[d] = ea == 1 ? 0 : sa;
    s.b_strides[d] = eb == 1 ? 0 : sb;
    sa *= ea;
    sb *= eb;
  }
  return s;
}

void binary(BinaryOp op, const BroadcastShape& s, const float* a, const float* b, float* y, StreamHandle stream) {
  require(s.rank >= 0 && s.rank <= kMaxDims, "binary", "rank must be in [0, 8]");
  std::int64_t n = 1;
  bool same = true;
  for (int d = s.rank - 1; d >= 0; --d) {
    require(s.out[d] >= 0, "binary", "dims must be >= 0");
    if (s.out[d] != 1 && (s.a_strides[d] != n || s.b_strides[d] != n)) same = false;
    n *= s.out[d];
  }
  if (n == 0) return;
  require(a && b && y, "binary", "null operand");
  cudaStream_t st = as_stream(stream);
  if (same)
    binary_same_kernel<<<grid_for(n, 256), 256, 0, st>>>(op, a, b, y, n);
  else
    binary_broadcast_kernel<<<grid_for(n, 256), 256, 0, st>>>(op, s, a, b, y, n);
  check_launch("binary");
}

void reduce(ReduceOp op, const float* x, std::int64_t outer, std::int64_t len, std::int64_t inner, float* y,
            StreamHandle stream) {
  require(outer >= 0 && inner >= 1 && len >= 1, "reduce",
          "outer >= 0, inner >= 1 and a reduced axis of length >= 1 (empty reductions are the caller's identity)");
  if (outer == 0) return;
  require(x && y, "reduce", "null operand");
  cudaStream_t st = as_stream(stream);
  if (inner == 1 && outer <= 0x7fffffffLL) {
    const int block = len >= 256 ? 256 : static_cast<int>((len + 31) / 32 * 32);
    reduce_rows_kernel<<<static_cast<unsigned>(outer), block, 0, st>>>(op, x, len, y);
  } else {
    reduce_strided_kernel<<<grid_for(outer * inner, 256), 256, 0, st>>>(op, x, outer, len, inner, y);
  }
  check_launch("reduce");
}

}  // namespace onnxi::cuda
