// Binary maps, comparisons and select over a BroadcastPlan.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/elementwise_detail.h"
#include "onnxi/error.h"

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

// Exact integer power with wrapping; a negative exponent gives the truncated real result.
template <class T>
T integer_pow(T base, T exponent) {
  using U = detail::WrapUnsigned<T>;
  if constexpr (std::is_signed_v<T>) {
    if (exponent < 0) {
      if (base == 1) return T(1);
      if (base == -1) return (exponent & 1) ? T(-1) : T(1);
      return T(0);
    }
  }
  U result = 1, b = static_cast<U>(base);
  auto e = static_cast<std::make_unsigned_t<T>>(exponent);
  while (e != 0) {
    if (e & 1) result *= b;
    b *= b;
    e >>= 1;
  }
  return static_cast<T>(result);
}

template <class T>
void binary_integer(BinaryOp op, const T* a, const T* b, T* out, const BroadcastPlan& plan) {
  using U = detail::WrapUnsigned<T>;
  constexpr bool kSigned = std::is_signed_v<T>;
  constexpr T kBits = static_cast<T>(sizeof(T) * 8);
  // A zero divisor and (signed) MIN / -1 would trap; ONNX leaves both undefined, we give 0 / wrap.
  switch (op) {
    case BinaryOp::Add: return broadcast2(plan, a, b, out, [](T x, T y) { return T(U(x) + U(y)); });
    case BinaryOp::Sub: return broadcast2(plan, a, b, out, [](T x, T y) { return T(U(x) - U(y)); });
    case BinaryOp::Mul: return broadcast2(plan, a, b, out, [](T x, T y) { return T(U(x) * U(y)); });
    case BinaryOp::Div:
      return broadcast2(plan, a, b, out, [](T x, T y) {
        if (y == 0) return T(0);
        if (kSigned && y == T(-1)) return T(U(0) - U(x));
        return T(x / y);
      });
    case BinaryOp::Mod:
      return broadcast2(plan, a, b, out, [](T x, T y) {
        if (y == 0 || (kSigned && y == T(-1))) return T(0);
        T r = T(x % y);
        if (r != 0 && detail::is_negative(r) != detail::is_negative(y)) r = T(r + y);
        return r;
      });
    case BinaryOp::FMod:
      return broadcast2(plan, a, b, out, [](T x, T y) {
        if (y == 0 || (kSigned && y == T(-1))) return T(0);
        return T(x % y);
      });
    case BinaryOp::Pow: return broadcast2(plan, a, b, out, [](T x, T y) { return integer_pow(x, y); });
    case BinaryOp::Min: return broadcast2(plan, a, b, out, [](T x, T y) { return std::min(x, y); });
    case BinaryOp::Max: return broadcast2(plan, a, b, out, [](T x, T y) { return std::max(x, y); });
    case BinaryOp::PRelu:
      return broadcast2(plan, a, b, out, [](T x, T s) { return x > 0 ? x : T(U(x) * U(s)); });
    case BinaryOp::BitAnd: return broadcast2(plan, a, b, out, [](T x, T y) { return T(x & y); });
    case BinaryOp::BitOr: return broadcast2(plan, a, b, out, [](T x, T y) { return T(x | y); });
    case BinaryOp::BitXor: return broadcast2(plan, a, b, out, [](T x, T y) { return T(x ^ y); });
    case BinaryOp::ShiftLeft:
      // Shifted in unsigned so bits move past the sign bit without undefined behaviour.
      return broadcast2(plan, a, b, out, [](T x, T y) {
        if (detail::is_negative(y) || y >= kBits) return T(0);
        return T(U(x) << y);
      });
    case BinaryOp::ShiftRight:
      // C++20 defines >> of a negative value as arithmetic (sign-extending).
      return broadcast2(plan, a, b, out, [](T x, T y) {
        if (detail::is_negative(y) || y >= kBits) return T(detail::is_negative(x) ? -1 : 0);
        return T(x >> y);
      });
    default:
      break;
  }
  fail(ErrorCode::NotImplemented, cat("binary kernel ", binary_op_name(op), " does not support integer types"));
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
void binary(BinaryOp op, const int8_t* a, const int8_t* b, int8_t* out, const BroadcastPlan& plan) {
  binary_integer(op, a, b, out, plan);
}
void binary(BinaryOp op, const int16_t* a, const int16_t* b, int16_t* out, const BroadcastPlan& plan) {
  binary_integer(op, a, b, out, plan);
}
void binary(BinaryOp op, const int32_t* a, const int32_t* b, int32_t* out, const BroadcastPlan& plan) {
  binary_integer(op, a, b, out, plan);
}
void binary(BinaryOp op, const int64_t* a, const int64_t* b, int64_t* out, const BroadcastPlan& plan) {
  binary_integer(op, a, b, out, plan);
}
void binary(BinaryOp op, const uint8_t* a, const uint8_t* b, uint8_t* out, const BroadcastPlan& plan) {
  binary_integer(op, a, b, out, plan);
}
void binary(BinaryOp op, const uint16_t* a, const uint16_t* b, uint16_t* out, const BroadcastPlan& plan) {
  binary_integer(op, a, b, out, plan);
}
void binary(BinaryOp op, const uint32_t* a, const uint32_t* b, uint32_t* out, const BroadcastPlan& plan) {
  binary_integer(op, a, b, out, plan);
}
void binary(BinaryOp op, const uint64_t* a, const uint64_t* b, uint64_t* out, const BroadcastPlan& plan) {
  binary_integer(op, a, b, out, plan);
}

void binary(BinaryOp op, const bool* a, const bool* b, bool* out, const BroadcastPlan& plan) {
  switch (op) {
    case BinaryOp::And: return broadcast2(plan, a, b, out, [](bool x, bool y) { return x && y; });
    case BinaryOp::Or: return broadcast2(plan, a, b, out, [](bool x, bool y) { return x || y; });
    case BinaryOp::Xor: return broadcast2(plan, a, b, out, [](bool x, bool y) { return x != y; });
    default:
      break;
  }
  fail(ErrorCode::NotImplemented, cat("binary kernel ", binary_op_name(op), " does not support bool"));
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

namespace {

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

void compare(CompareOp op, const float* a, const float* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}
void compare(CompareOp op, const double* a, const double* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}
void compare(CompareOp op, const int8_t* a, const int8_t* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}
void compare(CompareOp op, const int16_t* a, const int16_t* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}
void compare(CompareOp op, const int32_t* a, const int32_t* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}
void compare(CompareOp op, const int64_t* a, const int64_t* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}
void compare(CompareOp op, const uint8_t* a, const uint8_t* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}
void compare(CompareOp op, const uint16_t* a, const uint16_t* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}
void compare(CompareOp op, const uint32_t* a, const uint32_t* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}
void compare(CompareOp op, const uint64_t* a, const uint64_t* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}
void compare(CompareOp op, const bool* a, const bool* b, bool* out, const BroadcastPlan& plan) {
  compare_impl(op, a, b, out, plan);
}
void compare(CompareOp op, const std::string* a, const std::string* b, bool* out, const BroadcastPlan& plan) {
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
