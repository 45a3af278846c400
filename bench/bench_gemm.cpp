// SGEMM: onnxi's kernel beside OpenBLAS on the same square problems, reported as GFLOP/s.
//   cmake --preset bench && cmake --build --preset bench && build/bench/bench/onnxi_bench_kernels
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/cpu/gemm.h"
#ifdef ONNXI_WITH_BLAS
#include <cblas.h>
#endif

namespace {

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
BENCHMARK(BM_onnxi_sgemm)->Arg(64)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);

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
BENCHMARK(BM_onnxi_sgemm_packed_b)->Arg(64)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);

#ifdef ONNXI_WITH_BLAS
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
BENCHMARK(BM_openblas_sgemm)->Arg(64)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);
#endif

}  // namespace
