#include "runtime/loader/tensor_proto.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>

#include "kernels/cpu/large_buffer.h"
#include "onnxi/error.h"
#include "runtime/loader/read_only_memory.h"

namespace onnxi::loader {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void bad(const std::string& what, const std::string& msg) {
  fail(ErrorCode::InvalidModel, what + ": " + msg);
}

// Copies `count` typed-field values into the tensor's storage, checking the count.
template <class Field, class Store>
void copy_field(const Field& field, Tensor& t, int64_t expected, const std::string& what, const char* field_name) {
  if (static_cast<int64_t>(field.size()) != expected) {
    bad(what, cat(field_name, " holds ", field.size(), " values but shape ", shape_str(t.shape()), " of ",
                  dtype_name(t.dtype()), " needs ", expected));
  }
  Store* out = static_cast<Store*>(t.raw());
  for (int64_t i = 0; i < expected; ++i) out[i] = static_cast<Store>(field.Get(static_cast<int>(i)));
}

}  // namespace

struct ExternalData::Mapping {
  void* base = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (base && size) {
      note_read_only_mapping(base, size, false);
      munmap(base, size);
    }
  }
};

namespace {

// A buffer for `bytes` bytes of loaded weight data (64-byte aligned, at least one alignment unit)
// from allocate_large: a kernel that packs the weight donates it to the creation's recycling pool
// (kernels/cpu/large_buffer.h), whose pages then hold packed weights instead of fresh ones.
std::shared_ptr<const void> weight_buffer(size_t bytes) {
  const size_t rounded = std::max(kTensorAlignment, (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment);
  void* p = kernels::allocate_large(rounded);
  return std::shared_ptr<const void>(p, [rounded](const void* q) { kernels::free_large(const_cast<void*>(q), rounded); });
}

// A copy of `bytes` bytes of weight data in a buffer of its own (not the tensor buffer cache): a
// weight a kernel packs is freed once the session is made, and its memory should then go back to
// the system instead of staying cached.
Tensor copied_tensor(DataType dtype, const Shape& shape, const void* src, size_t bytes) {
  std::shared_ptr<const void> owner;
  try {
    owner = weight_buffer(bytes);
  } catch (const std::bad_alloc&) {
    fail(ErrorCode::Runtime, cat("out of memory: ", bytes, " bytes for a ", dtype_name(dtype), shape_str(shape),
                                 " initializer"));
  }
  void* p = const_cast<void*>(owner.get());
  if (bytes) std::memcpy(p, src, bytes);
  return Tensor::wrap(dtype, shape, std::move(owner), p);
}

}  // namespace

std::shared_ptr<ExternalData::Mapping> ExternalData::map_file(const std::string& location, const std::string& what) {
  auto it = files_.find(location);
  if (it != files_.end()) return it->second;
  if (base_dir_.empty()) {
    bad(what, "uses external data ('" + location + "') but the model was loaded from bytes; load it from its file");
  }
  fs::path rel(location);
  if (rel.is_absolute()) bad(what, "external data location '" + location + "' is absolute; it must be relative to the model's folder");
  for (const auto& part : rel) {
    if (part == "..") bad(what, "external data location '" + location + "' leaves the model's folder ('..')");
  }
  std::error_code ec;
  fs::path base = fs::weakly_canonical(fs::path(base_dir_), ec);
  fs::path full = fs::weakly_canonical(base / rel, ec);
  if (ec || !fs::exists(full)) bad(what, "external data file '" + location + "' not found next to the model");
  auto [bend, fend] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
  if (bend != base.end()) bad(what, "external data location '" + location + "' resolves outside the model's folder (symlink)");
  int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(ErrorCode::Io, cat(what, ": cannot open external data file '", full.string(), "': ", std::strerror(errno)));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    bad(what, "external data '" + location + "' is not a regular file");
  }
  auto m = std::make_shared<Mapping>();
  m->size = static_cast<size_t>(st.st_size);
  if (m->size > 0) {
    m->base = mmap(nullptr, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m->base == MAP_FAILED) {
      m->base = nullptr;
      ::close(fd);
      fail(ErrorCode::Io, cat(what, ": cannot map external data file '", full.string(), "'"));
    }
    note_read_only_mapping(m->base, m->size, true);  // a fold must never write into it
  }
  ::close(fd);
  files_[location] = m;
  return m;
}

Tensor ExternalData::load(const onnx::TensorProto& proto, DataType dtype, const Shape& shape, const std::string& what) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : proto.external_data()) {
    const std::string& key = kv.key();
    auto parse_int = [&](const std::string& v) -> int64_t {
      try {
        size_t pos = 0;
        long long x = std::stoll(v, &pos);
        if (pos != v.size()) throw std::invalid_argument(v);
        return x;
      } catch (const std::exception&) {
        bad(what, "external data " + key + " '" + v + "' is not an integer");
      }
    };
    if (key == "location") location = kv.value();
    else if (key == "offset") offset = parse_int(kv.value());
    else if (key == "length") length = parse_int(kv.value());
    else if (key == "checksum" || key == "basepath") continue;
    else bad(what, "unknown external data key '" + key + "' (expected location, offset, length, checksum)");
  }
  if (location.empty()) bad(what, "external data without a 'location'");
  if (offset < 0) bad(what, cat("external data offset ", offset, " is negative"));
  auto m = map_file(location, what);
  size_t need = storage_bytes(dtype, shape_numel(shape, what));
  if (length < 0) length = static_cast<int64_t>(need);
  if (static_cast<size_t>(length) != need) {
    bad(what, cat("external data length ", length, " does not match ", dtype_name(dtype), shape_str(shape), " (", need, " bytes)"));
  }
  if (static_cast<uint64_t>(offset) > m->size || static_cast<uint64_t>(length) > m->size - static_cast<uint64_t>(offset)) {
    bad(what, cat("external data range [", offset, ", ", offset + length, ") is past the end of '", location, "' (",
                  m->size, " bytes)"));
  }
  const uint8_t* src = static_cast<const uint8_t*>(m->base) + offset;
  if (reinterpret_cast<uintptr_t>(src) % kTensorAlignment == 0 && dtype != DataType::String) {
    return Tensor::wrap(dtype, shape, m, src);
  }
  return copied_tensor(dtype, shape, src, need);
}

Tensor tensor_from_proto_adopting(onnx::TensorProto& proto, const std::string& what, ExternalData* external) {
  // Below a page the copy is cheaper than the shared owner.
  constexpr size_t kAdoptBytes = 4096;
  if (proto.has_raw_data() && proto.raw_data().size() >= kAdoptBytes &&
      proto.data_location() != onnx::TensorProto::EXTERNAL && is_valid_dtype(proto.data_type()) &&
      static_cast<DataType>(proto.data_type()) != DataType::String) {
    const auto dtype = static_cast<DataType>(proto.data_type());
    Shape shape(proto.dims().begin(), proto.dims().end());
    bool dims_ok = true;
    for (int64_t d : shape) dims_ok &= d >= 0;
    if (dims_ok && storage_bytes(dtype, shape_numel(shape, what)) == proto.raw_data().size()) {
      std::shared_ptr<std::string> owner(proto.release_raw_data());
      const void* data = owner->data();
      return Tensor::wrap(dtype, std::move(shape), std::move(owner), data);
    }
  }
  return tensor_from_proto(proto, what, external);  // small, typed-field or malformed: the checked copy
}

std::shared_ptr<const void> copy_split_payload(const onnx::TensorProto& proto, const void* raw, size_t raw_bytes) {
  if (proto.data_location() == onnx::TensorProto::EXTERNAL || !is_valid_dtype(proto.data_type()) ||
      static_cast<DataType>(proto.data_type()) == DataType::String) {
    return nullptr;
  }
  const auto dtype = static_cast<DataType>(proto.data_type());
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (int64_t d : shape) {
    if (d < 0) return nullptr;
  }
  try {
    if (storage_bytes(dtype, shape_numel(shape, "initializer")) != raw_bytes) return nullptr;
  } catch (const Error&) {
    return nullptr;  // an overflowing shape: the checked path reports it, in order
  }
  std::shared_ptr<const void> copy = weight_buffer(raw_bytes);
  std::memcpy(const_cast<void*>(copy.get()), raw, raw_bytes);
  return copy;
}

Tensor tensor_from_split_proto(onnx::TensorProto& proto, const void* raw, size_t raw_bytes, const std::string& what,
                               ExternalData* external, std::shared_ptr<const void> copy) {
  if (copy == nullptr) copy = copy_split_payload(proto, raw, raw_bytes);
  if (copy != nullptr) {
    const void* data = copy.get();
    return Tensor::wrap(static_cast<DataType>(proto.data_type()), Shape(proto.dims().begin(), proto.dims().end()),
                        std::move(copy), data);
  }
  proto.set_raw_data(raw, raw_bytes);
  return tensor_from_proto_adopting(proto, what, external);
}

Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& what_in, ExternalData* external) {
  std::string what = proto.name().empty() ? what_in : what_in + " '" + proto.name() + "'";
  if (!is_valid_dtype(proto.data_type())) {
    bad(what, cat("has invalid data_type ", proto.data_type(), " (valid: 1..", kMaxDataType, ")"));
  }
  auto dtype = static_cast<DataType>(proto.data_type());
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (int64_t d : shape) {
    if (d < 0) bad(what, "has a negative dimension in shape " + shape_str(shape));
  }
  int64_t n = shape_numel(shape, what);
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    if (!external) bad(what, "uses external data, which is not allowed here");
    return external->load(proto, dtype, shape, what);
  }
  if (proto.has_raw_data()) {
    ONNXI_CHECK(dtype != DataType::String, ErrorCode::InvalidModel, what, ": string tensors cannot use raw_data");
    size_t need = storage_bytes(dtype, n);
    if (proto.raw_data().size() != need) {
      bad(what, cat("raw_data has ", proto.raw_data().size(), " bytes but ", dtype_name(dtype), shape_str(shape),
                    " needs ", need));
    }
    return copied_tensor(dtype, shape, proto.raw_data().data(), need);
  }
  Tensor t(dtype, shape);
  const int64_t packed_count = static_cast<int64_t>(storage_bytes(dtype, n));
  switch (dtype) {
    case DataType::Float: copy_field<decltype(proto.float_data()), float>(proto.float_data(), t, n, what, "float_data"); break;
    case DataType::Complex64: copy_field<decltype(proto.float_data()), float>(proto.float_data(), t, 2 * n, what, "float_data"); break;
    case DataType::Double: copy_field<decltype(proto.double_data()), double>(proto.double_data(), t, n, what, "double_data"); break;
    case DataType::Complex128: copy_field<decltype(proto.double_data()), double>(proto.double_data(), t, 2 * n, what, "double_data"); break;
    case DataType::Int64: copy_field<decltype(proto.int64_data()), int64_t>(proto.int64_data(), t, n, what, "int64_data"); break;
    case DataType::UInt32: copy_field<decltype(proto.uint64_data()), uint32_t>(proto.uint64_data(), t, n, what, "uint64_data"); break;
    case DataType::UInt64: copy_field<decltype(proto.uint64_data()), uint64_t>(proto.uint64_data(), t, n, what, "uint64_data"); break;
    case DataType::Int32: copy_field<decltype(proto.int32_data()), int32_t>(proto.int32_data(), t, n, what, "int32_data"); break;
    case DataType::Int16: copy_field<decltype(proto.int32_data()), int16_t>(proto.int32_data(), t, n, what, "int32_data"); break;
    case DataType::UInt16: case DataType::Float16: case DataType::BFloat16:
      copy_field<decltype(proto.int32_data()), uint16_t>(proto.int32_data(), t, n, what, "int32_data"); break;
    case DataType::Int8: copy_field<decltype(proto.int32_data()), int8_t>(proto.int32_data(), t, n, what, "int32_data"); break;
    case DataType::UInt8: case DataType::Bool: case DataType::Float8E4M3FN: case DataType::Float8E4M3FNUZ:
    case DataType::Float8E5M2: case DataType::Float8E5M2FNUZ: case DataType::Float8E8M0:
      copy_field<decltype(proto.int32_data()), uint8_t>(proto.int32_data(), t, n, what, "int32_data"); break;
    case DataType::Int4: case DataType::UInt4: case DataType::Int2: case DataType::UInt2:
    case DataType::Float4E2M1: case DataType::Float6E2M3: case DataType::Float6E3M2:
      // Sub-byte values are packed into bytes first, one byte per int32_data entry.
      copy_field<decltype(proto.int32_data()), uint8_t>(proto.int32_data(), t, packed_count, what, "int32_data"); break;
    case DataType::String: {
      if (static_cast<int64_t>(proto.string_data().size()) != n) {
        bad(what, cat("string_data holds ", proto.string_data().size(), " values but shape ", shape_str(shape), " needs ", n));
      }
      for (int64_t i = 0; i < n; ++i) t.data<std::string>()[i] = proto.string_data(static_cast<int>(i));
      break;
    }
    default: bad(what, cat("unsupported data_type ", dtype_name(dtype)));
  }
  return t;
}

Tensor tensor_from_sparse_proto(const onnx::SparseTensorProto& proto, const std::string& what, ExternalData* external) {
  Tensor values = tensor_from_proto(proto.values(), what + " values", external);
  Tensor indices = tensor_from_proto(proto.indices(), what + " indices", external);
  Shape shape(proto.dims().begin(), proto.dims().end());
  int64_t n = shape_numel(shape, what);
  ONNXI_CHECK(values.rank() == 1, ErrorCode::InvalidModel, what, ": sparse values must be 1-D");
  ONNXI_CHECK(indices.dtype() == DataType::Int64, ErrorCode::InvalidModel, what, ": sparse indices must be int64");
  ONNXI_CHECK(!is_packed(values.dtype()), ErrorCode::NotImplemented, what, ": packed sparse tensors are not supported");
  int64_t nnz = values.numel();
  Tensor dense(values.dtype(), shape);
  std::vector<int64_t> idx = indices.to_int64_vector();
  auto flat_index = [&](int64_t k) -> int64_t {
    if (indices.rank() == 1) return idx[static_cast<size_t>(k)];
    int64_t flat = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t v = idx[static_cast<size_t>(k) * shape.size() + d];
      ONNXI_CHECK(v >= 0 && v < shape[d], ErrorCode::InvalidModel, what, ": sparse index out of range");
      flat = flat * shape[d] + v;
    }
    return flat;
  };
  ONNXI_CHECK((indices.rank() == 1 && indices.numel() == nnz) ||
                  (indices.rank() == 2 && indices.dim(0) == nnz && indices.dim(1) == static_cast<int64_t>(shape.size())),
              ErrorCode::InvalidModel, what, ": sparse indices shape ", shape_str(indices.shape()), " does not match ", nnz, " values");
  size_t width = static_cast<size_t>(element_bits(values.dtype()) / 8);
  for (int64_t k = 0; k < nnz; ++k) {
    int64_t pos = flat_index(k);
    ONNXI_CHECK(pos >= 0 && pos < n, ErrorCode::InvalidModel, what, ": sparse index ", pos, " out of range");
    if (values.dtype() == DataType::String) {
      dense.data<std::string>()[pos] = values.data<std::string>()[k];
    } else {
      std::memcpy(static_cast<uint8_t*>(dense.raw()) + pos * width, static_cast<const uint8_t*>(values.raw()) + k * width, width);
    }
  }
  return dense;
}

TypeInfo type_from_proto(const onnx::TypeProto& proto) {
  TypeInfo t;
  auto read_shape = [&](const onnx::TensorShapeProto& shape) {
    t.has_shape = true;
    for (const auto& d : shape.dim()) {
      if (d.has_dim_value()) t.dims.push_back(Dim::known(d.dim_value()));
      else t.dims.push_back(Dim::symbol(d.dim_param()));
    }
  };
  switch (proto.value_case()) {
    case onnx::TypeProto::kTensorType:
      t.kind = TypeInfo::Kind::Tensor;
      t.elem = static_cast<DataType>(proto.tensor_type().elem_type());
      if (proto.tensor_type().has_shape()) read_shape(proto.tensor_type().shape());
      break;
    case onnx::TypeProto::kSparseTensorType:
      t.kind = TypeInfo::Kind::SparseTensor;
      t.elem = static_cast<DataType>(proto.sparse_tensor_type().elem_type());
      if (proto.sparse_tensor_type().has_shape()) read_shape(proto.sparse_tensor_type().shape());
      break;
    case onnx::TypeProto::kSequenceType:
      t.kind = TypeInfo::Kind::Sequence;
      t.inner = std::make_shared<TypeInfo>(type_from_proto(proto.sequence_type().elem_type()));
      break;
    case onnx::TypeProto::kOptionalType:
      t.kind = TypeInfo::Kind::Optional;
      t.inner = std::make_shared<TypeInfo>(type_from_proto(proto.optional_type().elem_type()));
      break;
    case onnx::TypeProto::kMapType:
      t.kind = TypeInfo::Kind::Map;
      t.elem = static_cast<DataType>(proto.map_type().key_type());
      t.inner = std::make_shared<TypeInfo>(type_from_proto(proto.map_type().value_type()));
      break;
    default:
      break;
  }
  return t;
}

void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* proto) {
  proto->set_name(name);
  proto->set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.shape()) proto->add_dims(d);
  if (t.dtype() == DataType::String) {
    for (int64_t i = 0; i < t.numel(); ++i) proto->add_string_data(t.data<std::string>()[i]);
  } else {
    proto->set_raw_data(t.raw(), t.nbytes());
  }
}

}  // namespace onnxi::loader
