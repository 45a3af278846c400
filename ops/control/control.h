// ops/control: If, Loop and Scan, the ops that run subgraphs. Each kernel compiles its graph
// attributes once at creation (KernelInit::compile_graph) and runs them per call through
// KernelContext::run_subgraph; kernels hold no per-run state, so concurrent runs share them.
//
// Conventions shared by the three ops:
//   - Inference trusts what the subgraph declares for its outputs: at inference time the subgraph
//     is not compiled yet, so its own inferred types are not available to the enclosing node.
//   - Per-iteration outputs ("scan outputs") are stacked along a new leading axis; every iteration
//     must produce the same element type and shape. A zero-trip loop produces a tensor with a
//     leading 0 and the body's declared dims (unknown dims become 0).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ops/common.h"
#include "runtime/exec/executor.h"  // CompiledGraph: the subgraphs these ops run

namespace onnxi::ops::control {

void register_if(Registry& r);    // if.cpp
void register_loop(Registry& r);  // loop.cpp
void register_scan(Registry& r);  // scan.cpp

// ---- inference ---------------------------------------------------------------------------------
// The type a graph declares for its output i; Unknown when absent or out of range.
TypeInfo declared_output(const Graph& g, size_t i);
// A graph attribute that must be present; InvalidModel naming the node otherwise.
const Graph& required_graph(const Node& node, const std::string& attr);
// Least upper bound of two types of one value (If's branches, a loop-carried value): equal parts
// stay, differing dims become unknown, differing ranks become unranked, differing kinds Unknown.
TypeInfo merge_types(const TypeInfo& a, const TypeInfo& b);
// Type of a value that changes across iterations: what the body declares, else the initial
// value's kind and element type without a shape (its shape may change from one iteration to the next).
TypeInfo carried_type(const TypeInfo& body_declared, const TypeInfo& initial);
// A per-iteration tensor type with a new axis of size `count` inserted at `axis` (unranked stays
// unranked; a non-tensor type gives Unknown).
TypeInfo with_new_axis(const TypeInfo& per_iteration, size_t axis, Dim count);

// ---- running -----------------------------------------------------------------------------------
// A bool scalar (Loop's condition input to the body).
Tensor bool_scalar(bool v);
// Reads a one-element condition tensor (bool or numeric: nonzero is true); `what` names it in the
// Runtime error raised for anything else.
bool read_condition(const Value& v, const Node& node, const std::string& what);

// Element type and shape every block of a stacked output must have.
struct BlockSpec {
  DataType dtype = DataType::Undefined;
  Shape shape;
};
// The spec of the first defined tensor among `blocks`, or one from the declared per-iteration type
// when there is none (unknown dims become 0, an unknown element type float32).
BlockSpec block_spec(const std::vector<Tensor>& blocks, const TypeInfo& declared);
// A tensor of shape `lead` + spec.shape whose block i (row-major over `lead`) is blocks[i]; an
// undefined blocks[i] stays zero (Scan-8 padding). Every defined block must match `spec`;
// otherwise a Runtime error naming the node and `what`.
Tensor place_blocks(const std::vector<Tensor>& blocks, const Shape& lead, const BlockSpec& spec, const Node& node,
                    const std::string& what);
// A Loop/Scan scan output from its per-iteration values: tensors stacked along a new axis 0, or
// sequences joined into one sequence in iteration order. `declared` is the body's type for it.
Value stack_iterations(const std::vector<Value>& items, const TypeInfo& declared, const Node& node,
                       const std::string& what);

// The sub-tensor of `t` at `index` along `axis` (the axis removed).
Tensor slice_at(const Tensor& t, int64_t axis, int64_t index);
// Moves axis 0 of `t` to position `axis` (Scan's scan_output_axes).
Tensor move_leading_axis(const Tensor& t, int64_t axis);

}  // namespace onnxi::ops::control
