// Softmax and LogSoftmax over contiguous float rows, written once over a vector traits type V
// (vec_math__avx512.h's Vec16, vec_math__avx2.h's Vec8) and instantiated by softmax__avx512.cpp and
// softmax__avx2.cpp; include it after one of those headers. Internal linkage, as
// docs/ARCHITECTURE.md asks of code shared between ISA files. The exponent sum accumulates in
// double lanes, as the portable rows of softmax.cpp (the oracle) do; exp's error: vec_math.h.
#pragma once

#include <cstdint>

namespace onnxi::kernels {
namespace {

// The row maximum. max(v, acc) returns acc for a NaN v: NaN scores are skipped here, as the
// portable rows skip them; the exp pass then turns them into NaN and the whole row becomes NaN.
template <class V>
inline float row_max(const float* x, int64_t n) {
  const typename V::reg neg_inf = V::set1(-__builtin_inff());
  typename V::reg vmax = neg_inf;
  int64_t i = 0;
  for (; i + V::width <= n; i += V::width) vmax = V::max(V::load(x + i), vmax);
  if (i < n) vmax = V::max(V::load_tail_or(x + i, V::tail(n - i), neg_inf), vmax);
  return V::hmax(vmax);
}

// y = exp(x - shift) (stored when `store`), returning the sum in double.
template <class V>
inline double exp_shifted_sum(const float* x, float* y, int64_t n, float shift, bool store) {
  const typename V::reg vs = V::set1(shift);
  typename V::dacc sum = V::dacc_zero();
  int64_t i = 0;
  for (; i + V::width <= n; i += V::width) {
    const typename V::reg e = vm::exp<V>(V::sub(V::load(x + i), vs));
    if (store) V::store(y + i, e);
    V::dacc_add(sum, e);
  }
  if (i < n) {
    const auto m = V::tail(n - i);
    const typename V::reg e = V::zero_outside(m, vm::exp<V>(V::sub(V::load_tail(x + i, m), vs)));
    if (store) V::store_tail(y + i, m, e);
    V::dacc_add(sum, e);
  }
  return V::dacc_total(sum);
}

// y = x * scale + shift (y may be x).
template <class V>
inline void scale_shift_row(const float* x, float* y, int64_t n, float scale, float shift) {
  const typename V::reg vs = V::set1(scale), vb = V::set1(shift);
  int64_t i = 0;
  for (; i + V::width <= n; i += V::width) V::store(y + i, V::fma(V::load(x + i), vs, vb));
  if (i < n) {
    const auto m = V::tail(n - i);
    V::store_tail(y + i, m, V::fma(V::load_tail(x + i, m), vs, vb));
  }
}

// y = exp(x - max) / sum over one row (y may be x). `masked`: an all -inf row gives zeros (the
// attention rule) instead of the formula's NaN.
template <class V>
inline void softmax_row_vec(const float* x, float* y, int64_t n, bool masked) {
  if (n <= 0) return;
  float max_value = row_max<V>(x, n);
  if (masked && max_value == -__builtin_inff()) max_value = 0.f;
  const double sum = exp_shifted_sum<V>(x, y, n, max_value, true);
  scale_shift_row<V>(y, y, n, static_cast<float>(masked && sum == 0 ? 1.0 : 1.0 / sum), 0.f);
}

// y = x - max - log(sum(exp(x - max))), the shift rounded to float as the portable row does.
template <class V>
inline void log_softmax_row_vec(const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  const float max_value = row_max<V>(x, n);
  const double sum = exp_shifted_sum<V>(x, y, n, max_value, false);
  const float shift = max_value + static_cast<float>(__builtin_log(sum));
  scale_shift_row<V>(x, y, n, 1.f, -shift);
}

}  // namespace
}  // namespace onnxi::kernels
