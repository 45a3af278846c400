#include "kernels/cpu/ml_autodiff.h"

#include <cmath>

namespace onnxi::kernels {

void binary_backward(BinaryGrad op, const double* a, const double* b, const double* dc, double* da, double* db,
                     const std::vector<int64_t>& out_shape, const std::vector<int64_t>& a_strides,
                     const std::vector<int64_t>& b_strides) {
  int64_t total = 1;
  for (int64_t d : out_shape) total *= d;
  if (total == 0) return;
  const size_t rank = out_shape.size();
  std::vector<int64_t> index(rank, 0);
  int64_t ai = 0, bi = 0;
  for (int64_t i = 0; i < total; ++i) {
    const double g = dc[i];
    switch (op) {
      case BinaryGrad::Add:
        if (da) da[ai] += g;
        if (db) db[bi] += g;
        break;
      case BinaryGrad::Sub:
        if (da) da[ai] += g;
        if (db) db[bi] -= g;
        break;
      case BinaryGrad::Mul:
        if (da) da[ai] += g * b[bi];
        if (db) db[bi] += g * a[ai];
        break;
      case BinaryGrad::Div:
        if (da) da[ai] += g / b[bi];
        if (db) db[bi] -= g * a[ai] / (b[bi] * b[bi]);
        break;
    }
    // Odometer over C's index, moving A's and B's offsets along.
    for (size_t d = rank; d-- > 0;) {
      ai += a_strides[d];
      bi += b_strides[d];
      if (++index[d] < out_shape[d]) break;
      ai -= a_strides[d] * out_shape[d];
      bi -= b_strides[d] * out_shape[d];
      index[d] = 0;
    }
  }
}

void unary_backward(UnaryGrad op, const double* x, const double* y, const double* dy, double* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double d = 0;
    switch (op) {
      case UnaryGrad::Identity: d = 1; break;
      case UnaryGrad::Neg: d = -1; break;
      case UnaryGrad::Relu: d = x[i] > 0 ? 1 : 0; break;
      case UnaryGrad::Sigmoid: d = y[i] * (1 - y[i]); break;
      case UnaryGrad::Tanh: d = 1 - y[i] * y[i]; break;
      case UnaryGrad::Exp: d = y[i]; break;
      case UnaryGrad::Log: d = 1 / x[i]; break;
      case UnaryGrad::Sqrt: d = 0.5 / y[i]; break;
    }
    dx[i] += dy[i] * d;
  }
}

void matmul_backward(const double* a, const double* b, const double* dc, double* da, double* db, int64_t m, int64_t k,
                     int64_t n) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const double g = dc[i * n + j];
      for (int64_t p = 0; p < k; ++p) {
        if (da) da[i * k + p] += g * b[p * n + j];
        if (db) db[p * n + j] += g * a[i * k + p];
      }
    }
  }
}

}  // namespace onnxi::kernels
