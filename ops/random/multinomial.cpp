// Multinomial (opsets 7, 22): input [batch, classes] of unnormalized log-probabilities; output
// [batch, sample_size] of class indices (int32 by default, or int64), each drawn with probability
// softmax(input row). Rows may hold -inf (a class never drawn) but no NaN or +inf, and need one
// finite value.
#include <cmath>

#include "kernels/cpu/random.h"
#include "onnxi/float_types.h"
#include "ops/random/random.h"

namespace onnxi::ops::random {
namespace {

const TypeList kIndexTypes = {DataType::Int32, DataType::Int64};

int64_t sample_size(const Node& node, const std::function<void(const std::string&)>& fail) {
  const int64_t n = node.attr_int("sample_size", 1);
  if (n < 0) fail(cat("attribute sample_size must be non-negative, got ", n));
  return n;
}

OpDef make_multinomial(int since, int last) {
  const TypeList in_types = float_types(since);
  OpDef def;
  def.op_type = "Multinomial";
  def.since_version = since;
  def.last_version = last;
  def.types = "input: " + type_list_string(in_types) + "; output: int32, int64";
  def.infer = [in_types](InferContext& ctx) {
    const auto fail = [&](const std::string& m) { ctx.fail(m); };
    const DataType out = dtype_attr(ctx.node, DataType::Int32, kIndexTypes, fail);
    const int64_t samples = sample_size(ctx.node, fail);
    const DataType in = input_elem(ctx, 0);
    if (in != DataType::Undefined && !accepts(in_types, in)) {
      fail(cat("input has element type ", dtype_name(in), "; Multinomial-", ctx.opset, " takes ",
               type_list_string(in_types)));
    }
    Dim batch;
    if (in != DataType::Undefined && ctx.input(0).has_shape) {
      const TypeInfo& x = ctx.input(0);
      if (x.dims.size() != 2) fail(cat("input ", x.str(), " must be 2-D: [batch_size, class_size]"));
      batch = x.dims[0];
    }
    ctx.set_output(0, TypeInfo::tensor(out, {batch, Dim::known(samples)}));
  };
  def.create = [in_types](const KernelInit& init) {
    const auto fail = [&](const std::string& m) { init.fail(m); };
    const DataType out = dtype_attr(init.node, DataType::Int32, kIndexTypes, fail);
    const int64_t samples = sample_size(init.node, fail);
    const Seed seed(init.node, fail);
    return make_kernel([=](KernelContext& ctx) {
      const Tensor& x = ctx.input(0);
      if (!accepts(in_types, x.dtype())) {
        ctx.fail(cat("input ", x.describe(), " must be one of ", type_list_string(in_types)));
      }
      if (x.rank() != 2 || x.dim(1) < 1) {
        ctx.fail(cat("input ", x.describe(), " must be 2-D [batch_size, class_size] with class_size >= 1"));
      }
      const int64_t batch = x.dim(0), classes = x.dim(1);
      std::vector<double> logits(static_cast<size_t>(x.numel()));
      convert_to_f64(x.dtype(), x.raw(), logits.data(), x.numel());
      for (int64_t b = 0; b < batch; ++b) {
        bool any_finite = false;
        for (int64_t c = 0; c < classes; ++c) {
          const double v = logits[static_cast<size_t>(b * classes + c)];
          if (std::isnan(v) || v == INFINITY) {
            ctx.fail(cat("input [", b, ", ", c, "] is ", v, ": log-probabilities must be finite or -inf"));
          }
          any_finite = any_finite || std::isfinite(v);
        }
        if (!any_finite) ctx.fail(cat("input row ", b, " is all -inf: no class can be drawn"));
      }
      std::vector<int64_t> idx(static_cast<size_t>(batch * samples));
      kernels::NumpyRandom rng(seed.for_run());
      kernels::multinomial(rng, logits.data(), batch, classes, samples, idx.data());
      Tensor y(out, {batch, samples});
      for (size_t i = 0; i < idx.size(); ++i) {
        if (out == DataType::Int32) {
          y.data<int32_t>()[i] = static_cast<int32_t>(idx[i]);
        } else {
          y.data<int64_t>()[i] = idx[i];
        }
      }
      ctx.set_output(0, y);
    });
  };
  return def;
}

}  // namespace

void register_multinomial(Registry& r) {
  r.add(make_multinomial(7, 21));
  r.add(make_multinomial(22, kLatestOpset));
}

}  // namespace onnxi::ops::random
