// StringConcat (opset 20): elementwise X + Y over string tensors with numpy broadcasting.
#include "ops/common.h"
#include "ops/text/text.h"

namespace onnxi::ops {
namespace {

void compute_string_concat(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& y = ctx.input(1);
  text_family::require_string_input(ctx, x, 0);
  text_family::require_string_input(ctx, y, 1);
  const Shape out_shape = broadcast_shapes(x.shape(), y.shape(), ctx.node());
  Tensor& z = ctx.allocate_output(0, DataType::String, out_shape);
  const int64_t n = z.numel();
  if (n == 0) return;

  const std::vector<int64_t> x_strides = broadcast_strides(x.shape(), out_shape);
  const std::vector<int64_t> y_strides = broadcast_strides(y.shape(), out_shape);
  const auto* xs = x.data<std::string>();
  const auto* ys = y.data<std::string>();
  auto* out = z.data<std::string>();
  // An odometer over the output index: strings are not a hot loop, clarity wins.
  const size_t rank = out_shape.size();
  std::vector<int64_t> index(rank, 0);
  int64_t xi = 0;
  int64_t yi = 0;
  for (int64_t i = 0; i < n; ++i) {
    out[i].reserve(xs[xi].size() + ys[yi].size());
    out[i] = xs[xi];
    out[i] += ys[yi];
    for (size_t d = rank; d-- > 0;) {
      xi += x_strides[d];
      yi += y_strides[d];
      if (++index[d] < out_shape[d]) break;
      xi -= x_strides[d] * out_shape[d];
      yi -= y_strides[d] * out_shape[d];
      index[d] = 0;
    }
  }
}

}  // namespace

void register_string_concat(Registry& r) {
  OpDef def;
  def.op_type = "StringConcat";
  def.since_version = 20;
  def.types = "string";
  def.infer = [](InferContext& ctx) {
    text_family::require_string_type(ctx, 0);
    text_family::require_string_type(ctx, 1);
    infer_broadcast(ctx, DataType::String);
  };
  def.create = [](const KernelInit&) { return make_kernel(compute_string_concat); };
  r.add(std::move(def));
}

}  // namespace onnxi::ops
