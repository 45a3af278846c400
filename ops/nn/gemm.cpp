// Gemm: Y = alpha * op(A) * op(B) + beta * C, with C broadcast to [M, N] (opset 1-6: under the
// `broadcast` attribute; 7+: always unidirectional; 11+: C optional).
#include <memory>

#include "kernels/cpu/gemm.h"
#include "onnxi/float_types.h"
#include "ops/common.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

struct GemmAttrs {
  bool trans_a = false;
  bool trans_b = false;
  float alpha = 1.f;
  float beta = 1.f;
};

GemmAttrs read_attrs(const Node& node) {
  return GemmAttrs{node.attr_int("transA", 0) != 0, node.attr_int("transB", 0) != 0, node.attr_float("alpha", 1.f),
                   node.attr_float("beta", 1.f)};
}

bool is_int_gemm_type(DataType t) {
  return t == DataType::Int32 || t == DataType::Int64 || t == DataType::UInt32 || t == DataType::UInt64;
}

void infer_gemm(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const GemmAttrs a = read_attrs(ctx.node);
  const TypeInfo& ta = ctx.input(0);
  const TypeInfo& tb = ctx.input(1);
  Dim m, n;
  if (ta.is_tensor() && ta.has_shape) {
    if (ta.dims.size() != 2) ctx.fail(cat("input A must be 2-D, got ", ta.str()));
    m = ta.dims[a.trans_a ? 1 : 0];
  }
  if (tb.is_tensor() && tb.has_shape) {
    if (tb.dims.size() != 2) ctx.fail(cat("input B must be 2-D, got ", tb.str()));
    n = tb.dims[a.trans_b ? 0 : 1];
  }
  if (ta.has_shape && tb.has_shape) {
    const Dim ka = ta.dims[a.trans_a ? 0 : 1], kb = tb.dims[a.trans_b ? 1 : 0];
    if (ka.is_known() && kb.is_known() && ka.value != kb.value) {
      ctx.fail(cat("inner dimensions differ: op(A) is ", ta.str(), (a.trans_a ? " transposed" : ""), ", op(B) is ",
                   tb.str(), (a.trans_b ? " transposed" : ""), "; K must match"));
    }
  }
  ctx.set_output(0, TypeInfo::tensor(elem, {m, n}));
}

class GemmKernel final : public Kernel {
 public:
  GemmKernel(GemmAttrs attrs, int64_t opset, const Tensor* constant_b) : a_(attrs), opset_(opset) {
    // Constant float weights are packed for the GEMM micro-kernel once, here, not on every run.
    if (constant_b != nullptr && constant_b->dtype() == DataType::Float && constant_b->rank() == 2) {
      const int64_t K = constant_b->dim(a_.trans_b ? 1 : 0), N = constant_b->dim(a_.trans_b ? 0 : 1);
      packed_b_ = std::make_shared<kernels::PackedSgemmB>(
          kernels::pack_sgemm_b(a_.trans_b, K, N, constant_b->data<float>(), constant_b->dim(1)));
    }
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& A = ctx.input(0);
    const DataType dtype = A.dtype();
    if (!is_nn_float(dtype) && !is_int_gemm_type(dtype)) {
      ctx.fail(cat("input A has element type ", dtype_name(dtype), "; Gemm takes ", kFloatTypes,
                   ", int32, int64, uint32, uint64"));
    }
    const Tensor& B = input_of_type(ctx, 1, dtype);
    if (A.rank() != 2 || B.rank() != 2) {
      ctx.fail(cat("A and B must be 2-D, got ", A.describe(), " and ", B.describe()));
    }
    const int64_t M = A.dim(a_.trans_a ? 1 : 0), K = A.dim(a_.trans_a ? 0 : 1);
    const int64_t N = B.dim(a_.trans_b ? 0 : 1), KB = B.dim(a_.trans_b ? 1 : 0);
    if (K != KB) {
      ctx.fail(cat("inner dimensions differ: A ", A.describe(), (a_.trans_a ? " (transposed)" : ""), " vs B ",
                   B.describe(), (a_.trans_b ? " (transposed)" : ""), "; K must match"));
    }
    const bool has_c = ctx.has_input(2) && a_.beta != 0.f;
    if (!ctx.has_input(2) && opset_ < 11) ctx.fail("input C is required before opset 11");
    const Shape out_shape{M, N};
    Tensor C;
    if (has_c) {
      C = input_of_type(ctx, 2, dtype);
      check_c_shape(ctx, C.shape(), out_shape);
    }
    if (is_int_gemm_type(dtype)) {
      ctx.set_output(0, integer_gemm(A, B, C, M, N, K));
      return;
    }
    if (dtype == DataType::Float) {
      Tensor& y = ctx.allocate_output_uninitialized(0, DataType::Float, out_shape);
      float_gemm(A, B, has_c ? &C : nullptr, M, N, K, y.data<float>());
      return;
    }
    const Tensor a = widen(A), b = widen(B), c = has_c ? widen(C) : Tensor();
    Tensor y = Tensor::uninitialized(compute_type(dtype), out_shape);
    with_compute_type(y.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* yp = y.data<T>();
      if (has_c) fill_broadcast_c(c.data<T>(), c.shape(), out_shape, static_cast<T>(a_.beta), yp);
      kernels::gemm(a_.trans_a, a_.trans_b, M, N, K, static_cast<T>(a_.alpha), a.data<T>(), A.dim(1), b.data<T>(),
                    B.dim(1), has_c ? T(1) : T(0), yp, N);
    });
    ctx.set_output(0, narrow(y, dtype));
  }

 private:
  // float32: beta * C rides on the GEMM epilogue when beta is 1 and C is a row of N biases or a
  // whole [M, N] (a linear layer's bias, a residual), instead of a pass that fills Y first.
  void float_gemm(const Tensor& A, const Tensor& B, const Tensor* C, int64_t M, int64_t N, int64_t K, float* y) const {
    kernels::SgemmEpilogue e;
    float beta = 0.f;
    if (C != nullptr) {
      const Shape& cs = C->shape();
      const bool row = C->numel() == N && !cs.empty() && cs.back() == N;
      const bool full = cs.size() == 2 && cs[0] == M && cs[1] == N;
      if (a_.beta == 1.f && row) {
        e.col_bias = C->data<float>();
      } else if (a_.beta == 1.f && full) {
        e.residual = C->data<float>();
        e.ldr = N;
      } else {
        fill_broadcast_c(C->data<float>(), cs, Shape{M, N}, a_.beta, y);
        beta = 1.f;
      }
    }
    if (packed_b_ && packed_b_->K == K && packed_b_->N == N) {
      kernels::sgemm_packed(a_.trans_a, M, a_.alpha, A.data<float>(), A.dim(1), *packed_b_, beta, y, N, &e);
    } else {
      kernels::sgemm(a_.trans_a, a_.trans_b, M, N, K, a_.alpha, A.data<float>(), A.dim(1), B.data<float>(), B.dim(1),
                     beta, y, N, &e);
    }
  }

  // C must broadcast unidirectionally to [M, N].
  static void check_c_shape(const KernelContext& ctx, const Shape& c, const Shape& out) {
    bool ok = c.size() <= 2;
    for (size_t k = 0; ok && k < c.size(); ++k) {
      const int64_t dc = c[c.size() - 1 - k], dout = out[1 - k];
      ok = dc == dout || dc == 1;
    }
    if (!ok) ctx.fail(cat("C ", shape_str(c), " does not broadcast to the output ", shape_str(out)));
  }

  template <class T>
  static void fill_broadcast_c(const T* c, const Shape& c_shape, const Shape& out, T beta, T* y) {
    const auto strides = broadcast_strides(c_shape, out);
    for (int64_t i = 0; i < out[0]; ++i) {
      for (int64_t j = 0; j < out[1]; ++j) y[i * out[1] + j] = beta * c[i * strides[0] + j * strides[1]];
    }
  }

  // Integer Gemm runs in float64, which is exact for products and sums below 2^53.
  Tensor integer_gemm(const Tensor& A, const Tensor& B, const Tensor& C, int64_t M, int64_t N, int64_t K) const {
    auto to_f64 = [](const Tensor& t) {
      Tensor out(DataType::Double, t.shape());
      convert_to_f64(t.dtype(), t.raw(), out.data<double>(), t.numel());
      return out;
    };
    const Tensor a = to_f64(A), b = to_f64(B);
    Tensor y(DataType::Double, {M, N});
    const bool has_c = C.defined();
    if (has_c) {
      const Tensor c = to_f64(C);
      fill_broadcast_c(c.data<double>(), c.shape(), y.shape(), static_cast<double>(a_.beta), y.data<double>());
    }
    kernels::dgemm(a_.trans_a, a_.trans_b, M, N, K, a_.alpha, a.data<double>(), A.dim(1), b.data<double>(), B.dim(1),
                   has_c ? 1.0 : 0.0, y.data<double>(), N);
    Tensor out(A.dtype(), {M, N});
    convert_from_f64(A.dtype(), y.data<double>(), out.raw(), y.numel());
    return out;
  }

  GemmAttrs a_;
  int64_t opset_;
  std::shared_ptr<const kernels::PackedSgemmB> packed_b_;
};

std::unique_ptr<Kernel> create_gemm(const KernelInit& init) {
  if (const Tensor* b = init.constant(1); b && b->dtype() == DataType::Float && b->rank() == 2) init.consumed(1);
  return std::make_unique<GemmKernel>(read_attrs(init.node), init.opset, init.constant(1));
}

}  // namespace

void register_gemm(Registry& r) {
  r.add(make_def("Gemm", 1, 8, infer_gemm, create_gemm, "float, double, float16"));
  r.add(make_def("Gemm", 9, 12, infer_gemm, create_gemm, "float, double, float16, int32, int64, uint32, uint64"));
  r.add(make_def("Gemm", 13, kLatestOpset, infer_gemm, create_gemm,
                 "float, double, float16, bfloat16, int32, int64, uint32, uint64"));
}

}  // namespace onnxi::ops::nn
