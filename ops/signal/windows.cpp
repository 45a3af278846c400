// HannWindow, HammingWindow, BlackmanWindow (opset 17): a window of `size` points as
// output_datatype (default float; integer types truncate). periodic=1 (the default) gives the first
// size points of a symmetric window of size + 1, the form spectral analysis wants; periodic=0 the
// symmetric window itself. Coefficients: Hann 0.5/0.5, Hamming 25/46 and 21/46 (the exact
// equiripple values the ONNX reference uses), Blackman 0.42/0.5/0.08.
#include "kernels/cpu/fft.h"
#include "ops/signal/signal.h"

namespace onnxi::ops::signal {
namespace {

void infer_window(InferContext& ctx) {
  check_input_type(ctx, 0, "size", {DataType::Int32, DataType::Int64});
  const DataType out = output_datatype(ctx.node, [&](const std::string& m) { ctx.fail(m); });
  int64_t size = -1;
  if (constant_int(ctx, 0, size)) {
    if (size < 0) ctx.fail(cat("size must be non-negative, got ", size));
    ctx.set_output(0, TypeInfo::tensor(out, {Dim::known(size)}));
    return;
  }
  ctx.set_output(0, TypeInfo::tensor(out, {ctx.make_symbol ? ctx.fresh_dim("window") : Dim{}}));
}

void register_window(Registry& r, const char* op_type, kernels::CosineWindow kind) {
  OpDef def;
  def.op_type = op_type;
  def.since_version = 17;
  def.types = "size: int32, int64; output: " + type_list_string(kNumericOutputTypes);
  def.infer = infer_window;
  def.create = [kind](const KernelInit& init) {
    const DataType out = output_datatype(init.node, [&](const std::string& m) { init.fail(m); });
    const bool periodic = init.node.attr_int("periodic", 1) != 0;
    return make_kernel([kind, out, periodic](KernelContext& ctx) {
      const int64_t size = scalar_int(ctx, 0, "size");
      if (size < 0) ctx.fail(cat("size must be non-negative, got ", size));
      std::vector<double> w(static_cast<size_t>(size));
      kernels::cosine_window(kind, size, periodic, w.data());
      ctx.set_output(0, narrow(w, out, {size}));
    });
  };
  r.add(std::move(def));
}

}  // namespace

void register_windows(Registry& r) {
  register_window(r, "HannWindow", kernels::CosineWindow::Hann);
  register_window(r, "HammingWindow", kernels::CosineWindow::Hamming);
  register_window(r, "BlackmanWindow", kernels::CosineWindow::Blackman);
}

}  // namespace onnxi::ops::signal
