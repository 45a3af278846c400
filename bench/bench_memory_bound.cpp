// The memory-bound kernel families at the sizes the benchmark models run them: elementwise unary
// (Exp, Erf, GELU, Sigmoid, Tanh, Relu), broadcasting binary (same shape, scalar, per-channel,
// last-axis bias), Softmax rows, reductions (last axis, middle axis), Transpose (BERT's head split)
// and 3x3 max pooling. Each reports GB/s of bytes read plus written (the counter that bounds them).
//   cmake --preset bench && cmake --build --preset bench && build/bench/bench/onnxi_bench_kernels --benchmark_filter=BM_mem
// ONNXI_ISA=avx2|scalar lowers the ISA the dispatched kernels pick.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/pool.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/softmax.h"
#include "kernels/cpu/transpose.h"

namespace {

using namespace onnxi::kernels;

std::vector<float> random_floats(int64_t n, float lo = -4.f, float hi = 4.f) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

void bytes_per_iteration(benchmark::State& state, double bytes) {
  // Shown as "GB=<value>/s": bytes per iteration in units of 1e9, as a rate.
  state.counters["GB"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// [1, 128, 3072]: BERT's FFN activation; [1, 128, 768]: its hidden state.
void BM_mem_unary(benchmark::State& state, UnaryOp op) {
  const int64_t n = state.range(0);
  auto x = random_floats(n);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    unary(op, x.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
  }
  bytes_per_iteration(state, 8.0 * static_cast<double>(n));
}
BENCHMARK_CAPTURE(BM_mem_unary, exp, UnaryOp::Exp)->Arg(128 * 3072)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, erf, UnaryOp::Erf)->Arg(128 * 3072)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, gelu, UnaryOp::Gelu)->Arg(128 * 3072)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, gelu_tanh, UnaryOp::GeluTanh)->Arg(128 * 3072)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, sigmoid, UnaryOp::Sigmoid)->Arg(128 * 3072)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, tanh, UnaryOp::Tanh)->Arg(128 * 3072)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, relu, UnaryOp::Relu)->Arg(64 * 56 * 56)->UseRealTime();

// a[out] op b[b_shape] with b broadcast against out.
void binary_case(benchmark::State& state, const std::vector<int64_t>& out, const std::vector<int64_t>& b_shape) {
  int64_t n = 1, nb = 1;
  for (int64_t d : out) n *= d;
  for (int64_t d : b_shape) nb *= d;
  auto a = random_floats(n), b = random_floats(nb);
  std::vector<float> y(static_cast<size_t>(n));
  const BroadcastPlan plan = plan_broadcast({out, b_shape}, out);
  for (auto _ : state) {
    binary(BinaryOp::Add, a.data(), b.data(), y.data(), plan);
    benchmark::DoNotOptimize(y.data());
  }
  bytes_per_iteration(state, 4.0 * static_cast<double>(2 * n + nb));
}
void BM_mem_add_same_shape(benchmark::State& state) { binary_case(state, {1, 256, 56, 56}, {1, 256, 56, 56}); }
void BM_mem_add_scalar(benchmark::State& state) { binary_case(state, {1, 256, 56, 56}, {1}); }
void BM_mem_add_per_channel(benchmark::State& state) { binary_case(state, {1, 256, 56, 56}, {1, 256, 1, 1}); }
void BM_mem_add_last_axis_bias(benchmark::State& state) { binary_case(state, {1, 128, 3072}, {3072}); }
BENCHMARK(BM_mem_add_same_shape)->UseRealTime();
BENCHMARK(BM_mem_add_scalar)->UseRealTime();
BENCHMARK(BM_mem_add_per_channel)->UseRealTime();
BENCHMARK(BM_mem_add_last_axis_bias)->UseRealTime();

// BERT's attention probabilities: 12 heads x 128 queries, rows of range(0) keys.
void BM_mem_softmax_rows(benchmark::State& state) {
  const int64_t n = state.range(0), rows = 12 * 128;
  auto x = random_floats(rows * n);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    softmax<float>(x.data(), y.data(), rows, n, 1);
    benchmark::DoNotOptimize(y.data());
  }
  bytes_per_iteration(state, 8.0 * static_cast<double>(rows * n));
}
BENCHMARK(BM_mem_softmax_rows)->Arg(128)->Arg(384)->Arg(1024)->UseRealTime();

void reduce_case(benchmark::State& state, const std::vector<int64_t>& shape, const std::vector<bool>& reduced,
                 ReduceOp op) {
  const ReducePlan plan = plan_reduction(shape, reduced);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  auto x = random_floats(n);
  std::vector<float> y(static_cast<size_t>(plan.output_count));
  for (auto _ : state) {
    reduce<float>(op, plan, x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  bytes_per_iteration(state, 4.0 * static_cast<double>(n + plan.output_count));
}
// LayerNorm's ReduceMean over the hidden axis; GlobalAveragePool-like mean over H*W; a middle axis.
void BM_mem_reduce_mean_last(benchmark::State& state) { reduce_case(state, {1, 128, 768}, {false, false, true}, ReduceOp::Mean); }
void BM_mem_reduce_mean_spatial(benchmark::State& state) {
  reduce_case(state, {1, 2048, 49}, {false, false, true}, ReduceOp::Mean);
}
void BM_mem_reduce_sum_middle(benchmark::State& state) { reduce_case(state, {64, 256, 64}, {false, true, false}, ReduceOp::Sum); }
BENCHMARK(BM_mem_reduce_mean_last)->UseRealTime();
BENCHMARK(BM_mem_reduce_mean_spatial)->UseRealTime();
BENCHMARK(BM_mem_reduce_sum_middle)->UseRealTime();

// [1, 128, 12, 64] -> [1, 12, 128, 64] (heads split) and the K transpose to [1, 12, 64, 128].
void transpose_case(benchmark::State& state, const std::vector<int64_t>& perm) {
  const std::vector<int64_t> shape = {1, 128, 12, 64};
  auto x = random_floats(128 * 768);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    transpose(x.data(), y.data(), sizeof(float), shape, perm);
    benchmark::DoNotOptimize(y.data());
  }
  bytes_per_iteration(state, 8.0 * static_cast<double>(x.size()));
}
void BM_mem_transpose_heads(benchmark::State& state) { transpose_case(state, {0, 2, 1, 3}); }
void BM_mem_transpose_keys(benchmark::State& state) { transpose_case(state, {0, 2, 3, 1}); }
BENCHMARK(BM_mem_transpose_heads)->UseRealTime();
BENCHMARK(BM_mem_transpose_keys)->UseRealTime();

// ResNet-50's stem pool: 64 planes of 112x112, 3x3 stride 2 pad 1 -> 56x56.
void BM_mem_max_pool_3x3s2(benchmark::State& state) {
  PoolParams p;
  p.planes = 64;
  p.in_spatial = {112, 112};
  p.out_spatial = {56, 56};
  p.kernel = {3, 3};
  p.strides = {2, 2};
  p.dilations = {1, 1};
  p.pads_begin = {1, 1};
  p.pads_end = {1, 1};
  auto x = random_floats(64 * 112 * 112);
  std::vector<float> y(64 * 56 * 56);
  for (auto _ : state) {
    max_pool<float>(p, x.data(), y.data(), nullptr, false);
    benchmark::DoNotOptimize(y.data());
  }
  bytes_per_iteration(state, 4.0 * static_cast<double>(x.size() + y.size()));
}
BENCHMARK(BM_mem_max_pool_3x3s2)->UseRealTime();

}  // namespace
