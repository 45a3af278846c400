// Loop: runs its body while the trip count (M, optional) is not reached and the condition
// (optional input, then the body's first output) holds. Body inputs: (iteration number, condition,
// N loop-carried values); body outputs: (condition, N loop-carried values, K scan outputs).
// Node outputs: the N final carried values, then the K scan outputs stacked along a new axis 0.
//
// The body's condition output always decides whether another iteration runs, also when the node's
// cond input is omitted (the ONNX docs call it "ignored" there; onnxruntime honours it, and so do
// we, so that a body can end a loop it was given no initial condition for).
#include <algorithm>

#include "ops/control/control.h"

namespace onnxi::ops::control {
namespace {

struct LoopShape {
  size_t carried = 0;  // N
  size_t scans = 0;    // K
};

// Checks the body's inputs and outputs against the node's.
LoopShape loop_shape(const Node& node, const Graph& body) {
  ONNXI_CHECK(body.inputs.size() >= 2, ErrorCode::InvalidModel, node.label(), ": the body graph declares ",
              body.inputs.size(), " inputs; it needs at least 2 (iteration number, condition) before the loop-carried values");
  LoopShape s;
  s.carried = body.inputs.size() - 2;
  const size_t passed = node.inputs.size() > 2 ? node.inputs.size() - 2 : 0;
  ONNXI_CHECK(passed == s.carried, ErrorCode::InvalidModel, node.label(), ": the body takes ", s.carried,
              " loop-carried values (its inputs after iteration number and condition) but the node passes ", passed,
              "; pass one initial value per carried body input");
  ONNXI_CHECK(body.outputs.size() >= 1 + s.carried, ErrorCode::InvalidModel, node.label(), ": the body returns ",
              body.outputs.size(), " values; it must return the condition and the ", s.carried,
              " loop-carried values, then any scan outputs");
  s.scans = body.outputs.size() - 1 - s.carried;
  ONNXI_CHECK(node.outputs.size() <= s.carried + s.scans, ErrorCode::InvalidModel, node.label(), ": the node has ",
              node.outputs.size(), " outputs but the body yields only ", s.carried, " loop-carried values and ", s.scans,
              " scan outputs");
  return s;
}

void infer_loop(InferContext& ctx) {
  const Graph& body = required_graph(ctx.node, "body");
  const LoopShape s = loop_shape(ctx.node, body);
  // The body's condition can end the loop early, so even a constant M does not fix the scan length.
  Dim trips = ctx.make_symbol ? ctx.fresh_dim("loop_trips") : Dim{};
  for (size_t i = 0; i < ctx.node.outputs.size(); ++i) {
    if (i < s.carried) {
      ctx.set_output(i, carried_type(declared_output(body, 1 + i), ctx.input(2 + i)));
    } else {
      const TypeInfo per_iteration = declared_output(body, 1 + i);
      ctx.set_output(i, per_iteration.kind == TypeInfo::Kind::Sequence ? per_iteration
                                                                         : with_new_axis(per_iteration, 0, trips));
    }
  }
}

class LoopKernel final : public Kernel {
 public:
  LoopKernel(std::shared_ptr<const CompiledGraph> body, LoopShape shape, std::vector<TypeInfo> scan_types)
      : body_(std::move(body)), shape_(shape), scan_types_(std::move(scan_types)) {}

  void compute(KernelContext& ctx) const override {
    const Node& node = ctx.node();
    int64_t max_trips = -1;  // none: until the condition turns false
    if (ctx.has_input(0)) {
      const Tensor& m = ctx.input(0);
      if (m.numel() != 1 || !is_integer(m.dtype())) {
        ctx.fail(cat("the trip count M (input 0) must be a one-element integer tensor, got ", m.describe()));
      }
      max_trips = std::max<int64_t>(0, m.to_int64_vector()[0]);
    }
    bool cond = ctx.has_input(1) ? read_condition(ctx.input_value(1), node, "the condition (input 1)") : true;

    std::vector<Value> carried(shape_.carried);
    for (size_t j = 0; j < shape_.carried; ++j) carried[j] = ctx.input_value(2 + j);
    std::vector<std::vector<Value>> scans(shape_.scans);
    std::vector<bool> scan_wanted(shape_.scans);
    for (size_t k = 0; k < shape_.scans; ++k) scan_wanted[k] = ctx.output_wanted(shape_.carried + k);

    for (int64_t it = 0; cond && (max_trips < 0 || it < max_trips); ++it) {
      ctx.check_cancelled();
      std::vector<Value> in;
      in.reserve(2 + shape_.carried);
      in.emplace_back(Tensor::scalar_i64(it));
      in.emplace_back(bool_scalar(cond));
      for (Value& v : carried) in.push_back(std::move(v));
      std::vector<Value> out = ctx.run_subgraph(*body_, std::move(in));
      if (out.size() != 1 + shape_.carried + shape_.scans) {
        ctx.fail(cat("the body returned ", out.size(), " values, expected ", 1 + shape_.carried + shape_.scans));
      }
      cond = read_condition(out[0], node, cat("the body's condition output (iteration ", it, ")"));
      for (size_t j = 0; j < shape_.carried; ++j) carried[j] = std::move(out[1 + j]);
      for (size_t k = 0; k < shape_.scans; ++k) {
        if (scan_wanted[k]) scans[k].push_back(std::move(out[1 + shape_.carried + k]));
      }
    }

    for (size_t i = 0; i < ctx.num_outputs(); ++i) {
      if (!ctx.output_wanted(i)) continue;
      if (i < shape_.carried) {
        if (carried[i].is_none()) ctx.fail(cat("loop-carried value ", i, " ('", node.outputs[i], "') has no value"));
        ctx.set_output(i, std::move(carried[i]));
      } else {
        const size_t k = i - shape_.carried;
        ctx.set_output(i, stack_iterations(scans[k], scan_types_[k], node, cat("scan output ", k, " ('", node.outputs[i], "')")));
      }
    }
  }

 private:
  std::shared_ptr<const CompiledGraph> body_;
  LoopShape shape_;
  std::vector<TypeInfo> scan_types_;  // the body's per-iteration types, for zero-trip loops
};

std::unique_ptr<Kernel> create_loop(const KernelInit& init) {
  const Graph& body = required_graph(init.node, "body");
  const LoopShape s = loop_shape(init.node, body);
  std::shared_ptr<const CompiledGraph> compiled = init.compile_graph(body);
  std::vector<TypeInfo> scan_types;
  for (size_t k = 0; k < s.scans; ++k) {
    // The compiled body knows more than the declaration when inference filled in the type.
    const TypeInfo& inferred = compiled->output_type(1 + s.carried + k);
    scan_types.push_back(inferred.kind != TypeInfo::Kind::Unknown ? inferred : declared_output(body, 1 + s.carried + k));
  }
  return std::make_unique<LoopKernel>(std::move(compiled), s, std::move(scan_types));
}

}  // namespace

void register_loop(Registry& r) {
  // Versions 1 to 25 differ in the element types they list (sequences 13+, optionals 16+), not in
  // how the loop runs.
  r.add({"", "Loop", 1, kLatestOpset, infer_loop, create_loop, "all tensor types, sequences (13+), optionals (16+)"});
}

}  // namespace onnxi::ops::control
