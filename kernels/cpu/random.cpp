#include "kernels/cpu/random.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

namespace onnxi::kernels {

double NumpyRandom::next_double() {
  // 27 high bits of one draw and 26 of the next: 53 bits, as numpy's random_standard_uniform.
  const uint32_t a = next_u32() >> 5;
  const uint32_t b = next_u32() >> 6;
  return (static_cast<double>(a) * 67108864.0 + static_cast<double>(b)) / 9007199254740992.0;
}

double NumpyRandom::next_gauss() {
  if (has_gauss_) {
    has_gauss_ = false;
    return gauss_;
  }
  double x1, x2, r2;
  do {
    x1 = 2.0 * next_double() - 1.0;
    x2 = 2.0 * next_double() - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  const double f = std::sqrt(-2.0 * std::log(r2) / r2);
  gauss_ = f * x1;
  has_gauss_ = true;
  return f * x2;
}

uint32_t nondeterministic_seed() {
  static std::atomic<uint32_t> counter{0};
  std::random_device rd;
  return rd() ^ (counter.fetch_add(1, std::memory_order_relaxed) * 0x9E3779B9u);
}

void random_uniform(NumpyRandom& rng, double low, double high, double* out, int64_t n) {
  const double range = high - low;
  for (int64_t i = 0; i < n; ++i) out[i] = low + range * rng.next_double();
}

void random_normal(NumpyRandom& rng, double mean, double scale, double* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = mean + scale * rng.next_gauss();
}

void bernoulli(NumpyRandom& rng, const double* p, double* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    // numpy's binomial(1, p) by inversion: for p <= 1/2 it is 1 when u > (1 - p), the threshold
    // computed as exp(log(1 - p)); for p > 1/2 it is 1 - binomial(1, 1 - p). The exp(log())
    // round trip is numpy's and decides ties the same way.
    const double u = rng.next_double();
    if (p[i] <= 0.5) {
      out[i] = u > std::exp(std::log(1.0 - p[i])) ? 1.0 : 0.0;
    } else {
      const double q = 1.0 - p[i];
      out[i] = u > std::exp(std::log(1.0 - q)) ? 0.0 : 1.0;
    }
  }
}

void dropout_mask(NumpyRandom& rng, double ratio, bool* keep, int64_t n) {
  for (int64_t i = 0; i < n; ++i) keep[i] = rng.next_double() >= ratio;
}

void multinomial(NumpyRandom& rng, const double* logits, int64_t batch, int64_t classes, int64_t samples,
                 int64_t* out) {
  std::vector<double> cdf(static_cast<size_t>(classes));
  for (int64_t b = 0; b < batch; ++b) {
    const double* row = logits + b * classes;
    const double top = *std::max_element(row, row + classes);
    double total = 0.0;
    for (int64_t c = 0; c < classes; ++c) {
      total += std::exp(row[c] - top);
      cdf[static_cast<size_t>(c)] = total;
    }
    for (int64_t s = 0; s < samples; ++s) {
      const double u = rng.next_double() * total;
      // The first class whose cumulative weight exceeds u; classes of weight 0 are never chosen.
      auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
      if (it == cdf.end()) --it;  // u rounded up to total
      while (it != cdf.begin() && *it == *(it - 1)) --it;
      out[b * samples + s] = it - cdf.begin();
    }
  }
}

}  // namespace onnxi::kernels
