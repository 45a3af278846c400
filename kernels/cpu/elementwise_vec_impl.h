// The vectorized float unary maps and Clip, written once over a vector traits type V
// (vec_math__avx512.h's Vec16, vec_math__avx2.h's Vec8) and instantiated by elementwise__avx512.cpp
// and elementwise__avx2.cpp; include it after one of those headers. Internal linkage (an unnamed
// namespace), as docs/ARCHITECTURE.md asks of code shared between ISA files. Each map matches the
// portable loop of elementwise.cpp (the oracle) in its special values; the approximations' errors
// are in vec_math.h.
#pragma once

#include <cstdint>

#include "kernels/cpu/elementwise.h"

namespace onnxi::kernels {
namespace {

// f over x[0, n) a vector at a time, the partial last vector through the tail mask (masked-off
// lanes read as 0 and are never written). y may be x.
template <class V, class F>
inline void map_vec(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + V::width <= n; i += V::width) V::store(y + i, f(V::load(x + i)));
  if (i < n) {
    const auto m = V::tail(n - i);
    V::store_tail(y + i, m, f(V::load_tail(x + i, m)));
  }
}

// The ops with a vector form; false (nothing written) for the others, which the caller runs with
// the portable loop.
template <class V>
bool unary_vec(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p) {
  using R = typename V::reg;
  const R zero = V::zero(), one = V::set1(1.f), sign_bit = V::set1(-0.f);
  const R alpha = V::set1(static_cast<float>(p.alpha)), beta = V::set1(static_cast<float>(p.beta));
  switch (op) {
    case UnaryOp::Exp: map_vec<V>(x, y, n, [](R v) { return vm::exp<V>(v); }); return true;
    case UnaryOp::Log: map_vec<V>(x, y, n, [](R v) { return vm::log<V>(v); }); return true;
    case UnaryOp::Erf: map_vec<V>(x, y, n, [](R v) { return vm::erf<V>(v); }); return true;
    case UnaryOp::Gelu: map_vec<V>(x, y, n, [](R v) { return vm::gelu_erf<V>(v); }); return true;
    case UnaryOp::GeluTanh: map_vec<V>(x, y, n, [](R v) { return vm::gelu_tanh<V>(v); }); return true;
    case UnaryOp::Sigmoid: map_vec<V>(x, y, n, [](R v) { return vm::sigmoid<V>(v); }); return true;
    case UnaryOp::Tanh: map_vec<V>(x, y, n, [](R v) { return vm::tanh<V>(v); }); return true;
    case UnaryOp::Softplus: map_vec<V>(x, y, n, [](R v) { return vm::softplus<V>(v); }); return true;
    case UnaryOp::Mish: map_vec<V>(x, y, n, [](R v) { return vm::mish<V>(v); }); return true;
    case UnaryOp::Swish: map_vec<V>(x, y, n, [&](R v) { return vm::swish<V>(v, alpha); }); return true;
    // v < 0 ? 0 : v: max returns its second operand for NaN, and -0 stays -0 (equal operands).
    case UnaryOp::Relu: map_vec<V>(x, y, n, [&](R v) { return V::max(zero, v); }); return true;
    case UnaryOp::LeakyRelu:
      map_vec<V>(x, y, n, [&](R v) { return V::select(V::lt(v, zero), V::mul(alpha, v), v); });
      return true;
    case UnaryOp::ThresholdedRelu:
      map_vec<V>(x, y, n, [&](R v) { return V::select(V::gt(v, alpha), v, zero); });
      return true;
    // max(0, min(1, alpha v + beta)) with NaN kept (min/max return their second operand for NaN).
    // One FMA (GCC would contract a multiply and add anyway): within 0.5 ulp of the exact value,
    // the portable loop's two roundings within 1.
    case UnaryOp::HardSigmoid:
      map_vec<V>(x, y, n, [&](R v) { return V::min(one, V::max(zero, V::fma(alpha, v, beta))); });
      return true;
    case UnaryOp::HardSwish: {
      const R six = V::set1(6.f), half = V::set1(0.5f);
      map_vec<V>(x, y, n, [&](R v) { return V::mul(v, V::min(one, V::max(zero, V::add(V::div(v, six), half)))); });
      return true;
    }
    case UnaryOp::Softsign:
      map_vec<V>(x, y, n, [&](R v) { return V::div(v, V::add(one, V::andnot(sign_bit, v))); });
      return true;
    case UnaryOp::Sqrt: map_vec<V>(x, y, n, [](R v) { return V::sqrt(v); }); return true;
    case UnaryOp::Reciprocal: map_vec<V>(x, y, n, [&](R v) { return V::div(one, v); }); return true;
    case UnaryOp::Abs: map_vec<V>(x, y, n, [&](R v) { return V::andnot(sign_bit, v); }); return true;
    case UnaryOp::Neg: map_vec<V>(x, y, n, [&](R v) { return V::xor_(sign_bit, v); }); return true;
    default: return false;
  }
}

// x < lo ? lo : x, then v > hi ? hi : v (max(lo, x) and min(hi, v) exactly, NaN kept); lo > hi
// gives hi everywhere, as the portable clip does.
template <class V>
void clip_vec(const float* x, float lo, float hi, float* y, int64_t n) {
  const typename V::reg vlo = V::set1(lo), vhi = V::set1(hi);
  map_vec<V>(x, y, n, [&](typename V::reg v) { return V::min(vhi, V::max(vlo, v)); });
}

}  // namespace
}  // namespace onnxi::kernels
