// Vector math written once over a traits type V (Vec16 of vec_math__avx512.h, Vec8 of
// vec_math__avx2.h): include it through one of those headers, never on its own. Everything is in
// an unnamed namespace (internal linkage), as docs/ARCHITECTURE.md asks of code shared between ISA
// files.
//
// Max error against a double-precision reference, in ulp of the exact result (|y - ref| /
// ulp(ref); a correctly rounded result is within 0.5), measured by bench/ulp_sweep over EVERY
// finite float (all 2^32 bit patterns; log: every positive one) plus 2^24 + 1 points on [-16, 16].
// AVX-512 and AVX2 run the same operations and agree bit for bit on all of them (the sweep counts
// the differences: 0). tests/unit/test_elementwise_vec.cpp asserts these maxima (rounded up to
// 0.1) on a sampled sweep per ISA.
//
//   function     AVX-512 = AVX2   portable (C library)   where the max is / notes
//   exp          0.94             0.50                   at 26.69; 0 below -103.97, inf above 88.72
//   log          0.86             0.82                   at 0.7042; x > 0, denormals included
//   erf          1.45             0.97                   at 0.994 (series / erfc switch at 1)
//   gelu (erf)   7.50             1.7e7                  at -3.46 (the erfc fit, 1e-7 relative); the
//                                                        portable 1 + erf cancels for x << 0
//   gelu (tanh)  3.40             1.7e7                  at -2.98 (portable: cancels)
//   sigmoid      2.40             2.1e6                  at -4.16 (portable: 0 below -88.7)
//   tanh         1.90             2.19                   at 0.362
//   softplus     2.11             1.54                   at -1.26
//   mish         4.57             4.07                   at -6.88; |y| >= 1e-30 (below: 1e-37 absolute)
//   swish (a=1)  3.22             1.7e7                  at -7.60 (portable: sigmoid's denormals)
//
// Exact (IEEE rounded, bit for bit the portable loop): Relu, LeakyRelu, ThresholdedRelu, Abs, Neg,
// Sqrt, Reciprocal, HardSwish, Softsign, Clip; HardSigmoid is one FMA (within 0.5 ulp).
// Special values: NaN in gives NaN out, +-inf give the limits (or NaN where the formula does, as
// the portable loop), -0 keeps its sign where the function is odd.
#pragma once

#include <cstdint>

namespace onnxi::kernels {
namespace {
namespace vm {

// exp(hi + lo) as p 2^n (p in [0.7, 1.42], n integral): callers that scale the result multiply p
// first, so a denormal result is rounded once.
template <class V>
struct ExpParts {
  typename V::reg p, n;
};

// exp(hi + lo) for |lo| << |hi| (lo: the low part of an argument computed in two floats).
// n = round(x log2 e), r = x - n ln 2 with ln 2 in two parts (n ln2_hi is exact, so r is exact to
// float precision), e^r by its degree-7 Taylor polynomial on |r| <= ln(2)/2 (truncation 1.5e-9
// relative), 2^n by V::ldexp, which gives inf, denormals and 0 as the exact result would round.
// x is clamped to [-120, 89] first (beyond it the result is 0 or inf anyway, also after the
// callers' scaling by at most 12; n >= -174 stays in V::ldexp's range) in an order that keeps NaN.
// kLo = false: lo is 0 (two adds fewer: x + 0 is not foldable in IEEE arithmetic).
template <class V, bool kLo = true>
inline ExpParts<V> exp_parts(typename V::reg hi, typename V::reg lo) {
  using R = typename V::reg;
  hi = V::min(V::set1(89.f), V::max(V::set1(-120.f), hi));  // second operand on NaN
  const R n = V::round(V::mul(kLo ? V::add(hi, lo) : hi, V::set1(1.44269504088896341f)));
  R r = V::fnma(n, V::set1(0.693359375f), hi);
  r = V::fnma(n, V::set1(-2.12194440e-4f), r);
  if constexpr (kLo) r = V::add(r, lo);
  R p = V::set1(1.f / 5040.f);
  p = V::fma(p, r, V::set1(1.f / 720.f));
  p = V::fma(p, r, V::set1(1.f / 120.f));
  p = V::fma(p, r, V::set1(1.f / 24.f));
  p = V::fma(p, r, V::set1(1.f / 6.f));
  p = V::fma(p, r, V::set1(0.5f));
  p = V::fma(p, r, V::set1(1.f));
  p = V::fma(p, r, V::set1(1.f));
  return {p, n};
}

template <class V>
inline typename V::reg exp2parts(typename V::reg hi, typename V::reg lo) {
  const ExpParts<V> e = exp_parts<V>(hi, lo);
  return V::ldexp(e.p, e.n);
}

template <class V>
inline typename V::reg exp(typename V::reg x) {
  const ExpParts<V> e = exp_parts<V, false>(x, V::zero());
  return V::ldexp(e.p, e.n);
}

// log(x) = e ln 2 + log1p(f), x = 2^e (1 + f), 1 + f in [sqrt(1/2), sqrt(2)); log1p(f) as fdlibm
// arranges it, f - (f^2/2 - s (f^2/2 + R(s^2))) with s = f / (2 + f) and R the series of
// 2 atanh(s) - 2s (to s^14, truncation below 1e-9 relative): f is exact and the rest a small
// correction, so the result is within 1 ulp. Denormal x are scaled by 2^23 first.
template <class V>
inline typename V::reg log(typename V::reg x) {
  using R = typename V::reg;
  using I = typename V::ireg;
  const R one = V::set1(1.f);
  const auto denormal = V::lt(x, V::set1(1.17549435e-38f));  // and x <= 0, replaced below
  const R xs = V::select(denormal, V::mul(x, V::set1(8388608.f)), x);
  const I b = V::bits(xs);
  const R e0 = V::sub(V::to_float(V::sub_i(V::template srl_i<23>(b), V::set1i(127))),
                      V::select(denormal, V::set1(23.f), V::zero()));
  R m = V::from_bits(V::or_i(V::and_i(b, V::set1i(0x007fffff)), V::set1i(0x3f800000)));  // [1, 2)
  const auto big = V::gt(m, V::set1(1.41421356f));
  m = V::select(big, V::mul(m, V::set1(0.5f)), m);
  const R e = V::add(e0, V::select(big, one, V::zero()));
  const R f = V::sub(m, one);  // exact
  const R s = V::div(f, V::add(f, V::set1(2.f)));
  const R z = V::mul(s, s);
  R p = V::set1(2.f / 15.f);
  p = V::fma(p, z, V::set1(2.f / 13.f));
  p = V::fma(p, z, V::set1(2.f / 11.f));
  p = V::fma(p, z, V::set1(2.f / 9.f));
  p = V::fma(p, z, V::set1(2.f / 7.f));
  p = V::fma(p, z, V::set1(2.f / 5.f));
  p = V::fma(p, z, V::set1(2.f / 3.f));
  const R rs = V::mul(p, z);
  const R hfsq = V::mul(V::mul(V::set1(0.5f), f), f);
  const R log1p_f = V::sub(f, V::fnma(s, V::add(hfsq, rs), hfsq));
  R r = V::fma(e, V::set1(0.693359375f), V::fma(e, V::set1(-2.12194440e-4f), log1p_f));
  const R inf = V::set1(__builtin_inff());
  r = V::select(V::eq(x, inf), inf, r);
  r = V::select(V::eq(x, V::zero()), V::set1(-__builtin_inff()), r);
  r = V::select(V::lt(x, V::zero()), V::set1(__builtin_nanf("")), r);
  return V::select(V::is_nan(x), x, r);  // NaN keeps its payload
}

// log(1 + u) for u >= 0 (softplus's argument): w = 1 + u rounded, then log(w) corrected by the
// part of u that the rounding lost, (u - (w - 1)) / w.
template <class V>
inline typename V::reg log1p_nonneg(typename V::reg u) {
  const typename V::reg one = V::set1(1.f);
  const typename V::reg w = V::add(one, u);
  return V::add(log<V>(w), V::div(V::sub(u, V::sub(w, one)), w));
}

// tanh: below |x| = 0.35 its odd Taylor series to x^13 (truncation under 1e-9 relative there, where
// 1 - 2 / (e^2x + 1) would cancel); above, sign(x) (1 - 2 / (exp(2|x|) + 1)), which saturates to
// +-1 for large |x| (exp -> inf gives 1). NaN stays NaN, -0 stays -0.
template <class V>
inline typename V::reg tanh(typename V::reg v) {
  using R = typename V::reg;
  const R one = V::set1(1.f), two = V::set1(2.f);
  const R sign_bit = V::set1(-0.f);
  const R sign = V::and_(v, sign_bit);
  const R a = V::andnot(sign_bit, v);
  const R e = exp<V>(V::mul(two, a));
  const R big = V::sub(one, V::div(two, V::add(e, one)));
  const R z = V::mul(a, a);
  R p = V::set1(21844.f / 6081075.f);
  p = V::fma(p, z, V::set1(-1382.f / 155925.f));
  p = V::fma(p, z, V::set1(62.f / 2835.f));
  p = V::fma(p, z, V::set1(-17.f / 315.f));
  p = V::fma(p, z, V::set1(2.f / 15.f));
  p = V::fma(p, z, V::set1(-1.f / 3.f));
  const R small = V::fma(V::mul(p, z), a, a);
  R r = V::select(V::lt(a, V::set1(0.35f)), small, big);
  r = V::select(V::is_nan(v), v, r);  // NaN keeps its payload
  return V::or_(r, sign);
}

// sigmoid = e / (1 + e) for x < 0 and 1 / (1 + e) otherwise, e = exp(-|x|) <= 1: no overflow, and
// the x << 0 side keeps its relative precision down to the denormals (1 / (1 + exp(-x)) gives 0
// there once exp(-x) overflows).
template <class V>
inline typename V::reg sigmoid(typename V::reg x) {
  using R = typename V::reg;
  const R one = V::set1(1.f);
  const R e = exp<V>(V::or_(x, V::set1(-0.f)));  // exp(-|x|)
  return V::div(V::select(V::lt(x, V::zero()), e, one), V::add(one, e));
}

// softplus = max(x, 0) + log1p(exp(-|x|)), the form that never overflows.
template <class V>
inline typename V::reg softplus(typename V::reg x) {
  const typename V::reg e = exp<V>(V::or_(x, V::set1(-0.f)));
  return V::add(V::max(V::zero(), x), log1p_nonneg<V>(e));  // max: x when NaN
}

// GELU, tanh form: 0.5 x (1 + tanh(u)) = x * sigmoid(2u) = x / (1 + exp(-2u)), u = sqrt(2/pi) (x +
// 0.044715 x^3). One exp and one division. The argument -2u = c1 x + c3 x^3 is formed in two
// floats (constants, x^3 and the sum each with their low parts): it reaches +-100, where one
// float's rounding would cost 50 ulp of the result. x is clamped to +-12 for the argument only
// (the sigmoid is 0 or 1 in float beyond): large positive x gives y = x, large negative -0 (-inf:
// NaN, as the tanh formula gives); NaN stays NaN.
template <class V>
inline typename V::reg gelu_tanh(typename V::reg x) {
  using R = typename V::reg;
  const R xc = V::min(V::set1(12.f), V::max(V::set1(-12.f), x));  // NaN kept
  const R c1 = V::set1(-1.5957691669464111f), c1_lo = V::set1(4.534068054340423e-08f);
  const R c3 = V::set1(-0.07135481387376785f), c3_lo = V::set1(-2.3988324659995897e-09f);
  const R x2 = V::mul(xc, xc);
  const R x2_lo = V::fms(xc, xc, x2);
  const R x3 = V::mul(x2, xc);
  const R x3_lo = V::fma(x2_lo, xc, V::fms(x2, xc, x3));
  const R p1 = V::keep(V::mul(c1, xc));
  const R p1_lo = V::fma(c1_lo, xc, V::fms(c1, xc, p1));
  const R p3 = V::keep(V::mul(c3, x3));
  const R p3_lo = V::fma(c3_lo, x3, V::fma(c3, x3_lo, V::fms(c3, x3, p3)));
  // Two-sum of p1 + p3 (either may be larger).
  const R sum = V::add(p1, p3);
  const R bb = V::sub(sum, p1);
  const R sum_lo = V::add(V::sub(p1, V::sub(sum, bb)), V::sub(p3, bb));
  const R lo = V::add(sum_lo, V::add(p1_lo, p3_lo));
  // y = x sigmoid(-sum) as vm::sigmoid forms it: e = exp(-|sum|) <= 1, so neither overflow nor the
  // denormal tail of x << 0 is lost.
  // x e is formed as (x p) 2^n, one rounding where it is denormal (clamped x: beyond +-12 it is 0).
  const auto neg = V::gt(sum, V::zero());
  const ExpParts<V> ep =
      exp_parts<V>(V::select(neg, V::sub(V::zero(), sum), sum), V::select(neg, V::sub(V::zero(), lo), lo));
  const R one = V::set1(1.f);
  const R e = V::ldexp(ep.p, ep.n);
  const R r = V::div(V::select(neg, V::ldexp(V::mul(xc, ep.p), ep.n), x), V::add(one, e));
  return V::select(V::lt(x, V::set1(-12.f)), V::mul(x, V::zero()), r);  // -0; -inf: NaN
}

// erfc(z) for z >= 0 by the classic Chebyshev fit t exp(-z^2 - 1.26551223 + t P(t)),
// t = 1 / (1 + z / 2) (relative error below 1.2e-7). z^2 arrives as two floats (hi + lo): exp's
// argument reaches -100, where one float's rounding (4e-6) would cost 60 ulp of the result.
template <class V>
inline ExpParts<V> erfc_fit(typename V::reg z, typename V::reg z2_hi, typename V::reg z2_lo) {
  using R = typename V::reg;
  const R t = V::div(V::set1(1.f), V::fma(z, V::set1(0.5f), V::set1(1.f)));
  R p = V::set1(0.17087277f);
  p = V::fma(p, t, V::set1(-0.82215223f));
  p = V::fma(p, t, V::set1(1.48851587f));
  p = V::fma(p, t, V::set1(-1.13520398f));
  p = V::fma(p, t, V::set1(0.27886807f));
  p = V::fma(p, t, V::set1(-0.18628806f));
  p = V::fma(p, t, V::set1(0.09678418f));
  p = V::fma(p, t, V::set1(0.37409196f));
  p = V::fma(p, t, V::set1(1.00002368f));
  p = V::fma(p, t, V::set1(-1.26551223f));
  ExpParts<V> e = exp_parts<V>(V::sub(V::zero(), z2_hi), V::sub(p, z2_lo));
  e.p = V::mul(t, e.p);
  return e;  // erfc = e.p 2^e.n: callers scale e.p first so a denormal result is rounded once
}

// erf(z) for |z| < 1: its Taylor series to z^23 (truncation under 1e-10 relative), 2/sqrt(pi)
// folded into the coefficients and its leading one in two floats, so the result is one rounding of
// c0 z plus a small correction.
template <class V>
inline typename V::reg erf_small(typename V::reg z, typename V::reg z2) {
  using R = typename V::reg;
  R q = V::set1(-1.2290555240213052e-09f);
  q = V::fma(q, z2, V::set1(1.4807192805221803e-08f));
  q = V::fma(q, z2, V::set1(-1.6365844146548625e-07f));
  q = V::fma(q, z2, V::set1(1.6462114444948384e-06f));
  q = V::fma(q, z2, V::set1(-1.4925650248187594e-05f));
  q = V::fma(q, z2, V::set1(0.00012055332626914605f));
  q = V::fma(q, z2, V::set1(-0.0008548327023163438f));
  q = V::fma(q, z2, V::set1(0.005223977845162153f));
  q = V::fma(q, z2, V::set1(-0.02686617150902748f));
  q = V::fma(q, z2, V::set1(0.11283791810274124f));
  q = V::fma(q, z2, V::set1(-0.37612637877464294f));
  const R tail = V::fma(q, z2, V::set1(-5.8635382771399236e-08f));  // c0_lo + z^2 Q(z^2)
  return V::fma(z, V::set1(1.128379225730896f), V::mul(z, tail));
}

// erf: the Taylor series below |x| = 1, 1 - erfc(|x|) above (erfc <= 0.16 there, so its
// relative error shrinks in the difference), the sign restored; |x| is clamped
// to 10 (erf = 1 in float from 3.92 on) in an order that keeps NaN.
template <class V>
inline typename V::reg erf(typename V::reg x) {
  using R = typename V::reg;
  const R sign_bit = V::set1(-0.f);
  const R sign = V::and_(x, sign_bit);
  const R z = V::min(V::set1(10.f), V::andnot(sign_bit, x));  // |x|, NaN kept
  const R z2 = V::mul(z, z);
  const R small = erf_small<V>(z, z2);
  const ExpParts<V> erfc = erfc_fit<V>(z, z2, V::fms(z, z, z2));
  const R large = V::sub(V::set1(1.f), V::ldexp(erfc.p, erfc.n));
  return V::or_(V::select(V::lt(z, V::set1(1.f)), small, large), sign);  // NaN: large is NaN too
}

// GELU, erf form: 0.5 x (1 + erf(x / sqrt 2)). x < 0: 0.5 x erfc(|x| / sqrt 2) (the fit holds for
// every z >= 0), which keeps the relative precision that 1 + erf would cancel away; x >= 0: the
// erf series below z = 1, x - 0.5 x erfc above. z^2 = x^2 / 2 comes from x^2 in two floats
// (rounding x / sqrt 2 first would cost 2 z^2 ulp). |x| > 15: y = x, or x * 0 (-0; NaN for -inf,
// as the formula gives).
template <class V>
inline typename V::reg gelu_erf(typename V::reg x) {
  using R = typename V::reg;
  const R half = V::set1(0.5f);
  const R sign_bit = V::set1(-0.f);
  const R ax = V::min(V::set1(15.f), V::andnot(sign_bit, x));  // NaN kept
  const R z = V::mul(ax, V::set1(0.70710678118654752f));
  const R x2 = V::mul(ax, ax);
  const R x2_lo = V::fms(ax, ax, x2);
  const ExpParts<V> ep = erfc_fit<V>(z, V::mul(half, x2), V::mul(half, x2_lo));
  const R erfc = V::ldexp(ep.p, ep.n);
  const R half_x = V::mul(half, x);
  const R small = V::mul(half_x, V::add(V::set1(1.f), erf_small<V>(z, V::mul(z, z))));
  const R positive = V::select(V::lt(z, V::set1(1.f)), small, V::fnma(half_x, erfc, x));
  // x < 0: (-0.5 |x| p) 2^n, one rounding where the result is denormal.
  const R negative = V::ldexp(V::mul(V::mul(V::set1(-0.5f), ax), ep.p), ep.n);
  R r = V::select(V::lt(x, V::zero()), negative, positive);
  r = V::select(V::gt(x, V::set1(15.f)), x, r);
  return V::select(V::lt(x, V::set1(-15.f)), V::mul(x, V::zero()), r);
}

// Swish / SiLU = x sigmoid(a x). Written as (x q) 2^n with sigmoid(a x) = q 2^n (q = p / (1 + e)
// for a x < 0, e = exp(a x) = p 2^n; q = 1 / (1 + e), n = 0 otherwise) so that a denormal result
// is rounded once, not sigmoid's own denormal rounding magnified by |x|; |x| > 1e38 (x q could
// overflow) multiplies after scaling instead.
template <class V>
inline typename V::reg swish(typename V::reg x, typename V::reg alpha) {
  using R = typename V::reg;
  const R one = V::set1(1.f);
  const R s = V::mul(alpha, x);
  const ExpParts<V> ep = exp_parts<V, false>(V::or_(s, V::set1(-0.f)), V::zero());  // exp(-|s|)
  const R e = V::ldexp(ep.p, ep.n);
  const auto neg = V::lt(s, V::zero());
  const R q = V::div(V::select(neg, ep.p, one), V::add(one, e));
  const R n = V::select(neg, ep.n, V::zero());
  const R big = V::mul(x, V::ldexp(q, n));
  const R r = V::select(V::gt(V::andnot(V::set1(-0.f), x), V::set1(1e38f)), big, V::ldexp(V::mul(x, q), n));
  // Below exp's clamp the sigmoid is < 1e-52: x times it is 0 in float (unless |a| < 1e-30 and |x|
  // is huge; the portable loop's sigmoid is 0 there too).
  return V::select(V::lt(s, V::set1(-120.f)), V::mul(x, V::zero()), r);
}

// Mish = x tanh(softplus(x)) = x n / (n + 2) with n = e (e + 2), e = exp(x): tanh(log(1 + e)) as a
// rational function of e. Above x = 20 the factor is 1 in float (and n would overflow).
template <class V>
inline typename V::reg mish(typename V::reg x) {
  using R = typename V::reg;
  const R e = exp<V>(V::min(V::set1(20.f), x));
  const R n = V::mul(e, V::add(e, V::set1(2.f)));
  const R r = V::mul(x, V::div(n, V::add(n, V::set1(2.f))));
  return V::select(V::gt(x, V::set1(20.f)), x, r);
}

}  // namespace vm
}  // namespace
}  // namespace onnxi::kernels
