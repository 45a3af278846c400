// Inference BatchNormalization for float32 (the vector planes of the active ISA) against the
// double instantiation: plane sizes below, at and past the 16- and 64-float steps, several
// channels and batches, in place, and the error in ulp of the affine terms; and each ISA's planes
// (AVX2, AVX-512 where present) bit for bit against fmaf.
#include <doctest/doctest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/norm.h"

using namespace onnxi::kernels;

TEST_CASE("batch_norm<float> matches the double computation within a few ulp of x * a and b") {
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> uni(-3.f, 3.f), pos(0.05f, 4.f);
  double worst = 0;  // error / (ulp scale of |x * a| + |b|)
  for (int64_t spatial : {1, 7, 15, 16, 17, 63, 64, 65, 100, 257}) {
    for (int64_t channels : {1, 3}) {
      const int64_t batch = 2, n = batch * channels * spatial;
      std::vector<float> x(n), scale(channels), bias(channels), mean(channels), var(channels);
      for (float& v : x) v = uni(rng);
      for (int64_t c = 0; c < channels; ++c) {
        scale[c] = uni(rng), bias[c] = uni(rng), mean[c] = uni(rng), var[c] = pos(rng);
      }
      std::vector<double> xd(x.begin(), x.end()), sd(scale.begin(), scale.end()), bd(bias.begin(), bias.end()),
          md(mean.begin(), mean.end()), vd(var.begin(), var.end()), yd(n);
      const double eps = 1e-5;
      batch_norm(xd.data(), sd.data(), bd.data(), md.data(), vd.data(), eps, batch, channels, spatial, yd.data());
      std::vector<float> y(n, NAN);
      batch_norm(x.data(), scale.data(), bias.data(), mean.data(), var.data(), eps, batch, channels, spatial, y.data());
      std::vector<float> inplace = x;
      batch_norm(inplace.data(), scale.data(), bias.data(), mean.data(), var.data(), eps, batch, channels, spatial,
                 inplace.data());
      for (int64_t i = 0; i < n; ++i) {
        const int64_t c = (i / spatial) % channels;
        const double a = sd[c] / std::sqrt(vd[c] + eps), b = bd[c] - md[c] * a;
        const double unit = (std::fabs(xd[i] * a) + std::fabs(b)) * FLT_EPSILON;
        const double err = std::fabs(y[i] - yd[i]) / unit;
        worst = std::max(worst, err);
        CHECK(err <= 2.0);
        CHECK(inplace[i] == y[i]);
      }
    }
  }
  MESSAGE("batch_norm<float> (" << std::string(isa_name(active_isa())) << "): max error " << worst
                                << " x FLT_EPSILON x (|x a| + |b|) against double");
}

TEST_CASE("batch_norm planes per ISA: one fused multiply-add per element, bit for bit fmaf, tails and in place") {
  using PlanesFn = void (*)(const float*, const float*, const float*, int64_t, int64_t, int64_t, int64_t, float*);
  struct Variant {
    const char* name;
    PlanesFn fn;
  };
  std::vector<Variant> variants;
  if (detected_isa() >= Isa::Avx2) variants.push_back({"avx2", batch_norm_planes_f32__avx2});
  if (detected_isa() >= Isa::Avx512) variants.push_back({"avx512", batch_norm_planes_f32__avx512});
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uni(-3.f, 3.f);
  for (const Variant& v : variants) {
    for (int64_t spatial : {0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100000}) {
      CAPTURE(v.name);
      CAPTURE(spatial);
      const int64_t channels = 3, planes = 2 * channels, n = planes * spatial;
      std::vector<float> x(static_cast<size_t>(n)), a(channels), b(channels);
      for (float& e : x) e = uni(rng);
      if (n > 4) x[1] = NAN, x[3] = INFINITY, x[4] = 1e-40f;
      for (int64_t c = 0; c < channels; ++c) a[c] = uni(rng), b[c] = uni(rng);
      std::vector<float> y(static_cast<size_t>(n) + 16, 99.f);
      // Planes [1, planes): plane 0 must stay untouched too.
      v.fn(x.data(), a.data(), b.data(), 1, planes, channels, spatial, y.data());
      for (int64_t i = 0; i < spatial; ++i) REQUIRE(y[static_cast<size_t>(i)] == 99.f);
      for (int64_t i = n; i < n + 16; ++i) REQUIRE(y[static_cast<size_t>(i)] == 99.f);
      for (int64_t i = spatial; i < n; ++i) {
        const int64_t c = (i / spatial) % channels;
        const float want = std::fmaf(x[static_cast<size_t>(i)], a[c], b[c]);
        if (std::isnan(want)) {
          REQUIRE(std::isnan(y[static_cast<size_t>(i)]));
        } else {
          REQUIRE(y[static_cast<size_t>(i)] == want);
        }
      }
      std::vector<float> z = x;
      v.fn(z.data(), a.data(), b.data(), 0, planes, channels, spatial, z.data());
      for (int64_t i = spatial; i < n; ++i) {
        REQUIRE((z[static_cast<size_t>(i)] == y[static_cast<size_t>(i)] ||
                 (std::isnan(z[static_cast<size_t>(i)]) && std::isnan(y[static_cast<size_t>(i)]))));
      }
    }
  }
}
