// Gather, GatherElements, GatherND and Compress: reads at computed positions. The op resolves and
// validates indices into element offsets; kernels/cpu/gather moves the blocks.
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

#include "kernels/cpu/copy.h"
#include "kernels/cpu/gather.h"

namespace onnxi::ops::tensor {
namespace {

int64_t product(const Shape& s, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t k = begin; k < end && k < s.size(); ++k) p *= s[k];
  return p;
}

const Tensor& index_input(const KernelContext& ctx, size_t i) {
  const Tensor& t = ctx.input(i);
  if (t.dtype() != DataType::Int64 && t.dtype() != DataType::Int32) {
    ctx.fail(cat("input ", i, " ('", ctx.node().inputs[i], "') must be int32 or int64 indices, got ", t.describe()));
  }
  return t;
}

// ---- Gather ------------------------------------------------------------------------------------------
void run_gather(KernelContext& ctx) {
  const Tensor x = unpack_elements(ctx.input(0));
  const Tensor& idx = index_input(ctx, 1);
  const int64_t axis = normalize_axis(ctx.node().attr_int("axis", 0), x.rank(), ctx.node());
  const auto a = static_cast<size_t>(axis);
  const int64_t outer = product(x.shape(), 0, a), dim = x.shape()[a], inner = product(x.shape(), a + 1, x.shape().size());
  std::vector<int64_t> indices = idx.to_int64_vector();
  for (int64_t& v : indices) v = checked_index(ctx, v, dim, "index");
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(outer) * indices.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t v : indices) offsets.push_back((o * dim + v) * inner);
  }
  Shape out(x.shape().begin(), x.shape().begin() + axis);
  out.insert(out.end(), idx.shape().begin(), idx.shape().end());
  out.insert(out.end(), x.shape().begin() + axis + 1, x.shape().end());
  ctx.set_output(0, Value(pack_elements(gather_blocks(x, offsets, inner, out), ctx.input(0).dtype())));
}

void infer_gather(InferContext& ctx) {
  if (fold_constants(ctx, run_gather)) return;
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  const std::vector<Dim>* idx = known_dims(ctx, 1);
  if (!in || !idx) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  const int64_t axis = normalize_axis(ctx.node.attr_int("axis", 0), static_cast<int64_t>(in->size()), ctx.node);
  std::vector<Dim> out(in->begin(), in->begin() + axis);
  out.insert(out.end(), idx->begin(), idx->end());
  out.insert(out.end(), in->begin() + axis + 1, in->end());
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

// ---- GatherElements ----------------------------------------------------------------------------
void run_gather_elements(KernelContext& ctx) {
  const Tensor x = unpack_elements(ctx.input(0));
  const Tensor& idx = index_input(ctx, 1);
  if (idx.rank() != x.rank()) ctx.fail(cat("indices ", idx.describe(), " must have the rank of data ", x.describe()));
  const int64_t axis = normalize_axis(ctx.node().attr_int("axis", 0), x.rank(), ctx.node());
  for (int64_t k = 0; k < x.rank(); ++k) {
    if (k != axis && idx.dim(k) > x.dim(k)) {
      ctx.fail(cat("indices ", idx.describe(), " exceed data ", x.describe(), " on axis ", k));
    }
  }
  std::vector<int64_t> indices = idx.to_int64_vector();
  for (int64_t& v : indices) v = checked_index(ctx, v, x.dim(axis), "index");
  std::vector<int64_t> offsets = kernels::element_offsets(x.shape(), indices.data(), idx.shape(), axis);
  ctx.set_output(0, Value(pack_elements(gather_blocks(x, offsets, 1, idx.shape()), ctx.input(0).dtype())));
}

void infer_gather_elements(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (const std::vector<Dim>* idx = known_dims(ctx, 1)) {
    ctx.set_output(0, TypeInfo::tensor(elem, *idx));
  } else {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
  }
}

// ---- GatherND ------------------------------------------------------------------------------------
// Element offsets of every index tuple of a ScatterND/GatherND `indices` tensor over `data`, with
// `batch_dims` leading dims shared; `block` receives the element count each tuple addresses.
std::vector<int64_t> nd_offsets(const KernelContext& ctx, const Shape& data, const Tensor& idx, int64_t batch_dims,
                                int64_t& block) {
  const int64_t r = static_cast<int64_t>(data.size()), q = idx.rank();
  if (q < 1) ctx.fail(cat("indices must have rank >= 1, got ", idx.describe()));
  const int64_t m = idx.dim(q - 1);
  if (batch_dims < 0 || batch_dims >= std::min(r, q)) {
    ctx.fail(cat("batch_dims ", batch_dims, " must be in [0, min(rank(data), rank(indices)) - 1]"));
  }
  if (m < 1 || m > r - batch_dims) {
    ctx.fail(cat("the last dim of indices (", m, ") must be in [1, ", r - batch_dims, "] for data of rank ", r,
                 " and batch_dims ", batch_dims));
  }
  for (int64_t k = 0; k < batch_dims; ++k) {
    if (data[static_cast<size_t>(k)] != idx.dim(k)) {
      ctx.fail(cat("batch dim ", k, " differs: data has ", data[static_cast<size_t>(k)], ", indices ", idx.dim(k)));
    }
  }
  const auto b = static_cast<size_t>(batch_dims);
  const std::vector<int64_t> strides = kernels::contiguous_strides(data);
  block = product(data, b + static_cast<size_t>(m), data.size());
  const int64_t batches = product(data, 0, b);
  const int64_t batch_stride = product(data, b, data.size());
  const int64_t tuples = idx.numel() / m;
  const int64_t per_batch = batches > 0 ? tuples / batches : 0;
  std::vector<int64_t> values = idx.to_int64_vector();
  std::vector<int64_t> offsets(static_cast<size_t>(tuples));
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = per_batch > 0 ? (t / per_batch) * batch_stride : 0;
    for (int64_t k = 0; k < m; ++k) {
      const auto axis = b + static_cast<size_t>(k);
      off += checked_index(ctx, values[static_cast<size_t>(t * m + k)], data[axis], "index") * strides[axis];
    }
    offsets[static_cast<size_t>(t)] = off;
  }
  return offsets;
}

void run_gather_nd(KernelContext& ctx) {
  const Tensor x = unpack_elements(ctx.input(0));
  const Tensor& idx = index_input(ctx, 1);
  const int64_t batch_dims = ctx.opset() >= 12 ? ctx.node().attr_int("batch_dims", 0) : 0;
  int64_t block = 0;
  std::vector<int64_t> offsets = nd_offsets(ctx, x.shape(), idx, batch_dims, block);
  Shape out(idx.shape().begin(), idx.shape().end() - 1);
  out.insert(out.end(), x.shape().begin() + batch_dims + idx.dim(idx.rank() - 1), x.shape().end());
  ctx.set_output(0, Value(pack_elements(gather_blocks(x, offsets, block, out), ctx.input(0).dtype())));
}

void infer_gather_nd(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  const std::vector<Dim>* idx = known_dims(ctx, 1);
  const int64_t b = ctx.node.attr_int("batch_dims", 0);
  if (!in || !idx || idx->empty() || !idx->back().is_known()) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  const int64_t m = idx->back().value;
  if (m < 1 || b + m > static_cast<int64_t>(in->size())) {
    ctx.fail(cat("the last dim of indices (", m, ") plus batch_dims (", b, ") exceeds the data rank ", in->size()));
  }
  std::vector<Dim> out(idx->begin(), idx->end() - 1);
  out.insert(out.end(), in->begin() + b + m, in->end());
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

// ---- Compress ------------------------------------------------------------------------------------
void run_compress(KernelContext& ctx) {
  Tensor x = unpack_elements(ctx.input(0));
  const Tensor& cond = ctx.input(1);
  if (cond.rank() != 1) ctx.fail(cat("condition must be 1-D, got ", cond.describe()));
  const std::vector<int64_t> c = cond.to_int64_vector();
  const bool has_axis = ctx.node().has_attr("axis");
  if (!has_axis) x = x.reshaped({x.numel()});
  const int64_t axis = has_axis ? normalize_axis(ctx.node().attr_int("axis", 0), x.rank(), ctx.node()) : 0;
  const auto a = static_cast<size_t>(axis);
  const int64_t dim = x.shape()[a];
  std::vector<int64_t> picked;
  for (size_t i = 0; i < c.size(); ++i) {
    if (!c[i]) continue;
    if (static_cast<int64_t>(i) >= dim) ctx.fail(cat("condition selects entry ", i, " but the axis has size ", dim));
    picked.push_back(static_cast<int64_t>(i));
  }
  const int64_t outer = product(x.shape(), 0, a), inner = product(x.shape(), a + 1, x.shape().size());
  std::vector<int64_t> offsets;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t v : picked) offsets.push_back((o * dim + v) * inner);
  }
  Shape out = x.shape();
  out[a] = static_cast<int64_t>(picked.size());
  ctx.set_output(0, Value(pack_elements(gather_blocks(x, offsets, inner, out), ctx.input(0).dtype())));
}

void infer_compress(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (!ctx.node.has_attr("axis")) {
    ctx.set_output(0, fresh_tensor(ctx, elem, 1, "compress"));
    return;
  }
  const std::vector<Dim>* in = known_dims(ctx, 0);
  if (!in) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  const int64_t axis = normalize_axis(ctx.node.attr_int("axis", 0), static_cast<int64_t>(in->size()), ctx.node);
  std::vector<Dim> out = *in;
  out[static_cast<size_t>(axis)] = fresh(ctx, "compress");
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

}  // namespace

std::vector<int64_t> scatter_nd_offsets(const KernelContext& ctx, const Shape& data, const Tensor& indices,
                                        int64_t& block) {
  return nd_offsets(ctx, data, indices, 0, block);
}

void register_gather(Registry& r) {
  r.add({"", "Gather", 1, kLatestOpset, infer_gather, kernel_of(run_gather), kAllTypes});
  r.add({"", "GatherElements", 11, kLatestOpset, infer_gather_elements, kernel_of(run_gather_elements), kAllTypes});
  r.add({"", "GatherND", 11, 11, infer_gather_nd, kernel_of(run_gather_nd), kAllTypes});
  r.add({"", "GatherND", 12, kLatestOpset, infer_gather_nd, kernel_of(run_gather_nd), kAllTypes});
  r.add({"", "Compress", 9, kLatestOpset, infer_compress, kernel_of(run_compress), kAllTypes});
}

}  // namespace onnxi::ops::tensor
