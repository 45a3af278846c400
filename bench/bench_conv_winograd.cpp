// Winograd F(4,3) / F(2,3) against the direct NCHWc kernel on ResNet-50's 3x3 stride-1 shapes, and
// each Winograd phase alone (the other two entries replaced by no-ops), and the weight transform.
//   cmake --preset bench && cmake --build --preset bench --target onnxi_bench_kernels
//   build/bench/bench/onnxi_bench_kernels --benchmark_filter=Winograd
// Args: channels, image side, threads. GFLOP/s counts the direct conv's 2 * MACs for every variant,
// so the figures compare as speed.
#include <benchmark/benchmark.h>

#include <vector>

#include "kernels/cpu/conv_nchwc.h"
#include "kernels/cpu/conv_winograd.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/parallel.h"

using namespace onnxi::kernels;

namespace {

std::vector<float> filled(size_t n, float scale) {
  std::vector<float> v(n);
  uint32_t s = 12345;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = scale * (static_cast<float>(s >> 8) / 16777216.f - 0.5f);
  }
  return v;
}

NchwcConvParams resnet_params(int64_t c, int64_t side) {
  NchwcConvParams p;
  p.in_channels = p.out_channels = c;
  p.in_h = p.in_w = p.out_h = p.out_w = side;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_left = 1;
  p.act_lo = 0.f;
  return p;
}

void noop_input(const WinogradInputJob&) {}
void noop_gemm(const WinogradGemmJob&) {}
void noop_output(const WinogradOutputJob&) {}

enum Variant { kDirect, kF43, kF23, kF43Input, kF43Gemm, kF43Output };

// "Cold" runs rotate over copies of the weights that together exceed the L3 (32 MiB here), as in a
// whole model, where the other layers' weights have evicted this one's.
constexpr size_t kColdBytes = 96u << 20;

void run(benchmark::State& state, Variant variant, bool cold = false) {
  const int64_t c = state.range(0), side = state.range(1);
  const int threads = static_cast<int>(state.range(2));
  const NchwcConvParams p = resnet_params(c, side);
  const auto x = filled(static_cast<size_t>(nchwc_blocks(c) * side * side * 16), 2.f);
  const auto w = filled(static_cast<size_t>(c * c * 9), 0.1f);
  const auto sum = filled(x.size(), 1.f);
  std::vector<float> y(x.size());
  const WinogradTile tile = variant == kF23 ? WinogradTile::F23 : WinogradTile::F43;
  std::vector<WinogradWeights> ww;
  ww.push_back(pack_winograd_weights(p, tile, w.data(), nullptr));
  std::vector<NchwcPackedWeights> direct(1, pack_nchwc_weights(p, w.data(), nullptr));
  const size_t bytes = variant == kDirect ? direct[0].w.size() * 4 : ww[0].u.size() * 4;
  for (size_t copies = 1; cold && copies * bytes < kColdBytes; ++copies) {
    if (variant == kDirect) direct.push_back(direct[0]);
    if (variant != kDirect) ww.push_back(pack_winograd_weights(p, tile, w.data(), nullptr));
  }
  size_t next = 0;
  WinogradKernels k = detected_isa() >= Isa::Avx512 ? winograd_kernels__avx512()
                      : detected_isa() >= Isa::Avx2 ? winograd_kernels__avx2()
                                                    : winograd_kernels__scalar();
  if (variant == kF43Input) k.gemm = noop_gemm, k.output = noop_output;
  if (variant == kF43Gemm) k.input = noop_input, k.output = noop_output;
  if (variant == kF43Output) k.input = noop_input, k.gemm = noop_gemm;
  ThreadArena arena(threads);
  for (auto _ : state) {
    arena.execute([&] {
      if (variant == kDirect) {
        nchwc_conv2d(p, direct[next % direct.size()], x.data(), sum.data(), y.data());
      } else {
        winograd_conv2d_with(p, ww[next % ww.size()], x.data(), sum.data(), y.data(), k);
      }
    });
    ++next;
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * side * side * c * c * 9, benchmark::Counter::kIsIterationInvariantRate);
}

void shapes(benchmark::internal::Benchmark* b) {
  for (int t : {1, 2}) {
    b->Args({64, 56, t})->Args({128, 28, t})->Args({256, 14, t})->Args({512, 7, t});
  }
  b->Args({16, 56, 1})->Args({32, 56, 1})->Args({32, 112, 1});  // where the channel threshold sits
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}

void BM_WinogradDirect(benchmark::State& s) { run(s, kDirect); }
void BM_WinogradF43(benchmark::State& s) { run(s, kF43); }
void BM_WinogradF23(benchmark::State& s) { run(s, kF23); }
void BM_WinogradF43InputOnly(benchmark::State& s) { run(s, kF43Input); }
void BM_WinogradF43GemmOnly(benchmark::State& s) { run(s, kF43Gemm); }
void BM_WinogradF43OutputOnly(benchmark::State& s) { run(s, kF43Output); }
void BM_WinogradColdDirect(benchmark::State& s) { run(s, kDirect, true); }
void BM_WinogradColdF43(benchmark::State& s) { run(s, kF43, true); }
void BM_WinogradColdF23(benchmark::State& s) { run(s, kF23, true); }
BENCHMARK(BM_WinogradColdDirect)->Apply(shapes);
BENCHMARK(BM_WinogradColdF43)->Apply(shapes);
BENCHMARK(BM_WinogradColdF23)->Apply(shapes);
BENCHMARK(BM_WinogradDirect)->Apply(shapes);
BENCHMARK(BM_WinogradF43)->Apply(shapes);
BENCHMARK(BM_WinogradF23)->Apply(shapes);
BENCHMARK(BM_WinogradF43InputOnly)->Apply(shapes);
BENCHMARK(BM_WinogradF43GemmOnly)->Apply(shapes);
BENCHMARK(BM_WinogradF43OutputOnly)->Apply(shapes);

// The weight transform of one conv (session creation time).
void BM_WinogradPackWeights(benchmark::State& state) {
  const int64_t c = state.range(0);
  const NchwcConvParams p = resnet_params(c, 14);
  const auto w = filled(static_cast<size_t>(c * c * 9), 0.1f);
  for (auto _ : state) {
    WinogradWeights ww = pack_winograd_weights(p, WinogradTile::F43, w.data(), nullptr);
    benchmark::DoNotOptimize(ww.u.data());
  }
}
BENCHMARK(BM_WinogradPackWeights)->Arg(64)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond);

}  // namespace
