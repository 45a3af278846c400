// The reduction loops of kernels/cpu/reduce.cpp, shared with reduce_int.cpp: float and double are
// built at -O3 there, the integer types in reduce_int.cpp, which the build compiles for size (no
// target model spends time reducing integers, and their copies were most of this code). Everything
// here has internal linkage, so each file gets its own copy of what it uses.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/wrapping.h"

namespace onnxi::kernels {
namespace {

// Input offsets of every position of an odometer over dims/strides (one position when empty).
std::vector<int64_t> odometer_offsets(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides) {
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  std::vector<int64_t> offsets(static_cast<size_t>(count));
  std::vector<int64_t> pos(dims.size(), 0);
  int64_t off = 0;
  for (int64_t i = 0; i < count; ++i) {
    offsets[static_cast<size_t>(i)] = off;
    for (size_t a = dims.size(); a-- > 0;) {
      off += strides[a];
      if (++pos[a] < dims[a]) break;
      off -= strides[a] * dims[a];
      pos[a] = 0;
    }
  }
  return offsets;
}

template <class T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return x != x;  // not std::isnan: a plain compare lets the min/max loops vectorize
  } else {
    return false;
  }
}

// One reduction as init / step (fold one element) / merge (two partial folds) / finish.
// `index` is the output element a step or finish belongs to (LogSumExp's shift needs it).
template <class T, ReduceOp Op>
struct Fold {
  static constexpr bool kIntegral = std::is_integral_v<T>;
  using Acc = std::conditional_t<Op == ReduceOp::Max || Op == ReduceOp::Min, T,
                                 std::conditional_t<Op == ReduceOp::LogSumExp && kIntegral, double, Wrapping<T>>>;
  const T* shift = nullptr;  // LogSumExp: per-output max

  Acc init() const {
    if constexpr (Op == ReduceOp::Max) {
      return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                  : std::numeric_limits<T>::lowest();
    } else if constexpr (Op == ReduceOp::Min) {
      return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                  : std::numeric_limits<T>::max();
    } else if constexpr (Op == ReduceOp::Prod) {
      return Acc(1);
    } else {
      return Acc(0);
    }
  }

  Acc step(Acc a, T x, int64_t index) const {
    // `|` rather than `||`: both compares always run, so the select stays branch-free.
    if constexpr (Op == ReduceOp::Max) {
      return ((x > a) | is_nan(x)) ? x : a;
    } else if constexpr (Op == ReduceOp::Min) {
      return ((x < a) | is_nan(x)) ? x : a;
    } else if constexpr (Op == ReduceOp::Prod) {
      return static_cast<Acc>(a * static_cast<Acc>(x));
    } else if constexpr (Op == ReduceOp::L1) {
      if constexpr (std::is_signed_v<T> && kIntegral) {
        Acc u = static_cast<Acc>(x);
        return static_cast<Acc>(a + (x < 0 ? static_cast<Acc>(Acc(0) - u) : u));
      } else if constexpr (kIntegral) {
        return static_cast<Acc>(a + x);
      } else {
        return a + std::fabs(x);
      }
    } else if constexpr (Op == ReduceOp::L2 || Op == ReduceOp::SumSquare) {
      Acc u = static_cast<Acc>(x);
      return static_cast<Acc>(a + static_cast<Acc>(u * u));
    } else if constexpr (Op == ReduceOp::LogSumExp) {
      return a + std::exp(static_cast<Acc>(x) - lse_shift(index));
    } else {  // Sum, Mean, LogSum
      return static_cast<Acc>(a + static_cast<Acc>(x));
    }
  }

  Acc merge(Acc a, Acc b) const {
    if constexpr (Op == ReduceOp::Max || Op == ReduceOp::Min) {
      return step(a, b, 0);
    } else if constexpr (Op == ReduceOp::Prod) {
      return static_cast<Acc>(a * b);
    } else {
      return static_cast<Acc>(a + b);
    }
  }

  T finish(Acc a, int64_t count, int64_t index) const {
    if constexpr (Op == ReduceOp::Mean) {
      if constexpr (kIntegral) {
        if (count == 0) return T(0);
        // The sum wraps in T (numpy sums in the input type too); the division truncates toward
        // zero, as numpy's mean cast back to the integer type. count may not fit T.
        if constexpr (std::is_signed_v<T>) {
          return static_cast<T>(static_cast<int64_t>(static_cast<T>(a)) / count);
        } else {
          return static_cast<T>(static_cast<uint64_t>(a) / static_cast<uint64_t>(count));
        }
      } else {
        return static_cast<T>(a / static_cast<T>(count));
      }
    } else if constexpr (Op == ReduceOp::L2) {
      if constexpr (kIntegral) {
        return static_cast<T>(std::sqrt(static_cast<double>(static_cast<T>(a))));
      } else {
        return std::sqrt(a);
      }
    } else if constexpr (Op == ReduceOp::LogSum) {
      if constexpr (kIntegral) {
        return static_cast<T>(std::log(static_cast<double>(static_cast<T>(a))));
      } else {
        return std::log(a);
      }
    } else if constexpr (Op == ReduceOp::LogSumExp) {
      return static_cast<T>(std::log(a) + lse_shift(index));
    } else {
      return static_cast<T>(a);
    }
  }

  // exp(x - max) cannot overflow; an infinite or NaN max is left out of the shift so that
  // +inf inputs give +inf and all -inf inputs give -inf instead of NaN.
  Acc lse_shift(int64_t index) const {
    Acc m = static_cast<Acc>(shift[index]);
    return std::isfinite(static_cast<double>(m)) ? m : Acc(0);
  }
};

constexpr int64_t kGrainElements = 1 << 15;

template <class T, class F>
void run_plan(const ReducePlan& p, const T* in, T* out, const F& fold) {
  using Acc = typename F::Acc;
  if (p.output_count == 0) return;
  if (p.reduced_count == 0) {
    T empty = fold.finish(fold.init(), 0, 0);
    std::fill(out, out + p.output_count, empty);
    return;
  }
  const std::vector<int64_t> reduced_offsets = odometer_offsets(p.reduced_dims, p.reduced_strides);
  const int64_t rows = p.output_count / p.inner;
  const int64_t grain = std::max<int64_t>(1, kGrainElements / std::max<int64_t>(1, p.reduced_count * p.inner));

  parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    std::vector<Acc> acc(static_cast<size_t>(p.inner > 1 ? p.inner : 0));
    std::vector<int64_t> pos(p.kept_dims.size(), 0);
    for (int64_t k = begin; k < end; ++k) {
      int64_t base = 0;
      for (size_t a = p.kept_dims.size(), rest = static_cast<size_t>(k); a-- > 0;) {
        base += static_cast<int64_t>(rest % static_cast<size_t>(p.kept_dims[a])) * p.kept_strides[a];
        rest /= static_cast<size_t>(p.kept_dims[a]);
      }
      T* o = out + k * p.inner;
      if (p.inner > 1) {
        const int64_t first = k * p.inner;
        std::fill(acc.begin(), acc.end(), fold.init());
        for (int64_t r : reduced_offsets) {
          const T* row = in + base + r;
          for (int64_t j = 0; j < p.inner; ++j) acc[j] = fold.step(acc[j], row[j], first + j);
        }
        for (int64_t j = 0; j < p.inner; ++j) o[j] = fold.finish(acc[j], p.reduced_count, first + j);
      } else {
        // Four independent partial folds: the compiler can pipeline them, and float sums lose
        // less to rounding than one long serial chain.
        Acc l0 = fold.init(), l1 = l0, l2 = l0, l3 = l0;
        for (int64_t r : reduced_offsets) {
          const T* seg = in + base + r;
          int64_t i = 0;
          for (; i + 4 <= p.run; i += 4) {
            l0 = fold.step(l0, seg[i], k);
            l1 = fold.step(l1, seg[i + 1], k);
            l2 = fold.step(l2, seg[i + 2], k);
            l3 = fold.step(l3, seg[i + 3], k);
          }
          for (; i < p.run; ++i) l0 = fold.step(l0, seg[i], k);
        }
        *o = fold.finish(fold.merge(fold.merge(l0, l1), fold.merge(l2, l3)), p.reduced_count, k);
      }
    }
  });
}

template <class T, ReduceOp Op>
void reduce_as(const ReducePlan& plan, const T* in, T* out) {
  run_plan(plan, in, out, Fold<T, Op>{});
}

template <class T>
void reduce_log_sum_exp(const ReducePlan& plan, const T* in, T* out) {
  std::vector<T> maxima(static_cast<size_t>(plan.output_count));
  run_plan(plan, in, maxima.data(), Fold<T, ReduceOp::Max>{});
  Fold<T, ReduceOp::LogSumExp> fold;
  fold.shift = maxima.data();
  run_plan(plan, in, out, fold);
}

template <class T>
void reduce_typed(ReduceOp op, const ReducePlan& plan, const T* in, T* out) {
  switch (op) {
    case ReduceOp::Sum: return reduce_as<T, ReduceOp::Sum>(plan, in, out);
    case ReduceOp::Mean: return reduce_as<T, ReduceOp::Mean>(plan, in, out);
    case ReduceOp::Max: return reduce_as<T, ReduceOp::Max>(plan, in, out);
    case ReduceOp::Min: return reduce_as<T, ReduceOp::Min>(plan, in, out);
    case ReduceOp::Prod: return reduce_as<T, ReduceOp::Prod>(plan, in, out);
    case ReduceOp::L1: return reduce_as<T, ReduceOp::L1>(plan, in, out);
    case ReduceOp::L2: return reduce_as<T, ReduceOp::L2>(plan, in, out);
    case ReduceOp::LogSum: return reduce_as<T, ReduceOp::LogSum>(plan, in, out);
    case ReduceOp::LogSumExp: return reduce_log_sum_exp(plan, in, out);
    case ReduceOp::SumSquare: return reduce_as<T, ReduceOp::SumSquare>(plan, in, out);
  }
}

}  // namespace

}  // namespace onnxi::kernels
