// Pad (constant, reflect, edge, wrap; negative pads crop) and CenterCropPad. Both build one source
// map per axis and let kernels/cpu/pad copy through it.
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

#include "kernels/cpu/pad.h"
#include "onnxi/float_types.h"

namespace onnxi::ops::tensor {
namespace {

enum class PadMode { Constant, Reflect, Edge, Wrap };

PadMode pad_mode(const Node& node, int64_t opset) {
  const std::string m = node.attr_string("mode", "constant");
  if (m == "constant") return PadMode::Constant;
  if (m == "reflect") return PadMode::Reflect;
  if (m == "edge") return PadMode::Edge;
  if (m == "wrap" && opset >= 19) return PadMode::Wrap;
  fail(ErrorCode::InvalidModel, cat(node.label(), ": pad mode '", m, "' is not supported at opset ", opset,
                                    "; use constant, reflect, edge", opset >= 19 ? " or wrap" : ""));
}

// Source coordinate of output coordinate o along an axis of size `dim` padded by `begin` in front;
// -1 for the constant fill.
int64_t source_coord(int64_t o, int64_t begin, int64_t dim, PadMode mode) {
  const int64_t i = o - begin;
  if (i >= 0 && i < dim) return i;
  switch (mode) {
    case PadMode::Constant: return -1;
    case PadMode::Edge: return i < 0 ? 0 : dim - 1;
    case PadMode::Wrap: return ((i % dim) + dim) % dim;
    case PadMode::Reflect: {
      if (dim == 1) return 0;
      const int64_t period = 2 * (dim - 1);
      int64_t r = ((i % period) + period) % period;
      return r < dim ? r : period - r;
    }
  }
  return -1;
}

// Per-axis (begin, end) pads over all axes of a tensor of `rank`.
std::vector<int64_t> full_pads(const std::vector<int64_t>& pads, const std::vector<int64_t>* axes, int64_t rank,
                               const Node& node, ErrorCode code) {
  std::vector<int64_t> ax;
  if (axes && !axes->empty()) {
    ax = normalize_axes(*axes, rank, node);
  } else {
    for (int64_t k = 0; k < rank; ++k) ax.push_back(k);
  }
  ONNXI_CHECK(pads.size() == 2 * ax.size(), code, node.label(), ": pads has ", pads.size(), " entries; expected ",
              2 * ax.size(), " (a begin and an end for each of ", ax.size(), " axes)");
  std::vector<int64_t> full(static_cast<size_t>(2 * rank), 0);
  for (size_t i = 0; i < ax.size(); ++i) {
    full[static_cast<size_t>(ax[i])] = pads[i];
    full[static_cast<size_t>(ax[i] + rank)] = pads[i + ax.size()];
  }
  return full;
}

std::vector<int64_t> attr_pads(const Node& node, int64_t opset) {
  return node.attr_ints(opset < 2 ? "paddings" : "pads");
}

// The fill element as a one-element tensor of the data's (unpacked) element type.
Tensor fill_element(const KernelContext& ctx, DataType dtype) {
  const DataType stored = is_packed(dtype) ? DataType::UInt8 : dtype;
  Tensor fill(stored, {});
  if (ctx.opset() >= 11) {
    if (!ctx.has_input(2)) return fill;
    const Tensor v = unpack_elements(ctx.input(2));
    if (v.numel() == 0) return fill;
    if (v.numel() != 1 || v.dtype() != stored) {
      ctx.fail(cat("constant_value must be one element of the data's type, got ", ctx.input(2).describe()));
    }
    return v.reshaped({});
  }
  if (dtype == DataType::String) return fill;
  const double value = ctx.node().attr_float("value", 0.f);
  if (is_packed(dtype)) {
    Tensor packed(dtype, {1});
    convert_from_f64(dtype, &value, packed.raw(), 1);
    return unpack_elements(packed).reshaped({});
  }
  convert_from_f64(dtype, &value, fill.raw(), 1);
  return fill;
}

Tensor copy_mapped(const Tensor& src, const Shape& out_shape, const std::vector<std::vector<int64_t>>& maps, const Tensor& fill) {
  Tensor out(src.dtype(), out_shape);
  if (out.numel() == 0) return out;
  if (src.dtype() == DataType::String) {
    kernels::copy_axis_mapped(src.data<std::string>(), src.shape(), maps, out.data<std::string>(), *fill.data<std::string>());
  } else {
    kernels::copy_axis_mapped(src.raw(), src.shape(), maps, out.raw(), element_size(src.dtype()), fill.raw());
  }
  return out;
}

void run_pad(KernelContext& ctx) {
  const Tensor x = unpack_elements(ctx.input(0));
  const DataType dtype = ctx.input(0).dtype();
  const PadMode mode = pad_mode(ctx.node(), ctx.opset());
  std::vector<int64_t> pads, axes;
  if (ctx.opset() >= 11) {
    pads = int_input(ctx, 1);
    if (ctx.opset() >= 18) axes = int_input(ctx, 3);
  } else {
    pads = attr_pads(ctx.node(), ctx.opset());
  }
  const int64_t rank = x.rank();
  const std::vector<int64_t> full = full_pads(pads, &axes, rank, ctx.node(), ErrorCode::Runtime);
  Shape out_shape(static_cast<size_t>(rank));
  std::vector<std::vector<int64_t>> maps(static_cast<size_t>(rank));
  for (int64_t k = 0; k < rank; ++k) {
    const auto a = static_cast<size_t>(k);
    const int64_t dim = x.shape()[a], begin = full[a], end = full[a + static_cast<size_t>(rank)];
    out_shape[a] = dim + begin + end;
    if (out_shape[a] < 0) ctx.fail(cat("pads ", shape_str(pads), " remove more than the ", dim, " elements of axis ", k));
    if (mode != PadMode::Constant && dim == 0 && out_shape[a] > 0) {
      ctx.fail(cat("cannot pad the empty axis ", k, " in a non-constant mode"));
    }
    maps[a].resize(static_cast<size_t>(out_shape[a]));
    for (int64_t o = 0; o < out_shape[a]; ++o) maps[a][static_cast<size_t>(o)] = source_coord(o, begin, dim, mode);
  }
  const Tensor fill = fill_element(ctx, dtype);
  ctx.set_output(0, Value(pack_elements(copy_mapped(x, out_shape, maps, fill), dtype)));
}

void infer_pad(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  pad_mode(ctx.node, ctx.opset);
  if (!in) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  const auto rank = static_cast<int64_t>(in->size());
  std::optional<std::vector<int64_t>> pads, axes = std::vector<int64_t>{};
  if (ctx.opset >= 11) {
    pads = constant_ints(ctx, 1);
    if (ctx.opset >= 18 && ctx.has_input(3)) axes = constant_ints(ctx, 3);
  } else {
    pads = attr_pads(ctx.node, ctx.opset);
  }
  if (!pads || !axes) {
    ctx.set_output(0, TypeInfo::tensor(elem, std::vector<Dim>(in->size())));
    return;
  }
  const std::vector<int64_t> full = full_pads(*pads, &*axes, rank, ctx.node, ErrorCode::InvalidModel);
  std::vector<Dim> out = *in;
  for (size_t k = 0; k < in->size(); ++k) {
    const int64_t add = full[k] + full[k + static_cast<size_t>(rank)];
    if (add == 0) continue;
    out[k] = (*in)[k].is_known() ? Dim::known((*in)[k].value + add) : Dim{};
  }
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

// ---- CenterCropPad -------------------------------------------------------------------------------
void run_center_crop_pad(KernelContext& ctx) {
  const Tensor x = unpack_elements(ctx.input(0));
  const std::vector<int64_t> shape = int_input(ctx, 1);
  std::vector<int64_t> axes = ctx.node().attr_ints("axes");
  if (axes.empty()) {
    for (int64_t k = 0; k < x.rank(); ++k) axes.push_back(k);
  }
  axes = normalize_axes(axes, x.rank(), ctx.node());
  if (shape.size() != axes.size()) ctx.fail(cat("shape has ", shape.size(), " entries but there are ", axes.size(), " axes"));
  Shape out_shape = x.shape();
  std::vector<std::vector<int64_t>> maps(static_cast<size_t>(x.rank()));
  for (size_t k = 0; k < out_shape.size(); ++k) {
    for (int64_t o = 0; o < out_shape[k]; ++o) maps[k].push_back(o);
  }
  for (size_t i = 0; i < axes.size(); ++i) {
    const auto a = static_cast<size_t>(axes[i]);
    const int64_t dim = x.shape()[a], want = shape[i];
    if (want < 0) ctx.fail(cat("shape ", shape_str(shape), " has a negative entry"));
    // Crops drop floor(excess / 2) in front; pads add floor(missing / 2) in front.
    const int64_t shift = want <= dim ? (dim - want) / 2 : -((want - dim) / 2);
    out_shape[a] = want;
    maps[a].clear();
    for (int64_t o = 0; o < want; ++o) {
      const int64_t src = o + shift;
      maps[a].push_back(src >= 0 && src < dim ? src : -1);
    }
  }
  const DataType stored = x.dtype();
  Tensor fill(stored, {});
  ctx.set_output(0, Value(pack_elements(copy_mapped(x, out_shape, maps, fill), ctx.input(0).dtype())));
}

void infer_center_crop_pad(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  if (!in) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  std::vector<Dim> out = *in;
  std::vector<int64_t> axes = ctx.node.attr_ints("axes");
  if (axes.empty()) {
    for (size_t k = 0; k < in->size(); ++k) axes.push_back(static_cast<int64_t>(k));
  }
  axes = normalize_axes(axes, static_cast<int64_t>(in->size()), ctx.node);
  std::optional<std::vector<int64_t>> shape = constant_ints(ctx, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    out[static_cast<size_t>(axes[i])] = shape && i < shape->size() ? Dim::known((*shape)[i]) : Dim{};
  }
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

}  // namespace

void register_pad(Registry& r) {
  r.add({"", "Pad", 1, 1, infer_pad, kernel_of(run_pad), kAllTypes});
  r.add({"", "Pad", 2, 10, infer_pad, kernel_of(run_pad), kAllTypes});
  r.add({"", "Pad", 11, 17, infer_pad, kernel_of(run_pad), kAllTypes});
  r.add({"", "Pad", 18, 18, infer_pad, kernel_of(run_pad), kAllTypes});
  r.add({"", "Pad", 19, kLatestOpset, infer_pad, kernel_of(run_pad), kAllTypes});
  r.add({"", "CenterCropPad", 18, kLatestOpset, infer_center_crop_pad, kernel_of(run_center_crop_pad), kAllTypes});
}

}  // namespace onnxi::ops::tensor
