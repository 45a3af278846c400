// AVX-512 tanh-GELU (kernels/cpu/gelu.h): gelu_tanh_ps of vec_math__avx512.h, which the GEMM
// epilogue uses too.
#include <immintrin.h>

#include "kernels/cpu/gelu.h"
#include "kernels/cpu/vec_math__avx512.h"

namespace onnxi::kernels {

void gelu_tanh_f32__avx512(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, gelu_tanh_ps(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

}  // namespace onnxi::kernels
