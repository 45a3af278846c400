// Col2Im: the inverse of im2col. Every column entry is added into the image position its kernel
// tap covers; taps that land in the padding are dropped.
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

#include "kernels/cpu/scatter.h"
#include "onnxi/float_types.h"

namespace onnxi::ops::tensor {
namespace {

void run_col2im(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> image = int_input(ctx, 1);
  const std::vector<int64_t> block = int_input(ctx, 2);
  const size_t nd = image.size();
  if (block.size() != nd || nd == 0) ctx.fail(cat("image_shape ", shape_str(image), " and block_shape ", shape_str(block), " must have the same non-zero length"));
  if (x.rank() != 3) ctx.fail(cat("input must be [N, C * prod(block_shape), L], got ", x.describe()));
  if (!is_floating(x.dtype()) && !is_integer(x.dtype())) ctx.fail(cat("unsupported element type ", dtype_name(x.dtype())));
  const Node& node = ctx.node();
  std::vector<int64_t> dil = node.attr_ints("dilations", std::vector<int64_t>(nd, 1));
  std::vector<int64_t> strides = node.attr_ints("strides", std::vector<int64_t>(nd, 1));
  std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
  if (dil.size() != nd || strides.size() != nd || pads.size() != 2 * nd) {
    ctx.fail(cat("dilations and strides need ", nd, " entries and pads ", 2 * nd));
  }
  int64_t kernel = 1, blocks = 1;
  std::vector<int64_t> per_dim(nd);
  for (size_t d = 0; d < nd; ++d) {
    if (block[d] <= 0 || strides[d] <= 0 || dil[d] <= 0) ctx.fail("block_shape, strides and dilations must be positive");
    const int64_t eff = dil[d] * (block[d] - 1) + 1;
    per_dim[d] = (image[d] + pads[d] + pads[d + nd] - eff) / strides[d] + 1;
    if (per_dim[d] <= 0) ctx.fail(cat("the block does not fit the padded image on spatial axis ", d));
    kernel *= block[d];
    blocks *= per_dim[d];
  }
  const int64_t n = x.dim(0);
  if (x.dim(1) % kernel != 0) ctx.fail(cat("dimension 1 (", x.dim(1), ") is not a multiple of prod(block_shape) = ", kernel));
  if (x.dim(2) != blocks) ctx.fail(cat("dimension 2 (", x.dim(2), ") must equal the number of blocks, ", blocks));
  const int64_t c = x.dim(1) / kernel;
  int64_t image_size = 1;
  for (int64_t v : image) image_size *= v;

  // One (source, destination) pair per tap inside the image, for one [kernel, blocks] plane.
  std::vector<int64_t> src_index, dst_offset;
  std::vector<int64_t> kpos(nd, 0);
  for (int64_t k = 0; k < kernel; ++k) {
    std::vector<int64_t> lpos(nd, 0);
    for (int64_t l = 0; l < blocks; ++l) {
      int64_t off = 0;
      bool inside = true;
      for (size_t d = 0; d < nd && inside; ++d) {
        const int64_t p = lpos[d] * strides[d] - pads[d] + kpos[d] * dil[d];
        inside = p >= 0 && p < image[d];
        off = off * image[d] + p;
      }
      if (inside) {
        src_index.push_back(k * blocks + l);
        dst_offset.push_back(off);
      }
      for (size_t d = nd; d-- > 0;) {
        if (++lpos[d] < per_dim[d]) break;
        lpos[d] = 0;
      }
    }
    for (size_t d = nd; d-- > 0;) {
      if (++kpos[d] < block[d]) break;
      kpos[d] = 0;
    }
  }
  std::vector<double> in(static_cast<size_t>(x.numel()));
  convert_to_f64(x.dtype(), x.raw(), in.data(), x.numel());
  std::vector<double> out(static_cast<size_t>(n * c * image_size), 0.0);
  std::vector<double> updates(src_index.size());
  for (int64_t plane = 0; plane < n * c; ++plane) {
    const double* src = in.data() + plane * kernel * blocks;
    for (size_t i = 0; i < src_index.size(); ++i) updates[i] = src[src_index[i]];
    kernels::scatter_blocks<double>(out.data() + plane * image_size, dst_offset.data(),
                                    static_cast<int64_t>(dst_offset.size()), 1, updates.data(),
                                    kernels::ScatterReduction::Add);
  }
  Shape out_shape{n, c};
  out_shape.insert(out_shape.end(), image.begin(), image.end());
  Tensor result(x.dtype(), out_shape);
  convert_from_f64(x.dtype(), out.data(), result.raw(), result.numel());
  ctx.set_output(0, Value(result));
}

void infer_col2im(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  const std::vector<Dim>* in = known_dims(ctx, 0);
  std::optional<std::vector<int64_t>> image = constant_ints(ctx, 1);
  std::optional<std::vector<int64_t>> block = constant_ints(ctx, 2);
  std::vector<Dim> out{in && !in->empty() ? (*in)[0] : Dim{}, Dim{}};
  if (in && in->size() == 3 && (*in)[1].is_known() && block) {
    int64_t k = 1;
    for (int64_t b : *block) k *= b;
    if (k > 0) out[1] = Dim::known((*in)[1].value / k);
  }
  if (image) {
    for (int64_t v : *image) out.push_back(Dim::known(v));
  } else if (const std::vector<Dim>* sd = known_dims(ctx, 1); sd && sd->size() == 1 && (*sd)[0].is_known()) {
    out.resize(2 + static_cast<size_t>((*sd)[0].value));
  } else {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    return;
  }
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

}  // namespace

void register_col2im(Registry& r) {
  r.add({"", "Col2Im", 18, kLatestOpset, infer_col2im, kernel_of(run_col2im), "all numeric types"});
}

}  // namespace onnxi::ops::tensor
