// Broadcast planning and the unary kernels. Binary maps, comparisons and select live in
// elementwise_binary.cpp.
#include "kernels/cpu/elementwise.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/elementwise_detail.h"
#include "kernels/cpu/parallel.h"
#include "onnxi/error.h"

namespace onnxi::kernels {

BroadcastPlan plan_broadcast(const std::vector<std::vector<int64_t>>& inputs, const std::vector<int64_t>& out) {
  const size_t rank = out.size();
  const size_t ops = inputs.size() + 1;
  // Full strides per operand over the output's dims: 0 where the operand has size 1 (or lacks the
  // dim), contiguous otherwise. The output is the last operand.
  std::vector<std::vector<int64_t>> full(ops, std::vector<int64_t>(rank, 0));
  for (size_t k = 0; k < ops; ++k) {
    const std::vector<int64_t>& shape = k + 1 < ops ? inputs[k] : out;
    int64_t step = 1;
    for (size_t j = 0; j < shape.size() && j < rank; ++j) {
      size_t src = shape.size() - 1 - j;
      size_t dst = rank - 1 - j;
      full[k][dst] = shape[src] == 1 ? 0 : step;
      step *= shape[src];
    }
  }
  BroadcastPlan plan;
  plan.numel = 1;
  for (int64_t d : out) plan.numel *= d;
  plan.strides.assign(ops, {});
  for (size_t j = 0; j < rank; ++j) {
    if (out[j] == 1) continue;  // size-1 dims iterate nothing
    bool merge = !plan.dims.empty();
    for (size_t k = 0; k < ops && merge; ++k) merge = plan.strides[k].back() == full[k][j] * out[j];
    if (merge) {
      plan.dims.back() *= out[j];
      for (size_t k = 0; k < ops; ++k) plan.strides[k].back() = full[k][j];
    } else {
      plan.dims.push_back(out[j]);
      for (size_t k = 0; k < ops; ++k) plan.strides[k].push_back(full[k][j]);
    }
  }
  if (plan.dims.empty()) {  // every dim is 1: a single element
    plan.dims.push_back(1);
    for (auto& s : plan.strides) s.push_back(0);
  }
  return plan;
}

namespace {
constexpr int64_t kParallelGrain = 32768;
}  // namespace

void parallel_plan(const BroadcastPlan& plan,
                   const std::function<void(const BroadcastPlan& sub, const int64_t* offsets)>& fn) {
  const int64_t outer = plan.dims.front();
  const int64_t per_outer = outer > 0 ? plan.numel / outer : 0;
  if (plan.numel < 2 * kParallelGrain || outer < 2) {
    std::vector<int64_t> zero(plan.strides.size(), 0);
    fn(plan, zero.data());
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(per_outer, 1));
  parallel_for(0, outer, grain, [&](int64_t begin, int64_t end) {
    BroadcastPlan sub = plan;
    sub.dims.front() = end - begin;
    sub.numel = per_outer * (end - begin);
    std::vector<int64_t> offsets(plan.strides.size());
    for (size_t k = 0; k < offsets.size(); ++k) offsets[k] = begin * plan.strides[k].front();
    fn(sub, offsets.data());
  });
}

void parallel_elements(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn) {
  parallel_for(0, n, kParallelGrain, fn);
}

const char* unary_op_name(UnaryOp op) noexcept {
  switch (op) {
    case UnaryOp::Reciprocal: return "Reciprocal";
    case UnaryOp::Sqrt: return "Sqrt";
    case UnaryOp::Exp: return "Exp";
    case UnaryOp::Log: return "Log";
    case UnaryOp::Floor: return "Floor";
    case UnaryOp::Ceil: return "Ceil";
    case UnaryOp::Round: return "Round";
    case UnaryOp::Erf: return "Erf";
    case UnaryOp::Sin: return "Sin";
    case UnaryOp::Cos: return "Cos";
    case UnaryOp::Tan: return "Tan";
    case UnaryOp::Asin: return "Asin";
    case UnaryOp::Acos: return "Acos";
    case UnaryOp::Atan: return "Atan";
    case UnaryOp::Sinh: return "Sinh";
    case UnaryOp::Cosh: return "Cosh";
    case UnaryOp::Asinh: return "Asinh";
    case UnaryOp::Acosh: return "Acosh";
    case UnaryOp::Atanh: return "Atanh";
    case UnaryOp::Sigmoid: return "Sigmoid";
    case UnaryOp::Tanh: return "Tanh";
    case UnaryOp::LeakyRelu: return "LeakyRelu";
    case UnaryOp::Elu: return "Elu";
    case UnaryOp::Selu: return "Selu";
    case UnaryOp::Celu: return "Celu";
    case UnaryOp::Gelu: return "Gelu";
    case UnaryOp::GeluTanh: return "Gelu(tanh)";
    case UnaryOp::HardSigmoid: return "HardSigmoid";
    case UnaryOp::HardSwish: return "HardSwish";
    case UnaryOp::Softplus: return "Softplus";
    case UnaryOp::Softsign: return "Softsign";
    case UnaryOp::Mish: return "Mish";
    case UnaryOp::Swish: return "Swish";
    case UnaryOp::ThresholdedRelu: return "ThresholdedRelu";
    case UnaryOp::Abs: return "Abs";
    case UnaryOp::Neg: return "Neg";
    case UnaryOp::Sign: return "Sign";
    case UnaryOp::Relu: return "Relu";
    case UnaryOp::Shrink: return "Shrink";
    case UnaryOp::BitwiseNot: return "BitwiseNot";
    case UnaryOp::Not: return "Not";
  }
  return "?";
}

bool unary_supports_float(UnaryOp op) noexcept { return op < UnaryOp::BitwiseNot; }
bool unary_supports_integer(UnaryOp op) noexcept { return op >= UnaryOp::Abs && op <= UnaryOp::BitwiseNot; }

namespace {

template <class T>
T sigmoid(T x) {
  // Safe for every x without a branch: exp(-x) overflowing to inf gives 1 / inf = 0.
  return T(1) / (T(1) + std::exp(-x));
}

template <class T>
T softplus(T x) {
  return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

template <class T>
T clamp01(T v) {
  return v < T(0) ? T(0) : v > T(1) ? T(1) : v;
}

template <class T, class F>
void map(const T* x, T* y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

template <class T>
void unary_float(UnaryOp op, const T* x, T* y, int64_t n, const UnaryParams& p) {
  const T alpha = static_cast<T>(p.alpha), beta = static_cast<T>(p.beta), gamma = static_cast<T>(p.gamma);
  switch (op) {
    case UnaryOp::Reciprocal: return map(x, y, n, [](T v) { return T(1) / v; });
    case UnaryOp::Sqrt: return map(x, y, n, [](T v) { return std::sqrt(v); });
    case UnaryOp::Exp: return map(x, y, n, [](T v) { return std::exp(v); });
    case UnaryOp::Log: return map(x, y, n, [](T v) { return std::log(v); });
    case UnaryOp::Floor: return map(x, y, n, [](T v) { return std::floor(v); });
    case UnaryOp::Ceil: return map(x, y, n, [](T v) { return std::ceil(v); });
    // nearbyint rounds in the current mode, which is round-half-to-even unless someone changed it.
    case UnaryOp::Round: return map(x, y, n, [](T v) { return std::nearbyint(v); });
    case UnaryOp::Erf: return map(x, y, n, [](T v) { return std::erf(v); });
    case UnaryOp::Sin: return map(x, y, n, [](T v) { return std::sin(v); });
    case UnaryOp::Cos: return map(x, y, n, [](T v) { return std::cos(v); });
    case UnaryOp::Tan: return map(x, y, n, [](T v) { return std::tan(v); });
    case UnaryOp::Asin: return map(x, y, n, [](T v) { return std::asin(v); });
    case UnaryOp::Acos: return map(x, y, n, [](T v) { return std::acos(v); });
    case UnaryOp::Atan: return map(x, y, n, [](T v) { return std::atan(v); });
    case UnaryOp::Sinh: return map(x, y, n, [](T v) { return std::sinh(v); });
    case UnaryOp::Cosh: return map(x, y, n, [](T v) { return std::cosh(v); });
    case UnaryOp::Asinh: return map(x, y, n, [](T v) { return std::asinh(v); });
    case UnaryOp::Acosh: return map(x, y, n, [](T v) { return std::acosh(v); });
    case UnaryOp::Atanh: return map(x, y, n, [](T v) { return std::atanh(v); });
    case UnaryOp::Sigmoid: return map(x, y, n, [](T v) { return sigmoid(v); });
    case UnaryOp::Tanh: return map(x, y, n, [](T v) { return std::tanh(v); });
    case UnaryOp::LeakyRelu: return map(x, y, n, [=](T v) { return v < T(0) ? alpha * v : v; });
    case UnaryOp::Elu: return map(x, y, n, [=](T v) { return v < T(0) ? alpha * std::expm1(v) : v; });
    case UnaryOp::Selu:
      return map(x, y, n, [=](T v) { return v > T(0) ? gamma * v : gamma * (alpha * std::exp(v) - alpha); });
    case UnaryOp::Celu:
      return map(x, y, n, [=](T v) {
        return std::max(T(0), v) + std::min(T(0), alpha * std::expm1(v / alpha));
      });
    case UnaryOp::Gelu: {
      const T inv_sqrt2 = static_cast<T>(0.70710678118654752440);
      return map(x, y, n, [=](T v) { return T(0.5) * v * (T(1) + std::erf(v * inv_sqrt2)); });
    }
    case UnaryOp::GeluTanh: {
      const T k = static_cast<T>(0.79788456080286535588);  // sqrt(2/pi)
      return map(x, y, n, [=](T v) {
        return T(0.5) * v * (T(1) + std::tanh(k * (v + T(0.044715) * v * v * v)));
      });
    }
    // clamp01 keeps NaN (std::min(T(1), NaN) would give 1).
    case UnaryOp::HardSigmoid: return map(x, y, n, [=](T v) { return clamp01(alpha * v + beta); });
    case UnaryOp::HardSwish: return map(x, y, n, [](T v) { return v * clamp01(v / T(6) + T(0.5)); });
    case UnaryOp::Softplus: return map(x, y, n, [](T v) { return softplus(v); });
    case UnaryOp::Softsign: return map(x, y, n, [](T v) { return v / (T(1) + std::fabs(v)); });
    case UnaryOp::Mish: return map(x, y, n, [](T v) { return v * std::tanh(softplus(v)); });
    case UnaryOp::Swish: return map(x, y, n, [=](T v) { return v * sigmoid(alpha * v); });
    case UnaryOp::ThresholdedRelu: return map(x, y, n, [=](T v) { return v > alpha ? v : T(0); });
    case UnaryOp::Abs: return map(x, y, n, [](T v) { return std::fabs(v); });
    case UnaryOp::Neg: return map(x, y, n, [](T v) { return -v; });
    case UnaryOp::Sign:
      return map(x, y, n, [](T v) { return v > T(0) ? T(1) : v < T(0) ? T(-1) : v == T(0) ? T(0) : v; });
    case UnaryOp::Relu: return map(x, y, n, [](T v) { return v < T(0) ? T(0) : v; });  // NaN stays NaN
    case UnaryOp::Shrink:
      return map(x, y, n, [=](T v) { return v < -alpha ? v + beta : v > alpha ? v - beta : T(0); });
    case UnaryOp::BitwiseNot:
    case UnaryOp::Not:
      break;
  }
  fail(ErrorCode::NotImplemented, cat("unary kernel ", unary_op_name(op), " does not support floating types"));
}

template <class T>
void unary_integer(UnaryOp op, const T* x, T* y, int64_t n, const UnaryParams& p) {
  // Arithmetic in a wide-enough unsigned type wraps instead of overflowing (int8 -> int promotion
  // included), which is what ONNX runtimes do for Abs/Neg of the most negative value.
  using U = detail::WrapUnsigned<T>;
  switch (op) {
    case UnaryOp::Abs:
      return map(x, y, n, [](T v) { return detail::is_negative(v) ? T(U(0) - U(v)) : v; });
    case UnaryOp::Neg: return map(x, y, n, [](T v) { return T(U(0) - U(v)); });
    case UnaryOp::Sign: return map(x, y, n, [](T v) { return T(v > T(0) ? 1 : detail::is_negative(v) ? -1 : 0); });
    case UnaryOp::Relu: return map(x, y, n, [](T v) { return detail::is_negative(v) ? T(0) : v; });
    case UnaryOp::Shrink: {
      // The thresholds are float attributes: compare in double. An integral bias (the usual case)
      // shifts exactly, so int64 values never take a lossy trip through double.
      const bool exact = std::trunc(p.beta) == p.beta && std::fabs(p.beta) < 9.0e18;
      const U bias = exact ? static_cast<U>(static_cast<int64_t>(p.beta)) : U(0);
      return map(x, y, n, [&](T v) {
        double d = static_cast<double>(v);
        if (d >= -p.alpha && d <= p.alpha) return T(0);
        if (exact) return d < -p.alpha ? T(U(v) + bias) : T(U(v) - bias);
        return detail::saturate_cast<T>(d < -p.alpha ? d + p.beta : d - p.beta);
      });
    }
    case UnaryOp::BitwiseNot: return map(x, y, n, [](T v) { return T(~U(v)); });
    default:
      break;
  }
  fail(ErrorCode::NotImplemented, cat("unary kernel ", unary_op_name(op), " does not support integer types"));
}

}  // namespace

namespace {

using UnaryF32Fn = bool (*)(UnaryOp, const float*, float*, int64_t, const UnaryParams&);
using ClipF32Fn = void (*)(const float*, float, float, float*, int64_t);

bool unary_f32_portable(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p) {
  unary_float(op, x, y, n, p);
  return true;
}
void clip_f32_portable(const float* x, float lo, float hi, float* y, int64_t n) { clip<float>(x, lo, hi, y, n); }

struct VecTable {
  UnaryF32Fn unary;
  ClipF32Fn clip;
};

VecTable vec_table(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(detected_isa())) {
    fail(ErrorCode::InvalidArgument,
         cat("the float unary kernels for ", isa_name(isa), " were asked for, but this CPU has only ",
             isa_name(detected_isa()), "; ask for that or lower"));
  }
  switch (isa) {
    case Isa::Avx512: return {unary_f32__avx512, clip_f32__avx512};
    case Isa::Avx2: return {unary_f32__avx2, clip_f32__avx2};
    case Isa::Scalar: break;
  }
  return {unary_f32_portable, clip_f32_portable};
}

const VecTable& active_vec_table() {
  static const VecTable table = vec_table(active_isa());
  return table;
}

}  // namespace

void unary(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p) {
  if (!active_vec_table().unary(op, x, y, n, p)) unary_float(op, x, y, n, p);
}

void clip(const float* x, float lo, float hi, float* y, int64_t n) { active_vec_table().clip(x, lo, hi, y, n); }

void unary_f32_isa(Isa isa, UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p) {
  if (!vec_table(isa).unary(op, x, y, n, p)) unary_float(op, x, y, n, p);
}

void clip_f32_isa(Isa isa, const float* x, float lo, float hi, float* y, int64_t n) {
  vec_table(isa).clip(x, lo, hi, y, n);
}

void unary(UnaryOp op, const double* x, double* y, int64_t n, const UnaryParams& p) { unary_float(op, x, y, n, p); }
void unary(UnaryOp op, const int8_t* x, int8_t* y, int64_t n, const UnaryParams& p) { unary_integer(op, x, y, n, p); }
void unary(UnaryOp op, const int16_t* x, int16_t* y, int64_t n, const UnaryParams& p) { unary_integer(op, x, y, n, p); }
void unary(UnaryOp op, const int32_t* x, int32_t* y, int64_t n, const UnaryParams& p) { unary_integer(op, x, y, n, p); }
void unary(UnaryOp op, const int64_t* x, int64_t* y, int64_t n, const UnaryParams& p) { unary_integer(op, x, y, n, p); }
void unary(UnaryOp op, const uint8_t* x, uint8_t* y, int64_t n, const UnaryParams& p) { unary_integer(op, x, y, n, p); }
void unary(UnaryOp op, const uint16_t* x, uint16_t* y, int64_t n, const UnaryParams& p) { unary_integer(op, x, y, n, p); }
void unary(UnaryOp op, const uint32_t* x, uint32_t* y, int64_t n, const UnaryParams& p) { unary_integer(op, x, y, n, p); }
void unary(UnaryOp op, const uint64_t* x, uint64_t* y, int64_t n, const UnaryParams& p) { unary_integer(op, x, y, n, p); }

void unary(UnaryOp op, const bool* x, bool* y, int64_t n, const UnaryParams&) {
  if (op != UnaryOp::Not) {
    fail(ErrorCode::NotImplemented, cat("unary kernel ", unary_op_name(op), " does not support bool"));
  }
  map(x, y, n, [](bool v) { return !v; });
}

namespace {

template <class T>
void classify_impl(ClassifyOp op, const T* x, bool* y, int64_t n) {
  const T inf = std::numeric_limits<T>::infinity();
  switch (op) {
    case ClassifyOp::IsNaN:
      for (int64_t i = 0; i < n; ++i) y[i] = std::isnan(x[i]);
      return;
    case ClassifyOp::IsPosInf:
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] == inf;
      return;
    case ClassifyOp::IsNegInf:
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] == -inf;
      return;
    case ClassifyOp::IsInf:
      for (int64_t i = 0; i < n; ++i) y[i] = std::isinf(x[i]);
      return;
  }
}

}  // namespace

void scale_f32_in_f64(const float* src, double s, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(static_cast<double>(src[i]) * s);
}

void classify(ClassifyOp op, const float* x, bool* y, int64_t n) { classify_impl(op, x, y, n); }
void classify(ClassifyOp op, const double* x, bool* y, int64_t n) { classify_impl(op, x, y, n); }

}  // namespace onnxi::kernels
