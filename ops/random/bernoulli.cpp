// Bernoulli (opsets 15, 22): output[i] = 1 with probability input[i], else 0, as `dtype` (default:
// the input's type; any integer, float or bool). Every probability must lie in [0, 1]. Each element
// takes one uniform draw and is decided as numpy's RandomState.binomial(1, p) decides it.
#include <cmath>

#include "kernels/cpu/random.h"
#include "onnxi/float_types.h"
#include "ops/random/random.h"

namespace onnxi::ops::random {
namespace {

// Opsets 15 and 22 allow the same output types (bfloat16 included).
TypeList output_types() {
  TypeList t = float_types(22);
  for (DataType d : {DataType::UInt8, DataType::UInt16, DataType::UInt32, DataType::UInt64, DataType::Int8,
                     DataType::Int16, DataType::Int32, DataType::Int64, DataType::Bool}) {
    t.push_back(d);
  }
  return t;
}

OpDef make_bernoulli(int since, int last) {
  const TypeList in_types = float_types(since);
  const TypeList out_types = output_types();
  OpDef def;
  def.op_type = "Bernoulli";
  def.since_version = since;
  def.last_version = last;
  def.types = "input: " + type_list_string(in_types) + "; output: " + type_list_string(out_types);
  def.infer = [in_types, out_types](InferContext& ctx) {
    const DataType in = input_elem(ctx, 0);
    if (in == DataType::Undefined) return;
    if (!accepts(in_types, in)) {
      ctx.fail(cat("input has element type ", dtype_name(in), "; Bernoulli-", ctx.opset, " takes ",
                   type_list_string(in_types)));
    }
    TypeInfo t = ctx.input(0);
    t.elem = dtype_attr(ctx.node, in, out_types, [&](const std::string& m) { ctx.fail(m); });
    ctx.set_output(0, t);
  };
  def.create = [in_types, out_types](const KernelInit& init) {
    const auto fail = [&](const std::string& m) { init.fail(m); };
    const DataType dtype = dtype_attr(init.node, DataType::Undefined, out_types, fail);
    const Seed seed(init.node, fail);
    return make_kernel([=](KernelContext& ctx) {
      const Tensor& x = ctx.input(0);
      if (!accepts(in_types, x.dtype())) {
        ctx.fail(cat("input ", x.describe(), " must be one of ", type_list_string(in_types)));
      }
      std::vector<double> p(static_cast<size_t>(x.numel()));
      convert_to_f64(x.dtype(), x.raw(), p.data(), x.numel());
      for (size_t i = 0; i < p.size(); ++i) {
        if (!(p[i] >= 0.0 && p[i] <= 1.0)) {
          ctx.fail(cat("input probabilities must lie in [0, 1]; element ", i, " is ", p[i]));
        }
      }
      kernels::NumpyRandom rng(seed.for_run());
      kernels::bernoulli(rng, p.data(), p.data(), x.numel());
      Tensor y(dtype == DataType::Undefined ? x.dtype() : dtype, x.shape());
      convert_from_f64(y.dtype(), p.data(), y.raw(), y.numel());
      ctx.set_output(0, y);
    });
  };
  return def;
}

}  // namespace

void register_bernoulli(Registry& r) {
  r.add(make_bernoulli(15, 21));
  r.add(make_bernoulli(22, kLatestOpset));
}

}  // namespace onnxi::ops::random
