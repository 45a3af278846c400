// What the passes ask of a graph: who reads a value (nodes of this graph and, by name, any
// subgraph below it), whether it is a graph output, and whether it is a constant no feed can
// replace. Plus small editing helpers.
#pragma once

#include <map>
#include <set>
#include <string>

#include "onnxi/ir.h"
#include "onnxi/registry.h"

namespace onnxi::passes {

class GraphUses {
 public:
  explicit GraphUses(const Graph& g);
  // Readers of `name`: node inputs of this graph, plus one for each subgraph that mentions it.
  int consumers(const std::string& name) const;
  bool is_graph_output(const std::string& name) const { return outputs_.count(name) != 0; }
  bool is_graph_input(const std::string& name) const { return inputs_.count(name) != 0; }
  // The float initializer called `name`, unless a graph input of that name can override it; else null.
  const Tensor* constant_float(const std::string& name) const;
  // The same for any element type.
  const Tensor* constant(const std::string& name) const;
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
// The same for a pass that makes many names: g is scanned once, and each name made counts as used.
class NameAllocator {
 public:
  explicit NameAllocator(const Graph& g);
  std::string make(const std::string& base);

 private:
  std::set<std::string> used_;
};
// The rank the model declares for `name` (graph input, value_info or initializer), or -1.
int64_t declared_rank(const Graph& g, const std::string& name);
// A float/numeric buffer for a weight a pass computes (contents unspecified: the pass writes every
// element), from the plain allocator instead of the tensor buffer cache: a kernel usually packs
// such a weight and the session then frees it, and its memory must go back to the system rather
// than stay cached (which took a process-wide cache trim at every session creation before).
Tensor new_weight_buffer(DataType dtype, Shape shape);
// Removes the nodes at the given indices, keeping the order of the rest.
void erase_nodes(Graph& g, const std::set<size_t>& indices);
// Every read of `from` becomes a read of `to`: node inputs of g, and inside subgraphs wherever
// `from` still names g's value (a subgraph that defines its own `from` shadows it). False,
// changing nothing, when a subgraph defines its own `to`, which would capture those reads.
bool rename_reads(Graph& g, const std::string& from, const std::string& to);
bool can_rename_reads(const Graph& g, const std::string& from, const std::string& to);
// Makes every reader of `value` read `source` instead (the two hold the same data), so the node
// producing `value` can go. A graph output keeps its name: then `source`'s producer (a node not in
// `removed`) is renamed to produce `value`, which needs `source` to be no graph input, output or
// initializer. False, changing nothing, when neither way works.
bool replace_value(Graph& g, const std::string& value, const std::string& source, const std::set<size_t>& removed);
// The attribute `name` when present with type `type`; null otherwise. Passes read attributes
// through this: a malformed attribute must leave the node alone (its op reports it), not throw.
const Attribute* typed_attr(const Node& n, const std::string& name, Attribute::Type type);
// Attributes a rewrite gives the nodes it makes.
Attribute float_attr(const char* name, float v);
Attribute int_attr(const char* name, int64_t v);
Attribute string_attr(const char* name, std::string v);
// Ops whose outputs may differ between two runs on the same inputs: never folded nor merged.
bool is_nondeterministic(const Node& n);
bool has_subgraph(const Node& n);
// Whether the op of n is the built-in one (not absent, not replaced by a custom registry):
// passes only reason about ops whose semantics they know.
bool is_standard_op(const Node& n, const Model& model, const Registry* custom);

// The passes (one file each).
// initializers_writable: the graph's initializers belong to the session (see run_passes).
int fold_conv_batchnorm(Graph& g, bool initializers_writable = false);  // fold_conv_batchnorm.cpp (extended)
int fuse_conv_activation(Model& model);  // fuse_conv_activation.cpp (extended)
int fold_conv_mul_add(Graph& g);       // fold_conv_mul_add.cpp (extended)
int fold_shapes(Model& model, const Registry* custom);           // fold_shapes.cpp (basic)
int fold_constants(Model& model, const Registry* custom);        // fold_constants.cpp (basic)
int eliminate_dead_nodes(Model& model, const Registry* custom);  // eliminate_dead.cpp (basic)
int remove_unused_initializers(Graph& g);                        // eliminate_dead.cpp (basic)
int eliminate_common_subexpressions(Model& model, const Registry* custom);  // eliminate_common_subexpressions.cpp
int eliminate_noops(Model& model, const Registry* custom);       // eliminate_noops.cpp (basic)
int collapse_reshape_chains(Model& model, const Registry* custom);  // collapse_reshape_chains.cpp (basic)
int fold_transpose_matmul(Model& model);  // fold_transpose_matmul.cpp (extended)
int fuse_matmul_bias(Model& model);       // fuse_matmul_bias.cpp (extended)
int fuse_layernorm(Model& model);        // fuse_layernorm.cpp (extended): LayerNorm, SkipLayerNorm, RMSNorm
int fuse_gelu(Model& model);             // fuse_gelu.cpp (extended)
int layout_nchwc(Model& model);          // layout_nchwc.cpp (all)
int fuse_attention(Model& model);        // fuse_attention.cpp (extended)

}  // namespace onnxi::passes
