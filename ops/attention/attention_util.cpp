// Helpers shared by the attention-extension ops: element-type checks, rounding hooks and dim math.
#include <algorithm>

#include "onnxi/float_types.h"
#include "ops/attention/attention.h"

namespace onnxi::ops::attention {
namespace {

float round_f16(float v) { return f16_to_f32(f32_to_f16(v)); }
float round_bf16(float v) { return bf16_to_f32(f32_to_bf16(v)); }

}  // namespace

TypeList float_types(bool with_double) {
  TypeList t = {DataType::Float16, DataType::BFloat16, DataType::Float};
  if (with_double) t.push_back(DataType::Double);
  return t;
}

void check_input_rank(const InferContext& ctx, size_t i, const char* name, size_t rank) {
  if (!ctx.has_input(i)) return;
  const TypeInfo& t = ctx.input(i);
  if (t.is_tensor() && t.has_shape && t.dims.size() != rank) {
    ctx.fail(cat("input ", name, " must have rank ", rank, ", got ", t.str()));
  }
}

const Tensor& input_like(const KernelContext& ctx, size_t i, const char* name, DataType dtype, int rank) {
  const Tensor& t = ctx.input(i);
  if (t.dtype() != dtype) {
    ctx.fail(cat("input ", name, " has element type ", dtype_name(t.dtype()), "; it must match the first input's ",
                 dtype_name(dtype)));
  }
  if (rank >= 0 && t.rank() != rank) {
    ctx.fail(cat("input ", name, " must have rank ", rank, ", got ", t.describe()));
  }
  return t;
}

kernels::RoundFn round_fn(DataType t) noexcept {
  if (t == DataType::Float16) return &round_f16;
  if (t == DataType::BFloat16) return &round_bf16;
  return nullptr;
}

Dim dim_div(const Dim& d, int64_t by) { return d.is_known() && by > 0 ? Dim::known(d.value / by) : Dim{}; }
Dim dim_mul(const Dim& d, int64_t by) { return d.is_known() && by >= 0 ? Dim::known(d.value * by) : Dim{}; }

}  // namespace onnxi::ops::attention
