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
  const bool ta = ctx.node.attr_int("transA", 0) != 0, tb = ctx.node.attr_int("transB", 0) != 0;
  const TypeInfo& tia = ctx.input(0);
  const TypeInfo& tib = ctx.input(1);
  if (!tia.is_tensor() || !tib.is_tensor() || !tia.has_shape || !tib.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  std::vector<Dim> a = tia.dims, b = tib.dims;
  if ((ta && a.size() < 2) || (tb && b.size() < 2)) {
    ctx.fail(cat("a transposed operand must have rank >= 2: A is ", tia.str(), (ta ? " (transA)" : ""), ", B is ",
                 tib.str(), (tb ? " (transB)" : "")));
  }
  if (a.empty() || b.empty()) ctx.fail("FusedMatMul operands must have rank >= 1");
  if (ta) std::swap(a[a.size() - 1], a[a.size() - 2]);
  if (tb) std::swap(b[b.size() - 1], b[b.size() - 2]);
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), Dim::known(1));
  if (b_vec) b.push_back(Dim::known(1));
  const Dim ka = a.back(), kb = b[b.size() - 2];
  if (ka.is_known() && kb.is_known() && ka.value != kb.value) {
    ctx.fail(cat("inner dimensions differ: op(A) has K = ", ka.value, " and op(B) has K = ", kb.value, " (A ", tia.str(),
                 ", B ", tib.str(), ")"));
  }
  std::vector<Dim> out =
      broadcast_dims(std::vector<Dim>(a.begin(), a.end() - 2), std::vector<Dim>(b.begin(), b.end() - 2), ctx);
  if (!a_vec) out.push_back(a[a.size() - 2]);
  if (!b_vec) out.push_back(b.back());
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

// One product's matrices: op(A) is M x K, op(B) K x N, leading dimensions as stored.
struct Plan {
  int64_t M = 0, K = 0, N = 0, lda = 0, ldb = 0;
  Shape batch;
  std::vector<int64_t> a_step, b_step;  // per batch dim, in matrices (0 where broadcast)
  Shape out_shape;
};

Plan plan_product(const KernelContext& ctx, const Shape& a_in, const Shape& b_in, bool ta, bool tb) {
  if (a_in.empty() || b_in.empty() || (ta && a_in.size() < 2) || (tb && b_in.size() < 2)) {
    ctx.fail(cat("operands must have rank >= 1 (>= 2 when transposed), got A ", shape_str(a_in), (ta ? " (transA)" : ""),
                 " and B ", shape_str(b_in), (tb ? " (transB)" : "")));
  }
  Shape a = a_in, b = b_in;
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  Plan p;
  p.lda = a.back();
  p.ldb = b.back();
  if (ta) std::swap(a[a.size() - 1], a[a.size() - 2]);
  if (tb) std::swap(b[b.size() - 1], b[b.size() - 2]);
  p.M = a[a.size() - 2];
  p.K = a.back();
  p.N = b.back();
  if (b[b.size() - 2] != p.K) {
    ctx.fail(cat("inner dimensions differ: op(A) is ", p.M, " x ", p.K, " and op(B) is ", b[b.size() - 2], " x ", p.N,
                 " (A ", shape_str(a_in), ", B ", shape_str(b_in), ")"));
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
    const Plan p = plan_product(ctx, A.shape(), B.shape(), a_.trans_a, a_.trans_b);
    kernels::SgemmEpilogue e;
    if (a_.relu) e.lo = 0.f;
    e.activation = a_.activation;
    if (ctx.has_input(2)) e.col_bias = bias_of(ctx, p).data<float>();
    Tensor& y = ctx.allocate_output_uninitialized(0, DataType::Float, p.out_shape);
    const float* a = A.data<float>();
    const float* b = B.data<float>();
    float* out = y.data<float>();
    const int64_t a_mat = p.M * p.K, b_mat = p.K * p.N, y_mat = p.M * p.N;
    const bool shared_b = std::all_of(p.b_step.begin(), p.b_step.end(), [](int64_t s) { return s == 0; });
    // Every batch entry of A has its own matrix (no broadcast along A): with rows not transposed
    // and one shared B, the whole stack is one taller product.
    const bool a_dense = shape_numel(Shape(A.shape().begin(), A.shape().end() - std::min<size_t>(2, A.rank()))) ==
                         shape_numel(p.batch);
    const bool packed = packed_b_ && packed_b_->K == p.K && packed_b_->N == p.N && B.rank() == 2;
    if (!a_.trans_a && shared_b && a_dense) {
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
    std::vector<int64_t> pos(p.batch.size(), 0);
    for (int64_t i = 0; i < count; ++i) {
      int64_t ia = 0, ib = 0;
      for (size_t d = 0; d < pos.size(); ++d) {
        ia += pos[d] * p.a_step[d];
        ib += pos[d] * p.b_step[d];
      }
      as.push_back(a + ia * a_mat);
      bs.push_back(b + ib * b_mat);
      ys.push_back(out + i * y_mat);
      for (int64_t d = static_cast<int64_t>(pos.size()) - 1; d >= 0; --d) {
        if (++pos[d] < p.batch[d]) break;
        pos[d] = 0;
      }
    }
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
  static const Tensor& bias_of(const KernelContext& ctx, const Plan& p) {
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
