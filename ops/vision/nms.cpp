// NonMaxSuppression: selected_indices [num_selected, 3] of (batch, class, box). The count depends
// on the data, so inference gives it a fresh symbol. max_output_boxes_per_class (default 0: select
// nothing), iou_threshold (default 0) and score_threshold (default: none) are optional one-element
// inputs; opsets 10 and 11 differ only in documentation.
#include <string>

#include "kernels/cpu/vision_roi.h"
#include "ops/vision/vision.h"

namespace onnxi::ops::vision {
namespace {

const TypeList kFloatOnly = {DataType::Float};

void infer_nms(InferContext& ctx) {
  check_input_type(ctx, 0, "boxes", kFloatOnly);
  check_input_type(ctx, 1, "scores", kFloatOnly);
  const int64_t cpb = ctx.node.attr_int("center_point_box", 0);
  if (cpb != 0 && cpb != 1) ctx.fail(cat("attribute center_point_box = ", cpb, " must be 0 or 1"));
  const TypeInfo& tb = ctx.input(0);
  if (tb.is_tensor() && tb.has_shape && (tb.dims.size() != 3 || (tb.dims[2].is_known() && tb.dims[2].value != 4))) {
    ctx.fail(cat("input boxes ", tb.str(), " must be [num_batches, spatial_dimension, 4]"));
  }
  const TypeInfo& ts = ctx.input(1);
  if (ts.is_tensor() && ts.has_shape && ts.dims.size() != 3) {
    ctx.fail(cat("input scores ", ts.str(), " must be [num_batches, num_classes, spatial_dimension]"));
  }
  const Dim selected = ctx.make_symbol ? ctx.fresh_dim("selected") : Dim{};
  ctx.set_output(0, TypeInfo::tensor(DataType::Int64, {selected, Dim::known(3)}));
}

// The single value of optional input i (a scalar or a one-element tensor), if given.
bool scalar_input(const KernelContext& ctx, size_t i, const char* name, DataType dtype, double& value) {
  if (!ctx.has_input(i)) return false;
  const Tensor& t = ctx.input(i);
  if (t.dtype() != dtype) {
    ctx.fail(cat("input ", name, " has element type ", dtype_name(t.dtype()), "; it must be ", dtype_name(dtype)));
  }
  if (t.numel() == 0) return false;  // an empty tensor reads as absent, as in onnxruntime
  if (t.numel() != 1) ctx.fail(cat("input ", name, " ", t.describe(), " must hold a single value"));
  value = t.element_as_double(0);
  return true;
}

void compute_nms(KernelContext& ctx, bool center_point_box) {
  const Tensor& boxes = typed_input(ctx, 0, "boxes", kFloatOnly);
  const Tensor& scores = typed_input(ctx, 1, "scores", kFloatOnly);
  if (boxes.rank() != 3 || boxes.dim(2) != 4) {
    ctx.fail(cat("input boxes ", boxes.describe(), " must be [num_batches, spatial_dimension, 4]"));
  }
  if (scores.rank() != 3 || scores.dim(0) != boxes.dim(0) || scores.dim(2) != boxes.dim(1)) {
    ctx.fail(cat("input scores ", scores.describe(), " must be [", boxes.dim(0), ", num_classes, ", boxes.dim(1),
                 "] to match boxes ", boxes.describe()));
  }
  kernels::NmsParams p;
  p.batches = boxes.dim(0);
  p.classes = scores.dim(1);
  p.boxes = boxes.dim(1);
  p.center_point_box = center_point_box;
  if (ctx.has_input(2) && ctx.input(2).numel() > 0) {
    const Tensor& m = ctx.input(2);
    if (m.dtype() != DataType::Int64 || m.numel() != 1) {
      ctx.fail(cat("input max_output_boxes_per_class ", m.describe(), " must hold a single int64"));
    }
    p.max_per_class = m.data<int64_t>()[0];
  }
  double v = 0;
  if (scalar_input(ctx, 3, "iou_threshold", DataType::Float, v)) p.iou_threshold = static_cast<float>(v);
  if (scalar_input(ctx, 4, "score_threshold", DataType::Float, v)) {
    p.has_score_threshold = true;
    p.score_threshold = static_cast<float>(v);
  }
  const std::vector<int64_t> selected = kernels::non_max_suppression(p, boxes.data<float>(), scores.data<float>());
  const int64_t count = static_cast<int64_t>(selected.size()) / 3;
  ctx.set_output(0, Tensor::from_vector(selected, {count, 3}));
}

}  // namespace

void register_nms(Registry& r) {
  for (int since : {10, 11}) {
    OpDef def;
    def.op_type = "NonMaxSuppression";
    def.since_version = since;
    def.last_version = since == 10 ? 10 : kLatestOpset;
    def.types = "float";
    def.infer = infer_nms;
    def.create = [](const KernelInit& init) {
      const int64_t cpb = init.node.attr_int("center_point_box", 0);
      if (cpb != 0 && cpb != 1) init.fail(cat("attribute center_point_box = ", cpb, " must be 0 or 1"));
      return make_kernel([cpb](KernelContext& ctx) { compute_nms(ctx, cpb == 1); });
    };
    r.add(std::move(def));
  }
}

}  // namespace onnxi::ops::vision
