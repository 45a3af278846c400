// Shape and Size of a value whose shape is static at load (graph inputs with fixed dims, and
// everything inference derives from them) become initializers; so does Shape with start/end when
// just the dims it takes are known. Constant folding then finishes
// the Gather/Concat/Unsqueeze/... chains that turn them into Reshape targets and the like.
//
// The value is the op's own inference result (Shape's start/end included), computed from the
// types the executor would infer (value_types.h). A fed input must match its declared dims
// (Session::run checks), so a static shape cannot change between runs. Symbolic dims are never
// folded: two inputs declaring the same symbol need not be fed the same size.
#include <set>

#include "runtime/passes/pass_util.h"
#include "runtime/passes/value_types.h"

namespace onnxi::passes {

int fold_shapes(Model& model, const Registry* custom) {
  Graph& g = model.graph;
  bool any = false;  // inference is most of this pass's cost: skipped when there is nothing to fold
  for (const Node& n : g.nodes) any = any || (n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size"));
  if (!any) return 0;
  const GraphUses uses(g);
  ValueTypes types(model, g, custom);
  std::set<size_t> removed;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    ValueTypes::NodeResult r = types.infer(n);
    if (!n.domain.empty() || (n.op_type != "Shape" && n.op_type != "Size")) continue;
    if (n.outputs.size() != 1 || n.outputs[0].empty() || uses.is_graph_output(n.outputs[0])) continue;
    if (!r.inferred || !r.constants[0].defined() || !is_standard_op(n, model, custom)) continue;
    g.initializers[n.outputs[0]] = r.constants[0];
    removed.insert(i);
  }
  erase_nodes(g, removed);
  return static_cast<int>(removed.size());
}

}  // namespace onnxi::passes
