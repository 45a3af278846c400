// Double-precision references of the vectorized float functions (kernels/cpu/vec_math.h) and their
// error in ulp, shared by the exhaustive sweep (bench/ulp_sweep.cpp) and the sampled doctest
// (tests/unit/test_elementwise_vec.cpp), so both measure the same thing.
#pragma once

#include <cfloat>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/elementwise.h"

namespace onnxi::ulp {

inline double ref_gelu(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }
// 0.5 (1 + tanh(u)) = 1 / (1 + exp(-2u)): no cancellation for x << 0, even in double.
inline double ref_gelu_tanh(double x) {
  return x / (1.0 + std::exp(-2.0 * 0.79788456080286535588 * (x + 0.044715 * x * x * x)));
}
inline double ref_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double ref_softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
inline double ref_mish(double x) { return x * std::tanh(ref_softplus(x)); }
inline double ref_swish(double x) { return x * ref_sigmoid(x); }  // alpha = 1: SiLU
inline double ref_exp(double x) { return std::exp(x); }
inline double ref_log(double x) { return std::log(x); }
inline double ref_erf(double x) { return std::erf(x); }
inline double ref_tanh(double x) { return std::tanh(x); }

struct Function {
  const char* name;
  kernels::UnaryOp op;
  double (*ref)(double);
  // Inputs where the bound holds (all finite floats unless narrower), and the bound in ulp that
  // tests assert: the max of bench/ulp_sweep (kernels/cpu/vec_math.h's table) rounded up.
  double lo, hi;
  double max_ulp;
  // Below this |reference| the error is judged in absolute terms instead (0: never).
  double abs_floor;
  kernels::UnaryParams params = {};
};

// |y - ref| in units of the spacing of floats at ref (a correctly rounded y is within 0.5): 0 when
// both are the same NaN/inf, infinity when y is NaN/inf and ref is not (after rounding to float).
inline double ulp_error(float y, double ref) {
  if (std::isnan(ref)) return std::isnan(y) ? 0.0 : INFINITY;
  if (std::isnan(y)) return INFINITY;
  const float rounded = static_cast<float>(ref);
  if (std::isinf(rounded) || std::isinf(y)) return y == rounded ? 0.0 : INFINITY;
  int e = 0;
  std::frexp(std::fabs(ref), &e);
  const double ulp = std::fabs(ref) < FLT_MIN ? std::ldexp(1.0, -149) : std::ldexp(1.0, e - 24);
  return std::fabs(static_cast<double>(y) - ref) / ulp;
}

// The measured functions. Inputs: every finite float (lo/hi = the whole range), except log (x > 0).
inline const std::vector<Function>& functions() {
  using kernels::UnaryOp;
  constexpr double kMax = FLT_MAX;
  static const std::vector<Function> list = {
      {"exp", UnaryOp::Exp, ref_exp, -kMax, kMax, 1.0, 0},
      {"log", UnaryOp::Log, ref_log, 0x1p-149, kMax, 0.9, 0},
      {"erf", UnaryOp::Erf, ref_erf, -kMax, kMax, 1.5, 0},
      {"gelu", UnaryOp::Gelu, ref_gelu, -kMax, kMax, 7.5, 0},
      {"gelu_tanh", UnaryOp::GeluTanh, ref_gelu_tanh, -kMax, kMax, 3.5, 0},
      {"sigmoid", UnaryOp::Sigmoid, ref_sigmoid, -kMax, kMax, 2.5, 0},
      {"tanh", UnaryOp::Tanh, ref_tanh, -kMax, kMax, 1.9, 0},
      {"softplus", UnaryOp::Softplus, ref_softplus, -kMax, kMax, 2.2, 0},
      {"mish", UnaryOp::Mish, ref_mish, -kMax, kMax, 4.6, 1e-30},
      {"swish", UnaryOp::Swish, ref_swish, -kMax, kMax, 3.3, 0, {1.0, 0, 0}},
  };
  return list;
}

}  // namespace onnxi::ulp
