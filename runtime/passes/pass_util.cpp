#include "runtime/passes/pass_util.h"


namespace onnxi::passes {
namespace {

// Counts every name the nodes of g read, and everything the subgraphs below them read (their
// outputs included), so a value used from inside an If or Loop body counts as used.
void count_reads(const Graph& g, bool is_subgraph, std::map<std::string, int>& readers) {
  for (const Node& n : g.nodes) {
    for (const std::string& in : n.inputs) {
      if (!in.empty()) ++readers[in];
    }
    for (const Attribute& a : n.attributes) {
      if (a.g) count_reads(*a.g, true, readers);
      for (const auto& sub : a.graphs) {
        if (sub) count_reads(*sub, true, readers);
      }
    }
  }
  if (is_subgraph) {
    for (const ValueInfo& o : g.outputs) ++readers[o.name];
  }
}

}  // namespace

GraphUses::GraphUses(const Graph& g) : g_(g) {
  count_reads(g, false, readers_);
  for (const ValueInfo& o : g.outputs) outputs_.insert(o.name);
  for (const ValueInfo& i : g.inputs) inputs_.insert(i.name);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const std::string& o : g.nodes[i].outputs) {
      if (!o.empty()) producers_[o] = static_cast<int64_t>(i);
    }
  }
}

int64_t GraphUses::producer(const std::string& name) const {
  auto it = producers_.find(name);
  return it == producers_.end() ? -1 : it->second;
}

int GraphUses::consumers(const std::string& name) const {
  auto it = readers_.find(name);
  return it == readers_.end() ? 0 : it->second;
}

const Tensor* GraphUses::constant_float(const std::string& name) const {
  if (name.empty() || inputs_.count(name)) return nullptr;
  auto it = g_.initializers.find(name);
  if (it == g_.initializers.end() || it->second.dtype() != DataType::Float) return nullptr;
  return &it->second;
}

std::string unique_name(const Graph& g, const std::string& base) {
  std::set<std::string> used;
  for (const auto& [name, t] : g.initializers) used.insert(name);
  for (const ValueInfo& v : g.inputs) used.insert(v.name);
  for (const Node& n : g.nodes) {
    for (const std::string& o : n.outputs) used.insert(o);
  }
  if (!used.count(base)) return base;
  for (int i = 1;; ++i) {
    std::string candidate = base + "_" + std::to_string(i);
    if (!used.count(candidate)) return candidate;
  }
}

void erase_nodes(Graph& g, const std::set<size_t>& indices) {
  if (indices.empty()) return;
  std::vector<Node> kept;
  kept.reserve(g.nodes.size() - indices.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!indices.count(i)) kept.push_back(std::move(g.nodes[i]));
  }
  g.nodes = std::move(kept);
}

}  // namespace onnxi::passes
