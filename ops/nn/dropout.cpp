// Dropout. Inference (every opset's default) is the identity with an all-true mask. Opset 12+
// takes training_mode and ratio as inputs: training with ratio 0 is still the identity; training
// with ratio > 0 zeroes each element with probability ratio and scales the rest by 1/(1-ratio),
// drawing from a generator seeded by `seed` (or nondeterministically without it).
#include <cstring>
#include <memory>

#include "kernels/cpu/random.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

void infer_dropout(InferContext& ctx) {
  if (!ctx.has_input(0)) return;
  const TypeInfo& t = ctx.input(0);
  ctx.set_output(0, t);
  if (ctx.node.outputs.size() > 1 && t.is_tensor()) {
    // Opset 10+ masks are bool; older ones share the input's type.
    TypeInfo mask = t;
    if (ctx.opset >= 10) mask.elem = DataType::Bool;
    ctx.set_output(1, mask);
  }
}

double read_scalar(const KernelContext& ctx, size_t i, const char* what) {
  const Tensor& t = ctx.input(i);
  if (t.numel() != 1) ctx.fail(cat("input ", what, " must be a scalar, got ", t.describe()));
  return t.element_as_double(0);
}

class DropoutKernel final : public Kernel {
 public:
  DropoutKernel(double ratio_attr, bool has_seed, int64_t seed)
      : ratio_attr_(ratio_attr), has_seed_(has_seed), seed_(seed) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.input(0);
    const bool training = ctx.opset() >= 12 && ctx.has_input(2) && read_scalar(ctx, 2, "training_mode") != 0;
    const double ratio = ctx.opset() >= 12 && ctx.has_input(1) ? read_scalar(ctx, 1, "ratio") : ratio_attr_;
    if (ratio < 0 || ratio >= 1) ctx.fail(cat("ratio must be in [0, 1), got ", ratio));
    const bool want_mask = ctx.num_outputs() > 1 && ctx.output_wanted(1);
    const DataType mask_type = ctx.opset() >= 10 ? DataType::Bool : X.dtype();
    if (!training || ratio == 0) {
      ctx.set_output(0, X);
      if (want_mask) ctx.set_output(1, ones(mask_type, X.shape()));
      return;
    }
    if (!is_nn_float(X.dtype())) ctx.fail(cat("training mode needs a float input, got ", X.describe()));
    // numpy's RandomState stream, as the ONNX reference draws it: a seeded Dropout gives the reference's mask.
    kernels::NumpyRandom rng(has_seed_ ? static_cast<uint32_t>(seed_) : kernels::nondeterministic_seed());
    const Tensor x = widen(X);
    Tensor y(compute_type(X.dtype()), X.shape());
    Tensor mask(DataType::Bool, X.shape());
    bool* m = mask.data<bool>();
    kernels::dropout_mask(rng, ratio, m, X.numel());
    with_compute_type(y.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T scale = static_cast<T>(1.0 / (1.0 - ratio));
      for (int64_t i = 0; i < X.numel(); ++i) {
        y.data<T>()[i] = m[i] ? x.data<T>()[i] * scale : T(0);
      }
    });
    ctx.set_output(0, narrow(y, X.dtype()));
    if (want_mask) ctx.set_output(1, mask);
  }

 private:
  static Tensor ones(DataType dtype, const Shape& shape) {
    Tensor t(dtype, shape);
    if (dtype == DataType::Bool) {
      std::memset(t.raw(), 1, t.nbytes());
    } else {
      const Tensor one = convert_float(Tensor::scalar_f32(1.f), dtype);
      for (int64_t i = 0; i < t.numel(); ++i) {
        std::memcpy(static_cast<char*>(t.raw()) + i * one.nbytes(), one.raw(), one.nbytes());
      }
    }
    return t;
  }

  double ratio_attr_;
  bool has_seed_;
  int64_t seed_;
};

std::unique_ptr<Kernel> create_dropout(const KernelInit& init) {
  return std::make_unique<DropoutKernel>(init.node.attr_float("ratio", 0.5f), init.node.has_attr("seed"),
                                         init.node.attr_int("seed", 0));
}

}  // namespace

void register_dropout(Registry& r) {
  r.add(make_def("Dropout", 1, 11, infer_dropout, create_dropout, "float, double, float16"));
  r.add(make_def("Dropout", 12, kLatestOpset, infer_dropout, create_dropout,
                 "float, double, float16, bfloat16 (inference: any type)"));
}

}  // namespace onnxi::ops::nn
