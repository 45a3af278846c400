// com.onnxi FusedMatMul: what the graph passes make of MatMul with a Transpose folded into an
// operand, a bias Add and an activation after it (runtime/passes/fuse_matmul_bias.cpp,
// fold_transpose_matmul.cpp):
//   Y = activation(op(A) @ op(B) + bias)
// with MatMul's numpy semantics (batch dims broadcast, a 1-D A is a row and a 1-D B a column),
// op(X) swapping X's last two axes when transA / transB is 1 (such an operand must be at least
// 2-D). bias (optional) holds N values, shaped [N] or [1, ..., 1, N] with no more axes than Y.
// activation: "" (none), "Relu", "Gelu" (erf form), "GeluTanh". The bias and activation run in
// the GEMM epilogue on each tile while it is in cache; a constant 2-D B is packed at creation.
// Element types: float32; without bias and activation also MatMul's others (a transposed operand
// is then copied first), since fold_transpose_matmul cannot see types.
#include <algorithm>
#include <functional>
#include <memory>
#include <string>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/transpose.h"
#include "ops/common.h"
#include "ops/nn/matmul.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

struct FusedAttrs {
  bool trans_a = false, trans_b = false;
  kernels::SgemmActivation activation = kernels::SgemmActivation::None;
  bool relu = false;

  static FusedAttrs read(const Node& node, const std::function<void(const std::string&)>& fail) {
    FusedAttrs a;
    a.trans_a = node.attr_int("transA", 0) != 0;
    a.trans_b = node.attr_int("transB", 0) != 0;
    const std::string act = node.attr_string("activation", "");
    if (act == "Relu") {
      a.relu = true;
    } else if (act == "Gelu") {
      a.activation = kernels::SgemmActivation::GeluErf;
    } else if (act == "GeluTanh") {
      a.activation = kernels::SgemmActivation::GeluTanh;
    } else if (!act.empty()) {
      fail(cat("FusedMatMul activation '", act, "' is not one of Relu, Gelu, GeluTanh (or empty for none)"));
    }
    return a;
  }
};

void infer_fused_matmul(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const bool epilogue = ctx.node.num_present_inputs() > 2 || !ctx.node.attr_string("activation", "").empty();
  if (elem != DataType::Float && epilogue) {
    ctx.fail(cat("FusedMatMul with a bias or activation takes float tensors, input A is ", dtype_name(elem)));
  }
  infer_matmul_output(ctx, elem, ctx.node.attr_int("transA", 0) != 0, ctx.node.attr_int("transB", 0) != 0);
}

class FusedMatMulKernel final : public Kernel {
 public:
  FusedMatMulKernel(const KernelInit& init)
      : a_(FusedAttrs::read(init.node, [&](const std::string& m) { init.fail(m); })) {
    const Tensor* b = init.constant(1);
    if (b != nullptr && b->dtype() == DataType::Float && b->rank() == 2 && b->numel() > 0) {
      const int64_t K = b->dim(a_.trans_b ? 1 : 0), N = b->dim(a_.trans_b ? 0 : 1);
      packed_b_ = std::make_shared<const kernels::PackedSgemmB>(
          kernels::pack_sgemm_b(a_.trans_b, K, N, b->data<float>(), b->dim(1)));
      // With A's rows as they are, a 2-D B is always shared by the whole stack, so compute takes
      // the packed path and reads B's shape only: the session may free B.
      if (!a_.trans_a) init.consumed(1);
    }
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& A = ctx.input(0);
    if (A.dtype() != DataType::Float) return compute_other_type(ctx);
    const Tensor& B = input_of_type(ctx, 1, DataType::Float);
    const MatMulPlan p = plan_matmul(ctx, A.shape(), B.shape(), a_.trans_a, a_.trans_b);
    kernels::SgemmEpilogue e;
    if (a_.relu) e.lo = 0.f;
    e.activation = a_.activation;
    if (ctx.has_input(2)) e.col_bias = bias_of(ctx, p).data<float>();
    Tensor& y = ctx.allocate_output_uninitialized(0, DataType::Float, p.out_shape);
    const float* a = A.data<float>();
    const float* b = B.data<float>();
    float* out = y.data<float>();
    const int64_t a_mat = p.M * p.K, b_mat = p.K * p.N, y_mat = p.M * p.N;
    const bool packed = packed_b_ && packed_b_->K == p.K && packed_b_->N == p.N && B.rank() == 2;
    // Every batch entry of A has its own matrix (no broadcast along A): with rows not transposed
    // and one shared B, the whole stack is one taller product.
    if (matmul_is_one_product(p, A.shape(), a_.trans_a)) {
      const int64_t rows = p.M * shape_numel(p.batch);
      if (packed) {
        kernels::sgemm_packed(false, rows, 1.f, a, p.lda, *packed_b_, 0.f, out, p.N, &e);
      } else {
        kernels::sgemm(false, a_.trans_b, rows, p.N, p.K, 1.f, a, p.lda, b, p.ldb, 0.f, out, p.N, &e);
      }
      return;
    }
    const int64_t count = shape_numel(p.batch);
    std::vector<const float*> as, bs;
    std::vector<float*> ys;
    for_each_batch(p, [&](int64_t i, int64_t ia, int64_t ib) {
      as.push_back(a + ia * a_mat);
      bs.push_back(b + ib * b_mat);
      ys.push_back(out + i * y_mat);
    });
    if (packed) {
      kernels::sgemm_packed_batch(count, a_.trans_a, p.M, 1.f, as.data(), p.lda, *packed_b_, 0.f, ys.data(), p.N, &e);
    } else {
      kernels::sgemm_batch(count, a_.trans_a, a_.trans_b, p.M, p.N, p.K, 1.f, as.data(), p.lda, bs.data(), p.ldb, 0.f,
                           ys.data(), p.N, &e);
    }
  }

 private:
  // Types other than float32 (what fold_transpose_matmul may meet without knowing the type): the
  // transposed operands are materialized and MatMul computes the product.
  void compute_other_type(KernelContext& ctx) const {
    const Tensor& A = ctx.input(0);
    if (ctx.has_input(2) || a_.relu || a_.activation != kernels::SgemmActivation::None) {
      ctx.fail(cat("input A is ", A.describe(), "; FusedMatMul with a bias or activation takes float"));
    }
    // A float32 constant B was packed (and possibly freed): A of another type cannot multiply it.
    if (packed_b_) ctx.fail(cat("input A is ", A.describe(), " but B is a float32 constant: A must be float32 too"));
    const Tensor& B = ctx.input(1);
    const Tensor a = a_.trans_a ? swap_last_two(ctx, A, "A") : A;
    const Tensor b = a_.trans_b ? swap_last_two(ctx, B, "B") : B;
    ctx.set_output(0, matmul_tensors(ctx, a, b));
  }

  static Tensor swap_last_two(const KernelContext& ctx, const Tensor& t, const char* name) {
    if (t.rank() < 2) ctx.fail(cat("input ", name, " ", t.describe(), " is transposed, so it must have rank >= 2"));
    std::vector<int64_t> perm(static_cast<size_t>(t.rank()));
    for (size_t d = 0; d < perm.size(); ++d) perm[d] = static_cast<int64_t>(d);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    Shape shape = t.shape();
    std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
    Tensor out(t.dtype(), shape);
    if (t.numel() > 0) kernels::transpose(t.raw(), out.raw(), storage_bytes(t.dtype(), 1), t.shape(), perm);
    return out;
  }

  // The bias, checked: N float values along the last axis, adding no axes to the output.
  static const Tensor& bias_of(const KernelContext& ctx, const MatMulPlan& p) {
    const Tensor& bias = input_of_type(ctx, 2, DataType::Float);
    const Shape& s = bias.shape();
    bool ok = bias.numel() == p.N && s.size() <= std::max<size_t>(1, p.out_shape.size()) && !s.empty() &&
              s.back() == p.N;
    for (size_t d = 0; ok && d + 1 < s.size(); ++d) ok = s[d] == 1;
    if (!ok) {
      ctx.fail(cat("bias ", bias.describe(), " must hold N = ", p.N, " values along the last axis ([N] or [1, ..., N]) "
                   "of the output ", shape_str(p.out_shape)));
    }
    return bias;
  }

  FusedAttrs a_;
  std::shared_ptr<const kernels::PackedSgemmB> packed_b_;
};

}  // namespace

void register_fused_matmul(Registry& r) {
  OpDef d = make_def(
      "FusedMatMul", 1, kLatestOpset, infer_fused_matmul,
      [](const KernelInit& init) -> std::unique_ptr<Kernel> { return std::make_unique<FusedMatMulKernel>(init); },
      "float (bias and activation); any MatMul type without them");
  d.domain = kOnnxiDomain;
  r.add(d);
}

}  // namespace onnxi::ops::nn
