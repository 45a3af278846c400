// ArrayFeatureExtractor (ai.onnx.ml 1): Z = X[..., Y], gathering along the last axis with the
// indices Y (any shape, read flat). The output keeps X's leading dims and ends in numel(Y); a 1-D
// X gives [1, numel(Y)], as onnxruntime and the ONNX reference do.
#include <cstring>

#include "onnxi/dtype.h"
#include "ops/ml/ml.h"

namespace onnxi::ops::ml {
namespace {

const TypeList kTypes = {DataType::Float, DataType::Double, DataType::Int64, DataType::Int32, DataType::String};

void infer_array_feature_extractor(InferContext& ctx) {
  check_input_type(ctx, 0, "X", kTypes);
  check_input_type(ctx, 1, "Y", {DataType::Int64});
  const TypeInfo& x = ctx.input(0);
  const TypeInfo& y = ctx.input(1);
  const DataType elem = x.is_tensor() ? x.elem : DataType::Undefined;
  if (!x.is_tensor() || !x.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  if (x.dims.empty()) ctx.fail("input X must have at least one dimension");
  Dim count;
  if (y.is_tensor() && y.shape_is_static()) count = Dim::known(shape_numel(y.static_shape()));
  std::vector<Dim> dims(x.dims.begin(), x.dims.end() - 1);
  if (dims.empty()) dims.push_back(Dim::known(1));
  dims.push_back(count);
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(dims)));
}

void compute_array_feature_extractor(KernelContext& ctx) {
  const Tensor& x = typed_input(ctx, 0, "X", kTypes);
  const Tensor& y = typed_input(ctx, 1, "Y", {DataType::Int64});
  if (x.rank() == 0) ctx.fail(cat("input X ", x.describe(), " must have at least one dimension"));
  const int64_t width = x.dim(x.rank() - 1);
  const int64_t k = y.numel();
  const int64_t* idx = y.data<int64_t>();
  for (int64_t j = 0; j < k; ++j) {
    if (idx[j] < 0 || idx[j] >= width) {
      ctx.fail(cat("input Y holds index ", idx[j], " at position ", j, ", outside [0, ", width,
                   ") of the last axis of X ", x.describe()));
    }
  }
  Shape shape(x.shape().begin(), x.shape().end() - 1);
  const int64_t rows = shape_numel(shape);
  if (shape.empty()) shape.push_back(1);
  shape.push_back(k);
  Tensor& z = ctx.allocate_output(0, x.dtype(), shape);
  if (x.dtype() == DataType::String) {
    const auto* src = x.data<std::string>();
    auto* dst = z.data<std::string>();
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < k; ++j) dst[r * k + j] = src[r * width + idx[j]];
    }
    return;
  }
  const size_t es = storage_bytes(x.dtype(), 1);
  const auto* src = static_cast<const unsigned char*>(x.raw());
  auto* dst = static_cast<unsigned char*>(z.raw());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < k; ++j) {
      std::memcpy(dst + static_cast<size_t>(r * k + j) * es, src + static_cast<size_t>(r * width + idx[j]) * es, es);
    }
  }
}

}  // namespace

void register_array_feature_extractor(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "ArrayFeatureExtractor";
  def.since_version = 1;
  def.types = type_list_string(kTypes);
  def.infer = infer_array_feature_extractor;
  def.create = [](const KernelInit&) { return make_kernel(compute_array_feature_extractor); };
  r.add(std::move(def));
}

}  // namespace onnxi::ops::ml
