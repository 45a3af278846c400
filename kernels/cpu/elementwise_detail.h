// Small numeric helpers shared by the elementwise kernel files; not part of the kernel API.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

namespace onnxi::kernels::detail {

// Unsigned type at least as wide as unsigned int: integer arithmetic done in it wraps instead of
// overflowing (int8/int16 would otherwise promote to signed int).
template <class T>
using WrapUnsigned = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

// x < 0 without -Wtype-limits noise for unsigned T.
template <class T>
constexpr bool is_negative(T x) {
  if constexpr (std::is_signed_v<T>) {
    return x < T(0);
  } else {
    return false;
  }
}

// double -> integer T: truncation toward zero, saturating at T's range, NaN to 0.
template <class T>
T saturate_cast(double v) {
  if (std::isnan(v)) return T(0);
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

}  // namespace onnxi::kernels::detail
