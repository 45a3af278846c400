// Helpers of the CUDA kernel tests (test_cuda_*.cpp): the skip line without a device, device copies
// of host vectors, random data and element-wise comparison with a per-element tolerance.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"

namespace cuda_test {

namespace cu = onnxi::cuda;

// False without a usable device; the first call prints the one skip line.
inline bool device_ready() {
  static const bool ok = [] {
    const bool available = cu::cuda_available();
    if (!available)
      std::printf("CUDA tests skipped: no CUDA device (%s)\n", cu::cuda_unavailable_reason().c_str());
    return available;
  }();
  return ok;
}

#define CUDA_TEST_REQUIRE_DEVICE() \
  if (!::cuda_test::device_ready()) return

template <class T>
struct DeviceVec {
  cu::DeviceBuffer buf;
  std::size_t size = 0;
  DeviceVec(const std::vector<T>& host, cu::Stream& s) : buf(host.size() * sizeof(T), s.handle()), size(host.size()) {
    cu::copy_to_device(buf.data(), host.data(), size * sizeof(T), s.handle());
  }
  DeviceVec(std::size_t n, cu::Stream& s) : buf(n * sizeof(T), s.handle()), size(n) {
    cu::fill_zero(buf.data(), n * sizeof(T), s.handle());
  }
  T* ptr() const { return buf.as<T>(); }
  std::vector<T> get(cu::Stream& s) const {
    std::vector<T> host(size);
    cu::copy_to_host(host.data(), buf.data(), size * sizeof(T), s.handle());
    s.synchronize();
    return host;
  }
};

inline std::vector<float> random_vec(std::size_t n, std::uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

// Checks |got - want| <= tol[i] (or tol[0] for all when tol has one entry); NaN matches NaN. Reports
// the first few mismatches with their index, then one count.
inline void expect_close(const std::vector<float>& got, const std::vector<double>& want, const std::vector<double>& tol,
                         const std::string& label) {
  REQUIRE(got.size() == want.size());
  int bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double t = tol.size() == 1 ? tol[0] : tol[i];
    const bool both_nan = std::isnan(got[i]) && std::isnan(want[i]);
    const bool same_inf = std::isinf(want[i]) && static_cast<double>(got[i]) == want[i];
    if (both_nan || same_inf || std::fabs(static_cast<double>(got[i]) - want[i]) <= t) continue;
    if (++bad <= 3) FAIL_CHECK(label << ": element " << i << " is " << got[i] << ", want " << want[i] << " +- " << t);
  }
  CHECK_MESSAGE(bad == 0, label << ": " << bad << " of " << got.size() << " elements off");
}

// Relative-plus-absolute tolerance for every element of `want`.
inline std::vector<double> rel_tol(const std::vector<double>& want, double rel, double abs) {
  std::vector<double> t(want.size());
  for (std::size_t i = 0; i < want.size(); ++i) t[i] = abs + rel * std::fabs(want[i]);
  return t;
}

}  // namespace cuda_test
