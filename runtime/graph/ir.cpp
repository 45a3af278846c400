#include "onnxi/ir.h"

#include "onnxi/error.h"

namespace onnxi {

std::string Dim::str() const {
  if (is_known()) return std::to_string(value);
  return param.empty() ? "?" : param;
}

TypeInfo TypeInfo::tensor(DataType elem, std::vector<Dim> dims) {
  TypeInfo t;
  t.kind = Kind::Tensor;
  t.elem = elem;
  t.has_shape = true;
  t.dims = std::move(dims);
  return t;
}

TypeInfo TypeInfo::tensor_unranked(DataType elem) {
  TypeInfo t;
  t.kind = Kind::Tensor;
  t.elem = elem;
  return t;
}

TypeInfo TypeInfo::tensor_of_shape(DataType elem, const Shape& shape) {
  std::vector<Dim> dims;
  dims.reserve(shape.size());
  for (int64_t d : shape) dims.push_back(Dim::known(d));
  return tensor(elem, std::move(dims));
}

bool TypeInfo::shape_is_static() const noexcept {
  if (kind != Kind::Tensor || !has_shape) return false;
  for (const Dim& d : dims) {
    if (!d.is_known()) return false;
  }
  return true;
}

Shape TypeInfo::static_shape() const {
  ONNXI_CHECK(shape_is_static(), ErrorCode::Runtime, "type ", str(), " has no static shape");
  Shape s;
  for (const Dim& d : dims) s.push_back(d.value);
  return s;
}

std::string TypeInfo::str() const {
  switch (kind) {
    case Kind::Unknown: return "?";
    case Kind::Tensor:
    case Kind::SparseTensor: {
      std::string s = kind == Kind::SparseTensor ? "sparse " : "";
      s += dtype_name(elem);
      if (!has_shape) return s + "[unranked]";
      s += "[";
      for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + dims[i].str();
      return s + "]";
    }
    case Kind::Sequence: return "seq(" + (inner ? inner->str() : std::string("?")) + ")";
    case Kind::Optional: return "optional(" + (inner ? inner->str() : std::string("?")) + ")";
    case Kind::Map:
      return std::string("map(") + dtype_name(elem) + "," + (inner ? inner->str() : std::string("?")) + ")";
  }
  return "?";
}

const char* attribute_type_name(Attribute::Type t) noexcept {
  switch (t) {
    case Attribute::Type::Undefined: return "undefined";
    case Attribute::Type::Float: return "float";
    case Attribute::Type::Int: return "int";
    case Attribute::Type::String: return "string";
    case Attribute::Type::Tensor: return "tensor";
    case Attribute::Type::Graph: return "graph";
    case Attribute::Type::SparseTensor: return "sparse_tensor";
    case Attribute::Type::TypeProto: return "type_proto";
    case Attribute::Type::Floats: return "floats";
    case Attribute::Type::Ints: return "ints";
    case Attribute::Type::Strings: return "strings";
    case Attribute::Type::Tensors: return "tensors";
    case Attribute::Type::Graphs: return "graphs";
    case Attribute::Type::SparseTensors: return "sparse_tensors";
    case Attribute::Type::TypeProtos: return "type_protos";
  }
  return "unknown";
}

std::string Node::label() const {
  std::string s = "node '" + name + "' (";
  if (!domain.empty()) s += domain + ".";
  return s + op_type + ")";
}

const Attribute* Node::find_attr(const std::string& attr_name) const noexcept {
  for (const Attribute& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

namespace {

const Attribute* typed_attr(const Node& n, const std::string& attr_name, Attribute::Type want) {
  const Attribute* a = n.find_attr(attr_name);
  if (!a) return nullptr;
  if (a->type != want) {
    fail(ErrorCode::InvalidModel, cat(n.label(), ": attribute '", attr_name, "' must be of type ",
                                      attribute_type_name(want), ", got ", attribute_type_name(a->type)));
  }
  return a;
}

}  // namespace

int64_t Node::attr_int(const std::string& attr_name, int64_t fallback) const {
  const Attribute* a = typed_attr(*this, attr_name, Attribute::Type::Int);
  return a ? a->i : fallback;
}

float Node::attr_float(const std::string& attr_name, float fallback) const {
  const Attribute* a = typed_attr(*this, attr_name, Attribute::Type::Float);
  return a ? a->f : fallback;
}

std::string Node::attr_string(const std::string& attr_name, const std::string& fallback) const {
  const Attribute* a = typed_attr(*this, attr_name, Attribute::Type::String);
  return a ? a->s : fallback;
}

std::vector<int64_t> Node::attr_ints(const std::string& attr_name, std::vector<int64_t> fallback) const {
  const Attribute* a = typed_attr(*this, attr_name, Attribute::Type::Ints);
  return a ? a->ints : fallback;
}

std::vector<float> Node::attr_floats(const std::string& attr_name, std::vector<float> fallback) const {
  const Attribute* a = typed_attr(*this, attr_name, Attribute::Type::Floats);
  return a ? a->floats : fallback;
}

std::vector<std::string> Node::attr_strings(const std::string& attr_name, std::vector<std::string> fallback) const {
  const Attribute* a = typed_attr(*this, attr_name, Attribute::Type::Strings);
  return a ? a->strings : fallback;
}

const Tensor* Node::attr_tensor(const std::string& attr_name) const {
  const Attribute* a = typed_attr(*this, attr_name, Attribute::Type::Tensor);
  return a ? &a->t : nullptr;
}

std::shared_ptr<Graph> Node::attr_graph(const std::string& attr_name) const {
  const Attribute* a = typed_attr(*this, attr_name, Attribute::Type::Graph);
  return a ? a->g : nullptr;
}

size_t Node::num_present_inputs() const noexcept {
  size_t n = inputs.size();
  while (n > 0 && inputs[n - 1].empty()) --n;
  return n;
}

int64_t Model::opset_for(const std::string& domain) const noexcept {
  auto it = opset_imports.find(canonical_domain(domain));
  return it == opset_imports.end() ? 0 : it->second;
}

}  // namespace onnxi
