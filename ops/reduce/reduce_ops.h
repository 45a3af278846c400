// The reduce family: one registration function per op file, and the few helpers they share.
#pragma once

#include <string>
#include <vector>

#include "onnxi/registry.h"
#include "ops/common.h"

namespace onnxi::ops {

void register_reductions(Registry& r);      // reduce.cpp: ReduceSum, ReduceMean, ... ReduceSumSquare
void register_arg_reductions(Registry& r);  // argminmax.cpp: ArgMax, ArgMin
void register_top_k(Registry& r);           // topk.cpp: TopK
void register_cumulative(Registry& r);      // cumsum.cpp: CumSum, CumProd

// Helpers of this family only; a namespace of their own keeps them apart from other families'.
namespace reduce_family {

// TypeList and type_list_string: ops/common.h.
bool type_accepted(const TypeList& types, DataType t);
// The message for an input whose element type the op's version does not take (without the node
// label: InferContext::fail and KernelContext::fail add it).
std::string type_rejected(const Node& node, int64_t opset, size_t input, DataType t, const TypeList& types);

// Sizes before, along and after `axis` of `shape`: the (outer, n, inner) view kernels take.
struct AxisView {
  int64_t outer = 1;
  int64_t n = 1;
  int64_t inner = 1;
};
AxisView axis_view(const Shape& shape, int64_t axis);

}  // namespace reduce_family

}  // namespace onnxi::ops
