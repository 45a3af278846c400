#include "ops/families.h"
#include "ops/reduce/reduce_ops.h"

#include <algorithm>

namespace onnxi::ops {

void register_reduce(Registry& r) {
  register_reductions(r);
  register_arg_reductions(r);
  register_top_k(r);
  register_cumulative(r);
}

namespace reduce_family {

bool type_accepted(const TypeList& types, DataType t) {
  return std::find(types.begin(), types.end(), t) != types.end();
}

std::string type_rejected(const Node& node, int64_t opset, size_t input, DataType t, const TypeList& types) {
  std::string name = input < node.inputs.size() ? node.inputs[input] : std::string();
  return cat("input ", input, " ('", name, "') has element type ", dtype_name(t), ", which ", node.op_type,
             " at opset ", opset, " does not accept; cast it to one of: ", type_list_string(types));
}

AxisView axis_view(const Shape& shape, int64_t axis) {
  AxisView v;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
    int64_t d = shape[static_cast<size_t>(i)];
    if (i < axis) {
      v.outer *= d;
    } else if (i == axis) {
      v.n = d;
    } else {
      v.inner *= d;
    }
  }
  return v;
}

}  // namespace reduce_family
}  // namespace onnxi::ops
