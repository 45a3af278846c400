// The output comparison of `onnxi conformance` (runtime/cli/compare.cpp): onnx backend-runner rules.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "onnxi/float_types.h"
#include "runtime/cli/compare.h"

using onnxi::DataType;
using onnxi::Tensor;
using onnxi::Value;
using onnxi::cli::compare_tensors;
using onnxi::cli::compare_values;
using onnxi::cli::Tolerance;

namespace {

const Tolerance kDefault{1e-3, 1e-7};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string diff_f64(double actual, double expected, Tolerance tol = kDefault) {
  return compare_tensors(Tensor::from_vector<double>({actual}, {1}), Tensor::from_vector<double>({expected}, {1}), tol,
                         "y");
}

bool same_f64(double actual, double expected, Tolerance tol = kDefault) { return diff_f64(actual, expected, tol).empty(); }

}  // namespace

TEST_CASE("compare: floats pass within atol + rtol * |expected| and fail just outside") {
  // The bound is asymmetric: relative to the expected value, as numpy's assert_allclose.
  CHECK(same_f64(100.0999, 100.0));   // |diff| 0.0999 <= 1e-7 + 0.1
  CHECK_FALSE(same_f64(100.1001, 100.0));
  CHECK(same_f64(1e-7, 0.0));         // atol alone at expected 0
  CHECK_FALSE(same_f64(2e-7, 0.0));
  CHECK(same_f64(-3.0029, -3.0));
  CHECK_FALSE(same_f64(-3.0031, -3.0));
  CHECK(same_f64(1.5, 1.0, Tolerance{0.5, 0.0}));
  CHECK_FALSE(same_f64(1.5001, 1.0, Tolerance{0.5, 0.0}));
}

TEST_CASE("compare: NaN equals NaN, infinities must match exactly") {
  CHECK(same_f64(kNaN, kNaN));
  CHECK_FALSE(same_f64(kNaN, 1.0));
  CHECK_FALSE(same_f64(1.0, kNaN));
  CHECK(same_f64(kInf, kInf));
  CHECK(same_f64(-kInf, -kInf));
  CHECK_FALSE(same_f64(kInf, -kInf));
  CHECK_FALSE(same_f64(1e308, kInf, Tolerance{1.0, 1.0}));
  CHECK_FALSE(same_f64(kInf, 1e308, Tolerance{1.0, 1.0}));
  CHECK_FALSE(same_f64(kNaN, kInf));
}

TEST_CASE("compare: the message names the output, count, first index, both values and the tolerance") {
  Tensor e = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor a = Tensor::from_vector<float>({1, 2.5f, 3, 4, 5, 7}, {2, 3});
  CHECK(compare_tensors(a, e, kDefault, "output 'y'") ==
        "output 'y': 2 of 6 values differ, first at [0,1]: actual 2.5 vs expected 2 (rtol 0.001, atol 1e-07)");
  CHECK(compare_tensors(e, e, kDefault, "output 'y'").empty());
  Tensor scalar_a = Tensor::from_vector<int32_t>({3}, {});
  Tensor scalar_e = Tensor::from_vector<int32_t>({4}, {});
  CHECK(compare_tensors(scalar_a, scalar_e, kDefault, "z") == "z: 1 of 1 values differ: actual 3 vs expected 4");
}

TEST_CASE("compare: dtype and shape must match exactly") {
  Tensor f32 = Tensor::from_vector<float>({1, 2}, {2});
  Tensor f64 = Tensor::from_vector<double>({1, 2}, {2});
  CHECK(compare_tensors(f32, f64, kDefault, "y") == "y: dtype float32 vs expected float64");
  Tensor row = Tensor::from_vector<float>({1, 2}, {1, 2});
  CHECK(compare_tensors(row, f32, kDefault, "y") == "y: shape [1,2] vs expected [2]");
  Tensor empty_a(DataType::Float, {0, 3}), empty_e(DataType::Float, {0, 3});
  CHECK(compare_tensors(empty_a, empty_e, kDefault, "y").empty());
}

TEST_CASE("compare: integers, bools and strings are exact, whatever the tolerance") {
  Tolerance loose{1.0, 10.0};
  CHECK_FALSE(compare_tensors(Tensor::from_vector<int32_t>({5}, {1}), Tensor::from_vector<int32_t>({6}, {1}), loose, "y")
                  .empty());
  // 2^53 + 1 and 2^53 are the same double: int64 must not go through float64.
  int64_t big = (int64_t{1} << 53) + 1;
  std::string d = compare_tensors(Tensor::from_vector<int64_t>({big}, {1}),
                                  Tensor::from_vector<int64_t>({big - 1}, {1}), loose, "y");
  CHECK(d.find("actual 9007199254740993 vs expected 9007199254740992") != std::string::npos);
  CHECK_FALSE(compare_tensors(Tensor::from_vector<uint64_t>({~uint64_t{0}}, {1}),
                              Tensor::from_vector<uint64_t>({~uint64_t{0} - 1}, {1}), loose, "y")
                  .empty());
  CHECK(compare_tensors(Tensor::from_vector<bool>({true, false}, {2}), Tensor::from_vector<bool>({true, true}, {2}),
                        loose, "y") == "y: 1 of 2 values differ, first at [1]: actual false vs expected true");
  Tensor s1 = Tensor::from_vector<std::string>({"abc", "de"}, {2});
  Tensor s2 = Tensor::from_vector<std::string>({"abc", "dE"}, {2});
  CHECK(compare_tensors(s1, s2, kDefault, "y") == "y: 1 of 2 values differ, first at [1]: actual \"de\" vs expected \"dE\"");
  CHECK(compare_tensors(s1, s1, kDefault, "y").empty());
}

TEST_CASE("compare: packed int4 compares element by element") {
  Tensor a(DataType::Int4, {3}), e(DataType::Int4, {3});
  auto* ap = static_cast<uint8_t*>(a.raw());
  auto* ep = static_cast<uint8_t*>(e.raw());
  for (int i = 0; i < 3; ++i) {
    onnxi::packed_set(ap, i, 4, static_cast<uint8_t>(i + 1));
    onnxi::packed_set(ep, i, 4, static_cast<uint8_t>(i + 1));
  }
  CHECK(compare_tensors(a, e, kDefault, "y").empty());
  onnxi::packed_set(ap, 2, 4, 0xF);  // -1
  CHECK(compare_tensors(a, e, kDefault, "y") == "y: 1 of 3 values differ, first at [2]: actual -1 vs expected 3");
}

TEST_CASE("compare: float16 and bfloat16 compare by value; bfloat16 gets onnx's two-ulp rtol") {
  auto f16 = [](float v) {
    Tensor t(DataType::Float16, {1});
    t.data<uint16_t>()[0] = onnxi::f32_to_f16(v);
    return t;
  };
  CHECK(compare_tensors(f16(1.0f), f16(1.0f), kDefault, "y").empty());
  CHECK_FALSE(compare_tensors(f16(1.0f), f16(1.00390625f), kDefault, "y").empty());  // 4 f16 ulps at 1

  auto bf16 = [](float v) {
    Tensor t(DataType::BFloat16, {1});
    t.data<uint16_t>()[0] = onnxi::f32_to_bf16(v);
    return t;
  };
  CHECK(compare_tensors(bf16(1.0f), bf16(1.0078125f), kDefault, "y").empty());  // one bf16 ulp at 1
  std::string d = compare_tensors(bf16(1.0f), bf16(1.03125f), kDefault, "y");    // four ulps
  CHECK(d.find("rtol 0.015625") != std::string::npos);
}

TEST_CASE("compare: complex values compare by the magnitude of the difference") {
  Tensor e(DataType::Complex64, {1}), a(DataType::Complex64, {1});
  e.data<float>()[0] = 3;
  e.data<float>()[1] = 4;  // |e| = 5
  a.data<float>()[0] = 3.003f;
  a.data<float>()[1] = 4.003f;  // |diff| 0.0042 <= 0.005
  CHECK(compare_tensors(a, e, kDefault, "y").empty());
  a.data<float>()[1] = 4.006f;  // |diff| ~0.0067
  CHECK(compare_tensors(a, e, kDefault, "y").find("actual (3.00300002+4.00600004j)") != std::string::npos);
}

TEST_CASE("compare: sequences item by item, optionals by presence, kinds must match") {
  auto t = [](float v) { return Value(Tensor::from_vector<float>({v}, {1})); };
  Value seq = Value::sequence(DataType::Float, {t(1), t(2)});
  CHECK(compare_values(seq, Value::sequence(DataType::Float, {t(1), t(2)}), kDefault, "out").empty());
  CHECK(compare_values(seq, Value::sequence(DataType::Float, {t(1)}), kDefault, "out") ==
        "out: sequence of 2 items vs expected 1");
  CHECK(compare_values(seq, Value::sequence(DataType::Float, {t(1), t(3)}), kDefault, "out")
            .rfind("out item 1: 1 of 1 values differ", 0) == 0);
  CHECK(compare_values(Value::sequence(DataType::Float, {}), Value::sequence(DataType::Float, {}), kDefault, "out")
            .empty());

  Value present = Value::optional_of(t(1));
  Value empty = Value::optional_empty();
  CHECK(compare_values(present, Value::optional_of(t(1)), kDefault, "out").empty());
  CHECK(compare_values(empty, Value::optional_empty(), kDefault, "out").empty());
  CHECK(compare_values(empty, present, kDefault, "out") == "out: optional is empty, expected it present");
  CHECK_FALSE(compare_values(present, Value::optional_of(t(2)), kDefault, "out").empty());

  std::string kinds = compare_values(t(1), seq, kDefault, "out");
  CHECK(kinds.rfind("out: got a tensor", 0) == 0);
  CHECK(kinds.find("expected a sequence") != std::string::npos);
}

TEST_CASE("compare: index_str spells C-order multi-indices") {
  CHECK(onnxi::cli::index_str({2, 3, 4}, 0) == "[0,0,0]");
  CHECK(onnxi::cli::index_str({2, 3, 4}, 23) == "[1,2,3]");
  CHECK(onnxi::cli::index_str({2, 3, 4}, 13) == "[1,0,1]");
  CHECK(onnxi::cli::index_str({}, 0) == "[]");
}
