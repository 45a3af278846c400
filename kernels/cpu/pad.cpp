#include "kernels/cpu/pad.h"

#include <cstring>

#include "kernels/cpu/copy.h"

namespace onnxi::kernels {
namespace {

struct Walk {
  const std::vector<std::vector<int64_t>>* maps;
  std::vector<int64_t> src_strides;
  std::vector<int64_t> dst_block;  // elements under one output coordinate of axis k
};

// Element mover for byte blocks and strings alike.
template <class Mover>
void walk(const Walk& w, size_t axis, int64_t src_off, int64_t dst_off, const Mover& mv) {
  const std::vector<int64_t>& map = (*w.maps)[axis];
  const int64_t block = w.dst_block[axis];
  const bool last = axis + 1 == w.maps->size();
  const size_t n = map.size();
  for (size_t o = 0; o < n;) {
    const int64_t d = dst_off + static_cast<int64_t>(o) * block;
    if (last) {
      // Runs of fills, or of consecutive source elements, move as one block.
      size_t e = o + 1;
      if (map[o] < 0) {
        while (e < n && map[e] < 0) ++e;
        mv.fill(d, static_cast<int64_t>(e - o));
      } else {
        while (e < n && map[e] == map[e - 1] + 1) ++e;
        mv.copy(src_off + map[o], d, static_cast<int64_t>(e - o));
      }
      o = e;
      continue;
    }
    if (map[o] < 0) {
      mv.fill(d, block);
    } else {
      walk(w, axis + 1, src_off + map[o] * w.src_strides[axis], d, mv);
    }
    ++o;
  }
}

Walk make_walk(const std::vector<int64_t>& src_shape, const std::vector<std::vector<int64_t>>& maps) {
  Walk w{&maps, contiguous_strides(src_shape), std::vector<int64_t>(maps.size(), 1)};
  for (size_t k = maps.size(); k > 1; --k) w.dst_block[k - 2] = w.dst_block[k - 1] * static_cast<int64_t>(maps[k - 1].size());
  return w;
}

}  // namespace

void copy_axis_mapped(const void* src, const std::vector<int64_t>& src_shape,
                      const std::vector<std::vector<int64_t>>& maps, void* dst, size_t elem_size, const void* fill) {
  const auto* s = static_cast<const unsigned char*>(src);
  auto* d = static_cast<unsigned char*>(dst);
  if (maps.empty()) {
    std::memcpy(d, s, elem_size);
    return;
  }
  struct {
    const unsigned char* s;
    unsigned char* d;
    size_t n;
    const void* fill_value;
    void fill(int64_t at, int64_t count) const { fill_elements(d + at * n, count, fill_value, n); }
    void copy(int64_t from, int64_t at, int64_t count) const {
      std::memcpy(d + at * n, s + from * n, static_cast<size_t>(count) * n);
    }
  } mv{s, d, elem_size, fill};
  walk(make_walk(src_shape, maps), 0, 0, 0, mv);
}

void copy_axis_mapped(const std::string* src, const std::vector<int64_t>& src_shape,
                      const std::vector<std::vector<int64_t>>& maps, std::string* dst, const std::string& fill) {
  if (maps.empty()) {
    *dst = *src;
    return;
  }
  struct {
    const std::string* s;
    std::string* d;
    const std::string* fill_value;
    void fill(int64_t at, int64_t count) const {
      for (int64_t i = 0; i < count; ++i) d[at + i] = *fill_value;
    }
    void copy(int64_t from, int64_t at, int64_t count) const {
      for (int64_t i = 0; i < count; ++i) d[at + i] = s[from + i];
    }
  } mv{src, dst, &fill};
  walk(make_walk(src_shape, maps), 0, 0, 0, mv);
}

}  // namespace onnxi::kernels
