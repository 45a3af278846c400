// Linear models of ai.onnx.ml (opset 1); X is float, double, int64 or int32, [N, F] or [F].
//   LinearRegressor   Y[N, targets] = X W^T + intercepts (W = coefficients as [targets, F]), then
//                     post_transform on each row; Y is float.
//   LinearClassifier  scores = X W^T + intercepts with W [K, F] (K = len(coefficients) / F). With K = 1
//                     and two class labels the scores become [-s, s]. post_transform maps the scores
//                     (Z[N, K], float); the label Y is the argmax class (first on ties). With a single
//                     score column otherwise, Y is the first label (int labels; 1 without labels) when
//                     the score is >= 0 (NONE) or >= 0.5 (any transform), else 0 / "". These follow
//                     the ONNX reference implementation; for the [-s, s] pair onnxruntime reports
//                     [1 - s, s] instead, whatever the transform.
#include <algorithm>
#include <memory>

#include "ops/ml/ml.h"

namespace onnxi::ops::ml {
namespace {

using kernels::ScoreTransform;

struct LinearModel {
  std::vector<double> coefficients;
  std::vector<double> intercepts;
  ScoreTransform transform = ScoreTransform::None;
};

// Scores [rows, k] of X against a [k, F] coefficient matrix, F taken from X.
std::vector<double> linear_scores(const KernelContext& ctx, const LinearModel& m, const Tensor& x, int64_t& rows,
                                  int64_t& k) {
  const Rows shape = rows_of(ctx, x, "X");
  const auto nc = static_cast<int64_t>(m.coefficients.size());
  if (shape.features == 0 || nc % shape.features != 0) {
    ctx.fail(cat("input X ", x.describe(), " has ", shape.features, " features; the ", nc,
                 " coefficients are not a whole number of rows of that length"));
  }
  k = nc / shape.features;
  if (!m.intercepts.empty() && static_cast<int64_t>(m.intercepts.size()) != k) {
    ctx.fail(cat("the model has ", m.intercepts.size(), " intercepts for ", k, " rows of coefficients (",
                 shape.features, " features from X ", x.describe(), ")"));
  }
  rows = shape.rows;
  const std::vector<double> xv = to_f64(x);
  std::vector<double> scores(static_cast<size_t>(rows * k));
  kernels::ml_linear_scores(xv.data(), rows, shape.features, m.coefficients.data(), k,
                            m.intercepts.empty() ? nullptr : m.intercepts.data(), scores.data());
  return scores;
}

LinearModel read_model(const KernelInit& init) {
  LinearModel m;
  const std::vector<float> c = init.node.attr_floats("coefficients");
  const std::vector<float> b = init.node.attr_floats("intercepts");
  if (c.empty()) init.fail("attribute coefficients is required");
  m.coefficients.assign(c.begin(), c.end());
  m.intercepts.assign(b.begin(), b.end());
  m.transform = parse_transform(init.node.attr_string("post_transform", "NONE"), init.node);
  return m;
}

// ---- LinearRegressor ----

void register_linear_regressor(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "LinearRegressor";
  def.types = type_list_string(numeric_types());
  def.infer = [](InferContext& ctx) {
    check_input_type(ctx, 0, "X", numeric_types());
    ctx.set_output(0, TypeInfo::tensor(DataType::Float, {batch_dim(ctx, 0), Dim::known(ctx.node.attr_int("targets", 1))}));
  };
  def.create = [](const KernelInit& init) {
    auto m = std::make_shared<LinearModel>(read_model(init));
    const int64_t targets = init.node.attr_int("targets", 1);
    if (targets <= 0) init.fail(cat("attribute targets = ", targets, " must be positive"));
    if (static_cast<int64_t>(m->coefficients.size()) % targets != 0) {
      init.fail(cat(m->coefficients.size(), " coefficients do not split into ", targets, " targets"));
    }
    return make_kernel([m = std::shared_ptr<const LinearModel>(m), targets](KernelContext& ctx) {
      const Tensor& x = typed_input(ctx, 0, "X", numeric_types());
      const int64_t features = static_cast<int64_t>(m->coefficients.size()) / targets;
      const Rows shape = rows_of(ctx, x, "X");
      if (shape.features != features) {
        ctx.fail(cat("input X ", x.describe(), " has ", shape.features, " features; the model has ", features,
                     " per target"));
      }
      int64_t rows = 0, k = 0;
      std::vector<double> s = linear_scores(ctx, *m, x, rows, k);
      kernels::ml_transform_scores(m->transform, s.data(), rows, k);
      ctx.set_output(0, from_f64(s, DataType::Float, {rows, k}));
    });
  };
  r.add(std::move(def));
}

// ---- LinearClassifier ----

struct ClassifierLabels {
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  size_t count() const { return std::max(ints.size(), strings.size()); }
};

void register_linear_classifier(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "LinearClassifier";
  def.types = type_list_string(numeric_types());
  def.infer = [](InferContext& ctx) {
    check_input_type(ctx, 0, "X", numeric_types());
    const Dim n = batch_dim(ctx, 0);
    ctx.set_output(0, TypeInfo::tensor(ctx.node.has_attr("classlabels_strings") ? DataType::String : DataType::Int64, {n}));
    if (ctx.node.outputs.size() > 1) ctx.set_output(1, TypeInfo::tensor(DataType::Float, {n, Dim{}}));
  };
  def.create = [](const KernelInit& init) {
    auto m = std::make_shared<const LinearModel>(read_model(init));
    auto labels = std::make_shared<ClassifierLabels>();
    labels->ints = init.node.attr_ints("classlabels_ints");
    labels->strings = init.node.attr_strings("classlabels_strings");
    if (!labels->ints.empty() && !labels->strings.empty()) {
      init.fail("set only one of classlabels_ints and classlabels_strings");
    }
    return make_kernel([m, labels = std::shared_ptr<const ClassifierLabels>(labels)](KernelContext& ctx) {
      const Tensor& x = typed_input(ctx, 0, "X", numeric_types());
      int64_t rows = 0, k = 0;
      std::vector<double> s = linear_scores(ctx, *m, x, rows, k);
      if (k == 1 && labels->count() == 2) {
        std::vector<double> two(static_cast<size_t>(rows * 2));
        for (int64_t r = 0; r < rows; ++r) {
          two[static_cast<size_t>(2 * r)] = -s[static_cast<size_t>(r)];
          two[static_cast<size_t>(2 * r + 1)] = s[static_cast<size_t>(r)];
        }
        s = std::move(two);
        k = 2;
      }
      if (k > 1 && labels->count() != 0 && labels->count() != static_cast<size_t>(k)) {
        ctx.fail(cat("the model scores ", k, " classes but has ", labels->count(), " class labels"));
      }
      kernels::ml_transform_scores(m->transform, s.data(), rows, k);
      const bool strings = !labels->strings.empty();
      Tensor y(strings ? DataType::String : DataType::Int64, {rows});
      const double threshold = m->transform == ScoreTransform::None ? 0.0 : 0.5;
      for (int64_t r = 0; r < rows; ++r) {
        const double* row = s.data() + r * k;
        if (k > 1) {
          const auto best = static_cast<size_t>(std::max_element(row, row + k) - row);
          if (strings) y.data<std::string>()[r] = labels->strings[best];
          else y.data<int64_t>()[r] = labels->ints.empty() ? static_cast<int64_t>(best) : labels->ints[best];
          continue;
        }
        const bool positive = row[0] >= threshold;
        if (strings) y.data<std::string>()[r] = positive ? labels->strings[0] : std::string();
        else y.data<int64_t>()[r] = positive ? (labels->ints.empty() ? 1 : labels->ints[0]) : 0;
      }
      ctx.set_output(0, y);
      if (ctx.num_outputs() > 1) ctx.set_output(1, from_f64(s, DataType::Float, {rows, k}));
    });
  };
  r.add(std::move(def));
}

}  // namespace

void register_linear(Registry& r) {
  register_linear_regressor(r);
  register_linear_classifier(r);
}

}  // namespace onnxi::ops::ml
