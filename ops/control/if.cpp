// If: runs the then- or else-branch on a one-element condition. The branches take no inputs; they
// read the enclosing graph's values by name, and return one value per If output (tensors,
// sequences or optionals, opset 13+ and 16+).
#include "ops/control/control.h"

namespace onnxi::ops::control {
namespace {

void check_branch_outputs(const Node& node, const Graph& branch, const char* attr) {
  ONNXI_CHECK(branch.outputs.size() == node.outputs.size(), ErrorCode::InvalidModel, node.label(), ": the ", attr,
              " graph returns ", branch.outputs.size(), " values but the node has ", node.outputs.size(),
              " outputs; each branch must return exactly one value per If output");
}

void infer_if(InferContext& ctx) {
  const Graph& then_g = required_graph(ctx.node, "then_branch");
  const Graph& else_g = required_graph(ctx.node, "else_branch");
  check_branch_outputs(ctx.node, then_g, "then_branch");
  check_branch_outputs(ctx.node, else_g, "else_branch");
  if (ctx.has_input(0)) {
    const TypeInfo& cond = ctx.input(0);
    if (cond.kind != TypeInfo::Kind::Unknown && !cond.is_tensor()) {
      ctx.fail(cat("the condition must be a one-element bool tensor, got ", cond.str()));
    }
  }
  for (size_t i = 0; i < ctx.node.outputs.size(); ++i) {
    ctx.set_output(i, merge_types(declared_output(then_g, i), declared_output(else_g, i)));
  }
}

class IfKernel final : public Kernel {
 public:
  IfKernel(std::shared_ptr<const CompiledGraph> then_branch, std::shared_ptr<const CompiledGraph> else_branch)
      : then_(std::move(then_branch)), else_(std::move(else_branch)) {}

  void compute(KernelContext& ctx) const override {
    const bool cond = read_condition(ctx.input_value(0), ctx.node(), "the condition (input 0)");
    const char* name = cond ? "then_branch" : "else_branch";
    std::vector<Value> out = ctx.run_subgraph(cond ? *then_ : *else_, {});
    if (out.size() != ctx.num_outputs()) {
      ctx.fail(cat("the ", name, " returned ", out.size(), " values but the node has ", ctx.num_outputs(), " outputs"));
    }
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].is_none() && ctx.output_wanted(i)) {
        ctx.fail(cat("the ", name, " produced no value for output ", i, " ('", ctx.node().outputs[i], "')"));
      }
      ctx.set_output(i, std::move(out[i]));
    }
  }

 private:
  std::shared_ptr<const CompiledGraph> then_;
  std::shared_ptr<const CompiledGraph> else_;
};

std::unique_ptr<Kernel> create_if(const KernelInit& init) {
  const Graph& then_g = required_graph(init.node, "then_branch");
  const Graph& else_g = required_graph(init.node, "else_branch");
  check_branch_outputs(init.node, then_g, "then_branch");
  check_branch_outputs(init.node, else_g, "else_branch");
  for (const Graph* g : {&then_g, &else_g}) {
    ONNXI_CHECK(g->inputs.empty(), ErrorCode::InvalidModel, init.node.label(), ": branch graph '", g->name,
                "' declares ", g->inputs.size(), " inputs; If branches take none (they read outer values by name)");
  }
  return std::make_unique<IfKernel>(init.compile_graph(then_g), init.compile_graph(else_g));
}

}  // namespace

void register_if(Registry& r) {
  // Versions 1 to 25 differ only in the element types they list; the semantics are one.
  r.add({"", "If", 1, kLatestOpset, infer_if, create_if, "all tensor types, sequences (13+), optionals (16+)"});
}

}  // namespace onnxi::ops::control
