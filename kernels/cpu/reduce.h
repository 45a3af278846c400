// Reductions over a set of axes (Sum, Mean, Max, ... as in ONNX's Reduce* ops) and arg-reductions
// (index of the max / min along one axis). Dense row-major tensors, no graph types.
//
// A reduction is described by a ReducePlan instead of the axes: size-1 dims are dropped and
// neighbouring dims that are both reduced or both kept are merged, so contiguous reduced axes
// become the (outer, reduced, inner) form and scattered ones are walked with strides; nothing is
// transposed. The plan reads as
//   for each kept position k (odometer over kept_dims)        -> output row k, `inner` wide
//     for each reduced position r (odometer over reduced_dims)
//       fold the `inner` contiguous elements at offset(k) + offset(r) lane by lane
//       (when the innermost dim is kept), or the `run` contiguous elements there into one value
//       (when the innermost dim is reduced).
#pragma once

#include <cstdint>
#include <vector>

namespace onnxi::kernels {

enum class ReduceOp { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

struct ReducePlan {
  std::vector<int64_t> kept_dims, kept_strides;        // outer kept dims, strides in input elements
  std::vector<int64_t> reduced_dims, reduced_strides;  // reduced dims other than the trailing run
  int64_t inner = 1;          // trailing kept elements, contiguous (then run == 1)
  int64_t run = 1;            // trailing reduced elements, contiguous (then inner == 1)
  int64_t reduced_count = 1;  // elements folded into each output; 0 for an empty-set reduction
  int64_t output_count = 1;
};

// `reduced[i]` says whether dim i is reduced. A plan with nothing reduced maps each element
// through the op's element steps (Abs, Square, Log...), as ONNX's noop_with_empty_axes wants.
ReducePlan plan_reduction(const std::vector<int64_t>& shape, const std::vector<bool>& reduced);

// out has plan.output_count elements. Integer Sum/Prod/... wrap modulo 2^bits (int64 is exact
// until it wraps); integer Mean truncates toward zero; integer L2/LogSum/LogSumExp go through
// double. Empty-set results: Sum/L1/L2/SumSquare 0, Prod 1, Max lowest (-inf), Min highest (+inf),
// Mean NaN (0 for integers), LogSum/LogSumExp -inf. Max/Min propagate NaN.
// Defined for float, double (reduce.cpp) and int8_t, uint8_t, int32_t, uint32_t, int64_t, uint64_t
// (reduce_int.cpp, compiled for size).
template <class T>
void reduce(ReduceOp op, const ReducePlan& plan, const T* in, T* out);
template <>
void reduce<float>(ReduceOp op, const ReducePlan& plan, const float* in, float* out);
template <>
void reduce<double>(ReduceOp op, const ReducePlan& plan, const double* in, double* out);
template <>
void reduce<int8_t>(ReduceOp op, const ReducePlan& plan, const int8_t* in, int8_t* out);
template <>
void reduce<uint8_t>(ReduceOp op, const ReducePlan& plan, const uint8_t* in, uint8_t* out);
template <>
void reduce<int32_t>(ReduceOp op, const ReducePlan& plan, const int32_t* in, int32_t* out);
template <>
void reduce<uint32_t>(ReduceOp op, const ReducePlan& plan, const uint32_t* in, uint32_t* out);
template <>
void reduce<int64_t>(ReduceOp op, const ReducePlan& plan, const int64_t* in, int64_t* out);
template <>
void reduce<uint64_t>(ReduceOp op, const ReducePlan& plan, const uint64_t* in, uint64_t* out);
// float16 / bfloat16 bits, computed in float32.
void reduce_f16(ReduceOp op, const ReducePlan& plan, const uint16_t* in, uint16_t* out);
void reduce_bf16(ReduceOp op, const ReducePlan& plan, const uint16_t* in, uint16_t* out);
// Max (any) and Min (all) only; false < true.
void reduce_bool(ReduceOp op, const ReducePlan& plan, const bool* in, bool* out);

// Index of the max (want_max) or min along the middle axis of an (outer, n, inner) view, n >= 1.
// Ties pick the first index, or the last with last_index. NaN counts as the extreme (numpy's rule).
// Instantiated for float, double and every int width 8..64.
template <class T>
void arg_reduce(const T* in, int64_t outer, int64_t n, int64_t inner, bool want_max, bool last_index,
                int64_t* out);
void arg_reduce_f16(const uint16_t* in, int64_t outer, int64_t n, int64_t inner, bool want_max,
                    bool last_index, int64_t* out);
void arg_reduce_bf16(const uint16_t* in, int64_t outer, int64_t n, int64_t inner, bool want_max,
                     bool last_index, int64_t* out);

}  // namespace onnxi::kernels
