// The flash-attention block loop (attention_flash_impl.h) over 16-float AVX-512 vectors: QK^T in
// 8 x 32 register tiles, P V in 4 x 64. Defines nothing but its entry point (docs/ARCHITECTURE.md
// on ISA files); exp_ps and its error (1 ulp): vec_math__avx512.h.
#include <immintrin.h>

#include "kernels/cpu/attention_flash.h"
#include "kernels/cpu/transpose__avx512.h"
#include "kernels/cpu/vec_math__avx512.h"

namespace onnxi::kernels {
namespace {

struct Vec512 {
  using reg = __m512;
  static constexpr int kLanes = 16, kQkRows = 8, kPvRows = 4, kPvVecs = 4;
  static constexpr bool kPlainSoftmax = true;
  static constexpr bool kPvColsOuter = true;
  static reg zero() { return _mm512_setzero_ps(); }
  static reg set1(float x) { return _mm512_set1_ps(x); }
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, reg x) { _mm512_storeu_ps(p, x); }
  static reg fmadd(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm512_sub_ps(a, b); }
  static reg max(reg a, reg b) { return _mm512_max_ps(a, b); }
  static reg exp(reg x) { return exp_ps(x); }
  static float exp1(float x) { return _mm512_cvtss_f32(exp_ps(_mm512_set1_ps(x))); }
  static reg tanh_(reg x) { return tanh_ps(x); }
  static float hmax(reg x) { return _mm512_reduce_max_ps(x); }
  static float hsum(reg x) { return _mm512_reduce_add_ps(x); }
  static __mmask16 tail(int n) { return static_cast<__mmask16>(tail_mask(n)); }
  static __mmask16 range(int lo, int hi) { return static_cast<__mmask16>(tail_mask(hi) & ~tail_mask(lo)); }
  static reg load_tail(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
  // Lanes [0, n) where the bool is true (bools are one byte, 0 or 1).
  static __mmask16 bool_mask(const bool* p, int n) {
    const __m128i bytes = _mm_maskz_loadu_epi8(tail_mask(n), p);
    return _mm_test_epi8_mask(bytes, bytes);
  }
  static reg blend_neg_inf(__mmask16 keep, reg x) {
    return _mm512_mask_blend_ps(keep, _mm512_set1_ps(-__builtin_inff()), x);
  }
  static void transpose(reg* r) { transpose16(r); }
};

}  // namespace
}  // namespace onnxi::kernels

#include "kernels/cpu/attention_flash_impl.h"

namespace onnxi::kernels {

FlashBlockKernel flash_block_kernel_f32__avx512() {
  return make_flash_block_kernel<Vec512>();
}

}  // namespace onnxi::kernels
