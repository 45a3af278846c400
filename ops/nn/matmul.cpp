// MatMul with numpy semantics (the shape rules, shared with FusedMatMul, are in matmul.h): N-d
// operands are stacks of matrices whose batch dims broadcast.
#include <algorithm>
#include <memory>
#include <type_traits>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "ops/common.h"
#include "ops/nn/matmul.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

bool is_int_matmul_type(DataType t) {
  return t == DataType::Int32 || t == DataType::Int64 || t == DataType::UInt32 || t == DataType::UInt64;
}

void infer_matmul(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (elem != DataType::Undefined) infer_matmul_output(ctx, elem);
}

template <class T>
void run_float(const MatMulPlan& p, const Shape& a_shape, const T* a, const T* b, T* y) {
  const int64_t a_mat = p.M * p.K, b_mat = p.K * p.N, y_mat = p.M * p.N;
  // A stack of A matrices against one shared B is a single taller product.
  if (shape_numel(p.batch) > 1 && matmul_is_one_product(p, a_shape, false)) {
    kernels::gemm(false, false, p.M * shape_numel(p.batch), p.N, p.K, T(1), a, p.K, b, p.N, T(0), y, p.N);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    // Stacks of small products (attention heads) run a product per task.
    std::vector<const float*> as, bs;
    std::vector<float*> ys;
    for_each_batch(p, [&](int64_t i, int64_t ia, int64_t ib) {
      as.push_back(a + ia * a_mat);
      bs.push_back(b + ib * b_mat);
      ys.push_back(y + i * y_mat);
    });
    kernels::sgemm_batch(static_cast<int64_t>(ys.size()), false, false, p.M, p.N, p.K, 1.f, as.data(), p.K, bs.data(),
                         p.N, 0.f, ys.data(), p.N);
    return;
  }
  for_each_batch(p, [&](int64_t i, int64_t ia, int64_t ib) {
    kernels::gemm(false, false, p.M, p.N, p.K, T(1), a + ia * a_mat, p.K, b + ib * b_mat, p.N, T(0), y + i * y_mat,
                  p.N);
  });
}

template <class T>
void run_int(const MatMulPlan& p, const T* a, const T* b, T* y) {
  const int64_t a_mat = p.M * p.K, b_mat = p.K * p.N, y_mat = p.M * p.N;
  for_each_batch(p, [&](int64_t i, int64_t ia, int64_t ib) {
    kernels::gemm_int(p.M, p.N, p.K, a + ia * a_mat, b + ib * b_mat, y + i * y_mat);
  });
}

void compute_matmul(KernelContext& ctx) { ctx.set_output(0, matmul_tensors(ctx, ctx.input(0), ctx.input(1))); }

// A constant 2-D float B (the weights of a linear layer) is packed for the GEMM micro-kernel once;
// every run is then one product over all of A's rows.
std::unique_ptr<Kernel> create_matmul(const KernelInit& init) {
  const Tensor* b = init.constant(1);
  if (b == nullptr || b->dtype() != DataType::Float || b->rank() != 2 || b->dim(0) == 0) {
    return make_kernel(compute_matmul);
  }
  auto packed = std::make_shared<const kernels::PackedSgemmB>(
      kernels::pack_sgemm_b(false, b->dim(0), b->dim(1), b->data<float>(), b->dim(1)));
  init.consumed(1);  // compute reads B's shape only; the session may free it
  return make_kernel([packed](KernelContext& ctx) {
    const Tensor& A = ctx.input(0);
    if (A.dtype() != DataType::Float || A.rank() < 1 || A.shape().back() != packed->K) return compute_matmul(ctx);
    Shape out = A.shape();
    out.back() = packed->N;
    Tensor& y = ctx.allocate_output_uninitialized(0, DataType::Float, out);
    kernels::sgemm_packed(false, A.numel() / packed->K, 1.f, A.data<float>(), packed->K, *packed, 0.f,
                          y.data<float>(), packed->N);
  });
}

}  // namespace

void infer_matmul_output(InferContext& ctx, DataType elem, bool trans_a, bool trans_b) {
  const TypeInfo& ta = ctx.input(0);
  const TypeInfo& tb = ctx.input(1);
  if (!ta.is_tensor() || !tb.is_tensor() || !ta.has_shape || !tb.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  std::vector<Dim> a = ta.dims, b = tb.dims;
  if (a.empty() || b.empty()) ctx.fail("matrix product operands must have rank >= 1 (scalars are not matrices)");
  if ((trans_a && a.size() < 2) || (trans_b && b.size() < 2)) {
    ctx.fail(cat("a transposed operand must have rank >= 2: A is ", ta.str(), (trans_a ? " (transA)" : ""),
                 ", B is ", tb.str(), (trans_b ? " (transB)" : "")));
  }
  if (trans_a) std::swap(a[a.size() - 1], a[a.size() - 2]);
  if (trans_b) std::swap(b[b.size() - 1], b[b.size() - 2]);
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), Dim::known(1));
  if (b_vec) b.push_back(Dim::known(1));
  const Dim ka = a.back(), kb = b[b.size() - 2];
  if (ka.is_known() && kb.is_known() && ka.value != kb.value) {
    ctx.fail(cat("inner dimensions differ: A is ", ta.str(), (trans_a ? " (transA)" : ""), " and B is ", tb.str(),
                 (trans_b ? " (transB)" : ""), "; op(A)'s last dim (", ka.value, ") must equal op(B)'s ",
                 b_vec ? "only" : "second-to-last", " dim (", kb.value, ")"));
  }
  std::vector<Dim> out =
      broadcast_dims(std::vector<Dim>(a.begin(), a.end() - 2), std::vector<Dim>(b.begin(), b.end() - 2), ctx);
  if (!a_vec) out.push_back(a[a.size() - 2]);
  if (!b_vec) out.push_back(b.back());
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

MatMulPlan plan_matmul(const KernelContext& ctx, const Shape& a_in, const Shape& b_in, bool trans_a, bool trans_b) {
  if (a_in.empty() || b_in.empty() || (trans_a && a_in.size() < 2) || (trans_b && b_in.size() < 2)) {
    ctx.fail(cat("operands must have rank >= 1 (>= 2 when transposed), got A ", shape_str(a_in),
                 (trans_a ? " (transA)" : ""), " and B ", shape_str(b_in), (trans_b ? " (transB)" : "")));
  }
  Shape a = a_in, b = b_in;
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  MatMulPlan p;
  p.lda = a.back();
  p.ldb = b.back();
  if (trans_a) std::swap(a[a.size() - 1], a[a.size() - 2]);
  if (trans_b) std::swap(b[b.size() - 1], b[b.size() - 2]);
  p.M = a[a.size() - 2];
  p.K = a.back();
  p.N = b.back();
  if (b[b.size() - 2] != p.K) {
    ctx.fail(cat("inner dimensions differ: A ", shape_str(a_in), (trans_a ? " (transA)" : ""), " and B ",
                 shape_str(b_in), (trans_b ? " (transB)" : ""), "; op(A)'s last dim (", p.K, ") must equal op(B)'s ",
                 b_in.size() == 1 ? "only" : "second-to-last", " dim (", b[b.size() - 2], ")"));
  }
  const Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  p.batch = broadcast_shapes(a_batch, b_batch, ctx.node());
  p.a_step = broadcast_strides(a_batch, p.batch);
  p.b_step = broadcast_strides(b_batch, p.batch);
  p.out_shape = p.batch;
  if (a_in.size() > 1) p.out_shape.push_back(p.M);
  if (b_in.size() > 1) p.out_shape.push_back(p.N);
  return p;
}

bool matmul_b_shared(const MatMulPlan& p) {
  return std::all_of(p.b_step.begin(), p.b_step.end(), [](int64_t s) { return s == 0; });
}

bool matmul_is_one_product(const MatMulPlan& p, const Shape& a_shape, bool trans_a) {
  if (trans_a || !matmul_b_shared(p)) return false;
  const Shape a_batch(a_shape.begin(), a_shape.end() - std::min<size_t>(2, a_shape.size()));
  return shape_numel(a_batch) == shape_numel(p.batch);
}

Tensor matmul_tensors(const KernelContext& ctx, const Tensor& A, const Tensor& B) {
  const DataType dtype = A.dtype();
  if (!is_nn_float(dtype) && !is_int_matmul_type(dtype)) {
    ctx.fail(cat("input A has element type ", dtype_name(dtype), "; MatMul takes ", kFloatTypes,
                 ", int32, int64, uint32, uint64"));
  }
  if (B.dtype() != dtype) ctx.fail(cat("input B is ", B.describe(), "; it must have A's element type ", dtype_name(dtype)));
  const MatMulPlan p = plan_matmul(ctx, A.shape(), B.shape());
  if (is_int_matmul_type(dtype)) {
    Tensor y(dtype, p.out_shape);
    switch (dtype) {
      case DataType::Int32: run_int(p, A.data<int32_t>(), B.data<int32_t>(), y.data<int32_t>()); break;
      case DataType::Int64: run_int(p, A.data<int64_t>(), B.data<int64_t>(), y.data<int64_t>()); break;
      case DataType::UInt32: run_int(p, A.data<uint32_t>(), B.data<uint32_t>(), y.data<uint32_t>()); break;
      default: run_int(p, A.data<uint64_t>(), B.data<uint64_t>(), y.data<uint64_t>()); break;
    }
    return y;
  }
  const Tensor a = widen(A), b = widen(B);
  Tensor y = Tensor::uninitialized(compute_type(dtype), p.out_shape);
  with_compute_type(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    run_float(p, A.shape(), a.data<T>(), b.data<T>(), y.data<T>());
  });
  return narrow(y, dtype);
}

void register_matmul(Registry& r) {
  r.add(make_def("MatMul", 1, 8, infer_matmul, create_matmul, "float, double, float16"));
  r.add(make_def("MatMul", 9, 12, infer_matmul, create_matmul, "float, double, float16, int32, int64, uint32, uint64"));
  r.add(make_def("MatMul", 13, kLatestOpset, infer_matmul, create_matmul,
                 "float, double, float16, bfloat16, int32, int64, uint32, uint64"));
}

}  // namespace onnxi::ops::nn
