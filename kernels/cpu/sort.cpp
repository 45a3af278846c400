#include "kernels/cpu/sort.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <type_traits>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "onnxi/float_types.h"

namespace onnxi::kernels {
namespace {

template <class T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(x);
  } else {
    return false;
  }
}

// Key is the type compared (float for half types), Out the type written (the half bits).
template <class Key, class Out, bool Largest>
void top_k_as(const Key* keys, const Out* in, int64_t outer, int64_t n, int64_t inner, int64_t k, Out* values,
              int64_t* indices) {
  const int64_t slices = outer * inner;
  const int64_t grain = std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, n));
  parallel_for(0, slices, grain, [&](int64_t begin, int64_t end) {
    std::vector<Key> slice(static_cast<size_t>(inner == 1 ? 0 : n));
    std::vector<int64_t> order;
    order.reserve(static_cast<size_t>(n));
    const Key* vals = nullptr;  // the current slice, contiguous
    // A strict total order: by value (NaN highest), then by index, so selection is deterministic.
    auto first = [&vals](int64_t a, int64_t b) {
      const Key x = vals[a], y = vals[b];
      const bool xn = is_nan(x), yn = is_nan(y);
      if (xn || yn) {
        if (xn != yn) return Largest ? xn : yn;
        return a < b;
      }
      if (x != y) return Largest ? x > y : x < y;
      return a < b;
    };
    // Cheap pre-check against the worst kept value: a later index needs a strictly better value.
    auto may_beat = [](Key x, Key worst) {
      if constexpr (Largest) {
        return x > worst || (is_nan(x) && !is_nan(worst));
      } else {
        return x < worst || (is_nan(worst) && !is_nan(x));
      }
    };
    for (int64_t s = begin; s < end; ++s) {
      const int64_t o = s / inner, j = s % inner;
      const Key* src = keys + o * n * inner + j;
      if (inner == 1) {
        vals = src;
      } else {
        for (int64_t r = 0; r < n; ++r) slice[static_cast<size_t>(r)] = src[r * inner];
        vals = slice.data();
      }
      if (k * 8 <= n) {
        // Few picks from many: a k-heap whose front is the worst kept element; most elements
        // lose one compare against it. Later indices never displace equal values.
        order.clear();
        for (int64_t r = 0; r < n; ++r) {
          if (static_cast<int64_t>(order.size()) < k) {
            order.push_back(r);
            std::push_heap(order.begin(), order.end(), first);
          } else if (may_beat(vals[r], vals[order.front()]) && first(r, order.front())) {
            std::pop_heap(order.begin(), order.end(), first);
            order.back() = r;
            std::push_heap(order.begin(), order.end(), first);
          }
        }
        std::sort_heap(order.begin(), order.end(), first);
      } else {
        order.resize(static_cast<size_t>(n));
        std::iota(order.begin(), order.end(), int64_t(0));
        if (k < n) std::nth_element(order.begin(), order.begin() + k, order.end(), first);
        std::sort(order.begin(), order.begin() + k, first);
      }
      const Out* row = in + o * n * inner + j;
      Out* v = values + o * k * inner + j;
      int64_t* idx = indices + o * k * inner + j;
      for (int64_t r = 0; r < k; ++r) {
        const int64_t from = order[static_cast<size_t>(r)];
        v[r * inner] = row[from * inner];
        idx[r * inner] = from;
      }
    }
  });
}

template <class Key, class Out>
void top_k_dispatch(const Key* keys, const Out* in, int64_t outer, int64_t n, int64_t inner, int64_t k,
                    bool largest, Out* values, int64_t* indices) {
  if (outer == 0 || inner == 0 || k == 0) return;
  if (largest) return top_k_as<Key, Out, true>(keys, in, outer, n, inner, k, values, indices);
  top_k_as<Key, Out, false>(keys, in, outer, n, inner, k, values, indices);
}

template <float (*Widen)(uint16_t) noexcept>
void top_k_half(const uint16_t* in, int64_t outer, int64_t n, int64_t inner, int64_t k, bool largest,
                uint16_t* values, int64_t* indices) {
  std::vector<float> keys(static_cast<size_t>(outer * n * inner));
  for (size_t i = 0; i < keys.size(); ++i) keys[i] = Widen(in[i]);
  top_k_dispatch<float, uint16_t>(keys.data(), in, outer, n, inner, k, largest, values, indices);
}

}  // namespace

template <class T>
void top_k(const T* in, int64_t outer, int64_t n, int64_t inner, int64_t k, bool largest, T* values,
           int64_t* indices) {
  top_k_dispatch<T, T>(in, in, outer, n, inner, k, largest, values, indices);
}

#define ONNXI_TOP_K(T) template void top_k<T>(const T*, int64_t, int64_t, int64_t, int64_t, bool, T*, int64_t*);
ONNXI_TOP_K(float)
ONNXI_TOP_K(double)
ONNXI_TOP_K(int8_t)
ONNXI_TOP_K(uint8_t)
ONNXI_TOP_K(int16_t)
ONNXI_TOP_K(uint16_t)
ONNXI_TOP_K(int32_t)
ONNXI_TOP_K(uint32_t)
ONNXI_TOP_K(int64_t)
ONNXI_TOP_K(uint64_t)
#undef ONNXI_TOP_K

void top_k_f16(const uint16_t* in, int64_t outer, int64_t n, int64_t inner, int64_t k, bool largest,
               uint16_t* values, int64_t* indices) {
  top_k_half<f16_to_f32>(in, outer, n, inner, k, largest, values, indices);
}

void top_k_bf16(const uint16_t* in, int64_t outer, int64_t n, int64_t inner, int64_t k, bool largest,
                uint16_t* values, int64_t* indices) {
  top_k_half<bf16_to_f32>(in, outer, n, inner, k, largest, values, indices);
}

}  // namespace onnxi::kernels
