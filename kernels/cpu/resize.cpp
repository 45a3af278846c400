#include "kernels/cpu/resize.h"

#include <algorithm>
#include <cmath>

namespace onnxi::kernels {
namespace {

// Source coordinate of output coordinate x; sets `outside` for crop boxes reaching past the input.
double source_coordinate(const ResizeAxisParams& p, double x, bool& outside) {
  const double in = static_cast<double>(p.in_size);
  const double out_f = p.scale * in;  // the unrounded output length the modes are defined on
  outside = false;
  switch (p.coordinates) {
    case ResizeCoordinates::AlignCorners: return out_f == 1 ? 0.0 : x * (in - 1) / (out_f - 1);
    case ResizeCoordinates::Asymmetric: return x / p.scale;
    case ResizeCoordinates::TfCropAndResize: {
      double v = out_f == 1 ? (p.roi_end - p.roi_start) * (in - 1) / 2
                            : x * (p.roi_end - p.roi_start) * (in - 1) / (out_f - 1);
      v += p.roi_start * (in - 1);
      outside = v < 0 || v > in - 1;
      return v;
    }
    case ResizeCoordinates::PytorchHalfPixel: return out_f == 1 ? -0.5 : (x + 0.5) / p.scale - 0.5;
    case ResizeCoordinates::HalfPixel: return (x + 0.5) / p.scale - 0.5;
    case ResizeCoordinates::TfHalfPixelForNn: return (x + 0.5) / p.scale;
    case ResizeCoordinates::HalfPixelSymmetric: {
      const double adjustment = static_cast<double>(p.out_size) / out_f;
      const double offset = in / 2 * (1 - adjustment);
      return offset + (x + 0.5) / p.scale - 0.5;
    }
  }
  return x;
}

double cubic_weight(double x, double a) {
  x = std::fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0.0;
}

// Weights for a source point at fractional distance `ratio` in (0, 1] past the left neighbour.
std::vector<double> filter_weights(const ResizeAxisParams& p, double ratio) {
  switch (p.filter) {
    case ResizeFilter::Nearest: {
      // [left, right]: which of the two neighbours the rounding picks.
      if (ratio == 1.0) return {0, 1};
      bool right = false;
      switch (p.rounding) {
        case NearestRounding::RoundPreferFloor: right = ratio > 0.5; break;
        case NearestRounding::RoundPreferCeil: right = ratio >= 0.5; break;
        case NearestRounding::Floor: right = false; break;
        case NearestRounding::Ceil: right = true; break;
        case NearestRounding::Simple: right = p.scale < 1.0; break;
      }
      return {right ? 0.0 : 1.0, right ? 1.0 : 0.0};
    }
    case ResizeFilter::Linear: {
      if (!p.antialias) return {1 - ratio, ratio};
      const double s = std::min(p.scale, 1.0);
      const int64_t start = static_cast<int64_t>(std::floor(-1 / s) + 1);
      const int64_t footprint = 2 - 2 * start;
      std::vector<double> w(static_cast<size_t>(footprint));
      double sum = 0;
      for (int64_t i = 0; i < footprint; ++i) {
        double arg = (static_cast<double>(start + i) - ratio) * s;
        w[static_cast<size_t>(i)] = std::clamp(1 - std::fabs(arg), 0.0, 1.0);
        sum += w[static_cast<size_t>(i)];
      }
      for (double& v : w) v /= sum;
      return w;
    }
    case ResizeFilter::Cubic: {
      const double a = p.cubic_a;
      if (!p.antialias) {
        return {cubic_weight(ratio + 1, a), cubic_weight(ratio, a), cubic_weight(1 - ratio, a),
                cubic_weight(2 - ratio, a)};
      }
      const double s = std::min(p.scale, 1.0);
      const int64_t i_start = static_cast<int64_t>(std::floor(-2 / s) + 1);
      const int64_t i_end = 2 - i_start;
      std::vector<double> w;
      double sum = 0;
      for (int64_t i = i_start; i < i_end; ++i) {
        w.push_back(cubic_weight(s * (static_cast<double>(i) - ratio), a));
        sum += w.back();
      }
      for (double& v : w) v /= sum;
      return w;
    }
  }
  return {};
}

}  // namespace

ResizeTable resize_table(const ResizeAxisParams& p) {
  ResizeTable t;
  const int64_t out = p.out_size;
  t.extrapolate.assign(static_cast<size_t>(out), 0);
  for (int64_t x = 0; x < out; ++x) {
    bool outside = false;
    const double src = source_coordinate(p, static_cast<double>(x), outside);
    t.extrapolate[static_cast<size_t>(x)] = outside ? 1 : 0;
    const double fl = std::floor(src);
    // An exact integer counts as ratio 1 past the left neighbour, so the window leans left.
    const double ratio = src == fl ? 1.0 : src - fl;
    std::vector<double> w = filter_weights(p, ratio);
    const int64_t n = static_cast<int64_t>(w.size());
    if (t.taps == 0) {
      t.taps = n;
      t.index.reserve(static_cast<size_t>(out * n));
      t.weight.reserve(static_cast<size_t>(out * n));
    }
    // The n source coordinates nearest to src, ties going to the smaller one.
    const int64_t pad = (n + 1) / 2;
    const double padded = src + static_cast<double>(pad);
    const double pf = std::floor(padded);
    const double frac = padded - pf;
    int64_t offset = 0;
    if (n % 2 == 0) {
      offset = frac == 0 ? -(n / 2) : -(n / 2) + 1;
    } else {
      offset = frac <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1;
    }
    const int64_t first = static_cast<int64_t>(pf) + offset - pad;
    if (p.exclude_outside) {
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        const int64_t idx = first + j;
        if (idx < 0 || idx >= p.in_size) w[static_cast<size_t>(j)] = 0;
        sum += w[static_cast<size_t>(j)];
      }
      if (sum != 0) {
        for (double& v : w) v /= sum;
      }
    }
    for (int64_t j = 0; j < n; ++j) {
      t.index.push_back(std::clamp<int64_t>(first + j, 0, p.in_size - 1));
      t.weight.push_back(w[static_cast<size_t>(j)]);
    }
  }
  return t;
}

template <class T>
void resize_axis(const T* src, T* dst, int64_t outer, int64_t in_size, int64_t inner, const ResizeTable& table,
                 int64_t out_size, double extrapolation) {
  const int64_t taps = table.taps;
  const auto extra = static_cast<T>(extrapolation);
  for (int64_t o = 0; o < outer; ++o) {
    const T* s = src + o * in_size * inner;
    T* d = dst + o * out_size * inner;
    for (int64_t x = 0; x < out_size; ++x) {
      T* row = d + x * inner;
      if (table.extrapolate[static_cast<size_t>(x)]) {
        std::fill(row, row + inner, extra);
        continue;
      }
      if (inner == 1) {  // resizing the innermost axis: a short dot product per output
        T acc = 0;
        for (int64_t t = 0; t < taps; ++t) {
          const auto w = static_cast<T>(table.weight[static_cast<size_t>(x * taps + t)]);
          if (w != 0) acc += w * s[table.index[static_cast<size_t>(x * taps + t)]];
        }
        *row = acc;
        continue;
      }
      std::fill(row, row + inner, T(0));
      for (int64_t t = 0; t < taps; ++t) {
        const auto w = static_cast<T>(table.weight[static_cast<size_t>(x * taps + t)]);
        if (w == 0) continue;
        const T* in_row = s + table.index[static_cast<size_t>(x * taps + t)] * inner;
        for (int64_t i = 0; i < inner; ++i) row[i] += w * in_row[i];
      }
    }
  }
}

template void resize_axis<float>(const float*, float*, int64_t, int64_t, int64_t, const ResizeTable&, int64_t, double);
template void resize_axis<double>(const double*, double*, int64_t, int64_t, int64_t, const ResizeTable&, int64_t, double);

std::vector<int64_t> nearest_map(const ResizeTable& table, int64_t out_size) {
  std::vector<int64_t> map(static_cast<size_t>(out_size), -1);
  for (int64_t x = 0; x < out_size; ++x) {
    if (table.extrapolate[static_cast<size_t>(x)]) continue;
    for (int64_t t = 0; t < table.taps; ++t) {
      if (table.weight[static_cast<size_t>(x * table.taps + t)] != 0) {
        map[static_cast<size_t>(x)] = table.index[static_cast<size_t>(x * table.taps + t)];
        break;
      }
    }
  }
  return map;
}

}  // namespace onnxi::kernels
