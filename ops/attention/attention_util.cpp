// Helpers shared by the attention-extension ops: element-type checks, rounding hooks and dim math.
#include <algorithm>

#include "onnxi/float_types.h"
#include "ops/attention/attention.h"

namespace onnxi::ops::attention {
namespace {

float round_f16(float v) { return f16_to_f32(f32_to_f16(v)); }
float round_bf16(float v) { return bf16_to_f32(f32_to_bf16(v)); }

bool accepts(const TypeList& types, DataType t) { return std::find(types.begin(), types.end(), t) != types.end(); }

}  // namespace

TypeList float_types(bool with_double) {
  TypeList t = {DataType::Float16, DataType::BFloat16, DataType::Float};
  if (with_double) t.push_back(DataType::Double);
  return t;
}

std::string type_list_string(const TypeList& types) {
  std::string s;
  for (DataType t : types) s += (s.empty() ? "" : ", ") + std::string(dtype_name(t));
  return s;
}

DataType input_elem(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i) || !ctx.input(i).is_tensor()) return DataType::Undefined;
  return ctx.input(i).elem;
}

void check_input_type(const InferContext& ctx, size_t i, const char* name, const TypeList& types) {
  const DataType t = input_elem(ctx, i);
  if (t != DataType::Undefined && !accepts(types, t)) {
    ctx.fail(cat("input ", name, " has element type ", dtype_name(t), "; ", ctx.node.op_type, " takes ",
                 type_list_string(types)));
  }
}

void check_input_rank(const InferContext& ctx, size_t i, const char* name, size_t rank) {
  if (!ctx.has_input(i)) return;
  const TypeInfo& t = ctx.input(i);
  if (t.is_tensor() && t.has_shape && t.dims.size() != rank) {
    ctx.fail(cat("input ", name, " must have rank ", rank, ", got ", t.str()));
  }
}

const Tensor& typed_input(const KernelContext& ctx, size_t i, const char* name, const TypeList& types) {
  const Tensor& t = ctx.input(i);
  if (!accepts(types, t.dtype())) {
    ctx.fail(cat("input ", name, " has element type ", dtype_name(t.dtype()), "; ", ctx.node().op_type, " takes ",
                 type_list_string(types)));
  }
  return t;
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
