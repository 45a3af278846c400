#include "runtime/loader/saver.h"

#include <cstring>
#include <filesystem>

#include "onnxi/error.h"
#include "onnxi/loader.h"
#include "runtime/loader/tensor_proto.h"

namespace onnxi {
namespace loader {
namespace {

constexpr const char* kOnnxiDomain = "com.onnxi";  // the fused nodes of runtime/passes
constexpr uint64_t kProtobufLimit = uint64_t{2} << 30;

void type_to_proto(const TypeInfo& t, onnx::TypeProto* proto) {
  auto write_shape = [&](onnx::TensorShapeProto* shape) {
    for (const Dim& d : t.dims) {
      auto* dim = shape->add_dim();
      if (d.is_known()) dim->set_dim_value(d.value);
      else if (!d.param.empty()) dim->set_dim_param(d.param);
    }
  };
  switch (t.kind) {
    case TypeInfo::Kind::Tensor: {
      auto* tt = proto->mutable_tensor_type();
      tt->set_elem_type(static_cast<int32_t>(t.elem));
      if (t.has_shape) write_shape(tt->mutable_shape());
      break;
    }
    case TypeInfo::Kind::SparseTensor: {
      auto* tt = proto->mutable_sparse_tensor_type();
      tt->set_elem_type(static_cast<int32_t>(t.elem));
      if (t.has_shape) write_shape(tt->mutable_shape());
      break;
    }
    case TypeInfo::Kind::Sequence: {
      auto* st = proto->mutable_sequence_type();
      if (t.inner) type_to_proto(*t.inner, st->mutable_elem_type());
      break;
    }
    case TypeInfo::Kind::Optional: {
      auto* ot = proto->mutable_optional_type();
      if (t.inner) type_to_proto(*t.inner, ot->mutable_elem_type());
      break;
    }
    case TypeInfo::Kind::Map: {
      auto* mt = proto->mutable_map_type();
      mt->set_key_type(static_cast<int32_t>(t.elem));
      if (t.inner) type_to_proto(*t.inner, mt->mutable_value_type());
      break;
    }
    default:
      break;  // Unknown: no type field, as exporters leave it
  }
}

// The loader densifies sparse tensors; saving one again lists its nonzeros with linear indices.
void sparse_to_proto(const Tensor& dense, onnx::SparseTensorProto* proto) {
  ONNXI_CHECK(dense.dtype() != DataType::String && !is_packed(dense.dtype()), ErrorCode::NotImplemented,
              "saving a sparse tensor of ", dtype_name(dense.dtype()), " is not supported");
  for (int64_t d : dense.shape()) proto->add_dims(d);
  const size_t width = static_cast<size_t>(element_bits(dense.dtype()) / 8);
  const auto* bytes = static_cast<const uint8_t*>(dense.raw());
  std::vector<int64_t> nonzero;
  const std::vector<uint8_t> zero(width, 0);
  for (int64_t i = 0; i < dense.numel(); ++i) {
    if (std::memcmp(bytes + static_cast<size_t>(i) * width, zero.data(), width) != 0) nonzero.push_back(i);
  }
  Tensor values(dense.dtype(), {static_cast<int64_t>(nonzero.size())});
  for (size_t k = 0; k < nonzero.size(); ++k) {
    std::memcpy(static_cast<uint8_t*>(values.raw()) + k * width, bytes + static_cast<size_t>(nonzero[k]) * width, width);
  }
  tensor_to_proto(values, "", proto->mutable_values());
  tensor_to_proto(Tensor::from_vector(nonzero, {static_cast<int64_t>(nonzero.size())}), "", proto->mutable_indices());
}

void graph_to_proto(const Graph& g, onnx::GraphProto* proto, ExternalWriter* external, size_t external_min_bytes);

void attribute_to_proto(const Attribute& a, onnx::AttributeProto* proto) {
  proto->set_name(a.name);
  proto->set_type(static_cast<onnx::AttributeProto::AttributeType>(a.type));
  if (!a.ref_attr_name.empty()) {
    proto->set_ref_attr_name(a.ref_attr_name);
    return;
  }
  switch (a.type) {
    case Attribute::Type::Float: proto->set_f(a.f); break;
    case Attribute::Type::Int: proto->set_i(a.i); break;
    case Attribute::Type::String: proto->set_s(a.s); break;
    case Attribute::Type::Tensor: tensor_to_proto(a.t, "", proto->mutable_t()); break;
    case Attribute::Type::SparseTensor: sparse_to_proto(a.t, proto->mutable_sparse_tensor()); break;
    case Attribute::Type::Graph:
      if (a.g) graph_to_proto(*a.g, proto->mutable_g(), nullptr, 0);
      break;
    case Attribute::Type::TypeProto: type_to_proto(a.tp, proto->mutable_tp()); break;
    case Attribute::Type::Floats:
      for (float f : a.floats) proto->add_floats(f);
      break;
    case Attribute::Type::Ints:
      for (int64_t i : a.ints) proto->add_ints(i);
      break;
    case Attribute::Type::Strings:
      for (const auto& s : a.strings) proto->add_strings(s);
      break;
    case Attribute::Type::Tensors:
      for (const Tensor& t : a.tensors) tensor_to_proto(t, "", proto->add_tensors());
      break;
    case Attribute::Type::SparseTensors:
      for (const Tensor& t : a.tensors) sparse_to_proto(t, proto->add_sparse_tensors());
      break;
    case Attribute::Type::Graphs:
      for (const auto& g : a.graphs) graph_to_proto(*g, proto->add_graphs(), nullptr, 0);
      break;
    case Attribute::Type::TypeProtos:
      for (const TypeInfo& t : a.tps) type_to_proto(t, proto->add_type_protos());
      break;
    default:
      fail(ErrorCode::InvalidModel, cat("attribute '", a.name, "' has no type; it cannot be saved"));
  }
}

void node_to_proto(const Node& n, onnx::NodeProto* proto) {
  // The loader names unnamed nodes "#index" for error messages; that is not a name to save.
  if (!n.name.empty() && n.name[0] != '#') proto->set_name(n.name);
  proto->set_op_type(n.op_type);
  if (!n.domain.empty()) proto->set_domain(n.domain);
#ifndef ONNXI_PROTO_IR8
  if (!n.overload.empty()) proto->set_overload(n.overload);
#endif
  for (const auto& i : n.inputs) proto->add_input(i);
  for (const auto& o : n.outputs) proto->add_output(o);
  for (const Attribute& a : n.attributes) attribute_to_proto(a, proto->add_attribute());
}

void value_info_to_proto(const ValueInfo& v, onnx::ValueInfoProto* proto) {
  proto->set_name(v.name);
  if (!v.doc.empty()) proto->set_doc_string(v.doc);
  if (v.type.kind != TypeInfo::Kind::Unknown) type_to_proto(v.type, proto->mutable_type());
}

void graph_to_proto(const Graph& g, onnx::GraphProto* proto, ExternalWriter* external, size_t external_min_bytes) {
  proto->set_name(g.name);
  for (const Node& n : g.nodes) node_to_proto(n, proto->add_node());
  for (const auto& v : g.inputs) value_info_to_proto(v, proto->add_input());
  for (const auto& v : g.outputs) value_info_to_proto(v, proto->add_output());
  for (const auto& v : g.value_info) value_info_to_proto(v, proto->add_value_info());
  for (const auto& [name, t] : g.initializers) {
    onnx::TensorProto* tp = proto->add_initializer();
    if (external && t.dtype() != DataType::String && t.nbytes() >= external_min_bytes) {
      tp->set_name(name);
      tp->set_data_type(static_cast<int32_t>(t.dtype()));
      for (int64_t d : t.shape()) tp->add_dims(d);
      external->write(t, tp);
    } else {
      tensor_to_proto(t, name, tp);
    }
  }
}

bool uses_domain(const Graph& g, const std::string& domain) {
  for (const Node& n : g.nodes) {
    if (n.domain == domain) return true;
    for (const Attribute& a : n.attributes) {
      if (a.g && uses_domain(*a.g, domain)) return true;
      for (const auto& sub : a.graphs) {
        if (uses_domain(*sub, domain)) return true;
      }
    }
  }
  return false;
}

uint64_t initializer_bytes(const Graph& g) {
  uint64_t n = 0;
  for (const auto& [name, t] : g.initializers) n += t.nbytes();
  return n;
}

}  // namespace

void ExternalWriter::write(const Tensor& t, onnx::TensorProto* proto) {
  if (!out_.is_open()) {
    const std::string path = (std::filesystem::path(dir_) / file_name_).string();
    out_.open(path, std::ios::binary | std::ios::trunc);
    if (!out_) fail(ErrorCode::Io, "cannot write external data file '" + path + "'");
  }
  // Aligned offsets let the loader map each tensor in place.
  static const char padding[kTensorAlignment] = {};
  const uint64_t pad = (kTensorAlignment - offset_ % kTensorAlignment) % kTensorAlignment;
  out_.write(padding, static_cast<std::streamsize>(pad));
  offset_ += pad;
  out_.write(static_cast<const char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
  if (!out_) fail(ErrorCode::Io, "writing external data file '" + file_name_ + "' failed (disk full?)");
  proto->set_data_location(onnx::TensorProto::EXTERNAL);
  auto add = [&](const char* key, const std::string& value) {
    auto* kv = proto->add_external_data();
    kv->set_key(key);
    kv->set_value(value);
  };
  add("location", file_name_);
  add("offset", std::to_string(offset_));
  add("length", std::to_string(t.nbytes()));
  offset_ += t.nbytes();
}

void model_to_proto(const Model& m, onnx::ModelProto* proto, ExternalWriter* external, size_t external_min_bytes) {
  // IR 8 is the oldest version with every field written here (overloads need 10, set by the loader's model).
  proto->set_ir_version(std::max<int64_t>(m.ir_version, 8));
  proto->set_producer_name(m.producer_name.empty() ? "onnxi" : m.producer_name);
  if (!m.producer_version.empty()) proto->set_producer_version(m.producer_version);
  bool has_onnxi = false;
  for (const auto& [domain, version] : m.opset_imports) {
    auto* op = proto->add_opset_import();
    op->set_domain(domain);
    op->set_version(version);
    has_onnxi |= domain == kOnnxiDomain;
  }
  if (!has_onnxi && uses_domain(m.graph, kOnnxiDomain)) {
    auto* op = proto->add_opset_import();
    op->set_domain(kOnnxiDomain);
    op->set_version(1);
  }
  for (const auto& [key, value] : m.metadata) {
    auto* kv = proto->add_metadata_props();
    kv->set_key(key);
    kv->set_value(value);
  }
  graph_to_proto(m.graph, proto->mutable_graph(), external, external_min_bytes);
  for (const FunctionDef& f : m.functions) {
    auto* fp = proto->add_functions();
    fp->set_name(f.name);
    fp->set_domain(f.domain);
#ifndef ONNXI_PROTO_IR8
    if (!f.overload.empty()) fp->set_overload(f.overload);
    for (const Attribute& a : f.attribute_defaults) attribute_to_proto(a, fp->add_attribute_proto());
#endif
    for (const auto& i : f.inputs) fp->add_input(i);
    for (const auto& o : f.outputs) fp->add_output(o);
    for (const auto& a : f.attributes) fp->add_attribute(a);
    for (const Node& n : f.nodes) node_to_proto(n, fp->add_node());
    for (const auto& [domain, version] : f.opset_imports) {
      auto* op = fp->add_opset_import();
      op->set_domain(domain);
      op->set_version(version);
    }
  }
}

}  // namespace loader

std::string save_model_bytes(const Model& model) {
  ONNXI_CHECK(loader::initializer_bytes(model.graph) < loader::kProtobufLimit, ErrorCode::InvalidArgument,
              "the model's initializers hold 2 GiB or more, over protobuf's limit: save it to a file "
              "(save_model_file), which puts them in an external-data file");
  onnx::ModelProto proto;
  loader::model_to_proto(model, &proto, nullptr, 0);
  std::string bytes;
  ONNXI_CHECK(proto.SerializeToString(&bytes), ErrorCode::Runtime, "serializing the model failed");
  return bytes;
}

void save_model_file(const Model& model, const std::string& path, const SaveOptions& options) {
  const std::filesystem::path p(path);
  std::string dir = p.parent_path().string();
  if (dir.empty()) dir = ".";
  const bool external = loader::initializer_bytes(model.graph) >= options.external_data_over;
  const std::string data_name = p.filename().string() + ".data";
  loader::ExternalWriter writer(dir, data_name);
  onnx::ModelProto proto;
  loader::model_to_proto(model, &proto, external ? &writer : nullptr, options.external_min_tensor_bytes);
  ONNXI_CHECK(proto.ByteSizeLong() < loader::kProtobufLimit, ErrorCode::InvalidArgument, "'", path,
              "' would be over protobuf's 2 GiB limit even with its initializers in '", data_name,
              "' (large Constant attributes?)");
  std::string bytes;
  ONNXI_CHECK(proto.SerializeToString(&bytes), ErrorCode::Runtime, "serializing the model for '", path, "' failed");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(ErrorCode::Io, "cannot write '" + path + "'");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) fail(ErrorCode::Io, "writing '" + path + "' failed (disk full?)");
}

}  // namespace onnxi
