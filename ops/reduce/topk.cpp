// TopK: the k largest (or smallest) elements along an axis and their int64 indices. k is an
// attribute at opset 1 and a one-element input K from opset 10; largest and sorted arrive at 11.
// Outputs always come sorted (sorted=0 leaves the order unspecified, so sorted output conforms);
// equal values keep the lower index first, as the spec asks.
#include <string>
#include <vector>

#include "kernels/cpu/sort.h"
#include "ops/common.h"
#include "ops/reduce/reduce_ops.h"

namespace onnxi::ops {
namespace {

using namespace reduce_family;

TypeList top_k_types(int since) {
  TypeList t = {DataType::Float16, DataType::Float, DataType::Double};
  if (since >= 11) {
    for (DataType i : {DataType::UInt8, DataType::UInt16, DataType::UInt32, DataType::UInt64, DataType::Int8,
                       DataType::Int16, DataType::Int32, DataType::Int64}) {
      t.push_back(i);
    }
  }
  if (since >= 24) t.push_back(DataType::BFloat16);
  return t;
}

struct TopKAttrs {
  int64_t axis = -1;
  bool largest = true;
  bool k_from_input = true;
  int64_t attr_k = -1;
};

TopKAttrs read_top_k_attrs(const Node& node, int since) {
  TopKAttrs a;
  a.axis = node.attr_int("axis", -1);
  a.largest = since < 11 || node.attr_int("largest", 1) != 0;
  a.k_from_input = since >= 10;
  if (!a.k_from_input) a.attr_k = node.attr_int("k", -1);
  return a;
}

std::string axis_out_of_range(int64_t axis, int64_t rank) {
  return cat("attribute axis = ", axis, " is out of range for input 0 of rank ", rank, "; use an axis in [", -rank,
             ", ", rank - 1, "]");
}

// k from input K: one int64 (int32 accepted) element.
std::string read_k(const Tensor& k_tensor, int64_t& k) {
  if (k_tensor.numel() != 1 || (k_tensor.dtype() != DataType::Int64 && k_tensor.dtype() != DataType::Int32)) {
    return cat("input 1 (K) must hold exactly one int64 value, got ", k_tensor.describe());
  }
  k = k_tensor.to_int64_vector()[0];
  return {};
}

std::string check_k(int64_t k, int64_t n, int64_t axis) {
  if (k < 0) return cat("k = ", k, " is negative; pass a k in [0, ", n, "]");
  if (k > n) return cat("k = ", k, " exceeds the ", n, " elements along axis ", axis, "; pass a k in [0, ", n, "]");
  return {};
}

void infer_top_k(InferContext& ctx, const TopKAttrs& attrs, const TypeList& types) {
  const TypeInfo& in = ctx.input(0);
  if (!attrs.k_from_input && attrs.attr_k < 0) ctx.fail("attribute k is required at this opset and must be >= 0");
  if (!in.is_tensor()) return;
  if (in.elem != DataType::Undefined && !type_accepted(types, in.elem)) {
    ctx.fail(type_rejected(ctx.node, ctx.opset, 0, in.elem, types));
  }
  if (!in.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(in.elem));
    ctx.set_output(1, TypeInfo::tensor_unranked(DataType::Int64));
    return;
  }
  const int64_t rank = static_cast<int64_t>(in.dims.size());
  if (attrs.axis < -rank || attrs.axis >= rank) ctx.fail(axis_out_of_range(attrs.axis, rank));
  const size_t axis = static_cast<size_t>(attrs.axis < 0 ? attrs.axis + rank : attrs.axis);
  std::vector<Dim> dims = in.dims;
  int64_t k = attrs.attr_k;
  bool k_known = !attrs.k_from_input;
  if (attrs.k_from_input && ctx.constant(1) != nullptr) {
    std::string problem = read_k(*ctx.constant(1), k);
    if (!problem.empty()) ctx.fail(problem);
    k_known = true;
  }
  if (k_known) {
    if (dims[axis].is_known()) {
      std::string problem = check_k(k, dims[axis].value, static_cast<int64_t>(axis));
      if (!problem.empty()) ctx.fail(problem);
    }
    dims[axis] = Dim::known(k);
  } else {
    dims[axis] = ctx.make_symbol ? ctx.fresh_dim("k") : Dim{};
  }
  ctx.set_output(0, TypeInfo::tensor(in.elem, dims));
  ctx.set_output(1, TypeInfo::tensor(DataType::Int64, dims));
}

template <class T>
void run_top_k(const Tensor& x, const AxisView& v, int64_t k, bool largest, Tensor& values, Tensor& indices) {
  kernels::top_k(x.data<T>(), v.outer, v.n, v.inner, k, largest, values.data<T>(), indices.data<int64_t>());
}

void fill_top_k(const KernelContext& ctx, const Tensor& x, const AxisView& v, int64_t k, bool largest,
                Tensor& values, Tensor& indices);

void compute_top_k(KernelContext& ctx, const TopKAttrs& attrs, const TypeList& types) {
  const Tensor& x = ctx.input(0);
  if (!type_accepted(types, x.dtype())) ctx.fail(type_rejected(ctx.node(), ctx.opset(), 0, x.dtype(), types));
  const int64_t rank = x.rank();
  if (attrs.axis < -rank || attrs.axis >= rank) ctx.fail(axis_out_of_range(attrs.axis, rank));
  const int64_t axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  int64_t k = attrs.attr_k;
  if (attrs.k_from_input) {
    std::string problem = read_k(ctx.input(1), k);
    if (!problem.empty()) ctx.fail(problem);
  }
  const AxisView v = axis_view(x.shape(), axis);
  std::string problem = check_k(k, v.n, axis);
  if (!problem.empty()) ctx.fail(problem);

  Shape out_shape = x.shape();
  out_shape[static_cast<size_t>(axis)] = k;
  // Local tensors, handed over once filled: a reference from allocate_output(0) need not survive
  // allocate_output(1). The indices are computed even when unwanted, as selection yields them.
  Tensor values(x.dtype(), out_shape);
  Tensor indices(DataType::Int64, out_shape);
  fill_top_k(ctx, x, v, k, attrs.largest, values, indices);
  ctx.set_output(0, values);
  if (ctx.num_outputs() > 1 && ctx.output_wanted(1)) ctx.set_output(1, indices);
}

void fill_top_k(const KernelContext& ctx, const Tensor& x, const AxisView& v, int64_t k, bool largest,
                Tensor& values, Tensor& indices) {
  switch (x.dtype()) {
    case DataType::Float: return run_top_k<float>(x, v, k, largest, values, indices);
    case DataType::Double: return run_top_k<double>(x, v, k, largest, values, indices);
    case DataType::Int8: return run_top_k<int8_t>(x, v, k, largest, values, indices);
    case DataType::UInt8: return run_top_k<uint8_t>(x, v, k, largest, values, indices);
    case DataType::Int16: return run_top_k<int16_t>(x, v, k, largest, values, indices);
    case DataType::UInt16: return run_top_k<uint16_t>(x, v, k, largest, values, indices);
    case DataType::Int32: return run_top_k<int32_t>(x, v, k, largest, values, indices);
    case DataType::UInt32: return run_top_k<uint32_t>(x, v, k, largest, values, indices);
    case DataType::Int64: return run_top_k<int64_t>(x, v, k, largest, values, indices);
    case DataType::UInt64: return run_top_k<uint64_t>(x, v, k, largest, values, indices);
    case DataType::Float16:
      return kernels::top_k_f16(x.data<uint16_t>(), v.outer, v.n, v.inner, k, largest,
                                values.data<uint16_t>(), indices.data<int64_t>());
    case DataType::BFloat16:
      return kernels::top_k_bf16(x.data<uint16_t>(), v.outer, v.n, v.inner, k, largest,
                                 values.data<uint16_t>(), indices.data<int64_t>());
    default: ctx.fail(cat("has no kernel for element type ", dtype_name(x.dtype())));
  }
}

}  // namespace

void register_top_k(Registry& r) {
  const int versions[] = {1, 10, 11, 24};
  for (size_t v = 0; v < 4; ++v) {
    const int since = versions[v];
    TypeList types = top_k_types(since);
    OpDef def;
    def.op_type = "TopK";
    def.since_version = since;
    def.last_version = v + 1 < 4 ? versions[v + 1] - 1 : kLatestOpset;
    def.types = type_list_string(types);
    def.infer = [since, types](InferContext& ctx) { infer_top_k(ctx, read_top_k_attrs(ctx.node, since), types); };
    def.create = [since, types](const KernelInit& init) {
      TopKAttrs attrs = read_top_k_attrs(init.node, since);
      if (!attrs.k_from_input && attrs.attr_k < 0) init.fail("attribute k is required at this opset and must be >= 0");
      return make_kernel([attrs, types](KernelContext& ctx) { compute_top_k(ctx, attrs, types); });
    };
    r.add(std::move(def));
  }
}

}  // namespace onnxi::ops
