// Variadic elementwise folds with multidirectional broadcasting: Sum, Mean, Min, Max.
#include <cstring>

#include "onnxi/float_types.h"
#include "ops/common.h"
#include "ops/math/dispatch.h"
#include "ops/math/math.h"

namespace onnxi::ops::math {

namespace {

using kernels::BinaryOp;

// A one-element tensor of type t holding n (float types only).
Tensor scalar_of(DataType t, double n) {
  Tensor s(t, Shape{});
  switch (t) {
    case DataType::Float: s.data<float>()[0] = static_cast<float>(n); break;
    case DataType::Double: s.data<double>()[0] = n; break;
    case DataType::Float16: s.data<uint16_t>()[0] = f32_to_f16(static_cast<float>(n)); break;
    case DataType::BFloat16: s.data<uint16_t>()[0] = f32_to_bf16(static_cast<float>(n)); break;
    default: fail(ErrorCode::InvalidArgument, cat("scalar_of: ", dtype_name(t), " is not a float type"));
  }
  return s;
}

void compute_fold(KernelContext& ctx, BinaryOp op, bool mean, const char* types) {
  const size_t n = ctx.num_inputs();
  if (n == 0) ctx.fail("needs at least one input");
  const Tensor& first = ctx.input(0);
  const DataType t = first.dtype();
  if (!binary_accepts(op, t) || t == DataType::Bool || (mean && !is_float_like(t))) fail_type(ctx, 0, t, types);
  Shape out_shape = first.shape();
  for (size_t i = 1; i < n; ++i) out_shape = broadcast_shapes(out_shape, same_type_input(ctx, i).shape(), ctx.node());
  Tensor& out = ctx.allocate_output(0, t, out_shape);
  if (n == 1) {
    std::memcpy(out.raw(), first.raw(), first.nbytes());
    return;
  }
  // Folding into the output in place is safe: it already has the final shape, so every element is
  // read before it is written.
  binary_into(ctx, op, first, ctx.input(1), out);
  for (size_t i = 2; i < n; ++i) binary_into(ctx, op, out, ctx.input(i), out);
  if (mean) binary_into(ctx, BinaryOp::Div, out, scalar_of(t, static_cast<double>(n)), out);
}

OpDef::CreateFn fold_kernel(BinaryOp op, bool mean, const char* types) {
  return [op, mean, types](const KernelInit&) {
    return make_kernel([op, mean, types](KernelContext& ctx) { compute_fold(ctx, op, mean, types); });
  };
}

void infer_fold(InferContext& ctx) { infer_broadcast(ctx); }

}  // namespace

void register_variadic(Registry& r) {
  // Before opset 8 the inputs had to share one shape; broadcasting is a superset, so one kernel serves.
  r.add(make_def("Sum", 1, kLatestOpset, infer_fold, fold_kernel(BinaryOp::Add, false, kFloatTypes), kFloatTypes));
  r.add(make_def("Mean", 1, kLatestOpset, infer_fold, fold_kernel(BinaryOp::Add, true, kFloatTypes), kFloatTypes));
  r.add(make_def("Min", 1, kLatestOpset, infer_fold, fold_kernel(BinaryOp::Min, false, kNumericTypes), kNumericTypes));
  r.add(make_def("Max", 1, kLatestOpset, infer_fold, fold_kernel(BinaryOp::Max, false, kNumericTypes), kNumericTypes));
}

}  // namespace onnxi::ops::math
