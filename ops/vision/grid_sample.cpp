// GridSample: samples X [N, C, D1..Dk] at the points of grid [N, O1..Ok, k] (normalized to
// [-1, 1], innermost dimension first) into Y [N, C, O1..Ok]. Opset 16 takes 4-D X only and names
// the modes bilinear / bicubic; opset 20 generalizes to any k and renames them linear / cubic. Both
// spellings are accepted at every opset, since they mean the same interpolation.
//
// X may be any numeric type: floats compute in their compute type, integers and bool in float64
// and are stored back truncated (as the reference's numpy cast does).
#include <string>

#include "kernels/cpu/vision_sample.h"
#include "ops/vision/vision.h"

namespace onnxi::ops::vision {
namespace {

using kernels::GridSampleMode;
using kernels::GridSamplePadding;

struct GridSampleAttrs {
  int since = 16;
  GridSampleMode mode = GridSampleMode::Linear;
  GridSamplePadding padding = GridSamplePadding::Zeros;
  bool align_corners = false;
  TypeList x_types, grid_types;
};

TypeList data_types(int since) {
  TypeList t = {DataType::UInt8, DataType::UInt16, DataType::UInt32, DataType::UInt64, DataType::Int8,
                DataType::Int16, DataType::Int32,  DataType::Int64,  DataType::Float16, DataType::Float,
                DataType::Double, DataType::Bool};
  if (since >= 22) t.push_back(DataType::BFloat16);
  return t;
}

template <class Fail>
GridSampleAttrs read_attrs(const Node& node, int since, const Fail& fail) {
  GridSampleAttrs a;
  a.since = since;
  a.x_types = data_types(since);
  a.grid_types = float_types(since, 22);
  const std::string mode = node.attr_string("mode", since >= 20 ? "linear" : "bilinear");
  if (mode == "linear" || mode == "bilinear") {
    a.mode = GridSampleMode::Linear;
  } else if (mode == "nearest") {
    a.mode = GridSampleMode::Nearest;
  } else if (mode == "cubic" || mode == "bicubic") {
    a.mode = GridSampleMode::Cubic;
  } else {
    fail(cat("attribute mode = '", mode, "' is not one of ",
             since >= 20 ? "linear, nearest, cubic" : "bilinear, nearest, bicubic"));
  }
  const std::string padding = node.attr_string("padding_mode", "zeros");
  if (padding == "zeros") {
    a.padding = GridSamplePadding::Zeros;
  } else if (padding == "border") {
    a.padding = GridSamplePadding::Border;
  } else if (padding == "reflection") {
    a.padding = GridSamplePadding::Reflection;
  } else {
    fail(cat("attribute padding_mode = '", padding, "' is not one of zeros, border, reflection"));
  }
  a.align_corners = node.attr_int("align_corners", 0) != 0;
  return a;
}

void infer_grid_sample(InferContext& ctx, const GridSampleAttrs& a) {
  check_input_type(ctx, 0, "X", a.x_types);
  check_input_type(ctx, 1, "grid", a.grid_types);
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& tx = ctx.input(0);
  const TypeInfo& tg = ctx.input(1);
  const bool x_ranked = tx.is_tensor() && tx.has_shape, g_ranked = tg.is_tensor() && tg.has_shape;
  if (x_ranked && (tx.dims.size() < 3 || (a.since < 20 && tx.dims.size() != 4))) {
    ctx.fail(cat("input X ", tx.str(), a.since < 20 ? " must be 4-D [N, C, H, W] at this opset" : " must be [N, C, D1, ...]"));
  }
  if (x_ranked && g_ranked && tg.dims.size() != tx.dims.size()) {
    ctx.fail(cat("grid ", tg.str(), " must have the rank of X ", tx.str()));
  }
  if (g_ranked && tg.dims.size() >= 3 && tg.dims.back().is_known() &&
      tg.dims.back().value != static_cast<int64_t>(tg.dims.size()) - 2) {
    ctx.fail(cat("grid ", tg.str(), " must end in a dim of ", tg.dims.size() - 2, " (one coordinate per spatial dim)"));
  }
  if (!x_ranked && !g_ranked) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  const size_t rank = x_ranked ? tx.dims.size() : tg.dims.size();
  std::vector<Dim> out(rank);
  out[0] = x_ranked ? tx.dims[0] : tg.dims[0];
  if (x_ranked && !out[0].is_known() && g_ranked && tg.dims[0].is_known()) out[0] = tg.dims[0];
  if (x_ranked) out[1] = tx.dims[1];
  for (size_t i = 2; i < rank && g_ranked; ++i) out[i] = tg.dims[i - 1];
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

void compute_grid_sample(KernelContext& ctx, const GridSampleAttrs& a) {
  const Tensor& X = typed_input(ctx, 0, "X", a.x_types);
  const Tensor& grid = typed_input(ctx, 1, "grid", a.grid_types);
  if (X.rank() < 3 || (a.since < 20 && X.rank() != 4)) {
    ctx.fail(cat("input X ", X.describe(), a.since < 20 ? " must be 4-D [N, C, H, W] at this opset" : " must be [N, C, D1, ...]"));
  }
  const int64_t k = X.rank() - 2;
  if (k > 8) ctx.fail(cat("input X ", X.describe(), " has more than 8 spatial dims, which GridSample does not support"));
  if (grid.rank() != X.rank() || grid.dim(0) != X.dim(0) || grid.dim(grid.rank() - 1) != k) {
    ctx.fail(cat("grid ", grid.describe(), " must be [N, O1..O", k, ", ", k, "] for X ", X.describe()));
  }
  kernels::GridSampleParams p;
  p.batch = X.dim(0);
  p.channels = X.dim(1);
  p.in_spatial.assign(X.shape().begin() + 2, X.shape().end());
  p.out_spatial.assign(grid.shape().begin() + 1, grid.shape().end() - 1);
  p.mode = a.mode;
  p.padding = a.padding;
  p.align_corners = a.align_corners;
  Shape y_shape{p.batch, p.channels};
  y_shape.insert(y_shape.end(), p.out_spatial.begin(), p.out_spatial.end());

  // float32 suffices for float32/float16/bfloat16 data; double data or grid, and integers, use float64.
  const bool narrow_data = X.dtype() == DataType::Float || X.dtype() == DataType::Float16 ||
                           X.dtype() == DataType::BFloat16;
  const DataType ct = narrow_data && grid.dtype() != DataType::Double ? DataType::Float : DataType::Double;
  const Tensor x = to_compute(X, ct), g = to_compute(grid, ct);
  Tensor y(ct, y_shape);
  if (ct == DataType::Float) {
    kernels::grid_sample<float>(p, x.data<float>(), g.data<float>(), y.data<float>());
  } else {
    kernels::grid_sample<double>(p, x.data<double>(), g.data<double>(), y.data<double>());
  }
  ctx.set_output(0, from_compute(y, X.dtype()));
}

}  // namespace

void register_grid_sample(Registry& r) {
  const int versions[] = {16, 20, 22};
  for (size_t v = 0; v < 3; ++v) {
    const int since = versions[v];
    OpDef def;
    def.op_type = "GridSample";
    def.since_version = since;
    def.last_version = v + 1 < 3 ? versions[v + 1] - 1 : kLatestOpset;
    def.types = type_list_string(data_types(since));
    def.infer = [since](InferContext& ctx) {
      infer_grid_sample(ctx, read_attrs(ctx.node, since, [&](const std::string& m) { ctx.fail(m); }));
    };
    def.create = [since](const KernelInit& init) {
      GridSampleAttrs attrs = read_attrs(init.node, since, [&](const std::string& m) { init.fail(m); });
      return make_kernel([attrs = std::move(attrs)](KernelContext& ctx) { compute_grid_sample(ctx, attrs); });
    };
    r.add(std::move(def));
  }
}

}  // namespace onnxi::ops::vision
