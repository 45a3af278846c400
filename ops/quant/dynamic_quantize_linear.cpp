// DynamicQuantizeLinear: uint8 quantization of a float32 tensor with the scale and zero point that
// cover [min(x, 0), max(x, 0)]; outputs y, y_scale (a float scalar) and y_zero_point (a uint8 scalar).
#include "ops/quant/quant.h"

namespace onnxi::ops::quant {
namespace {

const TypeList kX = {DataType::Float};

void infer_dynamic_quantize(InferContext& ctx) {
  check_input_type(ctx, 0, "x", kX);
  set_output_like(ctx, 0, DataType::UInt8, 0);
  ctx.set_output(1, TypeInfo::tensor(DataType::Float, {}));
  ctx.set_output(2, TypeInfo::tensor(DataType::UInt8, {}));
}

void compute_dynamic_quantize(KernelContext& ctx) {
  const Tensor& x = typed_input(ctx, 0, "x", kX);
  Tensor y(DataType::UInt8, x.shape());
  Tensor scale(DataType::Float, {});
  Tensor zero_point(DataType::UInt8, {});
  kernels::dynamic_quantize_u8(x.data<float>(), x.numel(), y.data<uint8_t>(), scale.data<float>(),
                               zero_point.data<uint8_t>());
  ctx.set_output(0, Value(y));
  if (ctx.num_outputs() > 1) ctx.set_output(1, Value(scale));
  if (ctx.num_outputs() > 2) ctx.set_output(2, Value(zero_point));
}

}  // namespace

void register_dynamic_quantize_linear(Registry& r) {
  OpDef d;
  d.op_type = "DynamicQuantizeLinear";
  d.since_version = 11;
  d.types = "float -> uint8";
  d.infer = infer_dynamic_quantize;
  d.create = [](const KernelInit&) { return make_kernel(compute_dynamic_quantize); };
  r.add(std::move(d));
}

}  // namespace onnxi::ops::quant
