// Wrapping<T>: the type integer sums and products accumulate in, T's unsigned twin, where
// wrap-around is defined (and exact for int64); floating types accumulate in themselves.
#pragma once

#include <type_traits>

namespace onnxi::kernels {

template <class T, bool = std::is_integral_v<T>>
struct WrappingOf {
  using type = T;
};
template <class T>
struct WrappingOf<T, true> {
  using type = std::make_unsigned_t<T>;
};
template <class T>
using Wrapping = typename WrappingOf<T>::type;

}  // namespace onnxi::kernels
