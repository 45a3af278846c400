// Spelled-out LayerNorm and RMSNorm become one com.onnxi node (ops/nn/fused_norm.cpp), and a
// residual Add in front of either joins it as com.onnxi SkipLayerNormalization:
//
//   LayerNorm  d = Sub(x, ReduceMean(x)); y = Div(d, Sqrt(Add(ReduceMean(Pow(d, 2) | Mul(d, d)), eps)))
//   RMSNorm    y = Div(x, Sqrt(Add(ReduceMean(Pow(x, 2) | Mul(x, x)), eps)))
//              or Mul(x, Reciprocal(Sqrt(...)) | Div(1, Sqrt(...)))
//   then optionally Mul(y, gamma) and Add(., beta) (either operand order) with constant 1-D gamma/beta;
//   Skip       x = Add(a, b) (both computed), or Add(Add(a, bias), b) with a constant 1-D bias;
//              also in front of an ai.onnx LayerNormalization node (opset 17 exports).
//
// The fused ops are com.onnxi ones at every opset (not ai.onnx LayerNormalization-17 /
// RMSNormalization-23): they take an optional scale (a spelled-out norm may have none), do not
// depend on the model's opset, and say by their domain that a pass made them. ReduceMean must
// reduce the last axis only, keeping dims (axes [-1], or [rank - 1] when x's rank is declared).
// The form with epsilon added after the Sqrt, d / (sqrt(var) + eps), is a different function and
// is left alone. Every intermediate must be read only by the pattern and not be a graph output;
// the residual sum may have other readers: the fused node then outputs it too. The constants must
// be float32 initializers no feed overrides, which by ONNX's type rules makes every value float32.
#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "runtime/passes/pass_util.h"

namespace onnxi::passes {
namespace {

constexpr const char* kOnnxiDomain = "com.onnxi";

struct Matcher {
  Model& m;
  Graph& g;
  GraphUses uses;
  std::map<std::string, std::vector<size_t>> readers;  // nodes of g reading each name
  std::set<size_t> taken;                              // nodes already part of a fusion

  explicit Matcher(Model& model) : m(model), g(model.graph), uses(model.graph) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const std::string& in : g.nodes[i].inputs) {
        if (!in.empty()) readers[in].push_back(i);
      }
    }
  }

  // The index of the untaken default-domain `op` node producing `name`, or -1.
  int64_t producer(const std::string& name, const char* op) const {
    const int64_t at = uses.producer(name);
    if (at < 0 || taken.count(static_cast<size_t>(at))) return -1;
    const Node& n = g.nodes[static_cast<size_t>(at)];
    return n.op_type == op && n.domain.empty() && n.outputs.size() == 1 ? at : -1;
  }
  // The single untaken node reading `name` (an intermediate: `reads` reads in all, no graph output).
  int64_t sole_reader(const std::string& name, const char* op) const {
    if (uses.consumers(name) != 1 || uses.is_graph_output(name)) return -1;
    auto it = readers.find(name);
    if (it == readers.end() || it->second.size() != 1) return -1;
    const size_t at = it->second[0];
    const Node& n = g.nodes[at];
    if (taken.count(at) || n.op_type != op || !n.domain.empty() || n.outputs.size() != 1) return -1;
    return static_cast<int64_t>(at);
  }
  bool private_value(const std::string& name, int reads) const {
    return uses.consumers(name) == reads && !uses.is_graph_output(name);
  }
  // A float32 constant of one value (rank <= 1), or null.
  const Tensor* scalar(const std::string& name) const {
    const Tensor* t = uses.constant_float(name);
    return t && t->numel() == 1 && t->rank() <= 1 ? t : nullptr;
  }
  // A float32 constant 1-D (or scalar) vector: per-column gamma, beta or bias.
  const Tensor* column_constant(const std::string& name) const {
    const Tensor* t = uses.constant_float(name);
    return t && t->rank() <= 1 && t->numel() >= 1 ? t : nullptr;
  }
  int64_t opset_of(const Node& n) const {
    if (n.opset > 0) return n.opset;
    auto it = m.opset_imports.find(n.domain);
    return it == m.opset_imports.end() ? 0 : it->second;
  }
  int64_t declared_rank(const std::string& name) const {
    for (const auto* list : {&g.inputs, &g.value_info}) {
      for (const ValueInfo& v : *list) {
        if (v.name == name && v.type.is_tensor() && v.type.has_shape) return static_cast<int64_t>(v.type.dims.size());
      }
    }
    return -1;
  }
  // The one axis ReduceMean reduces, keeping dims; kNoAxis when it is not that.
  static constexpr int64_t kNoAxis = INT64_MIN;
  int64_t reduced_axis(const Node& rm) const {
    if (rm.attr_int("keepdims", 1) != 1) return kNoAxis;
    std::vector<int64_t> axes;
    if (opset_of(rm) >= 18) {
      if (rm.inputs.size() < 2 || rm.inputs[1].empty() || g.initializers.count(rm.inputs[1]) == 0) return kNoAxis;
      for (const ValueInfo& v : g.inputs) {
        if (v.name == rm.inputs[1]) return kNoAxis;
      }
      const Tensor& t = g.initializers.at(rm.inputs[1]);
      if (t.dtype() != DataType::Int64) return kNoAxis;
      axes.assign(t.data<int64_t>(), t.data<int64_t>() + t.numel());
    } else {
      axes = rm.attr_ints("axes");
    }
    return axes.size() == 1 ? axes[0] : kNoAxis;
  }
  // Whether `axis` is the last one of x (of the pattern input: every value in it has x's rank).
  bool last_axis(int64_t axis, const std::string& x) const {
    return axis == -1 || (axis >= 0 && axis == declared_rank(x) - 1);
  }
  // The input of n other than `name` (n has two inputs, one of them `name`), or "".
  static std::string other_input(const Node& n, const std::string& name) {
    if (n.inputs.size() != 2) return "";
    if (n.inputs[0] == name) return n.inputs[1];
    if (n.inputs[1] == name) return n.inputs[0];
    return "";
  }
};

int reads_of(const Node& n, const std::string& name) {
  int k = 0;
  for (const std::string& in : n.inputs) k += in == name;
  return k;
}

struct Residual {
  std::string in, skip, bias;
  bool sum_out = false;  // the sum has readers besides the norm
  int64_t add = -1;      // the residual Add's index; -1: none
};

// x = Add(a, b) of two computed values, a possibly Add(a', bias) with a constant 1-D bias, read
// `x_reads` times by the norm: the residual to absorb (add < 0 when there is none). Its Adds join
// `nodes`.
Residual find_residual(const Matcher& mt, const std::string& x, int x_reads, std::vector<size_t>& nodes) {
  const Graph& g = mt.g;
  Residual r;
  const int64_t ki = mt.producer(x, "Add");
  if (ki < 0) return r;
  const Node& add = g.nodes[static_cast<size_t>(ki)];
  if (add.inputs.size() != 2 || add.inputs[0].empty() || add.inputs[1].empty() ||
      g.initializers.count(add.inputs[0]) || g.initializers.count(add.inputs[1])) {
    return r;
  }
  r.in = add.inputs[0];
  r.skip = add.inputs[1];
  for (int k = 0; k < 2 && r.bias.empty(); ++k) {
    const int64_t bi = mt.producer(add.inputs[k], "Add");
    if (bi < 0 || !mt.private_value(add.inputs[k], 1)) continue;
    const Node& badd = g.nodes[static_cast<size_t>(bi)];
    for (int j = 0; j < 2 && badd.inputs.size() == 2; ++j) {
      if (mt.column_constant(badd.inputs[j]) && g.initializers.count(badd.inputs[1 - j]) == 0) {
        r.bias = badd.inputs[j];
        r.in = badd.inputs[1 - j];
        r.skip = add.inputs[1 - k];
        nodes.push_back(static_cast<size_t>(bi));
        break;
      }
    }
  }
  r.sum_out = !mt.private_value(x, x_reads);
  r.add = ki;
  nodes.push_back(static_cast<size_t>(ki));
  return r;
}

// The com.onnxi node normalizing x (or the residual sum) into y.
Node fused_node(const std::string& base_name, const std::string& x, const std::string& y, const Residual& res,
                const std::string& gamma, const std::string& beta, float epsilon, bool rms) {
  Node fused;
  fused.name = base_name.empty() ? y : base_name + "/fused";
  fused.domain = kOnnxiDomain;
  fused.attributes.push_back(float_attr("epsilon", epsilon));
  if (res.add >= 0) {
    fused.op_type = "SkipLayerNormalization";
    fused.inputs = {res.in, res.skip, gamma, beta, res.bias};
    fused.outputs = {y};
    if (res.sum_out) fused.outputs.push_back(x);
    if (rms) fused.attributes.push_back(int_attr("simplified", 1));
  } else {
    fused.op_type = rms ? "RMSNormalization" : "LayerNormalization";
    fused.inputs = {x, gamma, beta};
    fused.outputs = {y};
  }
  while (fused.inputs.back().empty()) fused.inputs.pop_back();
  return fused;
}

// An ai.onnx LayerNormalization (what exporters write from opset 17) after a residual Add: the
// two become SkipLayerNormalization. Only for float32 constant per-column scale and bias, the last
// axis, stash_type float and the statistics outputs unread.
bool fuse_existing_layernorm(Matcher& mt, size_t li, size_t& place) {
  Graph& g = mt.g;
  const Node& ln = g.nodes[li];
  if (ln.op_type != "LayerNormalization" || !ln.domain.empty() || mt.taken.count(li) || ln.inputs.size() < 2) {
    return false;
  }
  if (ln.attr_int("axis", -1) != -1 || ln.attr_int("stash_type", 1) != 1) return false;
  for (size_t k = 1; k < ln.outputs.size(); ++k) {
    if (!ln.outputs[k].empty() && (mt.uses.consumers(ln.outputs[k]) || mt.uses.is_graph_output(ln.outputs[k]))) {
      return false;
    }
  }
  const std::string gamma = ln.inputs[1], beta = ln.inputs.size() > 2 ? ln.inputs[2] : "";
  if (!mt.column_constant(gamma) || (!beta.empty() && !mt.column_constant(beta))) return false;
  std::vector<size_t> nodes{li};
  const Residual res = find_residual(mt, ln.inputs[0], reads_of(ln, ln.inputs[0]), nodes);
  if (res.add < 0) return false;
  place = static_cast<size_t>(res.add);
  const float epsilon = ln.attr_float("epsilon", 1e-5f);
  g.nodes[place] = fused_node(ln.name, ln.inputs[0], ln.outputs[0], res, gamma, beta, epsilon, false);
  mt.taken.insert(nodes.begin(), nodes.end());
  return true;
}

// Tries the pattern around Sqrt node `si`; on success rewrites the graph (the fused node replaces
// the pattern node at `place`; all pattern nodes join `taken`, the others to be erased) and returns
// true.
bool fuse_at(Matcher& mt, size_t si, size_t& place) {
  Graph& g = mt.g;
  const Node& sqrt = g.nodes[si];
  if (sqrt.op_type != "Sqrt" || !sqrt.domain.empty() || sqrt.inputs.size() != 1 || mt.taken.count(si)) return false;
  std::vector<size_t> nodes{si};
  // Add(var, eps) -> Sqrt
  const int64_t ai = mt.producer(sqrt.inputs[0], "Add");
  if (ai < 0 || !mt.private_value(sqrt.inputs[0], 1)) return false;
  const Node& add_eps = g.nodes[static_cast<size_t>(ai)];
  std::string var;
  const Tensor* eps = nullptr;
  for (int k = 0; k < 2 && add_eps.inputs.size() == 2; ++k) {
    if ((eps = mt.scalar(add_eps.inputs[k])) != nullptr) {
      var = add_eps.inputs[1 - k];
      break;
    }
  }
  if (eps == nullptr || !std::isfinite(eps->data<float>()[0]) || eps->data<float>()[0] < 0.f) return false;
  nodes.push_back(static_cast<size_t>(ai));
  // ReduceMean(sq) -> var
  const int64_t ri = mt.producer(var, "ReduceMean");
  if (ri < 0 || !mt.private_value(var, 1)) return false;
  const int64_t var_axis = mt.reduced_axis(g.nodes[static_cast<size_t>(ri)]);
  if (var_axis == Matcher::kNoAxis) return false;
  nodes.push_back(static_cast<size_t>(ri));
  const std::string sq = g.nodes[static_cast<size_t>(ri)].inputs[0];
  if (!mt.private_value(sq, 1)) return false;
  // Pow(base, 2) or Mul(base, base) -> sq
  std::string base;
  if (int64_t pi = mt.producer(sq, "Pow"); pi >= 0) {
    const Node& pow = g.nodes[static_cast<size_t>(pi)];
    const Tensor* e = pow.inputs.size() == 2 ? mt.scalar(pow.inputs[1]) : nullptr;
    if (e == nullptr || e->data<float>()[0] != 2.f) return false;
    base = pow.inputs[0];
    nodes.push_back(static_cast<size_t>(pi));
  } else if (int64_t mi = mt.producer(sq, "Mul"); mi >= 0) {
    const Node& mul = g.nodes[static_cast<size_t>(mi)];
    if (mul.inputs.size() != 2 || mul.inputs[0] != mul.inputs[1]) return false;
    base = mul.inputs[0];
    nodes.push_back(static_cast<size_t>(mi));
  } else {
    return false;
  }
  const int square_reads = g.nodes[nodes.back()].inputs[0] == g.nodes[nodes.back()].inputs[1] ? 2 : 1;
  // The normalizing node: Div(base, std), or Mul(base, Reciprocal(std) | Div(1, std)).
  const std::string std_dev = sqrt.outputs[0];
  int64_t ni = mt.sole_reader(std_dev, "Div");
  if (ni >= 0) {
    const Node& div = g.nodes[static_cast<size_t>(ni)];
    const Tensor* one = mt.scalar(div.inputs[0]);
    if (one != nullptr && div.inputs[1] == std_dev && one->data<float>()[0] == 1.f) {
      nodes.push_back(static_cast<size_t>(ni));  // Div(1, std): the reciprocal
      ni = mt.sole_reader(div.outputs[0], "Mul");
      if (ni < 0 || Matcher::other_input(g.nodes[static_cast<size_t>(ni)], div.outputs[0]) != base) return false;
    } else if (div.inputs.size() != 2 || div.inputs[0] != base || div.inputs[1] != std_dev) {
      return false;
    }
  } else if (int64_t rc = mt.sole_reader(std_dev, "Reciprocal"); rc >= 0) {
    nodes.push_back(static_cast<size_t>(rc));
    const std::string r = g.nodes[static_cast<size_t>(rc)].outputs[0];
    ni = mt.sole_reader(r, "Mul");
    if (ni < 0 || Matcher::other_input(g.nodes[static_cast<size_t>(ni)], r) != base) return false;
  } else {
    return false;
  }
  nodes.push_back(static_cast<size_t>(ni));
  // LayerNorm when base = Sub(x, ReduceMean(x)) read only here; RMSNorm of base otherwise.
  std::string x = base;
  bool rms = true;
  if (int64_t di = mt.producer(base, "Sub"); di >= 0 && mt.private_value(base, square_reads + 1)) {
    const Node& sub = g.nodes[static_cast<size_t>(di)];
    const int64_t mi = sub.inputs.size() == 2 ? mt.producer(sub.inputs[1], "ReduceMean") : -1;
    if (mi >= 0 && mt.private_value(sub.inputs[1], 1) && g.nodes[static_cast<size_t>(mi)].inputs[0] == sub.inputs[0] &&
        mt.reduced_axis(g.nodes[static_cast<size_t>(mi)]) == var_axis) {
      rms = false;
      x = sub.inputs[0];
      nodes.push_back(static_cast<size_t>(di));
      nodes.push_back(static_cast<size_t>(mi));
    }
  }
  if (!mt.last_axis(var_axis, x)) return false;
  // Optional Mul(gamma), then optional Add(beta).
  std::string y = g.nodes[static_cast<size_t>(ni)].outputs[0], gamma, beta;
  if (int64_t gi = mt.sole_reader(y, "Mul"); gi >= 0) {
    const std::string c = Matcher::other_input(g.nodes[static_cast<size_t>(gi)], y);
    if (!c.empty() && mt.column_constant(c)) {
      gamma = c;
      y = g.nodes[static_cast<size_t>(gi)].outputs[0];
      nodes.push_back(static_cast<size_t>(gi));
    }
  }
  if (int64_t bi = mt.sole_reader(y, "Add"); bi >= 0) {
    const std::string c = Matcher::other_input(g.nodes[static_cast<size_t>(bi)], y);
    if (!c.empty() && mt.column_constant(c)) {
      beta = c;
      y = g.nodes[static_cast<size_t>(bi)].outputs[0];
      nodes.push_back(static_cast<size_t>(bi));
    }
  }
  int x_reads = 0;
  for (size_t i : nodes) x_reads += reads_of(g.nodes[i], x);
  const Residual res = find_residual(mt, x, x_reads, nodes);
  place = res.add >= 0 ? static_cast<size_t>(res.add) : *std::min_element(nodes.begin(), nodes.end());
  g.nodes[place] = fused_node(g.nodes[si].name, x, y, res, gamma, beta, eps->data<float>()[0], rms);
  mt.taken.insert(nodes.begin(), nodes.end());
  return true;
}

}  // namespace

int fuse_layernorm(Model& model) {
  int fused = 0;
  // Rounds until nothing changes, each with fresh use counts (a rewrite renames producers).
  for (;;) {
    Matcher mt(model);
    std::set<size_t> places;
    int round = 0;
    for (size_t i = 0; i < model.graph.nodes.size(); ++i) {
      size_t place = 0;
      if (!fuse_at(mt, i, place) && !fuse_existing_layernorm(mt, i, place)) continue;
      ++round;
      places.insert(place);
    }
    if (round == 0) break;
    std::set<size_t> erase;
    for (size_t k : mt.taken) {
      if (!places.count(k)) erase.insert(k);
    }
    erase_nodes(model.graph, erase);
    fused += round;
  }
  if (fused > 0) model.opset_imports.emplace(kOnnxiDomain, 1);
  return fused;
}

}  // namespace onnxi::passes
