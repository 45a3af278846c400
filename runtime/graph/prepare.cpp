#include "runtime/graph/prepare.h"

#include <algorithm>
#include <map>
#include <queue>
#include <unordered_map>

#include "onnxi/error.h"

namespace onnxi::graph {
namespace {

const FunctionDef* find_function(const Model& m, const Node& n) {
  for (const FunctionDef& f : m.functions) {
    if (f.name == n.op_type && f.domain == n.domain && f.overload == n.overload) return &f;
  }
  return nullptr;
}

void rename_in_graph(Graph& g, const std::map<std::string, std::string>& names);

void rename_node(Node& n, const std::map<std::string, std::string>& names) {
  for (auto& in : n.inputs) {
    auto it = names.find(in);
    if (it != names.end()) in = it->second;
  }
  for (auto& out : n.outputs) {
    auto it = names.find(out);
    if (it != names.end()) out = it->second;
  }
  for (Attribute& a : n.attributes) {
    if (a.g) rename_in_graph(*a.g, names);
    for (auto& g : a.graphs) rename_in_graph(*g, names);
  }
}

// Subgraph bodies read function-scope names from outer scope; their own names stay as they are.
void rename_in_graph(Graph& g, const std::map<std::string, std::string>& names) {
  std::map<std::string, std::string> outer_only = names;
  for (const auto& v : g.inputs) outer_only.erase(v.name);
  for (const auto& [name, t] : g.initializers) outer_only.erase(name);
  for (const Node& n : g.nodes) {
    for (const auto& o : n.outputs) outer_only.erase(o);
  }
  for (Node& n : g.nodes) rename_node(n, outer_only);
  for (auto& v : g.outputs) {
    auto it = outer_only.find(v.name);
    if (it != outer_only.end()) v.name = it->second;
  }
}

// Substitutes attribute references (ref_attr_name) inside a function body, subgraphs included.
void bind_attributes(Node& n, const Node& call, const FunctionDef& f) {
  std::vector<Attribute> bound;
  for (Attribute& a : n.attributes) {
    if (a.g) for (Node& sub : a.g->nodes) bind_attributes(sub, call, f);
    for (auto& g : a.graphs) for (Node& sub : g->nodes) bind_attributes(sub, call, f);
    if (a.ref_attr_name.empty()) {
      bound.push_back(a);
      continue;
    }
    const Attribute* src = call.find_attr(a.ref_attr_name);
    if (!src) {
      for (const Attribute& d : f.attribute_defaults) {
        if (d.name == a.ref_attr_name) src = &d;
      }
    }
    if (!src) continue;  // unset and no default: the attribute is absent
    Attribute copy = *src;
    copy.name = a.name;
    copy.ref_attr_name.clear();
    bound.push_back(std::move(copy));
  }
  n.attributes = std::move(bound);
}

std::vector<Node> expand_call(const Node& call, const FunctionDef& f, int serial) {
  std::map<std::string, std::string> names;
  for (size_t i = 0; i < f.inputs.size(); ++i) {
    names[f.inputs[i]] = i < call.inputs.size() ? call.inputs[i] : std::string();
  }
  for (size_t i = 0; i < f.outputs.size(); ++i) {
    names[f.outputs[i]] = i < call.outputs.size() ? call.outputs[i] : cat(call.name, "/", f.name, "#", serial, "/unused_", f.outputs[i]);
  }
  std::string prefix = cat(call.name, "/", f.name, "#", serial, "/");
  for (const Node& n : f.nodes) {
    for (const auto& o : n.outputs) {
      if (!o.empty() && !names.count(o)) names[o] = prefix + o;
    }
  }
  std::vector<Node> body;
  for (const Node& fn : f.nodes) {
    Node n = fn;
    n.name = prefix + fn.name;
    rename_node(n, names);
    bind_attributes(n, call, f);
    if (n.opset == 0) {
      auto it = f.opset_imports.find(n.domain);
      if (it != f.opset_imports.end()) n.opset = static_cast<int>(it->second);
    }
    body.push_back(std::move(n));
  }
  return body;
}

bool inline_in_graph(Graph& g, const Model& m, int& serial) {
  bool changed = false;
  std::vector<Node> out;
  for (Node& n : g.nodes) {
    for (Attribute& a : n.attributes) {
      if (a.g) changed |= inline_in_graph(*a.g, m, serial);
      for (auto& sub : a.graphs) changed |= inline_in_graph(*sub, m, serial);
    }
    if (const FunctionDef* f = find_function(m, n)) {
      for (Node& b : expand_call(n, *f, serial++)) out.push_back(std::move(b));
      changed = true;
    } else {
      out.push_back(std::move(n));
    }
  }
  g.nodes = std::move(out);
  return changed;
}

void collect_free(const Graph& g, std::set<std::string>& defined_outer, std::set<std::string>& free) {
  std::set<std::string> defined = defined_outer;
  for (const auto& v : g.inputs) defined.insert(v.name);
  for (const auto& [name, t] : g.initializers) defined.insert(name);
  for (const Node& n : g.nodes) {
    for (const auto& o : n.outputs) defined.insert(o);
  }
  for (const Node& n : g.nodes) {
    for (const auto& in : n.inputs) {
      if (!in.empty() && !defined.count(in)) free.insert(in);
    }
    for (const Attribute& a : n.attributes) {
      if (a.g) collect_free(*a.g, defined, free);
      for (const auto& sub : a.graphs) collect_free(*sub, defined, free);
    }
  }
  for (const auto& v : g.outputs) {
    if (!defined.count(v.name)) free.insert(v.name);
  }
}

std::string describe_versions(const std::vector<const OpDef*>& versions) {
  std::string s;
  for (const OpDef* d : versions) {
    if (!s.empty()) s += ", ";
    s += std::to_string(d->since_version);
    if (d->last_version == kLatestOpset) {
      s += '+';
    } else if (d->last_version != d->since_version) {
      s += '-';
      s += std::to_string(d->last_version);
    }
  }
  return s;
}

}  // namespace

void inline_functions(Model& model) {
  if (model.functions.empty()) return;
  int serial = 0;
  for (int depth = 0; inline_in_graph(model.graph, model, serial); ++depth) {
    ONNXI_CHECK(depth < 64, ErrorCode::InvalidModel,
                "model-local functions call each other more than 64 levels deep (recursion?)");
  }
}

int64_t node_opset(const Node& node, const Model& model) {
  return node.opset > 0 ? node.opset : model.opset_for(node.domain);
}

const OpDef* resolve_op(const Node& node, const Model& model, const Registry* custom, const Registry& standard) {
  int64_t opset = node_opset(node, model);
  if (custom) {
    if (const OpDef* d = custom->find(node.domain, node.op_type, opset)) return d;
  }
  return standard.find(node.domain, node.op_type, opset);
}

std::set<std::string> free_names(const Graph& g) {
  std::set<std::string> outer, free;
  collect_free(g, outer, free);
  return free;
}

void validate_graph(Graph& g, const std::set<std::string>& outer, const Model& model, const Registry* custom,
                    const Registry& standard) {
  std::unordered_map<std::string, int> producer;  // value name -> node index (-1: input/initializer)
  std::set<std::string> graph_inputs;
  for (const auto& v : g.inputs) {
    ONNXI_CHECK(!v.name.empty(), ErrorCode::InvalidModel, "graph '", g.name, "' has an input without a name");
    ONNXI_CHECK(graph_inputs.insert(v.name).second, ErrorCode::InvalidModel, "graph input '", v.name, "' is declared twice");
    producer[v.name] = -1;
  }
  for (const auto& [name, t] : g.initializers) producer[name] = -1;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    for (const auto& o : n.outputs) {
      if (o.empty()) continue;
      auto [it, fresh] = producer.emplace(o, static_cast<int>(i));
      if (!fresh) {
        if (it->second < 0) {
          fail(ErrorCode::InvalidModel, cat(n.label(), ": output '", o, "' has the name of a graph input or initializer"));
        }
        fail(ErrorCode::InvalidModel, cat(n.label(), ": output '", o, "' is also produced by ",
                                          g.nodes[static_cast<size_t>(it->second)].label(), "; every value must have one producer"));
      }
    }
  }
  // Subgraphs see everything defined in this graph plus the enclosing scopes.
  std::set<std::string> visible = outer;
  for (const auto& [name, idx] : producer) visible.insert(name);

  std::vector<int> pending(g.nodes.size(), 0);
  std::vector<std::vector<size_t>> users(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    int64_t opset = node_opset(n, model);
    if (opset == 0) {
      fail(ErrorCode::InvalidModel, cat(n.label(), ": the model does not import an opset for domain '",
                                        n.domain.empty() ? "ai.onnx" : n.domain, "'; add it to opset_import"));
    }
    if (!resolve_op(n, model, custom, standard)) {
      auto versions = standard.versions(n.domain, n.op_type);
      if (custom) {
        auto more = custom->versions(n.domain, n.op_type);
        versions.insert(versions.end(), more.begin(), more.end());
      }
      std::string dom = n.domain.empty() ? "ai.onnx" : n.domain;
      if (versions.empty() && Registry::is_extra_op(n.domain, n.op_type) && !Registry::extras_loaded()) {
        fail(ErrorCode::NotImplemented, cat(n.label(), ": op '", n.op_type, "' needs the optional component "
                                            "libonnxi_extras.so (built with ONNXI_EXTRAS=ON and libre2-dev), which this "
                                            "installation lacks"));
      }
      if (versions.empty()) {
        fail(ErrorCode::NotImplemented, cat(n.label(), ": onnxi does not implement op '", n.op_type, "' of domain '",
                                            dom, "'; see docs/OPERATORS.md, or register it as a custom op"));
      }
      fail(ErrorCode::NotImplemented, cat(n.label(), ": onnxi implements ", n.op_type, " for opset versions ",
                                          describe_versions(versions), " of '", dom, "', not version ", opset));
    }
    std::set<std::string> deps;
    for (const auto& in : n.inputs) {
      if (!in.empty()) deps.insert(in);
    }
    for (Attribute& a : n.attributes) {
      std::vector<Graph*> subs;
      if (a.g) subs.push_back(a.g.get());
      for (auto& sg : a.graphs) subs.push_back(sg.get());
      for (Graph* sg : subs) {
        validate_graph(*sg, visible, model, custom, standard);
        for (const auto& name : free_names(*sg)) deps.insert(name);
      }
    }
    for (const auto& name : deps) {
      auto it = producer.find(name);
      if (it == producer.end()) {
        if (outer.count(name)) continue;
        fail(ErrorCode::InvalidModel, cat(n.label(), ": input '", name,
                                          "' is not a graph input, an initializer or the output of any node"));
      }
      if (it->second >= 0) {
        ONNXI_CHECK(static_cast<size_t>(it->second) != i, ErrorCode::InvalidModel, n.label(), ": reads its own output '", name, "'");
        ++pending[i];
        users[static_cast<size_t>(it->second)].push_back(i);
      }
    }
  }
  // Kahn's algorithm, stable: ready nodes keep their file order.
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<size_t> order;
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (size_t u : users[i]) {
      if (--pending[u] == 0) ready.push(u);
    }
  }
  if (order.size() != g.nodes.size()) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      if (pending[i] > 0) {
        fail(ErrorCode::InvalidModel, cat("graph '", g.name, "' has a cycle through ", g.nodes[i].label()));
      }
    }
  }
  std::vector<Node> sorted;
  sorted.reserve(g.nodes.size());
  for (size_t i : order) sorted.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(sorted);
  for (const auto& v : g.outputs) {
    ONNXI_CHECK(producer.count(v.name) || outer.count(v.name), ErrorCode::InvalidModel, "graph output '", v.name,
                "' is not produced by any node, input or initializer");
  }
}

}  // namespace onnxi::graph
