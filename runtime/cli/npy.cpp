#include "runtime/cli/npy.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string_view>

#include "onnxi/error.h"
#include "onnxi/loader.h"

namespace onnxi::cli {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the .npy reader copies little-endian data as is; a big-endian host needs byte swaps");

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kHeaderAlignment = 64;
constexpr const char* kSupported = "f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1";

[[noreturn]] void bad_file(const std::string& what, const std::string& why) {
  fail(ErrorCode::InvalidArgument, cat(what, ": not a usable .npy file: ", why));
}

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
  bool has_descr = false, has_fortran = false, has_shape = false;
};

// The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// This reads exactly that grammar: string keys; string, bool and int-tuple values.
class HeaderReader {
 public:
  HeaderReader(std::string_view text, const std::string& what) : text_(text), what_(what) {}

  NpyHeader parse() {
    NpyHeader h;
    expect('{');
    while (!consume('}')) {
      std::string key = read_string();
      expect(':');
      if (key == "descr") {
        skip_space();
        if (peek() == '[') bad("structured dtypes (descr is a list) are not supported; use one of " +
                               std::string(kSupported));
        h.descr = read_string();
        h.has_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = read_bool();
        h.has_fortran = true;
      } else if (key == "shape") {
        h.shape = read_shape();
        h.has_shape = true;
      } else {
        bad("unexpected header key '" + key + "'");
      }
      if (!consume(',')) {
        expect('}');
        break;
      }
    }
    if (!h.has_descr || !h.has_fortran || !h.has_shape)
      bad("the header lacks one of 'descr', 'fortran_order', 'shape'");
    return h;
  }

 private:
  [[noreturn]] void bad(const std::string& why) const { bad_file(what_, "header: " + why); }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n'))
      ++pos_;
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool consume(char c) {
    skip_space();
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!consume(c)) bad(cat("expected '", c, "' at offset ", pos_));
  }
  std::string read_string() {
    skip_space();
    char quote = peek();
    if (quote != '\'' && quote != '"') bad(cat("expected a quoted string at offset ", pos_));
    size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) bad("unterminated string");
    std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return s;
  }
  bool read_bool() {
    skip_space();
    for (auto [word, value] : {std::pair{std::string_view("True"), true}, {"False", false}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    }
    bad(cat("expected True or False at offset ", pos_));
  }
  int64_t read_int() {
    skip_space();
    size_t start = pos_;
    int64_t v = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (v > (INT64_MAX - 9) / 10) bad("a dimension is too large");
      v = v * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    if (pos_ == start) bad(cat("expected a non-negative dimension at offset ", pos_));
    if (peek() == 'L') ++pos_;  // Python 2 long literals, as old numpy wrote them
    return v;
  }
  Shape read_shape() {
    Shape shape;
    expect('(');
    while (!consume(')')) {
      shape.push_back(read_int());
      if (!consume(',')) {
        expect(')');
        break;
      }
    }
    return shape;
  }

  std::string_view text_;
  const std::string& what_;
  size_t pos_ = 0;
};

struct DtypeCode {
  char kind;
  int size;
  DataType dtype;
};

constexpr DtypeCode kDtypeCodes[] = {
    {'f', 2, DataType::Float16}, {'f', 4, DataType::Float},  {'f', 8, DataType::Double},
    {'i', 1, DataType::Int8},    {'i', 2, DataType::Int16},  {'i', 4, DataType::Int32},
    {'i', 8, DataType::Int64},   {'u', 1, DataType::UInt8},  {'u', 2, DataType::UInt16},
    {'u', 4, DataType::UInt32},  {'u', 8, DataType::UInt64}, {'b', 1, DataType::Bool},
};

DataType dtype_from_descr(const std::string& descr, const std::string& what) {
  auto unsupported = [&]() -> DataType {
    bad_file(what, cat("dtype '", descr, "' is not supported (supported: ", kSupported,
                       "); convert it in numpy first, e.g. arr.astype(np.float32)"));
  };
  if (descr.size() < 3) return unsupported();
  char order = descr[0];
  char kind = descr[1];
  int size = 0;
  for (size_t i = 2; i < descr.size(); ++i) {
    if (descr[i] < '0' || descr[i] > '9' || size > 1000) return unsupported();
    size = size * 10 + (descr[i] - '0');
  }
  if (order != '<' && order != '>' && order != '|' && order != '=') return unsupported();
  for (const DtypeCode& code : kDtypeCodes) {
    if (code.kind != kind || code.size != size) continue;
    if (order == '>' && size > 1)
      bad_file(what, cat("dtype '", descr, "' is big-endian; onnxi reads little-endian data only: save "
                         "it with arr.astype(arr.dtype.newbyteorder('<'))"));
    return code.dtype;
  }
  return unsupported();
}

const char* descr_for(DataType dtype) noexcept {
  switch (dtype) {
    case DataType::Float16: return "<f2";
    case DataType::Float: return "<f4";
    case DataType::Double: return "<f8";
    case DataType::Int8: return "|i1";
    case DataType::Int16: return "<i2";
    case DataType::Int32: return "<i4";
    case DataType::Int64: return "<i8";
    case DataType::UInt8: return "|u1";
    case DataType::UInt16: return "<u2";
    case DataType::UInt32: return "<u4";
    case DataType::UInt64: return "<u8";
    case DataType::Bool: return "|b1";
    default: return nullptr;
  }
}

uint32_t read_le(const unsigned char* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

bool npy_supports(DataType dtype) noexcept { return descr_for(dtype) != nullptr; }

Tensor parse_npy(const void* data, size_t size, const std::string& what) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  if (size < kMagicSize + 4 || std::memcmp(bytes, kMagic, kMagicSize) != 0)
    bad_file(what, "it does not start with the .npy magic \\x93NUMPY (save arrays with np.save)");
  int major = bytes[6];
  int minor = bytes[7];
  size_t len_bytes = 0;
  if (major == 1) {
    len_bytes = 2;
  } else if (major == 2 || major == 3) {
    len_bytes = 4;
  } else {
    bad_file(what, cat("format version ", major, ".", minor, " is not supported (1.0, 2.0, 3.0 are)"));
  }
  if (size < kMagicSize + 2 + len_bytes) bad_file(what, "the file ends inside the header");
  size_t header_len = read_le(bytes + kMagicSize + 2, static_cast<int>(len_bytes));
  size_t data_offset = kMagicSize + 2 + len_bytes + header_len;
  if (data_offset > size)
    bad_file(what, cat("the header says it is ", header_len, " bytes but the file is ", size, " bytes"));

  std::string_view text(reinterpret_cast<const char*>(bytes + kMagicSize + 2 + len_bytes), header_len);
  NpyHeader h = HeaderReader(text, what).parse();
  DataType dtype = dtype_from_descr(h.descr, what);
  int64_t long_dims = 0;
  for (int64_t d : h.shape) long_dims += d > 1 ? 1 : 0;
  if (h.fortran_order && long_dims > 1)
    bad_file(what, "it is stored in Fortran (column-major) order; save a C-order copy with "
                   "np.save(path, np.ascontiguousarray(arr))");

  int64_t count = shape_numel(h.shape, what);
  size_t want = storage_bytes(dtype, count);
  size_t have = size - data_offset;
  if (have < want)
    bad_file(what, cat("it is truncated: ", dtype_name(dtype), shape_str(h.shape), " needs ", want,
                       " bytes of data, the file has ", have));
  if (have > want)
    bad_file(what, cat("it has ", have - want, " bytes after the ", dtype_name(dtype), shape_str(h.shape),
                       " data (not one array per file?)"));

  Tensor t(dtype, h.shape);
  if (want > 0) std::memcpy(t.raw(), bytes + data_offset, want);
  if (dtype == DataType::Bool) {
    auto* b = t.data<uint8_t>();
    for (int64_t i = 0; i < count; ++i) b[i] = b[i] != 0;
  }
  return t;
}

Tensor read_npy(const std::string& path) {
  std::string bytes = read_file_bytes(path);
  return parse_npy(bytes.data(), bytes.size(), path);
}

std::string encode_npy(const Tensor& t) {
  const char* descr = descr_for(t.dtype());
  ONNXI_CHECK(descr != nullptr, ErrorCode::NotImplemented, "cannot save a ", t.describe(),
              " tensor as .npy: numpy has no such dtype (supported: ", kSupported, ")");
  std::string dict = cat("{'descr': '", descr, "', 'fortran_order': False, 'shape': (");
  for (size_t i = 0; i < t.shape().size(); ++i) {
    dict += std::to_string(t.shape()[i]);
    if (i + 1 < t.shape().size() || t.shape().size() == 1) dict += ",";
    if (i + 1 < t.shape().size()) dict += " ";
  }
  dict += "), }";

  // The header (magic, version, length, dict, padding, '\n') ends on a 64-byte boundary.
  auto padded_total = [&](size_t len_bytes) {
    size_t unpadded = kMagicSize + 2 + len_bytes + dict.size() + 1;
    return (unpadded + kHeaderAlignment - 1) / kHeaderAlignment * kHeaderAlignment;
  };
  size_t len_bytes = padded_total(2) - kMagicSize - 4 <= 0xFFFF ? 2 : 4;
  size_t total = padded_total(len_bytes);
  size_t header_len = total - kMagicSize - 2 - len_bytes;
  dict.append(header_len - dict.size() - 1, ' ');
  dict += '\n';

  std::string out(kMagic, kMagicSize);
  out += static_cast<char>(len_bytes == 2 ? 1 : 2);
  out += '\0';
  for (size_t i = 0; i < len_bytes; ++i) out += static_cast<char>((header_len >> (8 * i)) & 0xFF);
  out += dict;
  if (t.nbytes() > 0) out.append(static_cast<const char*>(t.raw()), t.nbytes());
  return out;
}

void write_npy(const Tensor& t, const std::string& path) {
  std::string bytes = encode_npy(t);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  ONNXI_CHECK(f.good(), ErrorCode::Io, "cannot open '", path, "' for writing");
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  ONNXI_CHECK(!f.fail(), ErrorCode::Io, "writing '", path, "' failed (disk full?)");
}

}  // namespace onnxi::cli
