#include "kernels/cpu/reduce_scan.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/wrapping.h"
#include "onnxi/float_types.h"

namespace onnxi::kernels {
namespace {

template <class T, ScanOp Op>
void scan_as(const T* in, int64_t outer, int64_t n, int64_t inner, bool exclusive, bool reverse, T* out) {
  using Acc = Wrapping<T>;
  const Acc identity = Op == ScanOp::Sum ? Acc(0) : Acc(1);
  const int64_t grain = std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, n * inner));
  parallel_for(0, outer, grain, [&](int64_t begin, int64_t end) {
    std::vector<Acc> acc(static_cast<size_t>(inner));
    for (int64_t o = begin; o < end; ++o) {
      std::fill(acc.begin(), acc.end(), identity);
      for (int64_t s = 0; s < n; ++s) {
        const int64_t r = reverse ? n - 1 - s : s;
        const T* x = in + (o * n + r) * inner;
        T* y = out + (o * n + r) * inner;
        for (int64_t j = 0; j < inner; ++j) {
          const Acc before = acc[j];
          if constexpr (Op == ScanOp::Sum) {
            acc[j] = static_cast<Acc>(before + static_cast<Acc>(x[j]));
          } else {
            acc[j] = static_cast<Acc>(before * static_cast<Acc>(x[j]));
          }
          y[j] = static_cast<T>(exclusive ? before : acc[j]);
        }
      }
    }
  });
}

template <float (*Widen)(uint16_t) noexcept, uint16_t (*Narrow)(float) noexcept>
void scan_half(ScanOp op, const uint16_t* in, int64_t outer, int64_t n, int64_t inner, bool exclusive,
               bool reverse, uint16_t* out) {
  const size_t count = static_cast<size_t>(outer * n * inner);
  std::vector<float> wide_in(count), wide_out(count);
  for (size_t i = 0; i < count; ++i) wide_in[i] = Widen(in[i]);
  scan<float>(op, wide_in.data(), outer, n, inner, exclusive, reverse, wide_out.data());
  for (size_t i = 0; i < count; ++i) out[i] = Narrow(wide_out[i]);
}

}  // namespace

template <class T>
void scan(ScanOp op, const T* in, int64_t outer, int64_t n, int64_t inner, bool exclusive, bool reverse,
          T* out) {
  if (outer == 0 || n == 0 || inner == 0) return;
  if (op == ScanOp::Sum) return scan_as<T, ScanOp::Sum>(in, outer, n, inner, exclusive, reverse, out);
  scan_as<T, ScanOp::Prod>(in, outer, n, inner, exclusive, reverse, out);
}

#define ONNXI_SCAN(T) template void scan<T>(ScanOp, const T*, int64_t, int64_t, int64_t, bool, bool, T*);
ONNXI_SCAN(float)
ONNXI_SCAN(double)
ONNXI_SCAN(int32_t)
ONNXI_SCAN(uint32_t)
ONNXI_SCAN(int64_t)
ONNXI_SCAN(uint64_t)
#undef ONNXI_SCAN

void scan_f16(ScanOp op, const uint16_t* in, int64_t outer, int64_t n, int64_t inner, bool exclusive,
              bool reverse, uint16_t* out) {
  scan_half<f16_to_f32, f32_to_f16>(op, in, outer, n, inner, exclusive, reverse, out);
}

void scan_bf16(ScanOp op, const uint16_t* in, int64_t outer, int64_t n, int64_t inner, bool exclusive,
               bool reverse, uint16_t* out) {
  scan_half<bf16_to_f32, f32_to_bf16>(op, in, outer, n, inner, exclusive, reverse, out);
}

}  // namespace onnxi::kernels
