#include "kernels/cpu/transpose.h"

#include "kernels/cpu/copy.h"

namespace onnxi::kernels {
namespace {

// The output walks contiguously; each output axis k reads input axis perm[k] with that axis' stride.
void permuted_view(const std::vector<int64_t>& in_shape, const std::vector<int64_t>& perm, std::vector<int64_t>& out_shape,
                   std::vector<int64_t>& src_strides) {
  std::vector<int64_t> in_strides = contiguous_strides(in_shape);
  out_shape.resize(perm.size());
  src_strides.resize(perm.size());
  for (size_t k = 0; k < perm.size(); ++k) {
    out_shape[k] = in_shape[static_cast<size_t>(perm[k])];
    src_strides[k] = in_strides[static_cast<size_t>(perm[k])];
  }
}

}  // namespace

void transpose(const void* src, void* dst, size_t elem_size, const std::vector<int64_t>& in_shape,
               const std::vector<int64_t>& perm) {
  std::vector<int64_t> out_shape, src_strides;
  permuted_view(in_shape, perm, out_shape, src_strides);
  copy_strided(src, src_strides, dst, contiguous_strides(out_shape), out_shape, elem_size);
}

void transpose(const std::string* src, std::string* dst, const std::vector<int64_t>& in_shape,
               const std::vector<int64_t>& perm) {
  std::vector<int64_t> out_shape, src_strides;
  permuted_view(in_shape, perm, out_shape, src_strides);
  copy_strided(src, src_strides, dst, contiguous_strides(out_shape), out_shape);
}

}  // namespace onnxi::kernels
