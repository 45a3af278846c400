// Backward (vector-Jacobian) rules for the ops Gradient differentiates, on float64 buffers. Each
// function adds into the input gradients (callers zero them first), so a value read by several
// nodes accumulates its gradient from all of them.
#pragma once

#include <cstdint>
#include <vector>

namespace onnxi::kernels {

enum class BinaryGrad { Add, Sub, Mul, Div };

// C = A op B with numpy broadcasting: out_shape is C's shape; a_strides / b_strides are A's and B's
// element strides seen from C's index (0 along broadcast axes), so a broadcast operand's gradient
// sums over the axes it was stretched along. da / db may be null (not needed).
void binary_backward(BinaryGrad op, const double* a, const double* b, const double* dc, double* da, double* db,
                     const std::vector<int64_t>& out_shape, const std::vector<int64_t>& a_strides,
                     const std::vector<int64_t>& b_strides);

enum class UnaryGrad { Identity, Neg, Relu, Sigmoid, Tanh, Exp, Log, Sqrt };

// y = f(x) elementwise over n values: dx += dy * f'(x), using y where f' is cheaper from it.
void unary_backward(UnaryGrad op, const double* x, const double* y, const double* dy, double* dx, int64_t n);

// C[m, n] = A[m, k] B[k, n]: da += dC B^T, db += A^T dC (either may be null).
void matmul_backward(const double* a, const double* b, const double* dc, double* da, double* db, int64_t m, int64_t k,
                     int64_t n);

}  // namespace onnxi::kernels
