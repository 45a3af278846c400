// Types, shapes and load-time values of a graph's values, as the executor's compile step infers
// them (the op's own `infer`, declared value_info where inference knows less), but without creating
// kernels. Shapes are otherwise only known inside exec::compile, so the passes that need them
// (shape folding, no-op elimination, constant folding's size budget) run inference once here.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "onnxi/ir.h"
#include "onnxi/registry.h"

namespace onnxi::passes {

class ValueTypes {
 public:
  // Seeds graph inputs (declared types) and initializers; no node is inferred yet.
  ValueTypes(const Model& model, const Graph& g, const Registry* custom);
  // The same, then every node in order (g is topologically sorted).
  static ValueTypes of_graph(const Model& model, const Graph& g, const Registry* custom);

  struct NodeResult {
    const OpDef* op = nullptr;  // null: the op does not resolve
    int64_t opset = 0;
    bool inferred = false;      // infer ran without an error
    std::vector<TypeInfo> types;
    std::vector<Tensor> constants;  // undefined where inference did not learn the value
  };
  // Infers n from what is known of its inputs and records its outputs. Never throws: an op whose
  // inference fails leaves its outputs Unknown (compile reports the error later, as before).
  NodeResult infer(const Node& n);

  // Unknown when nothing is known.
  const TypeInfo& type(const std::string& name) const;
  // A static shape for `name`, or null.
  const Shape* static_shape(const std::string& name) const;
  // Initializers no graph input overrides, and values inference learned; null otherwise.
  const Tensor* constant(const std::string& name) const;
  void set_constant(const std::string& name, const Tensor& t);

 private:
  void set_type(const std::string& name, TypeInfo t);

  const Model& model_;
  const Registry* custom_;
  std::map<std::string, TypeInfo> types_;
  std::map<std::string, Shape> static_shapes_;
  std::map<std::string, Tensor> constants_;
  std::map<std::string, const TypeInfo*> declared_;
  int symbols_ = 0;
};

}  // namespace onnxi::passes
