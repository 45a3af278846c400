#include "kernels/cpu/quant.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/parallel.h"
#include "onnxi/float_types.h"

namespace onnxi::kernels {
namespace {

constexpr int64_t kGrain = 1 << 14;

// Calls fn(begin, end, param, param_step) over spans of elements that lie within one run of the
// grid, so the caller's inner loop never has to look up its parameters again.
template <class Fn>
void for_each_span(const QuantGrid& g, Fn&& fn) {
  const int64_t n = g.numel();
  if (n <= 0) return;
  const int64_t step = g.param_step();
  parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end;) {
      const int64_t run = i / g.inner;
      const int64_t offset = i - run * g.inner;
      const int64_t stop = std::min(end, (run + 1) * g.inner);
      fn(i, stop, g.param_index(run / g.axis, run % g.axis) + offset * step, step);
      i = stop;
    }
  });
}

inline double round_to(double q, QuantPrecision p) {
  switch (p) {
    case QuantPrecision::Float32: return static_cast<float>(q);
    case QuantPrecision::Float16: return f16_to_f32(f32_to_f16(static_cast<float>(q)));
    case QuantPrecision::BFloat16: return bf16_to_f32(f32_to_bf16(static_cast<float>(q)));
    case QuantPrecision::Float64: return q;
  }
  return q;
}

// Rounds half to even (the default floating-point environment), adds the zero point and clamps;
// a NaN quotient lands on the zero point.
inline int32_t saturate_round(double q, double zero_point, double lo, double hi) {
  double v = std::nearbyint(q) + zero_point;
  if (std::isnan(v)) v = zero_point;
  return static_cast<int32_t>(std::clamp(v, lo, hi));
}

// x / scale in `precision`: both operands cast to it, the quotient rounded to it.
inline double divide_in(double x, double scale, QuantPrecision p) { return round_to(round_to(x, p) / scale, p); }

}  // namespace

template <class X, class Q>
void quantize_int(const QuantGrid& g, const X* x, const double* scale, const int32_t* zero_point,
                  QuantPrecision precision, int32_t lo, int32_t hi, Q* y) {
  const double dlo = lo, dhi = hi;
  for_each_span(g, [&](int64_t begin, int64_t end, int64_t param, int64_t step) {
    if (step == 0) {
      const double s = round_to(scale[param], precision);
      const double z = zero_point ? zero_point[param] : 0.0;
      for (int64_t i = begin; i < end; ++i) {
        y[i] = static_cast<Q>(saturate_round(divide_in(static_cast<double>(x[i]), s, precision), z, dlo, dhi));
      }
      return;
    }
    for (int64_t i = begin; i < end; ++i, param += step) {
      const double z = zero_point ? zero_point[param] : 0.0;
      const double s = round_to(scale[param], precision);
      y[i] = static_cast<Q>(saturate_round(divide_in(static_cast<double>(x[i]), s, precision), z, dlo, dhi));
    }
  });
}

template <class X>
void quantize_scaled(const QuantGrid& g, const X* x, const double* scale, const float* zero_point,
                     QuantPrecision precision, float* q) {
  for_each_span(g, [&](int64_t begin, int64_t end, int64_t param, int64_t step) {
    for (int64_t i = begin; i < end; ++i, param += step) {
      double v = divide_in(static_cast<double>(x[i]), round_to(scale[param], precision), precision);
      if (zero_point) v += zero_point[param];
      q[i] = static_cast<float>(v);
    }
  });
}

template <class Q>
void dequantize(const QuantGrid& g, const Q* x, const float* scale, const float* zero_point, float* y) {
  for_each_span(g, [&](int64_t begin, int64_t end, int64_t param, int64_t step) {
    if (step == 0) {
      const float s = scale[param];
      const float z = zero_point ? zero_point[param] : 0.f;
      for (int64_t i = begin; i < end; ++i) y[i] = (static_cast<float>(x[i]) - z) * s;
      return;
    }
    for (int64_t i = begin; i < end; ++i, param += step) {
      const float z = zero_point ? zero_point[param] : 0.f;
      y[i] = (static_cast<float>(x[i]) - z) * scale[param];
    }
  });
}

template <class Q>
void center(const QuantGrid& g, const Q* x, const double* zero_point, double* y) {
  for_each_span(g, [&](int64_t begin, int64_t end, int64_t param, int64_t step) {
    for (int64_t i = begin; i < end; ++i, param += step) {
      y[i] = static_cast<double>(x[i]) - (zero_point ? zero_point[param] : 0.0);
    }
  });
}

double requant_multiplier(double left, double right, double out, QuantPrecision precision) {
  return round_to(round_to(left * right, precision) / out, precision);
}

namespace {

// Calls fn(r, c_begin, c_end, factor) over runs of one row that share a factor (the whole row when
// the columns share their scale), in parallel over rows.
template <class Fn>
void for_each_factor_run(int64_t rows, int64_t cols, const RequantScales& s, Fn&& fn) {
  parallel_for(0, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const double row = s.row[r * s.row_step];
      if (s.col_step == 0) {
        fn(r, 0, cols, requant_multiplier(row, s.col[0], s.out, s.precision));
        continue;
      }
      for (int64_t c = 0; c < cols; ++c) {
        fn(r, c, c + 1, requant_multiplier(row, s.col[c * s.col_step], s.out, s.precision));
      }
    }
  });
}

}  // namespace

template <class Q>
void requantize(const double* acc, int64_t rows, int64_t cols, const RequantScales& s, int32_t zero_point, int32_t lo,
                int32_t hi, Q* y) {
  const double z = zero_point, dlo = lo, dhi = hi;
  for_each_factor_run(rows, cols, s, [&](int64_t r, int64_t c0, int64_t c1, double m) {
    const double* a = acc + r * cols;
    Q* out = y + r * cols;
    for (int64_t c = c0; c < c1; ++c) out[c] = static_cast<Q>(saturate_round(a[c] * m, z, dlo, dhi));
  });
}

void rescale(const double* acc, int64_t rows, int64_t cols, const RequantScales& s, float zero_point, float* q) {
  for_each_factor_run(rows, cols, s, [&](int64_t r, int64_t c0, int64_t c1, double m) {
    for (int64_t c = c0; c < c1; ++c) q[r * cols + c] = static_cast<float>(acc[r * cols + c] * m + zero_point);
  });
}

void wrap_to_i32(const double* acc, int64_t n, int32_t* y) {
  parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = static_cast<int32_t>(static_cast<int64_t>(acc[i]));
  });
}

void dynamic_quantize_u8(const float* x, int64_t n, uint8_t* y, float* scale, uint8_t* zero_point) {
  float lo = 0.f, hi = 0.f;
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  const float s = (hi == lo ? 1.f : hi - lo) / 255.f;
  const float zp = std::nearbyint(std::clamp(0.f - lo / s, 0.f, 255.f));
  *scale = s;
  *zero_point = static_cast<uint8_t>(zp);
  parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float v = std::nearbyint(x[i] / s) + zp;
      if (std::isnan(v)) v = zp;
      y[i] = static_cast<uint8_t>(std::clamp(v, 0.f, 255.f));
    }
  });
}

#define ONNXI_QUANTIZE_INT(X, Q)                                                                          \
  template void quantize_int<X, Q>(const QuantGrid&, const X*, const double*, const int32_t*, QuantPrecision, \
                                   int32_t, int32_t, Q*);
ONNXI_QUANTIZE_INT(float, int8_t)
ONNXI_QUANTIZE_INT(float, uint8_t)
ONNXI_QUANTIZE_INT(float, int16_t)
ONNXI_QUANTIZE_INT(float, uint16_t)
ONNXI_QUANTIZE_INT(double, int8_t)
ONNXI_QUANTIZE_INT(double, uint8_t)
ONNXI_QUANTIZE_INT(double, int16_t)
ONNXI_QUANTIZE_INT(double, uint16_t)
#undef ONNXI_QUANTIZE_INT

template void quantize_scaled<float>(const QuantGrid&, const float*, const double*, const float*, QuantPrecision,
                                     float*);
template void quantize_scaled<double>(const QuantGrid&, const double*, const double*, const float*, QuantPrecision,
                                      float*);

template void dequantize<int8_t>(const QuantGrid&, const int8_t*, const float*, const float*, float*);
template void dequantize<uint8_t>(const QuantGrid&, const uint8_t*, const float*, const float*, float*);
template void dequantize<int16_t>(const QuantGrid&, const int16_t*, const float*, const float*, float*);
template void dequantize<uint16_t>(const QuantGrid&, const uint16_t*, const float*, const float*, float*);
template void dequantize<int32_t>(const QuantGrid&, const int32_t*, const float*, const float*, float*);
template void dequantize<float>(const QuantGrid&, const float*, const float*, const float*, float*);

template void center<int8_t>(const QuantGrid&, const int8_t*, const double*, double*);
template void center<uint8_t>(const QuantGrid&, const uint8_t*, const double*, double*);
template void center<float>(const QuantGrid&, const float*, const double*, double*);

template void requantize<int8_t>(const double*, int64_t, int64_t, const RequantScales&, int32_t, int32_t, int32_t,
                                 int8_t*);
template void requantize<uint8_t>(const double*, int64_t, int64_t, const RequantScales&, int32_t, int32_t, int32_t,
                                  uint8_t*);

}  // namespace onnxi::kernels
