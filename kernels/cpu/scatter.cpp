#include "kernels/cpu/scatter.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace onnxi::kernels {

template <class T>
void scatter_blocks(T* dst, const int64_t* dst_offsets, int64_t count, int64_t block, const T* updates,
                    ScatterReduction r) {
  for (int64_t i = 0; i < count; ++i) {
    T* d = dst + dst_offsets[i];
    const T* u = updates + i * block;
    switch (r) {
      case ScatterReduction::None: for (int64_t j = 0; j < block; ++j) d[j] = u[j]; break;
      case ScatterReduction::Add:
        if constexpr (std::is_same_v<T, bool>) {
          for (int64_t j = 0; j < block; ++j) d[j] = d[j] || u[j];
        } else {
          for (int64_t j = 0; j < block; ++j) d[j] = static_cast<T>(d[j] + u[j]);
        }
        break;
      case ScatterReduction::Mul:
        if constexpr (std::is_same_v<T, bool>) {
          for (int64_t j = 0; j < block; ++j) d[j] = d[j] && u[j];
        } else {
          for (int64_t j = 0; j < block; ++j) d[j] = static_cast<T>(d[j] * u[j]);
        }
        break;
      case ScatterReduction::Min: for (int64_t j = 0; j < block; ++j) d[j] = std::min(d[j], u[j]); break;
      case ScatterReduction::Max: for (int64_t j = 0; j < block; ++j) d[j] = std::max(d[j], u[j]); break;
    }
  }
}

template void scatter_blocks<float>(float*, const int64_t*, int64_t, int64_t, const float*, ScatterReduction);
template void scatter_blocks<double>(double*, const int64_t*, int64_t, int64_t, const double*, ScatterReduction);
template void scatter_blocks<int8_t>(int8_t*, const int64_t*, int64_t, int64_t, const int8_t*, ScatterReduction);
template void scatter_blocks<int16_t>(int16_t*, const int64_t*, int64_t, int64_t, const int16_t*, ScatterReduction);
template void scatter_blocks<int32_t>(int32_t*, const int64_t*, int64_t, int64_t, const int32_t*, ScatterReduction);
template void scatter_blocks<int64_t>(int64_t*, const int64_t*, int64_t, int64_t, const int64_t*, ScatterReduction);
template void scatter_blocks<uint8_t>(uint8_t*, const int64_t*, int64_t, int64_t, const uint8_t*, ScatterReduction);
template void scatter_blocks<uint16_t>(uint16_t*, const int64_t*, int64_t, int64_t, const uint16_t*, ScatterReduction);
template void scatter_blocks<uint32_t>(uint32_t*, const int64_t*, int64_t, int64_t, const uint32_t*, ScatterReduction);
template void scatter_blocks<uint64_t>(uint64_t*, const int64_t*, int64_t, int64_t, const uint64_t*, ScatterReduction);
template void scatter_blocks<bool>(bool*, const int64_t*, int64_t, int64_t, const bool*, ScatterReduction);

void scatter_blocks_copy(void* dst, const int64_t* dst_offsets, int64_t count, int64_t block, const void* updates,
                         size_t elem_size) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* u = static_cast<const unsigned char*>(updates);
  const size_t bytes = static_cast<size_t>(block) * elem_size;
  if (bytes == 0) return;
  for (int64_t i = 0; i < count; ++i) {
    std::memcpy(d + static_cast<size_t>(dst_offsets[i]) * elem_size, u + static_cast<size_t>(i) * bytes, bytes);
  }
}

void scatter_blocks_copy(std::string* dst, const int64_t* dst_offsets, int64_t count, int64_t block,
                         const std::string* updates) {
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t j = 0; j < block; ++j) dst[dst_offsets[i] + j] = updates[i * block + j];
  }
}

}  // namespace onnxi::kernels
