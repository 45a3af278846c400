#include "ops/tensor/tensor_util.h"

#include "kernels/cpu/copy.h"
#include "kernels/cpu/gather.h"
#include "kernels/cpu/transpose.h"
#include "onnxi/float_types.h"

namespace onnxi::ops::tensor {

size_t element_size(DataType t) { return static_cast<size_t>(element_bits(t) / 8); }

Tensor unpack_elements(const Tensor& t) {
  if (!is_packed(t.dtype())) return t;
  Tensor out(DataType::UInt8, t.shape());
  const int bits = element_bits(t.dtype());
  const auto* src = static_cast<const uint8_t*>(t.raw());
  for (int64_t i = 0; i < t.numel(); ++i) out.data<uint8_t>()[i] = packed_get(src, i, bits);
  return out;
}

Tensor pack_elements(const Tensor& bytes, DataType packed_type) {
  if (!is_packed(packed_type)) return bytes;
  Tensor out(packed_type, bytes.shape());
  const int bits = element_bits(packed_type);
  auto* dst = static_cast<uint8_t*>(out.raw());
  for (int64_t i = 0; i < bytes.numel(); ++i) packed_set(dst, i, bits, bytes.data<uint8_t>()[i]);
  return out;
}

Tensor strided_copy(const Tensor& src, const Shape& shape, const std::vector<int64_t>& strides, int64_t offset) {
  if (is_packed(src.dtype())) return pack_elements(strided_copy(unpack_elements(src), shape, strides, offset), src.dtype());
  Tensor out(src.dtype(), shape);
  if (out.numel() == 0) return out;
  const std::vector<int64_t> dst_strides = kernels::contiguous_strides(shape);
  if (src.dtype() == DataType::String) {
    kernels::copy_strided(src.data<std::string>() + offset, strides, out.data<std::string>(), dst_strides, shape);
  } else {
    const size_t es = element_size(src.dtype());
    kernels::copy_strided(static_cast<const unsigned char*>(src.raw()) + static_cast<size_t>(offset) * es, strides,
                          out.raw(), dst_strides, shape, es);
  }
  return out;
}

void copy_into(const Tensor& src, Tensor& dst, int64_t offset, const std::vector<int64_t>& strides) {
  if (src.numel() == 0) return;
  const std::vector<int64_t> src_strides = kernels::contiguous_strides(src.shape());
  if (src.dtype() == DataType::String) {
    kernels::copy_strided(src.data<std::string>(), src_strides, dst.data<std::string>() + offset, strides, src.shape());
  } else {
    const size_t es = element_size(src.dtype());
    kernels::copy_strided(src.raw(), src_strides, static_cast<unsigned char*>(dst.raw()) + static_cast<size_t>(offset) * es,
                          strides, src.shape(), es);
  }
}

Tensor transposed(const Tensor& src, const std::vector<int64_t>& perm) {
  if (is_packed(src.dtype())) return pack_elements(transposed(unpack_elements(src), perm), src.dtype());
  Shape out_shape(perm.size());
  for (size_t k = 0; k < perm.size(); ++k) out_shape[k] = src.shape()[static_cast<size_t>(perm[k])];
  Tensor out(src.dtype(), out_shape);
  if (out.numel() == 0) return out;
  if (src.dtype() == DataType::String) {
    kernels::transpose(src.data<std::string>(), out.data<std::string>(), src.shape(), perm);
  } else {
    kernels::transpose(src.raw(), out.raw(), element_size(src.dtype()), src.shape(), perm);
  }
  return out;
}

Tensor gather_blocks(const Tensor& src, const std::vector<int64_t>& offsets, int64_t block, Shape out_shape) {
  Tensor out(src.dtype(), std::move(out_shape));
  const auto count = static_cast<int64_t>(offsets.size());
  if (src.dtype() == DataType::String) {
    kernels::gather_blocks(src.data<std::string>(), offsets.data(), count, block, out.data<std::string>());
  } else {
    kernels::gather_blocks(src.raw(), offsets.data(), count, block, out.raw(), element_size(src.dtype()));
  }
  return out;
}

int64_t checked_index(const KernelContext& ctx, int64_t index, int64_t dim, const char* what) {
  if (index < -dim || index >= dim) {
    ctx.fail(cat(what, " ", index, " is out of range for a dimension of size ", dim, "; use values in [", -dim, ", ",
                 dim - 1, "]"));
  }
  return index < 0 ? index + dim : index;
}

const std::vector<Dim>* known_dims(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return nullptr;
  const TypeInfo& t = ctx.input(i);
  return t.is_tensor() && t.has_shape ? &t.dims : nullptr;
}

DataType input_elem(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return DataType::Undefined;
  const TypeInfo& t = ctx.input(i);
  return t.is_tensor() ? t.elem : DataType::Undefined;
}

std::optional<std::vector<int64_t>> constant_ints(const InferContext& ctx, size_t i) {
  const Tensor* t = ctx.constant(i);
  if (t == nullptr || !(is_integer(t->dtype()) || t->dtype() == DataType::Bool)) return std::nullopt;
  return t->to_int64_vector();
}

Dim fresh(const InferContext& ctx, const std::string& hint) { return ctx.make_symbol ? ctx.fresh_dim(hint) : Dim{}; }

TypeInfo fresh_tensor(const InferContext& ctx, DataType elem, int64_t rank, const std::string& hint) {
  std::vector<Dim> dims;
  for (int64_t k = 0; k < rank; ++k) dims.push_back(ctx.make_symbol ? ctx.fresh_dim(hint) : Dim{});
  return TypeInfo::tensor(elem, std::move(dims));
}

namespace {

class FoldContext final : public KernelContext {
 public:
  FoldContext(const InferContext& ictx, std::vector<Value> inputs)
      : ictx_(ictx), inputs_(std::move(inputs)), outputs_(ictx.node.outputs.size()) {}
  const Node& node() const noexcept override { return ictx_.node; }
  int64_t opset() const noexcept override { return ictx_.opset; }
  size_t num_inputs() const noexcept override { return inputs_.size(); }
  size_t num_outputs() const noexcept override { return outputs_.size(); }
  const Value& input_value(size_t i) const override {
    static const Value kNone;
    return i < inputs_.size() ? inputs_[i] : kNone;
  }
  bool output_wanted(size_t i) const noexcept override { return i < outputs_.size(); }
  void set_output(size_t i, Value v) override { output_value(i) = std::move(v); }
  Value& output_value(size_t i) override {
    if (i >= outputs_.size()) fail(cat("has no output ", i));
    return outputs_[i];
  }
  std::vector<Value> run_subgraph(const CompiledGraph&, std::vector<Value>) override {
    fail("cannot run a subgraph while folding constants");
  }
  void check_cancelled() const override {}
  std::vector<Value>& outputs() { return outputs_; }

 private:
  const InferContext& ictx_;
  std::vector<Value> inputs_;
  std::vector<Value> outputs_;
};

}  // namespace

bool fold_constants(InferContext& ctx, const std::function<void(KernelContext&)>& fn, int64_t max_elements) {
  std::vector<Value> inputs(ctx.num_inputs());
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    const Tensor* t = ctx.constant(i);
    if (t == nullptr || t->numel() > max_elements) return false;
    inputs[i] = Value(*t);
  }
  FoldContext fc(ctx, std::move(inputs));
  try {
    fn(fc);
  } catch (const std::exception&) {
    return false;  // a definite error surfaces again at run time, with run-time context
  }
  for (const Value& v : fc.outputs()) {
    if (v.is_tensor() && v.tensor().numel() > max_elements) return false;
  }
  ctx.output_constants.resize(fc.outputs().size());
  for (size_t i = 0; i < fc.outputs().size(); ++i) {
    const Value& v = fc.outputs()[i];
    if (!v.is_tensor()) continue;
    ctx.output_constants[i] = v.tensor();
    ctx.set_output(i, TypeInfo::tensor_of_shape(v.tensor().dtype(), v.tensor().shape()));
  }
  return true;
}

std::vector<Dim> known(const Shape& shape) {
  std::vector<Dim> dims;
  dims.reserve(shape.size());
  for (int64_t d : shape) dims.push_back(Dim::known(d));
  return dims;
}

}  // namespace onnxi::ops::tensor
