// BatchNormalization. Inference uses the given running statistics; training mode (opset 14+:
// training_mode=1; older opsets: when the node asks for the statistics outputs) normalizes with the
// batch's own mean and population variance and emits updated running statistics
// (running = input * momentum + batch * (1 - momentum)). Opset < 9 `spatial=0` takes per-element
// statistics of shape [C, D1, ...].
#include <memory>

#include "kernels/cpu/norm.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

struct BatchNormAttrs {
  double epsilon = 1e-5;
  double momentum = 0.9;
  bool spatial = true;
  bool training = false;
};

void infer_batchnorm(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& tx = ctx.input(0);
  ctx.set_output(0, tx);
  // Statistics outputs have the channel count as their only dim (mean's type from opset 15).
  const DataType stat = input_elem(ctx, 3) == DataType::Undefined ? elem : input_elem(ctx, 3);
  std::vector<Dim> channel{tx.has_shape && tx.dims.size() >= 2 ? tx.dims[1] : Dim{}};
  for (size_t i = 1; i < ctx.node.outputs.size(); ++i) {
    ctx.set_output(i, TypeInfo::tensor(ctx.opset >= 14 ? stat : elem, channel));
  }
}

class BatchNormKernel final : public Kernel {
 public:
  explicit BatchNormKernel(BatchNormAttrs a) : a_(a) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& X = float_input(ctx, 0);
    if (X.rank() < 2) ctx.fail(cat("input X must be [N, C, ...] (rank >= 2), got ", X.describe()));
    const int64_t N = X.dim(0), C = X.dim(1);
    const int64_t S = N * C != 0 ? X.numel() / (N * C) : 0;
    // spatial=0 statistics cover each (channel, position) pair: treat those as the channels.
    const int64_t channels = a_.spatial ? C : C * S;
    const int64_t spatial = a_.spatial ? S : 1;
    const DataType ct = compute_type(X.dtype());
    Tensor params[4];
    const char* names[4] = {"scale", "B", "input_mean", "input_var"};
    for (int i = 0; i < 4; ++i) {
      const Tensor& t = float_input(ctx, static_cast<size_t>(i + 1));
      if (t.numel() != channels) {
        ctx.fail(
            cat("input ", names[i], " ", t.describe(), " must have ", channels, " elements to match X ", X.describe()));
      }
      params[i] = convert_float(t, ct);
    }
    const Tensor x = widen(X);
    Tensor y = Tensor::uninitialized(ct, X.shape());
    Tensor batch_mean(ct, {channels}), batch_var(ct, {channels});
    with_compute_type(ct, [&](auto tag) {
      using T = decltype(tag);
      const T* mean = params[2].data<T>();
      const T* var = params[3].data<T>();
      if (a_.training) {
        kernels::channel_moments(x.data<T>(), N, channels, spatial, batch_mean.data<T>(), batch_var.data<T>());
        mean = batch_mean.data<T>();
        var = batch_var.data<T>();
      }
      kernels::batch_norm(x.data<T>(), params[0].data<T>(), params[1].data<T>(), mean, var, a_.epsilon, N, channels,
                          spatial, y.data<T>());
    });
    ctx.set_output(0, narrow(y, X.dtype()));
    if (!a_.training) return;

    // Running statistics (outputs 1, 2) in the type of input_mean; opset < 14 adds the batch's own
    // mean and variance as outputs 3, 4.
    const DataType stat_type = ctx.input(3).dtype();
    const Tensor running_mean = blend(params[2], batch_mean);
    const Tensor running_var = blend(params[3], batch_var);
    const Tensor* outs[4] = {&running_mean, &running_var, &batch_mean, &batch_var};
    for (size_t i = 1; i < ctx.num_outputs() && i <= 4; ++i) {
      if (ctx.output_wanted(i)) ctx.set_output(i, convert_float(*outs[i - 1], stat_type));
    }
  }

 private:
  Tensor blend(const Tensor& running, const Tensor& batch) const {
    Tensor out(running.dtype(), running.shape());
    with_compute_type(running.dtype(), [&](auto tag) {
      using T = decltype(tag);
      for (int64_t i = 0; i < out.numel(); ++i) {
        out.data<T>()[i] = static_cast<T>(running.data<T>()[i] * a_.momentum + batch.data<T>()[i] * (1 - a_.momentum));
      }
    });
    return out;
  }

  BatchNormAttrs a_;
};

std::unique_ptr<Kernel> create_batchnorm(const KernelInit& init) {
  BatchNormAttrs a;
  a.epsilon = init.node.attr_float("epsilon", 1e-5f);
  a.momentum = init.node.attr_float("momentum", 0.9f);
  a.spatial = init.opset >= 9 || init.node.attr_int("spatial", 1) != 0;
  if (init.opset >= 14) {
    a.training = init.node.attr_int("training_mode", 0) != 0;
  } else {
    // Older opsets select training by the outputs asked for (is_test is advisory at best).
    size_t outputs = 0;
    for (const auto& o : init.node.outputs) outputs += o.empty() ? 0 : 1;
    a.training = outputs > 1;
  }
  return std::make_unique<BatchNormKernel>(a);
}

}  // namespace

void register_batchnorm(Registry& r) {
  r.add(make_def("BatchNormalization", 1, 13, infer_batchnorm, create_batchnorm, "float, double, float16"));
  r.add(make_def("BatchNormalization", 14, kLatestOpset, infer_batchnorm, create_batchnorm));
}

}  // namespace onnxi::ops::nn
