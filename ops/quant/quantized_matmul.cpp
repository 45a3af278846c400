// MatMulInteger and QLinearMatMul: numpy-style matrix products of quantized operands. Each operand
// is centered on its zero point (per tensor; per row of A, shaped [M] or [..., M, 1]; per column of
// B, shaped [N] or [..., 1, N]) into float64, which holds these integer products exactly, and one
// GEMM per batch entry accumulates them. MatMulInteger stores the int32 sums; QLinearMatMul
// rescales them by a_scale * b_scale / y_scale (computed in the scales' type, as ONNX does) and
// rounds, or for float8 outputs (21+) encodes the rescaled value.
#include <string>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "ops/common.h"
#include "ops/quant/quant.h"

namespace onnxi::ops::quant {
namespace {

const TypeList kInt8 = {DataType::Int8, DataType::UInt8};
const TypeList kFloat8 = {DataType::Float8E4M3FN, DataType::Float8E4M3FNUZ, DataType::Float8E5M2,
                          DataType::Float8E5M2FNUZ};
const TypeList kQ21 = concat(kInt8, kFloat8);
const TypeList kScale10 = {DataType::Float};
const TypeList kScale21 = {DataType::Float, DataType::Float16, DataType::BFloat16};

// ---- shapes -----------------------------------------------------------------------------------------

// Inference: numpy matmul's output dims, or false when a rank is unknown.
bool matmul_dims(const InferContext& ctx, size_t ia, size_t ib, std::vector<Dim>& out) {
  const TypeInfo& ta = ctx.input(ia);
  const TypeInfo& tb = ctx.input(ib);
  if (!ta.is_tensor() || !tb.is_tensor() || !ta.has_shape || !tb.has_shape) return false;
  std::vector<Dim> a = ta.dims, b = tb.dims;
  if (a.empty() || b.empty()) ctx.fail(cat("operands must have rank >= 1, got ", ta.str(), " and ", tb.str()));
  if (a.size() == 1) a.insert(a.begin(), Dim::known(1));
  if (b.size() == 1) b.push_back(Dim::known(1));
  const Dim ka = a.back(), kb = b[b.size() - 2];
  if (ka.is_known() && kb.is_known() && ka.value != kb.value) {
    ctx.fail(cat("inner dimensions differ: ", ta.str(), " times ", tb.str()));
  }
  out = broadcast_dims(std::vector<Dim>(a.begin(), a.end() - 2), std::vector<Dim>(b.begin(), b.end() - 2), ctx);
  if (ta.dims.size() > 1) out.push_back(a[a.size() - 2]);
  if (tb.dims.size() > 1) out.push_back(b.back());
  return true;
}

// The product of two stacks of matrices: shapes promoted to >= 2-D, batch dims broadcast.
struct Plan {
  int64_t M = 0, K = 0, N = 0;
  Shape a2, b2;      // the promoted operand shapes
  int64_t a_mats = 1, b_mats = 1;
  Shape batch;       // broadcast batch dims
  std::vector<int64_t> a_index, b_index;  // per output matrix: the operand matrices it multiplies
  Shape out_shape;
};

Plan plan_product(const KernelContext& ctx, const Tensor& A, const Tensor& B, const char* a_name, const char* b_name) {
  if (A.rank() == 0 || B.rank() == 0) {
    ctx.fail(cat("operands must have rank >= 1: ", a_name, " ", A.describe(), ", ", b_name, " ", B.describe()));
  }
  Plan p;
  p.a2 = A.shape();
  p.b2 = B.shape();
  if (p.a2.size() == 1) p.a2.insert(p.a2.begin(), 1);
  if (p.b2.size() == 1) p.b2.push_back(1);
  p.M = p.a2[p.a2.size() - 2];
  p.K = p.a2.back();
  p.N = p.b2.back();
  if (p.b2[p.b2.size() - 2] != p.K) {
    ctx.fail(cat("inner dimensions differ: ", a_name, " ", A.describe(), " times ", b_name, " ", B.describe(),
                 "; ", a_name, "'s last dim must equal ", b_name, "'s ", B.rank() == 1 ? "only" : "second-to-last",
                 " dim"));
  }
  const Shape a_batch(p.a2.begin(), p.a2.end() - 2), b_batch(p.b2.begin(), p.b2.end() - 2);
  p.a_mats = shape_numel(a_batch);
  p.b_mats = shape_numel(b_batch);
  p.batch = broadcast_shapes(a_batch, b_batch, ctx.node());
  const std::vector<int64_t> sa = broadcast_strides(a_batch, p.batch), sb = broadcast_strides(b_batch, p.batch);
  const int64_t count = shape_numel(p.batch, "output");
  std::vector<int64_t> pos(p.batch.size(), 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < pos.size(); ++d) {
      ia += pos[d] * sa[d];
      ib += pos[d] * sb[d];
    }
    p.a_index.push_back(ia);
    p.b_index.push_back(ib);
    for (size_t d = pos.size(); d-- > 0;) {
      if (++pos[d] < p.batch[d]) break;
      pos[d] = 0;
    }
  }
  p.out_shape = p.batch;
  if (A.rank() > 1) p.out_shape.push_back(p.M);
  if (B.rank() > 1) p.out_shape.push_back(p.N);
  return p;
}

// A per-tensor, per-row (of A: [M] or [..., M, 1]) or per-column (of B: [N] or [..., 1, N])
// parameter, expanded to one value per (matrix, row) or (matrix, column) of its operand `op`
// (promoted shape); batch dims of the parameter broadcast against the operand's.
std::vector<double> expand_param(const KernelContext& ctx, const Tensor& t, const char* name, const Shape& op,
                                 bool per_row) {
  const int64_t len = per_row ? op[op.size() - 2] : op.back();
  const Shape batch(op.begin(), op.end() - 2);
  const int64_t mats = shape_numel(batch);
  const std::vector<double> v = to_doubles(t);
  std::vector<double> out(static_cast<size_t>(mats * len));
  if (t.numel() == 1) {
    std::fill(out.begin(), out.end(), v[0]);
    return out;
  }
  if (t.rank() == 1 && t.dim(0) == len) {
    for (int64_t m = 0; m < mats; ++m) std::copy(v.begin(), v.end(), out.begin() + m * len);
    return out;
  }
  bool fits = t.rank() == static_cast<int64_t>(op.size());
  if (fits) {
    const Shape& s = t.shape();
    fits = per_row ? s[s.size() - 2] == len && s.back() == 1 : s[s.size() - 2] == 1 && s.back() == len;
    for (size_t d = 0; fits && d < batch.size(); ++d) fits = s[d] == batch[d] || s[d] == 1;
  }
  if (!fits) {
    ctx.fail(cat(name, " ", t.describe(), " must be a scalar (per tensor) or a per-", per_row ? "row" : "column",
                 " tensor of ", len, " entries, shaped [", len, "] or ", per_row ? "[..., M, 1]" : "[..., 1, N]",
                 " for an operand of shape ", shape_str(op)));
  }
  const std::vector<int64_t> strides = broadcast_strides(Shape(t.shape().begin(), t.shape().end() - 2), batch);
  std::vector<int64_t> pos(batch.size(), 0);
  for (int64_t m = 0; m < mats; ++m) {
    int64_t base = 0;
    for (size_t d = 0; d < pos.size(); ++d) base += pos[d] * strides[d];
    std::copy(v.begin() + base * len, v.begin() + (base + 1) * len, out.begin() + m * len);
    for (size_t d = pos.size(); d-- > 0;) {
      if (++pos[d] < batch[d]) break;
      pos[d] = 0;
    }
  }
  return out;
}

// x - zero_point in float64, zero points one per row (per_row) or per column of each matrix.
std::vector<double> centered(const Tensor& x, const Shape& op, const std::vector<double>& zero_point, bool per_row) {
  kernels::QuantGrid g;
  const int64_t rows = op[op.size() - 2], cols = op.back(), mats = shape_numel(Shape(op.begin(), op.end() - 2));
  if (per_row) {  // one parameter per (matrix, row): the rows of all matrices form the axis
    g.mode = kernels::QuantGrid::Mode::PerAxis;
    g.axis = mats * rows;
    g.inner = cols;
  } else {  // one block spanning the rows, so each column of matrix m reads zero_point[m * cols + c]
    g.mode = kernels::QuantGrid::Mode::Blocked;
    g.outer = mats;
    g.axis = rows;
    g.inner = cols;
    g.block = rows;
    g.param_axis = 1;
  }
  std::vector<double> out(static_cast<size_t>(x.numel()));
  switch (x.dtype()) {
    case DataType::Int8: kernels::center(g, x.data<int8_t>(), zero_point.data(), out.data()); break;
    case DataType::UInt8: kernels::center(g, x.data<uint8_t>(), zero_point.data(), out.data()); break;
    default: {  // float8
      const std::vector<float> wide = to_floats(x);
      kernels::center(g, wide.data(), zero_point.data(), out.data());
    }
  }
  return out;
}

// acc[out matrices, M, N] = centered A times centered B.
std::vector<double> multiply(const Plan& p, const std::vector<double>& a, const std::vector<double>& b) {
  const int64_t a_mat = p.M * p.K, b_mat = p.K * p.N, y_mat = p.M * p.N;
  std::vector<double> acc(static_cast<size_t>(static_cast<int64_t>(p.a_index.size()) * y_mat));
  for (size_t i = 0; i < p.a_index.size(); ++i) {
    kernels::dgemm(false, false, p.M, p.N, p.K, 1.0, a.data() + p.a_index[i] * a_mat, p.K,
                   b.data() + p.b_index[i] * b_mat, p.N, 0.0, acc.data() + static_cast<int64_t>(i) * y_mat, p.N);
  }
  return acc;
}

std::vector<double> zero_points(const KernelContext& ctx, size_t i, const char* name, const Tensor& operand,
                                const Shape& op, bool per_row) {
  if (!ctx.has_input(i)) {
    const int64_t len = per_row ? op[op.size() - 2] : op.back();
    return std::vector<double>(static_cast<size_t>(shape_numel(Shape(op.begin(), op.end() - 2)) * len), 0.0);
  }
  const Tensor& zp = ctx.input(i);
  if (zp.dtype() != operand.dtype()) {
    ctx.fail(cat(name, " ", zp.describe(), " must have the element type of its operand (",
                 dtype_name(operand.dtype()), ")"));
  }
  return expand_param(ctx, zp, name, op, per_row);
}

// ---- MatMulInteger ----------------------------------------------------------------------------------

void infer_matmul_integer(InferContext& ctx) {
  check_input_type(ctx, 0, "A", kInt8);
  check_input_type(ctx, 1, "B", kInt8);
  check_input_type(ctx, 2, "a_zero_point", kInt8);
  check_input_type(ctx, 3, "b_zero_point", kInt8);
  std::vector<Dim> dims;
  if (matmul_dims(ctx, 0, 1, dims)) {
    ctx.set_output(0, TypeInfo::tensor(DataType::Int32, std::move(dims)));
  } else {
    ctx.set_output(0, TypeInfo::tensor_unranked(DataType::Int32));
  }
}

void compute_matmul_integer(KernelContext& ctx) {
  const Tensor& A = typed_input(ctx, 0, "A", kInt8);
  const Tensor& B = typed_input(ctx, 1, "B", kInt8);
  const Plan p = plan_product(ctx, A, B, "A", "B");
  const std::vector<double> a = centered(A, p.a2, zero_points(ctx, 2, "a_zero_point", A, p.a2, true), true);
  const std::vector<double> b = centered(B, p.b2, zero_points(ctx, 3, "b_zero_point", B, p.b2, false), false);
  const std::vector<double> acc = multiply(p, a, b);
  Tensor& y = ctx.allocate_output(0, DataType::Int32, p.out_shape);
  kernels::wrap_to_i32(acc.data(), y.numel(), y.data<int32_t>());
}

// ---- QLinearMatMul ----------------------------------------------------------------------------------

struct QVersion {
  const TypeList& q;
  const TypeList& scale;
};

void infer_qlinear_matmul(InferContext& ctx, const QVersion& v) {
  check_input_type(ctx, 0, "a", v.q);
  check_input_type(ctx, 1, "a_scale", v.scale);
  check_input_type(ctx, 2, "a_zero_point", v.q);
  check_input_type(ctx, 3, "b", v.q);
  check_input_type(ctx, 4, "b_scale", v.scale);
  check_input_type(ctx, 5, "b_zero_point", v.q);
  check_input_type(ctx, 6, "y_scale", v.scale);
  check_input_type(ctx, 7, "y_zero_point", v.q);
  const DataType out = input_elem(ctx, 7);
  if (out == DataType::Undefined) return;
  std::vector<Dim> dims;
  if (matmul_dims(ctx, 0, 3, dims)) {
    ctx.set_output(0, TypeInfo::tensor(out, std::move(dims)));
  } else {
    ctx.set_output(0, TypeInfo::tensor_unranked(out));
  }
}

void compute_qlinear_matmul(KernelContext& ctx, const QVersion& v) {
  const Tensor& A = typed_input(ctx, 0, "a", v.q);
  const Tensor& a_scale = typed_input(ctx, 1, "a_scale", v.scale);
  const Tensor& B = typed_input(ctx, 3, "b", v.q);
  const Tensor& b_scale = typed_input(ctx, 4, "b_scale", v.scale);
  const Tensor& y_scale = typed_input(ctx, 6, "y_scale", v.scale);
  const Tensor& y_zp = typed_input(ctx, 7, "y_zero_point", v.q);
  if (b_scale.dtype() != a_scale.dtype() || y_scale.dtype() != a_scale.dtype()) {
    ctx.fail(cat("a_scale, b_scale and y_scale must share one element type, got ", dtype_name(a_scale.dtype()), ", ",
                 dtype_name(b_scale.dtype()), " and ", dtype_name(y_scale.dtype())));
  }
  if (y_scale.numel() != 1 || y_zp.numel() != 1) {
    ctx.fail(cat("y_scale ", y_scale.describe(), " and y_zero_point ", y_zp.describe(),
                 " must be scalars: the output is quantized per tensor"));
  }
  const Plan p = plan_product(ctx, A, B, "a", "b");
  check_zero_point_shape(ctx, ctx.input(2), "a_zero_point", a_scale, "a_scale");
  check_zero_point_shape(ctx, ctx.input(5), "b_zero_point", b_scale, "b_scale");
  const std::vector<double> a = centered(A, p.a2, zero_points(ctx, 2, "a_zero_point", A, p.a2, true), true);
  const std::vector<double> b = centered(B, p.b2, zero_points(ctx, 5, "b_zero_point", B, p.b2, false), false);
  const std::vector<double> row_scale = expand_param(ctx, a_scale, "a_scale", p.a2, true);
  const std::vector<double> col_scale = expand_param(ctx, b_scale, "b_scale", p.b2, false);
  const std::vector<double> acc = multiply(p, a, b);

  kernels::RequantScales s;
  s.row_step = 1;
  s.col_step = 1;
  s.out = to_doubles(y_scale)[0];
  s.precision = precision_of(a_scale.dtype());
  const DataType out = y_zp.dtype();
  Tensor& y = ctx.allocate_output(0, out, p.out_shape);
  const int64_t y_mat = p.M * p.N;
  int32_t lo = 0, hi = 0;
  const bool integer = integer_range(out, lo, hi);
  const double zp = to_doubles(y_zp)[0];
  std::vector<float> q(integer ? 0 : static_cast<size_t>(y.numel()));
  for (size_t i = 0; i < p.a_index.size(); ++i) {
    s.row = row_scale.data() + p.a_index[i] * p.M;
    s.col = col_scale.data() + p.b_index[i] * p.N;
    const double* acc_i = acc.data() + static_cast<int64_t>(i) * y_mat;
    const int64_t offset = static_cast<int64_t>(i) * y_mat;
    if (out == DataType::UInt8) {
      kernels::requantize(acc_i, p.M, p.N, s, static_cast<int32_t>(zp), lo, hi, y.data<uint8_t>() + offset);
    } else if (out == DataType::Int8) {
      kernels::requantize(acc_i, p.M, p.N, s, static_cast<int32_t>(zp), lo, hi, y.data<int8_t>() + offset);
    } else {
      kernels::rescale(acc_i, p.M, p.N, s, static_cast<float>(zp), q.data() + offset);
    }
  }
  if (!integer) encode_floats(out, q.data(), y.numel(), true, y.raw());
}

void add_qlinear_matmul(Registry& r, int since, int last, const QVersion& v) {
  OpDef d;
  d.op_type = "QLinearMatMul";
  d.since_version = since;
  d.last_version = last;
  d.types = type_list_string(v.q) + "; scales " + type_list_string(v.scale);
  d.infer = [v](InferContext& ctx) { infer_qlinear_matmul(ctx, v); };
  d.create = [v](const KernelInit&) {
    return make_kernel([v](KernelContext& ctx) { compute_qlinear_matmul(ctx, v); });
  };
  r.add(std::move(d));
}

}  // namespace

void register_quantized_matmul(Registry& r) {
  OpDef d;
  d.op_type = "MatMulInteger";
  d.since_version = 10;
  d.types = "int8, uint8 -> int32";
  d.infer = infer_matmul_integer;
  d.create = [](const KernelInit&) { return make_kernel(compute_matmul_integer); };
  r.add(std::move(d));
  add_qlinear_matmul(r, 10, 20, {kInt8, kScale10});
  add_qlinear_matmul(r, 21, kLatestOpset, {kQ21, kScale21});
}

}  // namespace onnxi::ops::quant
