// STFT (opset 17): frames of frame_length samples every frame_step samples of a [batch][length]
// [components] signal, each multiplied by the window and transformed: output [batch][frames][bins][2]
// with frames = (length - frame_length) / frame_step + 1 and bins = frame_length / 2 + 1 when
// onesided (the default; real signals only), frame_length otherwise. frame_length defaults to the
// window's length, or to the whole signal when there is no window either.
#include "kernels/cpu/fft.h"
#include "ops/signal/signal.h"

namespace onnxi::ops::signal {
namespace {

const TypeList kIndexTypes = {DataType::Int32, DataType::Int64};

Dim fresh(const InferContext& ctx, const char* hint) { return ctx.make_symbol ? ctx.fresh_dim(hint) : Dim{}; }

int64_t frame_count(int64_t length, int64_t frame_length, int64_t step) { return (length - frame_length) / step + 1; }

void infer_stft(InferContext& ctx, bool onesided) {
  check_input_type(ctx, 0, "signal", kSignalTypes);
  check_input_type(ctx, 1, "frame_step", kIndexTypes);
  check_input_type(ctx, 2, "window", kSignalTypes);
  check_input_type(ctx, 3, "frame_length", kIndexTypes);
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const DataType window_elem = input_elem(ctx, 2);
  if (window_elem != DataType::Undefined && window_elem != elem) {
    ctx.fail(cat("input window is ", dtype_name(window_elem), " but signal is ", dtype_name(elem),
                 ": they must have the same type"));
  }
  const TypeInfo& x = ctx.input(0);
  if (!x.has_shape) {
    ctx.set_output(0, TypeInfo::tensor(elem, {Dim{}, Dim{}, Dim{}, Dim::known(2)}));
    return;
  }
  if (x.dims.size() != 3) ctx.fail(cat("input signal ", x.str(), " must have rank 3: [batch][length][1 or 2]"));
  const Dim& comp = x.dims[2];
  if (comp.is_known() && comp.value != 1 && comp.value != 2) {
    ctx.fail(cat("the last dimension of signal must be 1 (real) or 2 (complex), got ", comp.value));
  }
  if (onesided && comp.is_known() && comp.value == 2) {
    ctx.fail("onesided=1 takes a real signal (last dimension 1); set onesided=0 for a complex one");
  }
  int64_t frame_length = -1, step = -1;
  if (ctx.has_input(3)) {
    if (!constant_int(ctx, 3, frame_length)) frame_length = -1;
  } else if (ctx.has_input(2)) {
    const TypeInfo& w = ctx.input(2);
    if (w.is_tensor() && w.has_shape && w.dims.size() == 1 && w.dims[0].is_known()) frame_length = w.dims[0].value;
  } else if (x.dims[1].is_known()) {
    frame_length = x.dims[1].value;
  }
  if (!constant_int(ctx, 1, step)) step = -1;
  Dim frames = fresh(ctx, "frames"), bins = fresh(ctx, "bins");
  if (frame_length > 0) bins = Dim::known(onesided ? frame_length / 2 + 1 : frame_length);
  if (frame_length > 0 && step > 0 && x.dims[1].is_known() && x.dims[1].value >= frame_length) {
    frames = Dim::known(frame_count(x.dims[1].value, frame_length, step));
  }
  ctx.set_output(0, TypeInfo::tensor(elem, {x.dims[0], frames, bins, Dim::known(2)}));
}

void compute_stft(KernelContext& ctx, bool onesided) {
  const Tensor& x = typed_input(ctx, 0, "signal", kSignalTypes);
  if (x.rank() != 3) ctx.fail(cat("input signal ", x.describe(), " must have rank 3: [batch][length][1 or 2]"));
  const int64_t comp = x.dim(2);
  if (comp != 1 && comp != 2) ctx.fail(cat("the last dimension of signal must be 1 (real) or 2 (complex), got ", comp));
  if (onesided && comp == 2) {
    ctx.fail("onesided=1 takes a real signal (last dimension 1); set onesided=0 for a complex one");
  }
  const int64_t length = x.dim(1);
  const int64_t step = scalar_int(ctx, 1, "frame_step");
  if (step <= 0) ctx.fail(cat("frame_step must be positive, got ", step));
  const Tensor* window = nullptr;
  if (ctx.has_input(2)) {
    window = &typed_input(ctx, 2, "window", kSignalTypes);
    if (window->dtype() != x.dtype()) {
      ctx.fail(cat("input window is ", window->describe(), " but signal is ", x.describe(), ": same types needed"));
    }
    if (window->rank() != 1) ctx.fail(cat("input window ", window->describe(), " must be 1-D"));
  }
  int64_t frame_length = window ? window->dim(0) : length;
  if (ctx.has_input(3)) {
    frame_length = scalar_int(ctx, 3, "frame_length");
    if (window && window->dim(0) != frame_length) {
      ctx.fail(cat("input window has ", window->dim(0), " values but frame_length is ", frame_length));
    }
  }
  if (frame_length <= 0) ctx.fail(cat("frame_length must be positive, got ", frame_length));
  if (frame_length > length) {
    ctx.fail(cat("frame_length ", frame_length, " is longer than the signal (", length, " samples): no frame fits"));
  }
  kernels::StftParams p;
  p.batch = x.dim(0);
  p.signal_len = length;
  p.frames = frame_count(length, frame_length, step);
  p.step = step;
  p.frame_length = frame_length;
  p.bins = onesided ? frame_length / 2 + 1 : frame_length;
  p.complex_input = comp == 2;
  Shape out_shape{p.batch, p.frames, p.bins, 2};
  std::vector<double> y(static_cast<size_t>(shape_numel(out_shape, "STFT output")));
  std::vector<double> w;
  if (window) w = widen(*window);
  if (!y.empty()) kernels::stft(p, widen(x).data(), window ? w.data() : nullptr, y.data());
  ctx.set_output(0, narrow(y, x.dtype(), std::move(out_shape)));
}

}  // namespace

void register_stft(Registry& r) {
  OpDef def;
  def.op_type = "STFT";
  def.since_version = 17;
  def.types = type_list_string(kSignalTypes);
  def.infer = [](InferContext& ctx) { infer_stft(ctx, ctx.node.attr_int("onesided", 1) != 0); };
  def.create = [](const KernelInit& init) {
    const bool onesided = init.node.attr_int("onesided", 1) != 0;
    return make_kernel([onesided](KernelContext& ctx) { compute_stft(ctx, onesided); });
  };
  r.add(std::move(def));
}

}  // namespace onnxi::ops::signal
