// Binary maps and comparisons over a BroadcastPlan for the integer types, bool and strings.
// Compiled for size (CMakeLists.txt: ONNXI_SIZE_OPTIMIZED_KERNELS): integer elementwise work is
// index arithmetic and masks in the models onnxi targets, not where their time goes, and these
// eleven types x fifteen ops are most of the elementwise code.
#include <cmath>
#include <string>
#include <type_traits>

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/elementwise_broadcast_impl.h"
#include "kernels/cpu/elementwise_detail.h"
#include "onnxi/error.h"

namespace onnxi::kernels {

namespace {

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

}  // namespace onnxi::kernels
