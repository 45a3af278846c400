#include "kernels/cpu/reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/reduce_impl.h"
#include "onnxi/float_types.h"

namespace onnxi::kernels {

ReducePlan plan_reduction(const std::vector<int64_t>& shape, const std::vector<bool>& reduced) {
  ReducePlan p;
  // Merge runs of dims that share a flag; size-1 dims belong to neither side. A zero dim still
  // counts: it empties the output (kept) or the set each output folds (reduced).
  struct Group {
    int64_t size;
    bool reduced;
  };
  std::vector<Group> groups;
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t d = shape[i];
    bool r = i < reduced.size() && reduced[i];
    if (r) {
      p.reduced_count *= d;
    } else {
      p.output_count *= d;
    }
    if (d == 1) continue;
    if (!groups.empty() && groups.back().reduced == r) {
      groups.back().size *= d;
    } else {
      groups.push_back({d, r});
    }
  }
  if (p.output_count == 0 || p.reduced_count == 0) return p;  // nothing to walk

  std::vector<int64_t> strides(groups.size());
  int64_t s = 1;
  for (size_t i = groups.size(); i-- > 0;) {
    strides[i] = s;
    s *= groups[i].size;
  }
  size_t outer_groups = groups.size();
  if (!groups.empty()) {
    if (groups.back().reduced) {
      p.run = groups.back().size;
    } else {
      p.inner = groups.back().size;
    }
    --outer_groups;
  }
  for (size_t i = 0; i < outer_groups; ++i) {
    if (groups[i].reduced) {
      p.reduced_dims.push_back(groups[i].size);
      p.reduced_strides.push_back(strides[i]);
    } else {
      p.kept_dims.push_back(groups[i].size);
      p.kept_strides.push_back(strides[i]);
    }
  }
  return p;
}

template <>
void reduce<float>(ReduceOp op, const ReducePlan& plan, const float* in, float* out) {
  reduce_typed(op, plan, in, out);
}
template <>
void reduce<double>(ReduceOp op, const ReducePlan& plan, const double* in, double* out) {
  reduce_typed(op, plan, in, out);
}

namespace {

int64_t input_count(const ReducePlan& plan) { return plan.output_count * plan.reduced_count; }

template <float (*Widen)(uint16_t) noexcept, uint16_t (*Narrow)(float) noexcept>
void reduce_half(ReduceOp op, const ReducePlan& plan, const uint16_t* in, uint16_t* out) {
  std::vector<float> wide_in(static_cast<size_t>(input_count(plan)));
  std::vector<float> wide_out(static_cast<size_t>(plan.output_count));
  for (size_t i = 0; i < wide_in.size(); ++i) wide_in[i] = Widen(in[i]);
  reduce<float>(op, plan, wide_in.data(), wide_out.data());
  for (size_t i = 0; i < wide_out.size(); ++i) out[i] = Narrow(wide_out[i]);
}

}  // namespace

void reduce_f16(ReduceOp op, const ReducePlan& plan, const uint16_t* in, uint16_t* out) {
  reduce_half<f16_to_f32, f32_to_f16>(op, plan, in, out);
}

void reduce_bf16(ReduceOp op, const ReducePlan& plan, const uint16_t* in, uint16_t* out) {
  reduce_half<bf16_to_f32, f32_to_bf16>(op, plan, in, out);
}

}  // namespace onnxi::kernels
