// Cumulative sums and products (ONNX CumSum / CumProd) along the middle axis of an
// (outer, n, inner) view of a dense row-major tensor.
#pragma once

#include <cstdint>

namespace onnxi::kernels {

enum class ScanOp { Sum, Prod };

// exclusive: element i gets the fold of the elements before it (0 / 1 for the first);
// reverse: the fold runs from the end of the axis. Integers wrap modulo 2^bits (int64 is exact
// until it wraps). Instantiated for float, double, int32_t, uint32_t, int64_t, uint64_t.
template <class T>
void scan(ScanOp op, const T* in, int64_t outer, int64_t n, int64_t inner, bool exclusive, bool reverse,
          T* out);
// float16 / bfloat16 bits, accumulated in float32 and rounded once per output.
void scan_f16(ScanOp op, const uint16_t* in, int64_t outer, int64_t n, int64_t inner, bool exclusive,
              bool reverse, uint16_t* out);
void scan_bf16(ScanOp op, const uint16_t* in, int64_t outer, int64_t n, int64_t inner, bool exclusive,
               bool reverse, uint16_t* out);

}  // namespace onnxi::kernels
