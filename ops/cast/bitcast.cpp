// BitCast (opset 26): reinterprets the bytes of a tensor as another element type of the same bit
// width, without converting values. The output shares the input's buffer, except for a cast to
// bool: onnxi stores bool as one byte that must be 0 or 1, so there any nonzero byte becomes 1
// (the one place where the bits are not kept, since 2 is no bool). Packed 4-bit and 2-bit types
// are stored alike, so int4 <-> uint4 <-> float4e2m1 and int2 <-> uint2 keep their packing.
#include <memory>

#include "ops/cast/cast.h"

namespace onnxi::ops {
namespace {

// Every element type but string and the two float6 types, which the BitCast schema leaves out.
bool bitcast_supports(DataType t) {
  return t != DataType::Undefined && t != DataType::String && t != DataType::Float6E2M3 &&
         t != DataType::Float6E3M2 && is_valid_dtype(static_cast<int32_t>(t));
}

DataType read_bitcast_to(const Node& node) {
  const Attribute* a = node.find_attr("to");
  ONNXI_CHECK(a, ErrorCode::InvalidModel, node.label(), ": the required attribute 'to' is missing");
  ONNXI_CHECK(a->type == Attribute::Type::Int, ErrorCode::InvalidModel, node.label(),
              ": attribute 'to' must be an int (a TensorProto.DataType value), not ", attribute_type_name(a->type));
  ONNXI_CHECK(a->i == static_cast<int32_t>(a->i) && is_valid_dtype(static_cast<int32_t>(a->i)) &&
                  bitcast_supports(static_cast<DataType>(a->i)),
              ErrorCode::InvalidModel, node.label(), ": attribute 'to' is ", a->i,
              ", which is not a BitCast target (any tensor element type but string and float6)");
  return static_cast<DataType>(a->i);
}

// Empty when `from` can be reinterpreted as `to`; else why not.
std::string bitcast_problem(DataType from, DataType to) {
  if (!bitcast_supports(from)) {
    return cat("input 0 has element type ", dtype_name(from),
               ", which BitCast does not take (string and float6 are excluded)");
  }
  if (element_bits(from) != element_bits(to)) {
    return cat("input 0 is ", dtype_name(from), " (", element_bits(from), " bits) but 'to' is ", dtype_name(to), " (",
               element_bits(to), " bits); BitCast needs types of the same bit width");
  }
  return {};
}

Tensor bitcast(const Tensor& x, DataType to) {
  if (x.dtype() == to) return x;
  if (to == DataType::Bool) {
    Tensor y(to, x.shape());
    const auto* src = static_cast<const uint8_t*>(x.raw());
    bool* dst = y.data<bool>();
    for (int64_t i = 0; i < x.numel(); ++i) dst[i] = src[i] != 0;
    return y;
  }
  // The wrapper keeps a copy of x (which aliases its buffer) alive for as long as the view lives.
  auto owner = std::make_shared<Tensor>(x);
  return Tensor::wrap(to, x.shape(), owner, owner->raw());
}

}  // namespace

void register_bitcast_op(Registry& r) {
  OpDef def;
  def.op_type = "BitCast";
  def.since_version = 26;
  def.types = "all but string and float6, to a type of the same bit width";
  def.infer = [](InferContext& ctx) {
    const DataType to = read_bitcast_to(ctx.node);
    const TypeInfo& in = ctx.input(0);
    if (in.kind == TypeInfo::Kind::Unknown) {
      ctx.set_output(0, TypeInfo::tensor_unranked(to));
      return;
    }
    if (!in.is_tensor()) ctx.fail(cat("input 0 is ", in.str(), "; BitCast takes a tensor"));
    if (in.elem != DataType::Undefined) {
      const std::string problem = bitcast_problem(in.elem, to);
      if (!problem.empty()) ctx.fail(problem);
    }
    TypeInfo out = in;
    out.elem = to;
    ctx.set_output(0, std::move(out));
    // Constants reinterpret at load, so shape arithmetic through BitCast stays static.
    const Tensor* x = ctx.constant(0);
    if (x && !ctx.output_constants.empty() && bitcast_problem(x->dtype(), to).empty()) {
      ctx.output_constants[0] = bitcast(*x, to);
    }
  };
  def.create = [](const KernelInit& init) -> std::unique_ptr<Kernel> {
    const DataType to = read_bitcast_to(init.node);
    return make_kernel([to](KernelContext& ctx) {
      const Tensor& x = ctx.input(0);
      const std::string problem = bitcast_problem(x.dtype(), to);
      if (!problem.empty()) ctx.fail(problem);
      ctx.set_output(0, Value(bitcast(x, to)));
    });
  };
  r.add(std::move(def));
}

}  // namespace onnxi::ops
