// Ops that make new tensors from a few scalars or a pattern: Range, EyeLike, OneHot, Trilu.
#include <cmath>
#include <cstring>

#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

#include "onnxi/float_types.h"

namespace onnxi::ops::tensor {
namespace {

// ---- Range ---------------------------------------------------------------------------------------
const Tensor& scalar_input(const KernelContext& ctx, size_t i, const char* what) {
  const Tensor& t = ctx.input(i);
  if (t.numel() != 1) ctx.fail(cat(what, " must be a scalar, got ", t.describe()));
  return t;
}

void run_range(KernelContext& ctx) {
  const Tensor& start = scalar_input(ctx, 0, "start");
  const Tensor& limit = scalar_input(ctx, 1, "limit");
  const Tensor& delta = scalar_input(ctx, 2, "delta");
  const DataType t = start.dtype();
  if (limit.dtype() != t || delta.dtype() != t) ctx.fail("start, limit and delta must have the same element type");
  if (is_integer(t)) {
    const int64_t s = start.to_int64_vector()[0], l = limit.to_int64_vector()[0], d = delta.to_int64_vector()[0];
    if (d == 0) ctx.fail("delta cannot be 0");
    const int64_t span = l - s;
    const int64_t n = std::max<int64_t>(0, d > 0 ? (span + d - 1) / d : (span + d + 1) / d);
    Tensor out(t, {n});
    if (t == DataType::Int64) {
      for (int64_t i = 0; i < n; ++i) out.data<int64_t>()[i] = s + i * d;
    } else {
      std::vector<double> v(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<double>(s + i * d);
      convert_from_f64(t, v.data(), out.raw(), n);
    }
    ctx.set_output(0, Value(out));
    return;
  }
  if (!is_floating(t)) ctx.fail(cat("Range does not support element type ", dtype_name(t)));
  const double s = start.element_as_double(0), l = limit.element_as_double(0), d = delta.element_as_double(0);
  if (d == 0) ctx.fail("delta cannot be 0");
  const double count = std::ceil((l - s) / d);
  if (!(count < 1e12)) {
    if (count > 0) ctx.fail(cat("Range(", s, ", ", l, ", ", d, ") would have too many elements"));
  }
  const int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
  // Narrow floats step in the stash type (float32 unless stash_type says double), as the spec asks.
  const bool narrow = t != DataType::Float && t != DataType::Double;
  const bool stash_double = ctx.node().attr_int("stash_type", 1) == static_cast<int64_t>(DataType::Double);
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double x = s + static_cast<double>(i) * d;
    v[static_cast<size_t>(i)] = narrow && !stash_double ? static_cast<double>(static_cast<float>(x)) : x;
  }
  Tensor out(t, {n});
  convert_from_f64(t, v.data(), out.raw(), n);
  ctx.set_output(0, Value(out));
}

void infer_range(InferContext& ctx) {
  const DataType t = input_elem(ctx, 0);
  const Tensor* s = ctx.constant(0);
  const Tensor* l = ctx.constant(1);
  const Tensor* d = ctx.constant(2);
  if (s && l && d && s->numel() == 1 && l->numel() == 1 && d->numel() == 1 && t != DataType::String) {
    const double delta = d->element_as_double(0);
    if (delta != 0) {
      const double n = std::ceil((l->element_as_double(0) - s->element_as_double(0)) / delta);
      if (n < 1e15) {
        ctx.set_output(0, TypeInfo::tensor(t, {Dim::known(n > 0 ? static_cast<int64_t>(n) : 0)}));
        if (n <= 4096) fold_constants(ctx, run_range);
        return;
      }
    }
  }
  ctx.set_output(0, TypeInfo::tensor(t, {fresh(ctx, "range")}));
}

// ---- EyeLike -------------------------------------------------------------------------------------
DataType eye_dtype(const Node& node, DataType input) {
  if (!node.has_attr("dtype")) return input;
  const int64_t d = node.attr_int("dtype", 0);
  ONNXI_CHECK(is_valid_dtype(static_cast<int32_t>(d)) && d != 0, ErrorCode::InvalidModel, node.label(), ": dtype ", d,
              " is not a valid element type");
  return static_cast<DataType>(d);
}

void run_eye_like(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 2) ctx.fail(cat("input must be 2-D, got ", x.describe()));
  const DataType t = eye_dtype(ctx.node(), x.dtype());
  if (t == DataType::String || is_packed(t)) ctx.fail(cat("EyeLike does not support element type ", dtype_name(t)));
  const int64_t k = ctx.node().attr_int("k", 0);
  const int64_t rows = x.dim(0), cols = x.dim(1);
  Tensor out(t, {rows, cols});
  const double one = 1.0;
  const size_t es = element_size(t);
  std::vector<unsigned char> one_bytes(es);
  convert_from_f64(t, &one, one_bytes.data(), 1);
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t j = i + k;
    if (j < 0 || j >= cols) continue;
    std::memcpy(static_cast<unsigned char*>(out.raw()) + static_cast<size_t>(i * cols + j) * es, one_bytes.data(), es);
  }
  ctx.set_output(0, Value(out));
}

void infer_eye_like(InferContext& ctx) {
  const DataType t = eye_dtype(ctx.node, input_elem(ctx, 0));
  if (const std::vector<Dim>* in = known_dims(ctx, 0)) {
    if (in->size() != 2) ctx.fail(cat("input must be 2-D, got rank ", in->size()));
    ctx.set_output(0, TypeInfo::tensor(t, *in));
  } else {
    ctx.set_output(0, TypeInfo::tensor(t, {Dim{}, Dim{}}));
  }
}

// ---- OneHot --------------------------------------------------------------------------------------
void run_one_hot(KernelContext& ctx) {
  const Tensor& indices = ctx.input(0);
  const Tensor& depth_t = scalar_input(ctx, 1, "depth");
  const Tensor values = unpack_elements(ctx.input(2));
  if (values.numel() != 2) ctx.fail(cat("values must hold [off_value, on_value], got ", values.describe()));
  const double depth_d = depth_t.element_as_double(0);
  const auto depth = static_cast<int64_t>(depth_d);
  if (depth <= 0) ctx.fail(cat("depth must be positive, got ", depth_d));
  const int64_t out_rank = indices.rank() + 1;
  const int64_t axis = normalize_axis(ctx.node().attr_int("axis", -1), out_rank, ctx.node());
  Shape out_shape = indices.shape();
  out_shape.insert(out_shape.begin() + axis, depth);
  Tensor out(values.dtype(), out_shape);
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= indices.dim(k);
  for (int64_t k = axis; k < indices.rank(); ++k) inner *= indices.dim(k);
  std::vector<double> idx(static_cast<size_t>(indices.numel()));
  convert_to_f64(indices.dtype(), indices.raw(), idx.data(), indices.numel());
  auto put = [&](int64_t at, int64_t which) {
    if (values.dtype() == DataType::String) {
      out.data<std::string>()[at] = values.data<std::string>()[which];
    } else {
      const size_t es = element_size(values.dtype());
      std::memcpy(static_cast<unsigned char*>(out.raw()) + static_cast<size_t>(at) * es,
                  static_cast<const unsigned char*>(values.raw()) + static_cast<size_t>(which) * es, es);
    }
  };
  for (int64_t i = 0; i < out.numel(); ++i) put(i, 0);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      auto v = static_cast<int64_t>(idx[static_cast<size_t>(o * inner + in)]);
      if (v < 0) v += depth;  // negative indices count from the back; still out of range: all off
      if (v < 0 || v >= depth) continue;
      put((o * depth + v) * inner + in, 1);
    }
  }
  ctx.set_output(0, Value(pack_elements(out, ctx.input(2).dtype())));
}

void infer_one_hot(InferContext& ctx) {
  const DataType t = input_elem(ctx, 2);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  if (!in) {
    ctx.set_output(0, TypeInfo::tensor_unranked(t));
    return;
  }
  const int64_t axis = normalize_axis(ctx.node.attr_int("axis", -1), static_cast<int64_t>(in->size()) + 1, ctx.node);
  std::vector<Dim> out = *in;
  Dim depth{};
  if (const Tensor* d = ctx.constant(1); d && d->numel() == 1 && d->dtype() != DataType::String) {
    depth = Dim::known(static_cast<int64_t>(d->element_as_double(0)));
  }
  out.insert(out.begin() + axis, depth);
  ctx.set_output(0, TypeInfo::tensor(t, std::move(out)));
}

// ---- Trilu ---------------------------------------------------------------------------------------
void run_trilu(KernelContext& ctx) {
  const Tensor x = unpack_elements(ctx.input(0));
  if (x.rank() < 2) ctx.fail(cat("input must have rank >= 2, got ", x.describe()));
  int64_t k = 0;
  if (ctx.has_input(1)) {
    const std::vector<int64_t> kv = int_input(ctx, 1);
    if (kv.size() != 1) ctx.fail("k must be a scalar");
    k = kv[0];
  }
  const bool upper = ctx.node().attr_int("upper", 1) != 0;
  Tensor out = x.clone();
  const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1);
  const int64_t mats = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
  const size_t es = x.dtype() == DataType::String ? 0 : element_size(x.dtype());
  for (int64_t m = 0; m < mats; ++m) {
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        const bool keep = upper ? j - i >= k : j - i <= k;
        if (keep) continue;
        const int64_t at = (m * rows + i) * cols + j;
        if (es == 0) out.data<std::string>()[at].clear();
        else std::memset(static_cast<unsigned char*>(out.raw()) + static_cast<size_t>(at) * es, 0, es);
      }
    }
  }
  ctx.set_output(0, Value(pack_elements(out, ctx.input(0).dtype())));
}

}  // namespace

void register_generate(Registry& r) {
  r.add({"", "Range", 11, 26, infer_range, kernel_of(run_range), "float, double, int16, int32, int64"});
  r.add({"", "Range", 27, kLatestOpset, infer_range, kernel_of(run_range), "float, double, float16, bfloat16, int16, int32, int64"});
  r.add({"", "EyeLike", 9, kLatestOpset, infer_eye_like, kernel_of(run_eye_like), kNumericTypes});
  r.add({"", "OneHot", 9, 10, infer_one_hot, kernel_of(run_one_hot), kAllTypes});
  r.add({"", "OneHot", 11, kLatestOpset, infer_one_hot, kernel_of(run_one_hot), kAllTypes});
  r.add({"", "Trilu", 14, kLatestOpset, [](InferContext& ctx) { infer_same_as_input(ctx); }, kernel_of(run_trilu), kAllTypes});
}

}  // namespace onnxi::ops::tensor
