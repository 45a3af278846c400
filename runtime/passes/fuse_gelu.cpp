// Spelled-out GELU becomes one com.onnxi Gelu (the ai.onnx Gelu-20 op at any opset, registered
// in ops/math/activations.cpp), which runs the vectorized kernel and which the MatMul epilogue
// fusion after this pass can absorb:
//
//   erf   0.5 * x * (1 + Erf(x / 1.41421 | x * 0.70711))                   approximate = "none"
//   tanh  0.5 * x * (1 + Tanh(0.79788 * (x + 0.044715 * (Pow(x, 3) | x*x*x))))   approximate = "tanh"
//
// with the outer product in any of the orders exporters write: Mul(Mul(x, s), 0.5),
// Mul(Mul(x, 0.5), s) or Mul(Mul(s, 0.5), x) (s = 1 + erf/tanh; operands of each Mul and Add in
// either order). Constants must be float32 scalar initializers within 1e-4 relative of the exact
// values (exporters round sqrt(2) and sqrt(2/pi) to a few digits); every intermediate must be read
// only by the pattern and not be a graph output.
#include <cmath>
#include <map>
#include <numbers>
#include <set>
#include <vector>

#include "runtime/passes/pass_util.h"

namespace onnxi::passes {
namespace {

constexpr const char* kOnnxiDomain = "com.onnxi";

struct GeluMatcher {
  Graph& g;
  GraphUses uses;
  std::map<std::string, std::vector<size_t>> readers;
  std::set<size_t> taken;
  std::vector<size_t> nodes;  // the pattern being matched

  explicit GeluMatcher(Graph& graph) : g(graph), uses(graph) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const std::string& in : g.nodes[i].inputs) {
        if (!in.empty()) readers[in].push_back(i);
      }
    }
  }
  bool usable(int64_t at, const char* op) const {
    if (at < 0 || taken.count(static_cast<size_t>(at))) return false;
    const Node& n = g.nodes[static_cast<size_t>(at)];
    const size_t arity = std::string(op) == "Erf" || std::string(op) == "Tanh" ? 1 : 2;
    return n.op_type == op && n.domain.empty() && n.outputs.size() == 1 && n.inputs.size() == arity;
  }
  bool private_value(const std::string& name) const {
    return uses.consumers(name) == 1 && !uses.is_graph_output(name);
  }
  // The `op` node producing the intermediate `name` (read only by the pattern), added to the pattern.
  const Node* producer(const std::string& name, const char* op) {
    const int64_t at = uses.producer(name);
    if (!private_value(name) || !usable(at, op)) return nullptr;
    nodes.push_back(static_cast<size_t>(at));
    return &g.nodes[static_cast<size_t>(at)];
  }
  // The single `op` node reading the intermediate `name`, added to the pattern.
  const Node* reader(const std::string& name, const char* op) {
    if (!private_value(name)) return nullptr;
    auto it = readers.find(name);
    if (it == readers.end() || it->second.size() != 1) return nullptr;
    if (!usable(static_cast<int64_t>(it->second[0]), op)) return nullptr;
    nodes.push_back(it->second[0]);
    return &g.nodes[it->second[0]];
  }
  bool near(const std::string& name, double want) const {
    const Tensor* t = uses.constant_float(name);
    if (t == nullptr || t->numel() != 1 || t->rank() > 1) return false;
    return std::fabs(static_cast<double>(t->data<float>()[0]) - want) <= 1e-4 * std::fabs(want);
  }
  // For a two-input node with one input near `want`: the other input; else "".
  std::string other_than_constant(const Node& n, double want) const {
    if (near(n.inputs[1], want)) return n.inputs[0];
    if (near(n.inputs[0], want)) return n.inputs[1];
    return "";
  }
  static std::string other_input(const Node& n, const std::string& name) {
    if (n.inputs[0] == name) return n.inputs[1];
    if (n.inputs[1] == name) return n.inputs[0];
    return "";
  }
};

// From s = 1 + erf|tanh(...) to the GELU output: the three-factor product 0.5 * x * s. Returns the
// output name, or "".
std::string match_product(GeluMatcher& mt, const std::string& s, const std::string& x) {
  const Node* m1 = mt.reader(s, "Mul");
  if (m1 == nullptr) return "";
  const std::string p = GeluMatcher::other_input(*m1, s);
  const std::string t = m1->outputs[0];
  if (p == x) {  // (x * s) * 0.5
    const Node* m2 = mt.reader(t, "Mul");
    return m2 && mt.other_than_constant(*m2, 0.5) == t ? m2->outputs[0] : "";
  }
  if (mt.near(p, 0.5)) {  // (s * 0.5) * x
    const Node* m2 = mt.reader(t, "Mul");
    return m2 && GeluMatcher::other_input(*m2, t) == x ? m2->outputs[0] : "";
  }
  const Node* h = mt.producer(p, "Mul");  // (x * 0.5) * s
  return h && mt.other_than_constant(*h, 0.5) == x ? t : "";
}

// erf form around Erf node `ei`: sets x and returns the output name, or "".
std::string match_erf(GeluMatcher& mt, const Node& erf, std::string& x) {
  if (const Node* d = mt.producer(erf.inputs[0], "Div"); d != nullptr) {
    if (!mt.near(d->inputs[1], std::sqrt(2.0))) return "";
    x = d->inputs[0];
  } else if (const Node* m = mt.producer(erf.inputs[0], "Mul"); m != nullptr) {
    x = mt.other_than_constant(*m, std::sqrt(0.5));
  }
  if (x.empty()) return "";
  const Node* a = mt.reader(erf.outputs[0], "Add");
  if (a == nullptr || mt.other_than_constant(*a, 1.0) != erf.outputs[0]) return "";
  return match_product(mt, a->outputs[0], x);
}

// tanh form around Tanh node `ti`.
std::string match_tanh(GeluMatcher& mt, const Node& tanh, std::string& x) {
  const Node* scaled = mt.producer(tanh.inputs[0], "Mul");
  if (scaled == nullptr) return "";
  const std::string w = mt.other_than_constant(*scaled, std::sqrt(2.0 / std::numbers::pi));
  const Node* sum = w.empty() ? nullptr : mt.producer(w, "Add");
  if (sum == nullptr) return "";
  // x + 0.044715 * cube, either operand order.
  for (int k = 0; k < 2 && x.empty(); ++k) {
    const size_t mark = mt.nodes.size();
    const Node* cubic = mt.producer(sum->inputs[k], "Mul");
    const std::string cube = cubic ? mt.other_than_constant(*cubic, 0.044715) : "";
    const std::string cand = sum->inputs[1 - k];
    bool ok = false;
    if (const Node* pw = cube.empty() ? nullptr : mt.producer(cube, "Pow"); pw != nullptr) {
      ok = pw->inputs[0] == cand && mt.near(pw->inputs[1], 3.0);
    } else if (const Node* m3 = cube.empty() ? nullptr : mt.producer(cube, "Mul"); m3 != nullptr) {
      // x * (x * x) or (x * x) * x
      for (int j = 0; j < 2 && !ok; ++j) {
        if (m3->inputs[1 - j] != cand) continue;
        const size_t inner_mark = mt.nodes.size();
        const Node* sq = mt.producer(m3->inputs[j], "Mul");
        ok = sq && sq->inputs[0] == cand && sq->inputs[1] == cand;
        if (!ok) mt.nodes.resize(inner_mark);
      }
    }
    if (ok) x = cand;
    else mt.nodes.resize(mark);
  }
  if (x.empty()) return "";
  const Node* a = mt.reader(tanh.outputs[0], "Add");
  if (a == nullptr || mt.other_than_constant(*a, 1.0) != tanh.outputs[0]) return "";
  return match_product(mt, a->outputs[0], x);
}

}  // namespace

int fuse_gelu(Model& model) {
  Graph& g = model.graph;
  int fused = 0;
  for (bool again = true; again;) {
    again = false;
    GeluMatcher mt(g);
    std::set<size_t> erase;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const bool is_erf = mt.usable(static_cast<int64_t>(i), "Erf");
      if (!is_erf && !mt.usable(static_cast<int64_t>(i), "Tanh")) continue;
      mt.nodes = {i};
      std::string x;
      const Node& core = g.nodes[i];
      const std::string out = is_erf ? match_erf(mt, core, x) : match_tanh(mt, core, x);
      if (out.empty() || x.empty() || g.initializers.count(x)) continue;
      const size_t place = static_cast<size_t>(mt.uses.producer(out));
      Node gelu;
      gelu.name = g.nodes[place].name.empty() ? out : g.nodes[place].name + "/gelu";
      gelu.op_type = "Gelu";
      gelu.domain = kOnnxiDomain;
      gelu.inputs = {x};
      gelu.outputs = {out};
      gelu.attributes.push_back(string_attr("approximate", is_erf ? "none" : "tanh"));
      for (size_t k : mt.nodes) {
        mt.taken.insert(k);
        if (k != place) erase.insert(k);
      }
      g.nodes[place] = std::move(gelu);
      ++fused;
      again = true;
    }
    erase_nodes(g, erase);
  }
  if (fused > 0) model.opset_imports.emplace(kOnnxiDomain, 1);
  return fused;
}

}  // namespace onnxi::passes
