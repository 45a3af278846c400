// Unary math without attributes (Abs, Neg, Sqrt, Exp, Log, rounding, Erf, trigonometry,
// BitwiseNot) and the float classifiers IsNaN / IsInf.
#include "ops/common.h"
#include "ops/math/dispatch.h"
#include "ops/math/math.h"

namespace onnxi::ops::math {

namespace {

using kernels::UnaryOp;

void infer_unary(InferContext& ctx) { infer_same_as_input(ctx); }

void infer_bool(InferContext& ctx) { infer_same_shape(ctx, DataType::Bool); }

// IsNaN / IsInf accept every float type, the float8 family included; those convert to double.
void compute_classify(KernelContext& ctx, kernels::ClassifyOp op, bool enabled) {
  const Tensor& x = ctx.input(0);
  DataType t = x.dtype();
  if (!is_floating(t) || is_packed(t)) {
    fail_type(ctx, 0, t, "float, double, float16, bfloat16, float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz");
  }
  Tensor& out = ctx.allocate_output(0, DataType::Bool, x.shape());
  if (!enabled) return;  // IsInf with both detect flags off: all false
  if (t == DataType::Float) {
    kernels::classify(op, x.data<float>(), out.data<bool>(), x.numel());
  } else {
    Tensor wide = to_f64(x);
    kernels::classify(op, wide.data<double>(), out.data<bool>(), x.numel());
  }
}

OpDef::CreateFn isinf_kernel() {
  return [](const KernelInit& init) {
    bool neg = init.node.attr_int("detect_negative", 1) != 0;
    bool pos = init.node.attr_int("detect_positive", 1) != 0;
    kernels::ClassifyOp op = neg && pos ? kernels::ClassifyOp::IsInf
                             : neg      ? kernels::ClassifyOp::IsNegInf
                                        : kernels::ClassifyOp::IsPosInf;
    bool enabled = neg || pos;
    return make_kernel([op, enabled](KernelContext& ctx) { compute_classify(ctx, op, enabled); });
  };
}

}  // namespace

void register_unary(Registry& r) {
  struct Entry {
    const char* name;
    int since;
    UnaryOp op;
    const char* types;
  };
  const char* abs_types = kNumericTypes;
  const char* neg_types = "float, double, float16, bfloat16, int8, int16, int32, int64";
  const Entry entries[] = {
      {"Abs", 1, UnaryOp::Abs, abs_types},
      {"Neg", 1, UnaryOp::Neg, neg_types},
      {"Sign", 9, UnaryOp::Sign, kNumericTypes},
      {"Reciprocal", 1, UnaryOp::Reciprocal, kFloatTypes},
      {"Sqrt", 1, UnaryOp::Sqrt, kFloatTypes},
      {"Exp", 1, UnaryOp::Exp, kFloatTypes},
      {"Log", 1, UnaryOp::Log, kFloatTypes},
      {"Floor", 1, UnaryOp::Floor, kFloatTypes},
      {"Ceil", 1, UnaryOp::Ceil, kFloatTypes},
      {"Round", 11, UnaryOp::Round, kFloatTypes},
      {"Erf", 9, UnaryOp::Erf, kFloatTypes},
      {"Sin", 7, UnaryOp::Sin, kFloatTypes},
      {"Cos", 7, UnaryOp::Cos, kFloatTypes},
      {"Tan", 7, UnaryOp::Tan, kFloatTypes},
      {"Asin", 7, UnaryOp::Asin, kFloatTypes},
      {"Acos", 7, UnaryOp::Acos, kFloatTypes},
      {"Atan", 7, UnaryOp::Atan, kFloatTypes},
      {"Sinh", 9, UnaryOp::Sinh, kFloatTypes},
      {"Cosh", 9, UnaryOp::Cosh, kFloatTypes},
      {"Asinh", 9, UnaryOp::Asinh, kFloatTypes},
      {"Acosh", 9, UnaryOp::Acosh, kFloatTypes},
      {"Atanh", 9, UnaryOp::Atanh, kFloatTypes},
      {"BitwiseNot", 18, UnaryOp::BitwiseNot, kIntegerTypes},
  };
  for (const Entry& e : entries) {
    r.add(make_def(e.name, e.since, kLatestOpset, infer_unary, unary_create(e.op, e.types), e.types));
  }
  r.add(make_def(
      "IsNaN", 9, kLatestOpset, infer_bool,
      [](const KernelInit&) {
        return make_kernel([](KernelContext& ctx) { compute_classify(ctx, kernels::ClassifyOp::IsNaN, true); });
      },
      "float, double, float16, bfloat16, float8*"));
  r.add(make_def("IsInf", 10, kLatestOpset, infer_bool, isinf_kernel(), "float, double, float16, bfloat16, float8*"));
}

}  // namespace onnxi::ops::math
