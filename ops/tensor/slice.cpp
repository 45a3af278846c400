// Slice: starts/ends/axes/steps as attributes (opset 1-9) or inputs (10+); negative steps walk
// backwards; out-of-range bounds clamp as numpy does.
#include <limits>

#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

#include "kernels/cpu/copy.h"

namespace onnxi::ops::tensor {
namespace {

struct AxisSlice {
  int64_t start = 0;
  int64_t step = 1;
  int64_t length = 0;
};

// Clamped start and element count of one axis of size `dim`.
AxisSlice resolve(int64_t start, int64_t end, int64_t step, int64_t dim) {
  AxisSlice s;
  // A step longer than the axis takes at most one element; clamping keeps the arithmetic in range
  // (INT64_MIN cannot be negated).
  step = std::clamp<int64_t>(step, -(dim + 1), dim + 1);
  s.step = step;
  if (start < 0) start = start < -dim ? -1 : start + dim;  // start < -dim: before the first element
  if (end < 0) end = end < -dim ? -1 : end + dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    s.length = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = std::clamp<int64_t>(start, -1, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    s.length = start > end ? (start - end + (-step) - 1) / (-step) : 0;
  }
  s.start = s.length > 0 ? start : 0;
  return s;
}

struct SliceParams {
  std::vector<int64_t> starts, ends, axes, steps;
};

// Normalizes axes and defaults; checks lengths and zero steps.
void complete(SliceParams& p, int64_t rank, const Node& node, ErrorCode code) {
  ONNXI_CHECK(p.starts.size() == p.ends.size(), code, node.label(), ": starts has ", p.starts.size(),
              " entries but ends has ", p.ends.size());
  if (p.axes.empty()) {
    for (size_t k = 0; k < p.starts.size(); ++k) p.axes.push_back(static_cast<int64_t>(k));
  }
  if (p.steps.empty()) p.steps.assign(p.starts.size(), 1);
  ONNXI_CHECK(p.axes.size() == p.starts.size() && p.steps.size() == p.starts.size(), code, node.label(),
              ": starts, ends, axes and steps must have the same length (", p.starts.size(), ", ", p.ends.size(), ", ",
              p.axes.size(), ", ", p.steps.size(), ")");
  p.axes = normalize_axes(p.axes, rank, node);
  for (int64_t s : p.steps) ONNXI_CHECK(s != 0, code, node.label(), ": a slice step cannot be 0");
}

void infer_slice(InferContext& ctx);

void run_slice(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  SliceParams p;
  if (ctx.opset() < 10) {
    p.starts = ctx.node().attr_ints("starts");
    p.ends = ctx.node().attr_ints("ends");
    p.axes = ctx.node().attr_ints("axes");
  } else {
    p.starts = int_input(ctx, 1);
    p.ends = int_input(ctx, 2);
    p.axes = int_input(ctx, 3);
    p.steps = int_input(ctx, 4);
  }
  complete(p, x.rank(), ctx.node(), ErrorCode::Runtime);
  Shape shape = x.shape();
  std::vector<int64_t> strides = kernels::contiguous_strides(x.shape());
  int64_t offset = 0;
  for (size_t i = 0; i < p.axes.size(); ++i) {
    const auto a = static_cast<size_t>(p.axes[i]);
    AxisSlice s = resolve(p.starts[i], p.ends[i], p.steps[i], x.shape()[a]);
    offset += s.start * strides[a];
    strides[a] *= s.step;
    shape[a] = s.length;
  }
  ctx.set_output(0, Value(strided_copy(x, shape, strides, offset)));
}

void infer_slice(InferContext& ctx) {
  if (fold_constants(ctx, run_slice)) return;
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  if (!in) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  const auto rank = static_cast<int64_t>(in->size());
  SliceParams p;
  bool known_params = true;
  if (ctx.opset < 10) {
    p.starts = ctx.node.attr_ints("starts");
    p.ends = ctx.node.attr_ints("ends");
    p.axes = ctx.node.attr_ints("axes");
  } else {
    auto get = [&](size_t i, std::vector<int64_t>& dst) {
      if (!ctx.has_input(i)) return;
      if (auto v = constant_ints(ctx, i)) dst = *v;
      else known_params = false;
    };
    get(1, p.starts);
    get(2, p.ends);
    get(3, p.axes);
    get(4, p.steps);
  }
  if (!known_params) {
    // Which axes change may still be known: then the others keep their dims.
    std::vector<Dim> out(in->size());
    if (ctx.opset >= 10 && ctx.has_input(3)) {
      if (auto axes = constant_ints(ctx, 3)) {
        out = *in;
        for (int64_t a : normalize_axes(*axes, rank, ctx.node)) out[static_cast<size_t>(a)] = Dim{};
      }
    }
    ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
    return;
  }
  complete(p, rank, ctx.node, ErrorCode::InvalidModel);
  std::vector<Dim> out = *in;
  for (size_t i = 0; i < p.axes.size(); ++i) {
    const auto a = static_cast<size_t>(p.axes[i]);
    out[a] = (*in)[a].is_known() ? Dim::known(resolve(p.starts[i], p.ends[i], p.steps[i], (*in)[a].value).length) : Dim{};
  }
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

}  // namespace

void register_slice(Registry& r) {
  r.add({"", "Slice", 1, 9, infer_slice, kernel_of(run_slice), kAllTypes});
  r.add({"", "Slice", 10, kLatestOpset, infer_slice, kernel_of(run_slice), kAllTypes});
}

}  // namespace onnxi::ops::tensor
