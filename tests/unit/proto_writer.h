// A minimal protobuf wire-format writer for building ONNX models byte by byte in tests, including
// malformed ones that no well-behaved library would write. Field numbers are onnx-ml.proto's.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace onnxi::test {

class Proto {
 public:
  Proto& varint(int field, uint64_t v) {
    key(field, 0);
    put_varint(v);
    return *this;
  }
  Proto& bytes(int field, const std::string& s) {
    key(field, 2);
    put_varint(s.size());
    buf_ += s;
    return *this;
  }
  Proto& msg(int field, const Proto& p) { return bytes(field, p.str()); }
  Proto& f32(int field, float v) {
    key(field, 5);
    char b[4];
    std::memcpy(b, &v, 4);
    buf_.append(b, 4);
    return *this;
  }
  const std::string& str() const { return buf_; }

 private:
  void key(int field, int wire) { put_varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire)); }
  void put_varint(uint64_t v) {
    while (v >= 0x80) {
      buf_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    buf_.push_back(static_cast<char>(v));
  }
  std::string buf_;
};

// onnx-ml.proto field numbers used by the tests.
namespace pb {
// ModelProto
inline constexpr int kModelIrVersion = 1, kModelOpsetImport = 8, kModelGraph = 7, kModelFunctions = 25;
// OperatorSetIdProto
inline constexpr int kOpsetDomain = 1, kOpsetVersion = 2;
// GraphProto
inline constexpr int kGraphNode = 1, kGraphName = 2, kGraphInitializer = 5, kGraphInput = 11, kGraphOutput = 12,
                     kGraphSparseInitializer = 15;
// NodeProto
inline constexpr int kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4, kNodeAttribute = 5, kNodeDomain = 7;
// AttributeProto
inline constexpr int kAttrName = 1, kAttrF = 2, kAttrI = 3, kAttrS = 4, kAttrG = 6, kAttrType = 20,
                     kAttrRefAttrName = 21;
// TensorProto
inline constexpr int kTensorDims = 1, kTensorDataType = 2, kTensorFloatData = 4, kTensorInt32Data = 5,
                     kTensorStringData = 6, kTensorInt64Data = 7, kTensorName = 8, kTensorRawData = 9,
                     kTensorExternalData = 13, kTensorDataLocation = 14;
// SparseTensorProto
inline constexpr int kSparseValues = 1, kSparseIndices = 2, kSparseDims = 3;
// ValueInfoProto / TypeProto / TypeProto.Tensor / TensorShapeProto / Dimension
inline constexpr int kValueInfoName = 1, kValueInfoType = 2, kTypeTensor = 1, kTensorElemType = 1, kTensorShape = 2,
                     kShapeDim = 1, kDimValue = 1, kDimParam = 2;
// FunctionProto
inline constexpr int kFuncName = 1, kFuncInput = 4, kFuncOutput = 5, kFuncAttribute = 6, kFuncNode = 7,
                     kFuncOpsetImport = 9, kFuncDomain = 10, kFuncAttributeProto = 11;
}  // namespace pb

inline Proto opset(const std::string& domain, int64_t version) {
  return Proto().bytes(pb::kOpsetDomain, domain).varint(pb::kOpsetVersion, static_cast<uint64_t>(version));
}

// A float tensor ValueInfo; dims < 0 become symbolic "N".
inline Proto value_info(const std::string& name, int elem_type, const std::vector<int64_t>& dims) {
  Proto shape;
  for (int64_t d : dims) {
    shape.msg(pb::kShapeDim, d >= 0 ? Proto().varint(pb::kDimValue, static_cast<uint64_t>(d)) : Proto().bytes(pb::kDimParam, "N"));
  }
  Proto tensor = Proto().varint(pb::kTensorElemType, static_cast<uint64_t>(elem_type)).msg(pb::kTensorShape, shape);
  return Proto().bytes(pb::kValueInfoName, name).msg(pb::kValueInfoType, Proto().msg(pb::kTypeTensor, tensor));
}

inline Proto node(const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out,
                  const std::string& name = "", const std::string& domain = "") {
  Proto n;
  for (const auto& s : in) n.bytes(pb::kNodeInput, s);
  for (const auto& s : out) n.bytes(pb::kNodeOutput, s);
  if (!name.empty()) n.bytes(pb::kNodeName, name);
  n.bytes(pb::kNodeOpType, op);
  if (!domain.empty()) n.bytes(pb::kNodeDomain, domain);
  return n;
}

inline Proto float_tensor(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values) {
  Proto t;
  for (int64_t d : dims) t.varint(pb::kTensorDims, static_cast<uint64_t>(d));
  t.varint(pb::kTensorDataType, 1).bytes(pb::kTensorName, name);
  std::string raw(values.size() * 4, '\0');
  std::memcpy(raw.data(), values.data(), raw.size());
  t.bytes(pb::kTensorRawData, raw);
  return t;
}

inline std::string model_bytes(const Proto& graph, const std::vector<Proto>& opsets = {opset("", 17)},
                               const std::vector<Proto>& functions = {}) {
  Proto m;
  m.varint(pb::kModelIrVersion, 9);
  for (const auto& o : opsets) m.msg(pb::kModelOpsetImport, o);
  m.msg(pb::kModelGraph, graph);
  for (const auto& f : functions) m.msg(pb::kModelFunctions, f);
  return m.str();
}

}  // namespace onnxi::test
