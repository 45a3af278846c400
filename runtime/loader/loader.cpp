// ModelProto -> onnxi::Model. Checks what the bytes alone can tell (types, sizes, external data);
// graph-level validation (undefined inputs, cycles, unknown ops) is runtime/graph/validate.cpp's.
#include "onnxi/loader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <fstream>

#include "kernels/cpu/parallel.h"
#include "onnxi/error.h"
#include "runtime/loader/raw_data_split.h"
#include "runtime/loader/tensor_proto.h"
#ifndef ONNXI_PROTO_IR8
#include "onnx/onnx-data.pb.h"
#endif

namespace onnxi {
namespace {

using loader::ExternalData;

// `adopt`, when given, is `g` itself, mutable: its initializers' raw_data then moves into the tensors.
// `split`, when given, locates the raw_data split off `g`'s initializers (raw_data_split.h).
struct SplitRaw {
  const uint8_t* bytes = nullptr;
  const std::vector<loader::RawSpan>* spans = nullptr;
};
Graph convert_graph(const onnx::GraphProto& g, ExternalData& ext, onnx::GraphProto* adopt = nullptr,
                    const SplitRaw* split = nullptr);

Attribute convert_attribute(const onnx::AttributeProto& a, const std::string& owner, ExternalData& ext) {
  Attribute out;
  out.name = a.name();
  out.ref_attr_name = a.ref_attr_name();
  std::string what = owner + " attribute '" + a.name() + "'";
  auto type = static_cast<Attribute::Type>(a.type());
  // Old exporters leave `type` unset; infer it from the one populated field.
  if (a.type() == onnx::AttributeProto::UNDEFINED) {
    if (a.has_f()) type = Attribute::Type::Float;
    else if (a.has_i()) type = Attribute::Type::Int;
    else if (a.has_s()) type = Attribute::Type::String;
    else if (a.has_t()) type = Attribute::Type::Tensor;
    else if (a.has_g()) type = Attribute::Type::Graph;
    else if (a.floats_size()) type = Attribute::Type::Floats;
    else if (a.ints_size()) type = Attribute::Type::Ints;
    else if (a.strings_size()) type = Attribute::Type::Strings;
    else if (a.tensors_size()) type = Attribute::Type::Tensors;
    else if (a.graphs_size()) type = Attribute::Type::Graphs;
  }
  out.type = type;
  if (!out.ref_attr_name.empty()) return out;
  switch (type) {
    case Attribute::Type::Float: out.f = a.f(); break;
    case Attribute::Type::Int: out.i = a.i(); break;
    case Attribute::Type::String: out.s = a.s(); break;
    case Attribute::Type::Tensor: out.t = loader::tensor_from_proto(a.t(), what, &ext); break;
    case Attribute::Type::Graph: out.g = std::make_shared<Graph>(convert_graph(a.g(), ext)); break;
    case Attribute::Type::SparseTensor:
      out.t = loader::tensor_from_sparse_proto(a.sparse_tensor(), what, &ext);
      break;
    case Attribute::Type::TypeProto: out.tp = loader::type_from_proto(a.tp()); break;
    case Attribute::Type::Floats: out.floats.assign(a.floats().begin(), a.floats().end()); break;
    case Attribute::Type::Ints: out.ints.assign(a.ints().begin(), a.ints().end()); break;
    case Attribute::Type::Strings: out.strings.assign(a.strings().begin(), a.strings().end()); break;
    case Attribute::Type::Tensors:
      for (const auto& t : a.tensors()) out.tensors.push_back(loader::tensor_from_proto(t, what, &ext));
      break;
    case Attribute::Type::Graphs:
      for (const auto& g : a.graphs()) out.graphs.push_back(std::make_shared<Graph>(convert_graph(g, ext)));
      break;
    case Attribute::Type::SparseTensors:
      for (const auto& t : a.sparse_tensors()) out.tensors.push_back(loader::tensor_from_sparse_proto(t, what, &ext));
      break;
    case Attribute::Type::TypeProtos:
      for (const auto& t : a.type_protos()) out.tps.push_back(loader::type_from_proto(t));
      break;
    default:
      fail(ErrorCode::InvalidModel, cat(what, " has invalid type ", a.type()));
  }
  return out;
}

Node convert_node(const onnx::NodeProto& n, size_t index, ExternalData& ext) {
  Node out;
  out.name = n.name().empty() ? cat("#", index) : n.name();
  out.op_type = n.op_type();
  out.domain = canonical_domain(n.domain());
#ifndef ONNXI_PROTO_IR8
  out.overload = n.overload();
#endif
  out.inputs.assign(n.input().begin(), n.input().end());
  out.outputs.assign(n.output().begin(), n.output().end());
  ONNXI_CHECK(!out.op_type.empty(), ErrorCode::InvalidModel, "node ", index, " ('", n.name(), "') has no op_type");
  std::string owner = out.label();
  for (const auto& a : n.attribute()) {
    for (const Attribute& prev : out.attributes) {
      ONNXI_CHECK(prev.name != a.name(), ErrorCode::InvalidModel, owner, ": attribute '", a.name(), "' appears twice");
    }
    out.attributes.push_back(convert_attribute(a, owner, ext));
  }
  return out;
}

ValueInfo convert_value_info(const onnx::ValueInfoProto& v) {
  ValueInfo out;
  out.name = v.name();
  out.doc = v.doc_string();
  if (v.has_type()) out.type = loader::type_from_proto(v.type());
  return out;
}

Graph convert_graph(const onnx::GraphProto& g, ExternalData& ext, onnx::GraphProto* adopt, const SplitRaw* split) {
  Graph out;
  out.name = g.name();
  for (int i = 0; i < g.node_size(); ++i) out.nodes.push_back(convert_node(g.node(i), static_cast<size_t>(i), ext));
  for (const auto& v : g.input()) out.inputs.push_back(convert_value_info(v));
  for (const auto& v : g.output()) out.outputs.push_back(convert_value_info(v));
  for (const auto& v : g.value_info()) out.value_info.push_back(convert_value_info(v));
  // The split payloads are copied ahead, concurrently (on the calling session's threads when it
  // loads inside its arena); the checks and any error stay in initializer order below.
  std::vector<std::shared_ptr<const void>> copies;
  if (split != nullptr && adopt != nullptr) {
    copies.resize(split->spans->size());
    kernels::parallel_for(0, static_cast<int64_t>(copies.size()), 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const loader::RawSpan& span = (*split->spans)[static_cast<size_t>(i)];
        if (span.present && i < g.initializer_size()) {
          copies[static_cast<size_t>(i)] =
              loader::copy_split_payload(g.initializer(static_cast<int>(i)), split->bytes + span.offset, span.size);
        }
      }
    });
  }
  for (int i = 0; i < g.initializer_size(); ++i) {
    const onnx::TensorProto& t = g.initializer(i);
    ONNXI_CHECK(!t.name().empty(), ErrorCode::InvalidModel, "graph '", g.name(), "' has an initializer without a name");
    ONNXI_CHECK(!out.initializers.count(t.name()), ErrorCode::InvalidModel, "initializer '", t.name(), "' is defined twice");
    const loader::RawSpan* raw =
        split != nullptr && static_cast<size_t>(i) < split->spans->size() && (*split->spans)[static_cast<size_t>(i)].present
            ? &(*split->spans)[static_cast<size_t>(i)]
            : nullptr;
    if (raw != nullptr && adopt != nullptr) {
      out.initializers[t.name()] =
          loader::tensor_from_split_proto(*adopt->mutable_initializer(i), split->bytes + raw->offset, raw->size,
                                          "initializer", &ext, std::move(copies[static_cast<size_t>(i)]));
    } else {
      out.initializers[t.name()] = adopt ? loader::tensor_from_proto_adopting(*adopt->mutable_initializer(i), "initializer", &ext)
                                         : loader::tensor_from_proto(t, "initializer", &ext);
    }
  }
  for (const auto& s : g.sparse_initializer()) {
    const std::string& name = s.values().name();
    ONNXI_CHECK(!out.initializers.count(name), ErrorCode::InvalidModel, "initializer '", name, "' is defined twice");
    out.initializers[name] = loader::tensor_from_sparse_proto(s, "sparse initializer '" + name + "'", &ext);
  }
  return out;
}

FunctionDef convert_function(const onnx::FunctionProto& f, ExternalData& ext) {
  FunctionDef out;
  out.domain = canonical_domain(f.domain());
  out.name = f.name();
#ifndef ONNXI_PROTO_IR8
  out.overload = f.overload();
  for (const auto& a : f.attribute_proto()) {
    out.attribute_defaults.push_back(convert_attribute(a, "function '" + f.name() + "'", ext));
  }
#endif
  out.inputs.assign(f.input().begin(), f.input().end());
  out.outputs.assign(f.output().begin(), f.output().end());
  out.attributes.assign(f.attribute().begin(), f.attribute().end());
  for (int i = 0; i < f.node_size(); ++i) out.nodes.push_back(convert_node(f.node(i), static_cast<size_t>(i), ext));
  for (const auto& op : f.opset_import()) out.opset_imports[canonical_domain(op.domain())] = op.version();
  return out;
}

}  // namespace

std::string read_file_bytes(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(ErrorCode::Io, "'" + path + "' is a folder, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::Io, "cannot open '" + path + "': no such file or not readable");
  // One read of the whole file: istreambuf_iterator copies byte by byte (seconds for a 100 MB model).
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  std::string bytes;
  if (size > 0) {
    bytes.resize(static_cast<size_t>(size));
    in.read(bytes.data(), size);
    ONNXI_CHECK(in.gcount() == size, ErrorCode::Io, "'", path, "': read ", in.gcount(), " of ", size, " bytes");
  } else {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());  // pipes, /proc files
  }
  return bytes;
}

Model load_model_bytes(const void* data, size_t size, const std::string& base_dir) {
  if (size > static_cast<size_t>(INT_MAX)) {
    fail(ErrorCode::InvalidModel, cat("model is ", size, " bytes: protobuf files are limited to 2 GiB; save the weights "
                                      "as external data (onnx.save_model(..., save_as_external_data=True))"));
  }
  // Large payloads are split off first and copied once, into buffers of their own; a model the
  // splitter does not take (malformed, unusual) parses as it is, with protobuf's verdict.
  constexpr size_t kSplitBytes = 4096;
  loader::SplitModel split;
  bool split_ok = size >= (size_t{1} << 20) &&
                  loader::split_raw_data(static_cast<const uint8_t*>(data), size, kSplitBytes, split);
  onnx::ModelProto proto;
  if (split_ok && !proto.ParseFromArray(split.stripped.data(), static_cast<int>(split.stripped.size()))) {
    split_ok = false;  // the plain parse below gives the error for the bytes as they are
    proto.Clear();
  }
  if (!split_ok && (size == 0 || !proto.ParseFromArray(data, static_cast<int>(size)))) {
    fail(ErrorCode::InvalidModel, cat("not a valid ONNX model: the protobuf could not be parsed (", size,
                                      " bytes; truncated, or not an .onnx file)"));
  }
  ONNXI_CHECK(proto.has_graph(), ErrorCode::InvalidModel, "ONNX model has no graph");
  Model m;
  m.ir_version = proto.ir_version();
  m.producer_name = proto.producer_name();
  m.producer_version = proto.producer_version();
  m.base_dir = base_dir;
  for (const auto& op : proto.opset_import()) {
    std::string d = canonical_domain(op.domain());
    ONNXI_CHECK(!m.opset_imports.count(d), ErrorCode::InvalidModel, "opset of domain '", d, "' is imported twice");
    m.opset_imports[d] = op.version();
  }
  // IR 1/2 models have no opset_import: they mean ai.onnx version 1.
  if (m.opset_imports.empty()) m.opset_imports[""] = 1;
  for (const auto& kv : proto.metadata_props()) m.metadata[kv.key()] = kv.value();
  ExternalData ext(base_dir);
  const SplitRaw raw{static_cast<const uint8_t*>(data), &split.initializer_raw};
  m.graph = convert_graph(proto.graph(), ext, proto.mutable_graph(), split_ok ? &raw : nullptr);
  for (const auto& f : proto.functions()) m.functions.push_back(convert_function(f, ext));
  return m;
}

Model load_model_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail(ErrorCode::Io, "cannot open model '" + path + "': no such file");
  if (static_cast<uint64_t>(st.st_size) > static_cast<uint64_t>(INT_MAX)) {
    fail(ErrorCode::InvalidModel, cat("model '", path, "' is ", st.st_size, " bytes: protobuf files are limited to 2 GiB; "
                                      "save the weights as external data (onnx.save_model(..., save_as_external_data=True))"));
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  // A regular file is mapped, not read: the parse then copies each byte once (into the protobuf's
  // fields, whose raw_data the tensors adopt) instead of twice.
  const void* mapped = MAP_FAILED;
  int fd = S_ISREG(st.st_mode) && st.st_size > 0 ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    mapped = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
  }
  std::string bytes;
  if (mapped == MAP_FAILED) bytes = read_file_bytes(path);
  struct Unmap {
    const void* p;
    size_t n;
    ~Unmap() {
      if (p != MAP_FAILED) munmap(const_cast<void*>(p), n);
    }
  } unmap{mapped, static_cast<size_t>(st.st_size)};
  try {
    if (mapped != MAP_FAILED) {
      madvise(const_cast<void*>(mapped), static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
      return load_model_bytes(mapped, static_cast<size_t>(st.st_size), dir);
    }
    return load_model_bytes(bytes.data(), bytes.size(), dir);
  } catch (const Error& e) {
    throw Error(e.code(), "'" + path + "': " + e.what());
  }
}

Tensor load_tensor_proto(const void* data, size_t size, const std::string& what) {
  onnx::TensorProto proto;
  if (size > static_cast<size_t>(INT_MAX) || !proto.ParseFromArray(data, static_cast<int>(size))) {
    fail(ErrorCode::InvalidArgument, what + ": not a valid TensorProto");
  }
  return loader::tensor_from_proto(proto, what, nullptr);
}

#ifndef ONNXI_PROTO_IR8
namespace {

Value value_from_sequence(const onnx::SequenceProto& s, const std::string& what);
Value value_from_optional(const onnx::OptionalProto& o, const std::string& what);

Value value_from_map(const onnx::MapProto& m, const std::string& what) {
  auto key_type = static_cast<DataType>(m.key_type());
  Tensor keys;
  if (key_type == DataType::String) {
    keys = Tensor(DataType::String, {static_cast<int64_t>(m.string_keys_size())});
    for (int i = 0; i < m.string_keys_size(); ++i) keys.data<std::string>()[i] = m.string_keys(i);
  } else {
    keys = Tensor(DataType::Int64, {static_cast<int64_t>(m.keys_size())});
    for (int i = 0; i < m.keys_size(); ++i) keys.data<int64_t>()[i] = m.keys(i);
  }
  return Value::map(keys, value_from_sequence(m.values(), what));
}

Value value_from_sequence(const onnx::SequenceProto& s, const std::string& what) {
  std::vector<Value> items;
  DataType elem = DataType::Undefined;
  for (const auto& t : s.tensor_values()) {
    items.emplace_back(loader::tensor_from_proto(t, what, nullptr));
    elem = items.back().tensor().dtype();
  }
  for (const auto& t : s.sparse_tensor_values()) items.emplace_back(loader::tensor_from_sparse_proto(t, what, nullptr));
  for (const auto& q : s.sequence_values()) items.push_back(value_from_sequence(q, what));
  for (const auto& q : s.map_values()) items.push_back(value_from_map(q, what));
  for (const auto& q : s.optional_values()) items.push_back(value_from_optional(q, what));
  return Value::sequence(elem, std::move(items));
}

Value value_from_optional(const onnx::OptionalProto& o, const std::string& what) {
  switch (o.elem_type()) {
    case onnx::OptionalProto::TENSOR:
      if (o.has_tensor_value()) return Value::optional_of(loader::tensor_from_proto(o.tensor_value(), what, nullptr));
      break;
    case onnx::OptionalProto::SPARSE_TENSOR:
      if (o.has_sparse_tensor_value()) return Value::optional_of(loader::tensor_from_sparse_proto(o.sparse_tensor_value(), what, nullptr));
      break;
    case onnx::OptionalProto::SEQUENCE:
      if (o.has_sequence_value()) return Value::optional_of(value_from_sequence(o.sequence_value(), what));
      break;
    case onnx::OptionalProto::MAP:
      if (o.has_map_value()) return Value::optional_of(value_from_map(o.map_value(), what));
      break;
    case onnx::OptionalProto::OPTIONAL:
      if (o.has_optional_value()) return Value::optional_of(value_from_optional(o.optional_value(), what));
      break;
    default:
      break;
  }
  return Value::optional_empty();
}

template <class Proto>
Proto parse_or_fail(const std::string& bytes, const std::string& what, const char* kind) {
  Proto p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    fail(ErrorCode::InvalidArgument, cat(what, ": not a valid ", kind));
  }
  return p;
}

}  // namespace
#endif

Value load_value_file(const std::string& path, const TypeInfo* expected) {
  std::string bytes = read_file_bytes(path);
  ONNXI_CHECK(bytes.size() <= static_cast<size_t>(INT_MAX), ErrorCode::InvalidArgument, path, ": file over 2 GiB");
  TypeInfo::Kind kind = expected ? expected->kind : TypeInfo::Kind::Tensor;
  switch (kind) {
#ifndef ONNXI_PROTO_IR8
    case TypeInfo::Kind::Sequence:
      return value_from_sequence(parse_or_fail<onnx::SequenceProto>(bytes, path, "SequenceProto"), path);
    case TypeInfo::Kind::Optional:
      return value_from_optional(parse_or_fail<onnx::OptionalProto>(bytes, path, "OptionalProto"), path);
    case TypeInfo::Kind::Map:
      return value_from_map(parse_or_fail<onnx::MapProto>(bytes, path, "MapProto"), path);
#else
    case TypeInfo::Kind::Sequence:
    case TypeInfo::Kind::Optional:
    case TypeInfo::Kind::Map:
      fail(ErrorCode::NotImplemented, path + ": sequence/optional/map data needs onnx-data.proto (build with the onnx wheel's schema)");
#endif
    default:
      return load_tensor_proto(bytes.data(), bytes.size(), path);
  }
}

void save_tensor_proto_file(const Tensor& t, const std::string& name, const std::string& path) {
  onnx::TensorProto proto;
  loader::tensor_to_proto(t, name, &proto);
  std::string bytes;
  proto.SerializeToString(&bytes);
  std::ofstream out(path, std::ios::binary);
  if (!out) fail(ErrorCode::Io, "cannot write '" + path + "'");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace onnxi
