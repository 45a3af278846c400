// GlobalAveragePool, GlobalMaxPool, GlobalLpPool (one value per [n, c] plane, spatial dims kept
// as 1) and MaxUnpool (scatters pooled values back to the positions MaxPool's Indices recorded).
#include <memory>

#include "kernels/cpu/pool.h"
#include "ops/common.h"
#include "ops/nn/nn.h"
#include "ops/nn/spatial.h"

namespace onnxi::ops::nn {
namespace {

enum class GlobalKind { Average, Max, Lp };

void infer_global(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& tx = ctx.input(0);
  if (!tx.is_tensor() || !tx.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  if (tx.dims.size() < 2) ctx.fail(cat("input X must be [N, C, spatial...], got ", tx.str()));
  std::vector<Dim> out(tx.dims.size(), Dim::known(1));
  out[0] = tx.dims[0];
  out[1] = tx.dims[1];
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

OpDef::CreateFn create_global(GlobalKind kind) {
  return [kind](const KernelInit& init) -> std::unique_ptr<Kernel> {
    double p = 2.0;
    if (const Attribute* a = init.node.find_attr("p")) {
      p = a->type == Attribute::Type::Float ? static_cast<double>(a->f) : static_cast<double>(a->i);
      if (p <= 0) init.fail(cat("p must be positive, got ", p));
    }
    return make_kernel([kind, p](KernelContext& ctx) {
      const Tensor& X = float_input(ctx, 0);
      if (X.rank() < 2) ctx.fail(cat("input X must be [N, C, spatial...], got ", X.describe()));
      const int64_t planes = X.dim(0) * X.dim(1);
      const int64_t size = planes ? X.numel() / planes : 0;
      Shape out_shape(X.shape().size(), 1);
      out_shape[0] = X.dim(0);
      out_shape[1] = X.dim(1);
      const Tensor x = widen(X);
      Tensor y(compute_type(X.dtype()), out_shape);
      with_compute_type(y.dtype(), [&](auto tag) {
        using T = decltype(tag);
        switch (kind) {
          case GlobalKind::Average:
            kernels::global_average_pool(x.data<T>(), y.data<T>(), planes, size);
            break;
          case GlobalKind::Max:
            kernels::global_max_pool(x.data<T>(), y.data<T>(), planes, size);
            break;
          case GlobalKind::Lp:
            kernels::global_lp_pool(x.data<T>(), y.data<T>(), planes, size, p);
            break;
        }
      });
      ctx.set_output(0, narrow(y, X.dtype()));
    });
  };
}

// ---- MaxUnpool ---------------------------------------------------------------------------------

// Default output dims: the input dims MaxPool would have pooled from.
std::vector<int64_t> unpool_dims(const WindowAttrs& a, const std::vector<int64_t>& in) {
  const size_t n = in.size();
  std::vector<int64_t> out(n);
  for (size_t d = 0; d < n; ++d) {
    const int64_t s = a.strides.empty() ? 1 : a.strides[d];
    const int64_t pads = a.pads.empty() ? 0 : a.pads[d] + a.pads[d + n];
    out[d] = (in[d] - 1) * s + a.kernel_shape[d] - pads;
  }
  return out;
}

bool unpool_attrs_fit(const WindowAttrs& a, size_t n) {
  return a.kernel_shape.size() == n && (a.strides.empty() || a.strides.size() == n) &&
         (a.pads.empty() || a.pads.size() == 2 * n);
}

void infer_max_unpool(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& tx = ctx.input(0);
  if (!tx.is_tensor() || !tx.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  const size_t n = tx.dims.size() >= 2 ? tx.dims.size() - 2 : 0;
  std::vector<Dim> out(tx.dims.size());
  if (ctx.has_input(2)) {
    // The output_shape input decides; its value is known only for constants.
    if (const Tensor* shape = ctx.constant(2)) {
      const auto v = shape->to_int64_vector();
      if (v.size() == out.size()) {
        for (size_t i = 0; i < v.size(); ++i) out[i] = Dim::known(v[i]);
      }
    }
    ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
    return;
  }
  if (tx.dims.size() < 3) ctx.fail(cat("input X must be [N, C, spatial...] (rank >= 3), got ", tx.str()));
  const WindowAttrs a = WindowAttrs::read(ctx.node);
  if (!unpool_attrs_fit(a, n)) ctx.fail(cat("kernel_shape, strides and pads must cover the ", n, " spatial axes"));
  out[0] = tx.dims[0];
  out[1] = tx.dims[1];
  // Unknown input dims stand in as 1; their output dims are reported unknown.
  std::vector<int64_t> in(n, 1);
  for (size_t d = 0; d < n; ++d) {
    if (tx.dims[d + 2].is_known()) in[d] = tx.dims[d + 2].value;
  }
  const auto dims = unpool_dims(a, in);
  for (size_t d = 0; d < n; ++d) out[d + 2] = tx.dims[d + 2].is_known() ? Dim::known(dims[d]) : Dim{};
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

std::unique_ptr<Kernel> create_max_unpool(const KernelInit& init) {
  WindowAttrs a = WindowAttrs::read(init.node);
  if (a.kernel_shape.empty()) init.fail("attribute kernel_shape is required");
  return make_kernel([a](KernelContext& ctx) {
    const Tensor& X = float_input(ctx, 0);
    const Tensor& I = ctx.input(1);
    if (I.dtype() != DataType::Int64) ctx.fail(cat("input I must be int64, got ", I.describe()));
    if (I.shape() != X.shape()) ctx.fail(cat("input I ", I.describe(), " must have X's shape ", X.describe()));
    if (X.rank() < 3) ctx.fail(cat("input X must be [N, C, spatial...] (rank >= 3), got ", X.describe()));
    const size_t n = static_cast<size_t>(X.rank() - 2);
    if (!unpool_attrs_fit(a, n)) ctx.fail(cat("kernel_shape, strides and pads must cover the ", n, " spatial axes"));
    // Indices address the shape MaxPool pooled from; an output_shape input only pads that shape at
    // the end of each axis (the reference implementation's reading, which the node tests follow).
    Shape pooled_shape{X.dim(0), X.dim(1)};
    const auto dims = unpool_dims(a, spatial_dims(X.shape()));
    pooled_shape.insert(pooled_shape.end(), dims.begin(), dims.end());
    Shape out_shape = pooled_shape;
    if (ctx.has_input(2)) {
      out_shape = int_input(ctx, 2);
      if (out_shape.size() != X.shape().size()) {
        ctx.fail(cat("output_shape ", shape_str(out_shape), " must have X's rank ", X.rank()));
      }
      for (size_t d = 0; d < out_shape.size(); ++d) {
        if (out_shape[d] < pooled_shape[d]) {
          ctx.fail(cat("output_shape ", shape_str(out_shape), " is smaller than the unpooled shape ",
                       shape_str(pooled_shape), " along axis ", d));
        }
      }
    }
    const int64_t pooled_numel = shape_numel(pooled_shape, "MaxUnpool output");
    const Tensor x = widen(X);
    Tensor y(compute_type(X.dtype()), out_shape);
    const int64_t* idx = I.data<int64_t>();
    with_compute_type(y.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* xp = x.data<T>();
      T* yp = y.data<T>();
      for (int64_t i = 0; i < X.numel(); ++i) {
        if (idx[i] < 0 || idx[i] >= pooled_numel) {
          ctx.fail(cat("index ", idx[i], " at position ", i, " of I is outside the unpooled shape ",
                       shape_str(pooled_shape)));
        }
        // Re-address the pooled-shape index in the (possibly larger) output.
        int64_t rem = idx[i], at = 0, step = 1;
        for (int64_t d = static_cast<int64_t>(pooled_shape.size()) - 1; d >= 0; --d) {
          at += (rem % pooled_shape[d]) * step;
          rem /= pooled_shape[d];
          step *= out_shape[d];
        }
        yp[at] = xp[i];
      }
    });
    ctx.set_output(0, narrow(y, X.dtype()));
  });
}

}  // namespace

void register_global_pool(Registry& r) {
  const char* old_types = "float, double, float16";
  r.add(make_def("GlobalAveragePool", 1, 21, infer_global, create_global(GlobalKind::Average), old_types));
  r.add(make_def("GlobalAveragePool", 22, kLatestOpset, infer_global, create_global(GlobalKind::Average)));
  r.add(make_def("GlobalMaxPool", 1, 21, infer_global, create_global(GlobalKind::Max), old_types));
  r.add(make_def("GlobalMaxPool", 22, kLatestOpset, infer_global, create_global(GlobalKind::Max)));
  r.add(make_def("GlobalLpPool", 1, 21, infer_global, create_global(GlobalKind::Lp), old_types));
  r.add(make_def("GlobalLpPool", 22, kLatestOpset, infer_global, create_global(GlobalKind::Lp)));
  r.add(make_def("MaxUnpool", 9, 21, infer_max_unpool, create_max_unpool, old_types));
  r.add(make_def("MaxUnpool", 22, kLatestOpset, infer_max_unpool, create_max_unpool));
}

}  // namespace onnxi::ops::nn
