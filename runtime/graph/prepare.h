// Graph preparation at session creation: inline model-local functions, then validate structure
// (defined inputs, unique outputs, no cycles, known ops and opsets) and sort nodes topologically.
#pragma once

#include <set>
#include <string>

#include "onnxi/ir.h"
#include "onnxi/registry.h"

namespace onnxi::graph {

// Replaces every call of a model-local function with its body, recursively.
void inline_functions(Model& model);

// Resolves the op for a node: custom registry first, then the standard one. Null when neither has it.
const OpDef* resolve_op(const Node& node, const Model& model, const Registry* custom, const Registry& standard);
int64_t node_opset(const Node& node, const Model& model);

// Validates `g` (and its subgraphs) and sorts its nodes topologically. `outer` holds the names visible
// from enclosing graphs.
void validate_graph(Graph& g, const std::set<std::string>& outer, const Model& model, const Registry* custom,
                    const Registry& standard);

// Names a graph reads but does not define (inputs from enclosing scopes), subgraphs included.
std::set<std::string> free_names(const Graph& g);

}  // namespace onnxi::graph
