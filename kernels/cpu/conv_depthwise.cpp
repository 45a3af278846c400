#include "kernels/cpu/conv_depthwise.h"

#include <vector>

#include "kernels/cpu/conv_depthwise_impl.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

// AVX-512 machines take the hand-written AVX2 plane too: on one Zen 5 core it ran MobileNet-style
// planes (3x3, stride 1 and 2, 14 to 112 wide) 1.2-2x faster than the compiler-vectorized AVX-512
// build of conv_depthwise_impl.h (144 x 56 x 56: 0.207 -> 0.135 ms; stride 2: 0.168 -> 0.085),
// which was then dropped.
DepthwisePlaneFn pick_plane_f32() {
  switch (active_isa()) {
    case Isa::Avx512:
    case Isa::Avx2: return depthwise_plane_f32__avx2;
    case Isa::Scalar: break;
  }
  return depthwise_plane_f32__scalar;
}

template <class T, class PlaneFn>
void run_planes(const DepthwiseParams& p, const T* x, const T* w, const T* bias, T* y, PlaneFn plane) {
  const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w, taps = p.kernel_h * p.kernel_w;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, out_plane * taps));
  const std::vector<T> zeros(static_cast<size_t>(p.in_w + 4), T(0));
  parallel_for(0, p.batch * p.channels, grain, [&](int64_t begin, int64_t end) {
    for (int64_t nc = begin; nc < end; ++nc) {
      const int64_t c = nc % p.channels;
      plane(p, x + nc * in_plane, w + c * taps, bias ? bias[c] : T(0), y + nc * out_plane, zeros.data());
    }
  });
}

}  // namespace

void depthwise_plane_f32__scalar(const DepthwiseParams& p, const float* x, const float* w, float bias, float* y,
                                 const float* zeros) {
  depthwise_plane(p, x, w, bias, y, zeros);
}

void depthwise_conv2d(const DepthwiseParams& p, const float* x, const float* w, const float* bias, float* y) {
  static const DepthwisePlaneFn plane = pick_plane_f32();
  run_planes(p, x, w, bias, y, plane);
}

void depthwise_conv2d(const DepthwiseParams& p, const double* x, const double* w, const double* bias, double* y) {
  run_planes(p, x, w, bias, y, depthwise_plane<double>);
}

}  // namespace onnxi::kernels
