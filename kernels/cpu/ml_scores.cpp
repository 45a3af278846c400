#include "kernels/cpu/ml_scores.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

double winitzki_erfinv(double x) {
  const double sign = x < 0 ? -1.0 : 1.0;
  const double one_minus_sq = (1.0 - x) * (1.0 + x);
  if (one_minus_sq == 0) return 0;  // as the reference does at |x| = 1
  constexpr double a = 0.147;
  const double ln = std::log(one_minus_sq);
  const double v = 2.0 / (std::numbers::pi * a) + 0.5 * ln;
  return sign * std::sqrt(-v + std::sqrt(v * v - ln / a));
}

void softmax_row(double* s, int64_t n) {
  if (n == 0) return;
  const double mx = *std::max_element(s, s + n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    s[i] = std::exp(s[i] - mx);
    sum += s[i];
  }
  for (int64_t i = 0; i < n; ++i) s[i] /= sum;
}

// Softmax over the entries that are not (nearly) zero: zeros contribute nothing and stay ~0.
void softmax_zero_row(double* s, int64_t n) {
  if (n == 0) return;
  const double mx = *std::max_element(s, s + n);
  const double exp_neg_max = std::exp(-mx);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (s[i] > 1e-7 || s[i] < -1e-7) {
      s[i] = std::exp(s[i] - mx);
    } else {
      s[i] *= exp_neg_max;
    }
    sum += s[i];
  }
  if (sum == 0) {
    std::fill(s, s + n, 0.5);
    return;
  }
  for (int64_t i = 0; i < n; ++i) s[i] /= sum;
}

}  // namespace

double ml_logistic(double x) {
  const double v = 1.0 / (1.0 + std::exp(-std::fabs(x)));
  return x < 0 ? 1.0 - v : v;
}

double ml_probit(double p) { return std::numbers::sqrt2 * winitzki_erfinv(2.0 * p - 1.0); }

void ml_transform_scores(ScoreTransform t, double* scores, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  switch (t) {
    case ScoreTransform::None: return;
    case ScoreTransform::Logistic:
      for (int64_t i = 0; i < n; ++i) scores[i] = ml_logistic(scores[i]);
      return;
    case ScoreTransform::Probit:
      for (int64_t i = 0; i < n; ++i) scores[i] = ml_probit(scores[i]);
      return;
    case ScoreTransform::Softmax:
      for (int64_t r = 0; r < rows; ++r) softmax_row(scores + r * cols, cols);
      return;
    case ScoreTransform::SoftmaxZero:
      for (int64_t r = 0; r < rows; ++r) softmax_zero_row(scores + r * cols, cols);
      return;
  }
}

void ml_linear_scores(const double* x, int64_t rows, int64_t features, const double* coef, int64_t targets,
                      const double* intercepts, double* out) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, features * targets));
  parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const double* xr = x + r * features;
      for (int64_t t = 0; t < targets; ++t) {
        const double* w = coef + t * features;
        double acc = intercepts ? intercepts[t] : 0.0;
        for (int64_t f = 0; f < features; ++f) acc += xr[f] * w[f];
        out[r * targets + t] = acc;
      }
    }
  });
}

double ml_svm_kernel(const SvmKernelParams& p, const double* x, const double* sv, int64_t features) {
  if (p.type == SvmKernel::Rbf) {
    double d2 = 0;
    for (int64_t f = 0; f < features; ++f) {
      const double d = x[f] - sv[f];
      d2 += d * d;
    }
    return std::exp(-p.gamma * d2);
  }
  double dot = 0;
  for (int64_t f = 0; f < features; ++f) dot += x[f] * sv[f];
  switch (p.type) {
    case SvmKernel::Linear: return dot;
    case SvmKernel::Poly: return std::pow(p.gamma * dot + p.coef0, p.degree);
    case SvmKernel::Sigmoid: return std::tanh(p.gamma * dot + p.coef0);
    case SvmKernel::Rbf: break;
  }
  return dot;
}

void ml_svm_couple_probabilities(int64_t k, const double* r, double* p) {
  if (k <= 0) return;
  std::vector<double> q(static_cast<size_t>(k * k), 0.0), qp(static_cast<size_t>(k));
  auto Q = [&](int64_t i, int64_t j) -> double& { return q[static_cast<size_t>(i * k + j)]; };
  auto R = [&](int64_t i, int64_t j) { return r[i * k + j]; };
  for (int64_t t = 0; t < k; ++t) {
    p[t] = 1.0 / static_cast<double>(k);
    for (int64_t j = 0; j < t; ++j) {
      Q(t, t) += R(j, t) * R(j, t);
      Q(t, j) = Q(j, t);
    }
    for (int64_t j = t + 1; j < k; ++j) {
      Q(t, t) += R(j, t) * R(j, t);
      Q(t, j) = -R(j, t) * R(t, j);
    }
  }
  const int64_t max_iter = std::max<int64_t>(100, k);
  const double eps = 0.005 / static_cast<double>(k);
  for (int64_t iter = 0; iter < max_iter; ++iter) {
    double pqp = 0;
    for (int64_t t = 0; t < k; ++t) {
      qp[static_cast<size_t>(t)] = 0;
      for (int64_t j = 0; j < k; ++j) qp[static_cast<size_t>(t)] += Q(t, j) * p[j];
      pqp += p[t] * qp[static_cast<size_t>(t)];
    }
    double max_error = 0;
    for (int64_t t = 0; t < k; ++t) max_error = std::max(max_error, std::fabs(qp[static_cast<size_t>(t)] - pqp));
    if (max_error < eps) break;
    for (int64_t t = 0; t < k; ++t) {
      const double diff = (-qp[static_cast<size_t>(t)] + pqp) / Q(t, t);
      p[t] += diff;
      pqp = (pqp + diff * (diff * Q(t, t) + 2 * qp[static_cast<size_t>(t)])) / (1 + diff) / (1 + diff);
      for (int64_t j = 0; j < k; ++j) {
        qp[static_cast<size_t>(j)] = (qp[static_cast<size_t>(j)] + diff * Q(t, j)) / (1 + diff);
        p[j] /= 1 + diff;
      }
    }
  }
}

}  // namespace onnxi::kernels
