// Det: determinants of the trailing square matrices of [*, M, M], by LU decomposition with
// partial pivoting in double precision.
#include <cmath>
#include <memory>
#include <vector>

#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

double determinant(std::vector<double>& a, int64_t n) {
  double det = 1.0;
  for (int64_t col = 0; col < n; ++col) {
    int64_t pivot = col;
    for (int64_t r = col + 1; r < n; ++r) {
      if (std::fabs(a[r * n + col]) > std::fabs(a[pivot * n + col])) pivot = r;
    }
    if (a[pivot * n + col] == 0.0) return 0.0;
    if (pivot != col) {
      for (int64_t k = 0; k < n; ++k) std::swap(a[col * n + k], a[pivot * n + k]);
      det = -det;
    }
    const double p = a[col * n + col];
    det *= p;
    for (int64_t r = col + 1; r < n; ++r) {
      const double f = a[r * n + col] / p;
      if (f == 0.0) continue;
      for (int64_t k = col; k < n; ++k) a[r * n + k] -= f * a[col * n + k];
    }
  }
  return det;
}

void infer_det(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& t = ctx.input(0);
  if (!t.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  if (t.dims.size() < 2) ctx.fail(cat("input must be [*, M, M] (rank >= 2), got ", t.str()));
  const Dim& a = t.dims[t.dims.size() - 2];
  const Dim& b = t.dims.back();
  if (a.is_known() && b.is_known() && a.value != b.value) ctx.fail(cat("input ", t.str(), " is not square"));
  ctx.set_output(0, TypeInfo::tensor(elem, std::vector<Dim>(t.dims.begin(), t.dims.end() - 2)));
}

void compute_det(KernelContext& ctx) {
  const Tensor& X = float_input(ctx, 0);
  if (X.rank() < 2 || X.dim(X.rank() - 1) != X.dim(X.rank() - 2)) {
    ctx.fail(cat("input must be [*, M, M] with square trailing matrices, got ", X.describe()));
  }
  const int64_t n = X.dim(X.rank() - 1);
  const Shape out_shape(X.shape().begin(), X.shape().end() - 2);
  const Tensor x = convert_float(X, DataType::Double);
  Tensor y(DataType::Double, out_shape);
  std::vector<double> m(static_cast<size_t>(n * n));
  for (int64_t b = 0; b < y.numel(); ++b) {
    const double* src = x.data<double>() + b * n * n;
    m.assign(src, src + n * n);
    y.data<double>()[b] = determinant(m, n);
  }
  ctx.set_output(0, convert_float(y, X.dtype()));
}

}  // namespace

void register_det(Registry& r) {
  r.add(make_def(
      "Det", 11, 21, infer_det, [](const KernelInit&) { return make_kernel(compute_det); }, "float, double, float16"));
  r.add(make_def("Det", 22, kLatestOpset, infer_det, [](const KernelInit&) { return make_kernel(compute_det); }));
}

}  // namespace onnxi::ops::nn
