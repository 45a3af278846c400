// Loader and validation: valid models load; each malformed model fails with an onnxi::Error whose
// message names what is wrong.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "onnxi/error.h"
#include "onnxi/loader.h"
#include "onnxi/session.h"
#include "runtime/loader/raw_data_split.h"
#include "tests/unit/proto_writer.h"
#include "tests/unit/test_ops_custom.h"

namespace fs = std::filesystem;
using namespace onnxi;
using namespace onnxi::test;

namespace {

const std::vector<Proto> kOpsets = {opset("", 17), opset(kTestDomain, 12)};

// x -> AddOne -> y
Proto add_one_graph() {
  return Proto()
      .bytes(pb::kGraphName, "g")
      .msg(pb::kGraphNode, node("AddOne", {"x"}, {"y"}, "add", kTestDomain))
      .msg(pb::kGraphInput, value_info("x", 1, {-1, 3}))
      .msg(pb::kGraphOutput, value_info("y", 1, {-1, 3}));
}

Session session_from(const std::string& bytes, const std::string& base_dir = {}) {
  return Session::from_bytes(bytes.data(), bytes.size(), test_options(), base_dir);
}

// Expects creating a session from `bytes` to fail with `code` and a message containing `needle`.
void expect_error(const std::string& bytes, ErrorCode code, const std::string& needle, const std::string& base_dir = {}) {
  try {
    session_from(bytes, base_dir);
    FAIL("expected an error containing: ", needle);
  } catch (const Error& e) {
    CHECK_MESSAGE(e.code() == code, "code ", error_code_name(e.code()), ": ", e.what());
    CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, e.what());
  }
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("onnxi_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  void write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path / name, std::ios::binary) << bytes;
  }
};

// y = x + w, where w is stored externally with the given external_data entries.
std::string external_model(const std::vector<std::pair<std::string, std::string>>& entries) {
  Proto w;
  w.varint(pb::kTensorDims, 3).varint(pb::kTensorDataType, 1).bytes(pb::kTensorName, "w");
  for (const auto& [k, v] : entries) w.msg(pb::kTensorExternalData, Proto().bytes(1, k).bytes(2, v));
  w.varint(pb::kTensorDataLocation, 1);
  Proto g = Proto()
                .bytes(pb::kGraphName, "g")
                .msg(pb::kGraphNode, node("AddOne", {"w"}, {"y"}, "add", kTestDomain))
                .msg(pb::kGraphInitializer, w)
                .msg(pb::kGraphOutput, value_info("y", 1, {3}));
  return model_bytes(g, kOpsets);
}

std::string weights_file() {
  std::vector<float> v = {1.f, 2.f, 3.f, 4.f, 5.f, 6.f};
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

}  // namespace

TEST_CASE("loader: a valid model runs and reports its inputs and outputs") {
  Session s = session_from(model_bytes(add_one_graph(), kOpsets));
  REQUIRE(s.inputs().size() == 1);
  CHECK(s.inputs()[0].name == "x");
  CHECK(s.inputs()[0].type.str() == "float32[N,3]");
  CHECK(s.outputs()[0].type.str() == "float32[N,3]");
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto out = s.run({{"x", x}});
  REQUIRE(out.size() == 1);
  CHECK(out[0].tensor().to_float_vector() == std::vector<float>{2, 3, 4, 5, 6, 7});
}

TEST_CASE("loader: initializers from raw_data and typed fields, sparse initializers") {
  Proto typed;
  typed.varint(pb::kTensorDims, 2).varint(pb::kTensorDataType, 1).bytes(pb::kTensorName, "a");
  typed.f32(pb::kTensorFloatData, 1.5f).f32(pb::kTensorFloatData, -2.f);
  Proto values = float_tensor("s", {2}, {7.f, 9.f});
  Proto indices;
  indices.varint(pb::kTensorDims, 2).varint(pb::kTensorDataType, 7).varint(pb::kTensorInt64Data, 1).varint(pb::kTensorInt64Data, 3);
  Proto sparse = Proto().msg(pb::kSparseValues, values).msg(pb::kSparseIndices, indices).varint(pb::kSparseDims, 4);
  Proto g = Proto()
                .bytes(pb::kGraphName, "g")
                .msg(pb::kGraphNode, node("AddOne", {"a"}, {"y"}, "n1", kTestDomain))
                .msg(pb::kGraphNode, node("AddOne", {"s"}, {"z"}, "n2", kTestDomain))
                .msg(pb::kGraphInitializer, typed)
                .msg(pb::kGraphSparseInitializer, sparse)
                .msg(pb::kGraphOutput, value_info("y", 1, {2}))
                .msg(pb::kGraphOutput, value_info("z", 1, {4}));
  auto out = session_from(model_bytes(g, kOpsets)).run({});
  CHECK(out[0].tensor().to_float_vector() == std::vector<float>{2.5f, -1.f});
  CHECK(out[1].tensor().to_float_vector() == std::vector<float>{1.f, 8.f, 1.f, 10.f});
}

TEST_CASE("loader: large raw_data initializers are adopted whole, from bytes and from a mapped file") {
  // 3000 floats (12 KB, above the adopt threshold) beside 3 (below it): both must read back exactly.
  std::vector<float> big(3000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i) * 0.25f - 100.f;
  Proto g = Proto()
                .bytes(pb::kGraphName, "g")
                .msg(pb::kGraphNode, node("AddOne", {"big"}, {"y"}, "n1", kTestDomain))
                .msg(pb::kGraphNode, node("AddOne", {"small"}, {"z"}, "n2", kTestDomain))
                .msg(pb::kGraphInitializer, float_tensor("big", {3000}, big))
                .msg(pb::kGraphInitializer, float_tensor("small", {3}, {1.f, 2.f, 3.f}))
                .msg(pb::kGraphOutput, value_info("y", 1, {3000}))
                .msg(pb::kGraphOutput, value_info("z", 1, {3}));
  const std::string bytes = model_bytes(g, kOpsets);
  std::vector<float> expected(big.size());
  for (size_t i = 0; i < big.size(); ++i) expected[i] = big[i] + 1.f;
  auto out = session_from(bytes).run({});
  CHECK(out[0].tensor().to_float_vector() == expected);
  CHECK(out[1].tensor().to_float_vector() == std::vector<float>{2.f, 3.f, 4.f});
  TempDir dir;
  dir.write("m.onnx", bytes);
  Session s = Session::from_file((dir.path / "m.onnx").string(), test_options());
  fs::remove(dir.path / "m.onnx");  // the session must not depend on the file after loading
  auto out2 = s.run({});
  CHECK(out2[0].tensor().to_float_vector() == expected);
  // A truncated file is still a clear parse error, not a crash in the mapped read.
  dir.write("cut.onnx", bytes.substr(0, bytes.size() / 2));
  CHECK_THROWS_AS(Session::from_file((dir.path / "cut.onnx").string(), test_options()), Error);
}

TEST_CASE("loader: large initializers split off before parsing read back exactly") {
  // Over 1 MiB, so load_model_bytes splits the payloads off: a big and a small raw_data tensor, a
  // typed-field one, and one whose raw_data size lies (the same error as an unsplit model).
  std::vector<float> big(300000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i % 1000) * 0.5f - 7.f;
  Proto typed;
  typed.varint(pb::kTensorDims, 2).varint(pb::kTensorDataType, 1).bytes(pb::kTensorName, "typed");
  typed.f32(pb::kTensorFloatData, 1.5f).f32(pb::kTensorFloatData, -2.f);
  auto graph = [&](const Proto& extra) {
    return Proto()
        .bytes(pb::kGraphName, "g")
        .msg(pb::kGraphNode, node("AddOne", {"big"}, {"y"}, "n1", kTestDomain))
        .msg(pb::kGraphNode, node("AddOne", {"small"}, {"z"}, "n2", kTestDomain))
        .msg(pb::kGraphNode, node("AddOne", {"typed"}, {"t"}, "n3", kTestDomain))
        .msg(pb::kGraphInitializer, float_tensor("big", {300000}, big))
        .msg(pb::kGraphInitializer, float_tensor("small", {3}, {1.f, 2.f, 3.f}))
        .msg(pb::kGraphInitializer, typed)
        .msg(pb::kGraphInitializer, extra)
        .msg(pb::kGraphOutput, value_info("y", 1, {300000}))
        .msg(pb::kGraphOutput, value_info("z", 1, {3}))
        .msg(pb::kGraphOutput, value_info("t", 1, {2}));
  };
  const std::string bytes = model_bytes(graph(float_tensor("unused", {2048}, std::vector<float>(2048, 3.f))), kOpsets);
  REQUIRE(bytes.size() > (size_t{1} << 20));
  loader::SplitModel split;
  REQUIRE(loader::split_raw_data(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 4096, split));
  REQUIRE(split.initializer_raw.size() == 4);
  CHECK(split.initializer_raw[0].present);
  CHECK(split.initializer_raw[0].size == big.size() * 4);
  CHECK(std::memcmp(bytes.data() + split.initializer_raw[0].offset, big.data(), big.size() * 4) == 0);
  CHECK_FALSE(split.initializer_raw[1].present);  // below the threshold: protobuf copies it
  CHECK_FALSE(split.initializer_raw[2].present);
  CHECK(split.initializer_raw[3].present);
  CHECK(split.stripped.size() < bytes.size() - big.size() * 4);

  auto out = session_from(bytes).run({});
  std::vector<float> expected(big.size());
  for (size_t i = 0; i < big.size(); ++i) expected[i] = big[i] + 1.f;
  CHECK(out[0].tensor().to_float_vector() == expected);
  CHECK(out[1].tensor().to_float_vector() == std::vector<float>{2.f, 3.f, 4.f});
  CHECK(out[2].tensor().to_float_vector() == std::vector<float>{2.5f, -1.f});

  Proto lying;
  lying.varint(pb::kTensorDims, 3).varint(pb::kTensorDataType, 1).bytes(pb::kTensorName, "lying");
  lying.bytes(pb::kTensorRawData, std::string(8192, '\0'));
  expect_error(model_bytes(graph(lying), kOpsets), ErrorCode::InvalidModel, "raw_data has 8192 bytes but float32[3] needs 12");
}

TEST_CASE("loader: the raw_data splitter leaves unusual bytes to protobuf") {
  const std::string payload(5000, 'x');
  Proto t;
  t.varint(pb::kTensorDims, 1250).varint(pb::kTensorDataType, 1).bytes(pb::kTensorName, "w").bytes(pb::kTensorRawData, payload);
  const Proto g = Proto().bytes(pb::kGraphName, "g").msg(pb::kGraphInitializer, t);
  auto split = [](const std::string& b) {
    loader::SplitModel s;
    return loader::split_raw_data(reinterpret_cast<const uint8_t*>(b.data()), b.size(), 4096, s);
  };
  const std::string good = model_bytes(g, kOpsets);
  CHECK(split(good));
  CHECK_FALSE(split(good.substr(0, good.size() - 1)));  // truncated
  CHECK_FALSE(split(good + good));                      // the graph field twice (protobuf merges them)
  CHECK_FALSE(split(std::string()));
  Proto no_graph;
  no_graph.varint(pb::kModelIrVersion, 9);
  CHECK_FALSE(split(no_graph.str()));
  // raw_data twice in one tensor: protobuf keeps the last, so the tensor is left whole.
  Proto twice = t;
  twice.bytes(pb::kTensorRawData, payload);
  loader::SplitModel s;
  const std::string b = model_bytes(Proto().msg(pb::kGraphInitializer, twice), kOpsets);
  REQUIRE(loader::split_raw_data(reinterpret_cast<const uint8_t*>(b.data()), b.size(), 4096, s));
  REQUIRE(s.initializer_raw.size() == 1);
  CHECK_FALSE(s.initializer_raw[0].present);
  CHECK(s.stripped == b);
}

TEST_CASE("loader: external data is read relative to the model's folder") {
  TempDir dir;
  dir.write("w.bin", weights_file());
  auto out = session_from(external_model({{"location", "w.bin"}, {"offset", "12"}, {"length", "12"}}), dir.path.string()).run({});
  CHECK(out[0].tensor().to_float_vector() == std::vector<float>{5.f, 6.f, 7.f});
  // Through a file on disk as well, with the weights at offset 0 (mapped without a copy).
  dir.write("m.onnx", external_model({{"location", "w.bin"}}));
  auto out2 = Session::from_file((dir.path / "m.onnx").string(), test_options()).run({});
  CHECK(out2[0].tensor().to_float_vector() == std::vector<float>{2.f, 3.f, 4.f});
}

TEST_CASE("loader: model-local functions are inlined with attribute defaults") {
  // Twice(x) = AddOne(AddOne(x, amount=step), amount=step), step defaults to 10.
  Proto step_ref = Proto().bytes(pb::kAttrName, "amount").bytes(pb::kAttrRefAttrName, "step").varint(pb::kAttrType, 1);
  Proto body1 = node("AddOne", {"a"}, {"t"}, "first", kTestDomain);
  body1.msg(pb::kNodeAttribute, step_ref);
  Proto body2 = node("AddOne", {"t"}, {"b"}, "second", kTestDomain);
  body2.msg(pb::kNodeAttribute, step_ref);
  Proto fn = Proto()
                 .bytes(pb::kFuncName, "Twice")
                 .bytes(pb::kFuncDomain, "my.funcs")
                 .bytes(pb::kFuncInput, "a")
                 .bytes(pb::kFuncOutput, "b")
                 .msg(pb::kFuncNode, body1)
                 .msg(pb::kFuncNode, body2)
                 .msg(pb::kFuncOpsetImport, opset(kTestDomain, 12))
                 .msg(pb::kFuncAttributeProto, Proto().bytes(pb::kAttrName, "step").f32(pb::kAttrF, 10.f).varint(pb::kAttrType, 1));
  Proto call_default = node("Twice", {"x"}, {"y"}, "call1", "my.funcs");
  Proto call_set = node("Twice", {"x"}, {"z"}, "call2", "my.funcs");
  call_set.msg(pb::kNodeAttribute, Proto().bytes(pb::kAttrName, "step").f32(pb::kAttrF, 0.5f).varint(pb::kAttrType, 1));
  Proto g = Proto()
                .bytes(pb::kGraphName, "g")
                .msg(pb::kGraphNode, call_default)
                .msg(pb::kGraphNode, call_set)
                .msg(pb::kGraphInput, value_info("x", 1, {1}))
                .msg(pb::kGraphOutput, value_info("y", 1, {1}))
                .msg(pb::kGraphOutput, value_info("z", 1, {1}));
  auto ops = kOpsets;
  ops.push_back(opset("my.funcs", 1));
  auto out = session_from(model_bytes(g, ops, {fn})).run({{"x", Tensor::from_vector<float>({1.f}, {1})}});
  CHECK(out[0].tensor().to_float_vector() == std::vector<float>{21.f});
  CHECK(out[1].tensor().to_float_vector() == std::vector<float>{2.f});
}

TEST_CASE("loader: malformed models fail with a clear error") {
  const std::string good = model_bytes(add_one_graph(), kOpsets);

  SUBCASE("empty file") { expect_error("", ErrorCode::InvalidModel, "could not be parsed"); }
  SUBCASE("truncated file") { expect_error(good.substr(0, good.size() / 2), ErrorCode::InvalidModel, "could not be parsed"); }
  SUBCASE("not protobuf") { expect_error("\xff\xff\xff\xff garbage", ErrorCode::InvalidModel, "could not be parsed"); }
  SUBCASE("no graph") {
    expect_error(Proto().varint(pb::kModelIrVersion, 9).msg(pb::kModelOpsetImport, opset("", 17)).str(), ErrorCode::InvalidModel, "no graph");
  }
  SUBCASE("bad dtype") {
    Proto t = float_tensor("w", {1}, {1.f});
    t.varint(pb::kTensorDataType, 99);
    Proto g = add_one_graph().msg(pb::kGraphInitializer, t);
    expect_error(model_bytes(g, kOpsets), ErrorCode::InvalidModel, "invalid data_type 99");
  }
  SUBCASE("raw_data size does not match the shape") {
    Proto g = add_one_graph().msg(pb::kGraphInitializer, float_tensor("w", {4}, {1.f, 2.f}));
    expect_error(model_bytes(g, kOpsets), ErrorCode::InvalidModel, "raw_data has 8 bytes but float32[4] needs 16");
  }
  SUBCASE("typed field count does not match the shape") {
    Proto t;
    t.varint(pb::kTensorDims, 3).varint(pb::kTensorDataType, 7).bytes(pb::kTensorName, "w").varint(pb::kTensorInt64Data, 1);
    expect_error(model_bytes(add_one_graph().msg(pb::kGraphInitializer, t), kOpsets), ErrorCode::InvalidModel,
                 "int64_data holds 1 values");
  }
  SUBCASE("negative dimension") {
    Proto t;
    t.varint(pb::kTensorDims, static_cast<uint64_t>(-2)).varint(pb::kTensorDataType, 1).bytes(pb::kTensorName, "w");
    expect_error(model_bytes(add_one_graph().msg(pb::kGraphInitializer, t), kOpsets), ErrorCode::InvalidModel, "negative dimension");
  }
  SUBCASE("shape product overflows") {
    Proto t;
    t.varint(pb::kTensorDims, 1ull << 40).varint(pb::kTensorDims, 1ull << 40).varint(pb::kTensorDataType, 1).bytes(pb::kTensorName, "w");
    expect_error(model_bytes(add_one_graph().msg(pb::kGraphInitializer, t), kOpsets), ErrorCode::InvalidModel, "more elements than fit");
  }
  SUBCASE("string tensor with raw_data") {
    Proto t;
    t.varint(pb::kTensorDims, 1).varint(pb::kTensorDataType, 8).bytes(pb::kTensorName, "w").bytes(pb::kTensorRawData, "abcd");
    expect_error(model_bytes(add_one_graph().msg(pb::kGraphInitializer, t), kOpsets), ErrorCode::InvalidModel, "cannot use raw_data");
  }
  SUBCASE("duplicate initializer") {
    Proto g = add_one_graph().msg(pb::kGraphInitializer, float_tensor("w", {1}, {1.f})).msg(pb::kGraphInitializer, float_tensor("w", {1}, {2.f}));
    expect_error(model_bytes(g, kOpsets), ErrorCode::InvalidModel, "initializer 'w' is defined twice");
  }
  SUBCASE("undefined input") {
    Proto g = Proto()
                  .msg(pb::kGraphNode, node("AddOne", {"nowhere"}, {"y"}, "add", kTestDomain))
                  .msg(pb::kGraphOutput, value_info("y", 1, {1}));
    expect_error(model_bytes(g, kOpsets), ErrorCode::InvalidModel, "node 'add' (test.onnxi.AddOne): input 'nowhere' is not");
  }
  SUBCASE("duplicate output") {
    Proto g = add_one_graph().msg(pb::kGraphNode, node("AddOne", {"x"}, {"y"}, "again", kTestDomain));
    expect_error(model_bytes(g, kOpsets), ErrorCode::InvalidModel, "output 'y' is also produced by");
  }
  SUBCASE("output shadows a graph input") {
    Proto g = add_one_graph().msg(pb::kGraphNode, node("AddOne", {"y"}, {"x"}, "shadow", kTestDomain));
    expect_error(model_bytes(g, kOpsets), ErrorCode::InvalidModel, "has the name of a graph input");
  }
  SUBCASE("cycle") {
    Proto g = Proto()
                  .bytes(pb::kGraphName, "loopy")
                  .msg(pb::kGraphNode, node("AddOne", {"b"}, {"a"}, "n1", kTestDomain))
                  .msg(pb::kGraphNode, node("AddOne", {"a"}, {"b"}, "n2", kTestDomain))
                  .msg(pb::kGraphOutput, value_info("b", 1, {1}));
    expect_error(model_bytes(g, kOpsets), ErrorCode::InvalidModel, "graph 'loopy' has a cycle through node 'n1'");
  }
  SUBCASE("graph output nobody produces") {
    Proto g = add_one_graph().msg(pb::kGraphOutput, value_info("ghost", 1, {1}));
    expect_error(model_bytes(g, kOpsets), ErrorCode::InvalidModel, "graph output 'ghost' is not produced");
  }
  SUBCASE("unknown op") {
    Proto g = Proto()
                  .msg(pb::kGraphNode, node("FrobnicateXYZ", {"x"}, {"y"}, "frob"))
                  .msg(pb::kGraphInput, value_info("x", 1, {1}))
                  .msg(pb::kGraphOutput, value_info("y", 1, {1}));
    expect_error(model_bytes(g, kOpsets), ErrorCode::NotImplemented, "node 'frob' (FrobnicateXYZ): onnxi does not implement op 'FrobnicateXYZ'");
  }
  SUBCASE("opset older than the op") {
    Proto g = Proto()
                  .msg(pb::kGraphNode, node("Since10", {"x"}, {"y"}, "old", kTestDomain))
                  .msg(pb::kGraphInput, value_info("x", 1, {1}))
                  .msg(pb::kGraphOutput, value_info("y", 1, {1}));
    expect_error(model_bytes(g, {opset("", 17), opset(kTestDomain, 9)}), ErrorCode::NotImplemented,
                 "implements Since10 for opset versions 10+ of 'test.onnxi', not version 9");
  }
  SUBCASE("domain not imported") {
    expect_error(model_bytes(add_one_graph(), {opset("", 17)}), ErrorCode::InvalidModel,
                 "does not import an opset for domain 'test.onnxi'");
  }
  SUBCASE("wrong attribute type") {
    Proto n = node("AddOne", {"x"}, {"y"}, "typed", kTestDomain);
    n.msg(pb::kNodeAttribute, Proto().bytes(pb::kAttrName, "amount").bytes(pb::kAttrS, "one").varint(pb::kAttrType, 3));
    Proto g = Proto().msg(pb::kGraphNode, n).msg(pb::kGraphInput, value_info("x", 1, {1})).msg(pb::kGraphOutput, value_info("y", 1, {1}));
    expect_error(model_bytes(g, kOpsets), ErrorCode::InvalidModel, "attribute 'amount' must be of type float, got string");
  }
  SUBCASE("external data from bytes without a folder") {
    expect_error(external_model({{"location", "w.bin"}}), ErrorCode::InvalidModel, "loaded from bytes");
  }
}

TEST_CASE("loader: external data that escapes, lies or is missing is rejected") {
  TempDir dir;
  dir.write("w.bin", weights_file());
  const std::string base = dir.path.string();
  SUBCASE("absolute path") {
    expect_error(external_model({{"location", (dir.path / "w.bin").string()}}), ErrorCode::InvalidModel, "is absolute", base);
  }
  SUBCASE("'..' escape") { expect_error(external_model({{"location", "../w.bin"}}), ErrorCode::InvalidModel, "leaves the model's folder", base); }
  SUBCASE("symlink that leaves the folder") {
    TempDir other;
    other.write("secret.bin", weights_file());
    fs::create_symlink(other.path / "secret.bin", dir.path / "link.bin");
    expect_error(external_model({{"location", "link.bin"}}), ErrorCode::InvalidModel, "outside the model's folder", base);
  }
  SUBCASE("unknown key") {
    expect_error(external_model({{"location", "w.bin"}, {"colour", "red"}}), ErrorCode::InvalidModel, "unknown external data key 'colour'", base);
  }
  SUBCASE("negative offset") { expect_error(external_model({{"location", "w.bin"}, {"offset", "-4"}}), ErrorCode::InvalidModel, "is negative", base); }
  SUBCASE("range past the end") {
    expect_error(external_model({{"location", "w.bin"}, {"offset", "20"}, {"length", "12"}}), ErrorCode::InvalidModel, "past the end", base);
  }
  SUBCASE("length that does not match the shape") {
    expect_error(external_model({{"location", "w.bin"}, {"length", "8"}}), ErrorCode::InvalidModel, "does not match float32[3]", base);
  }
  SUBCASE("offset that is not a number") {
    expect_error(external_model({{"location", "w.bin"}, {"offset", "12abc"}}), ErrorCode::InvalidModel, "is not an integer", base);
  }
  SUBCASE("missing file") { expect_error(external_model({{"location", "nope.bin"}}), ErrorCode::InvalidModel, "not found", base); }
}

TEST_CASE("loader: a missing model file is an I/O error naming the path") {
  try {
    Session::from_file("/nonexistent/model.onnx");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::Io);
    CHECK(std::string(e.what()).find("/nonexistent/model.onnx") != std::string::npos);
  }
}
