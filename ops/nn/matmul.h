// MatMul's numpy rules, written once for MatMul (matmul.cpp) and com.onnxi FusedMatMul
// (fused_matmul.cpp): N-d operands are stacks of matrices whose batch dims broadcast; a 1-D A is a
// row vector and a 1-D B a column vector, the added dim removed from the result. FusedMatMul's
// transA / transB swap an operand's last two axes first (such an operand must be at least 2-D).
#pragma once

#include <cstdint>
#include <vector>

#include "ops/common.h"

namespace onnxi::ops::nn {

// Sets output 0 to op(A) @ op(B) of element type `elem` (symbolic dims allowed; unranked when an
// operand's shape is unknown); fails on scalars and on inner dimensions known to differ.
void infer_matmul_output(InferContext& ctx, DataType elem, bool trans_a = false, bool trans_b = false);

// The matrices of one run: op(A) is M x K and op(B) K x N, with leading dimensions as stored; batch
// is the broadcast batch shape and a_step / b_step each operand's stride per batch dim, in matrices
// (0 where it broadcasts).
struct MatMulPlan {
  int64_t M = 0, K = 0, N = 0, lda = 0, ldb = 0;
  Shape batch;
  std::vector<int64_t> a_step, b_step;
  Shape out_shape;
};

MatMulPlan plan_matmul(const KernelContext& ctx, const Shape& a, const Shape& b, bool trans_a = false,
                       bool trans_b = false);

// Whether every batch entry multiplies the same B (a linear layer's weights).
bool matmul_b_shared(const MatMulPlan& p);
// Whether the whole stack of A (rows not transposed) against one shared B is a single product of
// M * batch rows: A has a matrix of its own for every batch entry.
bool matmul_is_one_product(const MatMulPlan& p, const Shape& a_shape, bool trans_a);

// Calls fn(batch_index, a_matrix, b_matrix) for every batch entry, in order.
template <class Fn>
void for_each_batch(const MatMulPlan& p, Fn&& fn) {
  const int64_t count = shape_numel(p.batch);
  std::vector<int64_t> pos(p.batch.size(), 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < pos.size(); ++d) {
      ia += pos[d] * p.a_step[d];
      ib += pos[d] * p.b_step[d];
    }
    fn(i, ia, ib);
    for (int64_t d = static_cast<int64_t>(pos.size()) - 1; d >= 0; --d) {
      if (++pos[d] < p.batch[d]) break;
      pos[d] = 0;
    }
  }
}

}  // namespace onnxi::ops::nn
