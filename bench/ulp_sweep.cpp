// The max error in ulp of each vectorized float function (kernels/cpu/vec_math.h) against a double
// reference (bench/ulp_reference.h), over every finite float (--step 1, the default) or every
// step-th bit pattern, plus 2^24 + 1 points on [-16, 16], for each ISA this CPU has (scalar: the
// portable loop on the C library), and whether the AVX2 and AVX-512 results agree bit for bit. Prints the markdown table that
// vec_math.h quotes.
//   build/bench/bench/onnxi_ulp_sweep [--step K] [--only NAME] [--threads T]
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/ulp_reference.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/elementwise.h"

using namespace onnxi;
using kernels::Isa;

namespace {

struct Worst {
  double ulp = 0;       // max ulp error where |ref| >= abs_floor
  float at = 0;         // its input
  double abs_err = 0;   // max |y - ref| where |ref| < abs_floor
};

struct Sweep {
  std::vector<Worst> worst;  // per ISA
  uint64_t points = 0;
  uint64_t isa_mismatches = 0;  // AVX2 vs AVX-512 bit differences (NaN payloads aside)
};

void merge(Sweep& into, const Sweep& part) {
  for (size_t k = 0; k < into.worst.size(); ++k) {
    if (part.worst[k].ulp > into.worst[k].ulp) {
      into.worst[k].ulp = part.worst[k].ulp;
      into.worst[k].at = part.worst[k].at;
    }
    into.worst[k].abs_err = std::max(into.worst[k].abs_err, part.worst[k].abs_err);
  }
  into.points += part.points;
  into.isa_mismatches += part.isa_mismatches;
}

Sweep sweep(const ulp::Function& f, const std::vector<Isa>& isas, uint64_t step, int threads) {
  constexpr uint64_t kChunk = 1 << 16;
  constexpr uint64_t kRamp = (uint64_t(1) << 24) + 1;
  const uint64_t total = ((uint64_t(1) << 32) + step - 1) / step;  // bit patterns i * step
  const uint64_t chunks = (total + kRamp + kChunk - 1) / kChunk;
  Sweep result;
  result.worst.resize(isas.size());
  std::mutex mu;
  auto work = [&](int t) {
    Sweep local;
    local.worst.resize(isas.size());
    std::vector<float> x(kChunk);
    std::vector<std::vector<float>> y(isas.size(), std::vector<float>(kChunk));
    for (uint64_t c = static_cast<uint64_t>(t); c < chunks; c += static_cast<uint64_t>(threads)) {
      int64_t n = 0;
      for (uint64_t i = c * kChunk; i < (c + 1) * kChunk; ++i) {
        float v;
        if (i < total) {
          const uint32_t bits = static_cast<uint32_t>(i * step);
          std::memcpy(&v, &bits, 4);
        } else if (i - total < kRamp) {
          // The ramp: 2^24 + 1 points on [-16, 16], where the functions bend (the doctest's ramp
          // of 2^17 + 1 points is a subset).
          v = -16.f + 32.f * static_cast<float>(i - total) / static_cast<float>(kRamp - 1);
        } else {
          break;
        }
        if (!std::isfinite(v) || v < f.lo || v > f.hi) continue;
        x[static_cast<size_t>(n++)] = v;
      }
      for (size_t k = 0; k < isas.size(); ++k)
        kernels::unary_f32_isa(isas[k], f.op, x.data(), y[k].data(), n, f.params);
      for (int64_t i = 0; i < n; ++i) {
        const double ref = f.ref(static_cast<double>(x[i]));
        for (size_t k = 0; k < isas.size(); ++k) {
          const float yi = y[k][i];
          Worst& w = local.worst[k];
          if (std::fabs(ref) < f.abs_floor) {
            w.abs_err = std::max(w.abs_err, std::fabs(static_cast<double>(yi) - ref));
            continue;
          }
          const double e = ulp::ulp_error(yi, ref);
          if (e > w.ulp) {
            w.ulp = e;
            w.at = x[i];
          }
        }
        if (isas.size() == 3 && std::memcmp(&y[1][i], &y[2][i], 4) != 0 &&
            !(std::isnan(y[1][i]) && std::isnan(y[2][i]))) {
          ++local.isa_mismatches;
        }
      }
      local.points += static_cast<uint64_t>(n);
    }
    std::lock_guard<std::mutex> lock(mu);
    merge(result, local);
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& th : pool) th.join();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t step = 1;
  std::string only;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--step" && i + 1 < argc) {
      step = std::max<uint64_t>(1, std::strtoull(argv[++i], nullptr, 10));
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--step K] [--only NAME] [--threads T]\n", argv[0]);
      return 2;
    }
  }
  std::vector<Isa> isas = {Isa::Scalar};
  if (kernels::detected_isa() >= Isa::Avx2) isas.push_back(Isa::Avx2);
  if (kernels::detected_isa() >= Isa::Avx512) isas.push_back(Isa::Avx512);
  std::printf("every %" PRIu64 "-th float bit pattern (finite ones) and 2^24 + 1 points on [-16, 16], %d threads\n\n",
              step, threads);
  std::printf("| function | ISA | max ulp | at x | max abs error below the floor | points | avx2 != avx512 |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|\n");
  for (const ulp::Function& f : ulp::functions()) {
    if (!only.empty() && only != f.name) continue;
    const Sweep s = sweep(f, isas, step, threads);
    for (size_t k = 0; k < isas.size(); ++k) {
      const Worst& w = s.worst[k];
      char floor[64] = "";
      if (f.abs_floor > 0) std::snprintf(floor, sizeof floor, "%.2g (|ref| < %.0e)", w.abs_err, f.abs_floor);
      std::printf("| %s | %s | %.3f | %.9g | %s | %" PRIu64 " | %" PRIu64 " |\n", f.name, kernels::isa_name(isas[k]),
                  w.ulp, static_cast<double>(w.at), floor, s.points, s.isa_mismatches);
    }
    std::fflush(stdout);
  }
  return 0;
}
