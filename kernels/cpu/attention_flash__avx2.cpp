// The flash-attention block loop (attention_flash_impl.h) over 8-float AVX2 vectors: QK^T in 6 x 16
// register tiles, P V in 4 x 24 (column groups outside row groups), unmasked rows through the
// one-pass softmax (attention_flash_impl.h's switches); K packed by 8 x 8 register transposes. Defines nothing but its entry point
// (docs/ARCHITECTURE.md on ISA files).
//
// exp here: vec_math.h's exp (2^n * e^r, the same reduction and polynomial), with inputs below -87.3
// (results under the smallest normal float) giving 0 instead of a denormal; attention weights that
// small relative to the row maximum (1) do not change a float sum. Every argument is at most 0
// (scores minus their running maximum, -2|x| for the softcap's tanh; the one-pass softmax's
// fma(s, scale, -m) can exceed 0 by its rounding, far below ln 2 / 2, so n is still 0), so where the result is kept
// n lies in [-126, 0] and 2^n is one normal float built in its exponent bits: one multiply where
// vm::exp's general ldexp takes two factors and nine operations. The results are bit for bit
// vm::exp's (p times a normal 2^n rounds once either way).
#include <immintrin.h>

#include "kernels/cpu/attention_flash.h"
#include "kernels/cpu/transpose__avx2.h"
#include "kernels/cpu/vec_math__avx2.h"

namespace onnxi::kernels {
namespace {

inline __m256 exp256(__m256 x) {
  // Lanes below -87.33 get a meaningless 2^n (n < -126) and are zeroed; NaN gives NaN through p.
  const __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(-87.33f), _CMP_LT_OQ);
  const vm::ExpParts<Vec8> e = vm::exp_parts<Vec8, false>(x, Vec8::zero());
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(e.n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(under, _mm256_mul_ps(e.p, _mm256_castsi256_ps(bits)));
}

struct Vec256 {
  using reg = __m256;
  static constexpr int kLanes = 8, kQkRows = 6, kPvRows = 4, kPvVecs = 3;
  static constexpr bool kPlainSoftmax = true;
  static constexpr bool kPvColsOuter = true;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg set1(float x) { return _mm256_set1_ps(x); }
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg x) { _mm256_storeu_ps(p, x); }
  static reg fmadd(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm256_sub_ps(a, b); }
  static reg max(reg a, reg b) { return _mm256_max_ps(a, b); }
  static reg exp(reg x) { return exp256(x); }
  static float exp1(float x) { return _mm256_cvtss_f32(exp256(_mm256_set1_ps(x))); }
  static reg tanh_(reg x) {
    const reg sign_bit = _mm256_set1_ps(-0.f);
    const reg ax = _mm256_andnot_ps(sign_bit, x);
    const reg e = exp256(_mm256_mul_ps(ax, _mm256_set1_ps(-2.f)));
    const reg t = _mm256_div_ps(_mm256_sub_ps(_mm256_set1_ps(1.f), e), _mm256_add_ps(_mm256_set1_ps(1.f), e));
    return _mm256_or_ps(t, _mm256_and_ps(sign_bit, x));
  }
  static float hmax(reg x) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
  }
  static float hsum(reg x) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  static __m256i iota() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
  static __m256i tail(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), iota()); }
  static __m256i range(int lo, int hi) {
    return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(lo), iota()), tail(hi));
  }
  static reg load_tail(const float* p, __m256i m) { return _mm256_maskload_ps(p, m); }
  static __m256i bool_mask(const bool* p, int n) {
    alignas(32) int32_t lanes[8];
    for (int i = 0; i < 8; ++i) lanes[i] = i < n && p[i] ? -1 : 0;
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes));
  }
  static reg blend_neg_inf(__m256i keep, reg x) {
    return _mm256_blendv_ps(_mm256_set1_ps(-__builtin_inff()), x, _mm256_castsi256_ps(keep));
  }
  static void transpose(reg* r) { transpose8(r); }
};

}  // namespace
}  // namespace onnxi::kernels

#include "kernels/cpu/attention_flash_impl.h"

namespace onnxi::kernels {

FlashBlockKernel flash_block_kernel_f32__avx2() {
  return make_flash_block_kernel<Vec256>();
}

}  // namespace onnxi::kernels
