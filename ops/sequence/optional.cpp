// Optional (15), OptionalHasElement (15, 18) and OptionalGetElement (15, 18).
// Opset 18 lets the last two take a plain tensor or sequence (always "present") and lets
// OptionalHasElement's input be absent (never present).
#include "ops/sequence/sequence.h"

namespace onnxi::ops::sequence {
namespace {

const Attribute* type_attr(const Node& node) {
  const Attribute* a = node.find_attr("type");
  if (a && a->type != Attribute::Type::TypeProto) {
    fail(ErrorCode::InvalidModel, cat(node.label(), ": attribute 'type' must be a type_proto, got ",
                                      attribute_type_name(a->type)));
  }
  return a;
}

void infer_optional(InferContext& ctx) {
  const Attribute* type = type_attr(ctx.node);
  if (ctx.has_input(0)) {
    ctx.set_output(0, optional_type(ctx.input(0)));
  } else if (type) {
    ctx.set_output(0, optional_type(type->tp));
  } else {
    ctx.fail("has neither an input nor a 'type' attribute; an empty Optional needs 'type'");
  }
}

std::unique_ptr<Kernel> create_optional(const KernelInit& init) {
  const Attribute* type = type_attr(init.node);
  std::shared_ptr<const TypeInfo> empty_type = type ? std::make_shared<const TypeInfo>(type->tp) : nullptr;
  return make_kernel([empty_type](KernelContext& ctx) {
    if (ctx.has_input(0)) {
      ctx.set_output(0, Value::optional_of(ctx.input_value(0)));
    } else {
      ctx.set_output(0, Value::optional_empty(empty_type));
    }
  });
}

void infer_has_element(InferContext& ctx) { ctx.set_output(0, TypeInfo::tensor(DataType::Bool, {})); }

void run_has_element(KernelContext& ctx) {
  const Value& v = ctx.num_inputs() > 0 ? ctx.input_value(0) : Value();
  if (ctx.opset() < 18 && !v.is_optional() && !v.is_none()) {
    ctx.fail(cat("input 0 must be an optional before opset 18, got ", v.describe()));
  }
  Tensor out(DataType::Bool, {});
  out.data<bool>()[0] = v.is_optional() ? v.optional_has_value() : !v.is_none();
  ctx.set_output(0, Value(std::move(out)));
}

void infer_get_element(InferContext& ctx) {
  const TypeInfo& t = ctx.input(0);
  if (t.kind == TypeInfo::Kind::Optional) {
    if (t.inner) ctx.set_output(0, *t.inner);
    return;
  }
  if (ctx.opset < 18 && t.kind != TypeInfo::Kind::Unknown) {
    ctx.fail(cat("input 0 must be an optional before opset 18, got ", t.str()));
  }
  ctx.set_output(0, t);
}

void run_get_element(KernelContext& ctx) {
  const Value& v = ctx.input_value(0);
  if (v.is_optional()) {
    if (!v.optional_has_value()) ctx.fail("the optional input is empty; check OptionalHasElement before reading it");
    ctx.set_output(0, v.optional_value());
    return;
  }
  if (v.is_none()) ctx.fail("input 0 is missing");
  if (ctx.opset() < 18) ctx.fail(cat("input 0 must be an optional before opset 18, got ", v.describe()));
  ctx.set_output(0, v);
}

}  // namespace

void register_optional(Registry& r) {
  const char* types = "optionals of all tensor and sequence types";
  r.add({"", "Optional", 15, kLatestOpset, infer_optional, create_optional, types});
  r.add({"", "OptionalHasElement", 15, 17, infer_has_element, stateless(run_has_element), types});
  r.add({"", "OptionalHasElement", 18, kLatestOpset, infer_has_element, stateless(run_has_element),
         "optionals, tensors, sequences (an absent input reads as empty)"});
  r.add({"", "OptionalGetElement", 15, 17, infer_get_element, stateless(run_get_element), types});
  r.add({"", "OptionalGetElement", 18, kLatestOpset, infer_get_element, stateless(run_get_element),
         "optionals, tensors, sequences"});
}

}  // namespace onnxi::ops::sequence
