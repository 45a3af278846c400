// Support vector machines of ai.onnx.ml (opset 1), following the ONNX reference implementation
// (which follows libsvm and onnxruntime). X is float, double, int64 or int32, [N, F] or [F]; kernel
// k(x, sv) is kernel_type (LINEAR, POLY, RBF, SIGMOID) with kernel_params [gamma, coef0, degree].
//   SVMRegressor   with n_supports > 0: s = sum_j coefficients[j] k(x, sv_j) + rho[0]; otherwise
//                  s = x . coefficients + rho[0]. one_class gives 1 for s > 0, else -1. Y [N, 1] float,
//                  post_transform applied.
//   SVMClassifier  with support vectors (vectors_per_class): one-vs-one. For classes i < j,
//                  s_ij = rho[ij] + coef[j-1][class i's vectors] . K + coef[i][class j's vectors] . K,
//                  a vote for i when s_ij > 0, else for j; the label is the most voted class (first
//                  on ties). Z holds the pairwise s_ij, or, with prob_a/prob_b, the class
//                  probabilities coupled from the pairwise sigmoids 1 - logistic(s_ij a + b). Without
//                  support vectors (liblinear), class c scores x . coefficients[c] + rho[0] and the
//                  label is the best score. A single pairwise or linear score s with two labels gives
//                  Z = [-s, s] (LOGISTIC / SOFTMAX of that pair); more scores get post_transform as is.
#include <algorithm>
#include <cmath>
#include <memory>

#include "ops/ml/ml.h"

namespace onnxi::ops::ml {
namespace {

using kernels::ScoreTransform;

kernels::SvmKernelParams read_kernel(const KernelInit& init) {
  kernels::SvmKernelParams p;
  const std::string type = init.node.attr_string("kernel_type", "LINEAR");
  if (type == "LINEAR") p.type = kernels::SvmKernel::Linear;
  else if (type == "POLY") p.type = kernels::SvmKernel::Poly;
  else if (type == "RBF") p.type = kernels::SvmKernel::Rbf;
  else if (type == "SIGMOID") p.type = kernels::SvmKernel::Sigmoid;
  else init.fail(cat("attribute kernel_type = '", type, "' is not one of LINEAR, POLY, RBF, SIGMOID"));
  const std::vector<float> params = init.node.attr_floats("kernel_params");
  if (!params.empty() && params.size() != 3) {
    init.fail(cat("attribute kernel_params has ", params.size(), " values; it takes [gamma, coef0, degree]"));
  }
  if (params.size() == 3) {
    p.gamma = params[0];
    p.coef0 = params[1];
    p.degree = std::trunc(params[2]);
  }
  return p;
}

std::vector<double> doubles(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

// X's values and rows, with its feature count checked against the model's.
std::vector<double> features_of(const KernelContext& ctx, const Tensor& x, int64_t features, int64_t& rows) {
  const Rows shape = rows_of(ctx, x, "X");
  if (shape.features != features) {
    ctx.fail(cat("input X ", x.describe(), " has ", shape.features, " features; the model has ", features));
  }
  rows = shape.rows;
  return to_f64(x);
}

// ---- SVMRegressor ----

struct RegressorModel {
  kernels::SvmKernelParams kernel;
  std::vector<double> coefficients, support, rho;
  int64_t supports = 0, features = 0;
  bool one_class = false;
  ScoreTransform transform = ScoreTransform::None;
};

void compute_regressor(KernelContext& ctx, const RegressorModel& m) {
  const Tensor& x = typed_input(ctx, 0, "X", numeric_types());
  int64_t rows = 0;
  const std::vector<double> xv = features_of(ctx, x, m.features, rows);
  std::vector<double> y(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const double* row = xv.data() + r * m.features;
    double s = m.rho.empty() ? 0.0 : m.rho[0];
    if (m.supports > 0) {
      for (int64_t j = 0; j < m.supports; ++j) {
        s += m.coefficients[static_cast<size_t>(j)] *
             kernels::ml_svm_kernel(m.kernel, row, m.support.data() + j * m.features, m.features);
      }
    } else {
      for (int64_t f = 0; f < m.features; ++f) s += row[f] * m.coefficients[static_cast<size_t>(f)];
    }
    y[static_cast<size_t>(r)] = m.one_class ? (s > 0 ? 1.0 : -1.0) : s;
  }
  kernels::ml_transform_scores(m.transform, y.data(), rows, 1);
  ctx.set_output(0, from_f64(y, DataType::Float, {rows, 1}));
}

void register_svm_regressor(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "SVMRegressor";
  def.types = type_list_string(numeric_types());
  def.infer = [](InferContext& ctx) {
    check_input_type(ctx, 0, "X", numeric_types());
    ctx.set_output(0, TypeInfo::tensor(DataType::Float, {batch_dim(ctx, 0), Dim::known(1)}));
  };
  def.create = [](const KernelInit& init) {
    auto m = std::make_shared<RegressorModel>();
    const Node& n = init.node;
    m->kernel = read_kernel(init);
    m->coefficients = doubles(n.attr_floats("coefficients"));
    m->support = doubles(n.attr_floats("support_vectors"));
    m->rho = doubles(n.attr_floats("rho"));
    m->supports = n.attr_int("n_supports", 0);
    m->one_class = n.attr_int("one_class", 0) != 0;
    m->transform = parse_transform(n.attr_string("post_transform", "NONE"), n);
    if (m->coefficients.empty()) init.fail("attribute coefficients is required");
    if (m->supports > 0) {
      if (static_cast<int64_t>(m->coefficients.size()) != m->supports) {
        init.fail(cat(m->coefficients.size(), " coefficients for n_supports = ", m->supports, "; give one per vector"));
      }
      if (m->support.empty() || static_cast<int64_t>(m->support.size()) % m->supports != 0) {
        init.fail(cat(m->support.size(), " support_vectors values do not make ", m->supports, " vectors"));
      }
      m->features = static_cast<int64_t>(m->support.size()) / m->supports;
    } else {
      m->features = static_cast<int64_t>(m->coefficients.size());
    }
    return make_kernel([m = std::shared_ptr<const RegressorModel>(m)](KernelContext& ctx) { compute_regressor(ctx, *m); });
  };
  r.add(std::move(def));
}

// ---- SVMClassifier ----

struct ClassifierModel {
  kernels::SvmKernelParams kernel;
  std::vector<double> coefficients, support, rho, prob_a, prob_b;
  std::vector<int64_t> per_class, first_of_class;
  std::vector<int64_t> int_labels;
  std::vector<std::string> string_labels;
  int64_t classes = 1, vectors = 0, features = 0;
  bool weights_positive = true;
  ScoreTransform transform = ScoreTransform::None;
};

// The reference's label rule for a single rho (binary problems): with two labels, a class index
// (and Z gets a second score); otherwise 1 or 0 by the sign of the winning weight, which is the label
// value itself for int labels and an index into string labels.
struct BinaryLabel {
  int64_t value = 0;
  bool is_index = true;
  bool second_score = false;
};

BinaryLabel binary_label(const ClassifierModel& m, double max_weight, int64_t max_class, bool has_proba) {
  const size_t labels = std::max(m.int_labels.size(), m.string_labels.size());
  if (labels == 2) {
    if (!has_proba && m.weights_positive && max_weight >= 0.5) return {1, true, true};
    return {max_class, true, true};
  }
  return {max_weight > 0 ? 1 : 0, !m.string_labels.empty(), false};
}

void compute_classifier(KernelContext& ctx, const ClassifierModel& m) {
  const Tensor& x = typed_input(ctx, 0, "X", numeric_types());
  int64_t rows = 0;
  const std::vector<double> xv = features_of(ctx, x, m.features, rows);
  const int64_t c = m.classes;
  const bool svc = m.vectors > 0;
  const bool has_proba = svc && !m.prob_a.empty();
  const int64_t pairs = c * (c - 1) / 2;
  const int64_t raw = svc ? pairs : c;
  std::vector<std::vector<double>> z(static_cast<size_t>(rows));
  std::vector<int64_t> label(static_cast<size_t>(rows));
  std::vector<uint8_t> label_is_index(static_cast<size_t>(rows), 1);
  std::vector<double> k(static_cast<size_t>(m.vectors)), votes(static_cast<size_t>(c)), scores(static_cast<size_t>(raw));
  std::vector<double> pairwise(static_cast<size_t>(c * c)), proba(static_cast<size_t>(c));
  for (int64_t r = 0; r < rows; ++r) {
    const double* row = xv.data() + r * m.features;
    if (svc) {
      for (int64_t j = 0; j < m.vectors; ++j) {
        k[static_cast<size_t>(j)] = kernels::ml_svm_kernel(m.kernel, row, m.support.data() + j * m.features, m.features);
      }
      std::fill(votes.begin(), votes.end(), 0.0);
      int64_t e = 0;
      for (int64_t i = 0; i < c; ++i) {
        for (int64_t j = i + 1; j < c; ++j, ++e) {
          double s = m.rho[static_cast<size_t>(e)];
          const double* ci = m.coefficients.data() + (j - 1) * m.vectors;
          const double* cj = m.coefficients.data() + i * m.vectors;
          for (int64_t v = 0; v < m.per_class[static_cast<size_t>(i)]; ++v) {
            const auto at = static_cast<size_t>(m.first_of_class[static_cast<size_t>(i)] + v);
            s += ci[at] * k[at];
          }
          for (int64_t v = 0; v < m.per_class[static_cast<size_t>(j)]; ++v) {
            const auto at = static_cast<size_t>(m.first_of_class[static_cast<size_t>(j)] + v);
            s += cj[at] * k[at];
          }
          scores[static_cast<size_t>(e)] = s;
          votes[static_cast<size_t>(s > 0 ? i : j)] += 1;
        }
      }
    } else {
      for (int64_t j = 0; j < c; ++j) {
        double s = m.rho.empty() ? 0.0 : m.rho[0];
        for (int64_t f = 0; f < m.features; ++f) s += row[f] * m.coefficients[static_cast<size_t>(j * m.features + f)];
        scores[static_cast<size_t>(j)] = s;
      }
    }
    std::vector<double> out = scores;
    if (has_proba) {
      int64_t e = 0;
      for (int64_t i = 0; i < c; ++i) {
        for (int64_t j = i + 1; j < c; ++j, ++e) {
          const double v = 1 - kernels::ml_logistic(scores[static_cast<size_t>(e)] * m.prob_a[static_cast<size_t>(e)] +
                                                    m.prob_b[static_cast<size_t>(e)]);
          const double p = std::clamp(v, 1e-7, 1 - 1e-7);
          pairwise[static_cast<size_t>(i * c + j)] = p;
          pairwise[static_cast<size_t>(j * c + i)] = 1 - p;
        }
      }
      kernels::ml_svm_couple_probabilities(c, pairwise.data(), proba.data());
      out = proba;
    }
    const std::vector<double>& pick = svc ? votes : out;
    const auto best = static_cast<int64_t>(std::max_element(pick.begin(), pick.end()) - pick.begin());
    BinaryLabel bl{best, true, false};
    if (m.rho.size() == 1) bl = binary_label(m, pick[static_cast<size_t>(best)], best, has_proba);
    label[static_cast<size_t>(r)] = bl.value;
    label_is_index[static_cast<size_t>(r)] = bl.is_index;
    if (out.size() == 1 && m.transform != ScoreTransform::Probit) {
      // One score: the pair [-s, s] (then transformed) with two labels, else s untransformed.
      if (bl.second_score) {
        out = {-out[0], out[0]};
        kernels::ml_transform_scores(m.transform, out.data(), 1, 2);
      }
    } else {
      kernels::ml_transform_scores(m.transform, out.data(), 1, static_cast<int64_t>(out.size()));
    }
    z[static_cast<size_t>(r)] = std::move(out);
  }
  const auto cols = static_cast<int64_t>(rows > 0 ? z[0].size() : (raw == 1 && m.rho.size() == 1 ? 2 : raw));
  Tensor zt(DataType::Float, {rows, cols});
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) zt.data<float>()[r * cols + j] = static_cast<float>(z[static_cast<size_t>(r)][static_cast<size_t>(j)]);
  }
  if (!m.string_labels.empty()) {
    Tensor y(DataType::String, {rows});
    for (int64_t r = 0; r < rows; ++r) y.data<std::string>()[r] = m.string_labels.at(static_cast<size_t>(label[static_cast<size_t>(r)]));
    ctx.set_output(0, y);
  } else {
    Tensor y(DataType::Int64, {rows});
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t l = label[static_cast<size_t>(r)];
      const bool index = label_is_index[static_cast<size_t>(r)] && !m.int_labels.empty();
      y.data<int64_t>()[r] = index ? m.int_labels.at(static_cast<size_t>(l)) : l;
    }
    ctx.set_output(0, y);
  }
  ctx.set_output(1, zt);
}

std::shared_ptr<const ClassifierModel> read_classifier(const KernelInit& init) {
  auto m = std::make_shared<ClassifierModel>();
  const Node& n = init.node;
  m->kernel = read_kernel(init);
  m->coefficients = doubles(n.attr_floats("coefficients"));
  m->support = doubles(n.attr_floats("support_vectors"));
  m->rho = doubles(n.attr_floats("rho"));
  m->prob_a = doubles(n.attr_floats("prob_a"));
  m->prob_b = doubles(n.attr_floats("prob_b"));
  m->per_class = n.attr_ints("vectors_per_class");
  m->int_labels = n.attr_ints("classlabels_ints");
  m->string_labels = n.attr_strings("classlabels_strings");
  m->transform = parse_transform(n.attr_string("post_transform", "NONE"), n);
  if (!m->int_labels.empty() && !m->string_labels.empty()) init.fail("set only one of classlabels_ints and classlabels_strings");
  m->classes = static_cast<int64_t>(std::max<size_t>({m->int_labels.size(), m->string_labels.size(), 1}));
  if (m->coefficients.empty()) init.fail("attribute coefficients is required");
  for (double w : m->coefficients) m->weights_positive = m->weights_positive && w >= 0;
  if (m->prob_a.size() != m->prob_b.size()) init.fail("prob_a and prob_b must have the same length");
  for (int64_t v : m->per_class) {
    if (v < 0) init.fail(cat("vectors_per_class holds ", v, "; counts must be >= 0"));
    m->first_of_class.push_back(m->vectors);
    m->vectors += v;
  }
  const int64_t c = m->classes;
  if (m->vectors > 0) {
    if (static_cast<int64_t>(m->per_class.size()) != c) {
      init.fail(cat("vectors_per_class has ", m->per_class.size(), " counts for ", c, " classes"));
    }
    if (m->support.empty() || static_cast<int64_t>(m->support.size()) % m->vectors != 0) {
      init.fail(cat(m->support.size(), " support_vectors values do not make ", m->vectors, " vectors"));
    }
    m->features = static_cast<int64_t>(m->support.size()) / m->vectors;
    if (static_cast<int64_t>(m->coefficients.size()) != (c - 1) * m->vectors) {
      init.fail(cat(m->coefficients.size(), " coefficients; one-vs-one needs (classes - 1) * vectors = ",
                    (c - 1) * m->vectors));
    }
    const int64_t pairs = c * (c - 1) / 2;
    if (static_cast<int64_t>(m->rho.size()) != pairs) init.fail(cat("rho has ", m->rho.size(), " values for ", pairs, " class pairs"));
    if (!m->prob_a.empty() && static_cast<int64_t>(m->prob_a.size()) != pairs) {
      init.fail(cat("prob_a has ", m->prob_a.size(), " values for ", pairs, " class pairs"));
    }
  } else {
    if (static_cast<int64_t>(m->coefficients.size()) % c != 0) {
      init.fail(cat(m->coefficients.size(), " coefficients do not split into ", c, " classes"));
    }
    m->features = static_cast<int64_t>(m->coefficients.size()) / c;
  }
  return m;
}

void register_svm_classifier(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "SVMClassifier";
  def.types = type_list_string(numeric_types());
  def.infer = [](InferContext& ctx) {
    check_input_type(ctx, 0, "X", numeric_types());
    const Dim n = batch_dim(ctx, 0);
    ctx.set_output(0, TypeInfo::tensor(ctx.node.has_attr("classlabels_strings") ? DataType::String : DataType::Int64, {n}));
    if (ctx.node.outputs.size() > 1) ctx.set_output(1, TypeInfo::tensor(DataType::Float, {n, Dim{}}));
  };
  def.create = [](const KernelInit& init) {
    auto m = read_classifier(init);
    return make_kernel([m](KernelContext& ctx) { compute_classifier(ctx, *m); });
  };
  r.add(std::move(def));
}

}  // namespace

void register_svm(Registry& r) {
  register_svm_regressor(r);
  register_svm_classifier(r);
}

}  // namespace onnxi::ops::ml
