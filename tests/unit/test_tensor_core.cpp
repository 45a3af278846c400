// Tensors, values and element types.
#include <doctest/doctest.h>

#include <cstdint>

#include "onnxi/error.h"
#include "onnxi/value.h"

using namespace onnxi;

TEST_CASE("dtype: names, sizes and packed storage") {
  CHECK(std::string(dtype_name(DataType::Float)) == "float32");
  CHECK(parse_dtype("float8e4m3fn") == DataType::Float8E4M3FN);
  CHECK(parse_dtype("nonsense") == std::nullopt);
  CHECK(storage_bytes(DataType::Float, 3) == 12);
  CHECK(storage_bytes(DataType::Int4, 3) == 2);
  CHECK(storage_bytes(DataType::UInt2, 5) == 2);
  CHECK(storage_bytes(DataType::Float4E2M1, 1) == 1);
  CHECK(is_packed(DataType::Int4));
  CHECK_FALSE(is_packed(DataType::Int8));
  CHECK(is_floating(DataType::BFloat16));
  CHECK(is_signed_integer(DataType::Int2));
  CHECK(is_integer(DataType::UInt4));
  CHECK_FALSE(is_valid_dtype(0));
  CHECK_FALSE(is_valid_dtype(kMaxDataType + 1));
}

TEST_CASE("tensor: aligned zeroed buffers, views and clones") {
  Tensor t(DataType::Float, {2, 3});
  CHECK(reinterpret_cast<uintptr_t>(t.raw()) % kTensorAlignment == 0);
  CHECK(t.numel() == 6);
  CHECK(t.nbytes() == 24);
  for (int i = 0; i < 6; ++i) CHECK(t.data<float>()[i] == 0.f);
  Tensor v = t.reshaped({3, 2});
  v.data<float>()[0] = 5.f;
  CHECK(t.data<float>()[0] == 5.f);  // a view shares the buffer
  Tensor c = t.clone();
  c.data<float>()[0] = 7.f;
  CHECK(t.data<float>()[0] == 5.f);  // a clone does not
  CHECK(t.describe() == "float32[2,3]");
  CHECK_THROWS_AS(t.reshaped({4}), Error);
  Tensor s(DataType::String, {2});
  s.data<std::string>()[1] = "hello";
  CHECK(s.clone().data<std::string>()[1] == "hello");
  Tensor empty(DataType::Float, {0, 5});
  CHECK(empty.numel() == 0);
}

TEST_CASE("tensor: shapes are checked") {
  CHECK_THROWS_AS(Tensor(DataType::Float, {-1}), Error);
  CHECK_THROWS_AS(Tensor(DataType::Float, {int64_t{1} << 40, int64_t{1} << 40}), Error);
  CHECK(shape_numel({}) == 1);
  CHECK(shape_str({1, 2}) == "[1,2]");
}

TEST_CASE("tensor: integer conversions for index inputs") {
  Tensor t = Tensor::from_vector<int32_t>({-1, 5, 7}, {3});
  CHECK(t.to_int64_vector() == std::vector<int64_t>{-1, 5, 7});
  CHECK_THROWS_AS(Tensor::from_vector<float>({1.f}, {1}).to_int64_vector(), Error);
}

TEST_CASE("value: sequences, optionals and maps") {
  Value seq = Value::sequence(DataType::Float, {Value(Tensor(DataType::Float, {1})), Value(Tensor(DataType::Float, {2}))});
  CHECK(seq.is_sequence());
  CHECK(seq.items().size() == 2);
  CHECK(seq.describe() == "seq<float32>[2]");
  Value none = Value::optional_empty();
  CHECK(none.is_optional());
  CHECK_FALSE(none.optional_has_value());
  Value some = Value::optional_of(Value(Tensor::scalar_f32(3.f)));
  CHECK(some.optional_has_value());
  CHECK(some.optional_value().tensor().data<float>()[0] == 3.f);
  CHECK_THROWS_AS(seq.tensor(), Error);
  Value m = Value::map(Tensor::from_vector<int64_t>({1, 2}, {2}), Value(Tensor(DataType::Float, {2})));
  CHECK(m.is_map());
}

TEST_CASE("large buffers are recycled: a new tensor is zero-filled even on a reused buffer") {
  const Shape shape{512, 1024};  // 2 MiB: served by the buffer cache
  const float* first = nullptr;
  {
    Tensor t(DataType::Float, shape);
    first = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 7.f;
  }
  Tensor again(DataType::Float, shape);
  bool all_zero = true;
  for (int64_t i = 0; i < again.numel(); ++i) all_zero = all_zero && again.data<float>()[i] == 0.f;
  CHECK(all_zero);
  MESSAGE("buffer reused: " << (again.data<float>() == first));
  Tensor raw = Tensor::uninitialized(DataType::Float, shape);
  CHECK(raw.numel() == 512 * 1024);
  CHECK(raw.nbytes() == 2 * 1024 * 1024);
  CHECK(reinterpret_cast<uintptr_t>(raw.raw()) % 64 == 0);
  Tensor strings = Tensor::uninitialized(DataType::String, {2});
  CHECK(strings.data<std::string>()[1].empty());
}
