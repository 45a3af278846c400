// Expand and Tile: repeating data by broadcasting (stride 0) views, copied out contiguously.
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

#include "kernels/cpu/copy.h"

namespace onnxi::ops::tensor {
namespace {

void infer_expand(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  std::optional<std::vector<int64_t>> shape = constant_ints(ctx, 1);
  if (in && shape) {
    ctx.set_output(0, TypeInfo::tensor(elem, broadcast_dims(*in, known(*shape), ctx)));
    return;
  }
  const std::vector<Dim>* sd = known_dims(ctx, 1);
  if (in && sd && sd->size() == 1 && (*sd)[0].is_known()) {
    const size_t rank = std::max(in->size(), static_cast<size_t>((*sd)[0].value));
    ctx.set_output(0, TypeInfo::tensor(elem, std::vector<Dim>(rank)));
    return;
  }
  ctx.set_output(0, TypeInfo::tensor_unranked(elem));
}

void run_expand(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> shape = int_input(ctx, 1);
  for (int64_t d : shape) {
    if (d < 0) ctx.fail(cat("shape ", shape_str(shape), " has a negative dimension"));
  }
  const Shape out = broadcast_shapes(x.shape(), shape, ctx.node());
  ctx.set_output(0, Value(strided_copy(x, out, broadcast_strides(x.shape(), out))));
}

// ---- Tile --------------------------------------------------------------------------------------------
// Tile-1 repeats one axis (inputs: tiles, axis); from opset 6 `repeats` has one entry per axis.
std::vector<int64_t> tile_repeats(const KernelContext& ctx, int64_t rank) {
  if (ctx.opset() < 6) {
    std::vector<int64_t> reps(static_cast<size_t>(rank), 1);
    const std::vector<int64_t> tiles = int_input(ctx, 1), axis_v = int_input(ctx, 2);
    if (tiles.size() != 1 || axis_v.size() != 1) ctx.fail("Tile-1 needs scalar 'tiles' and 'axis' inputs");
    const int64_t axis = normalize_axis(axis_v[0], rank, ctx.node());
    reps[static_cast<size_t>(axis)] = tiles[0];
    return reps;
  }
  return int_input(ctx, 1);
}

void infer_tile(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  if (!in) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  std::vector<Dim> out(in->size());
  std::optional<std::vector<int64_t>> reps = ctx.opset >= 6 ? constant_ints(ctx, 1) : std::nullopt;
  if (reps) {
    if (reps->size() != in->size()) ctx.fail(cat("repeats has ", reps->size(), " entries but the input has rank ", in->size()));
    for (size_t k = 0; k < in->size(); ++k) {
      if ((*reps)[k] < 0) ctx.fail(cat("repeats ", shape_str(*reps), " has a negative entry"));
      if ((*reps)[k] == 1) out[k] = (*in)[k];
      else if ((*in)[k].is_known() || (*reps)[k] == 0) out[k] = Dim::known((*in)[k].is_known() ? (*in)[k].value * (*reps)[k] : 0);
    }
  }
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

void run_tile(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> reps = tile_repeats(ctx, x.rank());
  if (static_cast<int64_t>(reps.size()) != x.rank()) {
    ctx.fail(cat("repeats has ", reps.size(), " entries but the input ", x.describe(), " has rank ", x.rank()));
  }
  // View the output as [r0, d0, r1, d1, ...]: each repeat axis re-reads the input with stride 0.
  const std::vector<int64_t> in_strides = kernels::contiguous_strides(x.shape());
  Shape view, out;
  std::vector<int64_t> strides;
  for (size_t k = 0; k < reps.size(); ++k) {
    if (reps[k] < 0) ctx.fail(cat("repeats ", shape_str(reps), " has a negative entry"));
    view.push_back(reps[k]);
    strides.push_back(0);
    view.push_back(x.shape()[k]);
    strides.push_back(in_strides[k]);
    out.push_back(reps[k] * x.shape()[k]);
  }
  ctx.set_output(0, Value(strided_copy(x, view, strides).reshaped(out)));
}

}  // namespace

void register_expand(Registry& r) {
  r.add({"", "Expand", 8, kLatestOpset, infer_expand, kernel_of(run_expand), kAllTypes});
  r.add({"", "Tile", 1, 5, infer_tile, kernel_of(run_tile), kAllTypes});
  r.add({"", "Tile", 6, kLatestOpset, infer_tile, kernel_of(run_tile), kAllTypes});
}

}  // namespace onnxi::ops::tensor
