// InstanceNormalization, LayerNormalization, GroupNormalization and RMSNormalization: standardize
// groups of elements (kernels/cpu/norm.h), then scale and shift. Statistics are accumulated in
// double by the kernels, which covers every stash_type. Float32 with stash_type float and a
// per-column scale/bias (the common case) takes the fused float row kernels instead
// (try_fast_norm_f32, kernels/cpu/layer_norm.h).
#include <memory>

#include "kernels/cpu/norm.h"
#include "ops/common.h"
#include "ops/nn/fused_norm.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

// `t` broadcast (numpy, unidirectionally) to `target` and materialized; fails naming the input.
Tensor expand_to(const KernelContext& ctx, const Tensor& t, const Shape& target, const char* what) {
  if (t.shape() == target) return t;
  bool ok = t.rank() <= static_cast<int64_t>(target.size());
  for (size_t k = 0; ok && k < t.shape().size(); ++k) {
    const int64_t d = t.shape()[t.shape().size() - 1 - k];
    ok = d == 1 || d == target[target.size() - 1 - k];
  }
  if (!ok) ctx.fail(cat(what, " ", t.describe(), " does not broadcast to ", shape_str(target)));
  const auto strides = broadcast_strides(t.shape(), target);
  Tensor out(t.dtype(), target);
  with_compute_type(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = t.data<T>();
    T* dst = out.data<T>();
    std::vector<int64_t> pos(target.size(), 0);
    for (int64_t i = 0; i < out.numel(); ++i) {
      int64_t at = 0;
      for (size_t d = 0; d < pos.size(); ++d) at += pos[d] * strides[d];
      dst[i] = src[at];
      for (int64_t d = static_cast<int64_t>(pos.size()) - 1; d >= 0; --d) {
        if (++pos[d] < target[d]) break;
        pos[d] = 0;
      }
    }
  });
  return out;
}

// Applies y = y * scale + bias where scale/bias broadcast to y's shape [rows x cols]: when they
// only span the normalized (trailing) dims they are expanded to one row, otherwise to all of y.
void apply_row_affine(const KernelContext& ctx, Tensor& y, int64_t axis, const Tensor* scale, const Tensor* bias) {
  const Shape& shape = y.shape();
  const Shape row_shape(shape.begin() + axis, shape.end());
  const int64_t cols = shape_numel(row_shape);
  const int64_t rows = cols ? y.numel() / cols : 0;
  auto prepare = [&](const Tensor* t, const char* what, int64_t& stride) -> Tensor {
    if (!t) return Tensor();
    const Tensor c = convert_float(*t, y.dtype());
    const bool row_only = c.rank() <= static_cast<int64_t>(row_shape.size());
    stride = row_only ? 0 : cols;
    return expand_to(ctx, c, row_only ? row_shape : shape, what);
  };
  int64_t scale_stride = 0, bias_stride = 0;
  const Tensor s = prepare(scale, "Scale", scale_stride);
  const Tensor b = prepare(bias, "B", bias_stride);
  with_compute_type(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (!s.defined()) {
      Tensor ones(y.dtype(), {cols});
      for (int64_t i = 0; i < cols; ++i) ones.data<T>()[i] = T(1);
      kernels::affine_rows(y.data<T>(), rows, cols, ones.data<T>(), 0, b.defined() ? b.data<T>() : nullptr,
                           bias_stride);
      return;
    }
    kernels::affine_rows(y.data<T>(), rows, cols, s.data<T>(), scale_stride, b.defined() ? b.data<T>() : nullptr,
                         bias_stride);
  });
}

// ---- InstanceNormalization ---------------------------------------------------------------------

std::unique_ptr<Kernel> create_instance_norm(const KernelInit& init) {
  const double epsilon = init.node.attr_float("epsilon", 1e-5f);
  return make_kernel([epsilon](KernelContext& ctx) {
    const Tensor& X = float_input(ctx, 0);
    if (X.rank() < 2) ctx.fail(cat("input X must be [N, C, ...] (rank >= 2), got ", X.describe()));
    const int64_t N = X.dim(0), C = X.dim(1);
    const int64_t S = N * C != 0 ? X.numel() / (N * C) : 0;
    const DataType ct = compute_type(X.dtype());
    const Tensor scale = convert_float(float_input(ctx, 1), ct), bias = convert_float(float_input(ctx, 2), ct);
    if (scale.numel() != C || bias.numel() != C) {
      ctx.fail(cat("scale ", scale.describe(), " and B ", bias.describe(), " must have C = ", C, " elements"));
    }
    const Tensor x = widen(X);
    Tensor y(ct, X.shape());
    with_compute_type(ct, [&](auto tag) {
      using T = decltype(tag);
      kernels::standardize_rows<T>(x.data<T>(), y.data<T>(), N * C, S, epsilon, nullptr, nullptr);
      kernels::affine_channels(y.data<T>(), N, C, S, scale.data<T>(), bias.data<T>());
    });
    ctx.set_output(0, narrow(y, X.dtype()));
  });
}

// ---- LayerNormalization ------------------------------------------------------------------------

void infer_layer_norm(InferContext& ctx) {
  infer_same_as_input(ctx);
  const TypeInfo& tx = ctx.input(0);
  const DataType stash = static_cast<DataType>(ctx.node.attr_int("stash_type", 1));
  if (!tx.is_tensor()) return;
  for (size_t i = 1; i < 3; ++i) {
    if (!tx.has_shape) {
      ctx.set_output(i, TypeInfo::tensor_unranked(stash));
      continue;
    }
    const int64_t rank = static_cast<int64_t>(tx.dims.size());
    const int64_t axis = normalize_axis(ctx.node.attr_int("axis", -1), rank, ctx.node);
    std::vector<Dim> dims(tx.dims.begin(), tx.dims.begin() + axis);
    dims.resize(static_cast<size_t>(rank), Dim::known(1));
    ctx.set_output(i, TypeInfo::tensor(stash, std::move(dims)));
  }
}

std::unique_ptr<Kernel> create_layer_norm(const KernelInit& init) {
  const int64_t axis_attr = init.node.attr_int("axis", -1);
  const double epsilon = init.node.attr_float("epsilon", 1e-5f);
  const int64_t stash = init.node.attr_int("stash_type", 1);
  if (stash != 1 && stash != static_cast<int64_t>(DataType::BFloat16) &&
      stash != static_cast<int64_t>(DataType::Double) && stash != static_cast<int64_t>(DataType::Float16)) {
    init.fail(cat("stash_type ", stash, " is not a float type"));
  }
  return make_kernel([axis_attr, epsilon, stash](KernelContext& ctx) {
    const Tensor& X = float_input(ctx, 0);
    const int64_t axis = normalize_axis(axis_attr, X.rank(), ctx.node());
    if (stash == 1 && try_fast_norm_f32(ctx, X, axis, &float_input(ctx, 1),
                                        ctx.has_input(2) ? &float_input(ctx, 2) : nullptr,
                                        static_cast<float>(epsilon), false)) {
      return;
    }
    Shape stat_shape(X.shape().begin(), X.shape().begin() + axis);
    const int64_t rows = shape_numel(stat_shape);
    const int64_t cols = rows ? X.numel() / rows : 0;
    stat_shape.resize(X.shape().size(), 1);
    const DataType ct = compute_type(X.dtype());
    const Tensor x = widen(X);
    Tensor y(ct, X.shape()), mean(ct, stat_shape), inv_std(ct, stat_shape);
    with_compute_type(ct, [&](auto tag) {
      using T = decltype(tag);
      kernels::standardize_rows<T>(x.data<T>(), y.data<T>(), rows, cols, epsilon, mean.data<T>(), inv_std.data<T>());
    });
    const Tensor& scale = float_input(ctx, 1);
    apply_row_affine(ctx, y, axis, &scale, ctx.has_input(2) ? &float_input(ctx, 2) : nullptr);
    ctx.set_output(0, narrow(y, X.dtype()));
    const DataType stash_type = static_cast<DataType>(stash);
    if (ctx.num_outputs() > 1 && ctx.output_wanted(1)) ctx.set_output(1, convert_float(mean, stash_type));
    if (ctx.num_outputs() > 2 && ctx.output_wanted(2)) ctx.set_output(2, convert_float(inv_std, stash_type));
  });
}

// ---- GroupNormalization ------------------------------------------------------------------------

// Opset 18 scales per group, 21 per channel.
OpDef::CreateFn create_group_norm(bool per_channel) {
  return [per_channel](const KernelInit& init) -> std::unique_ptr<Kernel> {
    const Attribute* groups_attr = init.node.find_attr("num_groups");
    if (!groups_attr) init.fail("attribute num_groups is required");
    const int64_t groups = init.node.attr_int("num_groups", 1);
    if (groups < 1) init.fail(cat("num_groups must be >= 1, got ", groups));
    const double epsilon = init.node.attr_float("epsilon", 1e-5f);
    return make_kernel([per_channel, groups, epsilon](KernelContext& ctx) {
      const Tensor& X = float_input(ctx, 0);
      if (X.rank() < 2) ctx.fail(cat("input X must be [N, C, ...] (rank >= 2), got ", X.describe()));
      const int64_t N = X.dim(0), C = X.dim(1);
      if (C % groups != 0) ctx.fail(cat("num_groups ", groups, " does not divide the ", C, " channels"));
      const int64_t S = N * C != 0 ? X.numel() / (N * C) : 0;
      const DataType ct = compute_type(X.dtype());
      const Tensor scale = convert_float(float_input(ctx, 1), ct), bias = convert_float(float_input(ctx, 2), ct);
      const int64_t want = per_channel ? C : groups;
      if (scale.numel() != want || bias.numel() != want) {
        ctx.fail(cat("scale ", scale.describe(), " and bias ", bias.describe(), " must have ", want,
                     " elements (one per ", per_channel ? "channel" : "group", ")"));
      }
      const Tensor x = widen(X);
      Tensor y(ct, X.shape());
      with_compute_type(ct, [&](auto tag) {
        using T = decltype(tag);
        kernels::standardize_rows<T>(x.data<T>(), y.data<T>(), N * groups, (C / groups) * S, epsilon, nullptr, nullptr);
        std::vector<T> s(static_cast<size_t>(C)), b(static_cast<size_t>(C));
        for (int64_t c = 0; c < C; ++c) {
          const int64_t k = per_channel ? c : c / (C / groups);
          s[c] = scale.data<T>()[k];
          b[c] = bias.data<T>()[k];
        }
        kernels::affine_channels(y.data<T>(), N, C, S, s.data(), b.data());
      });
      ctx.set_output(0, narrow(y, X.dtype()));
    });
  };
}

// ---- RMSNormalization ----------------------------------------------------------------------------

void infer_rms_norm(InferContext& ctx) {
  const DataType v = input_elem(ctx, 1);
  if (v == DataType::Undefined || !ctx.has_input(0)) return;
  TypeInfo t = ctx.input(0);
  if (!t.is_tensor()) return;
  t.elem = v;
  ctx.set_output(0, t);
}

std::unique_ptr<Kernel> create_rms_norm(const KernelInit& init) {
  const int64_t axis_attr = init.node.attr_int("axis", -1);
  const double epsilon = init.node.attr_float("epsilon", 1e-5f);
  const bool float_stash = init.node.attr_int("stash_type", 1) == 1;
  return make_kernel([axis_attr, epsilon, float_stash](KernelContext& ctx) {
    const Tensor& X = float_input(ctx, 0);
    const Tensor& scale = float_input(ctx, 1);
    const int64_t axis = normalize_axis(axis_attr, X.rank(), ctx.node());
    if (float_stash && try_fast_norm_f32(ctx, X, axis, &scale, nullptr, static_cast<float>(epsilon), true)) return;
    const int64_t rows = shape_numel(Shape(X.shape().begin(), X.shape().begin() + axis));
    const int64_t cols = rows ? X.numel() / rows : 0;
    const DataType ct = compute_type(X.dtype());
    const Tensor x = widen(X);
    Tensor normalized(ct, X.shape());
    with_compute_type(ct, [&](auto tag) {
      using T = decltype(tag);
      kernels::rms_normalize_rows<T>(x.data<T>(), normalized.data<T>(), rows, cols, epsilon);
    });
    // The output takes the scale's type (V).
    Tensor y = convert_float(normalized, compute_type(scale.dtype()));
    apply_row_affine(ctx, y, axis, &scale, nullptr);
    ctx.set_output(0, narrow(y, scale.dtype()));
  });
}

}  // namespace

void register_norms(Registry& r) {
  r.add(make_def("InstanceNormalization", 1, 21, infer_identity, create_instance_norm, "float, double, float16"));
  r.add(make_def("InstanceNormalization", 22, kLatestOpset, infer_identity, create_instance_norm));
  r.add(make_def("LayerNormalization", 17, kLatestOpset, infer_layer_norm, create_layer_norm));
  r.add(make_def("GroupNormalization", 18, 20, infer_identity, create_group_norm(false)));
  r.add(make_def("GroupNormalization", 21, kLatestOpset, infer_identity, create_group_norm(true)));
  r.add(make_def("RMSNormalization", 23, kLatestOpset, infer_rms_norm, create_rms_norm));
}

}  // namespace onnxi::ops::nn
