// ops/sequence: sequence ops (SequenceConstruct ... SequenceMap, SplitToSequence,
// ConcatFromSequence) and optional ops (Optional, OptionalHasElement, OptionalGetElement).
// A sequence Value carries its element type, so an empty sequence still knows it (SequenceEmpty's
// dtype); items are tensors sharing that element type, shapes may differ.
#pragma once

#include "ops/common.h"

namespace onnxi::ops::sequence {

void register_sequence_basic(Registry& r);  // sequence_ops.cpp: Construct, Empty, At, Insert, Erase, Length
void register_split_concat(Registry& r);    // split_concat.cpp: SplitToSequence, ConcatFromSequence
void register_sequence_map(Registry& r);    // sequence_map.cpp
void register_optional(Registry& r);        // optional.cpp

inline constexpr const char* kSequenceTypes = "sequences of all tensor types";

TypeInfo sequence_type(TypeInfo elem);
TypeInfo optional_type(TypeInfo inner);
// The element type of a sequence type; Unknown when not a sequence or not known.
TypeInfo sequence_elem(const TypeInfo& t);

// Input i as a sequence; a Runtime error naming the node and input otherwise.
const Value& sequence_input(const KernelContext& ctx, size_t i);
// An optional one-element integer input (SequenceAt/Insert/Erase's position); `fallback` when absent.
int64_t position_input(const KernelContext& ctx, size_t i, int64_t fallback);

// A kernel factory for ops with nothing to prepare.
template <class Fn>
OpDef::CreateFn stateless(Fn fn) {
  return [fn](const KernelInit&) { return make_kernel(fn); };
}

}  // namespace onnxi::ops::sequence
