// DFT: the discrete Fourier transform along one axis of a signal whose last dimension holds the
// components (1: real, 2: real and imaginary). Four modes:
//   onesided=0            complex -> complex, length dft_length (inverse scales by 1/dft_length);
//   onesided=1, forward   real -> the first dft_length/2 + 1 bins (RFFT);
//   onesided=1, inverse   one-sided complex -> real signal of dft_length (IRFFT; the default
//                         dft_length is 2 * (bins - 1)).
// The input is cropped or zero-padded to dft_length along the axis. Opset 17 takes the axis as an
// attribute (default 1), opset 20 as an optional scalar input (default -2, the last signal axis);
// the accepted range is [-r, -2] and [0, r - 2], the last dimension being the components.
#include "kernels/cpu/fft.h"
#include "ops/signal/signal.h"

namespace onnxi::ops::signal {
namespace {

struct DftAttrs {
  bool inverse = false;
  bool onesided = false;
  int64_t axis_attr = 1;  // opset 17 only
};

DftAttrs read_attrs(const Node& node) {
  DftAttrs a;
  a.inverse = node.attr_int("inverse", 0) != 0;
  a.onesided = node.attr_int("onesided", 0) != 0;
  a.axis_attr = node.attr_int("axis", 1);
  return a;
}

bool is_irfft(const DftAttrs& a) { return a.onesided && a.inverse; }

// The axis in [0, rank - 2], or -1 when out of the accepted range.
int64_t dft_axis(int64_t axis, int64_t rank) {
  if (axis >= 0 && axis <= rank - 2) return axis;
  if (axis < 0 && axis >= -rank && axis <= -2) return axis + rank;
  return -1;
}

std::string bad_axis(int64_t axis, int64_t rank) {
  return cat("axis ", axis, " is out of range for a rank-", rank, " input: DFT takes [", -rank, ", -2] or [0, ",
             rank - 2, "] (the last dimension holds the real and imaginary parts)");
}

// The complex-ness each mode requires, as a message, or "" when the component count fits.
std::string component_error(const DftAttrs& a, int64_t components) {
  if (components != 1 && components != 2) {
    return cat("the last dimension of input must be 1 (real) or 2 (complex), got ", components);
  }
  if (a.onesided && !a.inverse && components == 2) {
    return "onesided=1 with inverse=0 (RFFT) takes a real input (last dimension 1), got a complex one";
  }
  if (is_irfft(a) && components == 1) {
    return "onesided=1 with inverse=1 (IRFFT) takes a one-sided complex input (last dimension 2), got a real one";
  }
  return "";
}

int64_t default_length(const DftAttrs& a, int64_t axis_len) { return is_irfft(a) ? 2 * (axis_len - 1) : axis_len; }
int64_t output_length(const DftAttrs& a, int64_t n) { return a.onesided && !a.inverse ? n / 2 + 1 : n; }

void infer_dft(InferContext& ctx, const DftAttrs& a) {
  check_input_type(ctx, 0, "input", kSignalTypes);
  check_input_type(ctx, 1, "dft_length", {DataType::Int32, DataType::Int64});
  if (ctx.opset >= 20) check_input_type(ctx, 2, "axis", {DataType::Int64, DataType::Int32});
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& x = ctx.input(0);
  if (!x.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  if (rank < 2) ctx.fail(cat("input ", x.str(), " must have rank >= 2: signal dims then the component dim"));
  const Dim& comp = x.dims.back();
  if (comp.is_known()) {
    const std::string err = component_error(a, comp.value);
    if (!err.empty()) ctx.fail(err);
  }
  std::vector<Dim> dims = x.dims;
  dims.back() = Dim::known(is_irfft(a) ? 1 : 2);
  int64_t axis = ctx.opset >= 20 ? -2 : a.axis_attr;
  const bool axis_known = ctx.opset < 20 || !ctx.has_input(2) || constant_int(ctx, 2, axis);
  if (!axis_known) {
    // Which dimension changes is not known at load: only the rank and the component dim are.
    for (size_t i = 0; i + 1 < dims.size(); ++i) dims[i] = Dim{};
    ctx.set_output(0, TypeInfo::tensor(elem, std::move(dims)));
    return;
  }
  const int64_t ax = dft_axis(axis, rank);
  if (ax < 0) ctx.fail(bad_axis(axis, rank));
  int64_t n = -1;
  if (ctx.has_input(1)) {
    if (!constant_int(ctx, 1, n)) n = -1;
  } else if (x.dims[static_cast<size_t>(ax)].is_known()) {
    n = default_length(a, x.dims[static_cast<size_t>(ax)].value);
  }
  if (ctx.has_input(1) && n != -1 && n <= 0) ctx.fail(cat("dft_length must be positive, got ", n));
  Dim& d = dims[static_cast<size_t>(ax)];
  if (n > 0) {
    d = Dim::known(output_length(a, n));
  } else if (ctx.has_input(1) || a.onesided) {
    d = ctx.make_symbol ? ctx.fresh_dim("dft") : Dim{};
  }  // else a full transform of the default length keeps the input's (symbolic) dim
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(dims)));
}

void compute_dft(KernelContext& ctx, const DftAttrs& a) {
  const Tensor& x = typed_input(ctx, 0, "input", kSignalTypes);
  const int64_t rank = x.rank();
  if (rank < 2) ctx.fail(cat("input ", x.describe(), " must have rank >= 2: signal dims then the component dim"));
  const std::string err = component_error(a, x.shape().back());
  if (!err.empty()) ctx.fail(err);
  const int64_t axis = ctx.opset() >= 20 ? (ctx.has_input(2) ? scalar_int(ctx, 2, "axis") : -2) : a.axis_attr;
  const int64_t ax = dft_axis(axis, rank);
  if (ax < 0) ctx.fail(bad_axis(axis, rank));
  const int64_t axis_len = x.dim(ax);
  const int64_t n = ctx.has_input(1) ? scalar_int(ctx, 1, "dft_length") : default_length(a, axis_len);
  if (n <= 0) {
    ctx.fail(ctx.has_input(1) ? cat("dft_length must be positive, got ", n)
                              : cat("the default dft_length for input ", x.describe(), " along axis ", ax, " is ", n,
                                    "; pass a positive dft_length"));
  }
  kernels::DftParams p;
  p.in_len = axis_len;
  p.n = n;
  p.out_len = output_length(a, n);
  p.complex_input = x.shape().back() == 2;
  p.inverse = a.inverse;
  p.hermitian_input = is_irfft(a);
  for (int64_t i = 0; i < ax; ++i) p.outer *= x.dim(i);
  for (int64_t i = ax + 1; i < rank - 1; ++i) p.inner *= x.dim(i);
  Shape out_shape = x.shape();
  out_shape[static_cast<size_t>(ax)] = p.out_len;
  out_shape.back() = p.hermitian_input ? 1 : 2;
  std::vector<double> y(static_cast<size_t>(shape_numel(out_shape, "DFT output")));
  if (!y.empty()) kernels::dft(p, widen(x).data(), y.data());
  ctx.set_output(0, narrow(y, x.dtype(), std::move(out_shape)));
}

OpDef make_dft(int since, int last, TypeList types) {
  OpDef def;
  def.op_type = "DFT";
  def.since_version = since;
  def.last_version = last;
  def.types = type_list_string(types);
  def.infer = [](InferContext& ctx) { infer_dft(ctx, read_attrs(ctx.node)); };
  def.create = [](const KernelInit& init) {
    const DftAttrs a = read_attrs(init.node);
    return make_kernel([a](KernelContext& ctx) { compute_dft(ctx, a); });
  };
  return def;
}

}  // namespace

void register_dft(Registry& r) {
  r.add(make_dft(17, 19, kSignalTypes));
  r.add(make_dft(20, kLatestOpset, kSignalTypes));
}

}  // namespace onnxi::ops::signal
