// Every SGEMM micro-kernel the CPU can run, against a double-precision triple loop: sizes below, at,
// multiples of and above each tile (1..257), transposes, alpha/beta, leading dimensions with gaps,
// prepacked B, and NaN/inf propagation. The portable 4x8 kernel is the oracle's closest relative and
// runs everywhere; the AVX2 and AVX-512 ones run where the CPU has them.
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

using namespace onnxi::kernels;

namespace {

std::vector<float> values(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (auto& x : v) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    x = static_cast<float>(static_cast<double>(s % 20001) / 10000.0 - 1.0);
  }
  return v;
}

struct Case {
  int64_t M, N, K;
  bool ta, tb;
  float alpha, beta;
};

// C = alpha * op(A) op(B) + beta * C in double; returns the largest error relative to the bound.
double check_case(const SgemmUkernel* k, const Case& c, uint64_t seed, bool packed = false) {
  const int64_t lda = (c.ta ? c.M : c.K) + 1, ldb = (c.tb ? c.K : c.N) + 3, ldc = c.N + 2;
  const auto A = values(static_cast<size_t>((c.ta ? c.K : c.M) * lda), seed);
  const auto B = values(static_cast<size_t>((c.tb ? c.N : c.K) * ldb), seed + 1);
  auto C = values(static_cast<size_t>(c.M * ldc), seed + 2);
  const auto C0 = C;
  if (packed) {
    PackedSgemmB p = pack_sgemm_b(c.tb, c.K, c.N, B.data(), ldb);
    sgemm_packed(c.ta, c.M, c.alpha, A.data(), lda, p, c.beta, C.data(), ldc);
  } else {
    sgemm_with(*k, c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta, C.data(), ldc);
  }
  double worst = 0;
  for (int64_t i = 0; i < c.M; ++i) {
    for (int64_t j = 0; j < c.N; ++j) {
      double sum = 0, mag = 0;
      for (int64_t p = 0; p < c.K; ++p) {
        const double t = static_cast<double>(A[c.ta ? p * lda + i : i * lda + p]) * B[c.tb ? j * ldb + p : p * ldb + j];
        sum += t;
        mag += std::fabs(t);
      }
      const double want = c.alpha * sum + (c.beta == 0 ? 0.0 : c.beta * C0[i * ldc + j]);
      // float rounding of a K-term dot product: a few ulps of the magnitude per term.
      const double bound = 4 * std::numeric_limits<float>::epsilon() *
                           (std::fabs(c.alpha) * mag + std::fabs(c.beta * C0[i * ldc + j]) + 1e-30) *
                           std::sqrt(static_cast<double>(c.K) + 1);
      worst = std::max(worst, std::fabs(C[i * ldc + j] - want) / bound);
    }
    for (int64_t j = c.N; j < ldc; ++j) {
      if (C[i * ldc + j] != C0[i * ldc + j]) return INFINITY;  // the gap between rows is not ours
    }
  }
  return worst;
}

std::vector<SgemmUkernel> available_kernels() {
  std::vector<SgemmUkernel> ks{sgemm_ukernel_4x8__scalar()};
  if (detected_isa() >= Isa::Avx2) ks.push_back(sgemm_ukernel_6x16__avx2());
  if (detected_isa() >= Isa::Avx512) ks.push_back(sgemm_ukernel_8x48__avx512());
  return ks;
}

}  // namespace

TEST_CASE("every SGEMM micro-kernel matches the double triple loop around its tile sizes") {
  const int64_t dims[] = {1, 2, 3, 5, 6, 7, 11, 12, 13, 16, 17, 31, 32, 33, 64, 97};
  const float scalars[][2] = {{1.f, 0.f}, {1.f, 1.f}, {0.5f, -2.f}, {-1.5f, 0.25f}};
  for (const SgemmUkernel& k : available_kernels()) {
    MESSAGE("checking " << k.name);
    uint64_t seed = 7;
    for (int64_t M : dims) {
      for (int64_t N : dims) {
        const int64_t K = dims[(M + N) % 16];
        const bool ta = seed & 1, tb = seed & 2;
        const Case c{M, N, K, ta, tb, scalars[seed % 4][0], scalars[(seed / 4) % 4][1]};
        ++seed;
        INFO(k.name, " M=", M, " N=", N, " K=", K, " ta=", ta, " tb=", tb);
        REQUIRE(check_case(&k, c, seed) <= 1.0);
      }
    }
  }
}

TEST_CASE("SGEMM across depth blocks, several tasks, and prepacked B") {
  const Case cases[] = {
      {1, 300, 700, false, false, 1.f, 0.f},  {257, 129, 513, false, true, 1.f, 1.f},
      {130, 600, 300, true, false, 2.f, 0.5f}, {12, 32, 256, false, false, 1.f, 0.f},
      {13, 33, 257, true, true, -1.f, 0.f},   {400, 260, 40, false, false, 1.f, 0.f},
      {150, 2113, 37, false, true, 1.f, 0.5f},  // wide: each task packs its own slices of B
      {64, 3136, 300, false, false, 1.f, 0.f},   // a convolution's shape
  };
  for (const SgemmUkernel& k : available_kernels()) {
    uint64_t seed = 100;
    for (const Case& c : cases) {
      INFO(k.name, " M=", c.M, " N=", c.N, " K=", c.K);
      REQUIRE(check_case(&k, c, ++seed) <= 1.0);
    }
  }
  uint64_t seed = 200;
  for (const Case& c : cases) {
    INFO("packed M=", c.M, " N=", c.N, " K=", c.K);
    REQUIRE(check_case(nullptr, c, ++seed, /*packed=*/true) <= 1.0);
  }
}

TEST_CASE("SGEMM propagates NaN and inf from A and B; beta 0 ignores whatever C held") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (const SgemmUkernel& k : available_kernels()) {
    INFO(k.name);
    const int64_t M = 13, N = 33, K = 5;
    std::vector<float> A(M * K, 1.f), B(K * N, 1.f), C(M * N, nan);
    A[2 * K + 1] = nan;  // row 2 becomes NaN
    B[3 * N + 4] = inf;  // column 4 becomes inf (NaN in row 2)
    sgemm_with(k, false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, C.data(), N);
    for (int64_t i = 0; i < M; ++i) {
      for (int64_t j = 0; j < N; ++j) {
        const float v = C[i * N + j];
        if (i == 2) {
          REQUIRE(std::isnan(v));
        } else if (j == 4) {
          REQUIRE(v == inf);
        } else {
          REQUIRE(v == 5.f);
        }
      }
    }
  }
}

TEST_CASE("degenerate SGEMM shapes: zero sizes, K == 0 scales C, alpha 0") {
  std::vector<float> c{2.f, 4.f};
  sgemm(false, false, 1, 2, 0, 1.f, nullptr, 1, nullptr, 2, 0.5f, c.data(), 2);
  CHECK(c == std::vector<float>{1.f, 2.f});
  sgemm(false, false, 0, 2, 3, 1.f, nullptr, 3, nullptr, 2, 0.f, c.data(), 2);  // nothing to touch
  CHECK(c == std::vector<float>{1.f, 2.f});
  std::vector<float> a{1, 2, 3}, b{1, 1, 1, 1, 1, 1};
  sgemm(false, false, 1, 2, 3, 0.f, a.data(), 3, b.data(), 2, 0.f, c.data(), 2);
  CHECK(c == std::vector<float>{0.f, 0.f});
  PackedSgemmB p = pack_sgemm_b(false, 0, 2, nullptr, 2);
  c = {3.f, 5.f};
  sgemm_packed(false, 1, 1.f, a.data(), 3, p, 1.f, c.data(), 2);
  CHECK(c == std::vector<float>{3.f, 5.f});
}

namespace {

struct EpilogueCase {
  int64_t M, N, K;
  bool ta, tb;
  float alpha, beta;
  SgemmActivation act;
  float lo, hi;
  bool row_bias, col_bias, residual;
};

enum class Path { With, Packed, General };

// The product and epilogue in double against `path` with the epilogue in kernel k (or the active
// one); returns the largest error relative to the bound.
double check_epilogue(const SgemmUkernel* k, const EpilogueCase& c, uint64_t seed, Path path) {
  const int64_t lda = (c.ta ? c.M : c.K) + 1, ldb = (c.tb ? c.K : c.N) + 3, ldc = c.N + 2, ldr = c.N + 1;
  auto A = values(static_cast<size_t>((c.ta ? c.K : c.M) * lda), seed);
  auto B = values(static_cast<size_t>((c.tb ? c.N : c.K) * ldb), seed + 1);
  for (auto& v : A) v *= 2.f;  // products over [-6, 6] or so: both GELU tails are exercised
  auto C = values(static_cast<size_t>(c.M * ldc), seed + 2);
  const auto C0 = C;
  const auto rb = values(static_cast<size_t>(c.M), seed + 3), cb = values(static_cast<size_t>(c.N), seed + 4);
  const auto R = values(static_cast<size_t>(c.M * ldr), seed + 5);
  SgemmEpilogue e;
  e.row_bias = c.row_bias ? rb.data() : nullptr;
  e.col_bias = c.col_bias ? cb.data() : nullptr;
  e.residual = c.residual ? R.data() : nullptr;
  e.ldr = ldr;
  e.activation = c.act;
  e.lo = c.lo;
  e.hi = c.hi;
  if (path == Path::Packed) {
    PackedSgemmB p = pack_sgemm_b(c.tb, c.K, c.N, B.data(), ldb);
    sgemm_packed(c.ta, c.M, c.alpha, A.data(), lda, p, c.beta, C.data(), ldc, &e);
  } else if (path == Path::General) {
    sgemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta, C.data(), ldc, &e);
  } else {
    sgemm_with(*k, c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta, C.data(), ldc, &e);
  }
  double worst = 0;
  for (int64_t i = 0; i < c.M; ++i) {
    for (int64_t j = 0; j < c.N; ++j) {
      double sum = 0, mag = 0;
      for (int64_t p = 0; p < c.K; ++p) {
        const double t = static_cast<double>(A[c.ta ? p * lda + i : i * lda + p]) * B[c.tb ? j * ldb + p : p * ldb + j];
        sum += t;
        mag += std::fabs(t);
      }
      const double cterm = c.beta == 0 ? 0.0 : c.beta * static_cast<double>(C0[i * ldc + j]);
      const double extra = (c.row_bias ? rb[i] : 0.0) + (c.col_bias ? cb[j] : 0.0) + (c.residual ? R[i * ldr + j] : 0.0);
      double v = c.alpha * sum + cterm + extra;
      if (c.act == SgemmActivation::GeluErf) v = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
      if (c.act == SgemmActivation::GeluTanh) {
        v = 0.5 * v * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
      }
      v = std::min<double>(std::max<double>(v, c.lo), c.hi);
      // The product's rounding (GELU's slope is at most 1.13) plus a few ulps of the activation.
      const double bound = 1.2 * 4 * std::numeric_limits<float>::epsilon() *
                               (std::fabs(c.alpha) * mag + std::fabs(cterm) + 3.0) * std::sqrt(c.K + 2.0) +
                           8 * std::numeric_limits<float>::epsilon() * std::max(1.0, std::fabs(v));
      worst = std::max(worst, std::fabs(C[i * ldc + j] - v) / bound);
    }
    for (int64_t j = c.N; j < ldc; ++j) {
      if (C[i * ldc + j] != C0[i * ldc + j]) return INFINITY;
    }
  }
  return worst;
}

constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

TEST_CASE("SGEMM epilogue: row and column bias, residual, Relu, clamp and both GELU forms, every kernel and path") {
  const int64_t Ms[] = {1, 2, 5, 11, 12, 13}, Ns[] = {1, 7, 15, 16, 17, 31, 32, 33, 47, 48, 50, 63, 97}, Ks[] = {1, 3, 16, 17};
  struct Act {
    SgemmActivation act;
    float lo, hi;
  };
  const Act acts[] = {{SgemmActivation::None, -kInf, kInf},  {SgemmActivation::None, 0.f, kInf},  // Relu
                      {SgemmActivation::None, -0.5f, 0.75f}, {SgemmActivation::GeluErf, -kInf, kInf},
                      {SgemmActivation::GeluTanh, -kInf, kInf}, {SgemmActivation::GeluErf, -0.1f, 1.f}};
  const float scalars[][2] = {{1.f, 0.f}, {1.f, 1.f}, {0.5f, -2.f}};
  std::vector<const SgemmUkernel*> kernels{nullptr, nullptr};  // Packed, General (active kernel)
  const std::vector<SgemmUkernel> all = available_kernels();
  for (const SgemmUkernel& k : all) kernels.push_back(&k);
  uint64_t seed = 11;
  for (size_t ki = 0; ki < kernels.size(); ++ki) {
    const Path path = ki == 0 ? Path::Packed : ki == 1 ? Path::General : Path::With;
    for (int64_t M : Ms) {
      for (int64_t N : Ns) {
        for (int64_t K : Ks) {
          ++seed;
          const Act& a = acts[seed % 6];
          const bool ta = (seed / 6) & 1, tb = path != Path::Packed && ((seed / 12) & 1);
          const EpilogueCase c{M,     N,     K,    ta,   tb,   scalars[seed % 3][0], scalars[seed % 3][1], a.act, a.lo,
                               a.hi, (seed & 1) != 0, (seed & 2) != 0, (seed & 4) != 0};
          INFO((kernels[ki] ? kernels[ki]->name : ki == 0 ? "packed" : "general"), " M=", M, " N=", N, " K=", K,
               " act=", static_cast<int>(a.act), " lo=", a.lo, " hi=", a.hi, " row/col/res=", c.row_bias, c.col_bias,
               c.residual);
          REQUIRE(check_epilogue(kernels[ki], c, seed, path) <= 1.0);
        }
      }
    }
  }
}

TEST_CASE("SGEMM epilogue over depth blocks and tasks (BERT-like shapes), and with K == 0") {
  const EpilogueCase cases[] = {
      {128, 300, 300, false, false, 1.f, 0.f, SgemmActivation::GeluErf, -kInf, kInf, false, true, false},
      {130, 257, 513, false, false, 1.f, 0.f, SgemmActivation::None, -kInf, kInf, false, true, true},
      {77, 600, 260, true, false, 1.f, 1.f, SgemmActivation::GeluTanh, -kInf, kInf, true, true, true},
      {250, 2113, 20, false, true, 1.f, 0.f, SgemmActivation::None, 0.f, kInf, false, true, false},  // wide
      {5, 9, 0, false, false, 1.f, 0.5f, SgemmActivation::GeluErf, -kInf, kInf, true, true, true},  // K == 0
  };
  uint64_t seed = 300;
  for (const EpilogueCase& c : cases) {
    for (Path path : {Path::Packed, Path::General}) {
      if (path == Path::Packed && c.tb) continue;
      INFO("M=", c.M, " N=", c.N, " K=", c.K, " path=", static_cast<int>(path));
      REQUIRE(check_epilogue(nullptr, c, ++seed, path) <= 1.0);
    }
    for (const SgemmUkernel& k : available_kernels()) {
      INFO(k.name, " M=", c.M, " N=", c.N, " K=", c.K);
      REQUIRE(check_epilogue(&k, c, ++seed, Path::With) <= 1.0);
    }
  }
}

TEST_CASE("SGEMM epilogue keeps NaN through Relu, clamp and GELU; GELU tails are exact") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int64_t M = 13, N = 33, K = 5;
  std::vector<float> A(M * K, 1.f), B(K * N, 1.f), bias(N, 0.f);
  A[2 * K + 1] = nan;  // row 2 becomes NaN
  bias[3] = 100.f;     // column 3: 105, where GELU is the identity
  bias[4] = -100.f;    // column 4: -95, where GELU is zero
  for (const SgemmUkernel& k : available_kernels()) {
    for (SgemmActivation act : {SgemmActivation::None, SgemmActivation::GeluErf, SgemmActivation::GeluTanh}) {
      for (float lo : {-kInf, 0.f}) {
        INFO(k.name, " act=", static_cast<int>(act), " lo=", lo);
        SgemmEpilogue e;
        e.col_bias = bias.data();
        e.activation = act;
        e.lo = lo;
        std::vector<float> C(M * N, 0.f);
        sgemm_with(k, false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, C.data(), N, &e);
        for (int64_t i = 0; i < M; ++i) {
          for (int64_t j = 0; j < N; ++j) {
            const float v = C[i * N + j];
            if (i == 2) {
              REQUIRE(std::isnan(v));
            } else if (j == 3) {
              REQUIRE(v == 105.f);
            } else if (j == 4) {
              REQUIRE(v == (act == SgemmActivation::None && lo < 0 ? -95.f : 0.f));
            } else if (act == SgemmActivation::None) {
              REQUIRE(v == 5.f);
            } else {
              const double want = act == SgemmActivation::GeluErf
                                      ? 2.5 * (1 + std::erf(5 / std::sqrt(2.0)))
                                      : 2.5 * (1 + std::tanh(std::sqrt(2 / M_PI) * (5 + 0.044715 * 125)));
              REQUIRE(v == doctest::Approx(want).epsilon(2e-7));
            }
          }
        }
      }
    }
  }
}

TEST_CASE("sgemm_batch and sgemm_packed_batch equal one sgemm per product, small and large products") {
  struct BatchCase {
    int64_t count, M, N, K;
    bool ta, tb;
  };
  const BatchCase cases[] = {{12, 128, 128, 64, false, true},  // attention heads: a product per task
                             {5, 13, 33, 17, true, false},
                             {3, 200, 300, 150, false, false},  // large: each product on all threads
                             {1, 7, 9, 5, false, false}};
  uint64_t seed = 900;
  for (const BatchCase& c : cases) {
    INFO("count=", c.count, " M=", c.M, " N=", c.N, " K=", c.K);
    const int64_t lda = c.ta ? c.M : c.K, ldb = c.tb ? c.K : c.N;
    const auto A = values(static_cast<size_t>(c.count * c.M * c.K), ++seed);
    const auto B = values(static_cast<size_t>(c.count * c.K * c.N), ++seed);
    const auto bias = values(static_cast<size_t>(c.N), ++seed);
    SgemmEpilogue e;
    e.col_bias = bias.data();
    e.activation = SgemmActivation::GeluTanh;
    std::vector<float> want(static_cast<size_t>(c.count * c.M * c.N)), got(want.size(), -7.f), got_packed(want.size());
    std::vector<const float*> as, bs;
    std::vector<float*> cs, cs_packed;
    for (int64_t i = 0; i < c.count; ++i) {
      sgemm(c.ta, c.tb, c.M, c.N, c.K, 1.f, A.data() + i * c.M * c.K, lda, B.data() + i * c.K * c.N, ldb, 0.f,
            want.data() + i * c.M * c.N, c.N, &e);
      as.push_back(A.data() + i * c.M * c.K);
      bs.push_back(B.data() + i * c.K * c.N);
      cs.push_back(got.data() + i * c.M * c.N);
      cs_packed.push_back(got_packed.data() + i * c.M * c.N);
    }
    sgemm_batch(c.count, c.ta, c.tb, c.M, c.N, c.K, 1.f, as.data(), lda, bs.data(), ldb, 0.f, cs.data(), c.N, &e);
    CHECK(got == want);
    // One shared packed B (the first product's) for every A.
    const PackedSgemmB packed = pack_sgemm_b(c.tb, c.K, c.N, B.data(), ldb);
    sgemm_packed_batch(c.count, c.ta, c.M, 1.f, as.data(), lda, packed, 0.f, cs_packed.data(), c.N, &e);
    for (int64_t i = 0; i < c.count; ++i) {
      std::vector<float> one(static_cast<size_t>(c.M * c.N));
      sgemm_packed(c.ta, c.M, 1.f, as[i], lda, packed, 0.f, one.data(), c.N, &e);
      CHECK(std::equal(one.begin(), one.end(), cs_packed[i]));
    }
  }
}

TEST_CASE("ONNXI_ISA names and the detected ISA") {
  CHECK(std::string(isa_name(Isa::Avx512)) == "avx512");
  CHECK(static_cast<int>(active_isa()) <= static_cast<int>(detected_isa()));
  MESSAGE("detected " << isa_name(detected_isa()) << ", active " << isa_name(active_isa()));
}
