// Binary arithmetic: Add, Sub, Mul, Div, Pow, Mod, BitShift, BitwiseAnd/Or/Xor.
#include <cmath>

#include "ops/common.h"
#include "ops/math/dispatch.h"
#include "ops/math/math.h"

namespace onnxi::ops::math {

namespace {

using kernels::BinaryOp;

void compute_binary(KernelContext& ctx, BinaryOp op, const LegacyBroadcast& legacy, const char* types) {
  const Tensor& a = ctx.input(0);
  const Tensor& b_in = same_type_input(ctx, 1);
  if (!binary_accepts(op, a.dtype())) fail_type(ctx, 0, a.dtype(), types);
  Tensor b = legacy.apply(ctx, a, b_in);
  Shape out_shape = broadcast_shapes(a.shape(), b.shape(), ctx.node());
  Tensor& out = ctx.allocate_output_uninitialized(0, a.dtype(), out_shape);
  binary_into(ctx, op, a, b, out);
}

void infer_binary(InferContext& ctx) {
  if (ctx.opset < 7) {
    infer_same_as_input(ctx, 0, 0);
  } else {
    infer_broadcast(ctx);
  }
}

OpDef::CreateFn binary_kernel(BinaryOp op, const char* types) {
  return [op, types](const KernelInit& init) {
    LegacyBroadcast legacy = LegacyBroadcast::from(init);
    return make_kernel([op, types, legacy](KernelContext& ctx) { compute_binary(ctx, op, legacy, types); });
  };
}

// Pow's exponent may have another numeric type than the base; the output has the base's type.
void compute_pow(KernelContext& ctx, const LegacyBroadcast& legacy) {
  const char* base_types = "float, double, float16, bfloat16, int32, int64";
  const Tensor& a = ctx.input(0);
  const Tensor& b_in = ctx.input(1);
  DataType ta = a.dtype(), tb = b_in.dtype();
  if (!is_float_like(ta) && ta != DataType::Int32 && ta != DataType::Int64) fail_type(ctx, 0, ta, base_types);
  if (!is_float_like(tb) && !is_plain_integer(tb)) fail_type(ctx, 1, tb, kNumericTypes);
  Tensor b = legacy.apply(ctx, a, b_in);
  Shape out_shape = broadcast_shapes(a.shape(), b.shape(), ctx.node());
  // Float base, one exponent of 2 (LayerNorm's variance as PyTorch exports it), 1 or 0.5: a
  // multiply, copy or square root instead of pow() per element, with identical results.
  if (ta == DataType::Float && b.numel() == 1 && is_float_like(tb) && out_shape == a.shape()) {
    const double e = to_f64(b).data<double>()[0];
    if (e == 2.0 || e == 1.0 || e == 0.5) {
      Tensor& out = ctx.allocate_output_uninitialized(0, ta, out_shape);
      const float* px = a.data<float>();
      float* py = out.data<float>();
      kernels::parallel_elements(a.numel(), [&](int64_t begin, int64_t end) {
        if (e == 2.0) {
          for (int64_t i = begin; i < end; ++i) py[i] = px[i] * px[i];
        } else if (e == 1.0) {
          for (int64_t i = begin; i < end; ++i) py[i] = px[i];
        } else {
          for (int64_t i = begin; i < end; ++i) py[i] = std::sqrt(px[i]);
        }
      });
      return;
    }
  }
  Tensor& out = ctx.allocate_output(0, ta, out_shape);
  if (compute_type(tb) == compute_type(ta)) {
    binary_into(ctx, BinaryOp::Pow, a, b, out);
    return;
  }
  kernels::BroadcastPlan plan = plan_for({&a, &b}, out_shape);
  if (is_plain_integer(ta) && is_plain_integer(tb)) {
    // Integer powers stay exact: compute in int64 (wrapping), then keep the base type's low bits.
    Tensor base = to_i64(a), exponent = to_i64(b);
    Tensor wide = ta == DataType::Int64 ? out : Tensor(DataType::Int64, out_shape);
    kernels::binary(BinaryOp::Pow, base.data<int64_t>(), exponent.data<int64_t>(), wide.data<int64_t>(), plan);
    if (ta == DataType::Int32) {
      for (int64_t i = 0; i < out.numel(); ++i) out.data<int32_t>()[i] = static_cast<int32_t>(wide.data<int64_t>()[i]);
    }
    return;
  }
  Tensor base = to_compute(a), exponent = to_f64(b), buf = compute_buffer(out);
  const double* e = exponent.data<double>();
  switch (base.dtype()) {
    case DataType::Float: kernels::pow_f64_exponent(base.data<float>(), e, buf.data<float>(), plan); break;
    case DataType::Double: kernels::pow_f64_exponent(base.data<double>(), e, buf.data<double>(), plan); break;
    case DataType::Int32: kernels::pow_f64_exponent(base.data<int32_t>(), e, buf.data<int32_t>(), plan); break;
    case DataType::Int64: kernels::pow_f64_exponent(base.data<int64_t>(), e, buf.data<int64_t>(), plan); break;
    default: fail_type(ctx, 0, ta, base_types);
  }
  store_computed(buf, out);
}

OpDef::CreateFn mod_kernel() {
  return [](const KernelInit& init) {
    int64_t fmod = init.node.attr_int("fmod", 0);
    if (fmod != 0 && fmod != 1) init.fail(cat("attribute fmod is ", fmod, "; it must be 0 or 1"));
    BinaryOp op = fmod ? BinaryOp::FMod : BinaryOp::Mod;
    return make_kernel([op](KernelContext& ctx) { compute_binary(ctx, op, LegacyBroadcast{}, kNumericTypes); });
  };
}

OpDef::CreateFn bitshift_kernel() {
  return [](const KernelInit& init) {
    std::string direction = init.node.attr_string("direction", "");
    if (direction != "LEFT" && direction != "RIGHT") {
      init.fail(cat("attribute direction is '", direction, "'; it must be \"LEFT\" or \"RIGHT\""));
    }
    BinaryOp op = direction == "LEFT" ? BinaryOp::ShiftLeft : BinaryOp::ShiftRight;
    return make_kernel([op](KernelContext& ctx) { compute_binary(ctx, op, LegacyBroadcast{}, kIntegerTypes); });
  };
}

}  // namespace

void register_binary(Registry& r) {
  struct Arith {
    const char* name;
    BinaryOp op;
  };
  for (Arith a : {Arith{"Add", BinaryOp::Add}, Arith{"Sub", BinaryOp::Sub}, Arith{"Mul", BinaryOp::Mul},
                  Arith{"Div", BinaryOp::Div}}) {
    r.add(make_def(a.name, 1, 6, infer_binary, binary_kernel(a.op, kNumericTypes), kNumericTypes));
    r.add(make_def(a.name, 7, kLatestOpset, infer_binary, binary_kernel(a.op, kNumericTypes), kNumericTypes));
  }
  auto pow_kernel = [](const KernelInit& init) {
    LegacyBroadcast legacy = LegacyBroadcast::from(init);
    return make_kernel([legacy](KernelContext& ctx) { compute_pow(ctx, legacy); });
  };
  const char* pow_types = "base: float, double, float16, bfloat16, int32, int64; exponent: any numeric";
  r.add(make_def("Pow", 1, 6, infer_binary, pow_kernel, pow_types));
  r.add(make_def("Pow", 7, kLatestOpset, infer_binary, pow_kernel, pow_types));
  r.add(make_def("Mod", 10, kLatestOpset, infer_binary, mod_kernel(), kNumericTypes));
  r.add(make_def("BitShift", 11, kLatestOpset, infer_binary, bitshift_kernel(), kIntegerTypes));
  r.add(make_def("BitwiseAnd", 18, kLatestOpset, infer_binary, binary_kernel(BinaryOp::BitAnd, kIntegerTypes),
                 kIntegerTypes));
  r.add(make_def("BitwiseOr", 18, kLatestOpset, infer_binary, binary_kernel(BinaryOp::BitOr, kIntegerTypes),
                 kIntegerTypes));
  r.add(make_def("BitwiseXor", 18, kLatestOpset, infer_binary, binary_kernel(BinaryOp::BitXor, kIntegerTypes),
                 kIntegerTypes));
}

}  // namespace onnxi::ops::math
