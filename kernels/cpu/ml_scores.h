// Score arithmetic shared by the ai.onnx.ml models: the post transforms (post_transform), linear
// scores (LinearClassifier, LinearRegressor) and SVM kernel functions. Everything is float64.
#pragma once

#include <cstdint>

namespace onnxi::kernels {

// Values are those of TreeEnsemble's post_transform.
enum class ScoreTransform : uint8_t { None = 0, Softmax = 1, Logistic = 2, SoftmaxZero = 3, Probit = 4 };

double ml_logistic(double x);  // 1 / (1 + e^-x), without overflow for large |x|
// sqrt(2) * erfinv(2p - 1) with Winitzki's closed-form erfinv (a = 0.147), the approximation both
// onnxruntime and the ONNX reference use, so probit scores agree with theirs.
double ml_probit(double p);

// Applies `t` to each row of scores[rows, cols] in place: Logistic and Probit elementwise, Softmax
// over the row, SoftmaxZero over the row's non-zero entries (zeros stay 0; an all-zero row gives 0.5s).
void ml_transform_scores(ScoreTransform t, double* scores, int64_t rows, int64_t cols);

// out[r, t] = sum_f x[r, f] * coef[t, f] (+ intercepts[t] when intercepts is not null).
void ml_linear_scores(const double* x, int64_t rows, int64_t features, const double* coef, int64_t targets,
                      const double* intercepts, double* out);

enum class SvmKernel : uint8_t { Linear, Poly, Rbf, Sigmoid };

struct SvmKernelParams {
  SvmKernel type = SvmKernel::Linear;
  double gamma = 0;
  double coef0 = 0;
  double degree = 0;
};

// k(x, sv) over `features` values: Linear x.sv, Poly (gamma x.sv + coef0)^degree,
// Rbf exp(-gamma |x - sv|^2), Sigmoid tanh(gamma x.sv + coef0).
double ml_svm_kernel(const SvmKernelParams& p, const double* x, const double* sv, int64_t features);

// libsvm's pairwise coupling (Wu, Lin and Weng 2004, as libsvm's multiclass_probability): class
// probabilities p[k] from pairwise estimates r[k, k] (r[i, j] = P(i | i or j), r[j, i] = 1 - r[i, j]).
void ml_svm_couple_probabilities(int64_t k, const double* r, double* p);

}  // namespace onnxi::kernels
