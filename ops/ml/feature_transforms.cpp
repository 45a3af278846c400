// Elementwise feature preprocessing of ai.onnx.ml (all opset 1), as scikit-learn's transformers
// export them:
//   Binarizer   Y = X > threshold ? 1 : 0, in X's type (NaN gives 0, as the ONNX reference does).
//   Scaler      Y = (X - offset) * scale as float; offset and scale have 1 or F (last-axis) values.
//   Normalizer  each row of an [N, C] (or [C]) input divided by its max x (MAX, as the spec writes it
//               and onnxruntime computes it; the ONNX reference takes max |x|), sum |x| (L1) or
//               sqrt(sum x^2) (L2), as float; a zero divisor leaves the row as it is.
//   Imputer     elements equal to replaced_value_* (any NaN when it is NaN) become the imputed value
//               of their feature (1 or F values), in X's type; floats use the *_float(s)
//               attributes, integers the *_int64(s) ones.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "ops/ml/ml.h"

namespace onnxi::ops::ml {
namespace {

void infer_elementwise(InferContext& ctx, DataType out_elem) {
  check_input_type(ctx, 0, "X", numeric_types());
  const TypeInfo& x = ctx.input(0);
  if (!x.is_tensor()) return;
  TypeInfo t = x;
  t.elem = out_elem == DataType::Undefined ? x.elem : out_elem;
  ctx.set_output(0, t);
}

int64_t last_dim(const Tensor& x) { return x.rank() == 0 ? 1 : x.dim(x.rank() - 1); }

// ---- Binarizer ----

void register_binarizer(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "Binarizer";
  def.types = type_list_string(numeric_types());
  def.infer = [](InferContext& ctx) { infer_elementwise(ctx, DataType::Undefined); };
  def.create = [](const KernelInit& init) {
    const double threshold = init.node.attr_float("threshold", 0.f);
    return make_kernel([threshold](KernelContext& ctx) {
      const Tensor& x = typed_input(ctx, 0, "X", numeric_types());
      std::vector<double> v = to_f64(x);
      for (double& e : v) e = e > threshold ? 1.0 : 0.0;
      ctx.set_output(0, from_f64(v, x.dtype(), x.shape()));
    });
  };
  r.add(std::move(def));
}

// ---- Scaler ----

void register_scaler(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "Scaler";
  def.types = type_list_string(numeric_types());
  def.infer = [](InferContext& ctx) { infer_elementwise(ctx, DataType::Float); };
  def.create = [](const KernelInit& init) {
    std::vector<float> offset = init.node.attr_floats("offset");
    std::vector<float> scale = init.node.attr_floats("scale");
    if (offset.empty()) offset = {0.f};
    if (scale.empty()) scale = {1.f};
    return make_kernel([offset, scale](KernelContext& ctx) {
      const Tensor& x = typed_input(ctx, 0, "X", numeric_types());
      const int64_t f = last_dim(x);
      for (const auto* attr : {&offset, &scale}) {
        const auto n = static_cast<int64_t>(attr->size());
        if (n != 1 && n != f) {
          ctx.fail(cat("attribute ", attr == &offset ? "offset" : "scale", " has ", n,
                       " values; it needs 1 or one per feature (", f, ", the last dim of X ", x.describe(), ")"));
        }
      }
      std::vector<double> v = to_f64(x);
      const bool per_offset = offset.size() > 1, per_scale = scale.size() > 1;
      for (size_t i = 0; i < v.size(); ++i) {
        const size_t j = f > 0 ? i % static_cast<size_t>(f) : 0;
        v[i] = (v[i] - offset[per_offset ? j : 0]) * scale[per_scale ? j : 0];
      }
      ctx.set_output(0, from_f64(v, DataType::Float, x.shape()));
    });
  };
  r.add(std::move(def));
}

// ---- Normalizer ----

enum class Norm { Max, L1, L2 };

void register_normalizer(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "Normalizer";
  def.types = type_list_string(numeric_types());
  def.infer = [](InferContext& ctx) {
    const TypeInfo& x = ctx.input(0);
    if (x.is_tensor() && x.has_shape && (x.dims.empty() || x.dims.size() > 2)) {
      ctx.fail(cat("input X ", x.str(), " must be [N, C] or [C]"));
    }
    infer_elementwise(ctx, DataType::Float);
  };
  def.create = [](const KernelInit& init) {
    const std::string name = init.node.attr_string("norm", "MAX");
    Norm norm = Norm::Max;
    if (name == "L1") norm = Norm::L1;
    else if (name == "L2") norm = Norm::L2;
    else if (name != "MAX") init.fail(cat("attribute norm = '", name, "' is not one of MAX, L1, L2"));
    return make_kernel([norm](KernelContext& ctx) {
      const Tensor& x = typed_input(ctx, 0, "X", numeric_types());
      const Rows shape = rows_of(ctx, x, "X");
      std::vector<double> v = to_f64(x);
      for (int64_t r = 0; r < shape.rows; ++r) {
        double* row = v.data() + r * shape.features;
        double div = norm == Norm::Max && shape.features > 0 ? row[0] : 0.0;
        for (int64_t c = 0; c < shape.features; ++c) {
          const double a = std::fabs(row[c]);
          if (norm == Norm::Max) div = std::max(div, row[c]);
          else if (norm == Norm::L1) div += a;
          else div += a * a;
        }
        if (norm == Norm::L2) div = std::sqrt(div);
        if (div == 0) continue;
        for (int64_t c = 0; c < shape.features; ++c) row[c] /= div;
      }
      ctx.set_output(0, from_f64(v, DataType::Float, x.shape()));
    });
  };
  r.add(std::move(def));
}

// ---- Imputer ----

// Integers compare and store exactly (no float64 round trip); the attribute values are int64 or float.
template <class T>
void impute(const T* x, T* y, int64_t n, int64_t features, const std::vector<double>& imputed, double replaced) {
  const bool nan = std::isnan(replaced);
  const bool per_feature = imputed.size() > 1;
  const T match = nan ? T{} : static_cast<T>(replaced);
  for (int64_t i = 0; i < n; ++i) {
    bool hit = false;
    if constexpr (std::is_floating_point_v<T>) {
      hit = nan ? std::isnan(x[i]) : x[i] == match;
    } else {
      hit = x[i] == match;
    }
    y[i] = hit ? static_cast<T>(imputed[per_feature ? static_cast<size_t>(i % features) : 0]) : x[i];
  }
}

void register_imputer(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "Imputer";
  def.types = type_list_string(numeric_types());
  def.infer = [](InferContext& ctx) { infer_elementwise(ctx, DataType::Undefined); };
  def.create = [](const KernelInit& init) {
    const Node& n = init.node;
    const std::vector<float> fv = n.attr_floats("imputed_value_floats");
    const std::vector<int64_t> iv = n.attr_ints("imputed_value_int64s");
    if (fv.empty() == iv.empty()) {
      init.fail("set exactly one of imputed_value_floats and imputed_value_int64s (with at least one value)");
    }
    const bool floats = !fv.empty();
    std::vector<double> imputed = floats ? std::vector<double>(fv.begin(), fv.end())
                                         : std::vector<double>(iv.begin(), iv.end());
    const double replaced = floats ? static_cast<double>(n.attr_float("replaced_value_float", 0.f))
                                   : static_cast<double>(n.attr_int("replaced_value_int64", 0));
    return make_kernel([floats, imputed, replaced](KernelContext& ctx) {
      const Tensor& x = typed_input(ctx, 0, "X", numeric_types());
      const bool x_float = x.dtype() == DataType::Float || x.dtype() == DataType::Double;
      if (x_float != floats) {
        ctx.fail(cat("input X ", x.describe(), " needs the ", x_float ? "imputed_value_floats" : "imputed_value_int64s",
                     " attribute; the node sets ", floats ? "imputed_value_floats" : "imputed_value_int64s"));
      }
      const int64_t f = last_dim(x);
      const auto count = static_cast<int64_t>(imputed.size());
      if (count != 1 && count != f) {
        ctx.fail(cat("the imputed values number ", count, "; they must be 1 or one per feature (", f,
                     ", the last dim of X ", x.describe(), ")"));
      }
      Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
      switch (x.dtype()) {
        case DataType::Float: impute(x.data<float>(), y.data<float>(), x.numel(), f, imputed, replaced); break;
        case DataType::Double: impute(x.data<double>(), y.data<double>(), x.numel(), f, imputed, replaced); break;
        case DataType::Int64: impute(x.data<int64_t>(), y.data<int64_t>(), x.numel(), f, imputed, replaced); break;
        default: impute(x.data<int32_t>(), y.data<int32_t>(), x.numel(), f, imputed, replaced); break;
      }
    });
  };
  r.add(std::move(def));
}

}  // namespace

void register_feature_transforms(Registry& r) {
  register_binarizer(r);
  register_scaler(r);
  register_normalizer(r);
  register_imputer(r);
}

}  // namespace onnxi::ops::ml
