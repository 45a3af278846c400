#include "ops/common.h"

#include <algorithm>

namespace onnxi::ops {

int64_t normalize_axis(int64_t axis, int64_t rank, const Node& node, const char* what) {
  if (axis < -rank || axis >= rank) {
    fail(ErrorCode::InvalidModel, cat(node.label(), ": ", what, " ", axis, " is out of range for rank ", rank,
                                      rank > 0 ? cat("; use a value in [", -rank, ", ", rank - 1, "]")
                                               : std::string("; a scalar has no axes")));
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> normalize_axes(const std::vector<int64_t>& axes, int64_t rank, const Node& node) {
  std::vector<int64_t> out;
  out.reserve(axes.size());
  for (int64_t a : axes) {
    int64_t n = normalize_axis(a, rank, node, "axes entry");
    if (std::find(out.begin(), out.end(), n) != out.end()) {
      fail(ErrorCode::InvalidModel, cat(node.label(), ": axis ", a, " appears twice in axes; list each axis once"));
    }
    out.push_back(n);
  }
  return out;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const Node& node) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    // Right-aligned: missing leading dims count as 1.
    int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      fail(ErrorCode::Runtime, cat(node.label(), ": shapes ", shape_str(a), " and ", shape_str(b),
                                   " cannot broadcast (dimension ", i, " is ", da, " vs ", db,
                                   "); each dimension must match or be 1"));
    }
  }
  return out;
}

std::vector<Dim> broadcast_dims(const std::vector<Dim>& a, const std::vector<Dim>& b, const InferContext& ctx) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<Dim> out(rank, Dim::known(1));
  for (size_t i = 0; i < rank; ++i) {
    Dim da = i + a.size() >= rank ? a[i + a.size() - rank] : Dim::known(1);
    Dim db = i + b.size() >= rank ? b[i + b.size() - rank] : Dim::known(1);
    if (da.is_known() && db.is_known()) {
      if (da.value == db.value || db.value == 1) {
        out[i] = da;
      } else if (da.value == 1) {
        out[i] = db;
      } else {
        ctx.fail(cat("input shapes cannot broadcast: dimension ", i, " is ", da.value, " vs ", db.value,
                     "; each dimension must match or be 1"));
      }
    } else if (da.is_known()) {
      // A symbol against 1 stays the symbol; against n>1 the symbol must be 1 or n, so the result is n.
      out[i] = da.value == 1 ? db : da;
    } else if (db.is_known()) {
      out[i] = db.value == 1 ? da : db;
    } else {
      out[i] = (da == db) ? da : Dim{};
    }
  }
  return out;
}

std::vector<int64_t> broadcast_strides(const Shape& shape, const Shape& out_shape) {
  size_t rank = out_shape.size();
  std::vector<int64_t> strides(rank, 0);
  int64_t step = 1;
  for (size_t k = 0; k < shape.size() && k < rank; ++k) {
    size_t src = shape.size() - 1 - k;
    size_t dst = rank - 1 - k;
    strides[dst] = shape[src] == 1 && out_shape[dst] != 1 ? 0 : step;
    step *= shape[src];
  }
  return strides;
}

void infer_same_as_input(InferContext& ctx, size_t in, size_t out) {
  if (!ctx.has_input(in)) return;
  ctx.set_output(out, ctx.input(in));
}

void infer_broadcast(InferContext& ctx, DataType elem) {
  DataType out_elem = elem;
  if (out_elem == DataType::Undefined && ctx.has_input(0) && ctx.input(0).is_tensor()) out_elem = ctx.input(0).elem;
  bool all_ranked = true;
  bool any = false;
  std::vector<Dim> dims;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    const TypeInfo& t = ctx.input(i);
    if (!t.is_tensor() || !t.has_shape) {
      all_ranked = false;
      continue;
    }
    dims = any ? broadcast_dims(dims, t.dims, ctx) : t.dims;
    any = true;
  }
  if (out_elem == DataType::Undefined) return;  // nothing useful to say yet
  if (all_ranked && any) {
    ctx.set_output(0, TypeInfo::tensor(out_elem, std::move(dims)));
  } else {
    ctx.set_output(0, TypeInfo::tensor_unranked(out_elem));
  }
}

std::vector<int64_t> int_input(const KernelContext& ctx, size_t i, std::vector<int64_t> fallback) {
  if (!ctx.has_input(i)) return fallback;
  const Tensor& t = ctx.input(i);
  if (!is_integer(t.dtype())) {
    ctx.fail(cat("input ", i, " ('", ctx.node().inputs[i], "') must be an integer tensor, got ", t.describe()));
  }
  return t.to_int64_vector();
}

std::string type_list_string(const TypeList& types) {
  std::string s;
  for (DataType t : types) s += (s.empty() ? "" : ", ") + std::string(dtype_name(t));
  return s;
}

bool accepts(const TypeList& types, DataType t) { return std::find(types.begin(), types.end(), t) != types.end(); }

DataType input_elem(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i) || !ctx.input(i).is_tensor()) return DataType::Undefined;
  return ctx.input(i).elem;
}

void check_input_type(const InferContext& ctx, size_t i, const char* name, const TypeList& types) {
  const DataType t = input_elem(ctx, i);
  if (t != DataType::Undefined && !accepts(types, t)) {
    ctx.fail(cat("input ", name, " has element type ", dtype_name(t), "; ", ctx.node.op_type, "-", ctx.opset,
                 " takes ", type_list_string(types)));
  }
}

const Tensor& typed_input(const KernelContext& ctx, size_t i, const char* name, const TypeList& types) {
  const Tensor& t = ctx.input(i);
  if (!accepts(types, t.dtype())) {
    ctx.fail(cat("input ", name, " has element type ", dtype_name(t.dtype()), "; ", ctx.node().op_type, "-",
                 ctx.opset(), " takes ", type_list_string(types)));
  }
  return t;
}

}  // namespace onnxi::ops
