// Shape, Size, Constant, ConstantOfShape: ops whose output is known at load whenever the shapes
// (or attributes) are, so inference folds them into constants for the ops downstream.
#include <algorithm>
#include <cstring>

#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace onnxi::ops::tensor {
namespace {

// [start, end) of Shape-15: negative values count from the back, then both clamp into [0, rank].
std::pair<int64_t, int64_t> shape_range(const Node& node, int64_t opset, int64_t rank) {
  if (opset < 15) return {0, rank};
  auto clampi = [rank](int64_t v) {
    if (v < 0) v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  const int64_t start = clampi(node.attr_int("start", 0));
  const int64_t end = node.has_attr("end") ? clampi(node.attr_int("end", rank)) : rank;
  return {start, std::max(start, end)};
}

void infer_shape(InferContext& ctx) {
  const std::vector<Dim>* in = known_dims(ctx, 0);
  if (!in) {
    ctx.set_output(0, TypeInfo::tensor(DataType::Int64, {Dim{}}));
    return;
  }
  auto [start, end] = shape_range(ctx.node, ctx.opset, static_cast<int64_t>(in->size()));
  ctx.set_output(0, TypeInfo::tensor(DataType::Int64, {Dim::known(end - start)}));
  std::vector<int64_t> values;
  for (int64_t k = start; k < end; ++k) {
    const Dim& d = (*in)[static_cast<size_t>(k)];
    if (!d.is_known()) return;
    values.push_back(d.value);
  }
  ctx.output_constants.resize(1);
  ctx.output_constants[0] = Tensor::from_vector(values, {static_cast<int64_t>(values.size())});
}

void run_shape(KernelContext& ctx) {
  const Value& v = ctx.input_value(0);
  if (!v.is_tensor()) ctx.fail(cat("input 0 must be a tensor, got ", v.describe()));
  const Shape& s = v.tensor().shape();
  auto [start, end] = shape_range(ctx.node(), ctx.opset(), static_cast<int64_t>(s.size()));
  std::vector<int64_t> values(s.begin() + start, s.begin() + end);
  ctx.set_output(0, Value(Tensor::from_vector(values, {end - start})));
}

void infer_size(InferContext& ctx) {
  ctx.set_output(0, TypeInfo::tensor(DataType::Int64, {}));
  const std::vector<Dim>* in = known_dims(ctx, 0);
  if (!in) return;
  int64_t n = 1;
  for (const Dim& d : *in) {
    if (!d.is_known()) return;
    n *= d.value;
  }
  ctx.output_constants.resize(1);
  ctx.output_constants[0] = Tensor::scalar_i64(n);
}

void run_size(KernelContext& ctx) { ctx.set_output(0, Value(Tensor::scalar_i64(ctx.input(0).numel()))); }

// ---- Constant --------------------------------------------------------------------------------------
Tensor constant_value(const Node& node) {
  const Attribute* found = nullptr;
  for (const Attribute& a : node.attributes) {
    if (a.name != "value" && a.name != "sparse_value" && a.name.rfind("value_", 0) != 0) continue;
    ONNXI_CHECK(found == nullptr, ErrorCode::InvalidModel, node.label(), ": has both '", found ? found->name : "",
                "' and '", a.name, "'; a Constant takes exactly one value attribute");
    found = &a;
  }
  ONNXI_CHECK(found, ErrorCode::InvalidModel, node.label(),
              ": has no value attribute; give one of value, sparse_value, value_float(s), value_int(s), value_string(s)");
  const Attribute& a = *found;
  const std::string& n = a.name;
  if (n == "value" || n == "sparse_value") {
    ONNXI_CHECK(a.t.defined(), ErrorCode::InvalidModel, node.label(), ": attribute '", n, "' holds no tensor");
    return a.t;
  }
  if (n == "value_float") return Tensor::scalar_f32(node.attr_float(n, 0.f));
  if (n == "value_int") return Tensor::scalar_i64(node.attr_int(n, 0));
  if (n == "value_floats") {
    std::vector<float> v = node.attr_floats(n);
    return Tensor::from_vector(v, {static_cast<int64_t>(v.size())});
  }
  if (n == "value_ints") {
    std::vector<int64_t> v = node.attr_ints(n);
    return Tensor::from_vector(v, {static_cast<int64_t>(v.size())});
  }
  if (n == "value_string") {
    Tensor t(DataType::String, {});
    *t.data<std::string>() = node.attr_string(n, "");
    return t;
  }
  if (n == "value_strings") {
    std::vector<std::string> v = node.attr_strings(n);
    return Tensor::from_vector(v, {static_cast<int64_t>(v.size())});
  }
  fail(ErrorCode::InvalidModel, cat(node.label(), ": unknown Constant attribute '", n, "'"));
}

void infer_constant(InferContext& ctx) {
  Tensor t = constant_value(ctx.node);
  ctx.set_output(0, TypeInfo::tensor_of_shape(t.dtype(), t.shape()));
  ctx.output_constants.resize(1);
  ctx.output_constants[0] = t;
}

std::unique_ptr<Kernel> create_constant(const KernelInit& init) {
  Tensor t = constant_value(init.node);
  return make_kernel([t](KernelContext& ctx) { ctx.set_output(0, Value(t)); });
}

// ---- ConstantOfShape ---------------------------------------------------------------------------------
Tensor fill_value(const Node& node) {
  const Tensor* v = node.attr_tensor("value");
  if (v == nullptr) return Tensor::scalar_f32(0.f);
  ONNXI_CHECK(v->numel() == 1, ErrorCode::InvalidModel, node.label(), ": 'value' must hold exactly one element, got ",
              v->describe());
  return *v;
}

Tensor constant_of_shape(const Tensor& value, const Shape& shape, const Node& node, ErrorCode code) {
  for (int64_t d : shape) {
    ONNXI_CHECK(d >= 0, code, node.label(), ": shape ", shape_str(shape), " has a negative dimension");
  }
  Tensor out(value.dtype(), shape);
  if (value.dtype() == DataType::String) {
    for (int64_t i = 0; i < out.numel(); ++i) out.data<std::string>()[i] = *value.data<std::string>();
  } else if (is_packed(value.dtype())) {
    Tensor bytes = unpack_elements(value);
    Tensor filled(DataType::UInt8, shape);
    std::fill(filled.data<uint8_t>(), filled.data<uint8_t>() + filled.numel(), *bytes.data<uint8_t>());
    out = pack_elements(filled, value.dtype());
  } else {
    const size_t es = element_size(value.dtype());
    auto* d = static_cast<unsigned char*>(out.raw());
    for (int64_t i = 0; i < out.numel(); ++i) std::memcpy(d + static_cast<size_t>(i) * es, value.raw(), es);
  }
  return out;
}

void infer_constant_of_shape(InferContext& ctx) {
  Tensor value = fill_value(ctx.node);
  if (std::optional<std::vector<int64_t>> shape = constant_ints(ctx, 0)) {
    ctx.set_output(0, TypeInfo::tensor_of_shape(value.dtype(), *shape));
    int64_t n = 1;
    for (int64_t d : *shape) n *= std::max<int64_t>(d, 0);
    if (n <= 64) {  // small fills (shape arithmetic) fold; large ones stay runtime work
      ctx.output_constants.resize(1);
      ctx.output_constants[0] = constant_of_shape(value, *shape, ctx.node, ErrorCode::InvalidModel);
    }
    return;
  }
  const std::vector<Dim>* sd = known_dims(ctx, 0);
  if (sd && sd->size() == 1 && (*sd)[0].is_known()) {
    ctx.set_output(0, TypeInfo::tensor(value.dtype(), std::vector<Dim>(static_cast<size_t>((*sd)[0].value))));
  } else {
    ctx.set_output(0, TypeInfo::tensor_unranked(value.dtype()));
  }
}

std::unique_ptr<Kernel> create_constant_of_shape(const KernelInit& init) {
  Tensor value = fill_value(init.node);
  return make_kernel([value](KernelContext& ctx) {
    ctx.set_output(0, Value(constant_of_shape(value, int_input(ctx, 0), ctx.node(), ErrorCode::Runtime)));
  });
}

}  // namespace

void register_shape(Registry& r) {
  r.add({"", "Shape", 1, 14, infer_shape, kernel_of(run_shape), kAllTypes});
  r.add({"", "Shape", 15, kLatestOpset, infer_shape, kernel_of(run_shape), kAllTypes});
  r.add({"", "Size", 1, kLatestOpset, infer_size, kernel_of(run_size), kAllTypes});
  r.add({"", "Constant", 1, kLatestOpset, infer_constant, create_constant, kAllTypes});
  r.add({"", "ConstantOfShape", 9, kLatestOpset, infer_constant_of_shape, create_constant_of_shape, kAllTypes});
}

}  // namespace onnxi::ops::tensor
