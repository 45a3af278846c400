// Helpers shared by the ai.onnx.ml ops: type checks, float64 conversion, [N, F] views.
#include <algorithm>

#include "onnxi/float_types.h"
#include "ops/ml/ml.h"

namespace onnxi::ops::ml {

const TypeList& numeric_types() {
  static const TypeList t = {DataType::Float, DataType::Double, DataType::Int64, DataType::Int32};
  return t;
}

std::vector<double> to_f64(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  if (t.dtype() == DataType::Double) {
    std::copy(t.data<double>(), t.data<double>() + t.numel(), v.begin());
  } else {
    convert_to_f64(t.dtype(), t.raw(), v.data(), t.numel());
  }
  return v;
}

Tensor from_f64(const std::vector<double>& v, DataType dtype, Shape shape) {
  Tensor out(dtype, std::move(shape));
  convert_from_f64(dtype, v.data(), out.raw(), out.numel());
  return out;
}

Rows rows_of(const KernelContext& ctx, const Tensor& x, const char* name) {
  if (x.rank() == 1) return {1, x.dim(0)};
  if (x.rank() == 2) return {x.dim(0), x.dim(1)};
  ctx.fail(cat("input ", name, " ", x.describe(), " must be [N, F] or [F]"));
}

Dim batch_dim(const InferContext& ctx, size_t i) {
  const TypeInfo& t = ctx.input(i);
  if (!t.is_tensor() || !t.has_shape) return Dim{};
  if (t.dims.size() == 1) return Dim::known(1);
  if (t.dims.size() == 2) return t.dims[0];
  ctx.fail(cat("input ", t.str(), " must be [N, F] or [F]"));
}

kernels::ScoreTransform parse_transform(const std::string& name, const Node& node) {
  using kernels::ScoreTransform;
  if (name == "NONE") return ScoreTransform::None;
  if (name == "SOFTMAX") return ScoreTransform::Softmax;
  if (name == "LOGISTIC") return ScoreTransform::Logistic;
  if (name == "SOFTMAX_ZERO") return ScoreTransform::SoftmaxZero;
  if (name == "PROBIT") return ScoreTransform::Probit;
  fail(ErrorCode::InvalidModel, cat(node.label(), ": attribute post_transform = '", name,
                                    "' is not one of NONE, SOFTMAX, LOGISTIC, SOFTMAX_ZERO, PROBIT"));
}

std::vector<double> floats_or_tensor(const Node& node, const std::string& name) {
  if (const Tensor* t = node.attr_tensor(name + "_as_tensor")) {
    if (node.has_attr(name)) {
      fail(ErrorCode::InvalidModel, cat(node.label(), ": attributes ", name, " and ", name,
                                        "_as_tensor are both set; give one"));
    }
    if (t->dtype() == DataType::String) {
      fail(ErrorCode::InvalidModel, cat(node.label(), ": attribute ", name, "_as_tensor must be numeric"));
    }
    return to_f64(*t);
  }
  const std::vector<float> f = node.attr_floats(name);
  return std::vector<double>(f.begin(), f.end());
}

}  // namespace onnxi::ops::ml
