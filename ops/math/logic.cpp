// Boolean logic (And, Or, Xor, Not) and comparisons (Equal, Less, Greater, LessOrEqual,
// GreaterOrEqual); all produce bool.
#include "ops/common.h"
#include "ops/math/dispatch.h"
#include "ops/math/math.h"

namespace onnxi::ops::math {

namespace {

using kernels::BinaryOp;
using kernels::CompareOp;

void infer_bool_binary(InferContext& ctx) {
  if (ctx.opset < 7) {
    infer_same_shape(ctx, DataType::Bool);
  } else {
    infer_broadcast(ctx, DataType::Bool);
  }
}

void compute_logic(KernelContext& ctx, BinaryOp op, const LegacyBroadcast& legacy) {
  const Tensor& a = ctx.input(0);
  const Tensor& b_in = same_type_input(ctx, 1);
  if (a.dtype() != DataType::Bool) fail_type(ctx, 0, a.dtype(), "bool");
  Tensor b = legacy.apply(ctx, a, b_in);
  Shape out_shape = broadcast_shapes(a.shape(), b.shape(), ctx.node());
  Tensor& out = ctx.allocate_output(0, DataType::Bool, out_shape);
  binary_into(ctx, op, a, b, out);
}

void compute_compare(KernelContext& ctx, CompareOp op, const LegacyBroadcast& legacy) {
  const Tensor& a = ctx.input(0);
  const Tensor& b_in = same_type_input(ctx, 1);
  DataType t = a.dtype();
  bool ok = is_float_like(t) || is_plain_integer(t) || t == DataType::Bool ||
            (t == DataType::String && op == CompareOp::Equal);
  if (!ok) fail_type(ctx, 0, t, op == CompareOp::Equal ? "numeric types, bool, string" : "numeric types, bool");
  Tensor b = legacy.apply(ctx, a, b_in);
  Shape out_shape = broadcast_shapes(a.shape(), b.shape(), ctx.node());
  Tensor& out = ctx.allocate_output(0, DataType::Bool, out_shape);
  kernels::BroadcastPlan plan = plan_for({&a, &b}, out_shape);
  if (t == DataType::String) {
    kernels::compare(op, a.data<std::string>(), b.data<std::string>(), out.data<bool>(), plan);
    return;
  }
  Tensor ca = to_compute(a), cb = to_compute(b);
  visit_compute_type(ca.dtype(), ctx, [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::compare(op, ca.template data<T>(), cb.template data<T>(), out.data<bool>(), plan);
  });
}

OpDef::CreateFn logic_kernel(BinaryOp op) {
  return [op](const KernelInit& init) {
    LegacyBroadcast legacy = LegacyBroadcast::from(init);
    return make_kernel([op, legacy](KernelContext& ctx) { compute_logic(ctx, op, legacy); });
  };
}

OpDef::CreateFn compare_kernel(CompareOp op) {
  return [op](const KernelInit& init) {
    LegacyBroadcast legacy = LegacyBroadcast::from(init);
    return make_kernel([op, legacy](KernelContext& ctx) { compute_compare(ctx, op, legacy); });
  };
}

}  // namespace

void register_logic(Registry& r) {
  struct Logic {
    const char* name;
    BinaryOp op;
  };
  for (Logic l : {Logic{"And", BinaryOp::And}, Logic{"Or", BinaryOp::Or}, Logic{"Xor", BinaryOp::Xor}}) {
    r.add(make_def(l.name, 1, 6, infer_bool_binary, logic_kernel(l.op), "bool"));
    r.add(make_def(l.name, 7, kLatestOpset, infer_bool_binary, logic_kernel(l.op), "bool"));
  }
  r.add(make_def("Not", 1, kLatestOpset, [](InferContext& ctx) { infer_same_shape(ctx, DataType::Bool); },
                 unary_create(kernels::UnaryOp::Not, "bool"), "bool"));

  const char* compare_types = "float, double, float16, bfloat16, int8..int64, uint8..uint64, bool";
  struct Compare {
    const char* name;
    int since;
    CompareOp op;
    bool legacy_form;  // had the broadcast/axis attributes before opset 7
  };
  const Compare compares[] = {
      {"Equal", 1, CompareOp::Equal, true},
      {"Less", 1, CompareOp::Less, true},
      {"Greater", 1, CompareOp::Greater, true},
      {"LessOrEqual", 12, CompareOp::LessOrEqual, false},
      {"GreaterOrEqual", 12, CompareOp::GreaterOrEqual, false},
  };
  for (const Compare& c : compares) {
    const char* types = c.op == CompareOp::Equal ? "float, double, float16, bfloat16, int8..int64, uint8..uint64, bool, string"
                                                 : compare_types;
    if (c.legacy_form) {
      r.add(make_def(c.name, 1, 6, infer_bool_binary, compare_kernel(c.op), types));
      r.add(make_def(c.name, 7, kLatestOpset, infer_bool_binary, compare_kernel(c.op), types));
    } else {
      r.add(make_def(c.name, c.since, kLatestOpset, infer_bool_binary, compare_kernel(c.op), types));
    }
  }
}

}  // namespace onnxi::ops::math
