// SequenceMap (opset 17): runs its body once per item of the input sequence. Extra inputs that
// are sequences are walked in step (same length required); tensors go to every call unchanged.
// Each body output becomes one output sequence.
#include "ops/control/control.h"
#include "ops/sequence/sequence.h"

namespace onnxi::ops::sequence {
namespace {

void check_arity(const Node& node, const Graph& body) {
  ONNXI_CHECK(body.inputs.size() == node.inputs.size(), ErrorCode::InvalidModel, node.label(), ": the body declares ",
              body.inputs.size(), " inputs but the node has ", node.inputs.size(),
              "; the body takes the sequence item and then one input per extra node input");
  ONNXI_CHECK(body.outputs.size() == node.outputs.size(), ErrorCode::InvalidModel, node.label(), ": the body returns ",
              body.outputs.size(), " values but the node has ", node.outputs.size(), " outputs; they must match");
}

void infer_map(InferContext& ctx) {
  const Graph& body = control::required_graph(ctx.node, "body");
  check_arity(ctx.node, body);
  for (size_t k = 0; k < ctx.node.outputs.size(); ++k) {
    ctx.set_output(k, sequence_type(control::declared_output(body, k)));
  }
}

class SequenceMapKernel final : public Kernel {
 public:
  SequenceMapKernel(std::shared_ptr<const CompiledGraph> body, std::vector<DataType> out_elems)
      : body_(std::move(body)), out_elems_(std::move(out_elems)) {}

  void compute(KernelContext& ctx) const override {
    const std::vector<Value>& items = sequence_input(ctx, 0).items();
    for (size_t j = 1; j < ctx.num_inputs(); ++j) {
      const Value& v = ctx.input_value(j);
      if (v.is_none()) ctx.fail(cat("input ", j, " ('", ctx.node().inputs[j], "') is missing"));
      if (v.is_sequence() && v.items().size() != items.size()) {
        ctx.fail(cat("input ", j, " is a sequence of ", v.items().size(), " items but the input sequence has ", items.size(),
                     "; sequences are walked in step and need the same length"));
      }
    }
    std::vector<std::vector<Value>> results(ctx.num_outputs());
    for (size_t i = 0; i < items.size(); ++i) {
      ctx.check_cancelled();
      std::vector<Value> in;
      in.reserve(ctx.num_inputs());
      in.push_back(items[i]);
      for (size_t j = 1; j < ctx.num_inputs(); ++j) {
        const Value& v = ctx.input_value(j);
        in.push_back(v.is_sequence() ? v.items()[i] : v);
      }
      std::vector<Value> out = ctx.run_subgraph(*body_, std::move(in));
      if (out.size() != results.size()) {
        ctx.fail(cat("the body returned ", out.size(), " values, expected ", results.size()));
      }
      for (size_t k = 0; k < out.size(); ++k) results[k].push_back(std::move(out[k]));
    }
    for (size_t k = 0; k < results.size(); ++k) {
      DataType elem = out_elems_[k];
      for (const Value& v : results[k]) {
        if (!v.is_tensor()) ctx.fail(cat("body output ", k, " must be a tensor, got ", v.describe()));
        if (elem == DataType::Undefined) elem = v.tensor().dtype();
      }
      ctx.set_output(k, Value::sequence(elem, std::move(results[k])));
    }
  }

 private:
  std::shared_ptr<const CompiledGraph> body_;
  std::vector<DataType> out_elems_;  // element types of the output sequences, when known at load
};

std::unique_ptr<Kernel> create_map(const KernelInit& init) {
  const Graph& body = control::required_graph(init.node, "body");
  check_arity(init.node, body);
  std::shared_ptr<const CompiledGraph> compiled = init.compile_graph(body);
  std::vector<DataType> elems;
  for (size_t k = 0; k < compiled->num_outputs(); ++k) {
    TypeInfo t = control::merge_types(compiled->output_type(k), control::declared_output(body, k));
    elems.push_back(t.is_tensor() ? t.elem : DataType::Undefined);
  }
  return std::make_unique<SequenceMapKernel>(std::move(compiled), std::move(elems));
}

}  // namespace

void register_sequence_map(Registry& r) {
  r.add({"", "SequenceMap", 17, kLatestOpset, infer_map, create_map, kSequenceTypes});
}

}  // namespace onnxi::ops::sequence
