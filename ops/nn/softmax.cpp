// Softmax, LogSoftmax, Hardmax. Opset < 13 flattens the input to 2-D at `axis` (default 1) and
// normalizes each row of the flattened matrix; 13+ normalizes along `axis` alone (default -1).
#include <memory>

#include "kernels/cpu/attention_ext.h"
#include "kernels/cpu/softmax.h"
#include "ops/attention/attention.h"
#include "ops/common.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

enum class Kind { Softmax, LogSoftmax, Hardmax };

OpDef::CreateFn create(Kind kind, bool coerce_2d) {
  return [kind, coerce_2d](const KernelInit& init) -> std::unique_ptr<Kernel> {
    const int64_t axis_attr = init.node.attr_int("axis", coerce_2d ? 1 : -1);
    return make_kernel([kind, coerce_2d, axis_attr](KernelContext& ctx) {
      const Tensor& X = float_input(ctx, 0);
      const Shape& s = X.shape();
      const int64_t rank = X.rank();
      // A scalar has one element along the implied axis.
      const int64_t axis = rank == 0 ? 0 : normalize_axis(axis_attr, rank, ctx.node());
      int64_t outer = 1, n = 1, inner = 1;
      for (int64_t d = 0; d < rank; ++d) {
        if (d < axis) {
          outer *= s[d];
        } else if (d == axis || coerce_2d) {
          n *= s[d];
        } else {
          inner *= s[d];
        }
      }
      const Tensor x = widen(X);
      Tensor y(compute_type(X.dtype()), s);
      // float16 / bfloat16 Softmax over the last axis rounds x - max, the exponentials and the row
      // sum to the storage type, as ONNX's reference (numpy in float16) does, so results agree to
      // the last bit rather than differing by one step of float16.
      if (kind == Kind::Softmax && inner == 1 && (X.dtype() == DataType::Float16 || X.dtype() == DataType::BFloat16)) {
        kernels::softmax_rows_f32(x.data<float>(), y.data<float>(), outer, n, attention::round_fn(X.dtype()));
        ctx.set_output(0, narrow(y, X.dtype()));
        return;
      }
      with_compute_type(y.dtype(), [&](auto tag) {
        using T = decltype(tag);
        switch (kind) {
          case Kind::Softmax:
            kernels::softmax(x.data<T>(), y.data<T>(), outer, n, inner);
            break;
          case Kind::LogSoftmax:
            kernels::log_softmax(x.data<T>(), y.data<T>(), outer, n, inner);
            break;
          case Kind::Hardmax:
            kernels::hardmax(x.data<T>(), y.data<T>(), outer, n, inner);
            break;
        }
      });
      ctx.set_output(0, narrow(y, X.dtype()));
    });
  };
}

void infer_softmax(InferContext& ctx) {
  const TypeInfo& t = ctx.input(0);
  if (t.is_tensor() && t.has_shape && !t.dims.empty()) {
    // Validates the axis against a known rank.
    normalize_axis(ctx.node.attr_int("axis", ctx.opset < 13 ? 1 : -1), static_cast<int64_t>(t.dims.size()), ctx.node);
  }
  infer_same_as_input(ctx);
}

void add_versions(Registry& r, const char* op, Kind kind) {
  r.add(make_def(op, 1, 12, infer_softmax, create(kind, true), "float, double, float16"));
  r.add(make_def(op, 13, kLatestOpset, infer_softmax, create(kind, false)));
}

}  // namespace

void register_softmax(Registry& r) {
  add_versions(r, "Softmax", Kind::Softmax);
  add_versions(r, "LogSoftmax", Kind::LogSoftmax);
  add_versions(r, "Hardmax", Kind::Hardmax);
}

}  // namespace onnxi::ops::nn
