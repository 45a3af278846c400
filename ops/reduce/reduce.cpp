// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum,
// ReduceLogSumExp, ReduceSumSquare.
//
// Every one of them takes its axes from an attribute up to some opset (12 for ReduceSum, 17 for the
// others) and from an optional second input after it, where noop_with_empty_axes also appears.
// Empty axes mean "all axes", or with noop_with_empty_axes "none": then only the element steps
// run (ReduceL1 gives |x|, ReduceSumSquare x*x, ReduceLogSum log x).
#include <string>
#include <vector>

#include "kernels/cpu/reduce.h"
#include "ops/common.h"
#include "ops/reduce/reduce_ops.h"

namespace onnxi::ops {
namespace {

using namespace reduce_family;

using kernels::ReduceOp;

struct ReduceFamily {
  const char* op_type;
  ReduceOp op;
  int axes_input_since;       // first opset that takes axes as input 1
  std::vector<int> versions;  // since_version of each schema
};

const std::vector<ReduceFamily>& reduce_families() {
  static const std::vector<ReduceFamily> families = {
      {"ReduceSum", ReduceOp::Sum, 13, {1, 11, 13}},
      {"ReduceMean", ReduceOp::Mean, 18, {1, 11, 13, 18}},
      {"ReduceMax", ReduceOp::Max, 18, {1, 11, 12, 13, 18, 20}},
      {"ReduceMin", ReduceOp::Min, 18, {1, 11, 12, 13, 18, 20}},
      {"ReduceProd", ReduceOp::Prod, 18, {1, 11, 13, 18}},
      {"ReduceL1", ReduceOp::L1, 18, {1, 11, 13, 18}},
      {"ReduceL2", ReduceOp::L2, 18, {1, 11, 13, 18}},
      {"ReduceLogSum", ReduceOp::LogSum, 18, {1, 11, 13, 18, 28}},
      {"ReduceLogSumExp", ReduceOp::LogSumExp, 18, {1, 11, 13, 18, 28}},
      {"ReduceSumSquare", ReduceOp::SumSquare, 18, {1, 11, 13, 18}},
  };
  return families;
}

TypeList reduce_types(ReduceOp op, int since) {
  const bool log_op = op == ReduceOp::LogSum || op == ReduceOp::LogSumExp;
  const bool min_max = op == ReduceOp::Max || op == ReduceOp::Min;
  // Opset 28 dropped the integer types of the ops defined through Log.
  if (log_op && since >= 28) return {DataType::BFloat16, DataType::Float16, DataType::Float, DataType::Double};
  TypeList t = {DataType::UInt32, DataType::UInt64, DataType::Int32, DataType::Int64,
                DataType::Float16, DataType::Float, DataType::Double};
  if (since >= 13) t.push_back(DataType::BFloat16);
  if (min_max && since >= 12) {
    t.push_back(DataType::UInt8);
    t.push_back(DataType::Int8);
  }
  if (min_max && since >= 20) t.push_back(DataType::Bool);
  return t;
}

struct ReduceAttrs {
  bool keepdims = true;
  bool noop_with_empty_axes = false;
  bool axes_from_input = false;
  std::vector<int64_t> attr_axes;
};

ReduceAttrs read_reduce_attrs(const Node& node, bool axes_from_input) {
  ReduceAttrs a;
  a.keepdims = node.attr_int("keepdims", 1) != 0;
  a.axes_from_input = axes_from_input;
  if (axes_from_input) {
    a.noop_with_empty_axes = node.attr_int("noop_with_empty_axes", 0) != 0;
  } else {
    a.attr_axes = node.attr_ints("axes", {});
  }
  return a;
}

// Marks the reduced dims of a rank-`rank` input. Returns "" or what is wrong with `axes`.
std::string mark_reduced(const std::vector<int64_t>& axes, int64_t rank, bool noop_with_empty_axes,
                         std::vector<bool>& reduced) {
  reduced.assign(static_cast<size_t>(rank), axes.empty() && !noop_with_empty_axes);
  for (int64_t axis : axes) {
    if (axis < -rank || axis >= rank) {
      return cat("axis ", axis, " is out of range for input 0 of rank ", rank, "; use axes in [", -rank, ", ",
                 rank - 1, "]");
    }
    size_t a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    if (reduced[a]) return cat("axes names dimension ", a, " twice; list each axis once");
    reduced[a] = true;
  }
  return {};
}

void infer_reduce(InferContext& ctx, const ReduceAttrs& attrs, const TypeList& types) {
  const TypeInfo& in = ctx.input(0);
  if (!in.is_tensor()) return;
  if (in.elem != DataType::Undefined && !type_accepted(types, in.elem)) {
    ctx.fail(type_rejected(ctx.node, ctx.opset, 0, in.elem, types));
  }
  if (!in.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(in.elem));
    return;
  }
  const int64_t rank = static_cast<int64_t>(in.dims.size());
  std::vector<int64_t> axes = attrs.attr_axes;
  if (attrs.axes_from_input && ctx.has_input(1)) {
    const Tensor* given = ctx.constant(1);
    if (given == nullptr) {
      // Axes known only at run time: the rank survives keepdims, the sizes do not.
      ctx.set_output(0, attrs.keepdims ? TypeInfo::tensor(in.elem, std::vector<Dim>(static_cast<size_t>(rank)))
                                       : TypeInfo::tensor_unranked(in.elem));
      return;
    }
    if (!is_integer(given->dtype())) ctx.fail(cat("input 1 (axes) must be int64, got ", given->describe()));
    axes = given->to_int64_vector();
  }
  std::vector<bool> reduced;
  std::string problem = mark_reduced(axes, rank, attrs.noop_with_empty_axes, reduced);
  if (!problem.empty()) ctx.fail(problem);
  std::vector<Dim> dims;
  for (size_t i = 0; i < reduced.size(); ++i) {
    if (!reduced[i]) {
      dims.push_back(in.dims[i]);
    } else if (attrs.keepdims) {
      dims.push_back(Dim::known(1));
    }
  }
  ctx.set_output(0, TypeInfo::tensor(in.elem, std::move(dims)));
}

void run_reduce_kernel(const KernelContext& ctx, ReduceOp op, const kernels::ReducePlan& plan, const Tensor& x,
                       Tensor& y) {
  switch (x.dtype()) {
    case DataType::Float: return kernels::reduce(op, plan, x.data<float>(), y.data<float>());
    case DataType::Double: return kernels::reduce(op, plan, x.data<double>(), y.data<double>());
    case DataType::Int8: return kernels::reduce(op, plan, x.data<int8_t>(), y.data<int8_t>());
    case DataType::UInt8: return kernels::reduce(op, plan, x.data<uint8_t>(), y.data<uint8_t>());
    case DataType::Int32: return kernels::reduce(op, plan, x.data<int32_t>(), y.data<int32_t>());
    case DataType::UInt32: return kernels::reduce(op, plan, x.data<uint32_t>(), y.data<uint32_t>());
    case DataType::Int64: return kernels::reduce(op, plan, x.data<int64_t>(), y.data<int64_t>());
    case DataType::UInt64: return kernels::reduce(op, plan, x.data<uint64_t>(), y.data<uint64_t>());
    case DataType::Float16: return kernels::reduce_f16(op, plan, x.data<uint16_t>(), y.data<uint16_t>());
    case DataType::BFloat16: return kernels::reduce_bf16(op, plan, x.data<uint16_t>(), y.data<uint16_t>());
    case DataType::Bool: return kernels::reduce_bool(op, plan, x.data<bool>(), y.data<bool>());
    default: ctx.fail(cat("has no kernel for element type ", dtype_name(x.dtype())));
  }
}

void compute_reduce(KernelContext& ctx, ReduceOp op, const ReduceAttrs& attrs, const TypeList& types) {
  const Tensor& x = ctx.input(0);
  if (!type_accepted(types, x.dtype())) ctx.fail(type_rejected(ctx.node(), ctx.opset(), 0, x.dtype(), types));
  std::vector<int64_t> axes = attrs.axes_from_input ? int_input(ctx, 1) : attrs.attr_axes;
  std::vector<bool> reduced;
  std::string problem = mark_reduced(axes, x.rank(), attrs.noop_with_empty_axes, reduced);
  if (!problem.empty()) ctx.fail(problem);
  Shape out_shape;
  for (size_t i = 0; i < reduced.size(); ++i) {
    if (!reduced[i]) {
      out_shape.push_back(x.shape()[i]);
    } else if (attrs.keepdims) {
      out_shape.push_back(1);
    }
  }
  const kernels::ReducePlan plan = kernels::plan_reduction(x.shape(), reduced);
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  run_reduce_kernel(ctx, op, plan, x, y);
}

}  // namespace

void register_reductions(Registry& r) {
  for (const ReduceFamily& family : reduce_families()) {
    for (size_t v = 0; v < family.versions.size(); ++v) {
      const int since = family.versions[v];
      const int last = v + 1 < family.versions.size() ? family.versions[v + 1] - 1 : kLatestOpset;
      const bool axes_from_input = since >= family.axes_input_since;
      const ReduceOp op = family.op;
      TypeList types = reduce_types(op, since);
      OpDef def;
      def.op_type = family.op_type;
      def.since_version = since;
      def.last_version = last;
      def.types = type_list_string(types);
      def.infer = [axes_from_input, types](InferContext& ctx) {
        infer_reduce(ctx, read_reduce_attrs(ctx.node, axes_from_input), types);
      };
      def.create = [axes_from_input, op, types](const KernelInit& init) {
        ReduceAttrs attrs = read_reduce_attrs(init.node, axes_from_input);
        return make_kernel([attrs, op, types](KernelContext& ctx) { compute_reduce(ctx, op, attrs, types); });
      };
      r.add(std::move(def));
    }
  }
}

}  // namespace onnxi::ops
