// Helpers shared by the vision ops: type lists and conversions to the compute types.
#include <algorithm>
#include <vector>

#include "onnxi/float_types.h"
#include "ops/vision/vision.h"

namespace onnxi::ops::vision {

TypeList float_types(int since, int bf16_since) {
  TypeList t = {DataType::Float16, DataType::Float, DataType::Double};
  if (since >= bf16_since) t.push_back(DataType::BFloat16);
  return t;
}

std::string type_list_string(const TypeList& types) {
  std::string s;
  for (DataType t : types) s += (s.empty() ? "" : ", ") + std::string(dtype_name(t));
  return s;
}

bool accepts(const TypeList& types, DataType t) { return std::find(types.begin(), types.end(), t) != types.end(); }

DataType input_elem(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i) || !ctx.input(i).is_tensor()) return DataType::Undefined;
  return ctx.input(i).elem;
}

void check_input_type(const InferContext& ctx, size_t i, const char* name, const TypeList& types) {
  const DataType t = input_elem(ctx, i);
  if (t != DataType::Undefined && !accepts(types, t)) {
    ctx.fail(cat("input ", name, " has element type ", dtype_name(t), "; ", ctx.node.op_type, "-", ctx.opset,
                 " takes ", type_list_string(types)));
  }
}

const Tensor& typed_input(const KernelContext& ctx, size_t i, const char* name, const TypeList& types) {
  const Tensor& t = ctx.input(i);
  if (!accepts(types, t.dtype())) {
    ctx.fail(cat("input ", name, " has element type ", dtype_name(t.dtype()), "; ", ctx.node().op_type, "-",
                 ctx.opset(), " takes ", type_list_string(types)));
  }
  return t;
}

Tensor to_compute(const Tensor& t, DataType to) {
  if (t.dtype() == to) return t;
  Tensor out(to, t.shape());
  const int64_t n = t.numel();
  if (to == DataType::Float && (t.dtype() == DataType::Float16 || t.dtype() == DataType::BFloat16)) {
    const uint16_t* src = t.data<uint16_t>();
    float* dst = out.data<float>();
    const bool half = t.dtype() == DataType::Float16;
    for (int64_t i = 0; i < n; ++i) dst[i] = half ? f16_to_f32(src[i]) : bf16_to_f32(src[i]);
    return out;
  }
  std::vector<double> wide(static_cast<size_t>(n));
  convert_to_f64(t.dtype(), t.raw(), wide.data(), n);
  convert_from_f64(to, wide.data(), out.raw(), n);
  return out;
}

Tensor from_compute(const Tensor& t, DataType target) {
  if (t.dtype() == target) return t;
  Tensor out(target, t.shape());
  const int64_t n = t.numel();
  std::vector<double> wide(static_cast<size_t>(n));
  convert_to_f64(t.dtype(), t.raw(), wide.data(), n);
  convert_from_f64(target, wide.data(), out.raw(), n);
  return out;
}

}  // namespace onnxi::ops::vision
