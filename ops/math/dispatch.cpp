#include "ops/math/dispatch.h"

#include "onnxi/float_types.h"
#include "ops/common.h"

namespace onnxi::ops::math {

bool widens_to_f32(DataType t) noexcept { return t == DataType::Float16 || t == DataType::BFloat16; }

DataType compute_type(DataType t) noexcept { return widens_to_f32(t) ? DataType::Float : t; }

Tensor to_compute(const Tensor& t) {
  if (!widens_to_f32(t.dtype())) return t;
  Tensor out(DataType::Float, t.shape());
  const uint16_t* src = t.data<uint16_t>();
  float* dst = out.data<float>();
  const int64_t n = t.numel();
  if (t.dtype() == DataType::Float16) {
    for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(src[i]);
  }
  return out;
}

Tensor compute_buffer(const Tensor& out) {
  return widens_to_f32(out.dtype()) ? Tensor(DataType::Float, out.shape()) : out;
}

void store_computed(const Tensor& buffer, Tensor& out) {
  if (buffer.raw() == out.raw()) return;
  const float* src = buffer.data<float>();
  uint16_t* dst = out.data<uint16_t>();
  const int64_t n = out.numel();
  if (out.dtype() == DataType::Float16) {
    for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_f16(src[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_bf16(src[i]);
  }
}

Tensor to_f64(const Tensor& t) {
  if (t.dtype() == DataType::Double) return t;
  Tensor out(DataType::Double, t.shape());
  double* dst = out.data<double>();
  const int64_t n = t.numel();
  // int64/uint64 convert element by element: the bulk converter leaves them to the caller.
  if (t.dtype() == DataType::Int64) {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<double>(t.data<int64_t>()[i]);
  } else if (t.dtype() == DataType::UInt64) {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<double>(t.data<uint64_t>()[i]);
  } else {
    convert_to_f64(t.dtype(), t.raw(), dst, n);
  }
  return out;
}

Tensor to_i64(const Tensor& t) {
  if (t.dtype() == DataType::Int64) return t;
  Tensor out(DataType::Int64, t.shape());
  int64_t* dst = out.data<int64_t>();
  const int64_t n = t.numel();
  auto copy = [&](auto* src) {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<int64_t>(src[i]);
  };
  switch (t.dtype()) {
    case DataType::Int8: copy(t.data<int8_t>()); break;
    case DataType::Int16: copy(t.data<int16_t>()); break;
    case DataType::Int32: copy(t.data<int32_t>()); break;
    case DataType::UInt8: copy(t.data<uint8_t>()); break;
    case DataType::UInt16: copy(t.data<uint16_t>()); break;
    case DataType::UInt32: copy(t.data<uint32_t>()); break;
    case DataType::UInt64:
      // Values past INT64_MAX saturate: only exponents come through here, and any exponent that
      // large already over- or underflows.
      for (int64_t i = 0; i < n; ++i) {
        uint64_t v = t.data<uint64_t>()[i];
        dst[i] = v > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v);
      }
      break;
    case DataType::Bool: copy(t.data<bool>()); break;
    default:
      fail(ErrorCode::InvalidArgument, cat("to_i64: ", dtype_name(t.dtype()), " is not an integer type"));
  }
  return out;
}

bool is_float_like(DataType t) noexcept {
  return t == DataType::Float || t == DataType::Double || t == DataType::Float16 || t == DataType::BFloat16;
}

bool is_plain_integer(DataType t) noexcept {
  switch (t) {
    case DataType::Int8: case DataType::Int16: case DataType::Int32: case DataType::Int64:
    case DataType::UInt8: case DataType::UInt16: case DataType::UInt32: case DataType::UInt64:
      return true;
    default:
      return false;
  }
}

void fail_type(const KernelContext& ctx, size_t input, DataType t, const std::string& accepted) {
  const Node& node = ctx.node();
  std::string name = input < node.inputs.size() ? node.inputs[input] : std::string();
  ctx.fail(cat("input ", input, " ('", name, "') has element type ", dtype_name(t),
               ", which this op does not accept; use one of: ", accepted));
}

const Tensor& same_type_input(const KernelContext& ctx, size_t i) {
  const Tensor& t = ctx.input(i);
  if (i > 0) {
    DataType first = ctx.input(0).dtype();
    if (t.dtype() != first) {
      const Node& node = ctx.node();
      ctx.fail(cat("input ", i, " ('", node.inputs[i], "') is ", dtype_name(t.dtype()), " but input 0 ('",
                   node.inputs[0], "') is ", dtype_name(first), "; both must have the same element type (insert a Cast)"));
    }
  }
  return t;
}

Shape legacy_broadcast_shape(const KernelContext& ctx, const Shape& a, const Shape& b, bool broadcast,
                             bool has_axis, int64_t axis) {
  if (!broadcast) {
    if (a != b) {
      ctx.fail(cat("inputs have shapes ", shape_str(a), " and ", shape_str(b),
                   "; before opset 7 they must match unless the attribute broadcast=1 is set"));
    }
    return b;
  }
  if (shape_numel(b) == 1) return Shape{};  // a one-element B applies to every element of A
  const int64_t ra = static_cast<int64_t>(a.size()), rb = static_cast<int64_t>(b.size());
  if (rb > ra) {
    ctx.fail(cat("input B ", shape_str(b), " has a higher rank than A ", shape_str(a),
                 "; legacy broadcasting (broadcast=1) only stretches B onto A"));
  }
  int64_t start = has_axis ? (axis < 0 ? axis + ra : axis) : ra - rb;
  if (start < 0 || start + rb > ra) {
    ctx.fail(cat("axis ", axis, " places B ", shape_str(b), " outside A ", shape_str(a),
                 "; use an axis in [0, ", ra - rb, "]"));
  }
  Shape eff(static_cast<size_t>(ra), 1);
  for (int64_t i = 0; i < rb; ++i) {
    int64_t d = b[static_cast<size_t>(i)];
    if (d != 1 && d != a[static_cast<size_t>(start + i)]) {
      ctx.fail(cat("B ", shape_str(b), " does not match A ", shape_str(a), " at axis ", start + i,
                   " (legacy broadcasting aligns B at axis ", start, ")"));
    }
    eff[static_cast<size_t>(start + i)] = d;
  }
  return eff;
}

LegacyBroadcast LegacyBroadcast::from(const KernelInit& init) {
  LegacyBroadcast l;
  l.enabled = init.opset < 7;
  l.broadcast = init.node.attr_int("broadcast", 0) != 0;
  l.has_axis = init.node.has_attr("axis");
  l.axis = init.node.attr_int("axis", 0);
  return l;
}

Tensor LegacyBroadcast::apply(const KernelContext& ctx, const Tensor& a, const Tensor& b) const {
  if (!enabled) return b;
  return b.reshaped(legacy_broadcast_shape(ctx, a.shape(), b.shape(), broadcast, has_axis, axis));
}

kernels::BroadcastPlan plan_for(const std::vector<const Tensor*>& inputs, const Shape& out) {
  std::vector<std::vector<int64_t>> shapes;
  shapes.reserve(inputs.size());
  for (const Tensor* t : inputs) shapes.push_back(t->shape());
  return kernels::plan_broadcast(shapes, out);
}

bool binary_accepts(kernels::BinaryOp op, DataType t) noexcept {
  using kernels::BinaryOp;
  if (is_float_like(t)) return kernels::binary_supports_float(op);
  if (is_plain_integer(t)) return kernels::binary_supports_integer(op);
  if (t == DataType::Bool) return op == BinaryOp::And || op == BinaryOp::Or || op == BinaryOp::Xor;
  return false;
}

void binary_into(const KernelContext& ctx, kernels::BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  kernels::BroadcastPlan plan = plan_for({&a, &b}, out.shape());
  Tensor ca = to_compute(a), cb = to_compute(b), buf = compute_buffer(out);
  visit_compute_type(ca.dtype(), ctx, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pa = ca.template data<T>();
    const T* pb = cb.template data<T>();
    T* po = buf.template data<T>();
    kernels::parallel_plan(plan, [&](const kernels::BroadcastPlan& sub, const int64_t* off) {
      kernels::binary(op, pa + off[0], pb + off[1], po + off[2], sub);
    });
  });
  store_computed(buf, out);
}

bool unary_accepts(kernels::UnaryOp op, DataType t) noexcept {
  if (is_float_like(t)) return kernels::unary_supports_float(op);
  if (is_plain_integer(t)) return kernels::unary_supports_integer(op);
  return t == DataType::Bool && op == kernels::UnaryOp::Not;
}

void compute_unary(KernelContext& ctx, kernels::UnaryOp op, const kernels::UnaryParams& p, const char* types) {
  const Tensor& x = ctx.input(0);
  if (!unary_accepts(op, x.dtype())) fail_type(ctx, 0, x.dtype(), types);
  Tensor& out = ctx.allocate_output_uninitialized(0, x.dtype(), x.shape());
  Tensor cx = to_compute(x), buf = compute_buffer(out);
  visit_compute_type(cx.dtype(), ctx, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = cx.template data<T>();
    T* py = buf.template data<T>();
    kernels::parallel_elements(x.numel(), [&](int64_t begin, int64_t end) {
      kernels::unary(op, px + begin, py + begin, end - begin, p);
    });
  });
  store_computed(buf, out);
}

OpDef::CreateFn unary_create(kernels::UnaryOp op, const char* types, UnaryParamsFn params) {
  return [op, types, params](const KernelInit& init) {
    kernels::UnaryParams p = params ? params(init) : kernels::UnaryParams{};
    return make_kernel([op, types, p](KernelContext& ctx) { compute_unary(ctx, op, p, types); });
  };
}

void infer_same_shape(InferContext& ctx, DataType elem, size_t in) {
  if (!ctx.has_input(in)) return;
  const TypeInfo& t = ctx.input(in);
  if (!t.is_tensor()) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  TypeInfo out = t;
  out.elem = elem;
  ctx.set_output(0, std::move(out));
}

OpDef make_def(const char* op_type, int since, int last, OpDef::InferFn infer, OpDef::CreateFn create,
               const char* types) {
  OpDef d;
  d.op_type = op_type;
  d.since_version = since;
  d.last_version = last;
  d.infer = std::move(infer);
  d.create = std::move(create);
  d.types = types;
  return d;
}

}  // namespace onnxi::ops::math
