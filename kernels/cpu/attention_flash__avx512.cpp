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
};

// K rows [j, j + 16) x dims [d, d + 16) of the head, transposed into 16 dims x 16 keys, each a
// 16-key run of a panel row: 16 x 16 squares through registers (the scalar loop stored one float
// per key and dim, 17% of an S=128 attention's time on a Zen 5 core, 0.04 of 0.33 ms).
void pack_k_panels(const float* k, int64_t k_row, int64_t kv_len, int64_t dim, float* panels) {
  constexpr int64_t kp = 2 * Vec512::kLanes;
  const int64_t panel_count = (kv_len + kp - 1) / kp;
  __m512 r[16];
  for (int64_t p = 0; p < panel_count; ++p) {
    float* panel = panels + p * kp * dim;
    for (int64_t half = 0; half < kp; half += 16) {
      const int64_t j0 = p * kp + half;
      const int64_t keys = kv_len - j0 < 16 ? kv_len - j0 : 16;  // <= 0: padding keys only
      for (int64_t d = 0; d < dim; d += 16) {
        const int64_t dims = dim - d < 16 ? dim - d : 16;
        const __mmask16 m = tail_mask(dims);
        for (int64_t i = 0; i < 16; ++i) {
          r[i] = i < keys ? _mm512_maskz_loadu_ps(m, k + (j0 + i) * k_row + d) : _mm512_setzero_ps();
        }
        transpose16(r);
        for (int64_t dd = 0; dd < dims; ++dd) _mm512_storeu_ps(panel + (d + dd) * kp + half, r[dd]);
      }
    }
  }
}

}  // namespace
}  // namespace onnxi::kernels

#include "kernels/cpu/attention_flash_impl.h"

namespace onnxi::kernels {

FlashBlockKernel flash_block_kernel_f32__avx512() {
  FlashBlockKernel k = make_flash_block_kernel<Vec512>();
  k.pack_k = &pack_k_panels;
  return k;
}

}  // namespace onnxi::kernels
