// Inference BatchNormalization planes, y = x * a[c] + b[c] (one fused multiply-add per element),
// written once over a vector traits type V (vec_math__avx512.h's Vec16, vec_math__avx2.h's Vec8)
// and instantiated by norm__avx512.cpp and norm__avx2.cpp; include it after one of those headers.
// Internal linkage, as docs/ARCHITECTURE.md asks of code shared between ISA files.
#pragma once

#include <cstdint>

namespace onnxi::kernels {
namespace {

template <class V>
void batch_norm_planes_vec(const float* x, const float* a, const float* b, int64_t plane_begin, int64_t plane_end,
                           int64_t channels, int64_t spatial, float* y) {
  constexpr int64_t w = V::width;
  for (int64_t plane = plane_begin; plane < plane_end; ++plane) {
    const int64_t c = plane % channels;
    const typename V::reg va = V::set1(a[c]), vb = V::set1(b[c]);
    const float* xp = x + plane * spatial;
    float* yp = y + plane * spatial;
    int64_t i = 0;
    for (; i + 4 * w <= spatial; i += 4 * w) {
      for (int k = 0; k < 4; ++k) V::store(yp + i + k * w, V::fma(V::load(xp + i + k * w), va, vb));
    }
    for (; i + w <= spatial; i += w) V::store(yp + i, V::fma(V::load(xp + i), va, vb));
    if (i < spatial) {
      const auto m = V::tail(spatial - i);
      V::store_tail(yp + i, m, V::fma(V::load_tail(xp + i, m), va, vb));
    }
  }
}

}  // namespace
}  // namespace onnxi::kernels
