#include "kernels/cpu/copy.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace onnxi::kernels {
namespace {

template <size_t N>
struct Bytes {
  unsigned char b[N];
};

// Drops unit dims and merges neighbours that are contiguous in both views, so a plain copy of a
// contiguous tensor becomes one long row and the inner loop runs as long as possible.
void simplify(std::vector<int64_t>& shape, std::vector<int64_t>& s1, std::vector<int64_t>& s2) {
  std::vector<int64_t> sh, a, b;
  for (size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == 1) continue;
    if (!sh.empty() && a.back() == s1[k] * shape[k] && b.back() == s2[k] * shape[k]) {
      sh.back() *= shape[k];
      a.back() = s1[k];
      b.back() = s2[k];
    } else {
      sh.push_back(shape[k]);
      a.push_back(s1[k]);
      b.push_back(s2[k]);
    }
  }
  shape = std::move(sh);
  s1 = std::move(a);
  s2 = std::move(b);
}

// Moves both offsets through every index of `shape` except the axes in `skip`, calling
// body(src_offset, dst_offset) once per index.
template <class Body>
void for_each_outer(const std::vector<int64_t>& shape, const std::vector<int64_t>& ss, const std::vector<int64_t>& ds,
                    const std::vector<bool>& skip, const Body& body) {
  std::vector<size_t> axes;
  for (size_t k = 0; k < shape.size(); ++k) {
    if (!skip[k]) axes.push_back(k);
  }
  std::vector<int64_t> idx(axes.size(), 0);
  int64_t so = 0, dof = 0;
  while (true) {
    body(so, dof);
    size_t n = axes.size();
    while (true) {
      if (n == 0) return;
      const size_t k = axes[--n];
      so += ss[k];
      dof += ds[k];
      if (++idx[n] < shape[k]) break;
      so -= ss[k] * shape[k];
      dof -= ds[k] * shape[k];
      idx[n] = 0;
    }
  }
}

template <class T>
void copy_impl(const T* src, std::vector<int64_t> ss, T* dst, std::vector<int64_t> ds, std::vector<int64_t> shape) {
  for (int64_t d : shape) {
    if (d == 0) return;
  }
  simplify(shape, ss, ds);
  if (shape.empty()) {
    *dst = *src;
    return;
  }
  const size_t rank = shape.size();
  const size_t last = rank - 1;
  const int64_t inner = shape[last];
  const int64_t si = ss[last], di = ds[last];
  std::vector<bool> skip(rank, false);
  skip[last] = true;
  // A transpose: the source is contiguous along another axis. Copy tiles of both axes so reads and
  // writes each stay within a few cache lines instead of striding across the whole tensor.
  size_t tile_axis = rank;
  if (si != 1 && di == 1) {
    for (size_t k = 0; k < last; ++k) {
      if (ss[k] == 1 && shape[k] > 1) tile_axis = k;
    }
  }
  if (tile_axis < rank) {
    skip[tile_axis] = true;
    constexpr int64_t kTile = 16;
    const int64_t rows = shape[tile_axis], sr = ss[tile_axis], dr = ds[tile_axis];
    for_each_outer(shape, ss, ds, skip, [&](int64_t so, int64_t dof) {
      for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
        const int64_t r1 = std::min(rows, r0 + kTile);
        for (int64_t c0 = 0; c0 < inner; c0 += kTile) {
          const int64_t c1 = std::min(inner, c0 + kTile);
          for (int64_t r = r0; r < r1; ++r) {
            const T* s = src + so + r * sr;
            T* d = dst + dof + r * dr;
            for (int64_t c = c0; c < c1; ++c) d[c] = s[c * si];
          }
        }
      }
    });
    return;
  }
  for_each_outer(shape, ss, ds, skip, [&](int64_t so, int64_t dof) {
    const T* s = src + so;
    T* d = dst + dof;
    if constexpr (std::is_trivially_copyable_v<T>) {
      if (si == 1 && di == 1) {
        std::memcpy(d, s, static_cast<size_t>(inner) * sizeof(T));
        return;
      }
    }
    for (int64_t i = 0; i < inner; ++i) d[i * di] = s[i * si];
  });
}

}  // namespace

void copy_strided(const void* src, const std::vector<int64_t>& src_strides, void* dst,
                  const std::vector<int64_t>& dst_strides, const std::vector<int64_t>& shape, size_t elem_size) {
  switch (elem_size) {
    case 1: copy_impl(static_cast<const Bytes<1>*>(src), src_strides, static_cast<Bytes<1>*>(dst), dst_strides, shape); break;
    case 2: copy_impl(static_cast<const Bytes<2>*>(src), src_strides, static_cast<Bytes<2>*>(dst), dst_strides, shape); break;
    case 4: copy_impl(static_cast<const Bytes<4>*>(src), src_strides, static_cast<Bytes<4>*>(dst), dst_strides, shape); break;
    case 8: copy_impl(static_cast<const Bytes<8>*>(src), src_strides, static_cast<Bytes<8>*>(dst), dst_strides, shape); break;
    case 16: copy_impl(static_cast<const Bytes<16>*>(src), src_strides, static_cast<Bytes<16>*>(dst), dst_strides, shape); break;
    default: {
      // Odd sizes never come from ONNX types; copy them through a byte view with a trailing axis.
      std::vector<int64_t> sh = shape, s1, s2;
      for (int64_t v : src_strides) s1.push_back(v * static_cast<int64_t>(elem_size));
      for (int64_t v : dst_strides) s2.push_back(v * static_cast<int64_t>(elem_size));
      sh.push_back(static_cast<int64_t>(elem_size));
      s1.push_back(1);
      s2.push_back(1);
      copy_impl(static_cast<const Bytes<1>*>(src), s1, static_cast<Bytes<1>*>(dst), s2, sh);
    }
  }
}

void copy_strided(const std::string* src, const std::vector<int64_t>& src_strides, std::string* dst,
                  const std::vector<int64_t>& dst_strides, const std::vector<int64_t>& shape) {
  copy_impl(src, src_strides, dst, dst_strides, shape);
}

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t k = shape.size(); k > 1; --k) strides[k - 2] = strides[k - 1] * shape[k - 1];
  return strides;
}

void fill_elements(void* dst, int64_t count, const void* value, size_t elem_size) {
  auto* d = static_cast<unsigned char*>(dst);
  if (count <= 0) return;
  std::memcpy(d, value, elem_size);
  // Doubling copies: log(count) memcpy calls instead of one per element.
  int64_t done = 1;
  while (done < count) {
    int64_t n = std::min(done, count - done);
    std::memcpy(d + done * elem_size, d, static_cast<size_t>(n) * elem_size);
    done += n;
  }
}

}  // namespace onnxi::kernels
