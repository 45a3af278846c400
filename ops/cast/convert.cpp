// Cast's numeric conversion engine. Elements flow through a small staging buffer in blocks:
//   integer-like source (ints, bool, packed ints) -> int64 bits -> integer targets keep low bits,
//                                                 -> float targets round once from the integer;
//   float-like source (float32/64, narrow floats) -> double (exact) -> convert_from_f64.
// Hot pairs (float <-> float16/bfloat16/double) skip the staging.
#include "ops/cast/convert.h"

#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernels/cpu/parallel.h"
#include "onnxi/error.h"
#include "onnxi/float_types.h"

namespace onnxi::ops {
namespace {

// Block size in elements: a multiple of 4 so blocks of packed types start on a byte boundary.
constexpr int64_t kBlock = 1024;
// Blocks per parallel task: conversion is memory-bound, so only large tensors use threads.
constexpr int64_t kBlocksPerTask = 64;

bool integer_like(DataType t) noexcept { return t == DataType::Bool || is_integer(t); }

// Elements [0, n) of `data` starting at element `first` (packed types address bits).
const void* offset(const void* data, DataType t, int64_t first) {
  return static_cast<const uint8_t*>(data) + first * element_bits(t) / 8;
}
void* offset(void* data, DataType t, int64_t first) {
  return static_cast<uint8_t*>(data) + first * element_bits(t) / 8;
}

// Calls fn(T{}) with T the C++ type of a byte-aligned integer-like dtype.
template <class Fn>
void visit_integer(DataType t, Fn&& fn) {
  switch (t) {
    case DataType::Bool: return fn(bool{});
    case DataType::Int8: return fn(int8_t{});
    case DataType::Int16: return fn(int16_t{});
    case DataType::Int32: return fn(int32_t{});
    case DataType::Int64: return fn(int64_t{});
    case DataType::UInt8: return fn(uint8_t{});
    case DataType::UInt16: return fn(uint16_t{});
    case DataType::UInt32: return fn(uint32_t{});
    case DataType::UInt64: return fn(uint64_t{});
    default: fail(ErrorCode::NotImplemented, cat("Cast: no integer path for ", dtype_name(t)));
  }
}

// Integer-like source -> two's complement bits widened to 64 (uint64 keeps its bits).
void load_integers(DataType from, const void* src, int64_t* bits, int64_t n) {
  if (is_packed(from)) {
    const auto* bytes = static_cast<const uint8_t*>(src);
    const int width = element_bits(from);
    const bool is_signed = is_signed_integer(from);
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t field = packed_get(bytes, i, width);
      bits[i] = is_signed ? sign_extend(field, width) : field;
    }
    return;
  }
  visit_integer(from, [&](auto tag) {
    using T = decltype(tag);
    const T* s = static_cast<const T*>(src);
    for (int64_t i = 0; i < n; ++i) bits[i] = static_cast<int64_t>(s[i]);
  });
}

// Integer bits -> integer-like target: the low bits survive ("discard higher bits").
void store_integers(const int64_t* bits, DataType to, void* dst, int64_t n) {
  if (is_packed(to)) {
    auto* bytes = static_cast<uint8_t*>(dst);
    const int width = element_bits(to);
    for (int64_t i = 0; i < n; ++i) packed_set(bytes, i, width, static_cast<uint8_t>(bits[i]));
    return;
  }
  visit_integer(to, [&](auto tag) {
    using T = decltype(tag);
    T* d = static_cast<T*>(dst);
    if constexpr (std::is_same_v<T, bool>) {
      for (int64_t i = 0; i < n; ++i) d[i] = bits[i] != 0;
    } else {
      for (int64_t i = 0; i < n; ++i) d[i] = static_cast<T>(bits[i]);
    }
  });
}

// Integer bits -> a float type, rounding once: int64 -> float32 directly, never via double.
template <class F>
void integers_to_float(const int64_t* bits, bool from_uint64, F* out, int64_t n) {
  if (from_uint64) {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<F>(static_cast<uint64_t>(bits[i]));
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<F>(bits[i]);
  }
}

void store_from_f64(const double* values, DataType to, void* dst, int64_t n, const CastOptions& options) {
  if (to == DataType::Float8E8M0 && options.e8m0_rounding != E8M0Rounding::Up) {
    auto* d = static_cast<uint8_t*>(dst);
    for (int64_t i = 0; i < n; ++i) {
      d[i] = f32_to_f8e8m0_rounded(static_cast<float>(values[i]), options.saturate, options.e8m0_rounding);
    }
    return;
  }
  convert_from_f64(to, values, dst, n, options.saturate);
}

// One block of at most kBlock elements through the staging buffers.
void convert_block(DataType from, const void* src, DataType to, void* dst, int64_t n,
                   const CastOptions& options) {
  double staged[kBlock];
  if (integer_like(from)) {
    int64_t bits[kBlock];
    load_integers(from, src, bits, n);
    if (integer_like(to)) return store_integers(bits, to, dst, n);
    const bool from_uint64 = from == DataType::UInt64;
    if (to == DataType::Double) return integers_to_float(bits, from_uint64, static_cast<double*>(dst), n);
    float rounded[kBlock];
    integers_to_float(bits, from_uint64, rounded, n);
    if (to == DataType::Float) {
      std::memcpy(dst, rounded, static_cast<size_t>(n) * sizeof(float));
      return;
    }
    for (int64_t i = 0; i < n; ++i) staged[i] = rounded[i];
    return store_from_f64(staged, to, dst, n, options);
  }
  convert_to_f64(from, src, staged, n);
  store_from_f64(staged, to, dst, n, options);
}

// The pairs models cast whole activations through, one pass without staging.
bool convert_fast(DataType from, const void* src, DataType to, void* dst, int64_t n) {
  if (from == DataType::Float && to == DataType::Float16) {
    const auto* s = static_cast<const float*>(src);
    auto* d = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = f32_to_f16(s[i]);
    return true;
  }
  if (from == DataType::Float16 && to == DataType::Float) {
    const auto* s = static_cast<const uint16_t*>(src);
    auto* d = static_cast<float*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = f16_to_f32(s[i]);
    return true;
  }
  if (from == DataType::Float && to == DataType::BFloat16) {
    const auto* s = static_cast<const float*>(src);
    auto* d = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(s[i]);
    return true;
  }
  if (from == DataType::BFloat16 && to == DataType::Float) {
    const auto* s = static_cast<const uint16_t*>(src);
    auto* d = static_cast<float*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = bf16_to_f32(s[i]);
    return true;
  }
  if (from == DataType::Float && to == DataType::Double) {
    const auto* s = static_cast<const float*>(src);
    auto* d = static_cast<double*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = s[i];
    return true;
  }
  if (from == DataType::Double && to == DataType::Float) {
    const auto* s = static_cast<const double*>(src);
    auto* d = static_cast<float*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = static_cast<float>(s[i]);
    return true;
  }
  return false;
}

void convert_range(DataType from, const void* src, DataType to, void* dst, int64_t first, int64_t last,
                   const CastOptions& options) {
  const void* s = offset(src, from, first);
  void* d = offset(dst, to, first);
  if (convert_fast(from, s, to, d, last - first)) return;
  for (int64_t begin = first; begin < last; begin += kBlock) {
    const int64_t n = std::min(kBlock, last - begin);
    convert_block(from, offset(src, from, begin), to, offset(dst, to, begin), n, options);
  }
}

}  // namespace

bool cast_supports(DataType t) noexcept {
  switch (t) {
    case DataType::Undefined:
    case DataType::Complex64:
    case DataType::Complex128:
    case DataType::Float6E2M3:
    case DataType::Float6E3M2:
      return false;
    default:
      return is_valid_dtype(static_cast<int32_t>(t));
  }
}

void convert_elements(DataType from, const void* src, DataType to, void* dst, int64_t n,
                      const CastOptions& options) {
  if (n <= 0) return;
  if (from == to) {
    std::memcpy(dst, src, storage_bytes(from, n));
    return;
  }
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  kernels::parallel_for(0, blocks, kBlocksPerTask, [&](int64_t b0, int64_t b1) {
    convert_range(from, src, to, dst, b0 * kBlock, std::min(n, b1 * kBlock), options);
  });
}

uint8_t f32_to_f8e8m0_rounded(float v, bool saturate, E8M0Rounding mode) noexcept {
  if (mode == E8M0Rounding::Up) return f32_to_f8e8m0(v, saturate);
  if (std::isnan(v)) return 0xff;
  const double a = std::fabs(static_cast<double>(v));
  if (std::isinf(a)) return saturate ? 0xfe : 0xff;
  if (a == 0) return saturate ? 0x00 : 0xff;
  int e = std::ilogb(a);
  // "nearest" rounds on the linear scale with ties up: 2^e + 2^e / 2 is the midpoint.
  if (mode == E8M0Rounding::Nearest && a >= std::ldexp(1.5, e)) ++e;
  const int biased = e + 127;
  if (biased > 254) return saturate ? 0xfe : 0xff;
  if (biased < 0) return saturate ? 0x00 : 0xff;
  return static_cast<uint8_t>(biased);
}

}  // namespace onnxi::ops
