#include "kernels/cpu/norm.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

int64_t grain_for(int64_t work_per_item) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, work_per_item)); }

}  // namespace

template <class T>
void batch_norm(const T* x, const T* scale, const T* bias, const T* mean, const T* var, double epsilon, int64_t batch,
                int64_t channels, int64_t spatial, T* y) {
  if constexpr (std::is_same_v<T, float>) {
    using PlanesFn = void (*)(const float*, const float*, const float*, int64_t, int64_t, int64_t, int64_t, float*);
    static const PlanesFn planes = active_isa() >= Isa::Avx512 ? batch_norm_planes_f32__avx512
                                   : active_isa() >= Isa::Avx2 ? batch_norm_planes_f32__avx2
                                                               : nullptr;
    if (planes) {
      // The per-channel affine terms are worked out in double and rounded once (in float, b =
      // bias - mean * a cancels and cost up to 15 ulp of y in the test), then one float FMA per
      // element: at most 0.82 x FLT_EPSILON x (|x * a| + |b|) from the double result, measured
      // (the multiply-then-add loop below: 1.14; tests/unit/test_batchnorm_kernels.cpp).
      std::vector<float> a(static_cast<size_t>(channels)), b(static_cast<size_t>(channels));
      for (int64_t c = 0; c < channels; ++c) {
        const double inv_std = 1.0 / std::sqrt(static_cast<double>(var[c]) + epsilon);
        a[c] = static_cast<float>(scale[c] * inv_std);
        b[c] = static_cast<float>(bias[c] - static_cast<double>(mean[c]) * scale[c] * inv_std);
      }
      parallel_for(0, batch * channels, grain_for(spatial), [&](int64_t begin, int64_t end) {
        planes(x, a.data(), b.data(), begin, end, channels, spatial, y);
      });
      return;
    }
  }
  parallel_for(0, batch * channels, grain_for(spatial), [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t c = plane % channels;
      const double inv_std = 1.0 / std::sqrt(static_cast<double>(var[c]) + epsilon);
      const T a = static_cast<T>(static_cast<double>(scale[c]) * inv_std);
      const T b = static_cast<T>(static_cast<double>(bias[c]) -
                                 static_cast<double>(mean[c]) * static_cast<double>(scale[c]) * inv_std);
      const T* xp = x + plane * spatial;
      T* yp = y + plane * spatial;
      for (int64_t i = 0; i < spatial; ++i) yp[i] = xp[i] * a + b;
    }
  });
}

template <class T>
void channel_moments(const T* x, int64_t batch, int64_t channels, int64_t spatial, T* mean, T* var) {
  parallel_for(0, channels, grain_for(batch * spatial), [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const double count = static_cast<double>(batch * spatial);
      double sum = 0;
      for (int64_t n = 0; n < batch; ++n) {
        const T* xp = x + (n * channels + c) * spatial;
        for (int64_t i = 0; i < spatial; ++i) sum += static_cast<double>(xp[i]);
      }
      const double m = sum / count;
      double sq = 0;
      for (int64_t n = 0; n < batch; ++n) {
        const T* xp = x + (n * channels + c) * spatial;
        for (int64_t i = 0; i < spatial; ++i) {
          const double d = static_cast<double>(xp[i]) - m;
          sq += d * d;
        }
      }
      mean[c] = static_cast<T>(m);
      var[c] = static_cast<T>(sq / count);
    }
  });
}

template <class T>
void standardize_rows(const T* x, T* y, int64_t rows, int64_t cols, double epsilon, T* mean, T* inv_std_dev) {
  parallel_for(0, rows, grain_for(cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      double sum = 0;
      for (int64_t i = 0; i < cols; ++i) sum += static_cast<double>(xr[i]);
      const double m = sum / static_cast<double>(cols);
      double sq = 0;
      for (int64_t i = 0; i < cols; ++i) {
        const double d = static_cast<double>(xr[i]) - m;
        sq += d * d;
      }
      const double inv = 1.0 / std::sqrt(sq / static_cast<double>(cols) + epsilon);
      for (int64_t i = 0; i < cols; ++i) yr[i] = static_cast<T>((static_cast<double>(xr[i]) - m) * inv);
      if (mean) mean[r] = static_cast<T>(m);
      if (inv_std_dev) inv_std_dev[r] = static_cast<T>(inv);
    }
  });
}

template <class T>
void rms_normalize_rows(const T* x, T* y, int64_t rows, int64_t cols, double epsilon) {
  parallel_for(0, rows, grain_for(cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      double sq = 0;
      for (int64_t i = 0; i < cols; ++i) sq += static_cast<double>(xr[i]) * static_cast<double>(xr[i]);
      const double inv = 1.0 / std::sqrt(sq / static_cast<double>(cols) + epsilon);
      for (int64_t i = 0; i < cols; ++i) yr[i] = static_cast<T>(static_cast<double>(xr[i]) * inv);
    }
  });
}

template <class T>
void affine_rows(T* y, int64_t rows, int64_t cols, const T* scale, int64_t scale_row_stride, const T* bias,
                 int64_t bias_row_stride) {
  parallel_for(0, rows, grain_for(cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      T* yr = y + r * cols;
      const T* s = scale + r * scale_row_stride;
      if (bias) {
        const T* b = bias + r * bias_row_stride;
        for (int64_t i = 0; i < cols; ++i) yr[i] = yr[i] * s[i] + b[i];
      } else {
        for (int64_t i = 0; i < cols; ++i) yr[i] *= s[i];
      }
    }
  });
}

template <class T>
void affine_channels(T* y, int64_t batch, int64_t channels, int64_t spatial, const T* scale, const T* bias) {
  parallel_for(0, batch * channels, grain_for(spatial), [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t c = plane % channels;
      const T s = scale[c];
      const T b = bias ? bias[c] : T(0);
      T* yp = y + plane * spatial;
      for (int64_t i = 0; i < spatial; ++i) yp[i] = yp[i] * s + b;
    }
  });
}

template <class T>
void lrn(const T* x, T* y, int64_t batch, int64_t channels, int64_t spatial, int64_t size, double alpha, double beta,
         double bias) {
  const int64_t before = (size - 1) / 2;
  const int64_t after = size / 2;  // ceil((size - 1) / 2)
  const double coeff = alpha / static_cast<double>(size);
  parallel_for(0, batch * channels, grain_for(spatial * size), [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t n = plane / channels, c = plane % channels;
      const int64_t c0 = std::max<int64_t>(0, c - before);
      const int64_t c1 = std::min<int64_t>(channels - 1, c + after);
      const T* xp = x + plane * spatial;
      T* yp = y + plane * spatial;
      for (int64_t i = 0; i < spatial; ++i) {
        double sq = 0;
        for (int64_t k = c0; k <= c1; ++k) {
          const double v = static_cast<double>(x[(n * channels + k) * spatial + i]);
          sq += v * v;
        }
        yp[i] = static_cast<T>(static_cast<double>(xp[i]) / std::pow(bias + coeff * sq, beta));
      }
    }
  });
}

template <class T>
void lp_normalize(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, int64_t p) {
  parallel_for(0, outer * inner, grain_for(n), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t base = (r / inner) * n * inner + r % inner;
      double norm = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double v = static_cast<double>(x[base + i * inner]);
        norm += p == 1 ? std::fabs(v) : v * v;
      }
      if (p != 1) norm = std::sqrt(norm);
      for (int64_t i = 0; i < n; ++i) {
        y[base + i * inner] = norm == 0 ? T(0) : static_cast<T>(static_cast<double>(x[base + i * inner]) / norm);
      }
    }
  });
}

template <class T>
void mean_variance_normalize(const T* x, T* y, const std::vector<int64_t>& shape, const std::vector<bool>& reduced,
                             double epsilon) {
  // Each element's statistics slot: its index over the kept axes.
  const size_t rank = shape.size();
  int64_t total = 1, kept = 1;
  for (size_t d = 0; d < rank; ++d) {
    total *= shape[d];
    if (!reduced[d]) kept *= shape[d];
  }
  if (total == 0) return;
  const double count = static_cast<double>(total / kept);
  std::vector<int64_t> slot(static_cast<size_t>(total));
  std::vector<int64_t> pos(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t s = 0;
    for (size_t d = 0; d < rank; ++d) {
      if (!reduced[d]) s = s * shape[d] + pos[d];
    }
    slot[static_cast<size_t>(i)] = s;
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      if (++pos[d] < shape[d]) break;
      pos[d] = 0;
    }
  }
  std::vector<double> mean(static_cast<size_t>(kept), 0.0), var(static_cast<size_t>(kept), 0.0);
  for (int64_t i = 0; i < total; ++i) mean[slot[i]] += static_cast<double>(x[i]);
  for (double& m : mean) m /= count;
  for (int64_t i = 0; i < total; ++i) {
    const double d = static_cast<double>(x[i]) - mean[slot[i]];
    var[slot[i]] += d * d;
  }
  for (double& v : var) v = std::sqrt(v / count) + epsilon;
  for (int64_t i = 0; i < total; ++i) y[i] = static_cast<T>((static_cast<double>(x[i]) - mean[slot[i]]) / var[slot[i]]);
}

#define ONNXI_NORM_INSTANTIATE(T)                                                                                  \
  template void batch_norm<T>(const T*, const T*, const T*, const T*, const T*, double, int64_t, int64_t, int64_t, \
                              T*);                                                                                 \
  template void channel_moments<T>(const T*, int64_t, int64_t, int64_t, T*, T*);                                   \
  template void standardize_rows<T>(const T*, T*, int64_t, int64_t, double, T*, T*);                               \
  template void rms_normalize_rows<T>(const T*, T*, int64_t, int64_t, double);                                     \
  template void affine_rows<T>(T*, int64_t, int64_t, const T*, int64_t, const T*, int64_t);                        \
  template void affine_channels<T>(T*, int64_t, int64_t, int64_t, const T*, const T*);                             \
  template void lrn<T>(const T*, T*, int64_t, int64_t, int64_t, int64_t, double, double, double);                  \
  template void lp_normalize<T>(const T*, T*, int64_t, int64_t, int64_t, int64_t);                                 \
  template void mean_variance_normalize<T>(const T*, T*, const std::vector<int64_t>&, const std::vector<bool>&, double);
ONNXI_NORM_INSTANTIATE(float)
ONNXI_NORM_INSTANTIATE(double)
#undef ONNXI_NORM_INSTANTIATE

}  // namespace onnxi::kernels
