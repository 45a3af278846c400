// ArgMax and ArgMin: the int64 index of the extreme along one axis. select_last_index (opset 12+)
// picks the last of equal extremes instead of the first.
#include <string>
#include <vector>

#include "kernels/cpu/reduce.h"
#include "ops/common.h"
#include "ops/reduce/reduce_ops.h"

namespace onnxi::ops {
namespace {

using namespace reduce_family;

TypeList arg_types(int since) {
  TypeList t = {DataType::UInt8, DataType::UInt16, DataType::UInt32, DataType::UInt64,  DataType::Int8,
                DataType::Int16, DataType::Int32,  DataType::Int64,  DataType::Float16, DataType::Float,
                DataType::Double};
  if (since >= 13) t.push_back(DataType::BFloat16);
  return t;
}

struct ArgAttrs {
  int64_t axis = 0;
  bool keepdims = true;
  bool last_index = false;
};

ArgAttrs read_arg_attrs(const Node& node) {
  ArgAttrs a;
  a.axis = node.attr_int("axis", 0);
  a.keepdims = node.attr_int("keepdims", 1) != 0;
  a.last_index = node.attr_int("select_last_index", 0) != 0;
  return a;
}

std::string axis_out_of_range(int64_t axis, int64_t rank) {
  return cat("attribute axis = ", axis, " is out of range for input 0 of rank ", rank, "; use an axis in [", -rank,
             ", ", rank - 1, "]");
}

void infer_arg(InferContext& ctx, const TypeList& types) {
  const TypeInfo& in = ctx.input(0);
  if (!in.is_tensor()) return;
  if (in.elem != DataType::Undefined && !type_accepted(types, in.elem)) {
    ctx.fail(type_rejected(ctx.node, ctx.opset, 0, in.elem, types));
  }
  if (!in.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(DataType::Int64));
    return;
  }
  const ArgAttrs attrs = read_arg_attrs(ctx.node);
  const int64_t rank = static_cast<int64_t>(in.dims.size());
  if (attrs.axis < -rank || attrs.axis >= rank) ctx.fail(axis_out_of_range(attrs.axis, rank));
  const int64_t axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  std::vector<Dim> dims;
  for (int64_t i = 0; i < rank; ++i) {
    if (i != axis) {
      dims.push_back(in.dims[static_cast<size_t>(i)]);
    } else if (attrs.keepdims) {
      dims.push_back(Dim::known(1));
    }
  }
  ctx.set_output(0, TypeInfo::tensor(DataType::Int64, std::move(dims)));
}

void compute_arg(KernelContext& ctx, bool want_max, const ArgAttrs& attrs, const TypeList& types) {
  const Tensor& x = ctx.input(0);
  if (!type_accepted(types, x.dtype())) ctx.fail(type_rejected(ctx.node(), ctx.opset(), 0, x.dtype(), types));
  const int64_t rank = x.rank();
  if (attrs.axis < -rank || attrs.axis >= rank) ctx.fail(axis_out_of_range(attrs.axis, rank));
  const int64_t axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  Shape out_shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (i != axis) {
      out_shape.push_back(x.dim(i));
    } else if (attrs.keepdims) {
      out_shape.push_back(1);
    }
  }
  const AxisView v = axis_view(x.shape(), axis);
  if (v.n == 0 && v.outer * v.inner > 0) {
    ctx.fail(cat("input 0 ('", ctx.node().inputs[0], "') ", x.describe(), " is empty along axis ", axis,
                 ", which has no ", want_max ? "max" : "min", "; reduce along a non-empty axis"));
  }
  Tensor& y = ctx.allocate_output(0, DataType::Int64, out_shape);
  int64_t* out = y.data<int64_t>();
  const bool last = attrs.last_index;
  switch (x.dtype()) {
    case DataType::Float: return kernels::arg_reduce(x.data<float>(), v.outer, v.n, v.inner, want_max, last, out);
    case DataType::Double: return kernels::arg_reduce(x.data<double>(), v.outer, v.n, v.inner, want_max, last, out);
    case DataType::Int8: return kernels::arg_reduce(x.data<int8_t>(), v.outer, v.n, v.inner, want_max, last, out);
    case DataType::UInt8: return kernels::arg_reduce(x.data<uint8_t>(), v.outer, v.n, v.inner, want_max, last, out);
    case DataType::Int16: return kernels::arg_reduce(x.data<int16_t>(), v.outer, v.n, v.inner, want_max, last, out);
    case DataType::UInt16:
      return kernels::arg_reduce(x.data<uint16_t>(), v.outer, v.n, v.inner, want_max, last, out);
    case DataType::Int32: return kernels::arg_reduce(x.data<int32_t>(), v.outer, v.n, v.inner, want_max, last, out);
    case DataType::UInt32:
      return kernels::arg_reduce(x.data<uint32_t>(), v.outer, v.n, v.inner, want_max, last, out);
    case DataType::Int64: return kernels::arg_reduce(x.data<int64_t>(), v.outer, v.n, v.inner, want_max, last, out);
    case DataType::UInt64:
      return kernels::arg_reduce(x.data<uint64_t>(), v.outer, v.n, v.inner, want_max, last, out);
    case DataType::Float16:
      return kernels::arg_reduce_f16(x.data<uint16_t>(), v.outer, v.n, v.inner, want_max, last, out);
    case DataType::BFloat16:
      return kernels::arg_reduce_bf16(x.data<uint16_t>(), v.outer, v.n, v.inner, want_max, last, out);
    default: ctx.fail(cat("has no kernel for element type ", dtype_name(x.dtype())));
  }
}

void register_arg(Registry& r, const char* op_type, bool want_max) {
  const int versions[] = {1, 11, 12, 13};
  for (size_t v = 0; v < 4; ++v) {
    const int since = versions[v];
    TypeList types = arg_types(since);
    OpDef def;
    def.op_type = op_type;
    def.since_version = since;
    def.last_version = v + 1 < 4 ? versions[v + 1] - 1 : kLatestOpset;
    def.types = type_list_string(types);
    def.infer = [types](InferContext& ctx) { infer_arg(ctx, types); };
    def.create = [want_max, types, since](const KernelInit& init) {
      ArgAttrs attrs = read_arg_attrs(init.node);
      if (since < 12) attrs.last_index = false;  // not part of the older schemas
      return make_kernel([want_max, attrs, types](KernelContext& ctx) { compute_arg(ctx, want_max, attrs, types); });
    };
    r.add(std::move(def));
  }
}

}  // namespace

void register_arg_reductions(Registry& r) {
  register_arg(r, "ArgMax", true);
  register_arg(r, "ArgMin", false);
}

}  // namespace onnxi::ops
