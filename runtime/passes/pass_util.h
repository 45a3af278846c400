// What the passes ask of a graph: who reads a value (nodes of this graph and, by name, any
// subgraph below it), whether it is a graph output, and whether it is a constant no feed can
// replace. Plus small editing helpers.
#pragma once

#include <map>
#include <set>
#include <string>

#include "onnxi/ir.h"

namespace onnxi::passes {

class GraphUses {
 public:
  explicit GraphUses(const Graph& g);
  // Readers of `name`: node inputs of this graph, plus one for each subgraph that mentions it.
  int consumers(const std::string& name) const;
  bool is_graph_output(const std::string& name) const { return outputs_.count(name) != 0; }
  // The float initializer called `name`, unless a graph input of that name can override it; else null.
  const Tensor* constant_float(const std::string& name) const;
  // The index of the node of this graph that produces `name`, or -1.
  int64_t producer(const std::string& name) const;

 private:
  const Graph& g_;
  std::map<std::string, int> readers_;
  std::map<std::string, int64_t> producers_;
  std::set<std::string> outputs_, inputs_;
};

// `base`, or base_1, base_2, ... : a name no value or initializer of g uses yet.
std::string unique_name(const Graph& g, const std::string& base);
// Removes the nodes at the given indices, keeping the order of the rest.
void erase_nodes(Graph& g, const std::set<size_t>& indices);

// The passes (one file each).
int fold_conv_batchnorm(Graph& g);     // fold_conv_batchnorm.cpp (extended)
int fuse_conv_activation(Model& model);  // fuse_conv_activation.cpp (extended)
int fuse_attention(Model& model);        // fuse_attention.cpp (extended)

}  // namespace onnxi::passes
