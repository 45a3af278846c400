// MeanVarianceNormalization, LpNormalization and LRN.
#include <memory>

#include "kernels/cpu/norm.h"
#include "ops/common.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

std::unique_ptr<Kernel> create_mvn(const KernelInit& init) {
  const std::vector<int64_t> axes = init.node.attr_ints("axes", {0, 2, 3});
  return make_kernel([axes](KernelContext& ctx) {
    const Tensor& X = float_input(ctx, 0);
    std::vector<bool> reduced(X.shape().size(), false);
    for (int64_t a : normalize_axes(axes, X.rank(), ctx.node())) reduced[static_cast<size_t>(a)] = true;
    const Tensor x = widen(X);
    Tensor y(compute_type(X.dtype()), X.shape());
    with_compute_type(y.dtype(), [&](auto tag) {
      using T = decltype(tag);
      // The schema's function adds 1e-9 to the standard deviation.
      kernels::mean_variance_normalize<T>(x.data<T>(), y.data<T>(), X.shape(), reduced, 1e-9);
    });
    ctx.set_output(0, narrow(y, X.dtype()));
  });
}

std::unique_ptr<Kernel> create_lp_norm(const KernelInit& init) {
  const int64_t axis_attr = init.node.attr_int("axis", -1);
  const int64_t p = init.node.attr_int("p", 2);
  if (p != 1 && p != 2) init.fail(cat("p must be 1 or 2, got ", p));
  return make_kernel([axis_attr, p](KernelContext& ctx) {
    const Tensor& X = float_input(ctx, 0);
    if (X.rank() == 0) ctx.fail("input must have rank >= 1 to normalize along an axis");
    const int64_t axis = normalize_axis(axis_attr, X.rank(), ctx.node());
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < X.rank(); ++d) {
      if (d < axis) outer *= X.dim(d);
      if (d > axis) inner *= X.dim(d);
    }
    const Tensor x = widen(X);
    Tensor y(compute_type(X.dtype()), X.shape());
    with_compute_type(y.dtype(), [&](auto tag) {
      using T = decltype(tag);
      kernels::lp_normalize<T>(x.data<T>(), y.data<T>(), outer, X.dim(axis), inner, p);
    });
    ctx.set_output(0, narrow(y, X.dtype()));
  });
}

std::unique_ptr<Kernel> create_lrn(const KernelInit& init) {
  if (!init.node.has_attr("size")) init.fail("attribute size is required");
  const int64_t size = init.node.attr_int("size", 1);
  if (size < 1) init.fail(cat("size must be >= 1, got ", size));
  const double alpha = init.node.attr_float("alpha", 1e-4f);
  const double beta = init.node.attr_float("beta", 0.75f);
  const double bias = init.node.attr_float("bias", 1.0f);
  return make_kernel([size, alpha, beta, bias](KernelContext& ctx) {
    const Tensor& X = float_input(ctx, 0);
    if (X.rank() < 2) ctx.fail(cat("input X must be [N, C, ...] (rank >= 2), got ", X.describe()));
    const int64_t N = X.dim(0), C = X.dim(1);
    const int64_t S = N * C != 0 ? X.numel() / (N * C) : 0;
    const Tensor x = widen(X);
    Tensor y(compute_type(X.dtype()), X.shape());
    with_compute_type(y.dtype(), [&](auto tag) {
      using T = decltype(tag);
      kernels::lrn<T>(x.data<T>(), y.data<T>(), N, C, S, size, alpha, beta, bias);
    });
    ctx.set_output(0, narrow(y, X.dtype()));
  });
}

}  // namespace

void register_norms_misc(Registry& r) {
  const char* old_types = "float, double, float16";
  r.add(make_def("MeanVarianceNormalization", 9, 12, infer_identity, create_mvn, old_types));
  r.add(make_def("MeanVarianceNormalization", 13, kLatestOpset, infer_identity, create_mvn));
  r.add(make_def("LpNormalization", 1, 21, infer_identity, create_lp_norm, old_types));
  r.add(make_def("LpNormalization", 22, kLatestOpset, infer_identity, create_lp_norm));
  r.add(make_def("LRN", 1, 12, infer_identity, create_lrn, old_types));
  r.add(make_def("LRN", 13, kLatestOpset, infer_identity, create_lrn));
}

}  // namespace onnxi::ops::nn
