// The AVX2+FMA vector traits (Vec8: 8 floats in a ymm register; comparisons give all-ones lanes)
// over which the vector math of vec_math.h and the kernels' templates are written once for both
// ISAs; include it only from *__avx2.cpp (it needs their flags). Internal linkage on purpose, as
// docs/ARCHITECTURE.md asks of code shared between ISA files. The errors of the functions:
// vec_math.h.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace onnxi::kernels {
namespace {

alignas(32) constexpr int32_t kVec8TailTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

struct Vec8 {
  using reg = __m256;
  using ireg = __m256i;
  using mask = __m256;    // all-ones lanes where a comparison holds
  using tmask = __m256i;  // the lanes of a partial vector, for vmaskmov
  static constexpr int64_t width = 8;

  static reg zero() { return _mm256_setzero_ps(); }
  static reg set1(float v) { return _mm256_set1_ps(v); }
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg v) { _mm256_storeu_ps(p, v); }
  // Lanes [0, left), left >= 1. vmaskmov stores are microcoded and slow on AMD: only tails use them.
  static tmask tail(int64_t left) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kVec8TailTable + 8 - (left < 8 ? left : 8)));
  }
  static reg load_tail(const float* p, tmask m) { return _mm256_maskload_ps(p, m); }
  static reg load_tail_or(const float* p, tmask m, reg fill) {
    return _mm256_blendv_ps(fill, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static void store_tail(float* p, tmask m, reg v) { _mm256_maskstore_ps(p, m, v); }
  static reg zero_outside(tmask m, reg v) { return _mm256_and_ps(v, _mm256_castsi256_ps(m)); }

  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm256_sub_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg div(reg a, reg b) { return _mm256_div_ps(a, b); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg fnma(reg a, reg b, reg c) { return _mm256_fnmadd_ps(a, b, c); }
  static reg fms(reg a, reg b, reg c) { return _mm256_fmsub_ps(a, b, c); }
  static reg min(reg a, reg b) { return _mm256_min_ps(a, b); }
  static reg max(reg a, reg b) { return _mm256_max_ps(a, b); }
  static reg sqrt(reg a) { return _mm256_sqrt_ps(a); }
  static reg round(reg a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static reg and_(reg a, reg b) { return _mm256_and_ps(a, b); }
  static reg or_(reg a, reg b) { return _mm256_or_ps(a, b); }
  static reg xor_(reg a, reg b) { return _mm256_xor_ps(a, b); }
  static reg andnot(reg a, reg b) { return _mm256_andnot_ps(a, b); }

  // v, hidden from the optimizer: GCC contracts a multiply feeding an add into one FMA (also
  // across intrinsics), which the two-float sums of vec_math.h must not get.
  static reg keep(reg v) {
    __asm__("" : "+v"(v));
    return v;
  }

  static mask lt(reg a, reg b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static mask le(reg a, reg b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
  static mask gt(reg a, reg b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static mask eq(reg a, reg b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  static mask is_nan(reg a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  static mask mor(mask a, mask b) { return _mm256_or_ps(a, b); }
  static reg select(mask m, reg if_true, reg if_false) { return _mm256_blendv_ps(if_false, if_true, m); }

  // p * 2^n for integral n in [-252, 128] without vscalefps: two factors 2^(n/2) and 2^(n - n/2),
  // each a normal float, so the product rounds once, into denormals and to inf as vscalefps does.
  static reg ldexp(reg p, reg n) {
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i half = _mm256_srai_epi32(ni, 1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, half), bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  }

  static ireg bits(reg a) { return _mm256_castps_si256(a); }
  static reg from_bits(ireg a) { return _mm256_castsi256_ps(a); }
  static ireg set1i(int32_t v) { return _mm256_set1_epi32(v); }
  static ireg add_i(ireg a, ireg b) { return _mm256_add_epi32(a, b); }
  static ireg sub_i(ireg a, ireg b) { return _mm256_sub_epi32(a, b); }
  static ireg and_i(ireg a, ireg b) { return _mm256_and_si256(a, b); }
  static ireg or_i(ireg a, ireg b) { return _mm256_or_si256(a, b); }
  template <int k>
  static ireg srl_i(ireg a) { return _mm256_srli_epi32(a, k); }
  static reg to_float(ireg a) { return _mm256_cvtepi32_ps(a); }

  static float hsum(reg v) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 h = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
  }
  static float hmax(reg v) {
    const __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 h = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
  }

  struct dacc {
    __m256d lo, hi;
  };
  static dacc dacc_zero() { return {_mm256_setzero_pd(), _mm256_setzero_pd()}; }
  static void dacc_add(dacc& a, reg v) {
    a.lo = _mm256_add_pd(a.lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    a.hi = _mm256_add_pd(a.hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  }
  static double dacc_total(const dacc& a) {
    const __m256d s = _mm256_add_pd(a.lo, a.hi);
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  }
};

}  // namespace
}  // namespace onnxi::kernels

#include "kernels/cpu/vec_math.h"

namespace onnxi::kernels {
namespace {

// The name the attention kernel uses: exp over the whole float range (0 below -104, inf above 89).
inline __m256 exp8(__m256 x) { return vm::exp<Vec8>(x); }

}  // namespace
}  // namespace onnxi::kernels
