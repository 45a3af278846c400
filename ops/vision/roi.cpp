// Region pooling: RoiAlign (bilinear samples averaged or maxed per bin) and MaxRoiPool (Caffe's
// integer-bin max pooling). X is [N, C, H, W]; the output is [num_rois, C, pooled_h, pooled_w].
//
// RoiAlign-10 has no coordinate_transformation_mode: it behaves as "output_half_pixel" (no -0.5
// shift, boxes at least 1x1). Its max mode takes the largest weighted corner of each sample, as
// the ONNX reference and onnxruntime do.
#include <string>

#include "kernels/cpu/vision_roi.h"
#include "ops/vision/vision.h"

namespace onnxi::ops::vision {
namespace {

// Far more samples than any image has pixels means the boxes are not in image coordinates; the
// limit bounds the per-box scratch (~48 bytes a sample) and keeps such input from running for hours.
constexpr int64_t kMaxSamplesPerBox = int64_t{1} << 22;

struct RoiAlignAttrs {
  int since = 10;
  kernels::RoiAlignParams params;
  TypeList types;
};

template <class Fail>
RoiAlignAttrs read_roi_align(const Node& node, int since, const Fail& fail) {
  RoiAlignAttrs a;
  a.since = since;
  a.types = float_types(since, 22);
  const std::string mode = node.attr_string("mode", "avg");
  if (mode != "avg" && mode != "max") fail(cat("attribute mode = '", mode, "' is not one of avg, max"));
  a.params.max_mode = mode == "max";
  a.params.pooled_height = node.attr_int("output_height", 1);
  a.params.pooled_width = node.attr_int("output_width", 1);
  if (a.params.pooled_height <= 0 || a.params.pooled_width <= 0) {
    fail(cat("attributes output_height = ", a.params.pooled_height, " and output_width = ", a.params.pooled_width,
             " must be positive"));
  }
  a.params.sampling_ratio = node.attr_int("sampling_ratio", 0);
  if (a.params.sampling_ratio < 0 || a.params.sampling_ratio > 2048) {
    fail(cat("attribute sampling_ratio = ", a.params.sampling_ratio, " must be in [0, 2048]"));
  }
  a.params.spatial_scale = node.attr_float("spatial_scale", 1.f);
  a.params.half_pixel = false;
  if (since >= 16) {
    const std::string ctm = node.attr_string("coordinate_transformation_mode", "half_pixel");
    if (ctm != "half_pixel" && ctm != "output_half_pixel") {
      fail(cat("attribute coordinate_transformation_mode = '", ctm, "' is not one of half_pixel, output_half_pixel"));
    }
    a.params.half_pixel = ctm == "half_pixel";
  }
  return a;
}

// [num_rois, C, ph, pw] from X's, rois' (input 1, [num_rois, roi_columns]) or batch_indices' known dims.
void set_pooled_output(InferContext& ctx, DataType elem, int64_t roi_columns, int64_t ph, int64_t pw) {
  const TypeInfo& tx = ctx.input(0);
  if (tx.is_tensor() && tx.has_shape && tx.dims.size() != 4) ctx.fail(cat("input X ", tx.str(), " must be [N, C, H, W]"));
  Dim rois, channels;
  if (tx.is_tensor() && tx.has_shape) channels = tx.dims[1];
  const TypeInfo& tr = ctx.input(1);
  if (tr.is_tensor() && tr.has_shape) {
    if (tr.dims.size() != 2 || (tr.dims[1].is_known() && tr.dims[1].value != roi_columns)) {
      ctx.fail(cat("input rois ", tr.str(), " must be [num_rois, ", roi_columns, "]"));
    }
    rois = tr.dims[0];
  }
  if (!rois.is_known() && ctx.num_inputs() > 2) {
    const TypeInfo& tb = ctx.input(2);
    if (tb.is_tensor() && tb.has_shape && tb.dims.size() == 1) rois = tb.dims[0];
  }
  ctx.set_output(0, TypeInfo::tensor(elem, {rois, channels, Dim::known(ph), Dim::known(pw)}));
}

void infer_roi_align(InferContext& ctx, const RoiAlignAttrs& a) {
  check_input_type(ctx, 0, "X", a.types);
  check_input_type(ctx, 1, "rois", a.types);
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  set_pooled_output(ctx, elem, 4, a.params.pooled_height, a.params.pooled_width);
}

void compute_roi_align(KernelContext& ctx, const RoiAlignAttrs& a) {
  const Tensor& X = typed_input(ctx, 0, "X", a.types);
  const Tensor& rois = typed_input(ctx, 1, "rois", {X.dtype()});
  const Tensor& bi = ctx.input(2);
  if (X.rank() != 4) ctx.fail(cat("input X ", X.describe(), " must be [N, C, H, W]"));
  if (rois.rank() != 2 || rois.dim(1) != 4) ctx.fail(cat("input rois ", rois.describe(), " must be [num_rois, 4]"));
  if ((bi.dtype() != DataType::Int64 && bi.dtype() != DataType::Int32) || bi.shape() != Shape{rois.dim(0)}) {
    ctx.fail(cat("input batch_indices ", bi.describe(), " must be int64 of shape [", rois.dim(0), "]"));
  }
  const std::vector<int64_t> batch = bi.to_int64_vector();
  for (int64_t b : batch) {
    if (b < 0 || b >= X.dim(0)) ctx.fail(cat("batch_indices holds ", b, "; X has ", X.dim(0), " images"));
  }
  kernels::RoiAlignParams p = a.params;
  p.channels = X.dim(1);
  p.height = X.dim(2);
  p.width = X.dim(3);
  const int64_t R = rois.dim(0);
  const DataType ct = X.dtype() == DataType::Double ? DataType::Double : DataType::Float;
  const Tensor x = to_compute(X, ct), r = to_compute(rois, ct);
  const int64_t per_bin = ct == DataType::Float ? kernels::roi_align_samples_per_bin<float>(p, r.data<float>(), R)
                                                 : kernels::roi_align_samples_per_bin<double>(p, r.data<double>(), R);
  const int64_t bins = p.pooled_height * p.pooled_width;
  if (per_bin > kMaxSamplesPerBox / bins) {
    ctx.fail(cat("a box needs ", per_bin, " samples in each of its ", bins, " output bins (limit ", kMaxSamplesPerBox,
                 " per box); check rois and spatial_scale, or set sampling_ratio"));
  }
  Tensor y(ct, {R, p.channels, p.pooled_height, p.pooled_width});
  if (ct == DataType::Float) {
    kernels::roi_align<float>(p, x.data<float>(), r.data<float>(), batch.data(), R, y.data<float>());
  } else {
    kernels::roi_align<double>(p, x.data<double>(), r.data<double>(), batch.data(), R, y.data<double>());
  }
  ctx.set_output(0, from_compute(y, X.dtype()));
}

// ---- MaxRoiPool ------------------------------------------------------------------------------------

struct MaxRoiPoolAttrs {
  int64_t pooled_height = 0, pooled_width = 0;
  float spatial_scale = 1.f;
  TypeList types;
};

template <class Fail>
MaxRoiPoolAttrs read_max_roi_pool(const Node& node, int since, const Fail& fail) {
  MaxRoiPoolAttrs a;
  a.types = float_types(since, 22);
  const std::vector<int64_t> pooled = node.attr_ints("pooled_shape");
  if (pooled.size() != 2 || pooled[0] <= 0 || pooled[1] <= 0) {
    fail("attribute pooled_shape is required: two positive ints (pooled height, pooled width)");
  }
  a.pooled_height = pooled[0];
  a.pooled_width = pooled[1];
  a.spatial_scale = node.attr_float("spatial_scale", 1.f);
  return a;
}

void compute_max_roi_pool(KernelContext& ctx, const MaxRoiPoolAttrs& a) {
  const Tensor& X = typed_input(ctx, 0, "X", a.types);
  const Tensor& rois = typed_input(ctx, 1, "rois", {X.dtype()});
  if (X.rank() != 4) ctx.fail(cat("input X ", X.describe(), " must be [N, C, H, W]"));
  if (rois.rank() != 2 || rois.dim(1) != 5) {
    ctx.fail(cat("input rois ", rois.describe(), " must be [num_rois, 5] of (batch_index, x1, y1, x2, y2)"));
  }
  const DataType ct = X.dtype() == DataType::Double ? DataType::Double : DataType::Float;
  const Tensor x = to_compute(X, ct), r = to_compute(rois, ct);
  const int64_t R = rois.dim(0);
  for (int64_t i = 0; i < R; ++i) {
    const double b = r.element_as_double(i * 5);
    if (!(b >= 0 && b < static_cast<double>(X.dim(0)))) {
      ctx.fail(cat("rois[", i, "] names batch index ", b, "; X has ", X.dim(0), " images"));
    }
  }
  Tensor y(ct, {R, X.dim(1), a.pooled_height, a.pooled_width});
  if (ct == DataType::Float) {
    kernels::max_roi_pool<float>(x.data<float>(), X.dim(1), X.dim(2), X.dim(3), r.data<float>(), R, a.pooled_height,
                                 a.pooled_width, a.spatial_scale, y.data<float>());
  } else {
    kernels::max_roi_pool<double>(x.data<double>(), X.dim(1), X.dim(2), X.dim(3), r.data<double>(), R,
                                  a.pooled_height, a.pooled_width, a.spatial_scale, y.data<double>());
  }
  ctx.set_output(0, from_compute(y, X.dtype()));
}

}  // namespace

void register_roi(Registry& r) {
  const int align_versions[] = {10, 16, 22};
  for (size_t v = 0; v < 3; ++v) {
    const int since = align_versions[v];
    OpDef def;
    def.op_type = "RoiAlign";
    def.since_version = since;
    def.last_version = v + 1 < 3 ? align_versions[v + 1] - 1 : kLatestOpset;
    def.types = type_list_string(float_types(since, 22));
    def.infer = [since](InferContext& ctx) {
      infer_roi_align(ctx, read_roi_align(ctx.node, since, [&](const std::string& m) { ctx.fail(m); }));
    };
    def.create = [since](const KernelInit& init) {
      RoiAlignAttrs attrs = read_roi_align(init.node, since, [&](const std::string& m) { init.fail(m); });
      return make_kernel([attrs = std::move(attrs)](KernelContext& ctx) { compute_roi_align(ctx, attrs); });
    };
    r.add(std::move(def));
  }
  for (int since : {1, 22}) {
    OpDef def;
    def.op_type = "MaxRoiPool";
    def.since_version = since;
    def.last_version = since == 1 ? 21 : kLatestOpset;
    def.types = type_list_string(float_types(since, 22));
    def.infer = [since](InferContext& ctx) {
      const MaxRoiPoolAttrs a = read_max_roi_pool(ctx.node, since, [&](const std::string& m) { ctx.fail(m); });
      check_input_type(ctx, 0, "X", a.types);
      check_input_type(ctx, 1, "rois", a.types);
      const DataType elem = input_elem(ctx, 0);
      if (elem != DataType::Undefined) set_pooled_output(ctx, elem, 5, a.pooled_height, a.pooled_width);
    };
    def.create = [since](const KernelInit& init) {
      MaxRoiPoolAttrs attrs = read_max_roi_pool(init.node, since, [&](const std::string& m) { init.fail(m); });
      return make_kernel([attrs = std::move(attrs)](KernelContext& ctx) { compute_max_roi_pool(ctx, attrs); });
    };
    r.add(std::move(def));
  }
}

}  // namespace onnxi::ops::vision
