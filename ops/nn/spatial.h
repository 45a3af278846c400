// Sliding-window attributes shared by Conv, ConvTranspose and the pools: kernel_shape, strides,
// dilations, pads and auto_pad, read once at kernel creation and resolved against each run's
// input shape.
#pragma once

#include <string>
#include <vector>

#include "onnxi/registry.h"

namespace onnxi::ops::nn {

enum class AutoPad { NotSet, SameUpper, SameLower, Valid };

struct WindowAttrs {
  AutoPad auto_pad = AutoPad::NotSet;
  std::vector<int64_t> kernel_shape;  // empty: not given (Conv takes it from W)
  std::vector<int64_t> strides;       // empty: all 1
  std::vector<int64_t> dilations;     // empty: all 1
  std::vector<int64_t> pads;          // empty: all 0; else [begin..., end...]
  bool ceil_mode = false;

  // Reads the attributes present on `node` and checks them (positive strides, kernel and
  // dilations, non-negative pads, a known auto_pad); errors name the node.
  static WindowAttrs read(const Node& node);
};

// A window resolved for concrete spatial dims.
struct Window {
  std::vector<int64_t> kernel, strides, dilations, pads_begin, pads_end, output;
};

// Output dims and effective pads of a forward sliding window (Conv, pools) over `input` spatial
// dims with `kernel`. Fails (Runtime, naming the node) when the ranks disagree or the window does
// not fit (an output dim below 0).
Window resolve_window(const WindowAttrs& attrs, const std::vector<int64_t>& input, const std::vector<int64_t>& kernel,
                      const Node& node);

// The same over inference dims: unknown where an input dim or the kernel is unknown; empty when the
// rank cannot be known. `kernel` entries < 0 are unknown.
std::vector<Dim> window_output_dims(const WindowAttrs& attrs, const std::vector<Dim>& input,
                                    const std::vector<int64_t>& kernel);

// Inference for the Conv family: output 0 is [N, M, spatial...] of `elem` from input x_in (the
// image) and w_in (the weights, [M, C/group, kernel...]); `x_name`/`w_name` name them in errors.
void infer_conv_output(InferContext& ctx, size_t x_in, size_t w_in, DataType elem, const char* x_name = "X",
                       const char* w_name = "W");

// Spatial dims of a shape ([N, C, spatial...]).
std::vector<int64_t> spatial_dims(const Shape& shape);

}  // namespace onnxi::ops::nn
