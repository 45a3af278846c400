// ops/cast: Cast and CastLike. register.cpp calls one function per op file.
#pragma once

#include "onnxi/registry.h"
#include "ops/cast/convert.h"

namespace onnxi::ops {

void register_cast_op(Registry& r);       // cast.cpp
void register_castlike_op(Registry& r);   // castlike.cpp

// Reads `saturate` (opset 19+) and `round_mode` (opset 24+); InvalidModel naming the node for an
// unknown round_mode.
CastOptions read_cast_options(const Node& node, int64_t opset);

// Casts `in` into `out` (allocated with the target type and in's shape), strings included.
// A string that is not a number is a Runtime error naming the node and the element.
void cast_tensor(const Tensor& in, Tensor& out, const CastOptions& options, const Node& node);

// Shape inference shared by both ops: output 0 has input 0's shape and element type `to`
// (Undefined when not known at load).
void infer_cast_output(InferContext& ctx, DataType to);

}  // namespace onnxi::ops
