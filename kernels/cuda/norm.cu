// BatchNorm (inference), LayerNorm, RMSNorm and row softmax. The row kernels give each row one block
// and reduce with warp shuffles; statistics are two-pass (mean, then centred squares) like the CPU
// kernels, so large offsets do not cancel.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/kernels.h"

namespace onnxi::cuda {
namespace {

using namespace detail;

__global__ void batch_norm_kernel(const float* __restrict__ x, const float* __restrict__ scale,
                                  const float* __restrict__ bias, const float* __restrict__ mean,
                                  const float* __restrict__ var, float epsilon, std::int64_t channels,
                                  std::int64_t inner, float* __restrict__ y, std::int64_t total) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t ch = (e / inner) % channels;
    const float s = scale[ch] * rsqrtf(var[ch] + epsilon);
    y[e] = (x[e] - mean[ch]) * s + bias[ch];
  }
}

int row_block(std::int64_t cols) {
  std::int64_t b = (cols + 31) / 32 * 32;
  return static_cast<int>(b < 32 ? 32 : (b > 256 ? 256 : b));
}

// kind 0: LayerNorm, 1: RMSNorm.
template <int kKind>
__global__ void row_norm_kernel(const float* __restrict__ x, const float* __restrict__ gamma,
                                const float* __restrict__ beta, float epsilon, std::int64_t cols,
                                float* __restrict__ y) {
  __shared__ float scratch[32];
  const float* row = x + blockIdx.x * cols;
  float* out = y + blockIdx.x * cols;
  float mean = 0.f;
  if (kKind == 0) {
    float s = 0.f;
    for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += row[j];
    mean = block_sum(s, scratch) / static_cast<float>(cols);
  }
  float sq = 0.f;
  for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    const float d = row[j] - mean;
    sq += d * d;
  }
  const float inv = rsqrtf(block_sum(sq, scratch) / static_cast<float>(cols) + epsilon);
  for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    float v = (row[j] - mean) * inv;
    if (gamma) v *= gamma[j];
    if (kKind == 0 && beta) v += beta[j];
    out[j] = v;
  }
}

__global__ void softmax_row_kernel(const float* __restrict__ x, std::int64_t cols, bool log_softmax,
                                   float* __restrict__ y) {
  __shared__ float scratch[32];
  const float* row = x + blockIdx.x * cols;
  float* out = y + blockIdx.x * cols;
  float m = -INFINITY;
  for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, row[j]);
  m = block_max(m, scratch);
  float s = 0.f;
  for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += __expf(row[j] - m);
  s = block_sum(s, scratch);
  if (log_softmax) {
    const float shift = m + logf(s);
    for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) out[j] = row[j] - shift;
  } else {
    const float inv = 1.f / s;
    for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) out[j] = __expf(row[j] - m) * inv;
  }
}

void check_rows(const char* kernel, std::int64_t rows, std::int64_t cols, const void* x, const void* y) {
  require(rows >= 0 && cols >= 1, kernel, "rows must be >= 0 and cols >= 1");
  require(rows <= 0x7fffffffLL, kernel, "more than 2^31 - 1 rows");
  require(rows == 0 || (x && y), kernel, "null operand");
}

}  // namespace

void batch_norm(const float* x, const float* scale, const float* bias, const float* mean, const float* var,
                float epsilon, std::int64_t outer, std::int64_t channels, std::int64_t inner, float* y,
                StreamHandle stream) {
  require(outer >= 0 && channels >= 1 && inner >= 1, "batch_norm", "outer >= 0, channels and inner >= 1");
  const std::int64_t total = outer * channels * inner;
  if (total == 0) return;
  require(x && scale && bias && mean && var && y, "batch_norm", "null operand");
  batch_norm_kernel<<<grid_for(total, 256), 256, 0, as_stream(stream)>>>(x, scale, bias, mean, var, epsilon, channels,
                                                                       inner, y, total);
  check_launch("batch_norm");
}

void layer_norm(const float* x, const float* gamma, const float* beta, float epsilon, std::int64_t rows,
                std::int64_t cols, float* y, StreamHandle stream) {
  check_rows("layer_norm", rows, cols, x, y);
  if (rows == 0) return;
  row_norm_kernel<0><<<static_cast<unsigned>(rows), row_block(cols), 0, as_stream(stream)>>>(x, gamma, beta, epsilon,
                                                                                           cols, y);
  check_launch("layer_norm");
}

void rms_norm(const float* x, const float* gamma, float epsilon, std::int64_t rows, std::int64_t cols, float* y,
              StreamHandle stream) {
  check_rows("rms_norm", rows, cols, x, y);
  if (rows == 0) return;
  row_norm_kernel<1><<<static_cast<unsigned>(rows), row_block(cols), 0, as_stream(stream)>>>(x, gamma, nullptr,
                                                                                           epsilon, cols, y);
  check_launch("rms_norm");
}

void softmax_rows(const float* x, float* y, std::int64_t rows, std::int64_t cols, bool log, StreamHandle stream) {
  check_rows("softmax_rows", rows, cols, x, y);
  if (rows == 0) return;
  softmax_row_kernel<<<static_cast<unsigned>(rows), row_block(cols), 0, as_stream(stream)>>>(x, cols, log, y);
  check_launch("softmax_rows");
}

}  // namespace onnxi::cuda
