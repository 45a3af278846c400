#include "ops/nn/nn.h"

#include <vector>

#include "onnxi/float_types.h"

namespace onnxi::ops::nn {

bool is_nn_float(DataType t) noexcept {
  return t == DataType::Float || t == DataType::Double || t == DataType::Float16 || t == DataType::BFloat16;
}

DataType compute_type(DataType t) noexcept { return t == DataType::Double ? DataType::Double : DataType::Float; }

Tensor widen(const Tensor& t) {
  if (t.dtype() != DataType::Float16 && t.dtype() != DataType::BFloat16) return t;
  Tensor out(DataType::Float, t.shape());
  const uint16_t* src = t.data<uint16_t>();
  float* dst = out.data<float>();
  const bool half = t.dtype() == DataType::Float16;
  for (int64_t i = 0; i < t.numel(); ++i) dst[i] = half ? f16_to_f32(src[i]) : bf16_to_f32(src[i]);
  return out;
}

Tensor narrow(const Tensor& t, DataType target) {
  if (target != DataType::Float16 && target != DataType::BFloat16) return t;
  Tensor out(target, t.shape());
  const float* src = t.data<float>();
  uint16_t* dst = out.data<uint16_t>();
  const bool half = target == DataType::Float16;
  for (int64_t i = 0; i < t.numel(); ++i) dst[i] = half ? f32_to_f16(src[i]) : f32_to_bf16(src[i]);
  return out;
}

Tensor convert_float(const Tensor& t, DataType to) {
  if (t.dtype() == to) return t;
  if (to == DataType::Float && (t.dtype() == DataType::Float16 || t.dtype() == DataType::BFloat16)) return widen(t);
  if (t.dtype() == DataType::Float && (to == DataType::Float16 || to == DataType::BFloat16)) return narrow(t, to);
  std::vector<double> wide(static_cast<size_t>(t.numel()));
  convert_to_f64(t.dtype(), t.raw(), wide.data(), t.numel());
  Tensor out(to, t.shape());
  convert_from_f64(to, wide.data(), out.raw(), t.numel());
  return out;
}

const Tensor& float_input(const KernelContext& ctx, size_t i) {
  const Tensor& t = ctx.input(i);
  if (!is_nn_float(t.dtype())) {
    ctx.fail(cat("input ", i, " ('", ctx.node().inputs[i], "') has element type ", dtype_name(t.dtype()),
                 "; this op takes ", kFloatTypes));
  }
  return t;
}

const Tensor& input_of_type(const KernelContext& ctx, size_t i, DataType dtype) {
  const Tensor& t = ctx.input(i);
  if (t.dtype() != dtype) {
    ctx.fail(cat("input ", i, " ('", ctx.node().inputs[i], "') has element type ", dtype_name(t.dtype()),
                 " but must match input 0's ", dtype_name(dtype)));
  }
  return t;
}

void infer_identity(InferContext& ctx) {
  if (ctx.has_input(0)) ctx.set_output(0, ctx.input(0));
}

OpDef make_def(const char* op_type, int since, int last, OpDef::InferFn infer, OpDef::CreateFn create,
               const char* types) {
  OpDef d;
  d.domain = "";
  d.op_type = op_type;
  d.since_version = since;
  d.last_version = last;
  d.infer = std::move(infer);
  d.create = std::move(create);
  d.types = types;
  return d;
}

}  // namespace onnxi::ops::nn
