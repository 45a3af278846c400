#include "kernels/cpu/gather.h"

#include <cstring>

#include "kernels/cpu/copy.h"

namespace onnxi::kernels {

void gather_blocks(const void* src, const int64_t* src_offsets, int64_t count, int64_t block, void* dst,
                   size_t elem_size) {
  const auto* s = static_cast<const unsigned char*>(src);
  auto* d = static_cast<unsigned char*>(dst);
  const size_t bytes = static_cast<size_t>(block) * elem_size;
  if (bytes == 0) return;
  for (int64_t i = 0; i < count; ++i) {
    std::memcpy(d + static_cast<size_t>(i) * bytes, s + static_cast<size_t>(src_offsets[i]) * elem_size, bytes);
  }
}

void gather_blocks(const std::string* src, const int64_t* src_offsets, int64_t count, int64_t block,
                   std::string* dst) {
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t j = 0; j < block; ++j) dst[i * block + j] = src[src_offsets[i] + j];
  }
}

std::vector<int64_t> element_offsets(const std::vector<int64_t>& data_shape, const int64_t* indices,
                                     const std::vector<int64_t>& index_shape, int64_t axis) {
  const size_t rank = index_shape.size();
  int64_t count = 1;
  for (int64_t d : index_shape) count *= d;
  std::vector<int64_t> offsets(static_cast<size_t>(count));
  if (count == 0) return offsets;
  std::vector<int64_t> data_strides = contiguous_strides(data_shape);
  std::vector<int64_t> idx(rank, 0);
  int64_t base = 0;  // offset of the index position with the axis coordinate zeroed
  const int64_t axis_stride = data_strides[static_cast<size_t>(axis)];
  for (int64_t p = 0; p < count; ++p) {
    offsets[static_cast<size_t>(p)] = base + indices[p] * axis_stride;
    for (size_t k = rank; k-- > 0;) {
      const int64_t step = static_cast<int64_t>(k) == axis ? 0 : data_strides[k];
      base += step;
      if (++idx[k] < index_shape[k]) break;
      base -= step * index_shape[k];
      idx[k] = 0;
    }
  }
  return offsets;
}

void gather_elements(const void* src, const std::vector<int64_t>& src_shape, const int64_t* indices,
                     const std::vector<int64_t>& index_shape, int64_t axis, void* dst, size_t elem_size) {
  std::vector<int64_t> offsets = element_offsets(src_shape, indices, index_shape, axis);
  gather_blocks(src, offsets.data(), static_cast<int64_t>(offsets.size()), 1, dst, elem_size);
}

void gather_elements(const std::string* src, const std::vector<int64_t>& src_shape, const int64_t* indices,
                     const std::vector<int64_t>& index_shape, int64_t axis, std::string* dst) {
  std::vector<int64_t> offsets = element_offsets(src_shape, indices, index_shape, axis);
  gather_blocks(src, offsets.data(), static_cast<int64_t>(offsets.size()), 1, dst);
}

}  // namespace onnxi::kernels
