// SGEMM over the grid of shapes around every tile size (M 1, 2, 7, 13, 128; N 1, 15, 16, 17, 33,
// 768; K 1, 7, 64, 769), at 1 and 2 threads, through every path: each micro-kernel the CPU can run
// (sgemm_with: row-major A read in place where the kernel can, packed otherwise), the active one
// with B packed ahead (sgemm_packed) and the general entry (sgemm), each with an epilogue, against
// a double-precision triple loop.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/gemm_ukernel.h"
#include "kernels/cpu/parallel.h"

using namespace onnxi::kernels;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> random_values(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (auto& x : v) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    x = static_cast<float>(static_cast<double>(s % 20001) / 5000.0 - 2.0);  // [-2, 2]
  }
  return v;
}

struct Options {
  bool ta, tb;
  float alpha, beta;
  SgemmActivation act;
  float lo, hi;
  bool row_bias, col_bias, residual;
};

// The options a shape gets, cycling so that each appears with every size class: plain alpha 1 /
// beta 0 (A read in place), scaled and accumulating (A packed), transposed operands, and each
// epilogue term.
Options options_for(uint64_t i) {
  static const Options table[] = {
      {false, false, 1.f, 0.f, SgemmActivation::None, -kInf, kInf, false, false, false},
      {false, false, 1.f, 0.f, SgemmActivation::GeluErf, -kInf, kInf, false, true, false},    // FFN
      {false, false, 1.f, 0.f, SgemmActivation::None, -kInf, kInf, false, true, true},        // + residual
      {false, true, 0.5f, 1.f, SgemmActivation::None, 0.f, kInf, true, false, false},         // Relu
      {true, false, 1.f, -0.5f, SgemmActivation::GeluTanh, -kInf, kInf, false, true, false},
      {false, false, -1.5f, 0.f, SgemmActivation::None, -0.5f, 0.75f, true, true, true},     // clamp
  };
  return table[i % 6];
}

struct Problem {
  int64_t M, N, K;
  Options o;
  int64_t lda, ldb, ldc, ldr;
  std::vector<float> A, B, C0, row_bias, col_bias, residual;
  std::vector<double> want, bound;

  Problem(int64_t m, int64_t n, int64_t k, const Options& opt, uint64_t seed) : M(m), N(n), K(k), o(opt) {
    lda = (o.ta ? M : K) + 1;
    ldb = (o.tb ? K : N) + 3;
    ldc = N + 2;
    ldr = N + 1;
    A = random_values(static_cast<size_t>((o.ta ? K : M) * lda), seed);
    B = random_values(static_cast<size_t>((o.tb ? N : K) * ldb), seed + 1);
    C0 = random_values(static_cast<size_t>(M * ldc), seed + 2);
    row_bias = random_values(static_cast<size_t>(M), seed + 3);
    col_bias = random_values(static_cast<size_t>(N), seed + 4);
    residual = random_values(static_cast<size_t>(M * ldr), seed + 5);
    want.resize(static_cast<size_t>(M * N));
    bound.resize(want.size());
    for (int64_t i = 0; i < M; ++i) {
      for (int64_t j = 0; j < N; ++j) {
        double sum = 0, mag = 0;
        for (int64_t p = 0; p < K; ++p) {
          const double t =
              static_cast<double>(A[o.ta ? p * lda + i : i * lda + p]) * B[o.tb ? j * ldb + p : p * ldb + j];
          sum += t;
          mag += std::fabs(t);
        }
        const double cterm = o.beta == 0 ? 0.0 : o.beta * static_cast<double>(C0[i * ldc + j]);
        double v = o.alpha * sum + cterm + (o.row_bias ? row_bias[i] : 0.0) + (o.col_bias ? col_bias[j] : 0.0) +
                   (o.residual ? residual[i * ldr + j] : 0.0);
        if (o.act == SgemmActivation::GeluErf) v = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
        if (o.act == SgemmActivation::GeluTanh) {
          v = 0.5 * v * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
        }
        want[i * N + j] = std::min<double>(std::max<double>(v, o.lo), o.hi);
        // float rounding of a K-term dot product (GELU's slope is at most 1.13), plus a few ulps
        // of the activation and the epilogue's adds.
        constexpr double eps = std::numeric_limits<float>::epsilon();
        bound[i * N + j] = 1.2 * 4 * eps * (std::fabs(o.alpha) * mag + std::fabs(cterm) + 8.0) * std::sqrt(K + 2.0) +
                           8 * eps * std::max(1.0, std::fabs(v));
      }
    }
  }

  SgemmEpilogue epilogue() const {
    SgemmEpilogue e;
    e.row_bias = o.row_bias ? row_bias.data() : nullptr;
    e.col_bias = o.col_bias ? col_bias.data() : nullptr;
    e.residual = o.residual ? residual.data() : nullptr;
    e.ldr = ldr;
    e.activation = o.act;
    e.lo = o.lo;
    e.hi = o.hi;
    return e;
  }

  // The worst error relative to its bound; infinite when the gap between C's rows was written.
  double worst(const std::vector<float>& C) const {
    double w = 0;
    for (int64_t i = 0; i < M; ++i) {
      for (int64_t j = 0; j < N; ++j) {
        const double err = std::fabs(C[i * ldc + j] - want[i * N + j]);
        w = std::max(w, std::isnan(err) ? INFINITY : err / bound[i * N + j]);
      }
      for (int64_t j = N; j < ldc; ++j) {
        if (C[i * ldc + j] != C0[i * ldc + j]) return INFINITY;
      }
    }
    return w;
  }
};

std::vector<SgemmUkernel> runnable_kernels() {
  std::vector<SgemmUkernel> ks{sgemm_ukernel_4x8__scalar()};
  if (detected_isa() >= Isa::Avx2) ks.push_back(sgemm_ukernel_6x16__avx2());
  if (detected_isa() >= Isa::Avx512) ks.push_back(sgemm_ukernel_8x48__avx512());
  return ks;
}

}  // namespace

TEST_CASE("SGEMM on the shape grid around the tiles, every kernel and path, 1 and 2 threads, with epilogues") {
  const int64_t Ms[] = {1, 2, 7, 13, 128}, Ns[] = {1, 15, 16, 17, 33, 768}, Ks[] = {1, 7, 64, 769};
  const std::vector<SgemmUkernel> kernels = runnable_kernels();
  uint64_t seed = 5000;
  for (int64_t M : Ms) {
    for (int64_t N : Ns) {
      for (int64_t K : Ks) {
        ++seed;
        const Problem p(M, N, K, options_for(seed), seed);
        const SgemmEpilogue e = p.epilogue();
        for (int threads : {1, 2}) {
          ThreadArena arena(threads);
          auto check = [&](const std::string& path, auto&& run) {
            std::vector<float> C = p.C0;
            arena.execute([&] { run(C.data()); });
            INFO(path, " M=", M, " N=", N, " K=", K, " threads=", threads, " ta=", p.o.ta, " tb=", p.o.tb,
                 " alpha=", p.o.alpha, " beta=", p.o.beta, " act=", static_cast<int>(p.o.act));
            REQUIRE(p.worst(C) <= 1.0);
          };
          for (const SgemmUkernel& k : kernels) {
            check(k.name, [&](float* C) {
              sgemm_with(k, p.o.ta, p.o.tb, M, N, K, p.o.alpha, p.A.data(), p.lda, p.B.data(), p.ldb, p.o.beta, C,
                         p.ldc, &e);
            });
          }
          check("sgemm", [&](float* C) {
            sgemm(p.o.ta, p.o.tb, M, N, K, p.o.alpha, p.A.data(), p.lda, p.B.data(), p.ldb, p.o.beta, C, p.ldc, &e);
          });
          check("sgemm_packed", [&](float* C) {
            const PackedSgemmB packed = pack_sgemm_b(p.o.tb, K, N, p.B.data(), p.ldb);
            sgemm_packed(p.o.ta, M, p.o.alpha, p.A.data(), p.lda, packed, p.o.beta, C, p.ldc, &e);
          });
        }
      }
    }
  }
}

TEST_CASE("SGEMM reads A in place only where it may: alpha 1, rows not transposed; results equal the packed path") {
  // The AVX2 and AVX-512 kernels read row-major A in place; the same product with alpha folded into
  // a packed A must agree to rounding, and a transposed A (packed) must give the same product as its
  // copy.
  for (const SgemmUkernel& k : runnable_kernels()) {
    if (k.direct == nullptr) continue;
    INFO(k.name);
    // A packed panel of one row goes to the one-row kernel, which sums in another order: none here.
    const int64_t M = 13 % k.mr == 1 ? 14 : 13, N = 100, K = 300;
    const auto A = random_values(static_cast<size_t>(M * K), 1), B = random_values(static_cast<size_t>(K * N), 2);
    std::vector<float> At(static_cast<size_t>(K * M));
    for (int64_t i = 0; i < M; ++i) {
      for (int64_t p = 0; p < K; ++p) At[p * M + i] = A[i * K + p];
    }
    std::vector<float> direct(static_cast<size_t>(M * N)), packed(direct.size()), transposed(direct.size());
    sgemm_with(k, false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, direct.data(), N);
    sgemm_with(k, false, false, M, N, K, 2.f, A.data(), K, B.data(), N, 0.f, packed.data(), N);
    sgemm_with(k, true, false, M, N, K, 1.f, At.data(), M, B.data(), N, 0.f, transposed.data(), N);
    for (size_t i = 0; i < direct.size(); ++i) {
      INFO("element ", i);
      // Doubling is exact in float, and both paths sum the same products in the same order.
      REQUIRE(packed[i] == 2.f * direct[i]);
      REQUIRE(transposed[i] == direct[i]);
    }
  }
}

TEST_CASE("SGEMM direct micro-kernel: prefetching the next B slice changes no value, every row count and tail") {
  // The prefetch pointer only warms caches; the product must be bit-identical to the run without it
  // and match the portable kernel, for 1-8 rows, partial column panels, depths with and without a
  // remainder of the 4-step prefetch loop, and storing or accumulating.
  for (const SgemmUkernel& k : runnable_kernels()) {
    if (k.direct == nullptr) continue;
    INFO(k.name);
    const int64_t kr = k.nr, lda = 300;
    for (int64_t kc : {1, 3, 4, 7, 64, 257}) {
      for (int64_t rows = 1; rows <= k.mr; ++rows) {
        for (int64_t cols : {int64_t{1}, kr / 3 + 1, kr - 1, kr}) {
          for (bool accumulate : {false, true}) {
            const auto A = random_values(static_cast<size_t>(k.mr * lda), 5 + kc);
            const auto Bp = random_values(static_cast<size_t>(kc * kr), 6 + rows);
            const auto next = random_values(static_cast<size_t>(kc * 16 + 64), 7);
            const auto C0 = random_values(static_cast<size_t>(k.mr * kr), 8 + cols);
            std::vector<float> plain = C0, fetched = C0, ref(C0.size(), 0.f);
            k.direct(kc, A.data(), lda, Bp.data(), plain.data(), kr, rows, cols, accumulate, nullptr);
            k.direct(kc, A.data(), lda, Bp.data(), fetched.data(), kr, rows, cols, accumulate, next.data());
            INFO("kc=", kc, " rows=", rows, " cols=", cols, " accumulate=", accumulate);
            for (int64_t i = 0; i < k.mr; ++i) {
              for (int64_t j = 0; j < kr; ++j) {
                const size_t at = static_cast<size_t>(i * kr + j);
                REQUIRE(fetched[at] == plain[at]);
                double sum = accumulate ? C0[at] : 0.0, magnitude = std::abs(sum);
                for (int64_t p = 0; p < kc; ++p) {
                  const double term = double(A[static_cast<size_t>(i * lda + p)]) * Bp[static_cast<size_t>(p * kr + j)];
                  sum += term;
                  magnitude += std::abs(term);
                }
                if (i >= rows || j >= cols) {
                  REQUIRE(plain[at] == C0[at]);  // outside the tile: untouched
                } else {
                  // Float summation's bound: (terms + 1) roundings of at most 2^-24 of the running magnitude.
                  REQUIRE(std::abs(plain[at] - sum) <= static_cast<double>(kc + 1) * 0x1p-24 * magnitude);
                }
              }
            }
          }
        }
      }
    }
  }
}

TEST_CASE("SGEMM epilogue GELU (erf form) of each kernel against double: error, tails, NaN and infinities") {
  // K == 0 with beta 1 leaves C as it is, so the epilogue sees exactly the values written here.
  std::vector<float> x;
  for (int64_t i = -200000; i <= 200000; ++i) x.push_back(static_cast<float>(i) * 7.5e-5f);  // [-15, 15]
  for (float v : {1e-30f, -1e-30f, 0.f, -0.f, 1e-7f, -3e-4f, 12.99f, -12.99f, 13.f, -13.f, 13.01f, -13.01f, 100.f,
                  -100.f, 3e38f, -3e38f}) {
    x.push_back(v);
  }
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> special{nan, kInf, -kInf};
  for (const SgemmUkernel& k : runnable_kernels()) {
    std::vector<float> c = x;
    c.insert(c.end(), special.begin(), special.end());
    SgemmEpilogue e;
    e.activation = SgemmActivation::GeluErf;
    sgemm_with(k, false, false, 1, static_cast<int64_t>(c.size()), 0, 1.f, nullptr, 1, nullptr, 1, 1.f, c.data(),
               static_cast<int64_t>(c.size()), &e);
    double worst = 0;
    float worst_at = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double v = x[i], want = 0.5 * v * std::erfc(-v / std::sqrt(2.0));
      const double err = std::fabs(c[i] - want) / std::max(1.0, std::fabs(v));
      if (!(err <= worst)) {
        worst = err;
        worst_at = x[i];
      }
    }
    INFO(std::string(k.name), " worst error ", worst, " of max(1, |x|) at x = ", worst_at);
    CHECK(worst <= 1.5e-7);
    if (k.epilogue != nullptr) {
      // The SIMD form goes through erfc, so the negative side, where the result is a small product,
      // keeps its relative accuracy (1 + erf(x) would cancel to nothing there).
      // Its error there is the float rounding of the exponent -x^2/2 + P: a few ulps times x^2.
      double worst_rel = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        const double v = x[i];
        if (v >= 0 || v < -12.9) continue;
        const double want = 0.5 * v * std::erfc(-v / std::sqrt(2.0));
        const double bound = (8 + v * v) * std::numeric_limits<float>::epsilon();
        worst_rel = std::max(worst_rel, std::fabs(c[i] - want) / std::fabs(want) / bound);
      }
      INFO("worst relative error on the negative side, over its bound: ", worst_rel);
      CHECK(worst_rel <= 1.0);
    }
    const size_t n = x.size();
    CHECK(std::isnan(c[n]));
    CHECK(c[n + 1] == kInf);
    // GELU(-inf) is 0; the portable reference computes -inf * 0 (NaN), as std::erf gives no more.
    if (k.epilogue != nullptr) CHECK(c[n + 2] == 0.f);
  }
}

TEST_CASE("SGEMM with a tall C (deeper blocks when neither operand is packed ahead), 1 and 2 threads") {
  struct Tall {
    int64_t M, N, K;
    uint64_t options;
  };
  // M above 512 with A read in place and B packed per column chunk (N of 2048 or more, as at
  // 2048^3) takes blocks of 512 deep, K = 530 a partial second one; the others pack all of B first.
  const Tall cases[] = {{516, 2050, 530, 1}, {600, 100, 1100, 0}, {700, 50, 513, 3}, {520, 49, 600, 4}};
  uint64_t seed = 9000;
  for (const Tall& t : cases) {
    const Problem p(t.M, t.N, t.K, options_for(t.options), ++seed);
    const SgemmEpilogue e = p.epilogue();
    for (int threads : {1, 2}) {
      ThreadArena arena(threads);
      for (const SgemmUkernel& k : runnable_kernels()) {
        std::vector<float> C = p.C0;
        arena.execute([&] {
          sgemm_with(k, p.o.ta, p.o.tb, t.M, t.N, t.K, p.o.alpha, p.A.data(), p.lda, p.B.data(), p.ldb, p.o.beta,
                     C.data(), p.ldc, &e);
        });
        INFO(std::string(k.name), " M=", t.M, " N=", t.N, " K=", t.K, " threads=", threads);
        REQUIRE(p.worst(C) <= 1.0);
      }
    }
  }
}
