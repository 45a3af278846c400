// GridSample, AffineGrid and deformable convolution. Each output point resolves its taps (flat
// input offsets and weights) once and applies them to every channel; deformable convolution
// gathers its taps into an im2col-style column matrix and hands it to the shared GEMM.
#include "kernels/cpu/vision_sample.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

int64_t product(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

// Reflects x into [lo, hi] by folding at the edges as often as needed.
template <class T>
T reflect(T x, T lo, T hi) {
  const T range = hi - lo;
  if (!(range > T(0))) return lo;
  if (x >= lo && x <= hi) return x;
  // Distance past the near edge, folded modulo two widths: the parity says which edge it ends at.
  const bool below = x < lo;
  const T past = std::fmod(below ? lo - x : x - hi, T(2) * range);
  const bool odd = past >= range;
  const T r = odd ? past - range : past;
  if (below) return odd ? hi - r : lo + r;
  return odd ? lo + r : hi - r;
}

template <class T>
void cubic_coefficients(T t, T* c) {
  const T a = T(-0.75);
  t = std::fabs(t);
  const T t1 = t + T(1), u = T(1) - t, u1 = T(2) - t;
  c[0] = ((a * t1 - T(5) * a) * t1 + T(8) * a) * t1 - T(4) * a;
  c[1] = ((a + T(2)) * t - (a + T(3))) * t * t + T(1);
  c[2] = ((a + T(2)) * u - (a + T(3))) * u * u + T(1);
  c[3] = ((a * u1 - T(5) * a) * u1 + T(8) * a) * u1 - T(4) * a;
}

// 1-D taps of one coordinate: up to 4 (index, weight); index -1 reads zero.
template <class T>
struct AxisTaps {
  int count = 0;
  int64_t index[4];
  T weight[4];
};

template <class T>
class GridSampler {
 public:
  explicit GridSampler(const GridSampleParams& p) : p_(p), k_(p.in_spatial.size()) {
    for (size_t j = 0; j < k_; ++j) {
      const T len = static_cast<T>(p.in_spatial[j]);
      lo_.push_back(p.align_corners ? T(0) : T(-0.5));
      hi_.push_back(p.align_corners ? len - T(1) : len - T(0.5));
    }
    in_strides_.assign(k_, 1);
    for (size_t j = k_; j-- > 1;) in_strides_[j - 1] = in_strides_[j] * p.in_spatial[j];
  }

  // Flat offsets and weights of the point `g` (k coordinates, innermost first); returns how many.
  // Taps that read zero padding are left out.
  int64_t taps(const T* g, int64_t* offsets, T* weights) const {
    AxisTaps<T> axes[8];
    int64_t total = 1;
    for (size_t j = 0; j < k_; ++j) {
      axis_taps(j, g[k_ - 1 - j], axes[j]);
      total *= axes[j].count;
    }
    int64_t count = 0;
    for (int64_t combo = 0; combo < total; ++combo) {
      int64_t rest = combo, offset = 0;
      T w = T(1);
      bool inside = true;
      for (size_t j = k_; j-- > 0 && inside;) {
        const int a = static_cast<int>(rest % axes[j].count);
        rest /= axes[j].count;
        inside = axes[j].index[a] >= 0;
        offset += axes[j].index[a] * in_strides_[j];
        w *= axes[j].weight[a];
      }
      if (!inside) continue;
      offsets[count] = offset;
      weights[count] = w;
      ++count;
    }
    return count;
  }

 private:
  // The input index that integer position i reads along dim j, or -1 for zero.
  int64_t pixel(size_t j, int64_t i) const {
    const int64_t len = p_.in_spatial[j];
    if (i >= 0 && i < len) return i;
    switch (p_.padding) {
      case GridSamplePadding::Zeros: return -1;
      case GridSamplePadding::Border: return std::clamp<int64_t>(i, 0, len - 1);
      case GridSamplePadding::Reflection: {
        const int64_t r = static_cast<int64_t>(reflect(static_cast<T>(i), lo_[j], hi_[j]));
        return std::clamp<int64_t>(r, 0, len - 1);
      }
    }
    return -1;
  }

  void axis_taps(size_t j, T n, AxisTaps<T>& out) const {
    const int64_t len = p_.in_spatial[j];
    out.count = 0;
    T x = p_.align_corners ? (n + T(1)) / T(2) * static_cast<T>(len - 1)
                           : ((n + T(1)) * static_cast<T>(len) - T(1)) / T(2);
    if (p_.mode == GridSampleMode::Nearest) x = std::nearbyint(x);
    if (x < lo_[j] || x > hi_[j]) {
      if (p_.padding == GridSamplePadding::Border) x = std::clamp(x, T(0), static_cast<T>(len - 1));
      if (p_.padding == GridSamplePadding::Reflection) x = reflect(x, lo_[j], hi_[j]);
    }
    if (std::isnan(x)) return;  // no taps: the point reads zero
    // Far outside, every tap reads padding; clamping keeps the integer conversions defined.
    x = std::clamp(x, static_cast<T>(-4), static_cast<T>(len + 4));
    if (p_.mode == GridSampleMode::Nearest) {
      out.count = 1;
      out.index[0] = pixel(j, static_cast<int64_t>(x));
      out.weight[0] = T(1);
      return;
    }
    const T x0 = std::floor(x);
    const int64_t i0 = static_cast<int64_t>(x0);
    if (p_.mode == GridSampleMode::Linear) {
      out.count = 2;
      const T t = x - x0;
      out.index[0] = pixel(j, i0);
      out.index[1] = pixel(j, i0 + 1);
      out.weight[0] = T(1) - t;
      out.weight[1] = t;
      return;
    }
    out.count = 4;
    cubic_coefficients(x - x0, out.weight);
    for (int a = 0; a < 4; ++a) out.index[a] = pixel(j, i0 - 1 + a);
  }

  const GridSampleParams& p_;
  size_t k_;
  std::vector<T> lo_, hi_;
  std::vector<int64_t> in_strides_;
};

}  // namespace

template <class T>
void grid_sample(const GridSampleParams& p, const T* x, const T* grid, T* y) {
  const size_t k = p.in_spatial.size();
  if (k == 0 || k > 8) return;
  const int64_t in_size = product(p.in_spatial), out_size = product(p.out_spatial);
  const int64_t C = p.channels;
  if (in_size == 0) {  // nothing to sample: every point reads padding
    std::fill(y, y + p.batch * C * out_size, T(0));
    return;
  }
  const int64_t max_taps = static_cast<int64_t>(std::pow(p.mode == GridSampleMode::Cubic ? 4 : 2, k));
  const GridSampler<T> sampler(p);
  const int64_t points = p.batch * out_size;
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, C * max_taps));
  parallel_for(0, points, grain, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> offsets(static_cast<size_t>(max_taps));
    std::vector<T> weights(static_cast<size_t>(max_taps));
    for (int64_t pt = begin; pt < end; ++pt) {
      const int64_t n = pt / out_size, o = pt % out_size;
      const int64_t count = sampler.taps(grid + pt * static_cast<int64_t>(k), offsets.data(), weights.data());
      const T* xn = x + n * C * in_size;
      T* yn = y + n * C * out_size + o;
      for (int64_t c = 0; c < C; ++c) {
        const T* plane = xn + c * in_size;
        T acc = T(0);
        for (int64_t t = 0; t < count; ++t) acc += weights[t] * plane[offsets[t]];
        yn[c * out_size] = acc;
      }
    }
  });
}

template void grid_sample<float>(const GridSampleParams&, const float*, const float*, float*);
template void grid_sample<double>(const GridSampleParams&, const double*, const double*, double*);

template <class T>
void affine_grid(const T* theta, int64_t batch, const std::vector<int64_t>& spatial, bool align_corners, T* grid) {
  const size_t k = spatial.size();
  // Normalized pixel-center coordinates per dim, in double as the points are then mixed by theta.
  std::vector<std::vector<double>> base(k);
  for (size_t j = 0; j < k; ++j) {
    const int64_t n = spatial[j];
    for (int64_t i = 0; i < n; ++i) {
      double v;
      if (align_corners) {
        v = n > 1 ? -1.0 + static_cast<double>(i) * (2.0 / static_cast<double>(n - 1)) : 0.0;
      } else {
        const double step = 2.0 / static_cast<double>(n);
        v = -1.0 + step / 2.0 + static_cast<double>(i) * step;
      }
      base[j].push_back(v);
    }
  }
  const int64_t points = product(spatial);
  const int64_t cols = static_cast<int64_t>(k) + 1;
  std::vector<int64_t> idx(k);
  for (int64_t n = 0; n < batch; ++n) {
    const T* th = theta + n * static_cast<int64_t>(k) * cols;
    for (int64_t pt = 0; pt < points; ++pt) {
      int64_t rest = pt;
      for (size_t j = k; j-- > 0;) {
        idx[j] = rest % spatial[j];
        rest /= spatial[j];
      }
      T* out = grid + (n * points + pt) * static_cast<int64_t>(k);
      for (size_t r = 0; r < k; ++r) {
        // Homogeneous point (innermost coordinate first, then 1).
        double acc = static_cast<double>(th[static_cast<int64_t>(r) * cols + static_cast<int64_t>(k)]);
        for (size_t c = 0; c < k; ++c) {
          const size_t dim = k - 1 - c;
          acc += static_cast<double>(th[static_cast<int64_t>(r) * cols + static_cast<int64_t>(c)]) *
                 base[dim][static_cast<size_t>(idx[dim])];
        }
        out[r] = static_cast<T>(acc);
      }
    }
  }
}

template void affine_grid<float>(const float*, int64_t, const std::vector<int64_t>&, bool, float*);
template void affine_grid<double>(const double*, int64_t, const std::vector<int64_t>&, bool, double*);

namespace {

// Multilinear interpolation of `img` (dims `size`, row-major) at `pos`, zero outside.
template <class T>
T sample_zero_padded(const T* img, const std::vector<int64_t>& size, const T* pos) {
  const size_t k = size.size();
  int64_t lo[8];
  T frac[8];
  for (size_t j = 0; j < k; ++j) {
    const T p = std::clamp(pos[j], T(-2), static_cast<T>(size[j] + 1));
    if (std::isnan(p)) return T(0);
    const T f = std::floor(p);
    lo[j] = static_cast<int64_t>(f);
    frac[j] = p - f;
  }
  T acc = T(0);
  for (uint32_t corner = 0; corner < (1u << k); ++corner) {
    int64_t offset = 0;
    T w = T(1);
    bool inside = true;
    for (size_t j = 0; j < k && inside; ++j) {
      const bool up = (corner >> j) & 1u;
      const int64_t i = lo[j] + (up ? 1 : 0);
      inside = i >= 0 && i < size[j];
      offset = offset * size[j] + i;
      w *= up ? frac[j] : T(1) - frac[j];
    }
    if (inside && w != T(0)) acc += w * img[offset];
  }
  return acc;
}

}  // namespace

template <class T>
void deform_conv(const DeformConvParams& p, const T* x, const T* w, const T* offset, const T* mask, const T* bias,
                 T* y) {
  const size_t nd = p.in_spatial.size();
  if (nd == 0 || nd > 8) return;
  const int64_t K = product(p.kernel), O = product(p.out_spatial), In = product(p.in_spatial);
  const int64_t C = p.in_channels, M = p.out_channels, G = p.groups, OG = p.offset_groups;
  const int64_t Cg = C / G, Mg = M / G, channels_per_og = C / OG;
  const int64_t ndi = static_cast<int64_t>(nd);
  // Per kernel tap and output position, the tap's undeformed position per dim.
  std::vector<int64_t> tap_shift(static_cast<size_t>(K * ndi)), out_base(static_cast<size_t>(O * ndi));
  for (int64_t t = 0; t < K; ++t) {
    int64_t rest = t;
    for (size_t j = nd; j-- > 0;) {
      tap_shift[t * ndi + j] = (rest % p.kernel[j]) * p.dilations[j];
      rest /= p.kernel[j];
    }
  }
  for (int64_t o = 0; o < O; ++o) {
    int64_t rest = o;
    for (size_t j = nd; j-- > 0;) {
      out_base[o * ndi + j] = (rest % p.out_spatial[j]) * p.strides[j] - p.pads_begin[j];
      rest /= p.out_spatial[j];
    }
  }
  std::vector<T> col(static_cast<size_t>(Cg * K * O));
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t g = 0; g < G; ++g) {
      parallel_for(0, Cg * K, std::max<int64_t>(1, 2048 / std::max<int64_t>(1, O)), [&](int64_t begin, int64_t end) {
        T pos[8];
        for (int64_t row = begin; row < end; ++row) {
          const int64_t c = g * Cg + row / K, t = row % K;
          const int64_t og = c / channels_per_og;
          const T* img = x + (n * C + c) * In;
          const T* off = offset + ((n * OG + og) * K + t) * ndi * O;
          const T* msk = mask ? mask + ((n * OG + og) * K + t) * O : nullptr;
          T* dst = col.data() + row * O;
          for (int64_t o = 0; o < O; ++o) {
            for (size_t j = 0; j < nd; ++j) {
              pos[j] = static_cast<T>(out_base[o * ndi + j] + tap_shift[t * ndi + j]) + off[static_cast<int64_t>(j) * O + o];
            }
            const T v = sample_zero_padded(img, p.in_spatial, pos);
            dst[o] = msk ? v * msk[o] : v;
          }
        }
      });
      T* yg = y + (n * M + g * Mg) * O;
      for (int64_t m = 0; m < Mg; ++m) std::fill(yg + m * O, yg + (m + 1) * O, bias ? bias[g * Mg + m] : T(0));
      if (Mg > 0 && O > 0 && Cg * K > 0) {
        gemm(false, false, Mg, O, Cg * K, T(1), w + g * Mg * Cg * K, Cg * K, col.data(), O, T(1), yg, O);
      }
    }
  }
}

template void deform_conv<float>(const DeformConvParams&, const float*, const float*, const float*, const float*,
                                 const float*, float*);
template void deform_conv<double>(const DeformConvParams&, const double*, const double*, const double*,
                                  const double*, const double*, double*);

}  // namespace onnxi::kernels
