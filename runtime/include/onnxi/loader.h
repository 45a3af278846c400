// Model and tensor loading: ONNX protobuf bytes -> onnxi IR. The only place protobuf types appear.
#pragma once

#include <cstdint>
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

// IR -> ONNX (runtime/loader/saver.cpp): what `onnxi optimize` writes. Graph attributes, all
// attribute kinds, value infos, metadata and local functions are kept; nodes in com.onnxi (the
// passes' fused ops) get that opset import.
struct SaveOptions {
  // Initializers totalling at least this many bytes go to "<file name>.data" next to the model
  // (protobuf files cannot pass 2 GiB); tests lower it to exercise the path.
  uint64_t external_data_over = uint64_t{2} << 30;
  size_t external_min_tensor_bytes = 1024;  // smaller ones stay inline even then
};
void save_model_file(const Model& model, const std::string& path, const SaveOptions& options = {});
// The serialized ModelProto, every initializer inline (an error from 2 GiB of them).
std::string save_model_bytes(const Model& model);

// Reads a whole file; an Io error naming the path when it cannot.
std::string read_file_bytes(const std::string& path);

}  // namespace onnxi
