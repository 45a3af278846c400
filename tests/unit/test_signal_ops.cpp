// Signal ops through a real Session: DFT (opsets 17 and 20; real and complex input, onesided,
// inverse, IRFFT, dft_length padding and cropping, axis attribute vs input), STFT, the cosine
// windows and MelWeightMatrix, plus the FFT kernel held against the O(n^2) definition. Expected
// values are worked by hand in the comments, or (MelWeightMatrix) come from the ONNX reference.
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "kernels/cpu/fft.h"
#include "kernels/cpu/random.h"
#include "onnxi/error.h"
#include "op_test_util.h"

namespace onnxi::test {
namespace {

using C = std::complex<double>;

Tensor floats(std::vector<float> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor doubles(std::vector<double> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor i64(int64_t v) { return Tensor::from_vector(std::vector<int64_t>{v}, {}); }
Tensor i32(int32_t v) { return Tensor::from_vector(std::vector<int32_t>{v}, {}); }
Tensor f32(float v) { return Tensor::from_vector(std::vector<float>{v}, {}); }
Tensor run1(const NodeRun& spec, const std::vector<Value>& inputs) { return run_node(spec, inputs).at(0).tensor(); }

// Interleaves complex values as [..., 2] floats.
Tensor complex_tensor(const std::vector<C>& v, Shape s) {
  std::vector<float> f;
  for (const C& c : v) {
    f.push_back(static_cast<float>(c.real()));
    f.push_back(static_cast<float>(c.imag()));
  }
  return floats(f, std::move(s));
}

// The output type inferred at load when every input is an initializer (a constant).
std::string inferred_with_constants(const NodeRun& spec, const std::vector<Value>& inputs) {
  Model m = single_node_model(spec, inputs);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].is_none()) m.graph.initializers["in" + std::to_string(i)] = inputs[i].tensor();
  }
  m.graph.inputs.clear();
  return Session::from_model(std::move(m)).outputs().at(0).type.str();
}

NodeRun dft(int64_t opset, std::vector<Attribute> attrs = {}) { return {"DFT", std::move(attrs), opset}; }

// x = [1, 2, 3, 4]: X = [10, -2 + 2i, -2, -2 - 2i].
const std::vector<C> kX4 = {{10, 0}, {-2, 2}, {-2, 0}, {-2, -2}};

// ---- FFT kernel --------------------------------------------------------------------------------

TEST_CASE("FftPlan matches the O(n^2) DFT for powers of two and other lengths, both directions") {
  kernels::NumpyRandom rng(1);
  for (int64_t n : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 17, 31, 64, 100, 127, 128, 1000, 1024}) {
    CAPTURE(n);
    std::vector<C> x(static_cast<size_t>(n)), want(x.size()), got;
    for (C& c : x) c = C(rng.next_double() - 0.5, rng.next_double() - 0.5);
    const kernels::FftPlan plan(n);
    std::vector<C> work;
    for (bool inverse : {false, true}) {
      kernels::dft_naive(x.data(), want.data(), n, inverse);
      got = x;
      plan.execute(got.data(), inverse, work);
      double err = 0, mag = 0;
      for (size_t k = 0; k < x.size(); ++k) {
        err = std::max(err, std::abs(got[k] - want[k]));
        mag = std::max(mag, std::abs(want[k]));
      }
      CHECK(err <= 1e-12 * std::max(1.0, mag));
    }
  }
}

TEST_CASE("FftPlan: inverse of forward is n times the input") {
  for (int64_t n : {8, 12, 33}) {
    std::vector<C> x(static_cast<size_t>(n));
    for (size_t i = 0; i < x.size(); ++i) x[i] = C(static_cast<double>(i), -0.5 * static_cast<double>(i));
    std::vector<C> y = x, work;
    const kernels::FftPlan plan(n);
    plan.execute(y.data(), false, work);
    plan.execute(y.data(), true, work);
    for (size_t i = 0; i < x.size(); ++i) CHECK(std::abs(y[i] / static_cast<double>(n) - x[i]) < 1e-12);
  }
}

// ---- DFT ---------------------------------------------------------------------------------------

TEST_CASE("DFT: real and complex forward transforms, opsets 17 and 20") {
  const Tensor x = floats({1, 2, 3, 4}, {1, 4, 1});
  // Opset 17: axis attribute, default 1 (the first axis after the batch).
  check_close(run1(dft(17), {x}), complex_tensor(kX4, {1, 4, 2}), 1e-6, 1e-5);
  // Opset 20: axis input, default -2 (the last signal axis).
  check_close(run1(dft(20), {x}), complex_tensor(kX4, {1, 4, 2}), 1e-6, 1e-5);
  // Complex input [1, i, -1, -i] = exp(i pi n / 2): all energy in bin 1.
  const Tensor z = complex_tensor({{1, 0}, {0, 1}, {-1, 0}, {0, -1}}, {4, 2});
  check_close(run1(dft(20), {z}), complex_tensor({{0, 0}, {4, 0}, {0, 0}, {0, 0}}, {4, 2}), 1e-6, 1e-5);
  // Length 3 (Bluestein): [1, 2, 3] -> 6, -1.5 +- (sqrt(3) / 2) i.
  const double h = std::sqrt(3.0) / 2;
  check_close(run1(dft(20), {floats({1, 2, 3}, {3, 1})}), complex_tensor({{6, 0}, {-1.5, h}, {-1.5, -h}}, {3, 2}),
              1e-6, 1e-5);
}

TEST_CASE("DFT: onesided forward (RFFT), inverse and IRFFT") {
  const Tensor x = floats({1, 2, 3, 4}, {1, 4, 1});
  check_close(run1(dft(20, {attr_int("onesided", 1)}), {x}), complex_tensor({kX4[0], kX4[1], kX4[2]}, {1, 3, 2}),
              1e-6, 1e-5);
  // The inverse of X is x (imaginary parts zero), scaled by 1/n.
  const Tensor spectrum = complex_tensor(kX4, {1, 4, 2});
  check_close(run1(dft(20, {attr_int("inverse", 1)}), {spectrum}), complex_tensor({1, 2, 3, 4}, {1, 4, 2}), 1e-6,
              1e-6);
  // IRFFT: bins 0..2 of X give back the real signal, default length 2 * (3 - 1) = 4.
  const Tensor half = complex_tensor({kX4[0], kX4[1], kX4[2]}, {1, 3, 2});
  const auto irfft = dft(20, {attr_int("inverse", 1), attr_int("onesided", 1)});
  check_close(run1(irfft, {half}), floats({1, 2, 3, 4}, {1, 4, 1}), 1e-6, 1e-6);
  // Odd length 5 from 3 bins: the real signal [1, 0, 0, 0, 0] has a flat spectrum of ones.
  check_close(run1(irfft, {complex_tensor({1, 1, 1}, {1, 3, 2}), i64(5)}), floats({1, 0, 0, 0, 0}, {1, 5, 1}), 1e-6,
              1e-6);
  // The imaginary parts of bin 0 and of the Nyquist bin (even n) do not reach the real output.
  check_close(run1(irfft, {complex_tensor({{10, 7}, {-2, 2}, {-2, 5}}, {1, 3, 2})}), floats({1, 2, 3, 4}, {1, 4, 1}),
              1e-6, 1e-6);
}

TEST_CASE("DFT: dft_length zero-pads or crops the signal") {
  // [1, 2] padded to 4: X_k = 1 + 2 exp(-i pi k / 2) = 3, 1 - 2i, -1, 1 + 2i.
  check_close(run1(dft(20), {floats({1, 2}, {2, 1}), i64(4)}),
              complex_tensor({{3, 0}, {1, -2}, {-1, 0}, {1, 2}}, {4, 2}), 1e-6, 1e-6);
  // [1, 2, 3, 4] cropped to 2: [3, -1]; int32 dft_length works too.
  check_close(run1(dft(20), {floats({1, 2, 3, 4}, {4, 1}), i32(2)}), complex_tensor({3, -1}, {2, 2}), 1e-6, 1e-6);
  // Onesided with an odd padded length 5: 5 / 2 + 1 = 3 bins of the transform of [1, 0, 0, 0, 0].
  check_close(run1(dft(20, {attr_int("onesided", 1)}), {floats({1}, {1, 1}), i64(5)}),
              complex_tensor({1, 1, 1}, {3, 2}), 1e-6, 1e-6);
}

TEST_CASE("DFT: the axis, as attribute (17) or input (20), with batch and inner dims") {
  // x[2][3][1]: rows [1, 2, 3] and [4, 5, 6].
  const Tensor x = floats({1, 2, 3, 4, 5, 6}, {2, 3, 1});
  // Along axis 0 (columns): [a + b, a - b] per column.
  const Tensor cols = complex_tensor({5, 7, 9, -3, -3, -3}, {2, 3, 2});
  check_close(run1(dft(20), {x, Value(), i64(0)}), cols, 1e-6, 1e-6);
  check_close(run1(dft(20), {x, Value(), i64(-3)}), cols, 1e-6, 1e-6);
  check_close(run1(dft(17, {attr_int("axis", 0)}), {x}), cols, 1e-6, 1e-6);
  check_close(run1(dft(17, {attr_int("axis", -3)}), {x}), cols, 1e-6, 1e-6);
  // Along axis 1 (rows): the length-3 transforms of each row.
  const double h = std::sqrt(3.0) / 2;
  const Tensor rows = complex_tensor({{6, 0}, {-1.5, h}, {-1.5, -h}, {15, 0}, {-1.5, h}, {-1.5, -h}}, {2, 3, 2});
  check_close(run1(dft(20), {x, Value(), i64(1)}), rows, 1e-6, 1e-5);
  check_close(run1(dft(17), {x}), rows, 1e-6, 1e-5);
  // A rank-4 input transformed along the middle axis: inner lines stay apart.
  const Tensor y4 = floats({1, 10, 2, 20}, {1, 2, 2, 1});
  check_close(run1(dft(20, {}), {y4, Value(), i64(1)}), complex_tensor({3, 30, -1, -10}, {1, 2, 2, 2}), 1e-6, 1e-6);
}

TEST_CASE("DFT: double and float16 inputs keep their type") {
  const Tensor y = run1(dft(20), {doubles({1, 2, 3, 4}, {4, 1})});
  REQUIRE(y.dtype() == DataType::Double);
  CHECK(y.data<double>()[2] == doctest::Approx(-2).epsilon(1e-12));
  CHECK(y.data<double>()[3] == doctest::Approx(2).epsilon(1e-12));
  Tensor h(DataType::Float16, {2, 1});
  h.data<uint16_t>()[0] = 0x3C00;  // 1.0
  h.data<uint16_t>()[1] = 0x4000;  // 2.0
  const Tensor hy = run1(dft(20), {h});
  REQUIRE(hy.dtype() == DataType::Float16);
  CHECK(hy.element_as_double(0) == 3.0);
  CHECK(hy.element_as_double(2) == -1.0);
}

TEST_CASE("DFT: output shapes are inferred at load from constant inputs") {
  const Tensor x = floats({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4, 1});
  CHECK(inferred_with_constants(dft(20), {x}) == "float32[2,4,2]");
  CHECK(inferred_with_constants(dft(20, {attr_int("onesided", 1)}), {x, i64(6)}) == "float32[2,4,2]");
  CHECK(inferred_with_constants(dft(20, {attr_int("onesided", 1)}), {x, i64(6), i64(0)}) == "float32[4,4,2]");
  const Tensor half = complex_tensor({1, 2, 3}, {1, 3, 2});
  CHECK(inferred_with_constants(dft(17, {attr_int("onesided", 1), attr_int("inverse", 1)}), {half}) ==
        "float32[1,4,1]");
}

TEST_CASE("DFT: bad inputs and attributes are errors that say what is wrong") {
  const Tensor x = floats({1, 2, 3, 4}, {1, 4, 1});
  const Tensor z = complex_tensor({1, 2}, {1, 2, 2});
  CHECK_THROWS_WITH_AS(run1(dft(20), {floats({1, 2, 3}, {1, 1, 3})}), doctest::Contains("1 (real) or 2"), Error);
  CHECK_THROWS_WITH_AS(run1(dft(20), {floats({1}, {1})}), doctest::Contains("rank >= 2"), Error);
  CHECK_THROWS_WITH_AS(run1(dft(20), {x, Value(), i64(2)}), doctest::Contains("axis 2 is out of range"), Error);
  CHECK_THROWS_WITH_AS(run1(dft(20), {x, Value(), i64(-1)}), doctest::Contains("out of range"), Error);
  CHECK_THROWS_WITH_AS(run1(dft(17, {attr_int("axis", 2)}), {x}), doctest::Contains("out of range"), Error);
  CHECK_THROWS_WITH_AS(run1(dft(20), {x, i64(0)}), doctest::Contains("dft_length must be positive"), Error);
  CHECK_THROWS_WITH_AS(run1(dft(20), {x, floats({4}, {})}), doctest::Contains("dft_length"), Error);
  CHECK_THROWS_WITH_AS(run1(dft(20, {attr_int("onesided", 1)}), {z}), doctest::Contains("RFFT"), Error);
  CHECK_THROWS_WITH_AS(run1(dft(20, {attr_int("onesided", 1), attr_int("inverse", 1)}), {x}),
                       doctest::Contains("IRFFT"), Error);
  // One bin: the default IRFFT length 2 * (1 - 1) is 0.
  CHECK_THROWS_WITH_AS(run1(dft(20, {attr_int("onesided", 1), attr_int("inverse", 1)}), {complex_tensor({1}, {1, 2})}),
                       doctest::Contains("default dft_length"), Error);
  CHECK_THROWS_AS(run1(dft(20), {Tensor::from_vector(std::vector<int32_t>{1, 2}, {2, 1})}), Error);
}

// ---- STFT --------------------------------------------------------------------------------------

NodeRun stft(std::vector<Attribute> attrs = {}) { return {"STFT", std::move(attrs), 17}; }

TEST_CASE("STFT: frames, windows, onesided and complex signals") {
  const Tensor sig = floats({0, 1, 2, 3, 4, 5, 6, 7}, {1, 8, 1});
  // frame_length 4, step 2: frames (8 - 4) / 2 + 1 = 3 of [s, s+1, s+2, s+3]; the transform of
  // [a, a+1, a+2, a+3] is [4a + 6, -2 + 2i, -2, -2 - 2i]; onesided keeps 3 bins.
  check_close(run1(stft(), {sig, i64(2), Value(), i64(4)}),
              complex_tensor({{6, 0}, {-2, 2}, {-2, 0}, {14, 0}, {-2, 2}, {-2, 0}, {22, 0}, {-2, 2}, {-2, 0}},
                             {1, 3, 3, 2}),
              1e-6, 1e-5);
  // Window [0, 1, 1, 0] (frame_length from its length), step 4: frames [0,1,2,3] -> [0,1,2,0] and
  // [4,5,6,7] -> [0,5,6,0]. [0, a, b, 0] transforms to a + b, -b - a i, b - a.
  const Tensor w = floats({0, 1, 1, 0}, {4});
  check_close(run1(stft(), {sig, i64(4), w}),
              complex_tensor({{3, 0}, {-2, -1}, {1, 0}, {11, 0}, {-6, -5}, {1, 0}}, {1, 2, 3, 2}), 1e-6, 1e-5);
  // Without window and frame_length the one frame is the whole signal; the step never matters.
  const Tensor whole = run1(stft({attr_int("onesided", 0)}), {sig, i64(3)});
  CHECK(whole.shape() == Shape{1, 1, 8, 2});
  CHECK(whole.data<float>()[0] == doctest::Approx(28));
  // A complex signal exp(i pi n / 2), two batches (the second doubled), onesided=0: all in bin 1.
  const Tensor z = complex_tensor({{1, 0}, {0, 1}, {-1, 0}, {0, -1}, {2, 0}, {0, 2}, {-2, 0}, {0, -2}}, {2, 4, 2});
  check_close(run1(stft({attr_int("onesided", 0)}), {z, i64(4), Value(), i64(4)}),
              complex_tensor({0, 4, 0, 0, 0, 8, 0, 0}, {2, 1, 4, 2}), 1e-6, 1e-5);
}

TEST_CASE("STFT: bad inputs are errors") {
  const Tensor sig = floats({0, 1, 2, 3, 4, 5, 6, 7}, {1, 8, 1});
  const Tensor z = complex_tensor({1, 2, 3, 4}, {1, 4, 2});
  CHECK_THROWS_WITH_AS(run1(stft(), {sig, i64(0), Value(), i64(4)}), doctest::Contains("frame_step"), Error);
  CHECK_THROWS_WITH_AS(run1(stft(), {sig, i64(1), Value(), i64(9)}), doctest::Contains("longer than the signal"),
                       Error);
  CHECK_THROWS_WITH_AS(run1(stft(), {sig, i64(1), floats({1, 1, 1}, {3}), i64(4)}), doctest::Contains("window has 3"),
                       Error);
  CHECK_THROWS_WITH_AS(run1(stft(), {z, i64(1)}), doctest::Contains("onesided=1"), Error);
  CHECK_THROWS_WITH_AS(run1(stft(), {floats({1, 2}, {2, 1}), i64(1)}), doctest::Contains("rank 3"), Error);
  CHECK_THROWS_AS(run1(stft(), {sig, i64(1), doubles({1, 1}, {2})}), Error);  // window type != signal type
}

// ---- Windows -----------------------------------------------------------------------------------

struct WindowCase {
  const char* op;
  int64_t size;
  int64_t periodic;
  std::vector<double> want;
};

TEST_CASE("Hann, Hamming and Blackman windows, periodic and symmetric") {
  const std::vector<WindowCase> cases = {
      // Periodic size 4 has N = 4: cos(2 pi j / 4) = 1, 0, -1, 0.
      {"HannWindow", 4, 1, {0, 0.5, 1, 0.5}},
      {"HammingWindow", 4, 1, {4.0 / 46, 25.0 / 46, 1, 25.0 / 46}},
      {"BlackmanWindow", 4, 1, {0, 0.34, 1, 0.34}},
      // Symmetric size 5 has N = 4 too, plus the closing point.
      {"HannWindow", 5, 0, {0, 0.5, 1, 0.5, 0}},
      {"HammingWindow", 5, 0, {4.0 / 46, 25.0 / 46, 1, 25.0 / 46, 4.0 / 46}},
      {"BlackmanWindow", 5, 0, {0, 0.34, 1, 0.34, 0}},
      // Hann symmetric 3: [0, 1, 0]; one point symmetric is [1]; zero points is empty.
      {"HannWindow", 3, 0, {0, 1, 0}},
      {"HannWindow", 1, 0, {1}},
      {"BlackmanWindow", 0, 1, {}},
  };
  for (const WindowCase& c : cases) {
    CAPTURE(c.op);
    CAPTURE(c.size);
    const Tensor y = run1({c.op, {attr_int("periodic", c.periodic)}, 17}, {i64(c.size)});
    std::vector<float> want(c.want.begin(), c.want.end());
    check_close(y, floats(want, {c.size}), 1e-6, 1e-7);
  }
}

TEST_CASE("Windows: output_datatype picks the type; integers truncate") {
  const Tensor d = run1({"HannWindow", {attr_int("output_datatype", 11)}, 17}, {i32(4)});
  REQUIRE(d.dtype() == DataType::Double);
  CHECK(d.data<double>()[1] == doctest::Approx(0.5).epsilon(1e-15));
  const Tensor n = run1({"HannWindow", {attr_int("output_datatype", 6), attr_int("periodic", 0)}, 17}, {i64(5)});
  CHECK(values<int32_t>(n) == std::vector<int32_t>{0, 0, 1, 0, 0});
  CHECK(inferred_with_constants({"HammingWindow", {}, 17}, {i64(7)}) == "float32[7]");
  CHECK_THROWS_WITH_AS(run1({"HannWindow", {}, 17}, {i64(-1)}), doctest::Contains("non-negative"), Error);
  CHECK_THROWS_WITH_AS(run1({"HannWindow", {attr_int("output_datatype", 8)}, 17}, {i64(4)}),
                       doctest::Contains("output_datatype"), Error);
  CHECK_THROWS_AS(run1({"HannWindow", {}, 17}, {f32(4)}), Error);
}

// ---- MelWeightMatrix ---------------------------------------------------------------------------

std::vector<Value> mel_inputs(int64_t bins, int64_t dft_length, int64_t rate, float lo, float hi) {
  return {i64(bins), i64(dft_length), i64(rate), f32(lo), f32(hi)};
}

TEST_CASE("MelWeightMatrix: triangles between mel-spaced band edges") {
  // The ONNX node test's case: 8 bands, dft 16, 8192 Hz, 0..4096 Hz. The 10 edges land on bins
  // 0, 0, 0, 1, 1, 2, 3, 4, 5, 6 (17 f / 8192): each band's neighbours sit at most one bin from its
  // peak edges[i + 1], so every triangle is a single 1.
  const Tensor m = run1({"MelWeightMatrix", {}, 17}, mel_inputs(8, 16, 8192, 0, 4096));
  std::vector<float> want(9 * 8, 0.f);
  const int peaks[8] = {0, 0, 1, 1, 2, 3, 4, 5};
  for (int i = 0; i < 8; ++i) want[static_cast<size_t>(peaks[i] * 8 + i)] = 1;
  check_close(m, floats(want, {9, 8}));
  // Wider bands (edges from the ONNX reference): 2 bands, dft 64, 1000 Hz, 0..500 Hz. Edges
  // 0, 6, 14, 22: band 0 rises over bins 0..6 and falls to 0 at bin 14; band 1 6..14..22.
  const Tensor w = run1({"MelWeightMatrix", {attr_int("output_datatype", 11)}, 17}, mel_inputs(2, 64, 1000, 0, 500));
  REQUIRE(w.shape() == Shape{33, 2});
  for (int j = 0; j <= 6; ++j) CHECK(w.data<double>()[j * 2] == doctest::Approx(j / 6.0));
  for (int j = 6; j < 14; ++j) CHECK(w.data<double>()[j * 2] == doctest::Approx((14 - j) / 8.0));
  for (int j = 6; j <= 14; ++j) CHECK(w.data<double>()[j * 2 + 1] == doctest::Approx((j - 6) / 8.0));
  for (int j = 14; j < 22; ++j) CHECK(w.data<double>()[j * 2 + 1] == doctest::Approx((22 - j) / 8.0));
  for (int j = 22; j < 33; ++j) CHECK(w.data<double>()[j * 2 + 1] == 0);
  CHECK(w.data<double>()[14 * 2] == 0);
  CHECK(inferred_with_constants({"MelWeightMatrix", {}, 17}, mel_inputs(8, 16, 8192, 0, 4096)) == "float32[9,8]");
}

TEST_CASE("MelWeightMatrix: bad inputs are errors") {
  CHECK_THROWS_WITH_AS(run1({"MelWeightMatrix", {}, 17}, mel_inputs(0, 16, 8192, 0, 4096)),
                       doctest::Contains("num_mel_bins"), Error);
  CHECK_THROWS_WITH_AS(run1({"MelWeightMatrix", {}, 17}, mel_inputs(4, 16, 0, 0, 4096)),
                       doctest::Contains("sample_rate"), Error);
  CHECK_THROWS_WITH_AS(run1({"MelWeightMatrix", {}, 17}, mel_inputs(4, 16, 8192, 500, 100)),
                       doctest::Contains("lower_edge_hertz"), Error);
  CHECK_THROWS_WITH_AS(run1({"MelWeightMatrix", {}, 17}, mel_inputs(4, 16, 8000, 0, 40000)),
                       doctest::Contains("past the last"), Error);
}

}  // namespace
}  // namespace onnxi::test
