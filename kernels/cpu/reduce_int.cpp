// Integer (and bool) reductions: the loops of reduce_impl.h, compiled for size (see there).
#include "kernels/cpu/reduce_impl.h"

namespace onnxi::kernels {

template <>
void reduce<int8_t>(ReduceOp op, const ReducePlan& plan, const int8_t* in, int8_t* out) {
  reduce_typed(op, plan, in, out);
}
template <>
void reduce<uint8_t>(ReduceOp op, const ReducePlan& plan, const uint8_t* in, uint8_t* out) {
  reduce_typed(op, plan, in, out);
}
template <>
void reduce<int32_t>(ReduceOp op, const ReducePlan& plan, const int32_t* in, int32_t* out) {
  reduce_typed(op, plan, in, out);
}
template <>
void reduce<uint32_t>(ReduceOp op, const ReducePlan& plan, const uint32_t* in, uint32_t* out) {
  reduce_typed(op, plan, in, out);
}
template <>
void reduce<int64_t>(ReduceOp op, const ReducePlan& plan, const int64_t* in, int64_t* out) {
  reduce_typed(op, plan, in, out);
}
template <>
void reduce<uint64_t>(ReduceOp op, const ReducePlan& plan, const uint64_t* in, uint64_t* out) {
  reduce_typed(op, plan, in, out);
}

namespace {

int64_t bool_input_count(const ReducePlan& plan) { return plan.output_count * plan.reduced_count; }

}  // namespace

void reduce_bool(ReduceOp op, const ReducePlan& plan, const bool* in, bool* out) {
  // Bools are bytes holding 0 or 1: Max/Min over uint8 are any/all. Only Min over an empty set
  // leaves 255 (uint8's max), which must read back as true.
  std::vector<uint8_t> bytes(static_cast<size_t>(plan.output_count));
  std::vector<uint8_t> in_bytes(static_cast<size_t>(bool_input_count(plan)));
  for (size_t i = 0; i < in_bytes.size(); ++i) in_bytes[i] = in[i] ? 1 : 0;
  reduce<uint8_t>(op == ReduceOp::Min ? ReduceOp::Min : ReduceOp::Max, plan, in_bytes.data(), bytes.data());
  for (size_t i = 0; i < bytes.size(); ++i) out[i] = bytes[i] != 0;
}

}  // namespace onnxi::kernels
