// Transpose and the space/depth shuffles (DepthToSpace, SpaceToDepth), which are a reshape to 6-D,
// a transpose and a reshape back.
#include <numeric>

#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace onnxi::ops::tensor {
namespace {

// The perm attribute, or reversed axes when absent; checked to be a permutation.
std::vector<int64_t> transpose_perm(const Node& node, int64_t rank, ErrorCode code) {
  std::vector<int64_t> perm;
  if (node.has_attr("perm")) {
    perm = node.attr_ints("perm");
  } else {
    for (int64_t k = rank - 1; k >= 0; --k) perm.push_back(k);
  }
  ONNXI_CHECK(static_cast<int64_t>(perm.size()) == rank, code, node.label(), ": perm has ", perm.size(),
              " entries but the input has rank ", rank);
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t& p : perm) {
    if (p < 0) p += rank;  // tolerated: some exporters write negative perms
    ONNXI_CHECK(p >= 0 && p < rank && !seen[static_cast<size_t>(p)], code, node.label(), ": perm ",
                shape_str(node.attr_ints("perm")), " is not a permutation of 0..", rank - 1);
    seen[static_cast<size_t>(p)] = true;
  }
  return perm;
}

void run_transpose(KernelContext& ctx);

void infer_transpose(InferContext& ctx) {
  if (fold_constants(ctx, run_transpose)) return;
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  if (!in) {
    if (ctx.node.has_attr("perm")) {
      ctx.set_output(0, TypeInfo::tensor(elem, std::vector<Dim>(ctx.node.attr_ints("perm").size())));
    } else {
      ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    }
    return;
  }
  std::vector<int64_t> perm = transpose_perm(ctx.node, static_cast<int64_t>(in->size()), ErrorCode::InvalidModel);
  std::vector<Dim> out;
  for (int64_t p : perm) out.push_back((*in)[static_cast<size_t>(p)]);
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

void run_transpose(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  ctx.set_output(0, Value(transposed(x, transpose_perm(ctx.node(), x.rank(), ErrorCode::Runtime))));
}

// ---- DepthToSpace / SpaceToDepth --------------------------------------------------------------
int64_t blocksize(const Node& node) {
  const int64_t b = node.attr_int("blocksize", 0);
  ONNXI_CHECK(b > 0, ErrorCode::InvalidModel, node.label(), ": blocksize must be a positive integer, got ", b);
  return b;
}

// CRD (column-row-depth) only from opset 11 for DepthToSpace and 28 for SpaceToDepth.
bool crd_mode(const Node& node) {
  const std::string mode = node.attr_string("mode", "DCR");
  ONNXI_CHECK(mode == "DCR" || mode == "CRD", ErrorCode::InvalidModel, node.label(), ": mode '", mode,
              "' is not supported; use DCR or CRD");
  return mode == "CRD";
}

Dim scaled(const Dim& d, int64_t mul, int64_t div, const InferContext& ctx, const char* what) {
  if (!d.is_known()) return Dim{};
  if (d.value * mul % div != 0) ctx.fail(cat(what, " ", d.value, " is not divisible by ", div));
  return Dim::known(d.value * mul / div);
}

void infer_depth_to_space(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  const int64_t b = blocksize(ctx.node);
  crd_mode(ctx.node);
  if (!in) {
    ctx.set_output(0, TypeInfo::tensor(elem, std::vector<Dim>(4)));
    return;
  }
  if (in->size() != 4) ctx.fail(cat("input must be 4-D [N, C, H, W], got rank ", in->size()));
  ctx.set_output(0, TypeInfo::tensor(elem, {(*in)[0], scaled((*in)[1], 1, b * b, ctx, "channels"),
                                            scaled((*in)[2], b, 1, ctx, "height"), scaled((*in)[3], b, 1, ctx, "width")}));
}

void run_depth_to_space(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t b = blocksize(ctx.node());
  if (x.rank() != 4) ctx.fail(cat("input must be 4-D [N, C, H, W], got ", x.describe()));
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  if (c % (b * b) != 0) ctx.fail(cat("channels ", c, " are not divisible by blocksize^2 = ", b * b));
  const int64_t oc = c / (b * b);
  Tensor out;
  if (crd_mode(ctx.node())) {
    out = transposed(x.reshaped({n, oc, b, b, h, w}), {0, 1, 4, 2, 5, 3});
  } else {
    out = transposed(x.reshaped({n, b, b, oc, h, w}), {0, 3, 4, 1, 5, 2});
  }
  ctx.set_output(0, Value(out.reshaped({n, oc, h * b, w * b})));
}

void infer_space_to_depth(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  const int64_t b = blocksize(ctx.node);
  crd_mode(ctx.node);
  if (!in) {
    ctx.set_output(0, TypeInfo::tensor(elem, std::vector<Dim>(4)));
    return;
  }
  if (in->size() != 4) ctx.fail(cat("input must be 4-D [N, C, H, W], got rank ", in->size()));
  ctx.set_output(0, TypeInfo::tensor(elem, {(*in)[0], scaled((*in)[1], b * b, 1, ctx, "channels"),
                                            scaled((*in)[2], 1, b, ctx, "height"), scaled((*in)[3], 1, b, ctx, "width")}));
}

void run_space_to_depth(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t b = blocksize(ctx.node());
  if (x.rank() != 4) ctx.fail(cat("input must be 4-D [N, C, H, W], got ", x.describe()));
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  if (h % b != 0 || w % b != 0) ctx.fail(cat("height ", h, " and width ", w, " must be divisible by blocksize ", b));
  Tensor view = x.reshaped({n, c, h / b, b, w / b, b});
  Tensor out = crd_mode(ctx.node()) ? transposed(view, {0, 1, 3, 5, 2, 4}) : transposed(view, {0, 3, 5, 1, 2, 4});
  ctx.set_output(0, Value(out.reshaped({n, c * b * b, h / b, w / b})));
}

}  // namespace

void register_transpose(Registry& r) {
  r.add({"", "Transpose", 1, kLatestOpset, infer_transpose, kernel_of(run_transpose), kAllTypes});
  r.add({"", "DepthToSpace", 1, 10, infer_depth_to_space, kernel_of(run_depth_to_space), kAllTypes});
  r.add({"", "DepthToSpace", 11, kLatestOpset, infer_depth_to_space, kernel_of(run_depth_to_space), kAllTypes});
  r.add({"", "SpaceToDepth", 1, 27, infer_space_to_depth, kernel_of(run_space_to_depth), kAllTypes});
  r.add({"", "SpaceToDepth", 28, kLatestOpset, infer_space_to_depth, kernel_of(run_space_to_depth), kAllTypes});
}

}  // namespace onnxi::ops::tensor
