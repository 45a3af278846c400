// GEMM / MatMul / batched MatMul: fp32 on CUDA cores, TF32/FP16/BF16 on tensor cores (gemm_tile.cuh).
#include "kernels/cuda/gemm_matrix.cuh"

namespace onnxi::cuda {
namespace {

using namespace detail;

template <class T>
void run(GemmAlgo algo, const GemmParams& p, const void* a, const void* b, void* c, cudaStream_t stream) {
  MatrixLoader<T> ld;
  GemmEpilogue<T> epi;
  make_gemm_operands(p, a, b, c, ld, epi);
  if (algo == GemmAlgo::Simt)
    launch_simt_gemm(ld, epi, p.batch, stream);
  else
    launch_mma_gemm<T>(ld, epi, p.batch, stream);  // T = float: TF32
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
  GemmAlgo algo = p.algo;
  if (algo == GemmAlgo::Auto || (type == GemmType::F32 && algo != GemmAlgo::Simt))
    algo = type == GemmType::F32 ? GemmAlgo::Simt : GemmAlgo::MmaSync;
  if (algo == GemmAlgo::Wgmma) {
    if (!wgmma_gemm(type, p, a, b, c, s))
      fail(ErrorCode::NotImplemented,
           "CUDA kernel gemm: GemmAlgo::Wgmma needs an sm_90 device and a build with CMAKE_CUDA_ARCHITECTURES "
           "containing 90a; use GemmAlgo::Auto");
    check_launch("gemm (wgmma)");
    return;
  }
  switch (type) {
    case GemmType::F32:
    case GemmType::TF32: run<float>(algo, p, a, b, c, s); break;
    case GemmType::F16: run<__half>(algo, p, a, b, c, s); break;
    case GemmType::BF16: run<__nv_bfloat16>(algo, p, a, b, c, s); break;
  }
  check_launch("gemm");
}

}  // namespace onnxi::cuda
