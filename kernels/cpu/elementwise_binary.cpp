// Binary maps, comparisons and select over a BroadcastPlan: float and double, Pow with a double
// exponent, select, and the op names. The integer and bool maps and comparisons are in
// elementwise_binary_int.cpp, which is compiled for size (they are not where models spend time).
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/elementwise_broadcast_impl.h"
#include "kernels/cpu/elementwise_detail.h"
#include "onnxi/error.h"

namespace onnxi::kernels {

namespace {

// Python's float %: the result takes the divisor's sign; a zero result is a zero of that sign.
template <class T>
T python_fmod(T a, T b) {
  T r = std::fmod(a, b);
  if (r != T(0)) {
    if ((r < T(0)) != (b < T(0))) r += b;
  } else {
    r = std::copysign(T(0), b);
  }
  return r;
}

template <class T>
T nan_min(T a, T b) {
  return (a < b || a != a) ? a : b;
}
template <class T>
T nan_max(T a, T b) {
  return (a > b || a != a) ? a : b;
}

template <class T>
void binary_float(BinaryOp op, const T* a, const T* b, T* out, const BroadcastPlan& plan) {
  switch (op) {
    case BinaryOp::Add: return broadcast2(plan, a, b, out, [](T x, T y) { return x + y; });
    case BinaryOp::Sub: return broadcast2(plan, a, b, out, [](T x, T y) { return x - y; });
    case BinaryOp::Mul: return broadcast2(plan, a, b, out, [](T x, T y) { return x * y; });
    case BinaryOp::Div: return broadcast2(plan, a, b, out, [](T x, T y) { return x / y; });
    case BinaryOp::Pow: return broadcast2(plan, a, b, out, [](T x, T y) { return std::pow(x, y); });
    case BinaryOp::Mod: return broadcast2(plan, a, b, out, [](T x, T y) { return python_fmod(x, y); });
    case BinaryOp::FMod: return broadcast2(plan, a, b, out, [](T x, T y) { return std::fmod(x, y); });
    case BinaryOp::Min: return broadcast2(plan, a, b, out, [](T x, T y) { return nan_min(x, y); });
    case BinaryOp::Max: return broadcast2(plan, a, b, out, [](T x, T y) { return nan_max(x, y); });
    case BinaryOp::PRelu: return broadcast2(plan, a, b, out, [](T x, T s) { return x > T(0) ? x : x * s; });
    default:
      break;
  }
  fail(ErrorCode::NotImplemented, cat("binary kernel ", binary_op_name(op), " does not support floating types"));
}

}  // namespace

const char* binary_op_name(BinaryOp op) noexcept {
  switch (op) {
    case BinaryOp::Add: return "Add";
    case BinaryOp::Sub: return "Sub";
    case BinaryOp::Mul: return "Mul";
    case BinaryOp::Div: return "Div";
    case BinaryOp::Pow: return "Pow";
    case BinaryOp::Mod: return "Mod";
    case BinaryOp::FMod: return "Mod(fmod)";
    case BinaryOp::Min: return "Min";
    case BinaryOp::Max: return "Max";
    case BinaryOp::PRelu: return "PRelu";
    case BinaryOp::BitAnd: return "BitwiseAnd";
    case BinaryOp::BitOr: return "BitwiseOr";
    case BinaryOp::BitXor: return "BitwiseXor";
    case BinaryOp::ShiftLeft: return "BitShift(LEFT)";
    case BinaryOp::ShiftRight: return "BitShift(RIGHT)";
    case BinaryOp::And: return "And";
    case BinaryOp::Or: return "Or";
    case BinaryOp::Xor: return "Xor";
  }
  return "?";
}

bool binary_supports_float(BinaryOp op) noexcept { return op <= BinaryOp::PRelu; }
bool binary_supports_integer(BinaryOp op) noexcept { return op <= BinaryOp::ShiftRight; }

void binary(BinaryOp op, const float* a, const float* b, float* out, const BroadcastPlan& plan) {
  binary_float(op, a, b, out, plan);
}
void binary(BinaryOp op, const double* a, const double* b, double* out, const BroadcastPlan& plan) {
  binary_float(op, a, b, out, plan);
}

namespace {

template <class T>
void pow_mixed(const T* base, const double* exponent, T* out, const BroadcastPlan& plan) {
  broadcast2(plan, base, exponent, out, [](T x, double e) {
    double r = std::pow(static_cast<double>(x), e);
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(r);
    } else {
      return detail::saturate_cast<T>(r);
    }
  });
}

}  // namespace

void pow_f64_exponent(const float* base, const double* exponent, float* out, const BroadcastPlan& plan) {
  pow_mixed(base, exponent, out, plan);
}
void pow_f64_exponent(const double* base, const double* exponent, double* out, const BroadcastPlan& plan) {
  pow_mixed(base, exponent, out, plan);
}
void pow_f64_exponent(const int32_t* base, const double* exponent, int32_t* out, const BroadcastPlan& plan) {
  pow_mixed(base, exponent, out, plan);
}
void pow_f64_exponent(const int64_t* base, const double* exponent, int64_t* out, const BroadcastPlan& plan) {
  pow_mixed(base, exponent, out, plan);
}

void compare(CompareOp op, const float* a, const float* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}
void compare(CompareOp op, const double* a, const double* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}

namespace {

template <class T>
void select_impl(const bool* cond, const T* x, const T* y, T* out, const BroadcastPlan& plan) {
  const int64_t sc = plan.strides[0].back(), sx = plan.strides[1].back(), sy = plan.strides[2].back();
  for_each_run(plan, [&](const int64_t* off, int64_t n) {
    const bool* pc = cond + off[0];
    const T* px = x + off[1];
    const T* py = y + off[2];
    T* po = out + off[3];
    for (int64_t i = 0; i < n; ++i) po[i] = pc[i * sc] ? px[i * sx] : py[i * sy];
  });
}

}  // namespace

void select(const bool* cond, const uint8_t* x, const uint8_t* y, uint8_t* out, const BroadcastPlan& plan) {
  select_impl(cond, x, y, out, plan);
}
void select(const bool* cond, const uint16_t* x, const uint16_t* y, uint16_t* out, const BroadcastPlan& plan) {
  select_impl(cond, x, y, out, plan);
}
void select(const bool* cond, const uint32_t* x, const uint32_t* y, uint32_t* out, const BroadcastPlan& plan) {
  select_impl(cond, x, y, out, plan);
}
void select(const bool* cond, const uint64_t* x, const uint64_t* y, uint64_t* out, const BroadcastPlan& plan) {
  select_impl(cond, x, y, out, plan);
}
void select(const bool* cond, const Word128* x, const Word128* y, Word128* out, const BroadcastPlan& plan) {
  select_impl(cond, x, y, out, plan);
}
void select(const bool* cond, const std::string* x, const std::string* y, std::string* out,
            const BroadcastPlan& plan) {
  select_impl(cond, x, y, out, plan);
}

}  // namespace onnxi::kernels
