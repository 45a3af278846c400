// The memory-bound kernel families at the sizes the benchmark models run them: elementwise unary
// (the vectorized float maps of elementwise_vec_impl.h, Clip), broadcasting binary (same shape, scalar, per-channel,
// last-axis bias), Softmax / LogSoftmax rows, LayerNorm rows, BatchNorm planes, reductions (last axis, middle axis), Transpose (BERT's head split)
// and 3x3 max pooling. Each reports GB/s of bytes read plus written (the counter that bounds them).
//   cmake --preset bench && cmake --build --preset bench && build/bench/bench/onnxi_bench_kernels --benchmark_filter=BM_mem
// ONNXI_ISA=avx2|scalar lowers the ISA the dispatched kernels pick.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/layer_norm.h"
#include "kernels/cpu/norm.h"
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
BENCHMARK_CAPTURE(BM_mem_unary, log, UnaryOp::Log)->Arg(128 * 3072)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, softplus, UnaryOp::Softplus)->Arg(128 * 3072)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, mish, UnaryOp::Mish)->Arg(128 * 3072)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, swish, UnaryOp::Swish)->Arg(128 * 3072)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, leaky_relu, UnaryOp::LeakyRelu)->Arg(64 * 56 * 56)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, hard_sigmoid, UnaryOp::HardSigmoid)->Arg(64 * 56 * 56)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, hard_swish, UnaryOp::HardSwish)->Arg(64 * 56 * 56)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, sqrt, UnaryOp::Sqrt)->Arg(64 * 56 * 56)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, reciprocal, UnaryOp::Reciprocal)->Arg(64 * 56 * 56)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, abs, UnaryOp::Abs)->Arg(64 * 56 * 56)->UseRealTime();
BENCHMARK_CAPTURE(BM_mem_unary, neg, UnaryOp::Neg)->Arg(64 * 56 * 56)->UseRealTime();

// Relu6 as MobileNetV2 runs it (Clip 0..6) on a [1, 96, 112, 112] activation.
void BM_mem_clip(benchmark::State& state) {
  const int64_t n = 96 * 112 * 112;
  auto x = random_floats(n, -8.f, 8.f);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    clip(x.data(), 0.f, 6.f, y.data(), n);
    benchmark::DoNotOptimize(y.data());
  }
  bytes_per_iteration(state, 8.0 * static_cast<double>(n));
}
BENCHMARK(BM_mem_clip)->UseRealTime();

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

void BM_mem_log_softmax_rows(benchmark::State& state) {
  const int64_t n = state.range(0), rows = 12 * 128;
  auto x = random_floats(rows * n);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    log_softmax<float>(x.data(), y.data(), rows, n, 1);
    benchmark::DoNotOptimize(y.data());
  }
  bytes_per_iteration(state, 8.0 * static_cast<double>(rows * n));
}
BENCHMARK(BM_mem_log_softmax_rows)->Arg(1000)->UseRealTime();

// BERT's SkipLayerNormalization: [128, 768] with a skip, gamma and beta.
void BM_mem_skip_layer_norm(benchmark::State& state) {
  const int64_t rows = 128, cols = 768;
  auto x = random_floats(rows * cols), skip = random_floats(rows * cols), gamma = random_floats(cols),
       beta = random_floats(cols);
  std::vector<float> y(x.size());
  LayerNormParams p;
  p.gamma = gamma.data();
  p.beta = beta.data();
  p.skip = skip.data();
  p.skip_rows = rows;
  for (auto _ : state) {
    layer_norm_rows_f32(x.data(), y.data(), rows, cols, p);
    benchmark::DoNotOptimize(y.data());
  }
  bytes_per_iteration(state, 4.0 * static_cast<double>(3 * rows * cols));
}
BENCHMARK(BM_mem_skip_layer_norm)->UseRealTime();

// An unfolded inference BatchNormalization on [1, 64, 56, 56].
void BM_mem_batch_norm(benchmark::State& state) {
  const int64_t channels = 64, spatial = 56 * 56;
  auto x = random_floats(channels * spatial), scale = random_floats(channels), bias = random_floats(channels),
       mean = random_floats(channels), var = random_floats(channels, 0.5f, 2.f);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    batch_norm(x.data(), scale.data(), bias.data(), mean.data(), var.data(), 1e-5, 1, channels, spatial, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  bytes_per_iteration(state, 8.0 * static_cast<double>(channels * spatial));
}
BENCHMARK(BM_mem_batch_norm)->UseRealTime();

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
void BM_mem_reduce_mean_last(benchmark::State& state) {
  reduce_case(state, {1, 128, 768}, {false, false, true}, ReduceOp::Mean);
}
void BM_mem_reduce_mean_spatial(benchmark::State& state) {
  reduce_case(state, {1, 2048, 49}, {false, false, true}, ReduceOp::Mean);
}
void BM_mem_reduce_sum_middle(benchmark::State& state) {
  reduce_case(state, {64, 256, 64}, {false, true, false}, ReduceOp::Sum);
}
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
