#include "onnxi/value.h"

#include "onnxi/error.h"
#include "onnxi/ir.h"

namespace onnxi {
namespace {
const std::vector<Value> kNoItems;
}  // namespace

Value Value::sequence(DataType elem_type, std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::Sequence;
  v.elem_type_ = elem_type;
  v.items_ = std::make_shared<const std::vector<Value>>(std::move(items));
  return v;
}

Value Value::optional_empty(std::shared_ptr<const TypeInfo> elem_type) {
  Value v;
  v.kind_ = Kind::Optional;
  v.items_ = std::make_shared<const std::vector<Value>>();
  v.opt_type_ = std::move(elem_type);
  return v;
}

Value Value::optional_of(Value inner) {
  Value v;
  v.kind_ = Kind::Optional;
  v.items_ = std::make_shared<const std::vector<Value>>(std::vector<Value>{std::move(inner)});
  return v;
}

Value Value::map(Tensor keys, Value values) {
  Value v;
  v.kind_ = Kind::Map;
  v.elem_type_ = keys.dtype();
  v.items_ = std::make_shared<const std::vector<Value>>(std::vector<Value>{Value(std::move(keys)), std::move(values)});
  return v;
}

const Tensor& Value::tensor() const {
  ONNXI_CHECK(is_tensor(), ErrorCode::Runtime, "expected a tensor, got ", describe());
  return tensor_;
}

Tensor& Value::tensor() {
  ONNXI_CHECK(is_tensor(), ErrorCode::Runtime, "expected a tensor, got ", describe());
  return tensor_;
}

const std::vector<Value>& Value::items() const { return items_ ? *items_ : kNoItems; }

const Value& Value::optional_value() const {
  ONNXI_CHECK(optional_has_value(), ErrorCode::Runtime, "the optional holds no value");
  return (*items_)[0];
}

std::string Value::describe() const {
  switch (kind_) {
    case Kind::None: return "none";
    case Kind::Tensor: return tensor_.describe();
    case Kind::Sequence: return cat("seq<", dtype_name(elem_type_), ">[", items().size(), "]");
    case Kind::Optional: return optional_has_value() ? "optional(" + items()[0].describe() + ")" : "optional(empty)";
    case Kind::Map: return cat("map<", dtype_name(elem_type_), ">");
  }
  return "?";
}

}  // namespace onnxi
