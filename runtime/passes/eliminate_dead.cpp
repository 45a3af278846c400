// Dead-node elimination and unused-initializer removal.
//
// ONNX inference has no side effects, so a node none of whose outputs is read (by a node, a
// subgraph, or as a graph output) can go; nodes feeding only dead nodes go with them (one walk
// backwards over the sorted graph). Ops from a custom registry stay: their kernels may do
// something besides computing outputs.
//
// An initializer nobody reads goes too, unless it is also a graph input (an overridable default
// that is part of the model's interface) or a graph output.
#include <set>
#include <vector>

#include "runtime/graph/prepare.h"
#include "runtime/passes/pass_util.h"

namespace onnxi::passes {

int eliminate_dead_nodes(Model& model, const Registry* custom) {
  Graph& g = model.graph;
  std::vector<std::vector<std::string>> reads(g.nodes.size());
  std::map<std::string, int> readers;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    for (const std::string& in : n.inputs) {
      if (!in.empty()) reads[i].push_back(in);
    }
    for (const Attribute& a : n.attributes) {
      if (a.g) {
        for (const std::string& name : graph::free_names(*a.g)) reads[i].push_back(name);
      }
      for (const auto& sub : a.graphs) {
        if (!sub) continue;
        for (const std::string& name : graph::free_names(*sub)) reads[i].push_back(name);
      }
    }
    for (const std::string& name : reads[i]) ++readers[name];
  }
  for (const ValueInfo& o : g.outputs) ++readers[o.name];

  std::set<size_t> dead;
  for (size_t i = g.nodes.size(); i-- > 0;) {
    const Node& n = g.nodes[i];
    bool read = false;
    for (const std::string& o : n.outputs) read = read || (!o.empty() && readers[o] > 0);
    if (read || !is_standard_op(n, model, custom)) continue;
    dead.insert(i);
    for (const std::string& name : reads[i]) --readers[name];
  }
  erase_nodes(g, dead);
  return static_cast<int>(dead.size());
}

int remove_unused_initializers(Graph& g) {
  const GraphUses uses(g);
  int removed = 0;
  for (auto it = g.initializers.begin(); it != g.initializers.end();) {
    const std::string& name = it->first;
    if (uses.consumers(name) == 0 && !uses.is_graph_output(name) && !uses.is_graph_input(name)) {
      it = g.initializers.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

}  // namespace onnxi::passes
