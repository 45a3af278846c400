// Helpers shared by the signal ops: type lists, scalar inputs and conversions to double.
#include <algorithm>

#include "onnxi/float_types.h"
#include "ops/signal/signal.h"

namespace onnxi::ops::signal {

const TypeList kSignalTypes = {DataType::Float16, DataType::Float, DataType::Double, DataType::BFloat16};
const TypeList kNumericOutputTypes = {DataType::UInt8,   DataType::UInt16,  DataType::UInt32, DataType::UInt64,
                                      DataType::Int8,    DataType::Int16,   DataType::Int32,  DataType::Int64,
                                      DataType::Float16, DataType::Float,   DataType::Double, DataType::BFloat16};

bool constant_int(const InferContext& ctx, size_t i, int64_t& value) {
  const Tensor* t = ctx.constant(i);
  if (!t || t->numel() != 1 || (t->dtype() != DataType::Int32 && t->dtype() != DataType::Int64)) return false;
  value = t->to_int64_vector()[0];
  return true;
}

namespace {
void require_scalar(const KernelContext& ctx, const Tensor& t, const char* name) {
  if (t.numel() != 1 || t.rank() > 1) ctx.fail(cat("input ", name, " must be a scalar, got ", t.describe()));
}
}  // namespace

int64_t scalar_int(const KernelContext& ctx, size_t i, const char* name) {
  const Tensor& t = typed_input(ctx, i, name, {DataType::Int32, DataType::Int64});
  require_scalar(ctx, t, name);
  return t.to_int64_vector()[0];
}

double scalar_float(const KernelContext& ctx, size_t i, const char* name) {
  const Tensor& t = typed_input(ctx, i, name, kSignalTypes);
  require_scalar(ctx, t, name);
  return t.element_as_double(0);
}

DataType output_datatype(const Node& node, const std::function<void(const std::string&)>& fail) {
  const int64_t v = node.attr_int("output_datatype", static_cast<int64_t>(DataType::Float));
  const DataType t = static_cast<DataType>(v);
  if (v < 0 || v > kMaxDataType || !accepts(kNumericOutputTypes, t)) {
    fail(cat("attribute output_datatype = ", v, " is not one of ", type_list_string(kNumericOutputTypes),
             " (give the TensorProto.DataType number)"));
  }
  return t;
}

std::vector<double> widen(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.numel()));
  convert_to_f64(t.dtype(), t.raw(), out.data(), t.numel());
  return out;
}

Tensor narrow(const std::vector<double>& values, DataType dtype, Shape shape) {
  Tensor out(dtype, std::move(shape));
  convert_from_f64(dtype, values.data(), out.raw(), out.numel());
  return out;
}

}  // namespace onnxi::ops::signal
