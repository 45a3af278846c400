// The AVX-512 vector traits (Vec16: 16 floats in a zmm register, __mmask16 masks) over which the
// vector math of vec_math.h and the kernels' templates are written once for both ISAs; include it
// only from *__avx512.cpp (it needs their flags). Internal linkage on purpose, as
// docs/ARCHITECTURE.md asks of code shared between ISA files. The errors of the functions:
// vec_math.h.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace onnxi::kernels {
namespace {

// The maskz forms with all lanes set: GCC 12 warns (-Wmaybe-uninitialized) on the undefined
// temporary inside the unmasked intrinsics once they are inlined deep enough.
struct Vec16 {
  using reg = __m512;
  using ireg = __m512i;
  using mask = __mmask16;   // a lane predicate (comparisons)
  using tmask = __mmask16;  // the lanes of a partial vector (tails)
  static constexpr int64_t width = 16;

  static reg zero() { return _mm512_setzero_ps(); }
  static reg set1(float v) { return _mm512_set1_ps(v); }
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, reg v) { _mm512_storeu_ps(p, v); }
  // Lanes [0, left), left >= 1 (all 16 from 16 up).
  static tmask tail(int64_t left) { return left >= 16 ? tmask(0xffff) : tmask((1u << left) - 1); }
  static reg load_tail(const float* p, tmask m) { return _mm512_maskz_loadu_ps(m, p); }
  static reg load_tail_or(const float* p, tmask m, reg fill) { return _mm512_mask_loadu_ps(fill, m, p); }
  static void store_tail(float* p, tmask m, reg v) { _mm512_mask_storeu_ps(p, m, v); }
  static reg zero_outside(tmask m, reg v) { return _mm512_maskz_mov_ps(m, v); }

  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm512_sub_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg div(reg a, reg b) { return _mm512_div_ps(a, b); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }    // a b + c
  static reg fnma(reg a, reg b, reg c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a b
  static reg fms(reg a, reg b, reg c) { return _mm512_fmsub_ps(a, b, c); }    // a b - c
  // a < b ? a : b / a > b ? a : b: the second operand when either is NaN (the x86 rule).
  static reg min(reg a, reg b) { return _mm512_maskz_min_ps(0xffff, a, b); }
  static reg max(reg a, reg b) { return _mm512_maskz_max_ps(0xffff, a, b); }
  static reg sqrt(reg a) { return _mm512_maskz_sqrt_ps(0xffff, a); }
  static reg round(reg a) {
    return _mm512_maskz_roundscale_ps(0xffff, a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static reg and_(reg a, reg b) { return _mm512_and_ps(a, b); }
  static reg or_(reg a, reg b) { return _mm512_or_ps(a, b); }
  static reg xor_(reg a, reg b) { return _mm512_xor_ps(a, b); }
  static reg andnot(reg a, reg b) { return _mm512_andnot_ps(a, b); }  // ~a & b

  // v, hidden from the optimizer: GCC contracts a multiply feeding an add into one FMA (also
  // across intrinsics), which the two-float sums of vec_math.h must not get.
  static reg keep(reg v) {
    __asm__("" : "+v"(v));
    return v;
  }

  static mask lt(reg a, reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static mask le(reg a, reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
  static mask gt(reg a, reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static mask eq(reg a, reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  static mask is_nan(reg a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  static mask mor(mask a, mask b) { return static_cast<mask>(a | b); }
  static reg select(mask m, reg if_true, reg if_false) { return _mm512_mask_blend_ps(m, if_false, if_true); }

  // p * 2^n for integral n (vec_math.h keeps it in [-174, 128]): vscalefps rounds once, into
  // denormals and to inf too.
  static reg ldexp(reg p, reg n) { return _mm512_maskz_scalef_ps(0xffff, p, n); }

  static ireg bits(reg a) { return _mm512_castps_si512(a); }
  static reg from_bits(ireg a) { return _mm512_castsi512_ps(a); }
  static ireg set1i(int32_t v) { return _mm512_set1_epi32(v); }
  static ireg add_i(ireg a, ireg b) { return _mm512_add_epi32(a, b); }
  static ireg sub_i(ireg a, ireg b) { return _mm512_sub_epi32(a, b); }
  static ireg and_i(ireg a, ireg b) { return _mm512_and_si512(a, b); }
  static ireg or_i(ireg a, ireg b) { return _mm512_or_si512(a, b); }
  template <int k>
  static ireg srl_i(ireg a) { return _mm512_maskz_srli_epi32(0xffff, a, k); }
  static reg to_float(ireg a) { return _mm512_maskz_cvtepi32_ps(0xffff, a); }

  static float hsum(reg v) {
    __m512 t = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    t = _mm512_add_ps(t, _mm512_maskz_shuffle_f32x4(0xffff, t, t, _MM_SHUFFLE(2, 3, 0, 1)));
    __m128 s = _mm512_maskz_extractf32x4_ps(0xf, t, 0);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
  }
  static float hmax(reg v) {
    __m512 t = _mm512_maskz_max_ps(0xffff, v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    t = _mm512_maskz_max_ps(0xffff, t, _mm512_maskz_shuffle_f32x4(0xffff, t, t, _MM_SHUFFLE(2, 3, 0, 1)));
    __m128 s = _mm512_maskz_extractf32x4_ps(0xf, t, 0);
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
  }

  // A sum of floats kept in double lanes (long softmax rows keep their precision).
  struct dacc {
    __m512d lo, hi;
  };
  static dacc dacc_zero() { return {_mm512_setzero_pd(), _mm512_setzero_pd()}; }
  static void dacc_add(dacc& a, reg v) {
    a.lo = _mm512_add_pd(
        a.lo, _mm512_maskz_cvtps_pd(0xff, _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xf, _mm512_castps_pd(v), 0))));
    a.hi = _mm512_add_pd(
        a.hi, _mm512_maskz_cvtps_pd(0xff, _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xf, _mm512_castps_pd(v), 1))));
  }
  static double dacc_total(const dacc& a) {
    const __m512d s = _mm512_add_pd(a.lo, a.hi);
    const __m256d q = _mm256_add_pd(_mm512_maskz_extractf64x4_pd(0xf, s, 0), _mm512_maskz_extractf64x4_pd(0xf, s, 1));
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(q), _mm256_extractf128_pd(q, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  }
};

}  // namespace
}  // namespace onnxi::kernels

#include "kernels/cpu/vec_math.h"

namespace onnxi::kernels {
namespace {

// The names the GEMM epilogue and the attention kernel use.
inline __m512 exp_ps(__m512 x) { return vm::exp<Vec16>(x); }
inline __m512 tanh_ps(__m512 x) { return vm::tanh<Vec16>(x); }
inline __m512 gelu_tanh_ps(__m512 x) { return vm::gelu_tanh<Vec16>(x); }
// Lanes [0, left) of a 16-lane vector.
inline __mmask16 tail_mask(int64_t left) { return Vec16::tail(left); }

}  // namespace
}  // namespace onnxi::kernels
