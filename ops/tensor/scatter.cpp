// Scatter (deprecated), ScatterElements, ScatterND and TensorScatter: a copy of the data with
// updates written at computed offsets, optionally combined by a reduction.
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

#include "kernels/cpu/gather.h"
#include "kernels/cpu/scatter.h"
#include "onnxi/float_types.h"

namespace onnxi::ops::tensor {
namespace {

using kernels::ScatterReduction;

ScatterReduction reduction_of(const Node& node, int64_t opset) {
  if (opset < 16) return ScatterReduction::None;
  const std::string r = node.attr_string("reduction", "none");
  if (r == "none") return ScatterReduction::None;
  if (r == "add") return ScatterReduction::Add;
  if (r == "mul") return ScatterReduction::Mul;
  if (opset >= 18 && r == "min") return ScatterReduction::Min;
  if (opset >= 18 && r == "max") return ScatterReduction::Max;
  fail(ErrorCode::InvalidModel, cat(node.label(), ": reduction '", r, "' is not supported at opset ", opset,
                                    "; use none, add, mul", opset >= 18 ? ", min or max" : ""));
}

template <class T>
void scatter_typed(Tensor& out, const std::vector<int64_t>& offsets, int64_t block, const Tensor& updates, ScatterReduction r) {
  kernels::scatter_blocks<T>(out.data<T>(), offsets.data(), static_cast<int64_t>(offsets.size()), block,
                             updates.data<T>(), r);
}

// Writes `updates` (offsets.size() blocks of `block` elements) into `out`.
void apply_scatter(const KernelContext& ctx, Tensor& out, const std::vector<int64_t>& offsets, int64_t block,
                   const Tensor& updates, ScatterReduction r) {
  if (updates.dtype() != out.dtype()) {
    ctx.fail(cat("updates ", updates.describe(), " must have the element type of data (", dtype_name(out.dtype()), ")"));
  }
  const auto count = static_cast<int64_t>(offsets.size());
  if (r == ScatterReduction::None) {
    if (out.dtype() == DataType::String) {
      kernels::scatter_blocks_copy(out.data<std::string>(), offsets.data(), count, block, updates.data<std::string>());
    } else {
      kernels::scatter_blocks_copy(out.raw(), offsets.data(), count, block, updates.raw(), element_size(out.dtype()));
    }
    return;
  }
  switch (out.dtype()) {
    case DataType::Float: return scatter_typed<float>(out, offsets, block, updates, r);
    case DataType::Double: return scatter_typed<double>(out, offsets, block, updates, r);
    case DataType::Int8: return scatter_typed<int8_t>(out, offsets, block, updates, r);
    case DataType::Int16: return scatter_typed<int16_t>(out, offsets, block, updates, r);
    case DataType::Int32: return scatter_typed<int32_t>(out, offsets, block, updates, r);
    case DataType::Int64: return scatter_typed<int64_t>(out, offsets, block, updates, r);
    case DataType::UInt8: return scatter_typed<uint8_t>(out, offsets, block, updates, r);
    case DataType::UInt16: return scatter_typed<uint16_t>(out, offsets, block, updates, r);
    case DataType::UInt32: return scatter_typed<uint32_t>(out, offsets, block, updates, r);
    case DataType::UInt64: return scatter_typed<uint64_t>(out, offsets, block, updates, r);
    case DataType::Bool: return scatter_typed<bool>(out, offsets, block, updates, r);
    default: break;
  }
  if (!is_floating(out.dtype()) || is_packed(out.dtype())) {
    ctx.fail(cat("a reduction is not supported for element type ", dtype_name(out.dtype())));
  }
  // Narrow floats (float16, bfloat16, float8): reduce in float64 and round once at the end.
  std::vector<double> acc(static_cast<size_t>(out.numel())), upd(static_cast<size_t>(updates.numel()));
  convert_to_f64(out.dtype(), out.raw(), acc.data(), out.numel());
  convert_to_f64(updates.dtype(), updates.raw(), upd.data(), updates.numel());
  kernels::scatter_blocks<double>(acc.data(), offsets.data(), count, block, upd.data(), r);
  convert_from_f64(out.dtype(), acc.data(), out.raw(), out.numel());
}

const Tensor& index_input(const KernelContext& ctx, size_t i) {
  const Tensor& t = ctx.input(i);
  if (t.dtype() != DataType::Int64 && t.dtype() != DataType::Int32) {
    ctx.fail(cat("input ", i, " ('", ctx.node().inputs[i], "') must be int32 or int64 indices, got ", t.describe()));
  }
  return t;
}

void run_scatter_elements(KernelContext& ctx) {
  const Tensor data = unpack_elements(ctx.input(0));
  const Tensor& idx = index_input(ctx, 1);
  const Tensor updates = unpack_elements(ctx.input(2));
  if (idx.shape() != updates.shape()) {
    ctx.fail(cat("indices ", idx.describe(), " and updates ", updates.describe(), " must have the same shape"));
  }
  if (idx.rank() != data.rank()) ctx.fail(cat("indices ", idx.describe(), " must have the rank of data ", data.describe()));
  const int64_t axis = normalize_axis(ctx.node().attr_int("axis", 0), data.rank(), ctx.node());
  for (int64_t k = 0; k < data.rank(); ++k) {
    if (k != axis && idx.dim(k) > data.dim(k)) ctx.fail(cat("indices ", idx.describe(), " exceed data ", data.describe(), " on axis ", k));
  }
  std::vector<int64_t> indices = idx.to_int64_vector();
  for (int64_t& v : indices) v = checked_index(ctx, v, data.dim(axis), "index");
  std::vector<int64_t> offsets = kernels::element_offsets(data.shape(), indices.data(), idx.shape(), axis);
  Tensor out = data.clone();
  apply_scatter(ctx, out, offsets, 1, updates, reduction_of(ctx.node(), ctx.opset()));
  ctx.set_output(0, Value(pack_elements(out, ctx.input(0).dtype())));
}

void run_scatter_nd(KernelContext& ctx) {
  const Tensor data = unpack_elements(ctx.input(0));
  const Tensor& idx = index_input(ctx, 1);
  const Tensor updates = unpack_elements(ctx.input(2));
  int64_t block = 0;
  std::vector<int64_t> offsets = scatter_nd_offsets(ctx, data.shape(), idx, block);
  Shape expected(idx.shape().begin(), idx.shape().end() - 1);
  expected.insert(expected.end(), data.shape().begin() + idx.dim(idx.rank() - 1), data.shape().end());
  if (updates.shape() != expected) {
    ctx.fail(cat("updates ", updates.describe(), " must have shape ", shape_str(expected),
                 " (indices.shape[:-1] + data.shape[indices.shape[-1]:])"));
  }
  Tensor out = data.clone();
  apply_scatter(ctx, out, offsets, block, updates, reduction_of(ctx.node(), ctx.opset()));
  ctx.set_output(0, Value(pack_elements(out, ctx.input(0).dtype())));
}

// ---- TensorScatter -------------------------------------------------------------------------------
void run_tensor_scatter(KernelContext& ctx) {
  const Tensor past = unpack_elements(ctx.input(0));
  const Tensor update = unpack_elements(ctx.input(1));
  const int64_t axis = normalize_axis(ctx.node().attr_int("axis", -2), past.rank(), ctx.node());
  const std::string mode = ctx.node().attr_string("mode", "linear");
  if (mode != "linear" && mode != "circular") ctx.fail(cat("mode '", mode, "' is not supported; use linear or circular"));
  if (axis == 0) ctx.fail("axis cannot be the batch axis 0");
  if (update.rank() != past.rank()) ctx.fail(cat("update ", update.describe(), " must have the rank of past_cache ", past.describe()));
  for (int64_t k = 0; k < past.rank(); ++k) {
    if (k != axis && update.dim(k) != past.dim(k)) {
      ctx.fail(cat("update ", update.describe(), " differs from past_cache ", past.describe(), " on axis ", k,
                   "; only the sequence axis may differ"));
    }
  }
  const auto a = static_cast<size_t>(axis);
  const int64_t max_seq = past.dim(axis), seq = update.dim(axis);
  if (seq > max_seq) ctx.fail(cat("update has ", seq, " steps but the cache holds only ", max_seq));
  const int64_t batch = past.dim(0);
  std::vector<int64_t> write(static_cast<size_t>(batch), 0);
  if (ctx.has_input(2)) {
    write = int_input(ctx, 2);
    if (static_cast<int64_t>(write.size()) != batch) ctx.fail(cat("write_indices must have ", batch, " entries, got ", write.size()));
  }
  int64_t prefix = 1, inner = 1;
  for (size_t k = 0; k < a; ++k) prefix *= past.shape()[k];
  for (size_t k = a + 1; k < past.shape().size(); ++k) inner *= past.shape()[k];
  const int64_t per_batch = batch > 0 ? prefix / batch : 0;
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(prefix * seq));
  for (int64_t p = 0; p < prefix; ++p) {
    const int64_t w = write[static_cast<size_t>(p / per_batch)];
    for (int64_t s = 0; s < seq; ++s) {
      int64_t pos = w + s;
      if (mode == "circular") pos = ((pos % max_seq) + max_seq) % max_seq;
      if (pos < 0 || pos >= max_seq) {
        ctx.fail(cat("write index ", w, " + ", seq, " steps runs past the cache length ", max_seq,
                     "; use mode='circular' or a smaller write index"));
      }
      offsets.push_back((p * max_seq + pos) * inner);
    }
  }
  Tensor out = past.clone();
  apply_scatter(ctx, out, offsets, inner, update, ScatterReduction::None);
  ctx.set_output(0, Value(pack_elements(out, ctx.input(0).dtype())));
}

void infer_data_shape(InferContext& ctx) { infer_same_as_input(ctx, 0, 0); }

}  // namespace

void register_scatter(Registry& r) {
  r.add({"", "Scatter", 9, 10, infer_data_shape, kernel_of(run_scatter_elements), kAllTypes});
  r.add({"", "Scatter", 11, kLatestOpset, infer_data_shape, kernel_of(run_scatter_elements), kAllTypes});
  r.add({"", "ScatterElements", 11, 15, infer_data_shape, kernel_of(run_scatter_elements), kAllTypes});
  r.add({"", "ScatterElements", 16, 17, infer_data_shape, kernel_of(run_scatter_elements), kAllTypes});
  r.add({"", "ScatterElements", 18, kLatestOpset, infer_data_shape, kernel_of(run_scatter_elements), kAllTypes});
  r.add({"", "ScatterND", 11, 15, infer_data_shape, kernel_of(run_scatter_nd), kAllTypes});
  r.add({"", "ScatterND", 16, 17, infer_data_shape, kernel_of(run_scatter_nd), kAllTypes});
  r.add({"", "ScatterND", 18, kLatestOpset, infer_data_shape, kernel_of(run_scatter_nd), kAllTypes});
  r.add({"", "TensorScatter", 24, kLatestOpset, infer_data_shape, kernel_of(run_tensor_scatter), kAllTypes});
}

}  // namespace onnxi::ops::tensor
