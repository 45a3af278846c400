// MelWeightMatrix (opset 17): the [dft_length / 2 + 1][num_mel_bins] matrix that maps a one-sided
// linear spectrogram to num_mel_bins triangular mel bands between lower_edge_hertz and
// upper_edge_hertz, each with a peak of 1. The band edges follow the ONNX reference exactly
// (kernels/cpu/fft.h, mel_band_edges): the spec's prose leaves the spacing and the rounding open.
#include <cmath>

#include "kernels/cpu/fft.h"
#include "ops/signal/signal.h"

namespace onnxi::ops::signal {
namespace {

const TypeList kIndexTypes = {DataType::Int32, DataType::Int64};

void infer_mel(InferContext& ctx) {
  check_input_type(ctx, 0, "num_mel_bins", kIndexTypes);
  check_input_type(ctx, 1, "dft_length", kIndexTypes);
  check_input_type(ctx, 2, "sample_rate", kIndexTypes);
  check_input_type(ctx, 3, "lower_edge_hertz", kSignalTypes);
  check_input_type(ctx, 4, "upper_edge_hertz", kSignalTypes);
  const DataType out = output_datatype(ctx.node, [&](const std::string& m) { ctx.fail(m); });
  int64_t mel_bins = -1, dft_length = -1;
  const auto fresh = [&](const char* hint) { return ctx.make_symbol ? ctx.fresh_dim(hint) : Dim{}; };
  Dim rows = fresh("spectrogram_bins"), cols = fresh("mel_bins");
  if (constant_int(ctx, 0, mel_bins) && mel_bins > 0) cols = Dim::known(mel_bins);
  if (constant_int(ctx, 1, dft_length) && dft_length > 0) rows = Dim::known(dft_length / 2 + 1);
  ctx.set_output(0, TypeInfo::tensor(out, {rows, cols}));
}

void compute_mel(KernelContext& ctx, DataType out) {
  const int64_t mel_bins = scalar_int(ctx, 0, "num_mel_bins");
  const int64_t dft_length = scalar_int(ctx, 1, "dft_length");
  const int64_t sample_rate = scalar_int(ctx, 2, "sample_rate");
  const double lower = scalar_float(ctx, 3, "lower_edge_hertz");
  const double upper = scalar_float(ctx, 4, "upper_edge_hertz");
  if (mel_bins <= 0) ctx.fail(cat("num_mel_bins must be positive, got ", mel_bins));
  if (dft_length <= 0) ctx.fail(cat("dft_length must be positive, got ", dft_length));
  if (sample_rate <= 0) ctx.fail(cat("sample_rate must be positive, got ", sample_rate));
  if (!(lower >= 0) || !(upper >= lower) || !std::isfinite(upper)) {
    ctx.fail(cat("need 0 <= lower_edge_hertz <= upper_edge_hertz (finite), got ", lower, " and ", upper));
  }
  const int64_t spectrogram_bins = dft_length / 2 + 1;
  const std::vector<int64_t> edges =
      kernels::mel_band_edges(mel_bins, dft_length, static_cast<double>(sample_rate), lower, upper);
  // Bands read bins up to edges[mel_bins] (a peak) and edges[mel_bins + 1] - 1 (a falling side).
  if (edges[static_cast<size_t>(mel_bins)] >= spectrogram_bins || edges.back() > spectrogram_bins) {
    ctx.fail(cat("upper_edge_hertz ", upper, " puts mel bands past the last of the ", spectrogram_bins,
                 " spectrogram bins of dft_length ", dft_length, " at sample_rate ", sample_rate,
                 "; keep it at or below sample_rate / 2 = ", static_cast<double>(sample_rate) / 2));
  }
  Shape shape{spectrogram_bins, mel_bins};
  std::vector<double> m(static_cast<size_t>(shape_numel(shape, "MelWeightMatrix output")));
  kernels::mel_weight_matrix(edges, spectrogram_bins, mel_bins, m.data());
  ctx.set_output(0, narrow(m, out, std::move(shape)));
}

}  // namespace

void register_mel_weight_matrix(Registry& r) {
  OpDef def;
  def.op_type = "MelWeightMatrix";
  def.since_version = 17;
  def.types = "T1: int32, int64; T2: " + type_list_string(kSignalTypes) + "; output: " +
              type_list_string(kNumericOutputTypes);
  def.infer = infer_mel;
  def.create = [](const KernelInit& init) {
    const DataType out = output_datatype(init.node, [&](const std::string& m) { init.fail(m); });
    return make_kernel([out](KernelContext& ctx) { compute_mel(ctx, out); });
  };
  r.add(std::move(def));
}

}  // namespace onnxi::ops::signal
