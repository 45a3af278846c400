// Conv followed by an inference BatchNormalization, folded into the Conv's weights and bias:
//   y = scale * (conv(x, W) + B - mean) / sqrt(var + eps) + bias
//     = conv(x, W * s) + (B - mean) * s + bias,   s = scale / sqrt(var + eps), per output channel.
//
// Fires only when the result cannot differ from running both nodes: W, B, scale, bias, mean and
// var are float initializers that no graph input can override; the Conv's output feeds the BN and
// nothing else (no other node, no subgraph, not a graph output); the BN runs in inference mode
// (no training outputs, no training_mode, spatial BN) and its parameters have one value per
// output channel.
//
// The scaled weights overwrite W itself when the caller says the initializers are the session's own
// (loaded by it, nobody else holds them), W's buffer has no other holder nor reader, and it is not
// in a read-only mapped external-data file: writing 98 MiB of fresh memory (its page faults,
// mostly) was most of ResNet-50's session creation.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/parallel.h"
#include "runtime/loader/read_only_memory.h"
#include "runtime/passes/pass_util.h"

namespace onnxi::passes {
namespace {

bool is_bn_inference(const Node& bn) {
  if (bn.op_type != "BatchNormalization" || !bn.domain.empty()) return false;
  for (size_t i = 1; i < bn.outputs.size(); ++i) {
    if (!bn.outputs[i].empty()) return false;  // running statistics asked for: training
  }
  if (bn.attr_int("training_mode", 0) != 0) return false;
  if (bn.has_attr("spatial") && bn.attr_int("spatial", 1) == 0) return false;
  if (bn.has_attr("is_test") && bn.attr_int("is_test", 1) == 0) return false;
  return bn.inputs.size() == 5;
}

}  // namespace

int fold_conv_batchnorm(Graph& g, bool initializers_writable) {
  const GraphUses uses(g);
  NameAllocator names(g);
  std::set<size_t> removed;
  int folded = 0;
  for (size_t bi = 0; bi < g.nodes.size(); ++bi) {
    const Node& bn = g.nodes[bi];
    if (!is_bn_inference(bn)) continue;
    const int64_t at = uses.producer(bn.inputs[0]);
    if (at < 0 || removed.count(static_cast<size_t>(at))) continue;
    Node& conv = g.nodes[static_cast<size_t>(at)];
    if (conv.op_type != "Conv" || !conv.domain.empty() || conv.outputs.size() != 1) continue;
    if (uses.consumers(conv.outputs[0]) != 1 || uses.is_graph_output(conv.outputs[0])) continue;

    const Tensor* w = uses.constant_float(conv.inputs.size() > 1 ? conv.inputs[1] : "");
    const bool has_b = conv.inputs.size() > 2 && !conv.inputs[2].empty();
    const Tensor* b = has_b ? uses.constant_float(conv.inputs[2]) : nullptr;
    const Tensor* scale = uses.constant_float(bn.inputs[1]);
    const Tensor* bias = uses.constant_float(bn.inputs[2]);
    const Tensor* mean = uses.constant_float(bn.inputs[3]);
    const Tensor* var = uses.constant_float(bn.inputs[4]);
    if (!w || (has_b && !b) || !scale || !bias || !mean || !var || w->rank() < 3) continue;
    const int64_t M = w->dim(0);
    const auto per_channel = [M](const Tensor* t) { return t->rank() == 1 && t->dim(0) == M; };
    if (!per_channel(scale) || !per_channel(bias) || !per_channel(mean) || !per_channel(var)) continue;
    if (has_b && !per_channel(b)) continue;

    const double eps = bn.attr_float("epsilon", 1e-5f);
    const bool in_place = initializers_writable && w->holds_buffer() && w->buffer_use_count() == 1 &&
                          uses.consumers(conv.inputs[1]) == 1 && !uses.is_graph_output(conv.inputs[1]) &&
                          !loader::in_read_only_mapping(w->raw(), w->nbytes());
    // Every element is written below: no zero fill.
    Tensor new_w = in_place ? *w : new_weight_buffer(DataType::Float, w->shape());
    Tensor new_b(DataType::Float, {M});
    const int64_t per_out = w->numel() / M;
    // Output channels in parallel (the passes run in the session's threads): at 2.4 M weights a
    // layer, the scaling loop was most of this pass once the copy was gone.
    kernels::parallel_for(0, M, std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(per_out, 1)),
                          [&](int64_t m0, int64_t m1) {
                            for (int64_t m = m0; m < m1; ++m) {
                              const double s =
                                  scale->data<float>()[m] / std::sqrt(static_cast<double>(var->data<float>()[m]) + eps);
                              const float* src = w->data<float>() + m * per_out;
                              float* dst = new_w.data<float>() + m * per_out;
                              kernels::scale_f32_in_f64(src, s, dst, per_out);
                              const double b0 = has_b ? b->data<float>()[m] : 0.0;
                              new_b.data<float>()[m] =
                                  static_cast<float>((b0 - mean->data<float>()[m]) * s + bias->data<float>()[m]);
                            }
                          });
    if (!in_place) {
      const std::string w_name = names.make(conv.inputs[1] + "_bn_folded");
      g.initializers[w_name] = new_w;
      conv.inputs[1] = w_name;
    }
    const std::string b_name = names.make((has_b ? conv.inputs[2] : conv.inputs[1]) + "_bn_bias");
    g.initializers[b_name] = new_b;
    conv.inputs.resize(3);
    conv.inputs[2] = b_name;
    conv.outputs[0] = bn.outputs[0];
    removed.insert(bi);
    ++folded;
  }
  erase_nodes(g, removed);
  return folded;
}

}  // namespace onnxi::passes
