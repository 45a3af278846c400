// Binary maps and comparisons over a BroadcastPlan: the innermost-run loops both elementwise_binary
// files use.
// Internal linkage (an unnamed namespace) like the ISA impl headers, so each file keeps its own
// copy compiled with its own flags.
#pragma once

#include "kernels/cpu/elementwise.h"

namespace onnxi::kernels {
namespace {

// The innermost run has operand strides 0 or 1; the four cases get their own loops so the common
// ones (same shape, one scalar operand) are plain contiguous loops the compiler can vectorize.
template <class A, class B, class O, class F>
void broadcast2(const BroadcastPlan& plan, const A* a, const B* b, O* out, F f) {
  const int64_t sa = plan.strides[0].back(), sb = plan.strides[1].back();
  for_each_run(plan, [&](const int64_t* off, int64_t n) {
    const A* pa = a + off[0];
    const B* pb = b + off[1];
    O* po = out + off[2];
    if (sa != 0 && sb != 0) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    } else if (sb != 0) {
      const A x = pa[0];
      for (int64_t i = 0; i < n; ++i) po[i] = f(x, pb[i]);
    } else if (sa != 0) {
      const B y = pb[0];
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], y);
    } else {
      const O v = f(pa[0], pb[0]);
      for (int64_t i = 0; i < n; ++i) po[i] = v;
    }
  });
}

template <class T>
void compare_impl(CompareOp op, const T* a, const T* b, bool* out, const BroadcastPlan& plan) {
  switch (op) {
    case CompareOp::Equal: return broadcast2(plan, a, b, out, [](const T& x, const T& y) { return x == y; });
    case CompareOp::Less: return broadcast2(plan, a, b, out, [](const T& x, const T& y) { return x < y; });
    case CompareOp::Greater: return broadcast2(plan, a, b, out, [](const T& x, const T& y) { return x > y; });
    case CompareOp::LessOrEqual:
      return broadcast2(plan, a, b, out, [](const T& x, const T& y) { return x <= y; });
    case CompareOp::GreaterOrEqual:
      return broadcast2(plan, a, b, out, [](const T& x, const T& y) { return x >= y; });
  }
}

}  // namespace
}  // namespace onnxi::kernels
