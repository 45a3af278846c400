// Concat and Split: joining and cutting along one axis.
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

#include "kernels/cpu/copy.h"

namespace onnxi::ops::tensor {
namespace {

int64_t concat_axis_attr(const Node& node, int64_t opset) {
  if (opset < 4) return node.attr_int("axis", 1);
  ONNXI_CHECK(node.has_attr("axis"), ErrorCode::InvalidModel, node.label(), ": the 'axis' attribute is required");
  return node.attr_int("axis", 0);
}

void run_concat(KernelContext& ctx);

void infer_concat(InferContext& ctx) {
  if (fold_constants(ctx, run_concat)) return;
  DataType elem = DataType::Undefined;
  const std::vector<Dim>* first = nullptr;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (elem == DataType::Undefined) elem = input_elem(ctx, i);
    if (!first) first = known_dims(ctx, i);
  }
  if (!first) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  const int64_t rank = static_cast<int64_t>(first->size());
  const auto axis = static_cast<size_t>(normalize_axis(concat_axis_attr(ctx.node, ctx.opset), rank, ctx.node));
  std::vector<Dim> out = *first;
  int64_t total = 0;
  bool total_known = true;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const std::vector<Dim>* d = known_dims(ctx, i);
    if (!d) {
      total_known = false;
      continue;
    }
    if (static_cast<int64_t>(d->size()) != rank) ctx.fail(cat("input ", i, " has rank ", d->size(), " but input 0 has rank ", rank, "; all inputs need the same rank"));
    for (size_t k = 0; k < d->size(); ++k) {
      if (k == axis) continue;
      const Dim& a = out[k];
      const Dim& b = (*d)[k];
      if (a.is_known() && b.is_known() && a.value != b.value) {
        ctx.fail(cat("input ", i, " has size ", b.value, " on axis ", k, " but an earlier input has ", a.value,
                     "; inputs may differ only on the concat axis"));
      }
      if (!a.is_known() && b.is_known()) out[k] = b;
    }
    if ((*d)[axis].is_known()) total += (*d)[axis].value;
    else total_known = false;
  }
  out[axis] = total_known ? Dim::known(total) : Dim{};
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

void run_concat(KernelContext& ctx) {
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.has_input(i)) inputs.push_back(unpack_elements(ctx.input(i)));
  }
  if (inputs.empty()) ctx.fail("needs at least one input");
  const DataType dtype = ctx.input(0).dtype();
  const Shape& s0 = inputs[0].shape();
  const int64_t rank = static_cast<int64_t>(s0.size());
  const int64_t axis = normalize_axis(concat_axis_attr(ctx.node(), ctx.opset()), rank, ctx.node());
  Shape out_shape = s0;
  out_shape[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Shape& s = inputs[i].shape();
    bool ok = s.size() == s0.size() && inputs[i].dtype() == inputs[0].dtype();
    for (size_t k = 0; ok && k < s.size(); ++k) ok = static_cast<int64_t>(k) == axis || s[k] == s0[k];
    if (!ok) {
      ctx.fail(cat("input ", i, " is ", ctx.input(i).describe(), " but input 0 is ", ctx.input(0).describe(),
                   "; inputs must share the element type and all dims except axis ", axis));
    }
    out_shape[static_cast<size_t>(axis)] += s[static_cast<size_t>(axis)];
  }
  Tensor out(inputs[0].dtype(), out_shape);
  const std::vector<int64_t> strides = kernels::contiguous_strides(out_shape);
  int64_t offset = 0;
  for (const Tensor& t : inputs) {
    copy_into(t, out, offset, strides);
    offset += t.shape()[static_cast<size_t>(axis)] * strides[static_cast<size_t>(axis)];
  }
  ctx.set_output(0, Value(pack_elements(out, dtype)));
}

// ---- Split -------------------------------------------------------------------------------------------
// Sizes of the pieces: explicit `split`, or `num_outputs` pieces of ceil(dim / n) with a smaller
// last one (opset 18), or equal pieces for each output.
std::vector<int64_t> split_sizes(const Node& node, int64_t opset, int64_t dim, size_t outputs,
                                 const std::vector<int64_t>* split, ErrorCode code) {
  if (split && !split->empty()) {
    int64_t sum = 0;
    for (int64_t s : *split) {
      ONNXI_CHECK(s >= 0, code, node.label(), ": split sizes must be non-negative, got ", shape_str(*split));
      sum += s;
    }
    ONNXI_CHECK(sum == dim, code, node.label(), ": split sizes ", shape_str(*split), " add up to ", sum,
                " but the axis has size ", dim);
    ONNXI_CHECK(split->size() == outputs, code, node.label(), ": split has ", split->size(), " entries but the node has ",
                outputs, " outputs");
    return *split;
  }
  int64_t n = static_cast<int64_t>(outputs);
  if (opset >= 18 && node.has_attr("num_outputs")) {
    n = node.attr_int("num_outputs", 0);
    ONNXI_CHECK(n > 0 && n == static_cast<int64_t>(outputs), code, node.label(), ": num_outputs is ", n,
                " but the node has ", outputs, " outputs");
  }
  ONNXI_CHECK(n > 0, code, node.label(), ": Split needs at least one output");
  if (opset < 18) {
    ONNXI_CHECK(dim % n == 0, code, node.label(), ": the axis of size ", dim, " cannot be split into ", n,
                " equal parts; give 'split' explicitly");
  }
  const int64_t chunk = (dim + n - 1) / n;
  std::vector<int64_t> sizes;
  for (int64_t i = 0; i < n; ++i) sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - chunk * i)));
  return sizes;
}

bool split_from_input(int64_t opset) { return opset >= 13 || opset == 1; }

void infer_split(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  const size_t outputs = ctx.node.outputs.size();
  const std::vector<Dim>* in = known_dims(ctx, 0);
  if (!in) {
    for (size_t i = 0; i < outputs; ++i) ctx.set_output(i, TypeInfo::tensor_unranked(elem));
    return;
  }
  const auto axis = static_cast<size_t>(normalize_axis(ctx.node.attr_int("axis", 0), static_cast<int64_t>(in->size()), ctx.node));
  std::optional<std::vector<int64_t>> split;
  if (split_from_input(ctx.opset) && ctx.has_input(1)) {
    split = constant_ints(ctx, 1);
  } else if (!split_from_input(ctx.opset) || ctx.node.has_attr("split")) {
    split = ctx.node.attr_ints("split");
  } else {
    split = std::vector<int64_t>{};
  }
  std::vector<int64_t> sizes;
  if (split && (*in)[axis].is_known()) {
    sizes = split_sizes(ctx.node, ctx.opset, (*in)[axis].value, outputs, &*split, ErrorCode::InvalidModel);
  } else if (split && !split->empty()) {
    sizes = *split;
  }
  for (size_t i = 0; i < outputs; ++i) {
    std::vector<Dim> d = *in;
    d[axis] = i < sizes.size() ? Dim::known(sizes[i]) : Dim{};
    ctx.set_output(i, TypeInfo::tensor(elem, std::move(d)));
  }
}

void run_split(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t axis = normalize_axis(ctx.node().attr_int("axis", 0), x.rank(), ctx.node());
  std::vector<int64_t> split;
  if (split_from_input(ctx.opset()) && ctx.has_input(1)) {
    split = int_input(ctx, 1);
  } else {
    split = ctx.node().attr_ints("split");
  }
  const std::vector<int64_t> sizes =
      split_sizes(ctx.node(), ctx.opset(), x.dim(axis), ctx.num_outputs(), &split, ErrorCode::Runtime);
  const std::vector<int64_t> strides = kernels::contiguous_strides(x.shape());
  int64_t start = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (ctx.output_wanted(i)) {
      Shape s = x.shape();
      s[static_cast<size_t>(axis)] = sizes[i];
      ctx.set_output(i, Value(strided_copy(x, s, strides, start * strides[static_cast<size_t>(axis)])));
    }
    start += sizes[i];
  }
}

}  // namespace

void register_concat(Registry& r) {
  r.add({"", "Concat", 1, 3, infer_concat, kernel_of(run_concat), kAllTypes});
  r.add({"", "Concat", 4, kLatestOpset, infer_concat, kernel_of(run_concat), kAllTypes});
  r.add({"", "Split", 1, 1, infer_split, kernel_of(run_split), kAllTypes});
  r.add({"", "Split", 2, 12, infer_split, kernel_of(run_split), kAllTypes});
  r.add({"", "Split", 13, 17, infer_split, kernel_of(run_split), kAllTypes});
  r.add({"", "Split", 18, kLatestOpset, infer_split, kernel_of(run_split), kAllTypes});
}

}  // namespace onnxi::ops::tensor
