// Launch wrappers of the CUDA kernels. Plain C++ (no CUDA headers, no ONNX types): device pointers,
// sizes and small parameter structs, all work queued on `stream` (asynchronous). Tensors are dense
// and row-major unless a function says otherwise; 16-bit floats travel as their bits (std::uint16_t,
// IEEE half or bfloat16). Bad sizes throw onnxi::Error before anything is launched.
#pragma once

#include <cstdint>

#include "kernels/cuda/runtime.h"

namespace onnxi::cuda {

// ---- fused epilogue shared by GEMM, convolution and attention-free ops ------------------------------
enum class Activation { None, Relu, LeakyRelu, Clip, Sigmoid, Tanh, Gelu, Silu };
struct ActivationParams {
  Activation kind = Activation::None;
  float alpha = 0.01f;  // LeakyRelu slope; Clip minimum
  float beta = 0.f;     // Clip maximum
};

// ---- GEMM / MatMul / batched MatMul ------------------------------------------------------------------
// C[b] = act(alpha * op(A[b]) * op(B[b]) + beta * C[b] + bias), op(X) = X or X^T, per batch b with
// element strides (a stride of 0 broadcasts that operand). beta == 0 never reads C.
enum class GemmType {
  F32,   // fp32 in and out, SIMT (CUDA cores)
  TF32,  // fp32 in and out, tensor cores with TF32 inputs (10-bit mantissa), fp32 accumulate
  F16,   // half in and out, tensor cores (mma.sync), fp32 accumulate
  BF16,  // bfloat16 in and out, tensor cores (mma.sync), fp32 accumulate
};
// Auto: SIMT for F32, mma.sync for the tensor-core types. Wgmma (sm_90a, F16/BF16/TF32) is opt-in
// until it has been validated on hardware; Simt runs any type on CUDA cores (TF32 then is full fp32).
enum class GemmAlgo { Auto, Simt, MmaSync, Wgmma };
struct GemmParams {
  std::int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  std::int64_t lda = 0, ldb = 0, ldc = 0;  // leading dims of A, B, C as stored
  std::int64_t batch = 1, stride_a = 0, stride_b = 0, stride_c = 0;
  float alpha = 1.f, beta = 0.f;
  const float* bias = nullptr;   // length n (one per output column), or nullptr
  bool bias_per_row = false;     // bias has length m instead (Gemm's C of shape [M,1])
  ActivationParams act;
  GemmAlgo algo = GemmAlgo::Auto;
};
void gemm(GemmType type, const GemmParams& p, const void* a, const void* b, void* c, StreamHandle stream);

// ---- convolution (NHWC inside) --------------------------------------------------------------------
// x: [N, H, W, C] (NHWC); w: [Cout, KH, KW, C/groups] (KRSC, i.e. ONNX OIHW permuted (0,2,3,1));
// y: [N, OH, OW, Cout]. bias [Cout] and residual (y's shape, added before the activation) optional.
struct ConvParams {
  std::int64_t n = 0, h = 0, w = 0, c = 0, cout = 0, groups = 1;
  std::int64_t kh = 1, kw = 1;
  std::int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  std::int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  std::int64_t out_h() const { return (h + pad_top + pad_bottom - dilation_h * (kh - 1) - 1) / stride_h + 1; }
  std::int64_t out_w() const { return (w + pad_left + pad_right - dilation_w * (kw - 1) - 1) / stride_w + 1; }
};
enum class ConvAlgo { Auto, ImplicitGemmF32, ImplicitGemmTF32, Depthwise };
void conv2d_nhwc(const ConvParams& p, const float* x, const float* w, const float* bias, const float* residual,
                 float* y, ActivationParams act, StreamHandle stream, ConvAlgo algo = ConvAlgo::Auto);

// ---- normalization -----------------------------------------------------------------------------------
// Inference BatchNormalization over x viewed as [outer, channels, inner] (NCHW: inner = H*W; NHWC:
// outer = N*H*W, inner = 1): y = (x - mean) / sqrt(var + eps) * scale + bias.
void batch_norm(const float* x, const float* scale, const float* bias, const float* mean, const float* var,
                float epsilon, std::int64_t outer, std::int64_t channels, std::int64_t inner, float* y,
                StreamHandle stream);
// Row-wise over [rows, cols]: LayerNorm y = (x - mean) / sqrt(var + eps) * gamma + beta, RMSNorm
// y = x / sqrt(mean(x^2) + eps) * gamma. gamma/beta have length cols, either may be nullptr.
void layer_norm(const float* x, const float* gamma, const float* beta, float epsilon, std::int64_t rows,
                std::int64_t cols, float* y, StreamHandle stream);
void rms_norm(const float* x, const float* gamma, float epsilon, std::int64_t rows, std::int64_t cols, float* y,
              StreamHandle stream);
// Softmax (or log-softmax) of each row of [rows, cols].
void softmax_rows(const float* x, float* y, std::int64_t rows, std::int64_t cols, bool log, StreamHandle stream);

// ---- pooling (NCHW, 2-D) ---------------------------------------------------------------------------
enum class PoolKind { Max, Average };
struct PoolParams {
  PoolKind kind = PoolKind::Max;
  std::int64_t n = 0, c = 0, h = 0, w = 0;
  std::int64_t kh = 1, kw = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  std::int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  std::int64_t out_h = 0, out_w = 0;  // given (ceil_mode is the caller's arithmetic)
  bool count_include_pad = false;
};
void pool2d(const PoolParams& p, const float* x, float* y, StreamHandle stream);
// GlobalAveragePool / GlobalMaxPool: x [rows, spatial] -> y [rows].
void global_pool(PoolKind kind, const float* x, std::int64_t rows, std::int64_t spatial, float* y,
                 StreamHandle stream);

// ---- fused attention (flash-style: online softmax, no S x S matrix in memory) -----------------------
// q [B, H, Sq, D], k [B, H, Sk, D], v [B, H, Sk, Dv], o [B, H, Sq, Dv]; D, Dv <= 256. mask: additive fp32, element
// (b, h, i, j) at mask[b*mask_stride_b + h*mask_stride_h + i*Sk + j] (strides 0 broadcast), or nullptr.
// causal keeps key j for query i when j <= i + causal_offset (0: top-left aligned; Sk - Sq:
// bottom-right). A row whose every key is masked gives zeros.
struct AttentionParams {
  std::int64_t batch = 1, heads = 1, seq_q = 0, seq_k = 0, head_dim = 0, head_dim_v = 0;
  float scale = 0.f;  // 0: 1/sqrt(head_dim)
  bool causal = false;
  std::int64_t causal_offset = 0;
  const float* mask = nullptr;
  std::int64_t mask_stride_b = 0, mask_stride_h = 0;
};
enum class AttentionType { F32, F16 };  // F16: half q/k/v/o, fp32 softmax and accumulation
void attention(AttentionType type, const AttentionParams& p, const void* q, const void* k, const void* v, void* o,
               StreamHandle stream);

// ---- elementwise ---------------------------------------------------------------------------------
enum class UnaryOp { Relu, Sigmoid, Tanh, Exp, Log, Sqrt, Reciprocal, Neg, Abs, Erf, Gelu, Silu, Floor, Ceil };
void unary(UnaryOp op, const float* x, float* y, std::int64_t n, StreamHandle stream);
void activation(const ActivationParams& act, const float* x, float* y, std::int64_t n, StreamHandle stream);

enum class BinaryOp { Add, Sub, Mul, Div, Max, Min, Pow };
constexpr int kMaxDims = 8;
// Broadcasting: out has `rank` dims; a_strides/b_strides are element strides per output dim (0 where
// that input broadcasts). Same-shape contiguous inputs take a vectorized path.
struct BroadcastShape {
  int rank = 0;
  std::int64_t out[kMaxDims] = {};
  std::int64_t a_strides[kMaxDims] = {};
  std::int64_t b_strides[kMaxDims] = {};
};
// Fills strides for numpy-style broadcasting of a_shape and b_shape (each up to kMaxDims dims).
BroadcastShape make_broadcast(const std::int64_t* a_shape, int a_rank, const std::int64_t* b_shape, int b_rank);
void binary(BinaryOp op, const BroadcastShape& s, const float* a, const float* b, float* y, StreamHandle stream);

// ---- reductions over the middle axis of [outer, reduce, inner] --------------------------------------------
enum class ReduceOp { Sum, Mean, Max, Min, SumSquare };
void reduce(ReduceOp op, const float* x, std::int64_t outer, std::int64_t reduce, std::int64_t inner, float* y,
            StreamHandle stream);

// ---- data movement (element size 1, 2, 4 or 8 bytes) -------------------------------------------------
// y = transpose(x, perm): y's dim d is x's dim perm[d].
void transpose(const void* x, void* y, int elem_size, const std::int64_t* shape, const int* perm, int rank,
               StreamHandle stream);
// Concat along an axis: each input i is [outer, dims[i] * inner]; y is [outer, sum(dims) * inner].
void concat(const void* const* inputs, const std::int64_t* dims, int count, std::int64_t outer, std::int64_t inner,
            void* y, int elem_size, StreamHandle stream);
// y[i...] = x[start + i * step] per dim (steps may be negative; starts already clamped in range).
void slice(const void* x, void* y, int elem_size, const std::int64_t* x_shape, const std::int64_t* starts,
           const std::int64_t* steps, const std::int64_t* y_shape, int rank, StreamHandle stream);
// Gather along an axis: x [outer, axis_dim, inner], indices (int64, negative counts from the end)
// [count] -> y [outer, count, inner]. An index outside [-axis_dim, axis_dim) writes zeros and sets
// *bad_index (a device int, may be nullptr) to 1, so the caller can raise a clear error.
void gather(const void* x, const std::int64_t* indices, std::int64_t count, std::int64_t outer,
            std::int64_t axis_dim, std::int64_t inner, void* y, int elem_size, int* bad_index, StreamHandle stream);

// ---- Resize (last two dims of [planes, H, W], planes = N*C) --------------------------------------------
enum class ResizeMode { Nearest, Linear };
enum class CoordMode { HalfPixel, PytorchHalfPixel, AlignCorners, Asymmetric };
enum class NearestRound { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };
struct ResizeParams {
  std::int64_t planes = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  float scale_h = 0.f, scale_w = 0.f;  // 0: out / in
  ResizeMode mode = ResizeMode::Nearest;
  CoordMode coord = CoordMode::HalfPixel;
  NearestRound nearest = NearestRound::RoundPreferFloor;
};
void resize2d(const ResizeParams& p, const float* x, float* y, StreamHandle stream);

}  // namespace onnxi::cuda
