// The normalizations the graph passes create (runtime/passes/fuse_layernorm.cpp), in domain
// com.onnxi, opset 1; all float32 (the pass fuses only patterns whose constants are float32, which
// ONNX's type rules then impose on every value of the pattern):
//
//   LayerNormalization(X, Scale?, B?) -> Y        epsilon; normalizes the last axis
//   RMSNormalization(X, Scale?, B?) -> Y          epsilon; Y = X / sqrt(mean(X^2) + epsilon) * Scale + B
//   SkipLayerNormalization(X, skip, gamma?, beta?, bias?) -> Y, sum?
//       epsilon, simplified (1: RMS); sum = (X + bias) + skip, Y = LayerNorm(sum) * gamma + beta
//
// Unlike ai.onnx LayerNormalization the scale is optional (a spelled-out LayerNorm may have none).
// Inputs broadcast as the Add/Mul nodes they replace did; the common shapes (skip like X or like
// its trailing dims, per-column gamma/beta/bias) go straight to the row kernels, any other shape
// is first expanded, so the fused node accepts exactly what the unfused nodes accepted.
#include "ops/nn/fused_norm.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/layer_norm.h"
#include "ops/common.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

// t's values as one per-column row of `cols` when t spans only the trailing `norm_shape` dims
// (leading 1s allowed); a single value is repeated into `storage`. Null when neither.
const float* column_vector(const Tensor* t, const Shape& norm_shape, int64_t cols, std::vector<float>& storage) {
  if (t == nullptr || t->dtype() != DataType::Float) return nullptr;
  if (t->numel() == 1 && cols != 1) {
    storage.assign(static_cast<size_t>(cols), t->data<float>()[0]);
    return storage.data();
  }
  if (t->numel() != cols) return nullptr;
  const Shape& s = t->shape();
  if (s.size() > norm_shape.size()) {
    for (size_t i = 0; i < s.size() - norm_shape.size(); ++i) {
      if (s[i] != 1) return nullptr;
    }
  }
  const size_t k = std::min(s.size(), norm_shape.size());
  for (size_t i = 0; i < k; ++i) {
    if (s[s.size() - 1 - i] != norm_shape[norm_shape.size() - 1 - i]) return nullptr;
  }
  return t->data<float>();
}

// `t` broadcast to `target` (float32), materialized.
Tensor expand_f32(const Tensor& t, const Shape& target) {
  if (t.shape() == target) return t;
  const std::vector<int64_t> strides = broadcast_strides(t.shape(), target);
  Tensor out = Tensor::uninitialized(DataType::Float, target);
  const float* src = t.data<float>();
  float* dst = out.data<float>();
  std::vector<int64_t> pos(target.size(), 0);
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t at = 0;
    for (size_t d = 0; d < pos.size(); ++d) at += pos[d] * strides[d];
    dst[i] = src[at];
    for (int64_t d = static_cast<int64_t>(pos.size()) - 1; d >= 0; --d) {
      if (++pos[d] < target[static_cast<size_t>(d)]) break;
      pos[d] = 0;
    }
  }
  return out;
}

const Tensor* optional_f32(const KernelContext& ctx, size_t i, const char* name) {
  if (!ctx.has_input(i)) return nullptr;
  const Tensor& t = ctx.input(i);
  if (t.dtype() != DataType::Float) {
    ctx.fail(cat("input ", i, " (", name, ") is ", t.describe(), "; this com.onnxi op (made by the graph passes) ",
                 "takes float32 only: run with optimization_level \"none\" to keep the original nodes"));
  }
  return &t;
}

struct FusedNorm {
  float epsilon;
  bool rms;
  bool has_skip;  // SkipLayerNormalization: inputs X, skip, gamma, beta, bias
};

void compute_fused(KernelContext& ctx, const FusedNorm& f) {
  const Tensor* x = optional_f32(ctx, 0, "X");
  if (x == nullptr) ctx.fail("input 0 (X) is required");
  const size_t g_at = f.has_skip ? 2 : 1;
  const Tensor* skip = f.has_skip ? optional_f32(ctx, 1, "skip") : nullptr;
  const Tensor* gamma = optional_f32(ctx, g_at, "scale");
  const Tensor* beta = optional_f32(ctx, g_at + 1, "bias (beta)");
  const Tensor* bias = f.has_skip ? optional_f32(ctx, 4, "bias") : nullptr;
  if (f.has_skip && skip == nullptr) ctx.fail("input 1 (skip) is required");
  if (x->rank() == 0) ctx.fail(cat("input X must have at least one dim, got ", x->describe()));

  // The shape the unfused Adds gave the normalized value, and the one the Mul/Add after it gave Y.
  Shape s_shape = x->shape();
  if (bias) s_shape = broadcast_shapes(s_shape, bias->shape(), ctx.node());
  if (skip) s_shape = broadcast_shapes(s_shape, skip->shape(), ctx.node());
  Shape y_shape = s_shape;
  if (gamma) y_shape = broadcast_shapes(y_shape, gamma->shape(), ctx.node());
  if (beta) y_shape = broadcast_shapes(y_shape, beta->shape(), ctx.node());
  if (y_shape != s_shape) {
    ctx.fail(cat("scale/bias ", gamma ? gamma->describe() : "", " ", beta ? beta->describe() : "",
                 " would broadcast the normalized ", shape_str(s_shape), " to ", shape_str(y_shape),
                 "; that is not a normalization over the last axis: run with optimization_level \"none\""));
  }
  const int64_t cols = s_shape.back();
  const int64_t rows = cols ? shape_numel(s_shape) / cols : 0;
  const Shape norm_shape{cols};

  kernels::LayerNormParams p;
  p.epsilon = f.epsilon;
  std::vector<float> gs, bs, biass;
  Tensor x_full = *x, skip_full, gamma_full, beta_full;
  p.gamma = column_vector(gamma, norm_shape, cols, gs);
  p.beta = column_vector(beta, norm_shape, cols, bs);
  p.bias = column_vector(bias, norm_shape, cols, biass);
  const bool columns_ok = (!gamma || p.gamma) && (!beta || p.beta) && (!bias || p.bias);
  if (x->shape() != s_shape || !columns_ok) {
    // Uncommon broadcasts: materialize the sum the unfused Adds computed, in their order.
    x_full = expand_f32(*x, s_shape).clone();
    float* xs = x_full.data<float>();
    if (bias) {
      const Tensor b = expand_f32(*bias, s_shape);
      for (int64_t i = 0; i < x_full.numel(); ++i) xs[i] += b.data<float>()[i];
    }
    if (skip) {
      const Tensor s = expand_f32(*skip, s_shape);
      for (int64_t i = 0; i < x_full.numel(); ++i) xs[i] += s.data<float>()[i];
    }
    skip = bias = nullptr;
    p.bias = nullptr;
    if (gamma && !p.gamma) gamma_full = expand_f32(*gamma, s_shape);
    if (beta && !p.beta) beta_full = expand_f32(*beta, s_shape);
  }
  if (skip) {
    // A skip of X's shape, or of its trailing dims (repeated over the leading ones), goes to the
    // kernel as is; others are expanded.
    const int64_t skip_rows = skip->numel() / std::max<int64_t>(cols, 1);
    const bool trailing = skip->rank() >= 1 && skip->shape().back() == cols && skip_rows > 0 && rows % skip_rows == 0 &&
                          broadcast_shapes(skip->shape(), s_shape, ctx.node()) == s_shape &&
                          [&] {
                            // Every dim of skip past its leading 1s must equal s's dim there.
                            const Shape& k = skip->shape();
                            size_t first = 0;
                            while (first < k.size() && k[first] == 1) ++first;
                            for (size_t i = first; i < k.size(); ++i) {
                              if (k[i] != s_shape[s_shape.size() - k.size() + i]) return false;
                            }
                            return true;
                          }();
    skip_full = trailing ? *skip : expand_f32(*skip, s_shape);
    p.skip = skip_full.data<float>();
    p.skip_rows = trailing ? skip_rows : rows;
  }

  Tensor& y = ctx.allocate_output_uninitialized(0, DataType::Float, s_shape);
  Tensor* sum = nullptr;
  if (f.has_skip && ctx.num_outputs() > 1 && ctx.output_wanted(1)) {
    sum = &ctx.allocate_output_uninitialized(1, DataType::Float, s_shape);
    if (!skip && !p.bias) std::copy(x_full.data<float>(), x_full.data<float>() + x_full.numel(), sum->data<float>());
    else p.sum = sum->data<float>();
  }
  const float* xs = x_full.data<float>();
  float* ys = y.data<float>();
  auto run = [&](const kernels::LayerNormParams& q, const float* xr, float* yr, int64_t n) {
    if (f.rms) kernels::rms_norm_rows_f32(xr, yr, n, cols, q);
    else kernels::layer_norm_rows_f32(xr, yr, n, cols, q);
  };
  if (!gamma_full.defined() && !beta_full.defined()) {
    run(p, xs, ys, rows);
    return;
  }
  // Scale or bias varying per row: one row at a time.
  for (int64_t r = 0; r < rows; ++r) {
    kernels::LayerNormParams q = p;
    if (gamma_full.defined()) q.gamma = gamma_full.data<float>() + r * cols;
    if (beta_full.defined()) q.beta = beta_full.data<float>() + r * cols;
    run(q, xs + r * cols, ys + r * cols, 1);
  }
}

void infer_fused(InferContext& ctx, bool has_skip) {
  if (!ctx.has_input(0) || !ctx.input(0).is_tensor()) return;
  if (!ctx.input(0).has_shape) {
    for (size_t i = 0; i < (has_skip ? 2u : 1u); ++i) ctx.set_output(i, TypeInfo::tensor_unranked(DataType::Float));
    return;
  }
  std::vector<Dim> dims = ctx.input(0).dims;
  bool known = true;
  for (size_t i : has_skip ? std::vector<size_t>{1, 4} : std::vector<size_t>{}) {
    if (!ctx.has_input(i)) continue;
    const TypeInfo& t = ctx.input(i);
    if (!t.is_tensor() || !t.has_shape) {
      known = false;
      continue;
    }
    dims = broadcast_dims(dims, t.dims, ctx);
  }
  const TypeInfo out = known ? TypeInfo::tensor(DataType::Float, dims) : TypeInfo::tensor_unranked(DataType::Float);
  ctx.set_output(0, out);
  if (has_skip && ctx.node.outputs.size() > 1) ctx.set_output(1, out);
}

OpDef fused_def(const char* op_type, bool rms, bool has_skip) {
  OpDef d = make_def(
      op_type, 1, kLatestOpset, [has_skip](InferContext& ctx) { infer_fused(ctx, has_skip); },
      [rms, has_skip](const KernelInit& init) {
        const int64_t axis = init.node.attr_int("axis", -1);
        if (axis != -1) {
          init.fail(cat("attribute axis is ", axis, "; this com.onnxi op normalizes the last axis only (-1)"));
        }
        FusedNorm f{init.node.attr_float("epsilon", 1e-5f), rms || init.node.attr_int("simplified", 0) != 0, has_skip};
        if (!(f.epsilon >= 0.f)) init.fail(cat("attribute epsilon is ", f.epsilon, "; it must be >= 0"));
        return make_kernel([f](KernelContext& ctx) { compute_fused(ctx, f); });
      },
      "float");
  d.domain = kOnnxiDomain;
  return d;
}

}  // namespace

bool try_fast_norm_f32(KernelContext& ctx, const Tensor& x, int64_t axis, const Tensor* scale, const Tensor* bias,
                       float epsilon, bool rms) {
  if (x.dtype() != DataType::Float || (scale && scale->dtype() != DataType::Float) ||
      (bias && bias->dtype() != DataType::Float)) {
    return false;
  }
  const Shape norm_shape(x.shape().begin() + axis, x.shape().end());
  const int64_t cols = shape_numel(norm_shape);
  if (cols == 0) return false;
  const int64_t rows = x.numel() / cols;
  std::vector<float> gs, bs;
  kernels::LayerNormParams p;
  p.epsilon = epsilon;
  p.gamma = column_vector(scale, norm_shape, cols, gs);
  p.beta = column_vector(bias, norm_shape, cols, bs);
  if ((scale && !p.gamma) || (bias && !p.beta)) return false;
  // A scale of higher rank than the normalized dims would broadcast X: not this path.
  if ((scale && scale->rank() > x.rank()) || (bias && bias->rank() > x.rank())) return false;
  Tensor& y = ctx.allocate_output_uninitialized(0, DataType::Float, x.shape());
  if (rms) {
    kernels::rms_norm_rows_f32(x.data<float>(), y.data<float>(), rows, cols, p);
    return true;
  }
  Shape stat_shape(x.shape().begin(), x.shape().begin() + axis);
  stat_shape.resize(x.shape().size(), 1);
  if (ctx.num_outputs() > 1 && ctx.output_wanted(1)) {
    p.mean = ctx.allocate_output_uninitialized(1, DataType::Float, stat_shape).data<float>();
  }
  if (ctx.num_outputs() > 2 && ctx.output_wanted(2)) {
    p.inv_std_dev = ctx.allocate_output_uninitialized(2, DataType::Float, stat_shape).data<float>();
  }
  kernels::layer_norm_rows_f32(x.data<float>(), y.data<float>(), rows, cols, p);
  return true;
}

void register_fused_norms(Registry& r) {
  r.add(fused_def("LayerNormalization", false, false));
  r.add(fused_def("RMSNormalization", true, false));
  r.add(fused_def("SkipLayerNormalization", false, true));
}

}  // namespace onnxi::ops::nn
