// SplitToSequence and ConcatFromSequence (opset 11): moving between one tensor and a sequence of
// its pieces along an axis.
//   SplitToSequence: `split` absent cuts pieces of size 1 (keepdims=0 then drops the axis); a
//   scalar cuts pieces of that size with a shorter last one; a 1-D tensor gives each piece's size.
//   ConcatFromSequence: new_axis=1 stacks along a new axis (axis may then be -r-1 .. r).
#include "kernels/cpu/copy.h"
#include "ops/sequence/sequence.h"
#include "ops/tensor/tensor_util.h"

namespace onnxi::ops::sequence {
namespace {

// ---- SplitToSequence --------------------------------------------------------------------------------

void infer_split(InferContext& ctx) {
  const TypeInfo& in = ctx.input(0);
  if (!in.is_tensor()) {
    ctx.set_output(0, sequence_type(TypeInfo{}));
    return;
  }
  if (!in.has_shape) {
    ctx.set_output(0, sequence_type(TypeInfo::tensor_unranked(in.elem)));
    return;
  }
  const auto rank = static_cast<int64_t>(in.dims.size());
  const auto axis = static_cast<size_t>(normalize_axis(ctx.node.attr_int("axis", 0), rank, ctx.node));
  std::vector<Dim> dims = in.dims;
  if (ctx.has_input(1)) {
    dims[axis] = Dim{};  // pieces may differ in size
  } else if (ctx.node.attr_int("keepdims", 1) == 0) {
    dims.erase(dims.begin() + static_cast<std::ptrdiff_t>(axis));
  } else {
    dims[axis] = Dim::known(1);
  }
  ctx.set_output(0, sequence_type(TypeInfo::tensor(in.elem, std::move(dims))));
}

// Sizes of the pieces along an axis of size `dim`.
std::vector<int64_t> piece_sizes(const KernelContext& ctx, int64_t dim) {
  if (!ctx.has_input(1)) return std::vector<int64_t>(static_cast<size_t>(dim), 1);
  const Tensor& split = ctx.input(1);
  if (split.dtype() != DataType::Int32 && split.dtype() != DataType::Int64) {
    ctx.fail(cat("split (input 1) must be int32 or int64, got ", split.describe()));
  }
  const std::vector<int64_t> values = split.to_int64_vector();
  if (split.rank() == 0) {
    const int64_t size = values[0];
    if (size <= 0) ctx.fail(cat("a scalar split must be positive, got ", size));
    std::vector<int64_t> sizes(static_cast<size_t>(dim / size), size);
    if (dim % size != 0) sizes.push_back(dim % size);
    return sizes;
  }
  if (split.rank() != 1) ctx.fail(cat("split (input 1) must be a scalar or 1-D, got ", split.describe()));
  int64_t total = 0;
  for (int64_t s : values) {
    if (s < 0) ctx.fail(cat("split sizes must be non-negative, got ", shape_str(values)));
    total += s;
  }
  if (total != dim) {
    ctx.fail(cat("split sizes ", shape_str(values), " add up to ", total, " but the axis has size ", dim));
  }
  return values;
}

void run_split(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t axis = normalize_axis(ctx.node().attr_int("axis", 0), x.rank(), ctx.node());
  const std::vector<int64_t> sizes = piece_sizes(ctx, x.dim(axis));
  const bool drop_axis = !ctx.has_input(1) && ctx.node().attr_int("keepdims", 1) == 0;
  const std::vector<int64_t> strides = kernels::contiguous_strides(x.shape());
  std::vector<Value> items;
  items.reserve(sizes.size());
  int64_t start = 0;
  for (int64_t size : sizes) {
    Shape shape = x.shape();
    shape[static_cast<size_t>(axis)] = size;
    Tensor piece = tensor::strided_copy(x, shape, strides, start * strides[static_cast<size_t>(axis)]);
    if (drop_axis) {
      shape.erase(shape.begin() + axis);
      piece = piece.reshaped(shape);
    }
    items.emplace_back(std::move(piece));
    start += size;
  }
  ctx.set_output(0, Value::sequence(x.dtype(), std::move(items)));
}

// ---- ConcatFromSequence -------------------------------------------------------------------------------

int64_t concat_axis(const Node& node) {
  ONNXI_CHECK(node.has_attr("axis"), ErrorCode::InvalidModel, node.label(), ": the 'axis' attribute is required");
  return node.attr_int("axis", 0);
}

void infer_concat(InferContext& ctx) {
  const int64_t axis_attr = concat_axis(ctx.node);
  const bool new_axis = ctx.node.attr_int("new_axis", 0) != 0;
  const TypeInfo elem = sequence_elem(ctx.input(0));
  if (!elem.is_tensor()) return;
  if (!elem.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem.elem));
    return;
  }
  std::vector<Dim> dims = elem.dims;
  const auto rank = static_cast<int64_t>(dims.size());
  const auto axis = static_cast<size_t>(normalize_axis(axis_attr, new_axis ? rank + 1 : rank, ctx.node));
  if (new_axis) dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(axis), Dim{});
  else dims[axis] = Dim{};
  ctx.set_output(0, TypeInfo::tensor(elem.elem, std::move(dims)));
}

void run_concat(KernelContext& ctx) {
  const Value& seq = sequence_input(ctx, 0);
  const std::vector<Value>& items = seq.items();
  if (items.empty()) ctx.fail("the sequence is empty; ConcatFromSequence needs at least one tensor");
  const bool new_axis = ctx.node().attr_int("new_axis", 0) != 0;
  std::vector<Tensor> parts;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_tensor()) ctx.fail(cat("item ", i, " must be a tensor, got ", items[i].describe()));
    parts.push_back(tensor::unpack_elements(items[i].tensor()));
  }
  const Tensor& first = items[0].tensor();
  const DataType dtype = first.dtype();
  const int64_t rank = first.rank();
  const int64_t axis = normalize_axis(concat_axis(ctx.node()), new_axis ? rank + 1 : rank, ctx.node());
  Shape out_shape = first.shape();
  if (new_axis) out_shape.insert(out_shape.begin() + axis, 0);
  else out_shape[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Tensor& t = items[i].tensor();
    bool ok = t.dtype() == dtype && t.rank() == rank;
    for (int64_t k = 0; ok && k < rank; ++k) ok = (!new_axis && k == axis) || t.dim(k) == first.dim(k);
    if (!ok) {
      ctx.fail(cat("item ", i, " is ", t.describe(), " but item 0 is ", first.describe(), "; items must share the element type and ",
                   new_axis ? "shape to be stacked" : cat("all dims except axis ", axis)));
    }
    if (new_axis) {
      Shape s = parts[i].shape();
      s.insert(s.begin() + axis, 1);
      parts[i] = parts[i].reshaped(s);
    }
    out_shape[static_cast<size_t>(axis)] += parts[i].dim(axis);
  }
  Tensor out(parts[0].dtype(), out_shape);
  const std::vector<int64_t> strides = kernels::contiguous_strides(out_shape);
  int64_t offset = 0;
  for (const Tensor& p : parts) {
    tensor::copy_into(p, out, offset * strides[static_cast<size_t>(axis)], strides);
    offset += p.dim(axis);
  }
  ctx.set_output(0, Value(tensor::pack_elements(out, dtype)));
}

}  // namespace

void register_split_concat(Registry& r) {
  r.add({"", "SplitToSequence", 11, kLatestOpset, infer_split, stateless(run_split), "all tensor types"});
  r.add({"", "ConcatFromSequence", 11, kLatestOpset, infer_concat, stateless(run_concat), kSequenceTypes});
}

}  // namespace onnxi::ops::sequence
