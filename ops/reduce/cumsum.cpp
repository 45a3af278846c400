// CumSum (opset 11, 14) and CumProd (opset 26): running sums / products along the axis given by
// input 1 (a scalar int32 or int64), with the exclusive and reverse attributes.
#include <string>
#include <vector>

#include "kernels/cpu/reduce_scan.h"
#include "ops/common.h"
#include "ops/reduce/reduce_ops.h"

namespace onnxi::ops {
namespace {

using namespace reduce_family;

using kernels::ScanOp;

TypeList scan_types(int since) {
  TypeList t = {DataType::UInt32, DataType::UInt64, DataType::Int32, DataType::Int64, DataType::Float,
                DataType::Double};
  if (since >= 14) {
    t.push_back(DataType::Float16);
    t.push_back(DataType::BFloat16);
  }
  return t;
}

struct ScanAttrs {
  bool exclusive = false;
  bool reverse = false;
};

// The axis input: one int32/int64 value in [-rank, rank-1]. Returns "" or what is wrong.
std::string read_axis(const Tensor& axis_tensor, int64_t rank, int64_t& axis) {
  if (axis_tensor.numel() != 1 ||
      (axis_tensor.dtype() != DataType::Int64 && axis_tensor.dtype() != DataType::Int32)) {
    return cat("input 1 (axis) must be a scalar int32 or int64, got ", axis_tensor.describe());
  }
  axis = axis_tensor.to_int64_vector()[0];
  if (axis < -rank || axis >= rank) {
    return cat("axis ", axis, " is out of range for input 0 of rank ", rank, "; use an axis in [", -rank, ", ",
               rank - 1, "]");
  }
  if (axis < 0) axis += rank;
  return {};
}

void infer_scan(InferContext& ctx, const TypeList& types) {
  const TypeInfo& in = ctx.input(0);
  if (!in.is_tensor()) return;
  if (in.elem != DataType::Undefined && !type_accepted(types, in.elem)) {
    ctx.fail(type_rejected(ctx.node, ctx.opset, 0, in.elem, types));
  }
  if (in.has_shape && ctx.constant(1) != nullptr) {
    int64_t axis = 0;
    std::string problem = read_axis(*ctx.constant(1), static_cast<int64_t>(in.dims.size()), axis);
    if (!problem.empty()) ctx.fail(problem);
  }
  ctx.set_output(0, in);
}

template <class T>
void run_scan(ScanOp op, const Tensor& x, const AxisView& v, const ScanAttrs& a, Tensor& y) {
  kernels::scan(op, x.data<T>(), v.outer, v.n, v.inner, a.exclusive, a.reverse, y.data<T>());
}

void compute_scan(KernelContext& ctx, ScanOp op, const ScanAttrs& attrs, const TypeList& types) {
  const Tensor& x = ctx.input(0);
  if (!type_accepted(types, x.dtype())) ctx.fail(type_rejected(ctx.node(), ctx.opset(), 0, x.dtype(), types));
  int64_t axis = 0;
  std::string problem = read_axis(ctx.input(1), x.rank(), axis);
  if (!problem.empty()) ctx.fail(problem);
  const AxisView v = axis_view(x.shape(), axis);
  Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
  switch (x.dtype()) {
    case DataType::Float: return run_scan<float>(op, x, v, attrs, y);
    case DataType::Double: return run_scan<double>(op, x, v, attrs, y);
    case DataType::Int32: return run_scan<int32_t>(op, x, v, attrs, y);
    case DataType::UInt32: return run_scan<uint32_t>(op, x, v, attrs, y);
    case DataType::Int64: return run_scan<int64_t>(op, x, v, attrs, y);
    case DataType::UInt64: return run_scan<uint64_t>(op, x, v, attrs, y);
    case DataType::Float16:
      return kernels::scan_f16(op, x.data<uint16_t>(), v.outer, v.n, v.inner, attrs.exclusive, attrs.reverse,
                               y.data<uint16_t>());
    case DataType::BFloat16:
      return kernels::scan_bf16(op, x.data<uint16_t>(), v.outer, v.n, v.inner, attrs.exclusive, attrs.reverse,
                                y.data<uint16_t>());
    default: ctx.fail(cat("has no kernel for element type ", dtype_name(x.dtype())));
  }
}

void add_scan(Registry& r, const char* op_type, ScanOp op, int since, int last) {
  TypeList types = scan_types(since);
  OpDef def;
  def.op_type = op_type;
  def.since_version = since;
  def.last_version = last;
  def.types = type_list_string(types);
  def.infer = [types](InferContext& ctx) { infer_scan(ctx, types); };
  def.create = [op, types](const KernelInit& init) {
    ScanAttrs attrs;
    attrs.exclusive = init.node.attr_int("exclusive", 0) != 0;
    attrs.reverse = init.node.attr_int("reverse", 0) != 0;
    return make_kernel([op, attrs, types](KernelContext& ctx) { compute_scan(ctx, op, attrs, types); });
  };
  r.add(std::move(def));
}

}  // namespace

void register_cumulative(Registry& r) {
  add_scan(r, "CumSum", ScanOp::Sum, 11, 13);
  add_scan(r, "CumSum", ScanOp::Sum, 14, kLatestOpset);
  add_scan(r, "CumProd", ScanOp::Prod, 26, kLatestOpset);
}

}  // namespace onnxi::ops
