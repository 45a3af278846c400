// Helpers shared by the vision ops: type lists and conversions to the compute types.
#include <algorithm>
#include <vector>

#include "onnxi/float_types.h"
#include "ops/vision/vision.h"

namespace onnxi::ops::vision {

TypeList float_types(int since, int bf16_since) {
  TypeList t = {DataType::Float16, DataType::Float, DataType::Double};
  if (since >= bf16_since) t.push_back(DataType::BFloat16);
  return t;
}

Tensor to_compute(const Tensor& t, DataType to) {
  if (t.dtype() == to) return t;
  Tensor out(to, t.shape());
  const int64_t n = t.numel();
  if (to == DataType::Float && (t.dtype() == DataType::Float16 || t.dtype() == DataType::BFloat16)) {
    const uint16_t* src = t.data<uint16_t>();
    float* dst = out.data<float>();
    const bool half = t.dtype() == DataType::Float16;
    for (int64_t i = 0; i < n; ++i) dst[i] = half ? f16_to_f32(src[i]) : bf16_to_f32(src[i]);
    return out;
  }
  std::vector<double> wide(static_cast<size_t>(n));
  convert_to_f64(t.dtype(), t.raw(), wide.data(), n);
  convert_from_f64(to, wide.data(), out.raw(), n);
  return out;
}

Tensor from_compute(const Tensor& t, DataType target) {
  if (t.dtype() == target) return t;
  Tensor out(target, t.shape());
  const int64_t n = t.numel();
  std::vector<double> wide(static_cast<size_t>(n));
  convert_to_f64(t.dtype(), t.raw(), wide.data(), n);
  convert_from_f64(target, wide.data(), out.raw(), n);
  return out;
}

}  // namespace onnxi::ops::vision
