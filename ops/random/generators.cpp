// RandomNormal, RandomUniform (opsets 1, 22): a tensor of attribute `shape` and `dtype` (default
// float) drawn from N(mean, scale^2) or U[low, high). RandomNormalLike, RandomUniformLike: the same
// with the shape of the input and the dtype of the input unless `dtype` says otherwise (the input's
// values are not read). Values are drawn in double and rounded to the output type.
#include <cmath>

#include "kernels/cpu/random.h"
#include "onnxi/float_types.h"
#include "ops/random/random.h"

namespace onnxi::ops::random {
namespace {

enum class Distribution { Normal, Uniform };

struct Params {
  Distribution dist = Distribution::Uniform;
  double a = 0.0;  // mean or low
  double b = 1.0;  // scale or high
};

Params read_params(const Node& node, Distribution dist) {
  Params p;
  p.dist = dist;
  if (dist == Distribution::Normal) {
    p.a = node.attr_float("mean", 0.f);
    p.b = node.attr_float("scale", 1.f);
  } else {
    p.a = node.attr_float("low", 0.f);
    p.b = node.attr_float("high", 1.f);
  }
  return p;
}

Tensor draw(const Params& p, uint32_t seed, DataType dtype, const Shape& shape) {
  Tensor out(dtype, shape);
  std::vector<double> v(static_cast<size_t>(out.numel()));
  kernels::NumpyRandom rng(seed);
  if (p.dist == Distribution::Normal) {
    kernels::random_normal(rng, p.a, p.b, v.data(), out.numel());
  } else {
    kernels::random_uniform(rng, p.a, p.b, v.data(), out.numel());
  }
  convert_from_f64(dtype, v.data(), out.raw(), out.numel());
  return out;
}

Shape shape_attr(const Node& node, const std::function<void(const std::string&)>& fail) {
  if (!node.has_attr("shape")) fail("attribute shape is required");
  const Shape shape = node.attr_ints("shape");
  for (int64_t d : shape) {
    if (d < 0) fail(cat("attribute shape = ", shape_str(shape), " must not have negative dims"));
  }
  shape_numel(shape, "attribute shape");
  return shape;
}

void check_params(const Params& p, const std::function<void(const std::string&)>& fail) {
  if (!std::isfinite(p.a) || !std::isfinite(p.b)) fail("attributes mean/scale or low/high must be finite");
  if (p.dist == Distribution::Uniform && p.b < p.a) fail(cat("attribute high = ", p.b, " is below low = ", p.a));
}

OpDef make_generator(const char* op_type, Distribution dist, int since, int last) {
  const TypeList types = float_types(since);
  OpDef def;
  def.op_type = op_type;
  def.since_version = since;
  def.last_version = last;
  def.types = type_list_string(types);
  def.infer = [types](InferContext& ctx) {
    const auto fail = [&](const std::string& m) { ctx.fail(m); };
    const DataType dtype = dtype_attr(ctx.node, DataType::Float, types, fail);
    ctx.set_output(0, TypeInfo::tensor_of_shape(dtype, shape_attr(ctx.node, fail)));
  };
  def.create = [types, dist](const KernelInit& init) {
    const auto fail = [&](const std::string& m) { init.fail(m); };
    const DataType dtype = dtype_attr(init.node, DataType::Float, types, fail);
    const Shape shape = shape_attr(init.node, fail);
    const Params p = read_params(init.node, dist);
    check_params(p, fail);
    const Seed seed(init.node, fail);
    return make_kernel([=](KernelContext& ctx) { ctx.set_output(0, draw(p, seed.for_run(), dtype, shape)); });
  };
  return def;
}

// The *Like forms: the output type is `dtype`, else the input's, which must then be a float type.
DataType like_dtype(const Node& node, DataType input, const TypeList& types,
                    const std::function<void(const std::string&)>& fail) {
  const DataType t = dtype_attr(node, input, types, fail);
  if (!accepts(types, t)) {
    fail(cat("the input is ", dtype_name(input), ", which is not an output type (", type_list_string(types),
             "): set the dtype attribute"));
  }
  return t;
}

OpDef make_like(const char* op_type, Distribution dist, int since, int last) {
  const TypeList types = float_types(since);
  OpDef def;
  def.op_type = op_type;
  def.since_version = since;
  def.last_version = last;
  def.types = "input: any; output: " + type_list_string(types);
  def.infer = [types](InferContext& ctx) {
    const auto fail = [&](const std::string& m) { ctx.fail(m); };
    const DataType in = input_elem(ctx, 0);
    if (in == DataType::Undefined && ctx.node.attr_int("dtype", 0) == 0) return;
    const DataType dtype = like_dtype(ctx.node, in, types, fail);
    TypeInfo t = ctx.has_input(0) && ctx.input(0).is_tensor() ? ctx.input(0) : TypeInfo::tensor_unranked(dtype);
    t.elem = dtype;
    ctx.set_output(0, t);
  };
  def.create = [types, dist](const KernelInit& init) {
    const auto fail = [&](const std::string& m) { init.fail(m); };
    dtype_attr(init.node, DataType::Float, types, fail);  // a bad dtype fails at load
    const Params p = read_params(init.node, dist);
    check_params(p, fail);
    const Seed seed(init.node, fail);
    return make_kernel([=](KernelContext& ctx) {
      const Tensor& x = ctx.input(0);
      const DataType dtype = like_dtype(ctx.node(), x.dtype(), types, [&](const std::string& m) { ctx.fail(m); });
      ctx.set_output(0, draw(p, seed.for_run(), dtype, x.shape()));
    });
  };
  return def;
}

}  // namespace

void register_generators(Registry& r) {
  for (const auto& [since, last] : {std::pair{1, 21}, std::pair{22, kLatestOpset}}) {
    r.add(make_generator("RandomNormal", Distribution::Normal, since, last));
    r.add(make_generator("RandomUniform", Distribution::Uniform, since, last));
    r.add(make_like("RandomNormalLike", Distribution::Normal, since, last));
    r.add(make_like("RandomUniformLike", Distribution::Uniform, since, last));
  }
}

}  // namespace onnxi::ops::random
