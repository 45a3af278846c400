// Resize (opsets 10, 11, 13, 18, 19) and Upsample (1, 7, 9). Attributes and inputs become one
// kernels::ResizeAxisParams per resized axis; the data is resized one axis at a time in float64.
#include <cmath>
#include <limits>

#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

#include "kernels/cpu/pad.h"
#include "kernels/cpu/resize.h"
#include "onnxi/float_types.h"

namespace onnxi::ops::tensor {
namespace {

using kernels::NearestRounding;
using kernels::ResizeCoordinates;
using kernels::ResizeFilter;

struct ResizeAttrs {
  kernels::ResizeAxisParams base;  // filter, rounding, coordinates, cubic, exclude, antialias
  double extrapolation = 0.0;
  std::vector<int64_t> axes;       // empty: all
  std::string aspect = "stretch";  // keep_aspect_ratio_policy
  bool upsample = false;           // Upsample: scales only, no roi
};

ResizeFilter parse_filter(const Node& node, bool upsample) {
  const std::string m = node.attr_string("mode", "nearest");
  if (m == "nearest") return ResizeFilter::Nearest;
  if (m == "linear" || (upsample && m == "bilinear")) return ResizeFilter::Linear;
  if (m == "cubic" && !upsample) return ResizeFilter::Cubic;
  fail(ErrorCode::InvalidModel, cat(node.label(), ": mode '", m, "' is not supported; use nearest, linear",
                                    upsample ? "" : " or cubic"));
}

ResizeAttrs parse_attrs(const Node& node, int64_t opset, bool upsample) {
  ResizeAttrs a;
  a.upsample = upsample;
  a.base.filter = parse_filter(node, upsample);
  if (upsample || opset < 11) {
    // Resize-10 and Upsample: asymmetric coordinates and "simple" nearest rounding.
    a.base.coordinates = ResizeCoordinates::Asymmetric;
    a.base.rounding = NearestRounding::Simple;
    if (a.base.filter == ResizeFilter::Cubic) fail(ErrorCode::InvalidModel, cat(node.label(), ": cubic needs opset 11"));
    return a;
  }
  const std::string ct = node.attr_string("coordinate_transformation_mode", "half_pixel");
  if (ct == "half_pixel") a.base.coordinates = ResizeCoordinates::HalfPixel;
  else if (ct == "half_pixel_symmetric" && opset >= 19) a.base.coordinates = ResizeCoordinates::HalfPixelSymmetric;
  else if (ct == "pytorch_half_pixel") a.base.coordinates = ResizeCoordinates::PytorchHalfPixel;
  else if (ct == "align_corners") a.base.coordinates = ResizeCoordinates::AlignCorners;
  else if (ct == "asymmetric") a.base.coordinates = ResizeCoordinates::Asymmetric;
  else if (ct == "tf_crop_and_resize") a.base.coordinates = ResizeCoordinates::TfCropAndResize;
  else if (ct == "tf_half_pixel_for_nn" && opset < 13) a.base.coordinates = ResizeCoordinates::TfHalfPixelForNn;
  else fail(ErrorCode::InvalidModel, cat(node.label(), ": coordinate_transformation_mode '", ct, "' is not supported at opset ", opset));
  const std::string nm = node.attr_string("nearest_mode", "round_prefer_floor");
  if (nm == "round_prefer_floor") a.base.rounding = NearestRounding::RoundPreferFloor;
  else if (nm == "round_prefer_ceil") a.base.rounding = NearestRounding::RoundPreferCeil;
  else if (nm == "floor") a.base.rounding = NearestRounding::Floor;
  else if (nm == "ceil") a.base.rounding = NearestRounding::Ceil;
  else fail(ErrorCode::InvalidModel, cat(node.label(), ": nearest_mode '", nm, "' is not supported"));
  a.base.cubic_a = node.attr_float("cubic_coeff_a", -0.75f);
  a.base.exclude_outside = node.attr_int("exclude_outside", 0) != 0;
  a.extrapolation = node.attr_float("extrapolation_value", 0.f);
  if (opset >= 18) {
    a.base.antialias = node.attr_int("antialias", 0) != 0;
    a.axes = node.attr_ints("axes");
    a.aspect = node.attr_string("keep_aspect_ratio_policy", "stretch");
    if (a.aspect != "stretch" && a.aspect != "not_larger" && a.aspect != "not_smaller") {
      fail(ErrorCode::InvalidModel, cat(node.label(), ": keep_aspect_ratio_policy '", a.aspect,
                                        "' is not supported; use stretch, not_larger or not_smaller"));
    }
  }
  if (a.base.antialias && a.base.filter == ResizeFilter::Nearest) {
    fail(ErrorCode::InvalidModel, cat(node.label(), ": antialias applies to linear and cubic modes only"));
  }
  return a;
}

// The scales of Upsample-1 (height_scale/width_scale on a 4-D input) and Upsample-7 (attribute).
std::vector<float> upsample_attr_scales(const Node& node, int64_t opset) {
  if (opset >= 7) return node.attr_floats("scales");
  return {1.f, 1.f, node.attr_float("height_scale", 1.f), node.attr_float("width_scale", 1.f)};
}

struct ResizePlan {
  Shape out_shape;
  std::vector<double> scales;  // per axis of the input
  std::vector<double> roi;     // 2 * rank: starts then ends
};

// Output sizes and per-axis scales from the scales or sizes given for `axes`.
ResizePlan plan_resize(const KernelContext& ctx, const ResizeAttrs& a, const Shape& in) {
  const int64_t rank = static_cast<int64_t>(in.size());
  const Node& node = ctx.node();
  std::vector<int64_t> axes;
  if (a.axes.empty()) {
    for (int64_t k = 0; k < rank; ++k) axes.push_back(k);
  } else {
    axes = normalize_axes(a.axes, rank, node);
  }
  ResizePlan p;
  p.out_shape = in;
  p.scales.assign(static_cast<size_t>(rank), 1.0);
  p.roi.assign(static_cast<size_t>(2 * rank), 0.0);
  for (int64_t k = 0; k < rank; ++k) p.roi[static_cast<size_t>(rank + k)] = 1.0;

  std::vector<float> scales;
  std::vector<int64_t> sizes;
  if (a.upsample) {
    scales = ctx.opset() >= 9 ? ctx.input(1).to_float_vector() : upsample_attr_scales(node, ctx.opset());
  } else if (ctx.opset() < 11) {
    scales = ctx.input(1).to_float_vector();
  } else {
    if (ctx.has_input(2)) scales = ctx.input(2).to_float_vector();
    if (ctx.has_input(3)) sizes = int_input(ctx, 3);
    if (ctx.has_input(1) && a.base.coordinates == ResizeCoordinates::TfCropAndResize) {
      std::vector<float> roi = ctx.input(1).to_float_vector();
      if (roi.size() != 2 * axes.size()) {
        ctx.fail(cat("roi has ", roi.size(), " values; expected ", 2 * axes.size(), " (starts and ends of each resized axis)"));
      }
      for (size_t i = 0; i < axes.size(); ++i) {
        p.roi[static_cast<size_t>(axes[i])] = roi[i];
        p.roi[static_cast<size_t>(rank + axes[i])] = roi[axes.size() + i];
      }
    }
  }
  if (!scales.empty() && !sizes.empty()) ctx.fail("give either scales or sizes, not both");
  if (scales.empty() && sizes.empty()) ctx.fail("needs scales or sizes");
  if (!scales.empty()) {
    if (scales.size() != axes.size()) ctx.fail(cat("scales has ", scales.size(), " entries; expected ", axes.size()));
    for (size_t i = 0; i < axes.size(); ++i) {
      const auto k = static_cast<size_t>(axes[i]);
      if (!(scales[i] > 0)) ctx.fail(cat("scales must be positive, got ", scales[i]));
      p.scales[k] = scales[i];
      p.out_shape[k] = static_cast<int64_t>(std::floor(static_cast<double>(scales[i]) * static_cast<double>(in[k])));
    }
    return p;
  }
  if (sizes.size() != axes.size()) ctx.fail(cat("sizes has ", sizes.size(), " entries; expected ", axes.size()));
  for (size_t i = 0; i < axes.size(); ++i) {
    const auto k = static_cast<size_t>(axes[i]);
    if (sizes[i] < 0) ctx.fail(cat("sizes must be non-negative, got ", shape_str(sizes)));
    p.out_shape[k] = sizes[i];
    p.scales[k] = in[k] == 0 ? 1.0 : static_cast<double>(sizes[i]) / static_cast<double>(in[k]);
  }
  if (a.aspect != "stretch") {
    double s = a.aspect == "not_larger" ? std::numeric_limits<double>::infinity() : 0.0;
    for (int64_t k : axes) {
      const double v = p.scales[static_cast<size_t>(k)];
      s = a.aspect == "not_larger" ? std::min(s, v) : std::max(s, v);
    }
    for (int64_t k : axes) {
      p.scales[static_cast<size_t>(k)] = s;
      p.out_shape[static_cast<size_t>(k)] = static_cast<int64_t>(s * static_cast<double>(in[static_cast<size_t>(k)]) + 0.5);
    }
  }
  return p;
}

// Integer outputs round to nearest and saturate (cubic filters overshoot).
void store_result(std::vector<double>& v, Tensor& out) {
  const DataType t = out.dtype();
  if (is_integer(t) && !is_packed(t)) {
    double lo = 0, hi = 0;
    switch (t) {
      case DataType::Int8: lo = -128; hi = 127; break;
      case DataType::UInt8: lo = 0; hi = 255; break;
      case DataType::Int16: lo = -32768; hi = 32767; break;
      case DataType::UInt16: lo = 0; hi = 65535; break;
      case DataType::Int32: lo = -2147483648.0; hi = 2147483647.0; break;
      case DataType::UInt32: lo = 0; hi = 4294967295.0; break;
      default: lo = -9.2e18; hi = 9.2e18; break;
    }
    for (double& x : v) x = std::clamp(std::nearbyint(x), lo, hi);
  }
  convert_from_f64(t, v.data(), out.raw(), out.numel());
}

// One table per axis that changes; identity axes get none (an empty table).
std::vector<kernels::ResizeTable> axis_tables(const KernelContext& ctx, const ResizeAttrs& a, const ResizePlan& p,
                                              const Shape& in) {
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<kernels::ResizeTable> tables(in.size());
  for (int64_t k = 0; k < rank; ++k) {
    const auto ks = static_cast<size_t>(k);
    const bool identity_roi = p.roi[ks] == 0.0 && p.roi[static_cast<size_t>(rank) + ks] == 1.0;
    if (p.scales[ks] == 1.0 && p.out_shape[ks] == in[ks] && identity_roi) continue;
    kernels::ResizeAxisParams ap = a.base;
    ap.scale = p.scales[ks];
    ap.in_size = in[ks];
    ap.out_size = p.out_shape[ks];
    ap.roi_start = p.roi[ks];
    ap.roi_end = p.roi[static_cast<size_t>(rank) + ks];
    if (ap.in_size == 0) ctx.fail(cat("cannot resize the empty axis ", k, " to ", ap.out_size));
    tables[ks] = kernels::resize_table(ap);
  }
  return tables;
}

// Separable passes in the accumulator type T, one per axis with a table.
template <class T>
std::vector<T> interpolate(std::vector<T> cur, Shape shape, const ResizePlan& p,
                           const std::vector<kernels::ResizeTable>& tables, double extrapolation) {
  for (size_t k = 0; k < shape.size(); ++k) {
    if (tables[k].taps == 0) continue;
    int64_t outer = 1, inner = 1;
    for (size_t j = 0; j < k; ++j) outer *= shape[j];
    for (size_t j = k + 1; j < shape.size(); ++j) inner *= shape[j];
    std::vector<T> next(static_cast<size_t>(outer * p.out_shape[k] * inner));
    kernels::resize_axis<T>(cur.data(), next.data(), outer, shape[k], inner, tables[k], p.out_shape[k], extrapolation);
    cur = std::move(next);
    shape[k] = p.out_shape[k];
  }
  return cur;
}

// Nearest picks one source per output coordinate on every axis: a mapped copy of the raw
// elements, exact for every type (strings included), with no float round trip.
Tensor resize_nearest(const Tensor& x, const ResizePlan& p, const std::vector<kernels::ResizeTable>& tables,
                      double extrapolation) {
  const Tensor src = unpack_elements(x);
  std::vector<std::vector<int64_t>> maps(src.shape().size());
  for (size_t k = 0; k < maps.size(); ++k) {
    if (tables[k].taps == 0) {
      for (int64_t i = 0; i < p.out_shape[k]; ++i) maps[k].push_back(i);
    } else {
      maps[k] = kernels::nearest_map(tables[k], p.out_shape[k]);
    }
  }
  Tensor out(src.dtype(), p.out_shape);
  if (src.dtype() == DataType::String) {
    kernels::copy_axis_mapped(src.data<std::string>(), src.shape(), maps, out.data<std::string>(), std::string());
  } else {
    Tensor fill(x.dtype(), {1});
    if (x.dtype() != DataType::Bool) convert_from_f64(x.dtype(), &extrapolation, fill.raw(), 1);
    const Tensor fill_bytes = unpack_elements(fill);
    kernels::copy_axis_mapped(src.raw(), src.shape(), maps, out.raw(), element_size(src.dtype()), fill_bytes.raw());
  }
  return pack_elements(out, x.dtype());
}

void run_resize_impl(KernelContext& ctx, bool upsample) {
  const Tensor& x = ctx.input(0);
  const ResizeAttrs a = parse_attrs(ctx.node(), ctx.opset(), upsample);
  const bool nearest = a.base.filter == ResizeFilter::Nearest;
  if (!nearest && (x.dtype() == DataType::String || x.dtype() == DataType::Bool || is_complex(x.dtype()))) {
    ctx.fail(cat("cannot interpolate ", x.describe(), "; linear and cubic modes need numeric tensors"));
  }
  const ResizePlan p = plan_resize(ctx, a, x.shape());
  if (shape_numel(p.out_shape) == 0) {
    ctx.set_output(0, Value(Tensor(x.dtype(), p.out_shape)));
    return;
  }
  const std::vector<kernels::ResizeTable> tables = axis_tables(ctx, a, p, x.shape());
  if (nearest) {
    ctx.set_output(0, Value(resize_nearest(x, p, tables, a.extrapolation)));
    return;
  }
  Tensor out(x.dtype(), p.out_shape);
  if (x.dtype() == DataType::Float) {
    std::vector<float> in(x.data<float>(), x.data<float>() + x.numel());
    std::vector<float> r = interpolate<float>(std::move(in), x.shape(), p, tables, a.extrapolation);
    std::copy(r.begin(), r.end(), out.data<float>());
  } else {
    std::vector<double> in(static_cast<size_t>(x.numel()));
    convert_to_f64(x.dtype(), x.raw(), in.data(), x.numel());
    std::vector<double> r = interpolate<double>(std::move(in), x.shape(), p, tables, a.extrapolation);
    store_result(r, out);
  }
  ctx.set_output(0, Value(out));
}

void run_resize(KernelContext& ctx) { run_resize_impl(ctx, false); }
void run_upsample(KernelContext& ctx) { run_resize_impl(ctx, true); }

void infer_resize_impl(InferContext& ctx, bool upsample) {
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  const ResizeAttrs a = parse_attrs(ctx.node, ctx.opset, upsample);
  if (!in) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  const auto rank = static_cast<int64_t>(in->size());
  std::vector<int64_t> axes = a.axes.empty() ? std::vector<int64_t>{} : normalize_axes(a.axes, rank, ctx.node);
  if (axes.empty()) {
    for (int64_t k = 0; k < rank; ++k) axes.push_back(k);
  }
  std::vector<Dim> out = *in;
  std::vector<float> scales;
  std::optional<std::vector<int64_t>> sizes;
  bool known_values = true;
  auto read_scales = [&](size_t i) {
    const Tensor* t = ctx.constant(i);
    if (t && is_floating(t->dtype())) scales = t->to_float_vector();
    else known_values = false;
  };
  if (upsample) {
    if (ctx.opset >= 9) read_scales(1);
    else scales = upsample_attr_scales(ctx.node, ctx.opset);
  } else if (ctx.opset < 11) {
    read_scales(1);
  } else {
    if (ctx.has_input(3)) {
      sizes = constant_ints(ctx, 3);
      if (!sizes) known_values = false;
    }
    if (ctx.has_input(2)) {
      read_scales(2);
      if (!known_values && sizes && !sizes->empty()) known_values = true;  // unknown scales beside sizes
    }
  }
  if (sizes && !sizes->empty()) {
    if (sizes->size() != axes.size()) ctx.fail(cat("sizes has ", sizes->size(), " entries; expected ", axes.size()));
    for (size_t i = 0; i < axes.size(); ++i) {
      out[static_cast<size_t>(axes[i])] = a.aspect == "stretch" ? Dim::known((*sizes)[i]) : Dim{};
    }
  } else if (known_values && !scales.empty()) {
    if (scales.size() != axes.size()) ctx.fail(cat("scales has ", scales.size(), " entries; expected ", axes.size()));
    for (size_t i = 0; i < axes.size(); ++i) {
      Dim& d = out[static_cast<size_t>(axes[i])];
      if (scales[i] == 1.0f) continue;
      d = d.is_known() ? Dim::known(static_cast<int64_t>(std::floor(static_cast<double>(scales[i]) * static_cast<double>(d.value)))) : Dim{};
    }
  } else {
    for (int64_t k : axes) out[static_cast<size_t>(k)] = Dim{};
  }
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

void infer_resize(InferContext& ctx) { infer_resize_impl(ctx, false); }
void infer_upsample(InferContext& ctx) { infer_resize_impl(ctx, true); }

}  // namespace

void register_resize(Registry& r) {
  const char* types = "all numeric types (computed in float64)";
  r.add({"", "Resize", 10, 10, infer_resize, kernel_of(run_resize), types});
  r.add({"", "Resize", 11, 12, infer_resize, kernel_of(run_resize), types});
  r.add({"", "Resize", 13, 17, infer_resize, kernel_of(run_resize), types});
  r.add({"", "Resize", 18, 18, infer_resize, kernel_of(run_resize), types});
  r.add({"", "Resize", 19, kLatestOpset, infer_resize, kernel_of(run_resize), types});
  r.add({"", "Upsample", 1, 6, infer_upsample, kernel_of(run_upsample), types});
  r.add({"", "Upsample", 7, 8, infer_upsample, kernel_of(run_upsample), types});
  r.add({"", "Upsample", 9, 9, infer_upsample, kernel_of(run_upsample), types});
}

}  // namespace onnxi::ops::tensor
