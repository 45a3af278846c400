#include "kernels/cpu/pool.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

int64_t product(const std::vector<int64_t>& v) {
  return std::accumulate(v.begin(), v.end(), int64_t{1}, std::multiplies<>());
}

// The in-bounds taps of one window along one dim form an arithmetic run: `count` taps starting at
// input index `first`, `dilation` apart. `padded` counts taps inside the padded extent.
struct Run {
  int64_t first = 0;
  int64_t count = 0;
  int64_t padded = 0;
};

// runs[d][o]: the run of output index o along dim d.
std::vector<std::vector<Run>> window_runs(const PoolParams& p) {
  std::vector<std::vector<Run>> runs(p.in_spatial.size());
  for (size_t d = 0; d < runs.size(); ++d) {
    runs[d].resize(static_cast<size_t>(p.out_spatial[d]));
    for (int64_t o = 0; o < p.out_spatial[d]; ++o) {
      Run run;
      bool found = false;
      const int64_t start = o * p.strides[d] - p.pads_begin[d];
      for (int64_t k = 0; k < p.kernel[d]; ++k) {
        const int64_t at = start + k * p.dilations[d];
        if (at >= -p.pads_begin[d] && at < p.in_spatial[d] + p.pads_end[d]) ++run.padded;
        if (at < 0 || at >= p.in_spatial[d]) continue;
        if (!found) run.first = at;
        found = true;
        ++run.count;
      }
      runs[d][o] = run;
    }
  }
  return runs;
}

// Calls visit(out_index, runs_of_this_window) for every output position of one plane.
template <class Fn>
void for_each_window(const PoolParams& p, const std::vector<std::vector<Run>>& runs, Fn&& visit) {
  const size_t nd = p.out_spatial.size();
  const int64_t out_size = product(p.out_spatial);
  std::vector<int64_t> pos(nd, 0);
  std::vector<const Run*> window(nd);
  for (int64_t o = 0; o < out_size; ++o) {
    for (size_t d = 0; d < nd; ++d) window[d] = &runs[d][static_cast<size_t>(pos[d])];
    visit(o, window);
    for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
      if (++pos[d] < p.out_spatial[d]) break;
      pos[d] = 0;
    }
  }
}

// Calls tap(offset) for every in-bounds tap of a window (offset: row-major in the plane), with
// `coord` holding the tap's coordinates. `coord` and `idx` are per-dim scratch, reused across
// windows so the hot loop never allocates.
template <class Fn>
void for_each_tap(const PoolParams& p, const std::vector<const Run*>& window, std::vector<int64_t>& coord,
                  std::vector<int64_t>& idx, Fn&& tap) {
  const size_t nd = window.size();
  for (size_t d = 0; d < nd; ++d) {
    if (window[d]->count == 0) return;
    idx[d] = 0;
  }
  while (true) {
    int64_t offset = 0;
    for (size_t d = 0; d < nd; ++d) {
      coord[d] = window[d]->first + idx[d] * p.dilations[d];
      offset = offset * p.in_spatial[d] + coord[d];
    }
    tap(offset);
    int64_t d = static_cast<int64_t>(nd) - 1;
    for (; d >= 0; --d) {
      if (++idx[d] < window[d]->count) break;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

// Runs `plane_fn(plane)` over all planes in parallel.
template <class Fn>
void for_each_plane(const PoolParams& p, Fn&& plane_fn) {
  const int64_t work = std::max<int64_t>(1, product(p.out_spatial) * product(p.kernel));
  const int64_t grain = std::max<int64_t>(1, 16384 / work);
  parallel_for(0, p.planes, grain, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) plane_fn(plane);
  });
}

// Taps of window start `start` inside [0, size): [lo, hi) (lo == hi when none).
void blocked_tap_range(int64_t start, int64_t dilation, int64_t taps, int64_t size, int64_t& lo, int64_t& hi) {
  lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  hi = std::min<int64_t>(taps, size - start <= 0 ? 0 : (size - start - 1) / dilation + 1);
  if (hi < lo) hi = lo;
}

// Taps in [-pad_begin, size + pad_end): what count_include_pad divides by.
int64_t padded_taps(int64_t start, int64_t dilation, int64_t taps, int64_t size, int64_t pad_begin, int64_t pad_end) {
  int64_t n = 0;
  for (int64_t k = 0; k < taps; ++k) {
    const int64_t i = start + k * dilation;
    n += i >= -pad_begin && i < size + pad_end;
  }
  return n;
}

// Calls fn(plane, oh, ow, kh_lo, kh_hi, kw_lo, kw_hi) for each output pixel of each blocked plane.
template <class Fn>
void for_each_blocked_pixel(const PoolParams& p, Fn&& fn) {
  const int64_t OH = p.out_spatial[0], OW = p.out_spatial[1];
  const int64_t grain = std::max<int64_t>(1, 2048 / std::max<int64_t>(1, OW * p.kernel[0] * p.kernel[1]));
  parallel_for(0, p.planes * OH, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t plane = r / OH, oh = r % OH;
      int64_t h_lo, h_hi;
      blocked_tap_range(oh * p.strides[0] - p.pads_begin[0], p.dilations[0], p.kernel[0], p.in_spatial[0], h_lo, h_hi);
      for (int64_t ow = 0; ow < OW; ++ow) {
        int64_t w_lo, w_hi;
        blocked_tap_range(ow * p.strides[1] - p.pads_begin[1], p.dilations[1], p.kernel[1], p.in_spatial[1], w_lo, w_hi);
        fn(plane, oh, ow, h_lo, h_hi, w_lo, w_hi);
      }
    }
  });
}

}  // namespace

void nchwc_max_pool_2d(const PoolParams& p, const float* x, float* y) {
  const int64_t H = p.in_spatial[0], W = p.in_spatial[1], OH = p.out_spatial[0], OW = p.out_spatial[1];
  const Isa isa = active_isa();
  if (isa == Isa::Avx512 || isa == Isa::Avx2) {
    // Whole rows in the ISA files: ResNet-50's 3x3/2 pool over 64 x 112 x 112 took 0.42-0.52 ms on
    // one Zen 5 core through the portable loop below, 0.19-0.25 on AVX-512.
    const auto row_fn = isa == Isa::Avx512 ? nchwc_max_pool_row__avx512 : nchwc_max_pool_row__avx2;
    std::vector<int64_t> w_range(static_cast<size_t>(2 * OW));
    for (int64_t ow = 0; ow < OW; ++ow) {
      blocked_tap_range(ow * p.strides[1] - p.pads_begin[1], p.dilations[1], p.kernel[1], W,
                        w_range[static_cast<size_t>(2 * ow)], w_range[static_cast<size_t>(2 * ow + 1)]);
    }
    const int64_t grain = std::max<int64_t>(1, 2048 / std::max<int64_t>(1, OW * p.kernel[0] * p.kernel[1]));
    parallel_for(0, p.planes * OH, grain, [&](int64_t begin, int64_t end) {
      NchwcMaxPoolRow r;
      r.in_w = W, r.out_w = OW, r.stride_w = p.strides[1], r.dilation_w = p.dilations[1];
      r.pad_left = p.pads_begin[1], r.dilation_h = p.dilations[0], r.w_range = w_range.data();
      for (int64_t row = begin; row < end; ++row) {
        const int64_t plane = row / OH, oh = row % OH;
        r.h0 = oh * p.strides[0] - p.pads_begin[0];
        blocked_tap_range(r.h0, p.dilations[0], p.kernel[0], H, r.h_lo, r.h_hi);
        r.x = x + plane * H * W * 16;
        r.y = y + (plane * OH + oh) * OW * 16;
        if (r.h_lo >= r.h_hi) {
          std::fill(r.y, r.y + OW * 16, std::numeric_limits<float>::lowest());
          continue;
        }
        row_fn(r);
      }
    });
    return;
  }
  for_each_blocked_pixel(p, [&](int64_t plane, int64_t oh, int64_t ow, int64_t h_lo, int64_t h_hi, int64_t w_lo,
                                int64_t w_hi) {
    float* out = y + ((plane * OH + oh) * OW + ow) * 16;
    if (h_lo >= h_hi || w_lo >= w_hi) {
      for (int l = 0; l < 16; ++l) out[l] = std::numeric_limits<float>::lowest();
      return;
    }
    const int64_t h0 = oh * p.strides[0] - p.pads_begin[0], w0 = ow * p.strides[1] - p.pads_begin[1];
    auto tap = [&](int64_t kh, int64_t kw) {
      return x + ((plane * H + h0 + kh * p.dilations[0]) * W + w0 + kw * p.dilations[1]) * 16;
    };
    // The first tap seeds the maximum, as the NCHW kernel does (so NaN there stays); the select
    // below is one maxps per 4 lanes.
    float best[16];
    const float* q0 = tap(h_lo, w_lo);
    for (int l = 0; l < 16; ++l) best[l] = q0[l];
    for (int64_t kh = h_lo; kh < h_hi; ++kh) {
      for (int64_t kw = w_lo; kw < w_hi; ++kw) {
        const float* q = tap(kh, kw);
        for (int l = 0; l < 16; ++l) best[l] = q[l] > best[l] ? q[l] : best[l];
      }
    }
    for (int l = 0; l < 16; ++l) out[l] = best[l];
  });
}

void nchwc_global_average_pool(const float* x, float* y, int64_t batch, int64_t channels, int64_t size) {
  const int64_t blocks = (channels + 15) / 16;
  parallel_for(0, batch * blocks, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, size * 16)),
               [&](int64_t begin, int64_t end) {
                 for (int64_t nb = begin; nb < end; ++nb) {
                   double sum[16] = {};  // as the NCHW kernel sums
                   const float* xp = x + nb * size * 16;
                   for (int64_t i = 0; i < size; ++i) {
                     for (int l = 0; l < 16; ++l) sum[l] += static_cast<double>(xp[i * 16 + l]);
                   }
                   const int64_t n = nb / blocks, c0 = (nb % blocks) * 16;
                   for (int64_t l = 0; l < 16 && c0 + l < channels; ++l) {
                     y[n * channels + c0 + l] = static_cast<float>(sum[l] / static_cast<double>(size));
                   }
                 }
               });
}

void nchwc_average_pool_2d(const PoolParams& p, const float* x, float* y, bool count_include_pad) {
  const int64_t H = p.in_spatial[0], W = p.in_spatial[1], OH = p.out_spatial[0], OW = p.out_spatial[1];
  for_each_blocked_pixel(p, [&](int64_t plane, int64_t oh, int64_t ow, int64_t h_lo, int64_t h_hi, int64_t w_lo,
                                int64_t w_hi) {
    float sum[16] = {};
    const int64_t h0 = oh * p.strides[0] - p.pads_begin[0], w0 = ow * p.strides[1] - p.pads_begin[1];
    for (int64_t kh = h_lo; kh < h_hi; ++kh) {
      for (int64_t kw = w_lo; kw < w_hi; ++kw) {
        const float* q = x + ((plane * H + h0 + kh * p.dilations[0]) * W + w0 + kw * p.dilations[1]) * 16;
        for (int l = 0; l < 16; ++l) sum[l] += q[l];
      }
    }
    const int64_t divisor =
        count_include_pad ? padded_taps(h0, p.dilations[0], p.kernel[0], H, p.pads_begin[0], p.pads_end[0]) *
                                padded_taps(w0, p.dilations[1], p.kernel[1], W, p.pads_begin[1], p.pads_end[1])
                          : (h_hi - h_lo) * (w_hi - w_lo);
    float* out = y + ((plane * OH + oh) * OW + ow) * 16;
    for (int l = 0; l < 16; ++l) {
      out[l] = divisor > 0 ? sum[l] / static_cast<float>(divisor) : std::numeric_limits<float>::quiet_NaN();
    }
  });
}

// 2-D max pooling without indices, the CNN case: the taps of a window are visited in the same
// order as the general path (so NaN handling is the same: a NaN first tap wins, a later one is
// ignored), with the bounds worked out once per window.
template <class T>
void max_pool_2d(const PoolParams& p, const T* x, T* y) {
  const int64_t H = p.in_spatial[0], W = p.in_spatial[1], OH = p.out_spatial[0], OW = p.out_spatial[1];
  const int64_t KH = p.kernel[0], KW = p.kernel[1], SH = p.strides[0], SW = p.strides[1];
  const int64_t DH = p.dilations[0], DW = p.dilations[1], PT = p.pads_begin[0], PL = p.pads_begin[1];
  // Taps kw in [kw_lo, kw_hi) of output column ow fall inside the row (likewise kh for rows),
  // worked out once per call: the divisions would otherwise cost more than the maxima.
  auto tap_range = [](int64_t start, int64_t dilation, int64_t taps, int64_t size, int64_t& lo, int64_t& hi) {
    lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
    hi = std::min<int64_t>(taps, size - start <= 0 ? 0 : (size - start - 1) / dilation + 1);
  };
  std::vector<int64_t> kw_lo(static_cast<size_t>(OW)), kw_hi(static_cast<size_t>(OW));
  std::vector<int64_t> kh_lo(static_cast<size_t>(OH)), kh_hi(static_cast<size_t>(OH));
  for (int64_t ow = 0; ow < OW; ++ow) tap_range(ow * SW - PL, DW, KW, W, kw_lo[ow], kw_hi[ow]);
  for (int64_t oh = 0; oh < OH; ++oh) tap_range(oh * SH - PT, DH, KH, H, kh_lo[oh], kh_hi[oh]);
  for_each_plane(p, [&](int64_t plane) {
    const T* xp = x + plane * H * W;
    T* yp = y + plane * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = oh * SH - PT, h_lo = kh_lo[oh], h_hi = kh_hi[oh];
      // 3-wide windows wholly inside the row, rows in [h_lo, h_hi): the taps unrolled.
      if (KW == 3 && DW == 1) {
        const T* rows[3] = {nullptr, nullptr, nullptr};
        int64_t nrows = 0;
        for (int64_t kh = h_lo; kh < h_hi; ++kh) rows[nrows++] = xp + (h0 + kh * DH) * W;
        if (nrows > 0) {
          for (int64_t ow = 0; ow < OW; ++ow) {
            if (kw_lo[ow] != 0 || kw_hi[ow] != 3) continue;  // edge columns: below
            const int64_t w0 = ow * SW - PL;
            T best = rows[0][w0];
            for (int64_t r = 0; r < nrows; ++r) {
              const T* q = rows[r] + w0;
              best = q[0] > best ? q[0] : best;
              best = q[1] > best ? q[1] : best;
              best = q[2] > best ? q[2] : best;
            }
            yp[oh * OW + ow] = best;
          }
        }
      }
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = ow * SW - PL, w_lo = kw_lo[ow], w_hi = kw_hi[ow];
        if (KW == 3 && DW == 1 && h_lo < h_hi && w_lo == 0 && w_hi == 3) continue;  // done above
        T best = std::numeric_limits<T>::lowest();
        if (h_lo < h_hi && w_lo < w_hi) {
          // Start from the first tap, then a branch-free max (a data-dependent branch here
          // mispredicts on every other tap): v > best ? v : best keeps a NaN first tap and
          // ignores later NaNs, as the general path does.
          best = xp[(h0 + h_lo * DH) * W + w0 + w_lo * DW];
          for (int64_t kh = h_lo; kh < h_hi; ++kh) {
            const T* row = xp + (h0 + kh * DH) * W;
            for (int64_t kw = w_lo; kw < w_hi; ++kw) {
              const T v = row[w0 + kw * DW];
              best = v > best ? v : best;
            }
          }
        }
        yp[oh * OW + ow] = best;
      }
    }
  });
}

template <class T>
void max_pool(const PoolParams& p, const T* x, T* y, int64_t* indices, bool column_major) {
  if (p.in_spatial.size() == 2 && indices == nullptr) {
    max_pool_2d(p, x, y);
    return;
  }
  const auto runs = window_runs(p);
  const int64_t in_size = product(p.in_spatial);
  const int64_t out_size = product(p.out_spatial);
  const size_t nd = p.in_spatial.size();
  std::vector<int64_t> col_strides(nd, 1);
  for (size_t d = 1; d < nd; ++d) col_strides[d] = col_strides[d - 1] * p.in_spatial[d - 1];
  for_each_plane(p, [&](int64_t plane) {
    const T* xp = x + plane * in_size;
    std::vector<int64_t> coord(nd), idx(nd), best_coord(nd);
    for_each_window(p, runs, [&](int64_t o, const std::vector<const Run*>& window) {
      T best = std::numeric_limits<T>::lowest();
      int64_t best_offset = -1;
      for_each_tap(p, window, coord, idx, [&](int64_t offset) {
        if (best_offset < 0 || xp[offset] > best) {
          best = xp[offset];
          best_offset = offset;
          if (indices && column_major) best_coord = coord;
        }
      });
      y[plane * out_size + o] = best;
      if (!indices) return;
      int64_t index = best_offset;
      if (column_major && best_offset >= 0) {
        index = 0;
        for (size_t d = 0; d < nd; ++d) index += best_coord[d] * col_strides[d];
      }
      indices[plane * out_size + o] = best_offset < 0 ? -1 : plane * in_size + index;
    });
  });
}

template <class T>
void average_pool(const PoolParams& p, const T* x, T* y, bool count_include_pad) {
  const auto runs = window_runs(p);
  const int64_t in_size = product(p.in_spatial);
  const int64_t out_size = product(p.out_spatial);
  for_each_plane(p, [&](int64_t plane) {
    const T* xp = x + plane * in_size;
    std::vector<int64_t> coord(p.in_spatial.size()), idx(p.in_spatial.size());
    for_each_window(p, runs, [&](int64_t o, const std::vector<const Run*>& window) {
      T sum = T(0);
      for_each_tap(p, window, coord, idx, [&](int64_t offset) { sum += xp[offset]; });
      int64_t divisor = 1;
      for (const Run* run : window) divisor *= count_include_pad ? run->padded : run->count;
      y[plane * out_size + o] = divisor > 0 ? sum / static_cast<T>(divisor) : std::numeric_limits<T>::quiet_NaN();
    });
  });
}

template <class T>
void lp_pool(const PoolParams& p, const T* x, T* y, double norm_p) {
  const auto runs = window_runs(p);
  const int64_t in_size = product(p.in_spatial);
  const int64_t out_size = product(p.out_spatial);
  const T exponent = static_cast<T>(norm_p);
  for_each_plane(p, [&](int64_t plane) {
    const T* xp = x + plane * in_size;
    std::vector<int64_t> coord(p.in_spatial.size()), idx(p.in_spatial.size());
    for_each_window(p, runs, [&](int64_t o, const std::vector<const Run*>& window) {
      T sum = T(0);
      for_each_tap(p, window, coord, idx, [&](int64_t offset) { sum += std::pow(std::fabs(xp[offset]), exponent); });
      y[plane * out_size + o] = std::pow(sum, T(1) / exponent);
    });
  });
}

template <class T>
void global_average_pool(const T* x, T* y, int64_t planes, int64_t size) {
  parallel_for(0, planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, size)), [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* xp = x + plane * size;
      double sum = 0;
      for (int64_t i = 0; i < size; ++i) sum += static_cast<double>(xp[i]);
      y[plane] = static_cast<T>(sum / static_cast<double>(size));
    }
  });
}

template <class T>
void global_max_pool(const T* x, T* y, int64_t planes, int64_t size) {
  parallel_for(0, planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, size)), [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* xp = x + plane * size;
      T best = std::numeric_limits<T>::lowest();
      for (int64_t i = 0; i < size; ++i) best = (i == 0 || xp[i] > best) ? xp[i] : best;
      y[plane] = best;
    }
  });
}

template <class T>
void global_lp_pool(const T* x, T* y, int64_t planes, int64_t size, double norm_p) {
  parallel_for(0, planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, size)), [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* xp = x + plane * size;
      double sum = 0;
      for (int64_t i = 0; i < size; ++i) sum += std::pow(std::fabs(static_cast<double>(xp[i])), norm_p);
      y[plane] = static_cast<T>(std::pow(sum, 1.0 / norm_p));
    }
  });
}

template void max_pool<float>(const PoolParams&, const float*, float*, int64_t*, bool);
template void max_pool<double>(const PoolParams&, const double*, double*, int64_t*, bool);
template void max_pool<int8_t>(const PoolParams&, const int8_t*, int8_t*, int64_t*, bool);
template void max_pool<uint8_t>(const PoolParams&, const uint8_t*, uint8_t*, int64_t*, bool);
template void average_pool<float>(const PoolParams&, const float*, float*, bool);
template void average_pool<double>(const PoolParams&, const double*, double*, bool);
template void lp_pool<float>(const PoolParams&, const float*, float*, double);
template void lp_pool<double>(const PoolParams&, const double*, double*, double);
template void global_average_pool<float>(const float*, float*, int64_t, int64_t);
template void global_average_pool<double>(const double*, double*, int64_t, int64_t);
template void global_max_pool<float>(const float*, float*, int64_t, int64_t);
template void global_max_pool<double>(const double*, double*, int64_t, int64_t);
template void global_lp_pool<float>(const float*, float*, int64_t, int64_t, double);
template void global_lp_pool<double>(const double*, double*, int64_t, int64_t, double);

}  // namespace onnxi::kernels
