// SGEMM: onnxi's kernel beside OpenBLAS on the same square problems, reported as GFLOP/s.
//   cmake --preset bench && cmake --build --preset bench && build/bench/bench/onnxi_bench_kernels
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"
#ifdef ONNXI_WITH_BLAS
#include <cblas.h>
#endif

namespace {

// On a shared machine the fastest repetition is the least disturbed: --benchmark_repetitions=N
// reports `max` (its GFLOP/s counter is the best rate) beside the median.
double best(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }

struct Problem {
  explicit Problem(int64_t n) : a(static_cast<size_t>(n * n)), b(a.size()), c(a.size()) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    for (auto& v : a) v = dist(rng);
    for (auto& v : b) v = dist(rng);
  }
  std::vector<float> a, b, c;
};

void report(benchmark::State& state, int64_t n) {
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(n * n * n),
                                                 benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

void BM_onnxi_sgemm(benchmark::State& state) {
  int64_t n = state.range(0);
  Problem p(n);
  for (auto _ : state) {
    onnxi::kernels::sgemm(false, false, n, n, n, 1.f, p.a.data(), n, p.b.data(), n, 0.f, p.c.data(), n);
    benchmark::DoNotOptimize(p.c.data());
  }
  report(state, n);
}
BENCHMARK(BM_onnxi_sgemm)->ComputeStatistics("max", best)->Arg(64)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);

// B packed once beforehand, as a Gemm/MatMul with constant weights runs.
void BM_onnxi_sgemm_packed_b(benchmark::State& state) {
  int64_t n = state.range(0);
  Problem p(n);
  const onnxi::kernels::PackedSgemmB packed = onnxi::kernels::pack_sgemm_b(false, n, n, p.b.data(), n);
  for (auto _ : state) {
    onnxi::kernels::sgemm_packed(false, n, 1.f, p.a.data(), n, packed, 0.f, p.c.data(), n);
    benchmark::DoNotOptimize(p.c.data());
  }
  report(state, n);
}
BENCHMARK(BM_onnxi_sgemm_packed_b)->ComputeStatistics("max", best)->Arg(64)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);

// Rectangular shapes: BERT-base's MatMuls at sequence 128 (M x N x K) and ResNet-50's classifier
// as a GEMV, B prepacked as constant weights are.
struct Rect {
  explicit Rect(int64_t m, int64_t n, int64_t k)
      : M(m), N(n), K(k), a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n)), c(static_cast<size_t>(m * n)) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    for (auto& v : a) v = dist(rng);
    for (auto& v : b) v = dist(rng);
  }
  int64_t M, N, K;
  std::vector<float> a, b, c;
};

void rect_args(benchmark::internal::Benchmark* b) {
  b->Args({128, 768, 768})->Args({128, 3072, 768})->Args({128, 768, 3072})->Args({1, 1000, 2048});
}

void report_rect(benchmark::State& state, const Rect& r) {
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(r.M * r.N * r.K),
                                                 benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

void BM_onnxi_sgemm_rect(benchmark::State& state) {
  Rect r(state.range(0), state.range(1), state.range(2));
  const onnxi::kernels::PackedSgemmB packed = onnxi::kernels::pack_sgemm_b(false, r.K, r.N, r.b.data(), r.N);
  for (auto _ : state) {
    onnxi::kernels::sgemm_packed(false, r.M, 1.f, r.a.data(), r.K, packed, 0.f, r.c.data(), r.N);
    benchmark::DoNotOptimize(r.c.data());
  }
  report_rect(state, r);
}
BENCHMARK(BM_onnxi_sgemm_rect)->ComputeStatistics("max", best)->Apply(rect_args)->UseRealTime()->Unit(benchmark::kMillisecond);

// As in a whole model: weights come from memory, not cache (BERT-base's 340 MB of weights pass
// through a 32 MiB L3 once per run). Cycles through enough packed copies of B to overflow L3.
void BM_onnxi_sgemm_rect_cold_b(benchmark::State& state) {
  Rect r(state.range(0), state.range(1), state.range(2));
  // The 5th argument 0 keeps one (hot) copy, the same loop as the cold one for a side-by-side ratio.
  const int64_t copies = state.range(4) == 0 ? 1 : std::max<int64_t>(2, (96 << 20) / (r.K * r.N * 4));
  std::vector<onnxi::kernels::PackedSgemmB> packed;
  for (int64_t i = 0; i < copies; ++i) packed.push_back(onnxi::kernels::pack_sgemm_b(false, r.K, r.N, r.b.data(), r.N));
  int64_t next = 0;
  // Threads as a model session would bound them (the 4th argument), not the whole machine.
  onnxi::kernels::ThreadArena arena(static_cast<int>(state.range(3)));
  for (auto _ : state) {
    arena.execute([&] {
      onnxi::kernels::sgemm_packed(false, r.M, 1.f, r.a.data(), r.K, packed[static_cast<size_t>(next)], 0.f,
                                   r.c.data(), r.N);
    });
    next = (next + 1) % copies;
    benchmark::DoNotOptimize(r.c.data());
  }
  report_rect(state, r);
}
BENCHMARK(BM_onnxi_sgemm_rect_cold_b)
    ->ComputeStatistics("max", best)
    ->ArgsProduct({{128}, {768}, {768}, {1, 2}, {0, 1}})
    ->ArgsProduct({{128}, {3072}, {768}, {1, 2}, {0, 1}})
    ->ArgsProduct({{128}, {768}, {3072}, {1, 2}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The same with a linear layer's epilogue: column bias, then GELU (erf) on the BERT FFN shape, or
// column bias plus a residual add; what FusedMatMul runs. Its cost over BM_onnxi_sgemm_rect is
// the epilogue's.
void BM_onnxi_sgemm_rect_epilogue(benchmark::State& state) {
  Rect r(state.range(0), state.range(1), state.range(2));
  const onnxi::kernels::PackedSgemmB packed = onnxi::kernels::pack_sgemm_b(false, r.K, r.N, r.b.data(), r.N);
  std::vector<float> bias(static_cast<size_t>(r.N), 0.1f), residual(r.c.size(), 0.5f);
  onnxi::kernels::SgemmEpilogue e;
  e.col_bias = bias.data();
  if (state.range(3) == 1) {
    e.activation = onnxi::kernels::SgemmActivation::GeluErf;
  } else {
    e.residual = residual.data();
    e.ldr = r.N;
  }
  onnxi::kernels::ThreadArena arena(static_cast<int>(state.range(4)));
  for (auto _ : state) {
    // 3rd mode 0: the same product without the epilogue, in the same loop, for its share.
    arena.execute([&] {
      onnxi::kernels::sgemm_packed(false, r.M, 1.f, r.a.data(), r.K, packed, 0.f, r.c.data(), r.N,
                                   state.range(3) == 0 ? nullptr : &e);
    });
    benchmark::DoNotOptimize(r.c.data());
  }
  report_rect(state, r);
}
BENCHMARK(BM_onnxi_sgemm_rect_epilogue)->ComputeStatistics("max", best)
    ->ArgsProduct({{128}, {3072}, {768}, {0, 1}, {1, 2}})
    ->ArgsProduct({{128}, {768}, {3072}, {0, 2}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

#ifdef ONNXI_WITH_BLAS
void BM_openblas_sgemm_rect(benchmark::State& state) {
  Rect r(state.range(0), state.range(1), state.range(2));
  const int M = static_cast<int>(r.M), N = static_cast<int>(r.N), K = static_cast<int>(r.K);
  for (auto _ : state) {
    if (M == 1) {
      cblas_sgemv(CblasRowMajor, CblasTrans, K, N, 1.f, r.b.data(), N, r.a.data(), 1, 0.f, r.c.data(), 1);
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, r.a.data(), K, r.b.data(), N, 0.f,
                  r.c.data(), N);
    }
    benchmark::DoNotOptimize(r.c.data());
  }
  report_rect(state, r);
}
BENCHMARK(BM_openblas_sgemm_rect)->ComputeStatistics("max", best)->Apply(rect_args)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_openblas_sgemm(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  Problem p(n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, p.a.data(), n, p.b.data(), n, 0.f,
                p.c.data(), n);
    benchmark::DoNotOptimize(p.c.data());
  }
  report(state, n);
}
BENCHMARK(BM_openblas_sgemm)->ComputeStatistics("max", best)->Arg(64)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);
#endif

}  // namespace
