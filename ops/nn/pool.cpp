// MaxPool, AveragePool and LpPool: sliding windows over [N, C, spatial...] (kernels/cpu/pool.h).
// Opset differences are attribute sets (ceil_mode from 10, dilations from 10/19/18, int8/uint8
// MaxPool from 12); an attribute absent in an older opset takes its default, so one kernel serves
// every version.
#include <memory>

#include "kernels/cpu/pool.h"
#include "ops/nn/nn.h"
#include "ops/nn/spatial.h"

namespace onnxi::ops::nn {
namespace {

enum class PoolKind { Max, Average, Lp };

// LpPool-1 stores p as a float, later versions as an int.
double read_p(const Node& node) {
  const Attribute* a = node.find_attr("p");
  if (!a) return 2.0;
  const double p = a->type == Attribute::Type::Float ? static_cast<double>(a->f) : static_cast<double>(a->i);
  ONNXI_CHECK(p > 0, ErrorCode::InvalidModel, node.label(), ": p must be positive, got ", p);
  return p;
}

bool max_pool_type(DataType t) { return is_nn_float(t) || t == DataType::Int8 || t == DataType::UInt8; }

void infer_pool(InferContext& ctx, PoolKind kind) {
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& tx = ctx.input(0);
  if (!tx.is_tensor() || !tx.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
    if (kind == PoolKind::Max) ctx.set_output(1, TypeInfo::tensor_unranked(DataType::Int64));
    return;
  }
  if (tx.dims.size() < 3) ctx.fail(cat("input X must be [N, C, spatial...] (rank >= 3), got ", tx.str()));
  const WindowAttrs attrs = WindowAttrs::read(ctx.node);
  if (attrs.kernel_shape.empty()) ctx.fail("attribute kernel_shape is required");
  if (attrs.kernel_shape.size() != tx.dims.size() - 2) {
    ctx.fail(cat("kernel_shape has ", attrs.kernel_shape.size(), " entries but X ", tx.str(), " has ",
                 tx.dims.size() - 2, " spatial axes"));
  }
  std::vector<Dim> out{tx.dims[0], tx.dims[1]};
  const auto spatial =
      window_output_dims(attrs, std::vector<Dim>(tx.dims.begin() + 2, tx.dims.end()), attrs.kernel_shape);
  out.insert(out.end(), spatial.begin(), spatial.end());
  ctx.set_output(0, TypeInfo::tensor(elem, out));
  if (kind == PoolKind::Max) ctx.set_output(1, TypeInfo::tensor(DataType::Int64, out));
}

class PoolKernel final : public Kernel {
 public:
  PoolKernel(PoolKind kind, WindowAttrs attrs, bool count_include_pad, bool column_major, double p)
      : kind_(kind),
        attrs_(std::move(attrs)),
        count_include_pad_(count_include_pad),
        column_major_(column_major),
        p_(p) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.input(0);
    if (kind_ == PoolKind::Max ? !max_pool_type(X.dtype()) : !is_nn_float(X.dtype())) {
      ctx.fail(cat("input X has element type ", dtype_name(X.dtype()), "; this op takes ", kFloatTypes,
                   kind_ == PoolKind::Max ? ", int8, uint8" : ""));
    }
    if (X.rank() < 3) ctx.fail(cat("input X must be [N, C, spatial...] (rank >= 3), got ", X.describe()));
    const Window w = resolve_window(attrs_, spatial_dims(X.shape()), attrs_.kernel_shape, ctx.node());
    kernels::PoolParams p;
    p.planes = X.dim(0) * X.dim(1);
    p.in_spatial = spatial_dims(X.shape());
    p.out_spatial = w.output;
    p.kernel = w.kernel;
    p.strides = w.strides;
    p.dilations = w.dilations;
    p.pads_begin = w.pads_begin;
    p.pads_end = w.pads_end;
    Shape out_shape{X.dim(0), X.dim(1)};
    out_shape.insert(out_shape.end(), w.output.begin(), w.output.end());

    int64_t* indices = nullptr;
    if (kind_ == PoolKind::Max && ctx.num_outputs() > 1 && ctx.output_wanted(1)) {
      indices = ctx.allocate_output(1, DataType::Int64, out_shape).data<int64_t>();
    }
    if (X.dtype() == DataType::Int8 || X.dtype() == DataType::UInt8) {
      Tensor& y = ctx.allocate_output(0, X.dtype(), out_shape);
      if (X.dtype() == DataType::Int8) {
        kernels::max_pool(p, X.data<int8_t>(), y.data<int8_t>(), indices, column_major_);
      } else {
        kernels::max_pool(p, X.data<uint8_t>(), y.data<uint8_t>(), indices, column_major_);
      }
      return;
    }
    const Tensor x = widen(X);
    Tensor y(compute_type(X.dtype()), out_shape);
    with_compute_type(y.dtype(), [&](auto tag) {
      using T = decltype(tag);
      switch (kind_) {
        case PoolKind::Max:
          kernels::max_pool(p, x.data<T>(), y.data<T>(), indices, column_major_);
          break;
        case PoolKind::Average:
          kernels::average_pool(p, x.data<T>(), y.data<T>(), count_include_pad_);
          break;
        case PoolKind::Lp:
          kernels::lp_pool(p, x.data<T>(), y.data<T>(), p_);
          break;
      }
    });
    ctx.set_output(0, narrow(y, X.dtype()));
  }

 private:
  PoolKind kind_;
  WindowAttrs attrs_;
  bool count_include_pad_;
  bool column_major_;
  double p_;
};

OpDef::CreateFn create_pool(PoolKind kind) {
  return [kind](const KernelInit& init) -> std::unique_ptr<Kernel> {
    WindowAttrs attrs = WindowAttrs::read(init.node);
    if (attrs.kernel_shape.empty()) init.fail("attribute kernel_shape is required");
    const int64_t storage_order = init.node.attr_int("storage_order", 0);
    if (storage_order != 0 && storage_order != 1) init.fail(cat("storage_order must be 0 or 1, got ", storage_order));
    return std::make_unique<PoolKernel>(kind, std::move(attrs), init.node.attr_int("count_include_pad", 0) != 0,
                                        storage_order == 1, kind == PoolKind::Lp ? read_p(init.node) : 2.0);
  };
}

OpDef::InferFn infer_for(PoolKind kind) {
  return [kind](InferContext& ctx) { infer_pool(ctx, kind); };
}

}  // namespace

void register_pool(Registry& r) {
  const char* old_types = "float, double, float16";
  r.add(make_def("MaxPool", 1, 11, infer_for(PoolKind::Max), create_pool(PoolKind::Max), old_types));
  r.add(make_def("MaxPool", 12, 21, infer_for(PoolKind::Max), create_pool(PoolKind::Max),
                 "float, double, float16, int8, uint8"));
  r.add(make_def("MaxPool", 22, kLatestOpset, infer_for(PoolKind::Max), create_pool(PoolKind::Max),
                 "float, double, float16, bfloat16, int8, uint8"));
  r.add(make_def("AveragePool", 1, 21, infer_for(PoolKind::Average), create_pool(PoolKind::Average), old_types));
  r.add(make_def("AveragePool", 22, kLatestOpset, infer_for(PoolKind::Average), create_pool(PoolKind::Average)));
  r.add(make_def("LpPool", 1, 21, infer_for(PoolKind::Lp), create_pool(PoolKind::Lp), old_types));
  r.add(make_def("LpPool", 22, kLatestOpset, infer_for(PoolKind::Lp), create_pool(PoolKind::Lp)));
}

}  // namespace onnxi::ops::nn
