// The optimizers of ai.onnx.preview.training (opset 1): Adagrad, Adam, Momentum. Inputs are the
// learning rate R and update count T (scalars), then groups of n tensors each: Adagrad X.., G.., H..
// -> X_new.., H_new..; Adam X.., G.., V.., H.. -> X_new.., V_new.., H_new..; Momentum X.., G.., V..
// -> X_new.., V_new... Each tensor is updated on its own (the spec's "concatenated" view gives the
// same result). G, V and H must have their X's shape and element type (float or double).
#include <cmath>
#include <vector>

#include "kernels/cpu/ml_optimizers.h"
#include "ops/training/training.h"

namespace onnxi::ops::training {
namespace {

struct Layout {
  std::vector<const char*> groups;  // input group names after R and T
  std::vector<size_t> outputs;      // input group each output group updates
};

const Layout kAdagrad = {{"X", "G", "H"}, {0, 2}};
const Layout kAdam = {{"X", "G", "V", "H"}, {0, 2, 3}};
const Layout kMomentum = {{"X", "G", "V"}, {0, 2}};

bool is_float(DataType t) { return t == DataType::Float || t == DataType::Double; }

// The number of tensors n each group holds; an error naming the node when the counts do not fit.
size_t group_size(size_t inputs, size_t outputs, const Layout& l, const std::string& op,
                  const std::function<void(const std::string&)>& fail_with) {
  const size_t g = l.groups.size();
  if (inputs < 2 + g || (inputs - 2) % g != 0) {
    fail_with(cat(op, " takes R, T and ", g, " groups of n tensors (2 + ", g, "n inputs); the node has ", inputs));
  }
  const size_t n = (inputs - 2) / g;
  if (outputs != l.outputs.size() * n) {
    fail_with(cat(op, " with ", n, " tensors per group gives ", l.outputs.size() * n, " outputs; the node has ",
                  outputs));
  }
  return n;
}

void infer_optimizer(InferContext& ctx, const Layout& l) {
  const size_t n = group_size(ctx.num_inputs(), ctx.node.outputs.size(), l, ctx.node.op_type,
                              [&](const std::string& m) { ctx.fail(m); });
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const TypeInfo& t = ctx.input(i);
    if (!t.is_tensor() || t.elem == DataType::Undefined) continue;
    const bool ok = i == 1 ? t.elem == DataType::Int64 : is_float(t.elem);
    if (!ok) {
      ctx.fail(cat("input ", i, " (", i == 0 ? "R" : i == 1 ? "T" : l.groups[(i - 2) / n], ") has element type ",
                   dtype_name(t.elem), "; it must be ", i == 1 ? "int64" : "float or double"));
    }
  }
  for (size_t k = 0; k < l.outputs.size(); ++k) {
    for (size_t i = 0; i < n; ++i) {
      const TypeInfo& t = ctx.input(2 + l.outputs[k] * n + i);
      if (t.is_tensor()) ctx.set_output(k * n + i, t);
    }
  }
}

double scalar_of(const KernelContext& ctx, size_t i, const char* name) {
  const Tensor& t = ctx.input(i);
  if (t.numel() != 1) ctx.fail(cat("input ", name, " ", t.describe(), " must be a scalar"));
  if (i == 1 && t.dtype() != DataType::Int64) ctx.fail(cat("input T ", t.describe(), " must be int64"));
  if (i == 0 && !is_float(t.dtype())) ctx.fail(cat("input R ", t.describe(), " must be float or double"));
  return t.element_as_double(0);
}

// Calls step(in, out) once per tensor: in[g] is group g's tensor, out[k] output group k's, allocated
// with the shape and type of the tensor it updates.
template <class Step>
void for_each_tensor(KernelContext& ctx, const Layout& l, Step step) {
  const size_t n = group_size(ctx.num_inputs(), ctx.num_outputs(), l, ctx.node().op_type,
                              [&](const std::string& m) { ctx.fail(m); });
  for (size_t i = 0; i < n; ++i) {
    std::vector<const Tensor*> in;
    for (size_t g = 0; g < l.groups.size(); ++g) {
      const Tensor& t = ctx.input(2 + g * n + i);
      const Tensor& x = ctx.input(2 + i);
      if (!is_float(t.dtype())) ctx.fail(cat("input ", l.groups[g], i + 1, " ", t.describe(), " must be float or double"));
      if (g > 0 && (t.dtype() != x.dtype() || t.shape() != x.shape())) {
        ctx.fail(cat("input ", l.groups[g], i + 1, " ", t.describe(), " must match X", i + 1, " ", x.describe()));
      }
      in.push_back(&t);
    }
    std::vector<Tensor*> out;
    for (size_t k = 0; k < l.outputs.size(); ++k) {
      out.push_back(&ctx.allocate_output(k * n + i, in[0]->dtype(), in[0]->shape()));
    }
    if (in[0]->dtype() == DataType::Float) step(in, out, float{});
    else step(in, out, double{});
  }
}

void register_optimizer(Registry& r, const char* op, const Layout& l, OpDef::CreateFn create) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = op;
  def.since_version = 1;
  def.types = "float, double";
  def.infer = [&l](InferContext& ctx) { infer_optimizer(ctx, l); };
  def.create = std::move(create);
  r.add(std::move(def));
}

}  // namespace

void register_optimizers(Registry& r) {
  register_optimizer(r, "Adagrad", kAdagrad, [](const KernelInit& init) {
    const double norm = init.node.attr_float("norm_coefficient", 0.f);
    const double decay = init.node.attr_float("decay_factor", 0.f);
    const double eps = init.node.attr_float("epsilon", 1e-6f);
    return make_kernel([=](KernelContext& ctx) {
      const double lr = scalar_of(ctx, 0, "R");
      const double t = scalar_of(ctx, 1, "T");
      const kernels::AdagradStep p{lr / (1 + t * decay), norm, eps};
      for_each_tensor(ctx, kAdagrad, [&](const auto& in, const auto& out, auto zero) {
        using T = decltype(zero);
        kernels::adagrad_step(p, in[0]->template data<T>(), in[1]->template data<T>(), in[2]->template data<T>(),
                              out[0]->template data<T>(), out[1]->template data<T>(), in[0]->numel());
      });
    });
  });

  register_optimizer(r, "Adam", kAdam, [](const KernelInit& init) {
    kernels::AdamStep base;
    base.alpha = init.node.attr_float("alpha", 0.9f);
    base.beta = init.node.attr_float("beta", 0.999f);
    base.epsilon = init.node.attr_float("epsilon", 1e-6f);
    base.norm_coefficient = init.node.attr_float("norm_coefficient", 0.f);
    base.norm_coefficient_post = init.node.attr_float("norm_coefficient_post", 0.f);
    return make_kernel([base](KernelContext& ctx) {
      kernels::AdamStep p = base;
      p.lr = scalar_of(ctx, 0, "R");
      const double t = scalar_of(ctx, 1, "T");
      // Bias correction of both running averages once T counts past the first step.
      if (t > 0) p.lr = p.lr * std::sqrt(1 - std::pow(p.beta, t)) / (1 - std::pow(p.alpha, t));
      for_each_tensor(ctx, kAdam, [&](const auto& in, const auto& out, auto zero) {
        using T = decltype(zero);
        kernels::adam_step(p, in[0]->template data<T>(), in[1]->template data<T>(), in[2]->template data<T>(),
                           in[3]->template data<T>(), out[0]->template data<T>(), out[1]->template data<T>(),
                           out[2]->template data<T>(), in[0]->numel());
      });
    });
  });

  register_optimizer(r, "Momentum", kMomentum, [](const KernelInit& init) {
    for (const char* a : {"alpha", "beta", "norm_coefficient", "mode"}) {
      if (!init.node.has_attr(a)) init.fail(cat("attribute ", a, " is required"));
    }
    kernels::MomentumStep base;
    base.alpha = init.node.attr_float("alpha", 0.f);
    base.beta = init.node.attr_float("beta", 0.f);
    base.norm_coefficient = init.node.attr_float("norm_coefficient", 0.f);
    const std::string mode = init.node.attr_string("mode", "standard");
    if (mode != "standard" && mode != "nesterov") {
      init.fail(cat("attribute mode = '", mode, "' is not 'standard' or 'nesterov'"));
    }
    base.nesterov = mode == "nesterov";
    return make_kernel([base](KernelContext& ctx) {
      kernels::MomentumStep p = base;
      p.lr = scalar_of(ctx, 0, "R");
      if (scalar_of(ctx, 1, "T") <= 0) p.beta = 1;  // the first step takes the whole gradient
      for_each_tensor(ctx, kMomentum, [&](const auto& in, const auto& out, auto zero) {
        using T = decltype(zero);
        kernels::momentum_step(p, in[0]->template data<T>(), in[1]->template data<T>(), in[2]->template data<T>(),
                               out[0]->template data<T>(), out[1]->template data<T>(), in[0]->numel());
      });
    });
  });
}

}  // namespace onnxi::ops::training
