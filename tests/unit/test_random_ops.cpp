// Random ops through a real Session, and the generator under them. The generator reproduces
// numpy.random.RandomState, so seeded draws are checked value for value against numpy (the
// expected values below were printed by numpy 2.4 with the seed shown); everything else is checked
// statistically (mean, variance, range) over many samples, with bounds of several standard errors.
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/cpu/random.h"
#include "onnxi/error.h"
#include "op_test_util.h"

namespace onnxi::test {
namespace {

Tensor run1(const NodeRun& spec, const std::vector<Value>& inputs) { return run_node(spec, inputs).at(0).tensor(); }
Tensor doubles(std::vector<double> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor floats(std::vector<float> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }

std::vector<double> as_doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.element_as_double(i);
  return v;
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}
double variance_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(v.size());
}

// ---- The generator -----------------------------------------------------------------------------

TEST_CASE("NumpyRandom reproduces RandomState: random_sample, randn and a mixed stream") {
  kernels::NumpyRandom r0(0);  // RandomState(0).random_sample(4)
  for (double want : {0.5488135039273248, 0.7151893663724195, 0.6027633760716439, 0.5448831829968969}) {
    CHECK(r0.next_double() == want);
  }
  kernels::NumpyRandom r42(42);  // RandomState(42).randn(5)
  for (double want : {0.4967141530112327, -0.13826430117118466, 0.6476885381006925, 1.5230298564080254,
                      -0.23415337472333597}) {
    CHECK(r42.next_gauss() == doctest::Approx(want).epsilon(1e-15));
  }
  kernels::NumpyRandom r3(3);  // rs = RandomState(3); rs.random_sample(2); rs.randn(3)
  CHECK(r3.next_double() == 0.5507979025745755);
  CHECK(r3.next_double() == 0.7081478226181048);
  for (double want : {0.09649746807200862, -1.8634927033644908, -0.27738820251439905}) {
    CHECK(r3.next_gauss() == doctest::Approx(want).epsilon(1e-15));
  }
  kernels::NumpyRandom rmax(4294967295u);  // the largest seed numpy takes
  CHECK(rmax.next_double() == 0.0976320289940138);
}

TEST_CASE("bernoulli() decides as RandomState.binomial(1, p) does") {
  // RandomState(11).binomial(1, p); the uniforms drawn are 0.180, 0.019, 0.463, 0.725, 0.420, 0.485,
  // 0.013, 0.487, 0.942, 0.851.
  const std::vector<double> p = {0, 0.1, 0.25, 0.5, 0.5, 0.75, 0.9, 1.0, 0.3, 0.6};
  std::vector<double> y(p.size());
  kernels::NumpyRandom rng(11);
  kernels::bernoulli(rng, p.data(), y.data(), static_cast<int64_t>(p.size()));
  CHECK(y == std::vector<double>{0, 0, 0, 1, 0, 1, 1, 1, 1, 0});
}

TEST_CASE("dropout_mask() keeps u >= ratio for RandomState(seed).uniform(0, 1)") {
  // RandomState(7).uniform(0, 1, 6) = 0.076, 0.780, 0.438, 0.723, 0.978, 0.538.
  bool keep[6];
  kernels::NumpyRandom rng(7);
  kernels::dropout_mask(rng, 0.5, keep, 6);
  CHECK(std::vector<bool>(keep, keep + 6) == std::vector<bool>{false, true, false, true, true, true});
}

// ---- RandomNormal, RandomUniform and the *Like forms -------------------------------------------

TEST_CASE("Seeded RandomNormal and RandomUniform equal the ONNX reference (RandomState(seed))") {
  // onnx.reference: RandomState(123).randn(2, 2) * 2 + 1 as float32.
  const Tensor n = run1({"RandomNormal",
                         {attr_ints("shape", {2, 2}), attr_float("seed", 123), attr_float("mean", 1),
                          attr_float("scale", 2)}},
                        {});
  check_close(n, floats({-1.1712613f, 2.994691f, 1.5659571f, -2.0125895f}, {2, 2}), 1e-6, 1e-6);
  // RandomState(9).rand(5) * (3 - -2) + -2 as float32.
  const auto uniform = [](float seed) {
    return NodeRun{"RandomUniform",
                   {attr_ints("shape", {5}), attr_float("seed", seed), attr_float("low", -2), attr_float("high", 3)}};
  };
  const Tensor u = run1(uniform(9), {});
  check_close(u, floats({-1.9481292f, 0.50937295f, 0.47886646f, -1.3308524f, -1.2894446f}, {5}), 1e-6, 1e-6);
  // A seed is truncated toward zero, as int(seed): 9.75 is 9.
  const Tensor u2 = run1(uniform(9.75f), {});
  check_close(u2, u);
}

TEST_CASE("Seeded generators repeat across runs; unseeded ones do not") {
  const NodeRun seeded{"RandomUniform", {attr_ints("shape", {16}), attr_float("seed", 5)}};
  const Session s = Session::from_model(single_node_model(seeded, {}));
  const std::vector<Value> a = s.run({}), b = s.run({});
  CHECK(values<float>(a[0].tensor()) == values<float>(b[0].tensor()));
  // Negative and huge seeds wrap modulo 2^32 (numpy would refuse them) and stay deterministic.
  for (float seed : {-3.f, 1e30f}) {
    const NodeRun wrapped{"RandomUniform", {attr_ints("shape", {4}), attr_float("seed", seed)}};
    CHECK(values<float>(run1(wrapped, {})) == values<float>(run1(wrapped, {})));
  }
  const Session u = Session::from_model(single_node_model({"RandomUniform", {attr_ints("shape", {16})}}, {}));
  CHECK(values<float>(u.run({})[0].tensor()) != values<float>(u.run({})[0].tensor()));
}

TEST_CASE("RandomNormal and RandomUniform: moments and range over many samples") {
  const int64_t n = 20000;
  // N(3, 2^2): the sample mean's standard error is 2 / sqrt(n) = 0.014.
  const auto normal = as_doubles(run1({"RandomNormal",
                                       {attr_ints("shape", {n}), attr_float("mean", 3), attr_float("scale", 2),
                                        attr_int("dtype", 11)}},
                                      {}));
  CHECK(std::fabs(mean_of(normal) - 3) < 0.07);
  CHECK(std::fabs(variance_of(normal) - 4) < 0.25);
  // U[-1, 5): mean 2, variance 36 / 12 = 3, every value in range.
  const Tensor ut =
      run1({"RandomUniform", {attr_ints("shape", {n}), attr_float("low", -1), attr_float("high", 5)}}, {});
  CHECK(ut.dtype() == DataType::Float);
  const auto uniform = as_doubles(ut);
  CHECK(std::fabs(mean_of(uniform) - 2) < 0.06);
  CHECK(std::fabs(variance_of(uniform) - 3) < 0.12);
  for (double v : uniform) CHECK_MESSAGE((v >= -1 && v <= 5), v);
}

TEST_CASE("RandomNormalLike and RandomUniformLike take the input's shape and type (or dtype)") {
  const Tensor x = doubles(std::vector<double>(6, 0), {2, 3});
  const Tensor a = run1({"RandomUniformLike", {attr_float("seed", 0)}}, {x});
  CHECK(a.dtype() == DataType::Double);
  CHECK(a.shape() == Shape{2, 3});
  CHECK(a.data<double>()[0] == 0.5488135039273248);  // RandomState(0).rand()
  const Tensor ints = Tensor::from_vector(std::vector<int32_t>{1, 2, 3, 4}, {4});
  const Tensor b = run1({"RandomNormalLike", {attr_int("dtype", 10)}}, {ints});
  CHECK(b.dtype() == DataType::Float16);
  CHECK(b.shape() == Shape{4});
  // Float16 output, opset 22 also bfloat16.
  CHECK(run1({"RandomUniformLike", {attr_int("dtype", 16)}, 22}, {ints}).dtype() == DataType::BFloat16);
}

TEST_CASE("Random generators: bad attributes are errors") {
  CHECK_THROWS_WITH_AS(run1({"RandomNormal", {}}, {}), doctest::Contains("shape"), Error);
  CHECK_THROWS_WITH_AS(run1({"RandomNormal", {attr_ints("shape", {2, -1})}}, {}), doctest::Contains("negative"), Error);
  CHECK_THROWS_WITH_AS(run1({"RandomUniform", {attr_ints("shape", {2}), attr_int("dtype", 6)}}, {}),
                       doctest::Contains("dtype"), Error);
  CHECK_THROWS_WITH_AS(run1({"RandomUniform", {attr_ints("shape", {2}), attr_int("dtype", 16)}, 21}, {}),
                       doctest::Contains("dtype"), Error);  // bfloat16 only from opset 22
  const NodeRun inverted{"RandomUniform", {attr_ints("shape", {2}), attr_float("low", 2), attr_float("high", 1)}};
  CHECK_THROWS_WITH_AS(run1(inverted, {}), doctest::Contains("below low"), Error);
  CHECK_THROWS_WITH_AS(run1({"RandomUniform", {attr_ints("shape", {2}), attr_float("seed", INFINITY)}}, {}),
                       doctest::Contains("seed"), Error);
  const Tensor ints = Tensor::from_vector(std::vector<int32_t>{1, 2}, {2});
  CHECK_THROWS_WITH_AS(run1({"RandomNormalLike", {}}, {ints}), doctest::Contains("set the dtype"), Error);
}

// ---- Bernoulli ---------------------------------------------------------------------------------

TEST_CASE("Bernoulli: seeded draws equal the ONNX reference; output types") {
  const std::vector<double> p = {0, 0.1, 0.25, 0.5, 0.5, 0.75, 0.9, 1.0, 0.3, 0.6};
  const Tensor y = run1({"Bernoulli", {attr_float("seed", 11)}}, {doubles(p, {10})});
  CHECK(y.dtype() == DataType::Double);
  CHECK(values<double>(y) == std::vector<double>{0, 0, 0, 1, 0, 1, 1, 1, 1, 0});
  const Tensor b = run1({"Bernoulli", {attr_float("seed", 11), attr_int("dtype", 9)}}, {doubles(p, {2, 5})});
  CHECK(b.shape() == Shape{2, 5});
  CHECK(values<bool>(b) == std::vector<bool>{false, false, false, true, false, true, true, true, true, false});
  const Tensor i = run1({"Bernoulli", {attr_float("seed", 11), attr_int("dtype", 7)}}, {doubles(p, {10})});
  CHECK(values<int64_t>(i) == std::vector<int64_t>{0, 0, 0, 1, 0, 1, 1, 1, 1, 0});
}

TEST_CASE("Bernoulli: frequencies match p; bad probabilities are errors") {
  const int64_t n = 20000;
  const auto y = as_doubles(run1({"Bernoulli", {}}, {floats(std::vector<float>(n, 0.3f), {n})}));
  CHECK(std::fabs(mean_of(y) - 0.3) < 0.02);  // standard error 0.0032
  for (double v : y) CHECK_MESSAGE((v == 0 || v == 1), v);
  CHECK_THROWS_WITH_AS(run1({"Bernoulli", {}}, {floats({0.5f, 1.5f}, {2})}), doctest::Contains("[0, 1]"), Error);
  CHECK_THROWS_WITH_AS(run1({"Bernoulli", {}}, {floats({NAN}, {1})}), doctest::Contains("[0, 1]"), Error);
  CHECK_THROWS_AS(run1({"Bernoulli", {}}, {Tensor::from_vector(std::vector<int32_t>{1}, {1})}), Error);
  CHECK_THROWS_WITH_AS(run1({"Bernoulli", {attr_int("dtype", 8)}}, {floats({0.5f}, {1})}), doctest::Contains("dtype"),
                       Error);
}

// ---- Multinomial -------------------------------------------------------------------------------

TEST_CASE("Multinomial: class frequencies follow softmax(logits); -inf classes never appear") {
  const int64_t n = 20000;
  // Row 0: log(1), log(2), log(7) -> 0.1, 0.2, 0.7. Row 1: class 1 impossible, 0 and 2 even.
  const Tensor logits = floats({0.f, std::log(2.f), std::log(7.f), 5.f, -INFINITY, 5.f}, {2, 3});
  const Tensor y = run1({"Multinomial", {attr_int("sample_size", n), attr_float("seed", 1)}}, {logits});
  REQUIRE(y.dtype() == DataType::Int32);
  REQUIRE(y.shape() == Shape{2, n});
  std::vector<double> count(6, 0);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t s = 0; s < n; ++s) {
      const int32_t c = y.data<int32_t>()[b * n + s];
      REQUIRE((c >= 0 && c < 3));
      count[static_cast<size_t>(b * 3 + c)] += 1.0 / static_cast<double>(n);
    }
  }
  CHECK(std::fabs(count[0] - 0.1) < 0.015);
  CHECK(std::fabs(count[1] - 0.2) < 0.015);
  CHECK(std::fabs(count[2] - 0.7) < 0.015);
  CHECK(count[4] == 0);
  CHECK(std::fabs(count[3] - 0.5) < 0.02);
  // Seeded: the same draws again; int64 output.
  const Tensor y64 = run1({"Multinomial", {attr_int("sample_size", n), attr_float("seed", 1), attr_int("dtype", 7)}},
                          {logits});
  REQUIRE(y64.dtype() == DataType::Int64);
  for (int64_t i = 0; i < 2 * n; ++i) REQUIRE(y64.data<int64_t>()[i] == y.data<int32_t>()[i]);
}

TEST_CASE("Multinomial: bad inputs are errors") {
  CHECK_THROWS_WITH_AS(run1({"Multinomial", {}}, {floats({0, 1}, {2})}), doctest::Contains("2-D"), Error);
  CHECK_THROWS_WITH_AS(run1({"Multinomial", {}}, {floats({-INFINITY, -INFINITY}, {1, 2})}),
                       doctest::Contains("all -inf"), Error);
  CHECK_THROWS_WITH_AS(run1({"Multinomial", {}}, {floats({0, NAN}, {1, 2})}), doctest::Contains("finite or -inf"),
                       Error);
  CHECK_THROWS_WITH_AS(run1({"Multinomial", {attr_int("dtype", 1)}}, {floats({0, 1}, {1, 2})}),
                       doctest::Contains("dtype"), Error);
  CHECK_THROWS_WITH_AS(run1({"Multinomial", {attr_int("sample_size", -1)}}, {floats({0, 1}, {1, 2})}),
                       doctest::Contains("sample_size"), Error);
}

}  // namespace
}  // namespace onnxi::test
