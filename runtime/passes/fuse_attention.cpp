// Spelled-out scaled dot-product attention becomes one com.onnxi Attention node (ops/nn/attention.cpp,
// the fused flash kernel), reading the heads in the layout they have before their transposes:
//
//   Q4 [B, S, H, D] -> Transpose(0,2,1,3) [-> Mul/Div by a scalar] -------------------.
//   K4 [B, S, H, D] -> Transpose(0,2,3,1)                                              MatMul -> [Mul/Div by a scalar]
//                   or Transpose(0,2,1,3) [-> Mul/Div] -> Transpose(0,1,3,2)  [-> Mul/Div] -'
//     -> [Add mask] -> Softmax(last axis) -> MatMul(., V4 -> Transpose(0,2,1,3)) -> Transpose(0,2,1,3) -> Y
//
// The mask may also be a bool one, Where(mask, scores, -inf) before or after the scale (it becomes
// Attention's bool mask: true attends), and grouped KV heads may be repeated up to the query's
// count before the products, as Hugging Face's repeat_kv exports it: heads [B, Hk, S, D] ->
// Unsqueeze (or Reshape) to [B, Hk, 1, S, D] -> Expand or Tile to [B, Hk, n, S, D] -> Reshape to
// [B, Hk*n, S, D] (query head h reads KV head h / n, Attention's grouping); those shapes must be
// known statically, so only a repeat of whole heads along that axis matches. K and V then enter
// with their Hk heads.
//
// becomes Y = com.onnxi Attention(Q4, K4, V4 [, mask]) with scale = the product of the scalars (Div
// by c counts as 1/c; none: 1). Whatever produced Q4/K4/V4 (Reshape of a projection, usually) and
// whatever reads Y (the Reshape to [B, S, H*D]) stay. This covers the PyTorch/BERT export (scale on
// the scores), Hugging Face's scale on Q and K after the head transpose, and tf2onnx's scale before
// the Reshape (outside the pattern: scale 1).
//
// Fires only when every intermediate has exactly the one reader the pattern expects and is not a
// graph output, the scalars are float initializers no feed overrides, and the values are known to
// be float32 (a float32 constant, graph input or value_info on the way, through the shape-keeping
// ops that feed them). One difference from the unfused graph: a query whose every score is -inf gets
// zeros (Attention's rule) where Softmax gives NaN.
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "runtime/passes/pass_util.h"
#include "runtime/passes/value_types.h"

namespace onnxi::passes {
namespace {

constexpr const char* kOnnxiDomain = "com.onnxi";

struct Matcher {
  const Model& model;
  const Graph& g;
  const GraphUses& uses;
  const std::set<size_t>& taken;
  const ValueTypes* types;  // null when the graph repeats no heads (nothing needs shapes)

  const Node* producer(const std::string& name, size_t* index = nullptr) const {
    const int64_t at = uses.producer(name);
    if (at < 0 || taken.count(static_cast<size_t>(at))) return nullptr;
    if (index) *index = static_cast<size_t>(at);
    return &g.nodes[static_cast<size_t>(at)];
  }
  // An intermediate the pattern may delete: read once, by the pattern, and not a graph output.
  bool private_value(const std::string& name) const {
    return uses.consumers(name) == 1 && !uses.is_graph_output(name);
  }
  int64_t opset(const Node& n) const {
    if (n.opset > 0) return n.opset;
    auto it = model.opset_imports.find(n.domain);
    return it == model.opset_imports.end() ? 0 : it->second;
  }
  static bool is(const Node* n, const char* op) { return n && n->domain.empty() && n->op_type == op; }
  static bool has_perm(const Node& n, const std::vector<int64_t>& perm) {
    for (const Attribute& a : n.attributes) {
      if (a.name == "perm") return a.ints == perm;
    }
    return false;
  }

  // `name` = Mul(x, c) / Mul(c, x) / Div(x, c) with c a scalar float constant: returns x and
  // multiplies *factor; else returns name unchanged.
  std::string strip_scale(const std::string& name, float* factor, std::vector<size_t>* nodes, bool* is_float) const {
    if (!private_value(name)) return name;
    size_t at = 0;
    const Node* n = producer(name, &at);
    if (!(is(n, "Mul") || is(n, "Div")) || n->inputs.size() != 2) return name;
    for (size_t side = 0; side < 2; ++side) {
      if (side == 0 && n->op_type == "Div") continue;  // c / x is no scale
      const Tensor* c = uses.constant_float(n->inputs[side]);
      if (c == nullptr || c->numel() != 1) continue;
      const float v = c->data<float>()[0];
      if (n->op_type == "Div") {
        if (v == 0.f || !std::isfinite(v)) return name;
        *factor /= v;
      } else {
        *factor *= v;
      }
      nodes->push_back(at);
      *is_float = true;  // a float32 scalar in an elementwise op: the other operand is float32 too
      return n->inputs[1 - side];
    }
    return name;
  }

  // `name` = Transpose(x, perm) read only here: x, else "".
  std::string through_transpose(const std::string& name, const std::vector<int64_t>& perm,
                                std::vector<size_t>* nodes) const {
    if (!private_value(name)) return "";
    size_t at = 0;
    const Node* n = producer(name, &at);
    if (!is(n, "Transpose") || n->inputs.size() != 1 || !has_perm(*n, perm)) return "";
    nodes->push_back(at);
    return n->inputs[0];
  }

  // `name` = heads [B, Hk, S, D] repeated to [B, Hk*n, S, D] (see the top): the unrepeated heads,
  // with *repeat = n; else name unchanged and *repeat = 1.
  std::string strip_repeat(const std::string& name, int64_t* repeat, std::vector<size_t>* nodes) const {
    *repeat = 1;
    if (types == nullptr || !private_value(name)) return name;
    size_t rs_at = 0, ex_at = 0, un_at = 0;
    const Node* rs = producer(name, &rs_at);
    if (!is(rs, "Reshape") || !private_value(rs->inputs[0])) return name;
    const Node* ex = producer(rs->inputs[0], &ex_at);
    if (!(is(ex, "Expand") || is(ex, "Tile")) || ex->inputs.size() != 2 || !private_value(ex->inputs[0])) return name;
    const Node* un = producer(ex->inputs[0], &un_at);
    if (!(is(un, "Unsqueeze") || is(un, "Reshape")) || un->inputs.empty()) return name;
    const Shape* src = types->static_shape(un->inputs[0]);
    const Shape* one = types->static_shape(ex->inputs[0]);
    const Shape* rep = types->static_shape(rs->inputs[0]);
    const Shape* out = types->static_shape(name);
    if (!src || !one || !rep || !out || src->size() != 4) return name;
    const Shape& x = *src;
    const int64_t n = rep->size() == 5 ? (*rep)[2] : 0;
    if (*one != Shape{x[0], x[1], 1, x[2], x[3]} || n < 1 || *rep != Shape{x[0], x[1], n, x[2], x[3]} ||
        *out != Shape{x[0], x[1] * n, x[2], x[3]}) {
      return name;
    }
    nodes->insert(nodes->end(), {rs_at, ex_at, un_at});
    *repeat = n;
    return un->inputs[0];
  }

  // `name` = Where(mask, x, -inf): x, with *mask = the condition; else name unchanged.
  std::string strip_where(const std::string& name, std::string* mask, std::vector<size_t>* nodes) const {
    if (!private_value(name)) return name;
    size_t at = 0;
    const Node* w = producer(name, &at);
    if (!is(w, "Where") || w->inputs.size() != 3 || w->inputs[0] == w->inputs[1]) return name;
    const Tensor* fill = uses.constant_float(w->inputs[2]);
    if (fill == nullptr || fill->numel() != 1 || !std::isinf(fill->data<float>()[0]) || fill->data<float>()[0] > 0) {
      return name;
    }
    nodes->push_back(at);
    *mask = w->inputs[0];
    return w->inputs[1];
  }

  // Whether `name` is known to hold float32: a float initializer, a typed graph input or
  // value_info, or the output of an op that keeps its first input's type, within a few steps.
  bool known_float(const std::string& name, int depth = 0) const {
    if (g.initializers.count(name)) return g.initializers.at(name).dtype() == DataType::Float;
    for (const auto* list : {&g.inputs, &g.value_info}) {
      for (const ValueInfo& v : *list) {
        if (v.name == name && v.type.elem != DataType::Undefined) return v.type.elem == DataType::Float;
      }
    }
    if (depth >= 8) return false;
    const int64_t at = uses.producer(name);
    if (at < 0) return false;
    const Node& n = g.nodes[static_cast<size_t>(at)];
    static const std::set<std::string> same_type = {"Reshape", "Transpose", "Squeeze", "Unsqueeze", "Identity",
                                                    "Add",     "Sub",       "Mul",     "Div",       "MatMul"};
    if (!n.domain.empty() || !same_type.count(n.op_type) || n.inputs.empty()) return false;
    const size_t operands = n.op_type == "Reshape" || n.op_type == "Squeeze" || n.op_type == "Unsqueeze"
                                ? 1
                                : n.inputs.size();
    for (size_t i = 0; i < operands; ++i) {
      if (!n.inputs[i].empty() && known_float(n.inputs[i], depth + 1)) return true;
    }
    return false;
  }
};

struct Match {
  std::vector<size_t> nodes;  // to delete, the last Transpose (replaced in place) excluded
  size_t out_transpose = 0;
  std::string q, k, v, mask, y;
  float scale = 1.f;
  bool is_float = false;
  bool bool_mask = false;  // the mask came from a Where: the scale must keep -inf at -inf
  int64_t k_repeat = 1, v_repeat = 1;
};

// The scores side (MatMul(Q, K^T), optionally scaled) ending at `name`.
bool match_scores(const Matcher& m, std::string name, Match& out) {
  name = m.strip_scale(name, &out.scale, &out.nodes, &out.is_float);
  if (out.mask.empty()) {
    name = m.strip_where(name, &out.mask, &out.nodes);
    out.bool_mask = !out.mask.empty();
    if (out.bool_mask) name = m.strip_scale(name, &out.scale, &out.nodes, &out.is_float);
  }
  if (!m.private_value(name)) return false;
  size_t at = 0;
  const Node* qk = m.producer(name, &at);
  if (!Matcher::is(qk, "MatMul") || qk->inputs.size() != 2) return false;
  out.nodes.push_back(at);
  const std::string q_t = m.strip_scale(qk->inputs[0], &out.scale, &out.nodes, &out.is_float);
  out.q = m.through_transpose(q_t, {0, 2, 1, 3}, &out.nodes);
  if (out.q.empty()) return false;
  const std::string k_t = m.strip_scale(qk->inputs[1], &out.scale, &out.nodes, &out.is_float);
  out.k = m.through_transpose(k_t, {0, 2, 3, 1}, &out.nodes);
  if (out.k.empty()) {
    std::string k_heads = m.through_transpose(k_t, {0, 1, 3, 2}, &out.nodes);
    if (k_heads.empty()) return false;
    k_heads = m.strip_scale(k_heads, &out.scale, &out.nodes, &out.is_float);
    k_heads = m.strip_repeat(k_heads, &out.k_repeat, &out.nodes);
    out.k = m.through_transpose(k_heads, {0, 2, 1, 3}, &out.nodes);
  }
  return !out.k.empty();
}

// The pattern whose Softmax is g.nodes[si].
bool match_at(const Matcher& m, size_t si, Match& out) {
  const Graph& g = m.g;
  const Node& sm = g.nodes[si];
  if (!Matcher::is(&sm, "Softmax") || sm.inputs.size() != 1 || sm.outputs.size() != 1) return false;
  // Before opset 13 the default axis (1) flattens; only an explicit last axis means per row.
  const int64_t axis = sm.attr_int("axis", m.opset(sm) >= 13 ? -1 : 1);
  if (axis != -1 && axis != 3) return false;
  out.nodes.push_back(si);
  const std::string probs = sm.outputs[0];
  if (!m.private_value(probs)) return false;
  // Readers of probs and of the context: found by scanning (each has exactly one).
  auto reader = [&](const std::string& name, size_t* index) -> const Node* {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const std::string& in : g.nodes[i].inputs) {
        if (in == name && !m.taken.count(i)) {
          *index = i;
          return &g.nodes[i];
        }
      }
    }
    return nullptr;
  };
  size_t pv_at = 0, out_at = 0;
  const Node* pv = reader(probs, &pv_at);
  if (!Matcher::is(pv, "MatMul") || pv->inputs.size() != 2 || pv->inputs[0] != probs || pv->inputs[1] == probs) {
    return false;
  }
  out.nodes.push_back(pv_at);
  out.v = m.through_transpose(m.strip_repeat(pv->inputs[1], &out.v_repeat, &out.nodes), {0, 2, 1, 3}, &out.nodes);
  if (out.v.empty() || pv->outputs.size() != 1 || !m.private_value(pv->outputs[0])) return false;
  const Node* tr = reader(pv->outputs[0], &out_at);
  if (!Matcher::is(tr, "Transpose") || tr->outputs.size() != 1 || !Matcher::has_perm(*tr, {0, 2, 1, 3})) return false;
  out.out_transpose = out_at;
  out.y = tr->outputs[0];

  // Back from the Softmax: an optional mask Add, then the scores.
  const std::string x = sm.inputs[0];
  if (!m.private_value(x)) return false;
  size_t add_at = 0;
  const Node* add = m.producer(x, &add_at);
  if (Matcher::is(add, "Add") && add->inputs.size() == 2) {
    for (size_t side = 0; side < 2; ++side) {
      Match trial = out;
      trial.nodes.push_back(add_at);
      trial.mask = add->inputs[1 - side];  // set first: the scores then take no Where mask too
      if (add->inputs[side] != add->inputs[1 - side] && match_scores(m, add->inputs[side], trial)) {
        out = trial;
        return true;
      }
    }
    return false;
  }
  return match_scores(m, x, out);
}

}  // namespace

int fuse_attention(Model& model) {
  Graph& g = model.graph;
  const GraphUses uses(g);
  // Shapes only matter for repeated KV heads: inferred only when the graph could have them.
  std::unique_ptr<ValueTypes> types;
  for (const Node& n : g.nodes) {
    if (!types && n.domain.empty() && (n.op_type == "Expand" || n.op_type == "Tile")) {
      types = std::make_unique<ValueTypes>(ValueTypes::of_graph(model, g, nullptr));
    }
  }
  std::set<size_t> removed;
  std::vector<std::pair<size_t, Node>> replacements;
  int fused = 0;
  for (size_t si = 0; si < g.nodes.size(); ++si) {
    const Matcher m{model, g, uses, removed, types.get()};
    Match match;
    if (!match_at(m, si, match)) continue;
    // K and V must enter with the same heads; -inf times a negative scale would be +inf.
    if (match.k_repeat != match.v_repeat || (match.bool_mask && !(match.scale > 0.f))) continue;
    const bool is_float = match.is_float || m.known_float(match.q) || m.known_float(match.k) ||
                          m.known_float(match.v) || (!match.mask.empty() && m.known_float(match.mask));
    if (!is_float) continue;
    std::set<size_t> pattern(match.nodes.begin(), match.nodes.end());
    pattern.insert(match.out_transpose);
    if (pattern.size() != match.nodes.size() + 1) continue;  // a node matched twice: not this pattern
    Node fused_node;
    fused_node.name = g.nodes[match.out_transpose].name.empty() ? match.y + "_attention"
                                                                : g.nodes[match.out_transpose].name + "_attention";
    fused_node.op_type = "Attention";
    fused_node.domain = kOnnxiDomain;
    fused_node.inputs = {match.q, match.k, match.v};
    if (!match.mask.empty()) fused_node.inputs.push_back(match.mask);
    fused_node.outputs = {match.y};
    fused_node.attributes.push_back(float_attr("scale", match.scale));
    removed.insert(match.nodes.begin(), match.nodes.end());
    removed.insert(match.out_transpose);
    replacements.emplace_back(match.out_transpose, std::move(fused_node));
    ++fused;
  }
  // The fused node takes the place of the last Transpose: its inputs all come from before the
  // pattern, so the order stays topological.
  for (auto& [at, node] : replacements) {
    g.nodes[at] = std::move(node);
    removed.erase(at);
  }
  erase_nodes(g, removed);
  if (fused > 0) model.opset_imports.emplace(kOnnxiDomain, 1);
  return fused;
}

}  // namespace onnxi::passes
