// Common subexpression elimination: two nodes with the same op (domain, type, opset), the same
// inputs and the same attributes compute the same outputs, so the later one's readers read the
// earlier one's outputs and the later node goes. Walking in topological order with reads renamed
// as we go merges whole duplicated chains in one walk.
//
// Not merged: random ops and Dropout (two draws differ), ops with subgraphs, custom-registry ops
// (their kernels may keep state), and a duplicate whose output is a graph output (its name must
// stay). Attributes compare by name regardless of order, every kind included; tensors compare by
// element type, shape and bytes (a hash picks candidates, a full comparison decides).
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/graph/prepare.h"
#include "runtime/passes/pass_util.h"

namespace onnxi::passes {
namespace {

void put(std::string& key, const std::string& s) {
  key += std::to_string(s.size());
  key += ':';
  key += s;
}

template <class T>
void put_bits(std::string& key, T v) {
  key.append(reinterpret_cast<const char*>(&v), sizeof v);
}

uint64_t hash_bytes(const void* data, size_t n, uint64_t h = 1469598103934665603ULL) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

void put_tensor(std::string& key, const Tensor& t) {
  put_bits(key, static_cast<int32_t>(t.dtype()));
  put_bits(key, t.rank());
  for (int64_t d : t.shape()) put_bits(key, d);
  uint64_t h = 0;
  if (t.dtype() == DataType::String) {
    h = 1469598103934665603ULL;
    for (int64_t i = 0; i < t.numel(); ++i) {
      const std::string& s = t.data<std::string>()[i];
      const uint64_t len = s.size();
      h = hash_bytes(&len, sizeof len, h);
      h = hash_bytes(s.data(), s.size(), h);
    }
  } else {
    h = hash_bytes(t.raw(), t.nbytes());
  }
  put_bits(key, h);
}

bool tensors_equal(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  if (a.dtype() == DataType::String) {
    return std::equal(a.data<std::string>(), a.data<std::string>() + a.numel(), b.data<std::string>());
  }
  return a.nbytes() == b.nbytes() && (a.nbytes() == 0 || std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
}

std::vector<const Attribute*> sorted_attributes(const Node& n) {
  std::vector<const Attribute*> out;
  for (const Attribute& a : n.attributes) out.push_back(&a);
  std::sort(out.begin(), out.end(), [](const Attribute* x, const Attribute* y) { return x->name < y->name; });
  return out;
}

// Everything of an attribute but its tensors' bytes, which enter as a hash.
void put_attribute(std::string& key, const Attribute& a) {
  put(key, a.name);
  put_bits(key, static_cast<int>(a.type));
  put(key, a.ref_attr_name);
  switch (a.type) {
    case Attribute::Type::Float: put_bits(key, a.f); break;
    case Attribute::Type::Int: put_bits(key, a.i); break;
    case Attribute::Type::String: put(key, a.s); break;
    case Attribute::Type::Tensor:
    case Attribute::Type::SparseTensor: put_tensor(key, a.t); break;
    case Attribute::Type::Floats:
      put_bits(key, a.floats.size());
      for (float f : a.floats) put_bits(key, f);
      break;
    case Attribute::Type::Ints:
      put_bits(key, a.ints.size());
      for (int64_t v : a.ints) put_bits(key, v);
      break;
    case Attribute::Type::Strings:
      put_bits(key, a.strings.size());
      for (const std::string& s : a.strings) put(key, s);
      break;
    case Attribute::Type::Tensors:
    case Attribute::Type::SparseTensors:
      put_bits(key, a.tensors.size());
      for (const Tensor& t : a.tensors) put_tensor(key, t);
      break;
    case Attribute::Type::TypeProto: put(key, a.tp.str()); break;
    case Attribute::Type::TypeProtos:
      put_bits(key, a.tps.size());
      for (const TypeInfo& t : a.tps) put(key, t.str());
      break;
    default: break;  // graphs: such nodes are never merged
  }
}

bool attributes_equal(const Node& x, const Node& y) {
  const auto ax = sorted_attributes(x), ay = sorted_attributes(y);
  if (ax.size() != ay.size()) return false;
  for (size_t i = 0; i < ax.size(); ++i) {
    std::string kx, ky;
    put_attribute(kx, *ax[i]);
    put_attribute(ky, *ay[i]);
    if (kx != ky || !tensors_equal(ax[i]->t, ay[i]->t) || ax[i]->tensors.size() != ay[i]->tensors.size()) return false;
    for (size_t k = 0; k < ax[i]->tensors.size(); ++k) {
      if (!tensors_equal(ax[i]->tensors[k], ay[i]->tensors[k])) return false;
    }
  }
  return true;
}

std::string node_key(const Node& n, int64_t opset) {
  std::string key;
  put(key, n.domain);
  put(key, n.op_type);
  put(key, n.overload);
  put_bits(key, opset);
  put_bits(key, n.inputs.size());
  for (const std::string& in : n.inputs) put(key, in);
  put_bits(key, n.outputs.size());
  for (const std::string& o : n.outputs) key += o.empty() ? '0' : '1';
  for (const Attribute* a : sorted_attributes(n)) put_attribute(key, *a);
  return key;
}

}  // namespace

int eliminate_common_subexpressions(Model& model, const Registry* custom) {
  Graph& g = model.graph;
  const GraphUses uses(g);  // graph outputs only: reads change as we rename
  std::map<std::string, std::vector<size_t>> seen;
  std::set<size_t> removed;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (is_nondeterministic(n) || has_subgraph(n) || !is_standard_op(n, model, custom)) continue;
    std::vector<size_t>& same = seen[node_key(n, graph::node_opset(n, model))];
    size_t kept = SIZE_MAX;
    for (size_t j : same) {
      if (attributes_equal(g.nodes[j], n)) kept = j;
    }
    bool output_is_graph_output = false;
    for (const std::string& o : n.outputs) output_is_graph_output = output_is_graph_output || uses.is_graph_output(o);
    if (kept == SIZE_MAX || output_is_graph_output) {
      same.push_back(i);
      continue;
    }
    const std::vector<std::string> from = n.outputs, to = g.nodes[kept].outputs;
    bool renamable = true;
    for (size_t k = 0; k < from.size(); ++k) renamable = renamable && can_rename_reads(g, from[k], to[k]);
    if (!renamable) {
      same.push_back(i);
      continue;
    }
    for (size_t k = 0; k < from.size(); ++k) {
      if (!from[k].empty()) rename_reads(g, from[k], to[k]);
    }
    removed.insert(i);
  }
  erase_nodes(g, removed);
  return static_cast<int>(removed.size());
}

}  // namespace onnxi::passes
