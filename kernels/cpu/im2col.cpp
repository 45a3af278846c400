#include "kernels/cpu/im2col.h"

#include <algorithm>
#include <functional>
#include <numeric>

#include "kernels/cpu/gemm.h"

namespace onnxi::kernels {
namespace {

int64_t product(const std::vector<int64_t>& v) {
  return std::accumulate(v.begin(), v.end(), int64_t{1}, std::multiplies<>());
}

// Visits every (channel, kernel offset) row and every output row of the column matrix, giving the
// image offset of the output row's first tap along the leading dims (or -1 when that tap lies in
// the padding) and the first tap's coordinate along the last dim. `fn` handles the last dim, where
// the stride is constant and a plain loop suffices.
template <class Fn>
void for_each_row(const ConvGeometry& g, int64_t row_begin, int64_t row_end, Fn&& fn) {
  const size_t nd = g.image.size();
  const int64_t ksize = g.kernel_size();
  const int64_t isize = g.image_size();
  const int64_t last_in = nd ? g.image[nd - 1] : 1;
  std::vector<int64_t> kpos(nd), opos(nd);
  for (int64_t c = 0; c < g.channels; ++c) {
    for (int64_t k = 0; k < ksize; ++k) {
      for (int64_t rem = k, d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
        kpos[d] = rem % g.kernel[d];
        rem /= g.kernel[d];
      }
      const int64_t col_row = c * ksize + k;
      const int64_t last_base = nd ? kpos[nd - 1] * g.dilations[nd - 1] - g.pads_begin[nd - 1] : 0;
      for (int64_t r = row_begin; r < row_end; ++r) {
        int64_t rem = r;
        for (int64_t d = static_cast<int64_t>(nd) - 2; d >= 0; --d) {
          opos[d] = rem % g.output[d];
          rem /= g.output[d];
        }
        int64_t offset = 0;
        bool inside = true;
        for (size_t d = 0; d + 1 < nd; ++d) {
          const int64_t at = opos[d] * g.strides[d] - g.pads_begin[d] + kpos[d] * g.dilations[d];
          if (at < 0 || at >= g.image[d]) {
            inside = false;
            break;
          }
          offset = offset * g.image[d] + at;
        }
        fn(col_row, r, inside ? c * isize + offset * last_in : -1, last_base);
      }
    }
  }
}

}  // namespace

int64_t ConvGeometry::image_size() const { return product(image); }
int64_t ConvGeometry::kernel_size() const { return product(kernel); }
int64_t ConvGeometry::output_size() const { return product(output); }

template <class T>
void im2col(const ConvGeometry& g, const T* image, int64_t row_begin, int64_t row_end, T* col) {
  const int64_t len = g.row_length();
  const int64_t cols = (row_end - row_begin) * len;
  const size_t nd = g.image.size();
  const int64_t stride = nd ? g.strides[nd - 1] : 1;
  const int64_t width = nd ? g.image[nd - 1] : 1;
  for_each_row(g, row_begin, row_end, [&](int64_t col_row, int64_t r, int64_t offset, int64_t base) {
    T* dst = col + col_row * cols + (r - row_begin) * len;
    if (offset < 0) {
      std::fill(dst, dst + len, T(0));
      return;
    }
    const T* src = image + offset;
    for (int64_t o = 0; o < len; ++o) {
      const int64_t at = base + o * stride;
      dst[o] = (at >= 0 && at < width) ? src[at] : T(0);
    }
  });
}

namespace {

// The 2-D case, panel by panel: each panel row (one tap k, nr positions) is written contiguously,
// from at most a few runs of one image row each, so the writes stream and the bounds are worked
// out once per run rather than per element.
void im2col_slice_2d(const ConvGeometry& g, const float* image, int64_t pc, int64_t kc, int64_t j0, int64_t nc,
                     int64_t nr, float* out) {
  const int64_t H = g.image[0], W = g.image[1], OW = g.output[1];
  const int64_t KH = g.kernel[0], KW = g.kernel[1], SH = g.strides[0], SW = g.strides[1];
  const int64_t DH = g.dilations[0], DW = g.dilations[1], PH = g.pads_begin[0], PW = g.pads_begin[1];
  const int64_t ksize = KH * KW;
  struct Tap {
    const float* plane;
    int64_t row_off, col_off;  // added to oh * SH and ow * SW
  };
  std::vector<Tap> taps(static_cast<size_t>(kc));
  for (int64_t k = 0; k < kc; ++k) {
    const int64_t kk = pc + k, c = kk / ksize, t = kk % ksize;
    taps[static_cast<size_t>(k)] = {image + c * H * W, (t / KW) * DH - PH, (t % KW) * DW - PW};
  }
  struct Run {
    int64_t oh, ow, count, dst;  // positions (oh, ow .. ow + count) go to panel columns dst ..
  };
  std::vector<Run> runs;
  const int64_t panels = (nc + nr - 1) / nr;
  for (int64_t p = 0; p < panels; ++p) {
    runs.clear();
    const int64_t cols = std::min(nr, nc - p * nr);
    for (int64_t c = 0; c < cols;) {
      const int64_t j = j0 + p * nr + c, oh = j / OW, ow = j % OW;
      const int64_t count = std::min(cols - c, OW - ow);
      runs.push_back({oh, ow, count, c});
      c += count;
    }
    float* panel = out + p * nr * kc;
    for (int64_t k = 0; k < kc; ++k) {
      const Tap& tap = taps[static_cast<size_t>(k)];
      float* dst_row = panel + k * nr;
      for (const Run& r : runs) {
        float* dst = dst_row + r.dst;
        const int64_t ih = r.oh * SH + tap.row_off;
        if (ih < 0 || ih >= H) {
          for (int64_t t = 0; t < r.count; ++t) dst[t] = 0.f;
          continue;
        }
        const float* src = tap.plane + ih * W;
        // Positions t with iw = (r.ow + t) * SW + col_off inside [0, W).
        const int64_t base = r.ow * SW + tap.col_off;
        int64_t lo = base >= 0 ? 0 : (-base + SW - 1) / SW;
        int64_t hi = W - base <= 0 ? 0 : (W - base - 1) / SW + 1;
        lo = std::min(lo, r.count);
        hi = std::clamp(hi, lo, r.count);
        for (int64_t t = 0; t < lo; ++t) dst[t] = 0.f;
        if (SW == 1) {
          const float* s1 = src + base;
          for (int64_t t = lo; t < hi; ++t) dst[t] = s1[t];
        } else {
          for (int64_t t = lo; t < hi; ++t) dst[t] = src[base + t * SW];
        }
        for (int64_t t = hi; t < r.count; ++t) dst[t] = 0.f;
      }
      for (int64_t c = cols; c < nr; ++c) dst_row[c] = 0.f;
    }
  }
}

}  // namespace

void im2col_slice(const ConvGeometry& g, const float* image, int64_t pc, int64_t kc, int64_t j0, int64_t nc, int64_t nr,
                  float* out) {
  if (g.image.size() == 2) return im2col_slice_2d(g, image, pc, kc, j0, nc, nr, out);
  const size_t nd = g.image.size();
  const int64_t ksize = g.kernel_size();
  const int64_t isize = g.image_size();
  const int64_t len = g.row_length();
  const int64_t stride = nd ? g.strides[nd - 1] : 1;
  const int64_t width = nd ? g.image[nd - 1] : 1;
  std::vector<int64_t> kpos(nd), opos(nd);
  for (int64_t k = pc; k < pc + kc; ++k) {
    const int64_t c = k / ksize;
    for (int64_t rem = k % ksize, d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
      kpos[d] = rem % g.kernel[d];
      rem /= g.kernel[d];
    }
    const int64_t base = nd ? kpos[nd - 1] * g.dilations[nd - 1] - g.pads_begin[nd - 1] : 0;
    float* row_out = out + (k - pc) * nr;
    for (int64_t r = j0 / len; r * len < j0 + nc; ++r) {
      // Where output row r's first tap lies in the image along the leading dims, if inside.
      int64_t rem = r, offset = 0;
      for (int64_t d = static_cast<int64_t>(nd) - 2; d >= 0; --d) {
        opos[d] = rem % g.output[d];
        rem /= g.output[d];
      }
      bool inside = true;
      for (size_t d = 0; d + 1 < nd && inside; ++d) {
        const int64_t at = opos[d] * g.strides[d] - g.pads_begin[d] + kpos[d] * g.dilations[d];
        inside = at >= 0 && at < g.image[d];
        offset = offset * g.image[d] + at;
      }
      const float* src = image + c * isize + offset * width;
      const int64_t o_begin = std::max<int64_t>(0, j0 - r * len), o_end = std::min<int64_t>(len, j0 + nc - r * len);
      // Taps o with base + o * stride inside [0, width): the interior copies without checks.
      int64_t lo = base >= 0 ? 0 : (-base + stride - 1) / stride;
      int64_t hi = width - base <= 0 ? 0 : (width - base - 1) / stride + 1;
      if (!inside) lo = hi = o_begin;
      lo = std::clamp(lo, o_begin, o_end);
      hi = std::clamp(hi, lo, o_end);
      // Split [o_begin, o_end) where the slice column crosses into the next panel.
      int64_t o = o_begin;
      while (o < o_end) {
        const int64_t j = r * len + o - j0;
        const int64_t run_end = std::min(o_end, o + (nr - j % nr));
        float* dst = row_out + (j / nr) * nr * kc + j % nr;  // the slot of tap o
        const int64_t a = std::clamp(lo, o, run_end), b = std::clamp(hi, a, run_end);
        for (int64_t t = o; t < a; ++t) dst[t - o] = 0.f;
        if (stride == 1) {
          const float* s1 = src + base + o;
          for (int64_t t = a - o; t < b - o; ++t) dst[t] = s1[t];
        } else {
          for (int64_t t = a; t < b; ++t) dst[t - o] = src[base + t * stride];
        }
        for (int64_t t = b; t < run_end; ++t) dst[t - o] = 0.f;
        o = run_end;
      }
    }
    // Columns past nc in the last panel.
    for (int64_t j = nc; j % nr != 0; ++j) row_out[(j / nr) * nr * kc + j % nr] = 0.f;
  }
}

template <class T>
void col2im(const ConvGeometry& g, const T* col, T* image) {
  const int64_t len = g.row_length();
  const int64_t cols = g.output_size();
  const size_t nd = g.image.size();
  const int64_t stride = nd ? g.strides[nd - 1] : 1;
  const int64_t width = nd ? g.image[nd - 1] : 1;
  const int64_t rows = len ? cols / len : 0;
  for_each_row(g, 0, rows, [&](int64_t col_row, int64_t r, int64_t offset, int64_t base) {
    if (offset < 0) return;
    const T* src = col + col_row * cols + r * len;
    T* dst = image + offset;
    for (int64_t o = 0; o < len; ++o) {
      const int64_t at = base + o * stride;
      if (at >= 0 && at < width) dst[at] += src[o];
    }
  });
}

template void im2col<float>(const ConvGeometry&, const float*, int64_t, int64_t, float*);
template void im2col<double>(const ConvGeometry&, const double*, int64_t, int64_t, double*);
template void col2im<float>(const ConvGeometry&, const float*, float*);
template void col2im<double>(const ConvGeometry&, const double*, double*);

}  // namespace onnxi::kernels
