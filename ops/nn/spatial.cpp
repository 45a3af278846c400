#include "ops/nn/spatial.h"

#include <algorithm>

namespace onnxi::ops::nn {
namespace {

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

std::vector<int64_t> or_ones(const std::vector<int64_t>& v, size_t n) {
  return v.empty() ? std::vector<int64_t>(n, 1) : v;
}

// Output size along one dim; pads_begin/pads_end are updated for auto_pad.
int64_t output_size(const WindowAttrs& a, int64_t in, int64_t k, int64_t s, int64_t d, int64_t& pb, int64_t& pe) {
  const int64_t extent = (k - 1) * d + 1;
  switch (a.auto_pad) {
    case AutoPad::SameUpper:
    case AutoPad::SameLower: {
      const int64_t out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + extent - in);
      pb = a.auto_pad == AutoPad::SameUpper ? total / 2 : total - total / 2;
      pe = total - pb;
      return out;
    }
    case AutoPad::Valid:
      pb = pe = 0;
      return floor_div(in - extent, s) + 1;
    case AutoPad::NotSet:
      break;
  }
  const int64_t span = in + pb + pe - extent;
  if (!a.ceil_mode) return floor_div(span, s) + 1;
  int64_t out = floor_div(span + s - 1, s) + 1;
  // The last window must start inside the input or its begin padding.
  if (out > 0 && (out - 1) * s >= in + pb) --out;
  return out;
}

}  // namespace

WindowAttrs WindowAttrs::read(const Node& node) {
  WindowAttrs a;
  const std::string pad = node.attr_string("auto_pad", "NOTSET");
  if (pad == "NOTSET" || pad.empty()) {
    a.auto_pad = AutoPad::NotSet;
  } else if (pad == "SAME_UPPER") {
    a.auto_pad = AutoPad::SameUpper;
  } else if (pad == "SAME_LOWER") {
    a.auto_pad = AutoPad::SameLower;
  } else if (pad == "VALID") {
    a.auto_pad = AutoPad::Valid;
  } else {
    fail(ErrorCode::InvalidModel,
         cat(node.label(), ": auto_pad '", pad, "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"));
  }
  a.kernel_shape = node.attr_ints("kernel_shape");
  a.strides = node.attr_ints("strides");
  a.dilations = node.attr_ints("dilations");
  a.pads = node.attr_ints("pads");
  a.ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  auto check_positive = [&](const std::vector<int64_t>& v, const char* name) {
    for (int64_t x : v) {
      ONNXI_CHECK(x > 0, ErrorCode::InvalidModel, node.label(), ": ", name, " must be positive, got ", x);
    }
  };
  check_positive(a.kernel_shape, "kernel_shape");
  check_positive(a.strides, "strides");
  check_positive(a.dilations, "dilations");
  for (int64_t p : a.pads) {
    ONNXI_CHECK(p >= 0, ErrorCode::InvalidModel, node.label(), ": pads must be non-negative, got ", p);
  }
  ONNXI_CHECK(a.pads.size() % 2 == 0, ErrorCode::InvalidModel, node.label(), ": pads has ", a.pads.size(),
              " entries; it needs a begin and an end value per spatial axis");
  return a;
}

Window resolve_window(const WindowAttrs& a, const std::vector<int64_t>& input, const std::vector<int64_t>& kernel,
                      const Node& node) {
  const size_t n = input.size();
  auto check_len = [&](const std::vector<int64_t>& v, size_t want, const char* name) {
    ONNXI_CHECK(v.empty() || v.size() == want, ErrorCode::Runtime, node.label(), ": ", name, " has ", v.size(),
                " entries but the input has ", n, " spatial axes");
  };
  check_len(kernel, n, "kernel_shape");
  ONNXI_CHECK(kernel.size() == n, ErrorCode::Runtime, node.label(), ": kernel_shape is required");
  check_len(a.strides, n, "strides");
  check_len(a.dilations, n, "dilations");
  check_len(a.pads, 2 * n, "pads");
  Window w;
  w.kernel = kernel;
  w.strides = or_ones(a.strides, n);
  w.dilations = or_ones(a.dilations, n);
  w.pads_begin.assign(n, 0);
  w.pads_end.assign(n, 0);
  if (!a.pads.empty() && a.auto_pad == AutoPad::NotSet) {
    std::copy(a.pads.begin(), a.pads.begin() + n, w.pads_begin.begin());
    std::copy(a.pads.begin() + n, a.pads.end(), w.pads_end.begin());
  }
  w.output.resize(n);
  for (size_t d = 0; d < n; ++d) {
    w.output[d] = output_size(a, input[d], kernel[d], w.strides[d], w.dilations[d], w.pads_begin[d], w.pads_end[d]);
    ONNXI_CHECK(w.output[d] >= 0, ErrorCode::Runtime, node.label(), ": the window (kernel ", kernel[d], ", dilation ",
                w.dilations[d], ") does not fit spatial axis ", d, " of size ", input[d], " with pads ",
                w.pads_begin[d], "+", w.pads_end[d]);
  }
  return w;
}

std::vector<Dim> window_output_dims(const WindowAttrs& a, const std::vector<Dim>& input,
                                    const std::vector<int64_t>& kernel) {
  const size_t n = input.size();
  std::vector<Dim> out(n);
  if (kernel.size() != n || (!a.strides.empty() && a.strides.size() != n) ||
      (!a.dilations.empty() && a.dilations.size() != n) || (!a.pads.empty() && a.pads.size() != 2 * n)) {
    return out;
  }
  const auto strides = or_ones(a.strides, n);
  const auto dilations = or_ones(a.dilations, n);
  for (size_t d = 0; d < n; ++d) {
    if (!input[d].is_known() || kernel[d] < 0) continue;
    int64_t pb = 0, pe = 0;
    if (!a.pads.empty() && a.auto_pad == AutoPad::NotSet) {
      pb = a.pads[d];
      pe = a.pads[d + n];
    }
    const int64_t o = output_size(a, input[d].value, kernel[d], strides[d], dilations[d], pb, pe);
    if (o >= 0) out[d] = Dim::known(o);
  }
  return out;
}

std::vector<int64_t> spatial_dims(const Shape& shape) {
  return shape.size() > 2 ? std::vector<int64_t>(shape.begin() + 2, shape.end()) : std::vector<int64_t>{};
}

void infer_conv_output(InferContext& ctx, size_t x_in, size_t w_in, DataType elem, const char* x_name,
                       const char* w_name) {
  const TypeInfo& tx = ctx.input(x_in);
  if (!tx.is_tensor() || !tx.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  if (tx.dims.size() < 3) ctx.fail(cat("input ", x_name, " must be [N, C, spatial...] (rank >= 3), got ", tx.str()));
  const WindowAttrs attrs = WindowAttrs::read(ctx.node);
  const size_t nd = tx.dims.size() - 2;
  const TypeInfo& tw = ctx.input(w_in);
  const bool w_ranked = tw.is_tensor() && tw.has_shape;
  if (w_ranked && tw.dims.size() != tx.dims.size()) {
    ctx.fail(cat(w_name, " ", tw.str(), " must have the rank of ", x_name, " ", tx.str()));
  }
  std::vector<int64_t> kernel = attrs.kernel_shape;
  if (kernel.empty()) {
    kernel.assign(nd, -1);
    for (size_t d = 0; w_ranked && d < nd; ++d) {
      if (tw.dims[d + 2].is_known()) kernel[d] = tw.dims[d + 2].value;
    }
  }
  std::vector<Dim> out{tx.dims[0], w_ranked ? tw.dims[0] : Dim{}};
  const auto spatial = window_output_dims(attrs, std::vector<Dim>(tx.dims.begin() + 2, tx.dims.end()), kernel);
  out.insert(out.end(), spatial.begin(), spatial.end());
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

}  // namespace onnxi::ops::nn
