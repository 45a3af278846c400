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
  const int64_t inner = shape[rank - 1];
  const int64_t si = ss[rank - 1], di = ds[rank - 1];
  std::vector<int64_t> idx(rank, 0);
  int64_t so = 0, dof = 0;
  while (true) {
    const T* s = src + so;
    T* d = dst + dof;
    if constexpr (std::is_trivially_copyable_v<T>) {
      if (si == 1 && di == 1) {
        std::memcpy(d, s, static_cast<size_t>(inner) * sizeof(T));
      } else {
        for (int64_t i = 0; i < inner; ++i) d[i * di] = s[i * si];
      }
    } else {
      for (int64_t i = 0; i < inner; ++i) d[i * di] = s[i * si];
    }
    // Odometer over the outer dims, moving both offsets incrementally.
    size_t k = rank - 1;
    while (true) {
      if (k == 0) return;
      --k;
      so += ss[k];
      dof += ds[k];
      if (++idx[k] < shape[k]) break;
      so -= ss[k] * shape[k];
      dof -= ds[k] * shape[k];
      idx[k] = 0;
    }
  }
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
