// Reshape, Flatten, Squeeze, Unsqueeze, Identity: ops that keep the data and change only the shape,
// so the output aliases the input buffer.
#include <algorithm>

#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace onnxi::ops::tensor {
namespace {

// ONNX Reshape rules on a requested shape: 0 copies the input dim (unless allowzero), -1 takes the
// remaining element count. `in` may hold unknown dims at inference; the result then has them too.
std::vector<Dim> reshape_dims(const std::vector<int64_t>& request, const std::vector<Dim>* in, bool allowzero,
                              const Node& node, ErrorCode code) {
  std::vector<Dim> out(request.size());
  int64_t infer_at = -1;
  for (size_t k = 0; k < request.size(); ++k) {
    const int64_t r = request[k];
    if (r == -1) {
      ONNXI_CHECK(infer_at < 0, code, node.label(), ": the shape ", shape_str(request),
                  " has more than one -1; at most one dimension can be inferred");
      infer_at = static_cast<int64_t>(k);
    } else if (r == 0 && !allowzero) {
      if (in == nullptr) {
        out[k] = Dim{};
      } else {
        ONNXI_CHECK(k < in->size(), code, node.label(), ": shape entry ", k,
                    " is 0 (copy the input dim) but the input has only ", in->size(), " dims");
        out[k] = (*in)[k];
      }
    } else {
      ONNXI_CHECK(r >= 0, code, node.label(), ": shape entry ", r, " is invalid; use -1, 0 or a positive size");
      out[k] = Dim::known(r);
    }
  }
  if (allowzero && infer_at >= 0) {
    ONNXI_CHECK(std::find(request.begin(), request.end(), 0) == request.end(), code, node.label(),
                ": with allowzero=1 the shape may not hold both 0 and -1");
  }
  if (infer_at < 0) return out;
  if (in == nullptr) {
    out[static_cast<size_t>(infer_at)] = Dim{};
    return out;
  }
  int64_t total = 1, rest = 1;
  bool all_known = true;
  for (const Dim& d : *in) {
    if (!d.is_known()) all_known = false;
    else total *= d.value;
  }
  for (size_t k = 0; k < out.size(); ++k) {
    if (static_cast<int64_t>(k) == infer_at) continue;
    if (!out[k].is_known()) all_known = false;
    else rest *= out[k].value;
  }
  if (!all_known) {
    out[static_cast<size_t>(infer_at)] = Dim{};
    return out;
  }
  ONNXI_CHECK(rest != 0 ? total % rest == 0 : total == 0, code, node.label(), ": cannot reshape ", total,
              " elements so that the other dims multiply to ", rest);
  out[static_cast<size_t>(infer_at)] = Dim::known(rest != 0 ? total / rest : 0);
  return out;
}

std::vector<int64_t> reshape_request(const Node& node, int64_t opset, const std::vector<int64_t>* input_shape) {
  if (opset < 5) return node.attr_ints("shape");
  return input_shape ? *input_shape : std::vector<int64_t>{};
}

void run_reshape(KernelContext& ctx);

void infer_reshape(InferContext& ctx) {
  if (fold_constants(ctx, run_reshape)) return;
  const DataType elem = input_elem(ctx, 0);
  std::optional<std::vector<int64_t>> request;
  if (ctx.opset < 5) {
    request = ctx.node.attr_ints("shape");
  } else {
    request = constant_ints(ctx, 1);
  }
  const bool allowzero = ctx.opset >= 14 && ctx.node.attr_int("allowzero", 0) != 0;
  if (request) {
    ctx.set_output(0, TypeInfo::tensor(elem, reshape_dims(*request, known_dims(ctx, 0), allowzero, ctx.node,
                                                          ErrorCode::InvalidModel)));
    return;
  }
  const std::vector<Dim>* shape_dims = known_dims(ctx, 1);
  if (shape_dims && shape_dims->size() == 1 && (*shape_dims)[0].is_known()) {
    ctx.set_output(0, TypeInfo::tensor(elem, std::vector<Dim>(static_cast<size_t>((*shape_dims)[0].value))));
  } else {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
  }
}

void run_reshape(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> shape_values;
  if (ctx.opset() >= 5) shape_values = int_input(ctx, 1);
  const std::vector<int64_t> request = reshape_request(ctx.node(), ctx.opset(), &shape_values);
  const bool allowzero = ctx.opset() >= 14 && ctx.node().attr_int("allowzero", 0) != 0;
  const std::vector<Dim> in = known(x.shape());
  std::vector<Dim> dims = reshape_dims(request, &in, allowzero, ctx.node(), ErrorCode::Runtime);
  Shape out;
  for (const Dim& d : dims) out.push_back(d.value);
  if (shape_numel(out) != x.numel()) {
    ctx.fail(cat("cannot reshape ", x.describe(), " to ", shape_str(request), " (", shape_str(out),
                 "): the element counts differ"));
  }
  ctx.set_output(0, Value(x.reshaped(out)));
}

// ---- Flatten -------------------------------------------------------------------------------------
int64_t flatten_axis(const Node& node, int64_t rank) {
  int64_t axis = node.attr_int("axis", 1);
  ONNXI_CHECK(axis >= -rank && axis <= rank, ErrorCode::InvalidModel, node.label(), ": axis ", axis,
              " is out of range for rank ", rank, "; use a value in [", -rank, ", ", rank, "]");
  return axis < 0 ? axis + rank : axis;
}

void run_flatten(KernelContext& ctx);

void infer_flatten(InferContext& ctx) {
  if (fold_constants(ctx, run_flatten)) return;
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  if (!in) {
    ctx.set_output(0, TypeInfo::tensor(elem, {Dim{}, Dim{}}));
    return;
  }
  const int64_t axis = flatten_axis(ctx.node, static_cast<int64_t>(in->size()));
  auto product = [&](size_t b, size_t e) {
    int64_t p = 1;
    for (size_t k = b; k < e; ++k) {
      if (!(*in)[k].is_known()) return Dim{};
      p *= (*in)[k].value;
    }
    return Dim::known(p);
  };
  ctx.set_output(0, TypeInfo::tensor(elem, {product(0, static_cast<size_t>(axis)), product(static_cast<size_t>(axis), in->size())}));
}

void run_flatten(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t axis = flatten_axis(ctx.node(), x.rank());
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < x.rank(); ++k) (k < axis ? outer : inner) *= x.dim(k);
  ctx.set_output(0, Value(x.reshaped({outer, inner})));
}

// ---- Squeeze / Unsqueeze -----------------------------------------------------------------------
// Axes come from the attribute up to opset 12 and from input 1 from opset 13.
std::optional<std::vector<int64_t>> axes_for_infer(const InferContext& ctx) {
  if (ctx.opset < 13) {
    if (!ctx.node.has_attr("axes")) return std::vector<int64_t>{};
    return ctx.node.attr_ints("axes");
  }
  if (!ctx.has_input(1)) return std::vector<int64_t>{};
  return constant_ints(ctx, 1);
}

std::vector<int64_t> axes_at_run(const KernelContext& ctx) {
  if (ctx.opset() < 13) return ctx.node().attr_ints("axes");
  return int_input(ctx, 1);
}

void run_squeeze(KernelContext& ctx);

void infer_squeeze(InferContext& ctx) {
  if (fold_constants(ctx, run_squeeze)) return;
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  std::optional<std::vector<int64_t>> axes = axes_for_infer(ctx);
  if (in && !axes) {
    // Unknown axes but a known count of them: the rank is still known.
    const std::vector<Dim>* ad = known_dims(ctx, 1);
    if (ad && ad->size() == 1 && (*ad)[0].is_known() && (*ad)[0].value > 0 &&
        static_cast<size_t>((*ad)[0].value) <= in->size()) {
      ctx.set_output(0, TypeInfo::tensor(elem, std::vector<Dim>(in->size() - static_cast<size_t>((*ad)[0].value))));
      return;
    }
  }
  if (!in || !axes) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  const int64_t rank = static_cast<int64_t>(in->size());
  std::vector<bool> drop(in->size(), false);
  if (axes->empty()) {
    for (size_t k = 0; k < in->size(); ++k) {
      if (!(*in)[k].is_known()) {  // a symbol may or may not be 1: the rank is unknown
        ctx.set_output(0, TypeInfo::tensor_unranked(elem));
        return;
      }
      drop[k] = (*in)[k].value == 1;
    }
  } else {
    for (int64_t a : normalize_axes(*axes, rank, ctx.node)) {
      const Dim& d = (*in)[static_cast<size_t>(a)];
      if (d.is_known() && d.value != 1) ctx.fail(cat("cannot squeeze axis ", a, " of size ", d.value, "; only size-1 axes can be squeezed"));
      drop[static_cast<size_t>(a)] = true;
    }
  }
  std::vector<Dim> out;
  for (size_t k = 0; k < in->size(); ++k) {
    if (!drop[k]) out.push_back((*in)[k]);
  }
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

void run_squeeze(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> axes = axes_at_run(ctx);
  std::vector<bool> drop(static_cast<size_t>(x.rank()), false);
  if (axes.empty()) {
    for (int64_t k = 0; k < x.rank(); ++k) drop[static_cast<size_t>(k)] = x.dim(k) == 1;
  } else {
    for (int64_t a : normalize_axes(axes, x.rank(), ctx.node())) {
      if (x.dim(a) != 1) ctx.fail(cat("cannot squeeze axis ", a, " of ", x.describe(), "; only size-1 axes can be squeezed"));
      drop[static_cast<size_t>(a)] = true;
    }
  }
  Shape out;
  for (int64_t k = 0; k < x.rank(); ++k) {
    if (!drop[static_cast<size_t>(k)]) out.push_back(x.dim(k));
  }
  ctx.set_output(0, Value(x.reshaped(out)));
}

// Output rank is rank + |axes|; axes index the output.
template <class DimT>
std::vector<DimT> unsqueeze(const std::vector<DimT>& in, const std::vector<int64_t>& axes, const Node& node, DimT one) {
  const int64_t out_rank = static_cast<int64_t>(in.size() + axes.size());
  std::vector<int64_t> norm = normalize_axes(axes, out_rank, node);
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : norm) inserted[static_cast<size_t>(a)] = true;
  std::vector<DimT> out;
  size_t next = 0;
  for (int64_t k = 0; k < out_rank; ++k) out.push_back(inserted[static_cast<size_t>(k)] ? one : in[next++]);
  return out;
}

void run_unsqueeze(KernelContext& ctx);

void infer_unsqueeze(InferContext& ctx) {
  if (fold_constants(ctx, run_unsqueeze)) return;
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  std::optional<std::vector<int64_t>> axes = axes_for_infer(ctx);
  if (in && axes) {
    if (axes->empty()) ctx.fail("Unsqueeze needs a non-empty axes list");
    ctx.set_output(0, TypeInfo::tensor(elem, unsqueeze(*in, *axes, ctx.node, Dim::known(1))));
  } else if (in && ctx.opset >= 13) {
    const std::vector<Dim>* axes_dims = known_dims(ctx, 1);
    if (axes_dims && axes_dims->size() == 1 && (*axes_dims)[0].is_known()) {
      ctx.set_output(0, TypeInfo::tensor(elem, std::vector<Dim>(in->size() + static_cast<size_t>((*axes_dims)[0].value))));
      return;
    }
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
  } else {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
  }
}

void run_unsqueeze(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> axes = axes_at_run(ctx);
  if (axes.empty()) ctx.fail("Unsqueeze needs a non-empty axes list");
  ctx.set_output(0, Value(x.reshaped(unsqueeze<int64_t>(x.shape(), axes, ctx.node(), 1))));
}

// ---- Identity --------------------------------------------------------------------------------------
void infer_identity(InferContext& ctx) {
  if (ctx.has_input(0)) ctx.set_output(0, ctx.input(0));
  if (const Tensor* c = ctx.constant(0)) {
    ctx.output_constants.resize(1);
    ctx.output_constants[0] = *c;
  }
}

void run_identity(KernelContext& ctx) {
  // Tensors, sequences and optionals pass through as they are; values are immutable once made.
  ctx.set_output(0, ctx.input_value(0));
}

}  // namespace

void register_reshape(Registry& r) {
  r.add({"", "Reshape", 1, 4, infer_reshape, kernel_of(run_reshape), kAllTypes});
  r.add({"", "Reshape", 5, kLatestOpset, infer_reshape, kernel_of(run_reshape), kAllTypes});
  r.add({"", "Flatten", 1, kLatestOpset, infer_flatten, kernel_of(run_flatten), kAllTypes});
  r.add({"", "Squeeze", 1, 12, infer_squeeze, kernel_of(run_squeeze), kAllTypes});
  r.add({"", "Squeeze", 13, kLatestOpset, infer_squeeze, kernel_of(run_squeeze), kAllTypes});
  r.add({"", "Unsqueeze", 1, 12, infer_unsqueeze, kernel_of(run_unsqueeze), kAllTypes});
  r.add({"", "Unsqueeze", 13, kLatestOpset, infer_unsqueeze, kernel_of(run_unsqueeze), kAllTypes});
  r.add({"", "Identity", 1, kLatestOpset, infer_identity, kernel_of(run_identity), "all types, sequences, optionals"});
}

}  // namespace onnxi::ops::tensor
