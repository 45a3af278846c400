// Attributes, inference and run-time glue shared by NegativeLogLikelihoodLoss and
// SoftmaxCrossEntropyLoss. float16 and bfloat16 compute in float32, double in double; the
// reductions accumulate in double.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/loss.h"
#include "kernels/cpu/softmax.h"
#include "onnxi/float_types.h"
#include "ops/loss/loss.h"

namespace onnxi::ops::loss {
namespace {

bool accepts(const std::vector<DataType>& types, DataType t) {
  return std::find(types.begin(), types.end(), t) != types.end();
}

std::string type_names(const std::vector<DataType>& types) {
  std::string s;
  for (DataType t : types) s += (s.empty() ? "" : ", ") + std::string(dtype_name(t));
  return s;
}

bool is_index_type(DataType t) { return t == DataType::Int32 || t == DataType::Int64; }

DataType input_elem(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i) || !ctx.input(i).is_tensor()) return DataType::Undefined;
  return ctx.input(i).elem;
}

bool ranked(const InferContext& ctx, size_t i) {
  return ctx.has_input(i) && ctx.input(i).is_tensor() && ctx.input(i).has_shape;
}

// Known dims must agree; `what` describes the pair for the error.
void check_dims_agree(const InferContext& ctx, const Dim& a, const Dim& b, const std::string& what) {
  if (a.is_known() && b.is_known() && a.value != b.value) ctx.fail(what);
}

// A known size over a symbol, a named symbol over an unknown dim.
const Dim& more_specific(const Dim& a, const Dim& b) {
  if (a.is_known()) return a;
  if (b.is_known()) return b;
  return a.param.empty() ? b : a;
}

// float16 / bfloat16 / float32 as float32, double as double.
DataType compute_type(DataType t) { return t == DataType::Double ? DataType::Double : DataType::Float; }

Tensor to_compute(const Tensor& t, DataType ct) {
  if (t.dtype() == ct) return t;
  Tensor out(ct, t.shape());
  const uint16_t* src = t.data<uint16_t>();
  float* dst = out.data<float>();
  const bool half = t.dtype() == DataType::Float16;
  for (int64_t i = 0; i < t.numel(); ++i) dst[i] = half ? f16_to_f32(src[i]) : bf16_to_f32(src[i]);
  return out;
}

Tensor from_compute(const Tensor& t, DataType target) {
  if (t.dtype() == target) return t;
  Tensor out(target, t.shape());
  const float* src = t.data<float>();
  uint16_t* dst = out.data<uint16_t>();
  const bool half = target == DataType::Float16;
  for (int64_t i = 0; i < t.numel(); ++i) dst[i] = half ? f32_to_f16(src[i]) : f32_to_bf16(src[i]);
  return out;
}

template <class T>
kernels::NllResult run_nll(const kernels::NllParams& p, const Tensor& logp, const Tensor& target, const Tensor& weight,
                           Tensor& loss) {
  const T* w = weight.defined() ? weight.data<T>() : nullptr;
  if (target.dtype() == DataType::Int32) {
    return kernels::nll_loss<T, int32_t>(p, logp.data<T>(), target.data<int32_t>(), w, loss.data<T>());
  }
  return kernels::nll_loss<T, int64_t>(p, logp.data<T>(), target.data<int64_t>(), w, loss.data<T>());
}

int64_t target_at(const Tensor& target, int64_t i) {
  return target.dtype() == DataType::Int32 ? target.data<int32_t>()[i] : target.data<int64_t>()[i];
}

}  // namespace

LossAttrs read_loss_attrs(const Node& node, const LossVersion& v) {
  LossAttrs a;
  const std::string reduction = node.attr_string("reduction", "mean");
  if (reduction == "none") {
    a.reduction = Reduction::None;
  } else if (reduction == "sum") {
    a.reduction = Reduction::Sum;
  } else if (reduction == "mean") {
    a.reduction = Reduction::Mean;
  } else {
    fail(ErrorCode::InvalidModel,
         cat(node.label(), ": attribute reduction = '", reduction, "' is not one of none, sum, mean"));
  }
  if (const Attribute* ii = node.find_attr("ignore_index")) {
    ONNXI_CHECK(ii->type == Attribute::Type::Int, ErrorCode::InvalidModel, node.label(),
                ": attribute ignore_index must be an int, not ", attribute_type_name(ii->type));
    a.has_ignore = true;
    a.ignore_index = ii->i;
  }
  a.types = loss_types(v);
  return a;
}

std::vector<DataType> loss_types(const LossVersion& v) {
  std::vector<DataType> types = {DataType::Float16, DataType::Float, DataType::Double};
  if (v.bfloat16) types.push_back(DataType::BFloat16);
  return types;
}

std::string loss_types_string(const LossVersion& v) { return type_names(loss_types(v)) + "; targets int32, int64"; }

void infer_loss(InferContext& ctx, const LossAttrs& a, const char* x_name, const char* target_name,
                const char* weight_name, bool log_prob_output) {
  const DataType x_elem = input_elem(ctx, 0), t_elem = input_elem(ctx, 1), w_elem = input_elem(ctx, 2);
  if (x_elem != DataType::Undefined && !accepts(a.types, x_elem)) {
    ctx.fail(cat("input ", x_name, " has element type ", dtype_name(x_elem), "; ", ctx.node.op_type, "-", ctx.opset,
                 " takes ", type_names(a.types)));
  }
  if (t_elem != DataType::Undefined && !is_index_type(t_elem)) {
    ctx.fail(cat("input ", target_name, " has element type ", dtype_name(t_elem),
                 "; class targets are int32 or int64"));
  }
  if (w_elem != DataType::Undefined && x_elem != DataType::Undefined && w_elem != x_elem) {
    ctx.fail(cat("input ", weight_name, " has element type ", dtype_name(w_elem), " but ", x_name, " is ",
                 dtype_name(x_elem), "; they must match"));
  }
  const bool x_ranked = ranked(ctx, 0), t_ranked = ranked(ctx, 1);
  const TypeInfo& tx = ctx.input(0);
  const TypeInfo& tt = ctx.input(1);
  if (x_ranked && tx.dims.size() < 2) ctx.fail(cat("input ", x_name, " ", tx.str(), " must be [N, C, d1, ..., dk]"));
  if (t_ranked && tt.dims.empty()) ctx.fail(cat("input ", target_name, " ", tt.str(), " must be [N, d1, ..., dk]"));
  if (x_ranked && t_ranked) {
    const std::string mismatch = cat("input ", target_name, " ", tt.str(), " must be [N, d1, ..., dk] for ", x_name,
                                     " ", tx.str(), " of shape [N, C, d1, ..., dk]");
    if (tt.dims.size() + 1 != tx.dims.size()) ctx.fail(mismatch);
    check_dims_agree(ctx, tt.dims[0], tx.dims[0], mismatch);
    for (size_t i = 1; i < tt.dims.size(); ++i) check_dims_agree(ctx, tt.dims[i], tx.dims[i + 1], mismatch);
  }
  if (ranked(ctx, 2)) {
    const TypeInfo& tw = ctx.input(2);
    const std::string bad = cat("input ", weight_name, " ", tw.str(), " must be [C], one weight per class",
                                x_ranked ? cat(" (C = ", tx.dims[1].str(), ")") : std::string());
    if (tw.dims.size() != 1) ctx.fail(bad);
    if (x_ranked) check_dims_agree(ctx, tw.dims[0], tx.dims[1], bad);
  }
  if (x_elem == DataType::Undefined) return;
  if (a.reduction != Reduction::None) {
    ctx.set_output(0, TypeInfo::tensor(x_elem, {}));
  } else if (t_ranked || x_ranked) {
    // The loss has the target's shape: take each dim from whichever input knows it.
    const size_t rank = t_ranked ? tt.dims.size() : tx.dims.size() - 1;
    std::vector<Dim> dims(rank);
    for (size_t i = 0; i < rank; ++i) {
      const Dim from_x = x_ranked ? tx.dims[i == 0 ? 0 : i + 1] : Dim{};
      dims[i] = t_ranked ? more_specific(tt.dims[i], from_x) : from_x;
    }
    ctx.set_output(0, TypeInfo::tensor(x_elem, std::move(dims)));
  } else {
    ctx.set_output(0, TypeInfo::tensor_unranked(x_elem));
  }
  if (log_prob_output && ctx.node.outputs.size() > 1) {
    ctx.set_output(1, x_ranked ? TypeInfo::tensor(x_elem, tx.dims) : TypeInfo::tensor_unranked(x_elem));
  }
}

void compute_loss(KernelContext& ctx, const LossAttrs& a, const char* x_name, const char* target_name,
                  const char* weight_name, bool softmax_first) {
  const Tensor& x = ctx.input(0);
  const Tensor& target = ctx.input(1);
  if (!accepts(a.types, x.dtype())) {
    ctx.fail(cat("input ", x_name, " is ", x.describe(), "; ", ctx.node().op_type, "-", ctx.opset(), " takes ",
                 type_names(a.types)));
  }
  if (x.rank() < 2) ctx.fail(cat("input ", x_name, " ", x.describe(), " must be [N, C, d1, ..., dk]"));
  if (!is_index_type(target.dtype())) {
    ctx.fail(cat("input ", target_name, " is ", target.describe(), "; class targets are int32 or int64"));
  }
  bool shape_ok = target.rank() + 1 == x.rank() && target.dim(0) == x.dim(0);
  for (int64_t i = 1; shape_ok && i < target.rank(); ++i) shape_ok = target.dim(i) == x.dim(i + 1);
  if (!shape_ok) {
    ctx.fail(cat("input ", target_name, " ", target.describe(), " must be [N, d1, ..., dk] for ", x_name, " ",
                 x.describe()));
  }
  const int64_t classes = x.dim(1);
  Tensor weight;
  if (ctx.has_input(2)) {
    weight = ctx.input(2);
    if (weight.dtype() != x.dtype() || weight.rank() != 1 || weight.dim(0) != classes) {
      ctx.fail(cat("input ", weight_name, " is ", weight.describe(), "; it must be ", dtype_name(x.dtype()), "[",
                   classes, "], one weight per class of ", x_name, " ", x.describe()));
    }
  }

  kernels::NllParams p;
  p.batch = x.dim(0);
  p.classes = classes;
  for (int64_t i = 2; i < x.rank(); ++i) p.inner *= x.dim(i);
  p.has_ignore = a.has_ignore;
  p.ignore_index = a.ignore_index;

  const DataType ct = compute_type(x.dtype());
  Tensor logp = to_compute(x, ct);
  if (softmax_first) {
    Tensor scores = logp;
    logp = Tensor(ct, x.shape());
    if (ct == DataType::Float) {
      kernels::log_softmax<float>(scores.data<float>(), logp.data<float>(), p.batch, classes, p.inner);
    } else {
      kernels::log_softmax<double>(scores.data<double>(), logp.data<double>(), p.batch, classes, p.inner);
    }
    if (ctx.num_outputs() > 1 && ctx.output_wanted(1)) ctx.set_output(1, Value(from_compute(logp, x.dtype())));
  }
  if (weight.defined()) weight = to_compute(weight, ct);

  Tensor loss(ct, target.shape());
  const kernels::NllResult r = ct == DataType::Float ? run_nll<float>(p, logp, target, weight, loss)
                                                     : run_nll<double>(p, logp, target, weight, loss);
  if (r.bad_sample >= 0) {
    ctx.fail(cat("input ", target_name, " element ", r.bad_sample, " is ", target_at(target, r.bad_sample),
                 ", outside the ", classes, " classes [0, ", classes, ")",
                 a.has_ignore ? cat(" and not ignore_index ", a.ignore_index)
                              : std::string(" (no ignore_index is set)")));
  }
  if (a.reduction == Reduction::None) {
    ctx.set_output(0, Value(from_compute(loss, x.dtype())));
    return;
  }
  double total = ct == DataType::Float ? kernels::sum_f64(loss.data<float>(), loss.numel())
                                       : kernels::sum_f64(loss.data<double>(), loss.numel());
  // Mean divides by the summed weights of the counted samples (their count without weights), so
  // when every sample is ignored it is 0 / 0 = NaN, as the formula gives.
  if (a.reduction == Reduction::Mean) total /= r.weight_sum;
  Tensor out(ct, {});
  if (ct == DataType::Float) {
    out.data<float>()[0] = static_cast<float>(total);
  } else {
    out.data<double>()[0] = total;
  }
  ctx.set_output(0, Value(from_compute(out, x.dtype())));
}

}  // namespace onnxi::ops::loss
