// Axis-mapped copy: each output coordinate along each axis names its source coordinate, or -1 for
// "fill". Constant, reflect, edge and wrap padding, negative pads (crops) and CenterCropPad all
// reduce to such per-axis maps, which the op builds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace onnxi::kernels {

// dst (contiguous, shape: maps[k].size() per axis) = src (contiguous, src_shape) at the mapped
// coordinates; an element with any -1 coordinate gets `fill` (elem_size bytes).
void copy_axis_mapped(const void* src, const std::vector<int64_t>& src_shape,
                      const std::vector<std::vector<int64_t>>& maps, void* dst, size_t elem_size, const void* fill);
void copy_axis_mapped(const std::string* src, const std::vector<int64_t>& src_shape,
                      const std::vector<std::vector<int64_t>>& maps, std::string* dst, const std::string& fill);

}  // namespace onnxi::kernels
