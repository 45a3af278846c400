// The basic sequence ops: SequenceConstruct, SequenceEmpty, SequenceAt, SequenceInsert,
// SequenceErase, SequenceLength (all opset 11). Positions may be negative (counted from the back).
#include "ops/control/control.h"
#include "ops/sequence/sequence.h"

namespace onnxi::ops::sequence {

TypeInfo sequence_type(TypeInfo elem) {
  TypeInfo t;
  t.kind = TypeInfo::Kind::Sequence;
  t.inner = std::make_shared<TypeInfo>(std::move(elem));
  return t;
}

TypeInfo optional_type(TypeInfo inner) {
  TypeInfo t;
  t.kind = TypeInfo::Kind::Optional;
  t.inner = std::make_shared<TypeInfo>(std::move(inner));
  return t;
}

TypeInfo sequence_elem(const TypeInfo& t) {
  return t.kind == TypeInfo::Kind::Sequence && t.inner ? *t.inner : TypeInfo{};
}

const Value& sequence_input(const KernelContext& ctx, size_t i) {
  const Value& v = ctx.input_value(i);
  if (!v.is_sequence()) {
    ctx.fail(cat("input ", i, i < ctx.node().inputs.size() ? cat(" ('", ctx.node().inputs[i], "')") : std::string(),
                 " must be a sequence, got ", v.describe()));
  }
  return v;
}

int64_t position_input(const KernelContext& ctx, size_t i, int64_t fallback) {
  if (!ctx.has_input(i)) return fallback;
  const Tensor& t = ctx.input(i);
  if (t.numel() != 1 || (t.dtype() != DataType::Int32 && t.dtype() != DataType::Int64)) {
    ctx.fail(cat("the position (input ", i, ") must be a one-element int32 or int64 tensor, got ", t.describe()));
  }
  return t.to_int64_vector()[0];
}

namespace {

// The element type every item of a sequence must have; Undefined when nothing fixes it yet.
DataType check_item(const KernelContext& ctx, DataType elem, const Value& item, const std::string& what) {
  if (!item.is_tensor()) ctx.fail(cat(what, " must be a tensor, got ", item.describe()));
  const DataType dt = item.tensor().dtype();
  if (elem != DataType::Undefined && dt != elem) {
    ctx.fail(cat(what, " is ", item.describe(), " but the sequence holds ", dtype_name(elem),
                 " tensors; all items of a sequence share one element type"));
  }
  return dt;
}

// ---- SequenceConstruct / SequenceEmpty -----------------------------------------------------------

void infer_construct(InferContext& ctx) {
  TypeInfo elem;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const TypeInfo& t = ctx.input(i);
    if (t.kind != TypeInfo::Kind::Unknown && !t.is_tensor()) ctx.fail(cat("input ", i, " must be a tensor, got ", t.str()));
    if (t.is_tensor() && elem.is_tensor() && elem.elem != DataType::Undefined && t.elem != DataType::Undefined &&
        t.elem != elem.elem) {
      ctx.fail(cat("input ", i, " is ", t.str(), " but input 0 is ", elem.str(), "; sequence items share one element type"));
    }
    elem = i == 0 ? t : control::merge_types(elem, t);
  }
  ctx.set_output(0, sequence_type(std::move(elem)));
}

void run_construct(KernelContext& ctx) {
  ONNXI_CHECK(ctx.num_inputs() > 0, ErrorCode::Runtime, ctx.node().label(), ": needs at least one input");
  std::vector<Value> items;
  DataType elem = DataType::Undefined;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    elem = check_item(ctx, elem, ctx.input_value(i), cat("input ", i));
    items.push_back(ctx.input_value(i));
  }
  ctx.set_output(0, Value::sequence(elem, std::move(items)));
}

DataType empty_dtype(const Node& node) {
  const int64_t code = node.attr_int("dtype", static_cast<int64_t>(DataType::Float));
  ONNXI_CHECK(code > 0 && is_valid_dtype(static_cast<int32_t>(code)), ErrorCode::InvalidModel, node.label(),
              ": 'dtype' ", code, " is not an ONNX element type");
  return static_cast<DataType>(code);
}

void infer_empty(InferContext& ctx) {
  ctx.set_output(0, sequence_type(TypeInfo::tensor_unranked(empty_dtype(ctx.node))));
}

std::unique_ptr<Kernel> create_empty(const KernelInit& init) {
  const DataType dt = empty_dtype(init.node);
  return make_kernel([dt](KernelContext& ctx) { ctx.set_output(0, Value::sequence(dt, {})); });
}

// ---- SequenceAt / SequenceInsert / SequenceErase / SequenceLength -----------------------------------

void infer_at(InferContext& ctx) { ctx.set_output(0, sequence_elem(ctx.input(0))); }

void run_at(KernelContext& ctx) {
  const std::vector<Value>& items = sequence_input(ctx, 0).items();
  const auto n = static_cast<int64_t>(items.size());
  const int64_t pos = position_input(ctx, 1, 0);
  if (pos < -n || pos >= n) {
    ctx.fail(cat("position ", pos, " is out of range for a sequence of ", n, " items; use a value in [", -n, ", ", n - 1, "]"));
  }
  ctx.set_output(0, items[static_cast<size_t>(pos < 0 ? pos + n : pos)]);
}

void infer_insert(InferContext& ctx) {
  TypeInfo elem = sequence_elem(ctx.input(0));
  const TypeInfo& item = ctx.input(1);
  if (elem.is_tensor() && item.is_tensor() && elem.elem != DataType::Undefined && item.elem != DataType::Undefined &&
      elem.elem != item.elem) {
    ctx.fail(cat("the tensor (input 1) is ", item.str(), " but the sequence holds ", elem.str(),
                 "; insert a tensor of the sequence's element type"));
  }
  ctx.set_output(0, sequence_type(control::merge_types(elem, item)));
}

void run_insert(KernelContext& ctx) {
  const Value& seq = sequence_input(ctx, 0);
  const std::vector<Value>& items = seq.items();
  const auto n = static_cast<int64_t>(items.size());
  const DataType elem = check_item(ctx, seq.sequence_elem_type(), ctx.input_value(1), "the tensor (input 1)");
  int64_t pos = position_input(ctx, 2, n);
  if (pos < -n || pos > n) {
    ctx.fail(cat("position ", pos, " is out of range for inserting into a sequence of ", n, " items; use a value in [", -n,
                 ", ", n, "]"));
  }
  if (pos < 0) pos += n;
  std::vector<Value> out;
  out.reserve(items.size() + 1);
  out.insert(out.end(), items.begin(), items.begin() + pos);
  out.push_back(ctx.input_value(1));
  out.insert(out.end(), items.begin() + pos, items.end());
  ctx.set_output(0, Value::sequence(elem, std::move(out)));
}

void run_erase(KernelContext& ctx) {
  const Value& seq = sequence_input(ctx, 0);
  const std::vector<Value>& items = seq.items();
  const auto n = static_cast<int64_t>(items.size());
  int64_t pos = position_input(ctx, 1, -1);
  if (pos < -n || pos >= n) {
    ctx.fail(cat("position ", pos, " is out of range for erasing from a sequence of ", n, " items",
                 n == 0 ? "; the sequence is empty" : cat("; use a value in [", -n, ", ", n - 1, "]")));
  }
  if (pos < 0) pos += n;
  std::vector<Value> out = items;
  out.erase(out.begin() + pos);
  ctx.set_output(0, Value::sequence(seq.sequence_elem_type(), std::move(out)));
}

void infer_length(InferContext& ctx) { ctx.set_output(0, TypeInfo::tensor(DataType::Int64, {})); }

void run_length(KernelContext& ctx) {
  ctx.set_output(0, Value(Tensor::scalar_i64(static_cast<int64_t>(sequence_input(ctx, 0).items().size()))));
}

}  // namespace

void register_sequence_basic(Registry& r) {
  r.add({"", "SequenceConstruct", 11, kLatestOpset, infer_construct, stateless(run_construct), kSequenceTypes});
  r.add({"", "SequenceEmpty", 11, kLatestOpset, infer_empty, create_empty, kSequenceTypes});
  r.add({"", "SequenceAt", 11, kLatestOpset, infer_at, stateless(run_at), kSequenceTypes});
  r.add({"", "SequenceInsert", 11, kLatestOpset, infer_insert, stateless(run_insert), kSequenceTypes});
  r.add({"", "SequenceErase", 11, kLatestOpset, [](InferContext& ctx) { infer_same_as_input(ctx); }, stateless(run_erase),
         kSequenceTypes});
  r.add({"", "SequenceLength", 11, kLatestOpset, infer_length, stateless(run_length), kSequenceTypes});
}

}  // namespace onnxi::ops::sequence
