// Model and tensor loading: ONNX protobuf bytes -> onnxi IR. The only place protobuf types appear.
#pragma once

#include <string>

#include "onnxi/ir.h"
#include "onnxi/value.h"

namespace onnxi {

// Reads a .onnx file; external data is resolved relative to the file's folder and memory-mapped.
Model load_model_file(const std::string& path);
// Parses model bytes; `base_dir` ("" forbids external data) resolves external-data locations.
Model load_model_bytes(const void* data, size_t size, const std::string& base_dir = {});

// A serialized TensorProto (the test-data .pb files).
Tensor load_tensor_proto(const void* data, size_t size, const std::string& what = "tensor");
// A .pb test-data file holding a TensorProto, SequenceProto, OptionalProto or MapProto; `expected`
// (the graph input/output type) says which. Null or Unknown means TensorProto.
Value load_value_file(const std::string& path, const TypeInfo* expected);
// Serializes a tensor as a TensorProto file (raw_data, or string_data for strings).
void save_tensor_proto_file(const Tensor& t, const std::string& name, const std::string& path);

// Reads a whole file; an Io error naming the path when it cannot.
std::string read_file_bytes(const std::string& path);

}  // namespace onnxi
