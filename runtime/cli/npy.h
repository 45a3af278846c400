// NumPy .npy files: the format `onnxi run` reads inputs from and saves outputs to.
//
// Supported: format versions 1.0, 2.0 and 3.0 (3.0 only differs by a UTF-8 header), C order,
// little-endian, dtypes f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1. Everything else (Fortran order with
// rank >= 2, big-endian data, other dtypes, truncated files) is an onnxi::Error naming the file and
// saying what to do, never a crash.
#pragma once

#include <string>

#include "onnxi/tensor.h"

namespace onnxi::cli {

// Parses .npy bytes; `what` (a path, usually) names the data in error messages.
Tensor parse_npy(const void* data, size_t size, const std::string& what = "npy data");
Tensor read_npy(const std::string& path);

// Version 1.0 when the header fits its 16-bit length, else 2.0. Dtypes .npy cannot hold (bfloat16,
// float8, int4, string, complex) are a NotImplemented error.
std::string encode_npy(const Tensor& t);
void write_npy(const Tensor& t, const std::string& path);

// True when encode_npy() can store this dtype.
bool npy_supports(DataType dtype) noexcept;

}  // namespace onnxi::cli
