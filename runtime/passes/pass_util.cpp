#include "runtime/passes/pass_util.h"

#include <algorithm>
#include <cstdlib>

#include "onnxi/error.h"
#include "runtime/graph/prepare.h"

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
  const Tensor* t = constant(name);
  return t != nullptr && t->dtype() == DataType::Float ? t : nullptr;
}

const Tensor* GraphUses::constant(const std::string& name) const {
  if (name.empty() || inputs_.count(name)) return nullptr;
  auto it = g_.initializers.find(name);
  return it == g_.initializers.end() ? nullptr : &it->second;
}

namespace {

// Every name g defines or reads, and every name its subgraphs mention: a new value must not take
// an outer name that g (or a body below it) reads, which it would then shadow.
void collect_names(const Graph& g, std::set<std::string>& used) {
  for (const auto& [name, t] : g.initializers) used.insert(name);
  for (const ValueInfo& v : g.inputs) used.insert(v.name);
  for (const ValueInfo& v : g.outputs) used.insert(v.name);
  for (const Node& n : g.nodes) {
    used.insert(n.inputs.begin(), n.inputs.end());
    used.insert(n.outputs.begin(), n.outputs.end());
    for (const Attribute& a : n.attributes) {
      if (a.g) collect_names(*a.g, used);
      for (const auto& sub : a.graphs) {
        if (sub) collect_names(*sub, used);
      }
    }
  }
}

}  // namespace

NameAllocator::NameAllocator(const Graph& g) { collect_names(g, used_); }

std::string NameAllocator::make(const std::string& base) {
  std::string candidate = base;
  for (int i = 1; used_.count(candidate); ++i) candidate = base + "_" + std::to_string(i);
  used_.insert(candidate);
  return candidate;
}

std::string unique_name(const Graph& g, const std::string& base) { return NameAllocator(g).make(base); }

Tensor new_weight_buffer(DataType dtype, Shape shape) {
  if (dtype == DataType::String || dtype == DataType::Undefined) return Tensor(dtype, std::move(shape));
  const size_t bytes = storage_bytes(dtype, shape_numel(shape));
  const size_t rounded = std::max<size_t>(kTensorAlignment, (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment);
  void* p = std::aligned_alloc(kTensorAlignment, rounded);
  ONNXI_CHECK(p != nullptr, ErrorCode::Runtime, "out of memory allocating ", bytes, " bytes for a folded weight ",
              dtype_name(dtype), shape_str(shape));
  std::shared_ptr<const void> owner(p, [](const void* q) { std::free(const_cast<void*>(q)); });
  return Tensor::wrap(dtype, std::move(shape), std::move(owner), p);
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

namespace {

bool defines(const Graph& g, const std::string& name) {
  if (g.initializers.count(name)) return true;
  for (const ValueInfo& v : g.inputs) {
    if (v.name == name) return true;
  }
  for (const Node& n : g.nodes) {
    for (const std::string& o : n.outputs) {
      if (o == name) return true;
    }
  }
  return false;
}

void rename_in(Graph& g, const std::string& from, const std::string& to, bool is_subgraph) {
  for (Node& n : g.nodes) {
    for (std::string& in : n.inputs) {
      if (in == from) in = to;
    }
    for (Attribute& a : n.attributes) {
      if (a.g && !defines(*a.g, from)) rename_in(*a.g, from, to, true);
      for (auto& sub : a.graphs) {
        if (sub && !defines(*sub, from)) rename_in(*sub, from, to, true);
      }
    }
  }
  if (is_subgraph) {
    for (ValueInfo& o : g.outputs) {
      if (o.name == from) o.name = to;
    }
  }
}

// Whether some subgraph where `from` would be renamed defines its own `to`, which the renamed
// reads would then capture.
bool captured(const Graph& g, const std::string& from, const std::string& to) {
  for (const Node& n : g.nodes) {
    for (const Attribute& a : n.attributes) {
      std::vector<const Graph*> subs;
      if (a.g) subs.push_back(a.g.get());
      for (const auto& sub : a.graphs) {
        if (sub) subs.push_back(sub.get());
      }
      for (const Graph* sub : subs) {
        if (defines(*sub, from)) continue;
        if (defines(*sub, to) || captured(*sub, from, to)) return true;
      }
    }
  }
  return false;
}

}  // namespace

bool can_rename_reads(const Graph& g, const std::string& from, const std::string& to) { return !captured(g, from, to); }

bool rename_reads(Graph& g, const std::string& from, const std::string& to) {
  if (captured(g, from, to)) return false;
  rename_in(g, from, to, false);
  return true;
}

bool replace_value(Graph& g, const std::string& value, const std::string& source, const std::set<size_t>& removed) {
  if (value.empty() || source.empty() || value == source) return false;
  bool value_is_output = false, source_is_io = g.initializers.count(source) != 0;
  for (const ValueInfo& o : g.outputs) {
    value_is_output = value_is_output || o.name == value;
    source_is_io = source_is_io || o.name == source;
  }
  for (const ValueInfo& i : g.inputs) source_is_io = source_is_io || i.name == source;
  if (!value_is_output) return rename_reads(g, value, source);
  if (source_is_io) return false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (removed.count(i)) continue;
    for (std::string& o : g.nodes[i].outputs) {
      if (o != source) continue;
      if (!rename_reads(g, source, value)) return false;
      o = value;
      return true;
    }
  }
  return false;
}

Attribute float_attr(const char* name, float v) {
  Attribute a;
  a.name = name;
  a.type = Attribute::Type::Float;
  a.f = v;
  return a;
}

Attribute int_attr(const char* name, int64_t v) {
  Attribute a;
  a.name = name;
  a.type = Attribute::Type::Int;
  a.i = v;
  return a;
}

Attribute string_attr(const char* name, std::string v) {
  Attribute a;
  a.name = name;
  a.type = Attribute::Type::String;
  a.s = std::move(v);
  return a;
}

const Attribute* typed_attr(const Node& n, const std::string& name, Attribute::Type type) {
  const Attribute* a = n.find_attr(name);
  return a != nullptr && a->type == type && a->ref_attr_name.empty() ? a : nullptr;
}

bool is_nondeterministic(const Node& n) {
  if (!n.domain.empty()) return false;
  static const std::set<std::string> kRandom{"RandomNormal",      "RandomUniform", "RandomNormalLike",
                                             "RandomUniformLike", "Bernoulli",     "Multinomial",
                                             "Dropout"};
  return kRandom.count(n.op_type) != 0;
}

bool has_subgraph(const Node& n) {
  for (const Attribute& a : n.attributes) {
    if (a.g || !a.graphs.empty()) return true;
  }
  return false;
}

bool is_standard_op(const Node& n, const Model& model, const Registry* custom) {
  const int64_t opset = graph::node_opset(n, model);
  if (custom != nullptr && custom->find(n.domain, n.op_type, opset) != nullptr) return false;
  return Registry::standard().find(n.domain, n.op_type, opset) != nullptr;
}

int64_t declared_rank(const Graph& g, const std::string& name) {
  if (auto it = g.initializers.find(name); it != g.initializers.end()) return it->second.rank();
  for (const auto* list : {&g.inputs, &g.value_info}) {
    for (const ValueInfo& v : *list) {
      if (v.name == name && v.type.is_tensor() && v.type.has_shape) return static_cast<int64_t>(v.type.dims.size());
    }
  }
  return -1;
}

}  // namespace onnxi::passes
