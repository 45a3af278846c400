// Conv followed by Mul or Add with a constant that is one value per output channel (or a single
// value), folded into the Conv:
//   conv(x, W) + B  then * s  =  conv(x, W * s) + B * s       (s[m] scales output channel m)
//   conv(x, W) + B  then + a  =  conv(x, W) + (B + a)
// Exporters leave these behind for frozen normalizations and scaling layers. Repeats, so a Conv
// followed by Mul then Add folds both.
//
// Fires only when the Conv's output feeds the Mul/Add and nothing else (no other node, subgraph
// or graph output), W, B and the constant are float initializers no graph input overrides, and the
// constant broadcasts against the Conv output [N, M, spatial...] without changing its shape: rank
// at most the output's, every dim 1 except the channel dim, which is M or 1.
#include <set>
#include <string>

#include "runtime/passes/pass_util.h"

namespace onnxi::passes {
namespace {

// The per-channel values of c for M channels of a rank-`out_rank` output; empty when c does not fit.
std::vector<float> per_channel(const Tensor& c, int64_t M, int64_t out_rank) {
  if (c.rank() > out_rank) return {};
  const int64_t channel_axis = c.rank() - (out_rank - 1);  // the axis of c aligned with dim 1
  for (int64_t a = 0; a < c.rank(); ++a) {
    if (c.dim(a) == 1) continue;
    if (a != channel_axis || c.dim(a) != M) return {};
  }
  std::vector<float> v(static_cast<size_t>(M));
  for (int64_t m = 0; m < M; ++m) v[static_cast<size_t>(m)] = c.data<float>()[c.numel() == 1 ? 0 : m];
  return v;
}

}  // namespace

int fold_conv_mul_add(Graph& g) {
  int folded = 0;
  for (bool again = true; again;) {
    again = false;
    const GraphUses uses(g);
    std::set<size_t> removed;
    for (size_t oi = 0; oi < g.nodes.size(); ++oi) {
      const Node& op = g.nodes[oi];
      if (!op.domain.empty() || (op.op_type != "Mul" && op.op_type != "Add")) continue;
      if (op.inputs.size() != 2 || op.outputs.size() != 1) continue;
      for (size_t side = 0; side < 2; ++side) {
        const int64_t at = uses.producer(op.inputs[side]);
        if (at < 0 || removed.count(static_cast<size_t>(at))) continue;
        Node& conv = g.nodes[static_cast<size_t>(at)];
        if (conv.op_type != "Conv" || !conv.domain.empty() || conv.outputs.size() != 1) continue;
        if (uses.consumers(conv.outputs[0]) != 1 || uses.is_graph_output(conv.outputs[0])) continue;
        const Tensor* c = uses.constant_float(op.inputs[1 - side]);
        const Tensor* w = uses.constant_float(conv.inputs.size() > 1 ? conv.inputs[1] : "");
        const bool has_b = conv.input_present(2);
        const Tensor* b = has_b ? uses.constant_float(conv.inputs[2]) : nullptr;
        if (!c || !w || (has_b && !b) || w->rank() < 3) continue;
        const int64_t M = w->dim(0);
        if (has_b && (b->rank() != 1 || b->dim(0) != M)) continue;
        const std::vector<float> k = per_channel(*c, M, w->rank());
        if (k.empty()) continue;

        Tensor new_b(DataType::Float, {M});
        for (int64_t m = 0; m < M; ++m) new_b.data<float>()[m] = has_b ? b->data<float>()[m] : 0.f;
        const std::string base = conv.inputs[1];
        if (op.op_type == "Mul") {
          Tensor new_w = new_weight_buffer(DataType::Float, w->shape());
          const int64_t per_out = w->numel() / M;
          for (int64_t m = 0; m < M; ++m) {
            for (int64_t j = 0; j < per_out; ++j) {
              new_w.data<float>()[m * per_out + j] = w->data<float>()[m * per_out + j] * k[static_cast<size_t>(m)];
            }
            new_b.data<float>()[m] *= k[static_cast<size_t>(m)];
          }
          const std::string w_name = unique_name(g, base + "_scaled");
          g.initializers[w_name] = new_w;
          conv.inputs.resize(std::max<size_t>(conv.inputs.size(), 2));
          conv.inputs[1] = w_name;
        } else {
          for (int64_t m = 0; m < M; ++m) new_b.data<float>()[m] += k[static_cast<size_t>(m)];
        }
        // Without a bias, multiplying leaves it zero: no need to add one.
        if (has_b || op.op_type == "Add") {
          const std::string b_name = unique_name(g, (has_b ? conv.inputs[2] : base) + "_folded_bias");
          g.initializers[b_name] = new_b;
          conv.inputs.resize(3);
          conv.inputs[2] = b_name;
        }
        conv.outputs[0] = op.outputs[0];
        removed.insert(oi);
        ++folded;
        again = true;
        break;
      }
    }
    erase_nodes(g, removed);
  }
  return folded;
}

}  // namespace onnxi::passes
