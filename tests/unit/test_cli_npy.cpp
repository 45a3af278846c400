// The .npy reader/writer of the onnxi command (runtime/cli/npy.cpp).
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "onnxi/error.h"
#include "runtime/cli/npy.h"

using onnxi::DataType;
using onnxi::Shape;
using onnxi::Tensor;
using onnxi::cli::encode_npy;
using onnxi::cli::parse_npy;

namespace {

// A .npy file as numpy writes it: magic, version, little-endian header length, dict, data.
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  std::string header = dict + "\n";
  size_t len = header.size();
  int len_bytes = major == 1 ? 2 : 4;
  for (int i = 0; i < len_bytes; ++i) out += static_cast<char>((len >> (8 * i)) & 0xFF);
  return out + header + data;
}

std::string raw(const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); }

Tensor parse(const std::string& bytes) { return parse_npy(bytes.data(), bytes.size(), "test.npy"); }

std::string error_of(const std::string& bytes) {
  try {
    parse(bytes);
  } catch (const onnxi::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("npy: round trip of every supported dtype keeps dtype, shape and bytes") {
  const DataType types[] = {DataType::Float16, DataType::Float,  DataType::Double, DataType::Int8,
                            DataType::Int16,   DataType::Int32,  DataType::Int64,  DataType::UInt8,
                            DataType::UInt16,  DataType::UInt32, DataType::UInt64, DataType::Bool};
  const Shape shapes[] = {{}, {5}, {2, 3}, {2, 0, 4}, {1, 2, 3, 4}};
  for (DataType dt : types) {
    for (const Shape& shape : shapes) {
      CAPTURE(onnxi::dtype_name(dt));
      CAPTURE(onnxi::shape_str(shape));
      Tensor t(dt, shape);
      auto* bytes = static_cast<uint8_t*>(t.raw());
      for (size_t i = 0; i < t.nbytes(); ++i) bytes[i] = dt == DataType::Bool ? (i % 3 == 0) : static_cast<uint8_t>(i * 37 + 11);
      std::string file = encode_npy(t);
      CHECK((file.size() - t.nbytes()) % 64 == 0);  // data starts on a 64-byte boundary
      Tensor back = parse(file);
      CHECK(back.dtype() == dt);
      CHECK(back.shape() == shape);
      REQUIRE(back.nbytes() == t.nbytes());
      CHECK(std::memcmp(back.raw(), t.raw(), t.nbytes()) == 0);
    }
  }
}

TEST_CASE("npy: the writer's header is what numpy writes") {
  Tensor t = Tensor::from_vector<float>({1.5f, -2.f, 3.25f}, {3});
  std::string file = encode_npy(t);
  CHECK(file.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  size_t header_len = static_cast<uint8_t>(file[8]) | (static_cast<uint8_t>(file[9]) << 8);
  CHECK(header_len == 118);
  std::string dict = file.substr(10, header_len);
  CHECK(dict.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 0) == 0);
  CHECK(dict.back() == '\n');
  CHECK(encode_npy(Tensor(DataType::Int64, {2, 3})).find("'shape': (2, 3), }") != std::string::npos);
  CHECK(encode_npy(Tensor(DataType::Bool, {})).find("'descr': '|b1'") != std::string::npos);
  CHECK(encode_npy(Tensor(DataType::Bool, {})).find("'shape': (), }") != std::string::npos);
}

TEST_CASE("npy: reads version 2.0 and 3.0 headers and numpy's spelling variants") {
  int32_t v[] = {7, -8, 9, 10};
  for (int major : {2, 3}) {
    Tensor t = parse(npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", raw(v, 16), major));
    CHECK(t.dtype() == DataType::Int32);
    CHECK(t.shape() == Shape{2, 2});
    CHECK(t.data<int32_t>()[1] == -8);
    CHECK(t.data<int32_t>()[3] == 10);
  }
  // Key order, double quotes, no trailing comma, Python 2 long dims.
  double d[] = {0.5, 0.25};
  Tensor t = parse(npy_bytes("{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<f8\"}", raw(d, 16)));
  CHECK(t.dtype() == DataType::Double);
  CHECK(t.data<double>()[1] == 0.25);
  // One-byte types are byte-order free; '>' or '|' are both fine there. Bools read as 0/1.
  uint8_t b[] = {0, 2, 1};
  Tensor bt = parse(npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", raw(b, 3)));
  CHECK(bt.data<uint8_t>()[1] == 1);
  CHECK(parse(npy_bytes("{'descr': '>i1', 'fortran_order': False, 'shape': (3,), }", raw(b, 3))).dtype() ==
        DataType::Int8);
  // Fortran order is the same layout when at most one dim is longer than 1.
  CHECK(parse(npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (1, 2), }", raw(d, 16))).shape() ==
        Shape{1, 2});
}

TEST_CASE("npy: clear errors for what onnxi cannot read") {
  float f[] = {1, 2, 3, 4, 5, 6};
  auto with = [&](const std::string& dict, size_t bytes = 24) { return error_of(npy_bytes(dict, raw(f, bytes))); };

  std::string fortran = with("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }");
  CHECK(fortran.find("test.npy") != std::string::npos);
  CHECK(fortran.find("Fortran") != std::string::npos);
  CHECK(fortran.find("ascontiguousarray") != std::string::npos);

  std::string big = with("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }");
  CHECK(big.find("big-endian") != std::string::npos);

  for (const char* descr : {"<c8", "<U3", "|O", "<M8[ns]", "<f16", "<V4"}) {
    CAPTURE(descr);
    std::string e = with(std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (2, 3), }");
    CHECK(e.find("not supported") != std::string::npos);
    CHECK(e.find(descr) != std::string::npos);
  }
  CHECK(with("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }").find("structured") !=
        std::string::npos);

  CHECK(with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20).find("truncated") != std::string::npos);
  CHECK(with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }").find("8 bytes after") != std::string::npos);
  CHECK(with("{'descr': '<f4', 'shape': (2, 3), }").find("lacks") != std::string::npos);
  CHECK(with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }").find("dimension") != std::string::npos);
  CHECK(with("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3), }").find("True or False") != std::string::npos);
  CHECK(with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}").find("unexpected header key") !=
        std::string::npos);
  CHECK(with("{'descr': '<f4, 'fortran_order': False}").find("header") != std::string::npos);

  CHECK(error_of("PK\x03\x04 not npy at all").find("magic") != std::string::npos);
  CHECK(error_of(std::string("\x93NUMPY\x04\x00\x10\x00", 10)).find("version 4.0") != std::string::npos);
  std::string lying = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", raw(f, 4));
  lying[8] = '\xff';
  lying[9] = '\x7f';
  CHECK(error_of(lying).find("header says") != std::string::npos);
  CHECK(error_of(std::string("\x93NUMPY", 6)).find("magic") != std::string::npos);
}

TEST_CASE("npy: the writer refuses dtypes numpy has no .npy code for") {
  for (DataType dt : {DataType::BFloat16, DataType::String, DataType::Float8E4M3FN, DataType::Int4,
                      DataType::Complex64}) {
    CAPTURE(onnxi::dtype_name(dt));
    CHECK_FALSE(onnxi::cli::npy_supports(dt));
    CHECK_THROWS_AS(encode_npy(Tensor(dt, {2})), onnxi::Error);
  }
  CHECK(onnxi::cli::npy_supports(DataType::Float16));
}

TEST_CASE("npy: a header longer than 64 KiB is written as version 2.0 and read back") {
  Shape shape(22000, 1);  // "1, " per dim: a 66 KB header
  Tensor t(DataType::UInt8, shape);
  t.data<uint8_t>()[0] = 42;
  std::string file = encode_npy(t);
  CHECK(file[6] == 2);
  CHECK((file.size() - 1) % 64 == 0);
  Tensor back = parse(file);
  CHECK(back.rank() == 22000);
  CHECK(back.data<uint8_t>()[0] == 42);
}
