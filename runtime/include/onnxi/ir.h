// onnxi's own graph IR. The loader turns a ModelProto into these structs; nothing past the loader
// sees protobuf types. Names are the ONNX value names; "" marks an absent optional input/output.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "onnxi/tensor.h"

namespace onnxi {

// One dimension: a known size (value >= 0) or a symbol (param, possibly empty for "unknown").
struct Dim {
  int64_t value = -1;
  std::string param;

  static Dim known(int64_t v) { return Dim{v, {}}; }
  static Dim symbol(std::string name) { return Dim{-1, std::move(name)}; }
  bool is_known() const noexcept { return value >= 0; }
  std::string str() const;
  bool operator==(const Dim& o) const { return value == o.value && param == o.param; }
};

struct TypeInfo {
  enum class Kind { Unknown, Tensor, SparseTensor, Sequence, Optional, Map };
  Kind kind = Kind::Unknown;
  DataType elem = DataType::Undefined;  // tensor element type; map key type for Map
  bool has_shape = false;               // false: rank unknown
  std::vector<Dim> dims;
  std::shared_ptr<TypeInfo> inner;  // element type of Sequence/Optional, value type of Map

  static TypeInfo tensor(DataType elem, std::vector<Dim> dims);
  static TypeInfo tensor_unranked(DataType elem);
  static TypeInfo tensor_of_shape(DataType elem, const Shape& shape);
  bool is_tensor() const noexcept { return kind == Kind::Tensor; }
  // All dims known: the static shape.
  bool shape_is_static() const noexcept;
  Shape static_shape() const;  // throws unless shape_is_static()
  std::string str() const;     // "float32[N,3,224,224]", "seq(float32[?])", "?"
};

struct Graph;

struct Attribute {
  enum class Type {
    Undefined = 0, Float = 1, Int = 2, String = 3, Tensor = 4, Graph = 5, SparseTensor = 11,
    TypeProto = 13, Floats = 6, Ints = 7, Strings = 8, Tensors = 9, Graphs = 10, SparseTensors = 12,
    TypeProtos = 14,
  };
  std::string name;
  Type type = Type::Undefined;
  std::string ref_attr_name;  // inside a function body: take the value of the caller's attribute
  float f = 0.f;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;
  TypeInfo tp;
  std::vector<TypeInfo> tps;
};

const char* attribute_type_name(Attribute::Type t) noexcept;

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" and "ai.onnx" both mean the default domain; the loader stores ""
  std::string overload;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<Attribute> attributes;
  int opset = 0;  // 0: the model's import for `domain`; set for nodes inlined from a function

  // "node 'conv1' (Conv)": the prefix of every error about this node.
  std::string label() const;
  const Attribute* find_attr(const std::string& attr_name) const noexcept;
  bool has_attr(const std::string& attr_name) const noexcept { return find_attr(attr_name) != nullptr; }
  // Typed getters: a present attribute of the wrong type is an InvalidModel error naming the node.
  int64_t attr_int(const std::string& attr_name, int64_t fallback) const;
  float attr_float(const std::string& attr_name, float fallback) const;
  std::string attr_string(const std::string& attr_name, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& attr_name, std::vector<int64_t> fallback = {}) const;
  std::vector<float> attr_floats(const std::string& attr_name, std::vector<float> fallback = {}) const;
  std::vector<std::string> attr_strings(const std::string& attr_name,
                                        std::vector<std::string> fallback = {}) const;
  const Tensor* attr_tensor(const std::string& attr_name) const;  // null when absent
  std::shared_ptr<Graph> attr_graph(const std::string& attr_name) const;  // null when absent
  // Number of inputs actually given (trailing "" removed).
  size_t num_present_inputs() const noexcept;
  bool input_present(size_t i) const noexcept { return i < inputs.size() && !inputs[i].empty(); }
};

struct ValueInfo {
  std::string name;
  TypeInfo type;
  std::string doc;
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;  // topologically sorted after validation
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::vector<ValueInfo> value_info;
  std::map<std::string, Tensor> initializers;
};

struct FunctionDef {
  std::string domain;
  std::string name;
  std::string overload;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<std::string> attributes;      // attribute names without defaults
  std::vector<Attribute> attribute_defaults;  // attributes with defaults
  std::vector<Node> nodes;
  std::map<std::string, int64_t> opset_imports;
};

struct Model {
  int64_t ir_version = 0;
  std::string producer_name;
  std::string producer_version;
  std::map<std::string, int64_t> opset_imports;  // domain ("" for ai.onnx) -> version
  std::map<std::string, std::string> metadata;
  Graph graph;
  std::vector<FunctionDef> functions;  // model-local functions (inlined by the loader)
  std::string base_dir;                // folder the model was loaded from ("" for bytes)

  int64_t opset_for(const std::string& domain) const noexcept;  // 0 when not imported
};

// "" and "ai.onnx" are the same domain.
inline std::string canonical_domain(const std::string& d) { return d == "ai.onnx" ? std::string() : d; }

}  // namespace onnxi
