// The NN kernels against naive references: sgemm/dgemm against a triple loop over a table of
// shapes, transposes and alpha/beta; conv and conv-transpose against direct loops over strides,
// dilations, pads and groups; pooling on hand-checked windows.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/cpu/conv.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/im2col.h"
#include "kernels/cpu/pool.h"
#include "kernels/cpu/softmax.h"

using namespace onnxi::kernels;

namespace {

// Deterministic values in [-1, 1).
std::vector<double> random_values(size_t n, uint64_t seed) {
  std::vector<double> v(n);
  uint64_t s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (auto& x : v) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    x = static_cast<double>((s >> 11) % 2000) / 1000.0 - 1.0;
  }
  return v;
}

template <class T>
std::vector<T> as(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

// C = alpha * op(A) op(B) + beta * C, every index spelled out.
void naive_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const std::vector<double>& A,
                int64_t lda, const std::vector<double>& B, int64_t ldb, double beta, std::vector<double>& C,
                int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double sum = 0;
      for (int64_t k = 0; k < K; ++k) sum += A[ta ? k * lda + i : i * lda + k] * B[tb ? j * ldb + k : k * ldb + j];
      C[i * ldc + j] = alpha * sum + (beta == 0 ? 0.0 : beta * C[i * ldc + j]);
    }
  }
}

}  // namespace

TEST_CASE("sgemm and dgemm match the triple loop over shapes, transposes and alpha/beta") {
  const int64_t sizes[] = {1, 2, 7, 16, 33, 100};
  const double scalars[][2] = {{1.0, 0.0}, {1.0, 1.0}, {0.5, -2.0}, {-1.5, 0.25}};
  uint64_t seed = 1;
  for (int64_t M : sizes) {
    for (int64_t N : sizes) {
      for (int64_t K : sizes) {
        // Transposes and scalars rotate with the shape so the table stays fast but covers all.
        const bool ta = (seed & 1) != 0, tb = (seed & 2) != 0;
        const double alpha = scalars[seed % 4][0], beta = scalars[(seed / 4) % 4][1];
        ++seed;
        const int64_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
        const auto A = random_values(static_cast<size_t>((ta ? K : M) * lda), seed);
        const auto B = random_values(static_cast<size_t>((tb ? N : K) * ldb), seed + 100);
        const auto C0 = random_values(static_cast<size_t>(M * ldc), seed + 200);
        auto expected = C0;
        naive_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, expected, ldc);

        auto cf = as<float>(C0);
        const auto af = as<float>(A), bf = as<float>(B);
        sgemm(ta, tb, M, N, K, static_cast<float>(alpha), af.data(), lda, bf.data(), ldb, static_cast<float>(beta),
              cf.data(), ldc);
        auto cd = C0;
        dgemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, cd.data(), ldc);
        for (int64_t i = 0; i < M; ++i) {
          for (int64_t j = 0; j < N; ++j) {
            const double e = expected[i * ldc + j];
            INFO("M=", M, " N=", N, " K=", K, " ta=", ta, " tb=", tb, " i=", i, " j=", j);
            REQUIRE(std::fabs(cf[i * ldc + j] - e) <= 1e-4 * (1 + std::fabs(e)) * std::sqrt(static_cast<double>(K)));
            REQUIRE(std::fabs(cd[i * ldc + j] - e) <= 1e-12 * (1 + std::fabs(e)) * static_cast<double>(K));
          }
          // Padding columns between rows of C stay untouched.
          for (int64_t j = N; j < ldc; ++j) REQUIRE(cf[i * ldc + j] == static_cast<float>(C0[i * ldc + j]));
        }
      }
    }
  }
}

TEST_CASE("sgemm with beta 0 ignores NaN in C; K == 0 only scales C") {
  std::vector<float> a{1, 2}, b{3, 4};
  std::vector<float> c{std::numeric_limits<float>::quiet_NaN()};
  sgemm(false, false, 1, 1, 2, 1.f, a.data(), 2, b.data(), 1, 0.f, c.data(), 1);
  CHECK(c[0] == 11.f);
  std::vector<float> c2{2.f, 3.f};
  sgemm(false, false, 1, 2, 0, 1.f, a.data(), 1, b.data(), 2, 0.5f, c2.data(), 2);
  CHECK(c2 == std::vector<float>{1.f, 1.5f});
}

TEST_CASE("gemm_int wraps like numpy") {
  std::vector<int32_t> a{2147483647, 1}, b{2, 3};
  std::vector<int32_t> c(1);
  gemm_int(1, 1, 2, a.data(), b.data(), c.data());
  CHECK(c[0] == static_cast<int32_t>(static_cast<uint32_t>(2147483647u) * 2u + 3u));
  std::vector<uint64_t> ua{1, 2, 3, 4}, ub{5, 6, 7, 8}, uc(4);
  gemm_int(2, 2, 2, ua.data(), ub.data(), uc.data());
  CHECK(uc == std::vector<uint64_t>{19, 22, 43, 50});
}

namespace {

// Direct N-d grouped convolution.
std::vector<double> naive_conv(const ConvParams& p, const std::vector<double>& x, const std::vector<double>& w,
                               const std::vector<double>& bias) {
  const size_t nd = p.kernel.size();
  int64_t isize = 1, osize = 1, ksize = 1;
  for (size_t d = 0; d < nd; ++d) {
    isize *= p.in_spatial[d];
    osize *= p.out_spatial[d];
    ksize *= p.kernel[d];
  }
  const int64_t cg = p.in_channels / p.groups, mg = p.out_channels / p.groups;
  std::vector<double> y(static_cast<size_t>(p.batch * p.out_channels * osize));
  std::vector<int64_t> opos(nd), kpos(nd);
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t m = 0; m < p.out_channels; ++m) {
      const int64_t g = m / mg;
      for (int64_t o = 0; o < osize; ++o) {
        for (int64_t r = o, d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
          opos[d] = r % p.out_spatial[d];
          r /= p.out_spatial[d];
        }
        double sum = bias.empty() ? 0.0 : bias[m];
        for (int64_t c = 0; c < cg; ++c) {
          for (int64_t k = 0; k < ksize; ++k) {
            for (int64_t r = k, d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
              kpos[d] = r % p.kernel[d];
              r /= p.kernel[d];
            }
            int64_t at = 0;
            bool inside = true;
            for (size_t d = 0; d < nd; ++d) {
              const int64_t i = opos[d] * p.strides[d] - p.pads_begin[d] + kpos[d] * p.dilations[d];
              inside = inside && i >= 0 && i < p.in_spatial[d];
              at = at * p.in_spatial[d] + i;
            }
            if (inside) sum += x[(n * p.in_channels + g * cg + c) * isize + at] * w[(m * cg + c) * ksize + k];
          }
        }
        y[(n * p.out_channels + m) * osize + o] = sum;
      }
    }
  }
  return y;
}

ConvParams make_params(int64_t batch, int64_t groups, int64_t cin, int64_t cout, std::vector<int64_t> in,
                       std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> dil,
                       std::vector<int64_t> pads) {
  ConvParams p;
  p.batch = batch;
  p.groups = groups;
  p.in_channels = cin;
  p.out_channels = cout;
  p.in_spatial = in;
  p.kernel = kernel;
  p.strides = strides;
  p.dilations = dil;
  p.pads_begin = pads;
  for (size_t d = 0; d < in.size(); ++d) {
    p.out_spatial.push_back((in[d] + 2 * pads[d] - (kernel[d] - 1) * dil[d] - 1) / strides[d] + 1);
  }
  return p;
}

}  // namespace

TEST_CASE("conv_forward matches direct convolution") {
  const std::vector<ConvParams> cases = {
      make_params(1, 1, 1, 1, {5}, {3}, {1}, {1}, {0}),
      make_params(2, 1, 3, 4, {7, 6}, {3, 3}, {1, 1}, {1, 1}, {1, 1}),
      make_params(1, 2, 4, 6, {9, 8}, {3, 2}, {2, 1}, {1, 2}, {1, 0}),
      make_params(1, 4, 4, 4, {6, 6}, {3, 3}, {1, 1}, {1, 1}, {1, 1}),  // depthwise
      make_params(2, 1, 3, 5, {4, 5}, {1, 1}, {1, 1}, {1, 1}, {0, 0}),  // pointwise: no im2col
      make_params(1, 1, 2, 3, {5, 4, 6}, {2, 3, 2}, {1, 2, 2}, {2, 1, 1}, {1, 1, 0}),
      make_params(1, 3, 3, 3, {11}, {4}, {3}, {2}, {2}),
  };
  uint64_t seed = 7;
  for (const ConvParams& p : cases) {
    int64_t isize = 1, osize = 1, ksize = 1;
    for (size_t d = 0; d < p.kernel.size(); ++d) {
      isize *= p.in_spatial[d];
      osize *= p.out_spatial[d];
      ksize *= p.kernel[d];
    }
    const auto x = random_values(static_cast<size_t>(p.batch * p.in_channels * isize), seed++);
    const auto w = random_values(static_cast<size_t>(p.out_channels * (p.in_channels / p.groups) * ksize), seed++);
    const auto bias = random_values(static_cast<size_t>(p.out_channels), seed++);
    const auto expected = naive_conv(p, x, w, bias);
    std::vector<double> y(expected.size());
    conv_forward<double>(p, x.data(), w.data(), bias.data(), y.data());
    const auto xf = as<float>(x), wf = as<float>(w), bf = as<float>(bias);
    std::vector<float> yf(expected.size());
    conv_forward<float>(p, xf.data(), wf.data(), bf.data(), yf.data());
    for (size_t i = 0; i < y.size(); ++i) {
      REQUIRE(y[i] == doctest::Approx(expected[i]).epsilon(1e-12));
      REQUIRE(yf[i] == doctest::Approx(expected[i]).epsilon(1e-5));
    }
  }
}

TEST_CASE("conv_transpose_forward is the adjoint of conv_forward") {
  // <conv(x), y> == <x, conv_transpose(y)> for the same weights, with no bias.
  const std::vector<ConvParams> cases = {
      make_params(1, 1, 2, 3, {7, 6}, {3, 3}, {2, 1}, {1, 1}, {1, 1}),
      make_params(2, 2, 4, 2, {8}, {3}, {3}, {2}, {2}),
      make_params(1, 1, 1, 2, {4, 3, 5}, {2, 2, 3}, {1, 2, 1}, {1, 1, 2}, {0, 1, 1}),
  };
  uint64_t seed = 99;
  for (const ConvParams& p : cases) {
    int64_t isize = 1, osize = 1, ksize = 1;
    for (size_t d = 0; d < p.kernel.size(); ++d) {
      isize *= p.in_spatial[d];
      osize *= p.out_spatial[d];
      ksize *= p.kernel[d];
    }
    const auto x = random_values(static_cast<size_t>(p.batch * p.in_channels * isize), seed++);
    const auto w = random_values(static_cast<size_t>(p.out_channels * (p.in_channels / p.groups) * ksize), seed++);
    const auto u = random_values(static_cast<size_t>(p.batch * p.out_channels * osize), seed++);
    std::vector<double> conv_x(u.size());
    conv_forward<double>(p, x.data(), w.data(), nullptr, conv_x.data());
    // The transposed problem: roles of input and output swap; W [M, C/g, k] is read as [C_t, M_t/g, k].
    ConvParams t = p;
    t.in_channels = p.out_channels;
    t.out_channels = p.in_channels;
    t.in_spatial = p.out_spatial;
    t.out_spatial = p.in_spatial;
    std::vector<double> tu(x.size());
    conv_transpose_forward<double>(t, u.data(), w.data(), nullptr, tu.data());
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < u.size(); ++i) lhs += conv_x[i] * u[i];
    for (size_t i = 0; i < x.size(); ++i) rhs += x[i] * tu[i];
    CHECK(lhs == doctest::Approx(rhs).epsilon(1e-10));
  }
}

TEST_CASE("max_pool picks the first maximum and reports row- or column-major indices") {
  // One 3x3 plane, 2x2 windows, stride 1: four windows.
  const std::vector<float> x{1, 5, 2, 4, 3, 9, 7, 8, 6};
  PoolParams p;
  p.planes = 1;
  p.in_spatial = {3, 3};
  p.out_spatial = {2, 2};
  p.kernel = {2, 2};
  p.strides = {1, 1};
  p.dilations = {1, 1};
  p.pads_begin = {0, 0};
  p.pads_end = {0, 0};
  std::vector<float> y(4);
  std::vector<int64_t> idx(4);
  max_pool(p, x.data(), y.data(), idx.data(), false);
  CHECK(y == std::vector<float>{5, 9, 8, 9});
  CHECK(idx == std::vector<int64_t>{1, 5, 7, 5});
  max_pool(p, x.data(), y.data(), idx.data(), true);
  // (h, w) -> h + w * H
  CHECK(idx == std::vector<int64_t>{3, 7, 5, 7});
}

TEST_CASE("average_pool divisors with and without count_include_pad, and ceil-mode overhang") {
  const std::vector<double> x{1, 2, 3, 4};
  PoolParams p;
  p.planes = 1;
  p.in_spatial = {4};
  p.kernel = {3};
  p.strides = {2};
  p.dilations = {1};
  p.pads_begin = {1};
  p.pads_end = {0};
  p.out_spatial = {3};  // ceil mode: the last window [3, 5] overhangs the end by one tap
  std::vector<double> y(3);
  average_pool(p, x.data(), y.data(), false);
  CHECK(y == std::vector<double>{1.5, 3.0, 4.0});
  average_pool(p, x.data(), y.data(), true);
  // Divisors: pad+2 taps = 3, 3 taps = 3, and only 1 tap inside [pad_begin, in + pad_end).
  CHECK(y[0] == doctest::Approx(1.0));
  CHECK(y[1] == doctest::Approx(3.0));
  CHECK(y[2] == doctest::Approx(4.0));
}

TEST_CASE("softmax_row_masked turns an all -inf row into zeros") {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> row{-inf, -inf, -inf};
  softmax_row_masked(row.data(), 3);
  CHECK(row == std::vector<float>{0, 0, 0});
  std::vector<float> r2{0.f, std::log(3.f), -inf};
  softmax_row_masked(r2.data(), 3);
  CHECK(r2[0] == doctest::Approx(0.25));
  CHECK(r2[1] == doctest::Approx(0.75));
  CHECK(r2[2] == 0.f);
}

TEST_CASE("2-D max_pool fast path equals the general path (NaN, pads, strides, dilations, edges)") {
  for (int64_t k : {2, 3, 5}) {
    for (int64_t stride : {1, 2}) {
      for (int64_t dilation : {1, 2}) {
        for (int64_t pad : {0, 1, 2}) {
          if (pad >= k) continue;
          PoolParams p;
          p.planes = 2;
          p.in_spatial = {7, 9};
          p.kernel = {k, k};
          p.strides = {stride, stride};
          p.dilations = {dilation, dilation};
          p.pads_begin = {pad, pad};
          p.pads_end = {pad, pad};
          const int64_t span = (k - 1) * dilation + 1;
          p.out_spatial = {(7 + 2 * pad - span) / stride + 1, (9 + 2 * pad - span) / stride + 1};
          if (p.out_spatial[0] <= 0 || p.out_spatial[1] <= 0) continue;
          std::vector<float> x(2 * 7 * 9);
          for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 29) % 17) - 8.f;
          x[10] = std::numeric_limits<float>::quiet_NaN();
          x[70] = std::numeric_limits<float>::quiet_NaN();
          const size_t n = static_cast<size_t>(2 * p.out_spatial[0] * p.out_spatial[1]);
          std::vector<float> fast(n), general(n);
          std::vector<int64_t> indices(n);
          max_pool(p, x.data(), fast.data(), nullptr, false);
          max_pool(p, x.data(), general.data(), indices.data(), false);  // indices take the general path
          for (size_t i = 0; i < n; ++i) {
            INFO("k=", k, " s=", stride, " d=", dilation, " pad=", pad, " i=", i);
            if (std::isnan(general[i])) {
              REQUIRE(std::isnan(fast[i]));
            } else {
              REQUIRE(fast[i] == general[i]);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("im2col_slice writes the same columns as im2col, as GEMM panels (2-D and N-d paths)") {
  struct Geo {
    std::vector<int64_t> image, kernel, strides, dilations, pads;
  };
  const Geo geos[] = {
      {{7, 9}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},  {{8, 8}, {3, 3}, {2, 2}, {1, 1}, {1, 0}},
      {{6, 11}, {2, 3}, {1, 2}, {2, 1}, {0, 2}}, {{5, 40}, {1, 1}, {1, 1}, {1, 1}, {0, 0}},
      {{13}, {3}, {2}, {1}, {1}},                {{4, 5, 6}, {2, 3, 3}, {1, 1, 2}, {1, 1, 1}, {1, 1, 1}},
  };
  for (const Geo& geo : geos) {
    ConvGeometry g;
    g.channels = 3;
    g.image = geo.image;
    g.kernel = geo.kernel;
    g.strides = geo.strides;
    g.dilations = geo.dilations;
    g.pads_begin = geo.pads;
    for (size_t d = 0; d < geo.image.size(); ++d) {
      const int64_t span = (geo.kernel[d] - 1) * geo.dilations[d] + 1;
      g.output.push_back((geo.image[d] + 2 * geo.pads[d] - span) / geo.strides[d] + 1);
    }
    const int64_t K = g.channels * g.kernel_size(), N = g.output_size();
    const int64_t rows = N / g.row_length();
    std::vector<float> image(static_cast<size_t>(g.channels * g.image_size()));
    for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<float>(i % 97) + 1.f;
    std::vector<float> col(static_cast<size_t>(K * N));
    im2col(g, image.data(), 0, rows, col.data());
    const int64_t nr = 32;
    for (int64_t pc : {int64_t{0}, K / 3}) {
      const int64_t kc = std::min<int64_t>(K - pc, 19);
      for (int64_t j0 : {int64_t{0}, N / 2}) {
        const int64_t nc = std::min<int64_t>(N - j0, 45);
        const int64_t panels = (nc + nr - 1) / nr;
        std::vector<float> out(static_cast<size_t>(panels * nr * kc), -1.f);
        im2col_slice(g, image.data(), pc, kc, j0, nc, nr, out.data());
        for (int64_t k = 0; k < kc; ++k) {
          for (int64_t j = 0; j < panels * nr; ++j) {
            const float got = out[static_cast<size_t>((j / nr) * nr * kc + k * nr + j % nr)];
            const float want = j < nc ? col[static_cast<size_t>((pc + k) * N + j0 + j)] : 0.f;
            INFO("rank ", geo.image.size(), " pc=", pc, " j0=", j0, " k=", k, " j=", j);
            REQUIRE(got == want);
          }
        }
      }
    }
  }
}
