// Clip (attribute bounds before opset 11, optional scalar inputs from 11) and Where (select with
// three-way broadcasting, any element type including strings).
#include <limits>
#include <type_traits>

#include "ops/common.h"
#include "ops/math/dispatch.h"
#include "ops/math/math.h"

namespace onnxi::ops::math {

namespace {

struct ClipAttrs {
  bool from_attributes = false;  // opset < 11
  float min = std::numeric_limits<float>::lowest();
  float max = std::numeric_limits<float>::max();
};

// Bound input i (min: 1, max: 2) as T, when present.
template <class T>
bool read_bound(const KernelContext& ctx, size_t i, DataType x_type, T& value) {
  if (!ctx.has_input(i)) return false;
  const Tensor& b = ctx.input(i);
  if (b.dtype() != x_type) {
    ctx.fail(cat("input ", i, " ('", ctx.node().inputs[i], "') is ", dtype_name(b.dtype()),
                 " but the input is ", dtype_name(x_type), "; min and max must have the input's element type"));
  }
  if (b.numel() != 1) {
    ctx.fail(cat("input ", i, " ('", ctx.node().inputs[i], "') has shape ", shape_str(b.shape()),
                 "; min and max must be scalars"));
  }
  value = to_compute(b).data<T>()[0];
  return true;
}

void compute_clip(KernelContext& ctx, const ClipAttrs& attrs) {
  const Tensor& x = ctx.input(0);
  DataType t = x.dtype();
  if (!is_float_like(t) && !is_plain_integer(t)) fail_type(ctx, 0, t, kNumericTypes);
  Tensor& out = ctx.allocate_output_uninitialized(0, t, x.shape());
  Tensor cx = to_compute(x), buf = compute_buffer(out);
  visit_compute_type(cx.dtype(), ctx, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      fail_type(ctx, 0, t, kNumericTypes);
    } else {
      // An absent bound clips nothing; for floats that means infinity, so -inf/inf pass through.
      T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
      if constexpr (std::is_floating_point_v<T>) {
        lo = -std::numeric_limits<T>::infinity();
        hi = std::numeric_limits<T>::infinity();
      }
      if (attrs.from_attributes) {
        lo = static_cast<T>(attrs.min);
        hi = static_cast<T>(attrs.max);
      } else {
        read_bound<T>(ctx, 1, t, lo);
        read_bound<T>(ctx, 2, t, hi);
      }
      const T* px = cx.template data<T>();
      T* py = buf.template data<T>();
      kernels::parallel_elements(x.numel(), [&](int64_t begin, int64_t end) {
        kernels::clip(px + begin, lo, hi, py + begin, end - begin);
      });
    }
  });
  store_computed(buf, out);
}

void compute_where(KernelContext& ctx) {
  const Tensor& cond = ctx.input(0);
  const Tensor& x = ctx.input(1);
  const Tensor& y = ctx.input(2);
  if (cond.dtype() != DataType::Bool) fail_type(ctx, 0, cond.dtype(), "bool");
  DataType t = x.dtype();
  if (y.dtype() != t) {
    ctx.fail(cat("X is ", dtype_name(t), " but Y is ", dtype_name(y.dtype()),
                 "; both must have the same element type (insert a Cast)"));
  }
  if (is_packed(t) || t == DataType::Undefined) fail_type(ctx, 1, t, "any non-packed element type");
  const Node& node = ctx.node();
  Shape out_shape = broadcast_shapes(broadcast_shapes(cond.shape(), x.shape(), node), y.shape(), node);
  Tensor& out = ctx.allocate_output(0, t, out_shape);
  kernels::BroadcastPlan plan = plan_for({&cond, &x, &y}, out_shape);
  const bool* c = cond.data<bool>();
  if (t == DataType::String) {
    kernels::select(c, x.data<std::string>(), y.data<std::string>(), out.data<std::string>(), plan);
    return;
  }
  // Selection only moves elements, so every type of a given width shares one kernel.
  switch (element_bits(t)) {
    case 8: kernels::select(c, x.data<uint8_t>(), y.data<uint8_t>(), out.data<uint8_t>(), plan); break;
    case 16: kernels::select(c, x.data<uint16_t>(), y.data<uint16_t>(), out.data<uint16_t>(), plan); break;
    case 32: kernels::select(c, x.data<uint32_t>(), y.data<uint32_t>(), out.data<uint32_t>(), plan); break;
    case 64: kernels::select(c, x.data<uint64_t>(), y.data<uint64_t>(), out.data<uint64_t>(), plan); break;
    case 128:
      kernels::select(c, x.data<kernels::Word128>(), y.data<kernels::Word128>(), out.data<kernels::Word128>(), plan);
      break;
    default: fail_type(ctx, 1, t, "any non-packed element type");
  }
}

void infer_where(InferContext& ctx) {
  DataType elem = ctx.has_input(1) && ctx.input(1).is_tensor() ? ctx.input(1).elem : DataType::Undefined;
  if (elem == DataType::Undefined && ctx.has_input(2) && ctx.input(2).is_tensor()) elem = ctx.input(2).elem;
  infer_broadcast(ctx, elem);
}

}  // namespace

void register_clip_where(Registry& r) {
  auto clip_kernel = [](const KernelInit& init) {
    ClipAttrs attrs;
    attrs.from_attributes = init.opset < 11;
    if (attrs.from_attributes) {
      attrs.min = init.node.attr_float("min", attrs.min);
      attrs.max = init.node.attr_float("max", attrs.max);
    }
    return make_kernel([attrs](KernelContext& ctx) { compute_clip(ctx, attrs); });
  };
  auto infer_clip = [](InferContext& ctx) { infer_same_as_input(ctx); };
  r.add(make_def("Clip", 1, 10, infer_clip, clip_kernel, "float, double, float16"));
  r.add(make_def("Clip", 11, kLatestOpset, infer_clip, clip_kernel, kNumericTypes));
  r.add(make_def(
      "Where", 9, kLatestOpset, infer_where,
      [](const KernelInit&) { return make_kernel([](KernelContext& ctx) { compute_where(ctx); }); },
      "bool condition; X, Y: any type incl. string"));
}

}  // namespace onnxi::ops::math
