// onnxi IR -> ModelProto, the reverse of loader.cpp, for `onnxi optimize`. Internal to
// runtime/loader; the public entry points are save_model_file / save_model_bytes in onnxi/loader.h.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include "onnx/onnx-ml.pb.h"
#include "onnxi/ir.h"

namespace onnxi::loader {

// Where initializers go when the model is too big for one protobuf: appended to one file next to
// the model, each at a 64-byte aligned offset (so the loader can map it without copying).
class ExternalWriter {
 public:
  ExternalWriter(std::string dir, std::string file_name) : dir_(std::move(dir)), file_name_(std::move(file_name)) {}
  void write(const Tensor& t, onnx::TensorProto* proto);
  uint64_t bytes_written() const noexcept { return offset_; }

 private:
  std::string dir_;
  std::string file_name_;
  std::ofstream out_;
  uint64_t offset_ = 0;
};

// `external` null: every initializer inline. Otherwise initializers of at least
// `external_min_bytes` go to the external file.
void model_to_proto(const Model& m, onnx::ModelProto* proto, ExternalWriter* external, size_t external_min_bytes);

}  // namespace onnxi::loader
