// Helpers shared by If, Loop and Scan: inference over declared subgraph types, and assembling
// per-iteration values into the ops' outputs.
#include "kernels/cpu/copy.h"
#include "ops/control/control.h"
#include "ops/tensor/tensor_util.h"

namespace onnxi::ops::control {

TypeInfo declared_output(const Graph& g, size_t i) { return i < g.outputs.size() ? g.outputs[i].type : TypeInfo{}; }

const Graph& required_graph(const Node& node, const std::string& attr) {
  std::shared_ptr<Graph> g = node.attr_graph(attr);
  ONNXI_CHECK(g, ErrorCode::InvalidModel, node.label(), ": the graph attribute '", attr, "' is required");
  return *g;
}

TypeInfo merge_types(const TypeInfo& a, const TypeInfo& b) {
  if (a.kind == TypeInfo::Kind::Unknown) return b;
  if (b.kind == TypeInfo::Kind::Unknown) return a;
  if (a.kind != b.kind) return TypeInfo{};
  TypeInfo out = a;
  if (a.kind == TypeInfo::Kind::Sequence || a.kind == TypeInfo::Kind::Optional) {
    if (a.inner && b.inner) out.inner = std::make_shared<TypeInfo>(merge_types(*a.inner, *b.inner));
    else out.inner = nullptr;
    return out;
  }
  if (a.elem != b.elem) out.elem = DataType::Undefined;
  if (!a.has_shape || !b.has_shape || a.dims.size() != b.dims.size()) {
    out.has_shape = false;
    out.dims.clear();
    return out;
  }
  for (size_t k = 0; k < out.dims.size(); ++k) {
    if (!(a.dims[k] == b.dims[k])) out.dims[k] = Dim{};
  }
  return out;
}

namespace {

// Keeps the kind and element types, drops every shape (recursively through sequences/optionals).
TypeInfo without_shape(const TypeInfo& t) {
  TypeInfo out = t;
  out.has_shape = false;
  out.dims.clear();
  if (t.inner) out.inner = std::make_shared<TypeInfo>(without_shape(*t.inner));
  return out;
}

}  // namespace

TypeInfo carried_type(const TypeInfo& body_declared, const TypeInfo& initial) {
  if (body_declared.kind != TypeInfo::Kind::Unknown) return body_declared;
  return without_shape(initial);
}

TypeInfo with_new_axis(const TypeInfo& per_iteration, size_t axis, Dim count) {
  if (!per_iteration.is_tensor()) return TypeInfo{};
  if (!per_iteration.has_shape) return TypeInfo::tensor_unranked(per_iteration.elem);
  std::vector<Dim> dims = per_iteration.dims;
  dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(std::min(axis, dims.size())), std::move(count));
  return TypeInfo::tensor(per_iteration.elem, std::move(dims));
}

Tensor bool_scalar(bool v) {
  Tensor t(DataType::Bool, {});
  t.data<bool>()[0] = v;
  return t;
}

bool read_condition(const Value& v, const Node& node, const std::string& what) {
  ONNXI_CHECK(v.is_tensor(), ErrorCode::Runtime, node.label(), ": ", what, " must be a one-element bool tensor, got ",
              v.describe());
  const Tensor& t = v.tensor();
  ONNXI_CHECK(t.numel() == 1 && t.dtype() != DataType::String, ErrorCode::Runtime, node.label(), ": ", what,
              " must be a one-element bool tensor, got ", t.describe());
  if (t.dtype() == DataType::Bool) return t.data<bool>()[0];
  return t.element_as_double(0) != 0.0;
}

BlockSpec block_spec(const std::vector<Tensor>& blocks, const TypeInfo& declared) {
  for (const Tensor& b : blocks) {
    if (b.defined()) return {b.dtype(), b.shape()};
  }
  BlockSpec spec;
  spec.dtype = declared.is_tensor() && declared.elem != DataType::Undefined ? declared.elem : DataType::Float;
  if (declared.is_tensor() && declared.has_shape) {
    for (const Dim& d : declared.dims) spec.shape.push_back(d.is_known() ? d.value : 0);
  }
  return spec;
}

Tensor place_blocks(const std::vector<Tensor>& blocks, const Shape& lead, const BlockSpec& spec, const Node& node,
                    const std::string& what) {
  Shape out_shape = lead;
  out_shape.insert(out_shape.end(), spec.shape.begin(), spec.shape.end());
  const bool packed = is_packed(spec.dtype);
  Tensor out(packed ? DataType::UInt8 : spec.dtype, out_shape);
  const int64_t block_elems = shape_numel(spec.shape, what);
  const std::vector<int64_t> strides = kernels::contiguous_strides(spec.shape);
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Tensor& b = blocks[i];
    if (!b.defined()) continue;
    if (b.dtype() != spec.dtype || b.shape() != spec.shape) {
      fail(ErrorCode::Runtime,
           cat(node.label(), ": ", what, ": step ", i, " produced ", b.describe(), " but an earlier one produced ",
               Tensor(spec.dtype, spec.shape).describe(), "; every iteration must produce the same element type and shape"));
    }
    tensor::copy_into(packed ? tensor::unpack_elements(b) : b, out, static_cast<int64_t>(i) * block_elems, strides);
  }
  return packed ? tensor::pack_elements(out, spec.dtype) : out;
}

Value stack_iterations(const std::vector<Value>& items, const TypeInfo& declared, const Node& node,
                       const std::string& what) {
  const bool as_sequence = items.empty() ? declared.kind == TypeInfo::Kind::Sequence : items[0].is_sequence();
  if (as_sequence) {
    std::vector<Value> joined;
    DataType elem = declared.inner && declared.inner->is_tensor() ? declared.inner->elem : DataType::Undefined;
    for (size_t i = 0; i < items.size(); ++i) {
      ONNXI_CHECK(items[i].is_sequence(), ErrorCode::Runtime, node.label(), ": ", what, ": iteration ", i, " produced ",
                  items[i].describe(), " but the first iteration produced a sequence");
      if (items[i].sequence_elem_type() != DataType::Undefined) elem = items[i].sequence_elem_type();
      for (const Value& v : items[i].items()) joined.push_back(v);
    }
    return Value::sequence(elem, std::move(joined));
  }
  std::vector<Tensor> blocks;
  blocks.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    ONNXI_CHECK(items[i].is_tensor(), ErrorCode::Runtime, node.label(), ": ", what, ": iteration ", i, " produced ",
                items[i].describe(), "; scan outputs must be tensors (or sequences)");
    blocks.push_back(items[i].tensor());
  }
  const BlockSpec spec = block_spec(blocks, declared);
  return Value(place_blocks(blocks, {static_cast<int64_t>(items.size())}, spec, node, what));
}

Tensor slice_at(const Tensor& t, int64_t axis, int64_t index) {
  const std::vector<int64_t> strides = kernels::contiguous_strides(t.shape());
  Shape shape = t.shape();
  if (axis == 0 && !is_packed(t.dtype()) && t.dtype() != DataType::String) {
    // A leading-axis slice is contiguous: alias it instead of copying (long Scans slice every step),
    // when it keeps the buffer alignment kernels may rely on.
    const size_t offset = static_cast<size_t>(index * strides[0]) * (static_cast<size_t>(element_bits(t.dtype())) / 8);
    if (offset % kTensorAlignment == 0) {
      shape.erase(shape.begin());
      auto owner = std::make_shared<const Tensor>(t);
      return Tensor::wrap(t.dtype(), shape, owner, static_cast<const unsigned char*>(t.raw()) + offset);
    }
  }
  std::vector<int64_t> view_strides = strides;
  shape.erase(shape.begin() + axis);
  view_strides.erase(view_strides.begin() + axis);
  return tensor::strided_copy(t, shape, view_strides, index * strides[static_cast<size_t>(axis)]);
}

Tensor move_leading_axis(const Tensor& t, int64_t axis) {
  if (axis == 0) return t;
  std::vector<int64_t> perm;
  for (int64_t k = 1; k <= axis; ++k) perm.push_back(k);
  perm.push_back(0);
  for (int64_t k = axis + 1; k < t.rank(); ++k) perm.push_back(k);
  return tensor::transposed(t, perm);
}

}  // namespace onnxi::ops::control
