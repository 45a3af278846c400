// Level "all": runs of 2-D float Conv / FusedConv and the elementwise ops and pools between them
// move to the blocked-channel layout (kernels/cpu/conv_nchwc.h): each Conv becomes a com.onnxi
// NchwcConv, MaxPool / AveragePool their Nchwc twins, and Relu, Clip, Add... run unchanged on the
// blocked tensors (same shape on both sides). ReorderInput / ReorderOutput appear only at the
// borders: graph inputs and outputs, values a subgraph reads, and ops that need NCHW (Flatten,
// Gemm, Reshape...), each at most once per value. GlobalAveragePool reads blocked and writes NCHW.
// A conv that starts a region reads the NCHW value itself (no ReorderInput) unless it is a 3x3
// stride-1 conv (Winograd reads blocks) or a 1x1 that fuses with its depthwise reader; a conv
// whose blocked output only a ReorderOutput reads (and with no Sum) writes NCHW itself
// (nchw_output = 1), so a one-conv region has no reorder at all. ONNXI_NCHWC_BORDER_FUSION=0 keeps
// the reorders at the borders instead (to time one against the other).
//
// A residual Add(conv_out, other) with `other` blocked and the same channel count is folded into
// the conv (its Sum input), and a Relu after the Add becomes the conv's activation, when conv_out
// and the Add's output have no other reader and are not graph outputs. The fused conv then takes
// the Add's place in the node order (its inputs are all computed by then; `other` may be later
// than the conv, as a ResNet downsample branch is).
//
// A 1x1 stride-1 NchwcConv on a blocked input whose only reader is a depthwise NchwcConv (neither
// with Sum) becomes one com.onnxi NchwcPointwiseDepthwise (ops/nn/conv_nchwc.cpp): MobileNetV2's
// expand + depthwise pairs, whose wide intermediate then never leaves the cache.
//
// On AVX2 a 1x1 stride-1 conv that would be a region of its own (its input NCHW, no reader that
// could join it) stays NCHW: the plain GEMM reads and writes NCHW in place, where the one-conv
// region's tiles read 16 channel planes per block and transpose their output back. Zen 3, 1 thread
// (min of runs / median of 4 alternations): 64 -> 256 at 56 x 56 1.41 -> 1.13 ms min, 24 -> 144
// 0.33 -> 0.25, 144 -> 24 0.44 -> 0.36; 512 -> 2048 at 7 x 7 1.83-1.96 -> 1.59-1.67 ms median,
// 1024 -> 256 at 14 x 14 1.53-1.63 -> 1.25-1.38. The AVX-512 tiles were not measured for this and
// keep the region.
//
// Fires only where the fast (AVX-512 or AVX2) kernels run (kernels::nchwc_fast); elsewhere the
// NCHW path is the faster one.
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "kernels/cpu/conv_nchwc.h"
#include "kernels/cpu/conv_winograd.h"
#include "kernels/cpu/cpu_features.h"
#include "runtime/passes/pass_util.h"

namespace onnxi::passes {
namespace {

constexpr const char* kOnnxi = "com.onnxi";

bool is_default(const Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

bool border_fusion() {
  static const bool on = [] {
    const char* v = std::getenv("ONNXI_NCHWC_BORDER_FUSION");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return on;
}

// Channels in and out of a convertible Conv / FusedConv; false when it is not one.
bool convertible_conv(const Node& n, const GraphUses& uses, int64_t& c, int64_t& m) {
  const bool conv = is_default(n, "Conv") || (n.domain == kOnnxi && n.op_type == "FusedConv");
  if (!conv || n.outputs.size() != 1 || n.inputs.size() < 2 || n.inputs.size() > 3) return false;
  const Tensor* w = uses.constant_float(n.inputs[1]);
  if (w == nullptr || w->rank() != 4 || w->numel() == 0) return false;
  if (n.inputs.size() == 3 && !n.inputs[2].empty()) {
    const Tensor* b = uses.constant_float(n.inputs[2]);
    if (b == nullptr || b->numel() != w->dim(0)) return false;
  }
  const int64_t group = n.attr_int("group", 1);
  m = w->dim(0);
  c = w->dim(1) * group;
  const std::vector<int64_t> ks = n.attr_ints("kernel_shape");
  if (!ks.empty() && ks != std::vector<int64_t>{w->dim(2), w->dim(3)}) return false;
  return group >= 1 && m % group == 0 && kernels::nchwc_conv_supported(c, m, group, false);
}

bool blocked_unary(const Node& n) {
  if (!n.domain.empty() || n.outputs.size() != 1 || n.inputs.empty()) return false;
  static const std::set<std::string> ops{"Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish"};
  return ops.count(n.op_type) != 0;
}

bool blocked_binary(const Node& n) {
  return n.domain.empty() && n.inputs.size() == 2 && n.outputs.size() == 1 &&
         (n.op_type == "Add" || n.op_type == "Sub" || n.op_type == "Mul");
}

bool blocked_pool(const Node& n) {
  if (!(is_default(n, "MaxPool") || is_default(n, "AveragePool")) || n.inputs.size() != 1) return false;
  if (n.outputs.empty() || n.outputs.size() > 2 || (n.outputs.size() == 2 && !n.outputs[1].empty())) return false;
  return n.attr_ints("kernel_shape").size() == 2;
}

class Rewriter {
 public:
  explicit Rewriter(Model& model) : g_(model.graph), uses_(model.graph) {
    for (const auto& [name, t] : g_.initializers) used_.insert(name);
    for (const ValueInfo& v : g_.inputs) used_.insert(v.name);
    for (const Node& n : g_.nodes) {
      for (const std::string& o : n.outputs) used_.insert(o);
      for (const std::string& in : n.inputs) {
        if (!in.empty()) ++direct_reads_[in];
      }
    }
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      for (const std::string& in : g_.nodes[i].inputs) readers_[in].push_back(i);
    }
    find_residuals();
  }

  int run() {
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (skipped_.count(i)) continue;
      if (deferred_.count(i)) continue;  // emitted at its Add
      const Node& n = g_.nodes[i];
      if (auto it = residual_at_add_.find(i); it != residual_at_add_.end()) {
        emit_residual(i, it->second);
        continue;
      }
      int64_t c = 0, m = 0;
      if (convertible_conv(n, uses_, c, m) && !stays_nchw(n, c, m)) {
        emit_conv(n, c, m, "", n.outputs[0]);
      } else if (blocked_unary(n) && is_blocked(n.inputs[0]) && !any_blocked(n, 1)) {
        emit_same_layout(n, blocked_[n.inputs[0]].channels);
      } else if (blocked_binary(n) && is_blocked(n.inputs[0]) && is_blocked(n.inputs[1]) &&
                 blocked_[n.inputs[0]].channels == blocked_[n.inputs[1]].channels) {
        emit_same_layout(n, blocked_[n.inputs[0]].channels);
      } else if (blocked_pool(n) && is_blocked(n.inputs[0])) {
        Node p = n;
        p.op_type = n.op_type == "MaxPool" ? "NchwcMaxPool" : "NchwcAveragePool";
        p.domain = kOnnxi;
        p.opset = 0;
        p.outputs.resize(1);
        emit_same_layout(p, blocked_[n.inputs[0]].channels);
      } else if (is_default(n, "GlobalAveragePool") && n.inputs.size() == 1 && n.outputs.size() == 1 &&
                 is_blocked(n.inputs[0])) {
        Node p = n;  // its output is NCHW: the region ends here
        p.op_type = "NchwcGlobalAveragePool";
        p.domain = kOnnxi;
        p.opset = 0;
        p.inputs[0] = blocked_[n.inputs[0]].name;
        p.attributes.push_back(int_attr("channels", blocked_[n.inputs[0]].channels));
        out_.push_back(std::move(p));
        ++converted_;
      } else {
        Node copy = n;
        for (const std::string& in : copy.inputs) need_nchw(in);
        out_.push_back(std::move(copy));
      }
    }
    for (const ValueInfo& o : g_.outputs) need_nchw(o.name);
    fuse_pointwise_depthwise();
    if (border_fusion()) fuse_reorder_output();
    if (converted_ > 0) g_.nodes = std::move(out_);
    return converted_;
  }

 private:
  struct Blocked {
    std::string name;
    int64_t channels = 0;
  };

  bool is_blocked(const std::string& name) const { return !name.empty() && blocked_.count(name) != 0; }
  bool any_blocked(const Node& n, size_t from) const {
    for (size_t i = from; i < n.inputs.size(); ++i) {
      if (is_blocked(n.inputs[i])) return true;
    }
    return false;
  }

  // Convs that would form a region of their own, where the NCHW kernels are faster than the
  // blocked ones with their border reorders (the file comment):
  // - a depthwise conv on an NCHW input: a few FMAs per value, less than two reorders cost;
  // - on AVX2, a 1x1 stride-1 unpadded group-1 conv on an NCHW input whose output no op that could
  //   continue a region reads (the plain GEMM reads and writes NCHW in place).
  bool stays_nchw(const Node& n, int64_t c, int64_t m) const {
    if (is_blocked(n.inputs[0])) return false;
    const int64_t group = n.attr_int("group", 1);
    if (group == c && c == m && c > 1) return true;
    if (kernels::active_isa() != kernels::Isa::Avx2 || group != 1) return false;
    const Tensor* w = uses_.constant_float(n.inputs[1]);
    auto all = [&](const char* attr, int64_t want) {
      for (int64_t v : n.attr_ints(attr)) {
        if (v != want) return false;
      }
      return true;
    };
    const std::string pad = n.attr_string("auto_pad", "NOTSET");
    return w != nullptr && w->dim(2) == 1 && w->dim(3) == 1 && all("strides", 1) && all("pads", 0) &&
           (pad == "NOTSET" || pad == "VALID") && !region_reader(n.outputs[0]);
  }

  // Whether a reader of `name` could continue a blocked region.
  bool region_reader(const std::string& name) const {
    auto it = readers_.find(name);
    if (it == readers_.end()) return false;
    for (size_t r : it->second) {
      const Node& n = g_.nodes[r];
      int64_t c = 0, m = 0;
      if (convertible_conv(n, uses_, c, m) || blocked_unary(n) || blocked_binary(n) || blocked_pool(n) ||
          is_default(n, "GlobalAveragePool")) {
        return true;
      }
    }
    return false;
  }

  std::string fresh(const std::string& base) {
    std::string name = base;
    for (int i = 1; used_.count(name); ++i) name = base + "_" + std::to_string(i);
    used_.insert(name);
    return name;
  }

  // `name` in NCHW: a ReorderOutput of its blocked value the first time a reader needs it.
  void need_nchw(const std::string& name) {
    if (name.empty() || !blocked_only_.count(name)) return;
    Node r;
    r.name = fresh(name + "_reorder_output");
    r.op_type = "ReorderOutput";
    r.domain = kOnnxi;
    r.inputs = {blocked_[name].name};
    r.outputs = {name};
    r.attributes.push_back(int_attr("channels", blocked_[name].channels));
    out_.push_back(std::move(r));
    blocked_only_.erase(name);
  }

  std::string need_blocked(const std::string& name, int64_t channels) {
    if (is_blocked(name) && blocked_[name].channels == channels) return blocked_[name].name;
    need_nchw(name);
    Node r;
    r.name = fresh(name + "_reorder_input");
    r.op_type = "ReorderInput";
    r.domain = kOnnxi;
    r.inputs = {name};
    r.outputs = {fresh(name + "_nchwc")};
    blocked_[name] = {r.outputs[0], channels};
    out_.push_back(std::move(r));
    return blocked_[name].name;
  }

  // Records `orig` as produced blocked (as `name`); reorders back at once where a subgraph reads it.
  void produced(const std::string& orig, const std::string& name, int64_t channels) {
    blocked_[orig] = {name, channels};
    blocked_only_.insert(orig);
    ++converted_;
    auto it = direct_reads_.find(orig);
    const int direct = it == direct_reads_.end() ? 0 : it->second;
    if (uses_.consumers(orig) > direct) need_nchw(orig);
  }

  void emit_same_layout(const Node& n, int64_t channels) {
    Node b = n;
    for (std::string& in : b.inputs) {
      if (is_blocked(in)) in = blocked_[in].name;
    }
    b.outputs[0] = fresh(n.outputs[0] + "_nchwc");
    out_.push_back(b);
    produced(n.outputs[0], b.outputs[0], channels);
  }

  // The only reader of conv's output is a depthwise conv (of its m channels).
  bool feeds_depthwise(const Node& conv, int64_t m) const {
    auto it = readers_.find(conv.outputs[0]);
    if (it == readers_.end() || it->second.size() != 1 || uses_.is_graph_output(conv.outputs[0])) return false;
    const Node& r = g_.nodes[it->second[0]];
    int64_t rc = 0, rm = 0;
    return convertible_conv(r, uses_, rc, rm) && r.inputs[0] == conv.outputs[0] && r.attr_int("group", 1) == m &&
           rc == m && rm == m && m > 1;
  }

  // 3x3, stride 1, dilation 1 on 16+ channels in and out: conv_winograd.h's shapes.
  bool winograd_shape(const Node& conv, int64_t c, int64_t m) const {
    const Tensor* w = uses_.constant_float(conv.inputs[1]);
    const std::vector<int64_t> ones{1, 1};
    const std::vector<int64_t> strides = conv.attr_ints("strides"), dilations = conv.attr_ints("dilations");
    return w != nullptr && w->dim(2) == 3 && w->dim(3) == 3 && c >= kernels::kNchwcBlock &&
           m >= kernels::kNchwcBlock && (strides.empty() || strides == ones) && (dilations.empty() || dilations == ones);
  }

  // The conv as NchwcConv, with `sum` (a blocked value or "") and the result named for `result`.
  void emit_conv(const Node& conv, int64_t c, int64_t m, const std::string& sum, const std::string& result,
                 bool relu = false) {
    Node b = conv;
    const int64_t group = conv.attr_int("group", 1);
    // A conv that starts a region reads its NCHW input directly, 16 channel planes per block (a
    // first conv on a few channels: all its planes as one): a ReorderInput would write and read the
    // whole input once more. Not a 3x3 stride-1 conv, whose Winograd kernel reads blocks, nor a 1x1
    // conv that fuses with the depthwise conv reading it (that needs a blocked input).
    const bool direct = group == 1 && !is_blocked(conv.inputs[0]) &&
                        (c <= 4 || (border_fusion() && !winograd_shape(conv, c, m) && !feeds_depthwise(conv, m)));
    b.inputs[0] = direct ? conv.inputs[0] : need_blocked(conv.inputs[0], c);
    b.inputs.resize(4);
    b.inputs[3] = sum;
    if (sum.empty()) b.inputs.resize(3);
    b.op_type = "NchwcConv";
    b.domain = kOnnxi;
    b.opset = 0;
    if (relu) {
      b.attributes.push_back(string_attr("activation", "Relu"));
    }
    b.outputs = {fresh(result + "_nchwc")};
    out_.push_back(b);
    produced(result, b.outputs[0], m);
  }

  // Add(conv_out, other) (+ Relu) where conv_out's producer can take the Add as its Sum input.
  void find_residuals() {
    for (size_t ai = 0; ai < g_.nodes.size(); ++ai) {
      const Node& add = g_.nodes[ai];
      if (!is_default(add, "Add") || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
      if (add.inputs[0] == add.inputs[1]) continue;
      for (int j = 1; j >= 0; --j) {
        const int64_t pc = uses_.producer(add.inputs[static_cast<size_t>(j)]);
        if (pc < 0 || deferred_.count(static_cast<size_t>(pc))) continue;
        const Node& conv = g_.nodes[static_cast<size_t>(pc)];
        int64_t c = 0, m = 0;
        if (!is_default(conv, "Conv") || !convertible_conv(conv, uses_, c, m)) continue;
        if (uses_.consumers(conv.outputs[0]) != 1 || uses_.is_graph_output(conv.outputs[0])) continue;
        Residual r;
        r.conv = static_cast<size_t>(pc);
        r.other = add.inputs[static_cast<size_t>(1 - j)];
        const std::string& y = add.outputs[0];
        auto rd = readers_.find(y);
        if (uses_.consumers(y) == 1 && !uses_.is_graph_output(y) && rd != readers_.end() && rd->second.size() == 1) {
          const Node& relu = g_.nodes[rd->second[0]];
          if (is_default(relu, "Relu") && relu.outputs.size() == 1) r.relu = static_cast<int64_t>(rd->second[0]);
        }
        deferred_.insert(r.conv);
        residual_at_add_[ai] = r;
        break;
      }
    }
  }

  struct Residual {
    size_t conv = 0;
    std::string other;
    int64_t relu = -1;
  };

  void emit_residual(size_t ai, const Residual& r) {
    const Node& add = g_.nodes[ai];
    const Node& conv = g_.nodes[r.conv];
    int64_t c = 0, m = 0;
    convertible_conv(conv, uses_, c, m);
    // Add(x, conv(x)): the conv reorders x anyway, so the residual can read that copy.
    if (!is_blocked(r.other) && r.other == conv.inputs[0] && c == m) need_blocked(r.other, c);
    if (is_blocked(r.other) && blocked_[r.other].channels == m) {
      const bool relu = r.relu >= 0;
      const std::string result = relu ? g_.nodes[static_cast<size_t>(r.relu)].outputs[0] : add.outputs[0];
      emit_conv(conv, c, m, blocked_[r.other].name, result, relu);
      if (relu) skipped_.insert(static_cast<size_t>(r.relu));
      return;
    }
    // `other` stays NCHW (or has other channels): the conv alone, then the Add as it comes.
    emit_conv(conv, c, m, "", conv.outputs[0]);
    Node copy = add;
    for (const std::string& in : copy.inputs) need_nchw(in);
    out_.push_back(std::move(copy));
  }

  bool is_nchwc_conv(const Node& n) const {
    return n.domain == kOnnxi && n.op_type == "NchwcConv" && n.outputs.size() == 1 && n.inputs.size() >= 2 &&
           n.inputs.size() <= 3;  // 4 inputs: a Sum
  }

  // W [E, C, 1, 1], group 1, stride 1, no pads, on a blocked input.
  bool blocked_pointwise(const Node& n, std::set<std::string>& blocked_values) const {
    if (!is_nchwc_conv(n)) return false;
    const Tensor* w = uses_.constant_float(n.inputs[1]);
    if (w == nullptr || w->rank() != 4 || w->dim(2) != 1 || w->dim(3) != 1 || n.attr_int("group", 1) != 1) return false;
    for (int64_t v : n.attr_ints("strides")) {
      if (v != 1) return false;
    }
    for (int64_t v : n.attr_ints("pads")) {
      if (v != 0) return false;
    }
    const std::string pad = n.attr_string("auto_pad", "NOTSET");
    return (pad == "NOTSET" || pad == "VALID") && blocked_values.count(n.inputs[0]) != 0;
  }

  void fuse_pointwise_depthwise() {
    std::set<std::string> blocked_values;
    for (const auto& [name, b] : blocked_) blocked_values.insert(b.name);
    std::map<std::string, int> reads;
    std::map<std::string, size_t> reader;
    for (size_t i = 0; i < out_.size(); ++i) {
      for (const std::string& in : out_[i].inputs) {
        ++reads[in];
        reader[in] = i;
      }
    }
    for (const ValueInfo& o : g_.outputs) ++reads[o.name];
    std::set<size_t> removed;
    for (size_t i = 0; i < out_.size(); ++i) {
      const Node& pw = out_[i];
      if (!blocked_pointwise(pw, blocked_values) || reads[pw.outputs[0]] != 1) continue;
      Node& dw = out_[reader[pw.outputs[0]]];
      const Tensor* w1 = uses_.constant_float(pw.inputs[1]);
      const Tensor* w2 = is_nchwc_conv(dw) ? uses_.constant_float(dw.inputs[1]) : nullptr;
      if (w2 == nullptr || w2->rank() != 4 || dw.inputs[0] != pw.outputs[0] || w2->dim(0) != w1->dim(0) || w2->dim(1) != 1 ||
          dw.attr_int("group", 1) != w1->dim(0)) {
        continue;
      }
      Node fused = dw;
      fused.op_type = "NchwcPointwiseDepthwise";
      fused.inputs = {pw.inputs[0], pw.inputs[1], pw.inputs.size() > 2 ? pw.inputs[2] : "", dw.inputs[1],
                      dw.inputs.size() > 2 ? dw.inputs[2] : ""};
      for (const Attribute& a : pw.attributes) {
        if (a.name.rfind("activation", 0) != 0) continue;
        Attribute renamed = a;
        renamed.name = "pointwise_" + a.name;
        fused.attributes.push_back(renamed);
      }
      dw = std::move(fused);
      removed.insert(i);
    }
    if (removed.empty()) return;
    std::vector<Node> kept;
    for (size_t i = 0; i < out_.size(); ++i) {
      if (!removed.count(i)) kept.push_back(std::move(out_[i]));
    }
    out_ = std::move(kept);
  }

  // ReorderOutput(NchwcConv(...)) where the blocked value has no other reader and the conv no Sum:
  // the conv writes NCHW itself (nchw_output), transposing each task's tiles while in cache.
  void fuse_reorder_output() {
    std::map<std::string, int> reads;
    std::map<std::string, size_t> producer;
    for (size_t i = 0; i < out_.size(); ++i) {
      for (const std::string& in : out_[i].inputs) ++reads[in];
      for (const std::string& o : out_[i].outputs) producer[o] = i;
    }
    for (const ValueInfo& o : g_.outputs) ++reads[o.name];
    std::set<size_t> removed;
    for (size_t i = 0; i < out_.size(); ++i) {
      const Node& r = out_[i];
      if (r.domain != kOnnxi || r.op_type != "ReorderOutput" || r.inputs.size() != 1 || r.outputs.size() != 1) continue;
      auto it = producer.find(r.inputs[0]);
      if (it == producer.end() || reads[r.inputs[0]] != 1) continue;
      Node& conv = out_[it->second];
      if (!is_nchwc_conv(conv)) continue;
      conv.outputs = r.outputs;
      conv.attributes.push_back(int_attr("nchw_output", 1));
      removed.insert(i);
    }
    if (removed.empty()) return;
    std::vector<Node> kept;
    for (size_t i = 0; i < out_.size(); ++i) {
      if (!removed.count(i)) kept.push_back(std::move(out_[i]));
    }
    out_ = std::move(kept);
  }

  Graph& g_;
  const GraphUses uses_;
  std::set<std::string> used_;
  std::map<std::string, int> direct_reads_;
  std::map<std::string, std::vector<size_t>> readers_;
  std::map<std::string, Blocked> blocked_;  // NCHW name -> its blocked value
  std::set<std::string> blocked_only_;      // blocked values not (yet) reordered back to their name
  std::set<size_t> deferred_, skipped_;
  std::map<size_t, Residual> residual_at_add_;
  std::vector<Node> out_;
  int converted_ = 0;
};

}  // namespace

int layout_nchwc(Model& model) {
  if (!kernels::nchwc_fast()) return 0;
  const int converted = Rewriter(model).run();
  if (converted > 0) model.opset_imports.emplace(kOnnxi, 1);
  return converted;
}

}  // namespace onnxi::passes
