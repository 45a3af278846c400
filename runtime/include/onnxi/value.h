// Value: what flows along a graph edge. A tensor, a sequence of values, an optional (present or
// absent) or a map (keys tensor, values sequence), as the ONNX type system has them.
#pragma once

#include <memory>
#include <vector>

#include "onnxi/tensor.h"

namespace onnxi {

struct TypeInfo;

class Value {
 public:
  enum class Kind { None, Tensor, Sequence, Optional, Map };

  Value() = default;  // None: no value (an absent optional input, a released slot)
  Value(Tensor t) : kind_(Kind::Tensor), tensor_(std::move(t)) {}  // NOLINT: implicit on purpose

  static Value sequence(DataType elem_type, std::vector<Value> items);
  static Value optional_empty(std::shared_ptr<const TypeInfo> elem_type = nullptr);
  static Value optional_of(Value v);
  static Value map(Tensor keys, Value values);  // values: a tensor of the same length

  Kind kind() const noexcept { return kind_; }
  bool is_none() const noexcept { return kind_ == Kind::None; }
  bool is_tensor() const noexcept { return kind_ == Kind::Tensor; }
  bool is_sequence() const noexcept { return kind_ == Kind::Sequence; }
  bool is_optional() const noexcept { return kind_ == Kind::Optional; }
  bool is_map() const noexcept { return kind_ == Kind::Map; }

  const Tensor& tensor() const;  // throws unless is_tensor()
  Tensor& tensor();
  // Sequence items; for an Optional, zero or one item; for a Map, {keys, values}.
  const std::vector<Value>& items() const;
  DataType sequence_elem_type() const noexcept { return elem_type_; }
  bool optional_has_value() const noexcept { return is_optional() && items_ && !items_->empty(); }
  const Value& optional_value() const;
  // For an empty optional, the type it would hold (may be null when unknown).
  const std::shared_ptr<const TypeInfo>& optional_type() const noexcept { return opt_type_; }

  std::string describe() const;  // "float32[2,3]", "seq<float32>[4]", "optional(empty)"

 private:
  Kind kind_ = Kind::None;
  Tensor tensor_;
  std::shared_ptr<const std::vector<Value>> items_;
  DataType elem_type_ = DataType::Undefined;
  std::shared_ptr<const TypeInfo> opt_type_;
};

}  // namespace onnxi
