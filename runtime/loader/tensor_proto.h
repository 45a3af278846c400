// TensorProto / TypeProto conversion shared by the model loader and the test-data reader.
// Internal to runtime/loader: protobuf types do not leave this folder.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "onnx/onnx-ml.pb.h"
#include "onnxi/ir.h"

namespace onnxi::loader {

// Memory-maps external-data files once per load and hands out checked views.
class ExternalData {
 public:
  explicit ExternalData(std::string base_dir) : base_dir_(std::move(base_dir)) {}
  // Resolves a tensor's external_data entries; the result aliases the mapping when aligned.
  Tensor load(const onnx::TensorProto& proto, DataType dtype, const Shape& shape, const std::string& what);

 private:
  struct Mapping;
  std::shared_ptr<Mapping> map_file(const std::string& location, const std::string& what);
  std::string base_dir_;
  std::map<std::string, std::shared_ptr<Mapping>> files_;
};

Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& what, ExternalData* external);
// The same, but a large raw_data moves into the tensor instead of being copied (proto loses it).
Tensor tensor_from_proto_adopting(onnx::TensorProto& proto, const std::string& what, ExternalData* external);
// An initializer whose raw_data the loader split off (raw_data_split.h): `raw` holds its bytes,
// which a well-formed tensor copies into a 64-byte aligned buffer of its own (`copy`, when given,
// is that copy, made ahead by copy_split_payload); anything else gets its raw_data back and takes
// tensor_from_proto_adopting's path, errors included.
Tensor tensor_from_split_proto(onnx::TensorProto& proto, const void* raw, size_t raw_bytes, const std::string& what,
                               ExternalData* external, std::shared_ptr<const void> copy = nullptr);
// The copy tensor_from_split_proto would make, or null where it would not (never throws an
// onnxi::Error: those come from tensor_from_split_proto, in initializer order). Thread-safe.
std::shared_ptr<const void> copy_split_payload(const onnx::TensorProto& proto, const void* raw, size_t raw_bytes);
Tensor tensor_from_sparse_proto(const onnx::SparseTensorProto& proto, const std::string& what,
                                ExternalData* external);
TypeInfo type_from_proto(const onnx::TypeProto& proto);
void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* proto);

}  // namespace onnxi::loader
