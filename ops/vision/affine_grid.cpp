// AffineGrid: the sampling grid of an affine transform, for GridSample. theta [N, 2, 3] with size
// (N, C, H, W) gives grid [N, H, W, 2]; theta [N, 3, 4] with size (N, C, D, H, W) gives
// [N, D, H, W, 3]. Points are (x, y[, z]), innermost dimension first, as GridSample reads them.
#include <string>

#include "kernels/cpu/vision_sample.h"
#include "ops/vision/vision.h"

namespace onnxi::ops::vision {
namespace {

const TypeList kThetaTypes = {DataType::Float16, DataType::Float, DataType::Double, DataType::BFloat16};

std::string bad_size(const std::vector<int64_t>& size) {
  return cat("input size = ", shape_str(size), " must be (N, C, H, W) or (N, C, D, H, W) with non-negative entries");
}

bool size_ok(const std::vector<int64_t>& size) {
  if (size.size() != 4 && size.size() != 5) return false;
  for (int64_t v : size) {
    if (v < 0) return false;
  }
  return true;
}

void infer_affine_grid(InferContext& ctx) {
  check_input_type(ctx, 0, "theta", kThetaTypes);
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& theta = ctx.input(0);
  const Dim n = theta.is_tensor() && theta.has_shape && !theta.dims.empty() ? theta.dims[0] : Dim{};
  if (const Tensor* size_t_ = ctx.constant(1)) {
    const std::vector<int64_t> size = size_t_->to_int64_vector();
    if (!size_ok(size)) ctx.fail(bad_size(size));
    std::vector<Dim> out{Dim::known(size[0])};
    for (size_t i = 2; i < size.size(); ++i) out.push_back(Dim::known(size[i]));
    out.push_back(Dim::known(static_cast<int64_t>(size.size()) - 2));
    ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
    return;
  }
  const TypeInfo& ts = ctx.input(1);
  if (ts.is_tensor() && ts.has_shape && ts.dims.size() == 1 && ts.dims[0].is_known()) {
    const int64_t len = ts.dims[0].value;
    if (len != 4 && len != 5) ctx.fail(cat("input size must hold 4 or 5 values, got ", ts.str()));
    std::vector<Dim> out{n};
    for (int64_t i = 2; i < len; ++i) out.push_back(Dim{});
    out.push_back(Dim::known(len - 2));
    ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
    return;
  }
  ctx.set_output(0, TypeInfo::tensor_unranked(elem));
}

void compute_affine_grid(KernelContext& ctx, bool align_corners) {
  const Tensor& theta = typed_input(ctx, 0, "theta", kThetaTypes);
  const Tensor& size_t_ = ctx.input(1);
  if (size_t_.dtype() != DataType::Int64 || size_t_.rank() != 1) {
    ctx.fail(cat("input size ", size_t_.describe(), " must be a 1-D int64 tensor"));
  }
  const std::vector<int64_t> size = size_t_.to_int64_vector();
  if (!size_ok(size)) ctx.fail(bad_size(size));
  const int64_t k = static_cast<int64_t>(size.size()) - 2;
  if (theta.shape() != Shape{size[0], k, k + 1}) {
    ctx.fail(cat("theta ", theta.describe(), " must be [", size[0], ", ", k, ", ", k + 1, "] for size ",
                 shape_str(size)));
  }
  const std::vector<int64_t> spatial(size.begin() + 2, size.end());
  Shape out{size[0]};
  out.insert(out.end(), spatial.begin(), spatial.end());
  out.push_back(k);
  shape_numel(out, "AffineGrid output");
  const DataType ct = theta.dtype() == DataType::Double ? DataType::Double : DataType::Float;
  const Tensor th = to_compute(theta, ct);
  Tensor grid(ct, out);
  if (ct == DataType::Float) {
    kernels::affine_grid<float>(th.data<float>(), size[0], spatial, align_corners, grid.data<float>());
  } else {
    kernels::affine_grid<double>(th.data<double>(), size[0], spatial, align_corners, grid.data<double>());
  }
  ctx.set_output(0, from_compute(grid, theta.dtype()));
}

}  // namespace

void register_affine_grid(Registry& r) {
  OpDef def;
  def.op_type = "AffineGrid";
  def.since_version = 20;
  def.types = type_list_string(kThetaTypes);
  def.infer = infer_affine_grid;
  def.create = [](const KernelInit& init) {
    const bool align = init.node.attr_int("align_corners", 0) != 0;
    return make_kernel([align](KernelContext& ctx) { compute_affine_grid(ctx, align); });
  };
  r.add(std::move(def));
}

}  // namespace onnxi::ops::vision
