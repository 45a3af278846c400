// Resize and Upsample: each filter, coordinate mode and policy on small tensors worked by hand.
#include "op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor row(std::vector<float> v) { return Tensor::from_vector(v, {1, 1, 1, static_cast<int64_t>(v.size())}); }
Tensor scales(std::vector<float> v) { return Tensor::from_vector(v, {static_cast<int64_t>(v.size())}); }
Tensor sizes(std::vector<int64_t> v) { return Tensor::from_vector(v, {static_cast<int64_t>(v.size())}); }

std::vector<float> resize(std::vector<Attribute> attrs, std::vector<Value> inputs, int64_t opset = 19) {
  return values<float>(run_node({"Resize", std::move(attrs), opset}, inputs)[0].tensor());
}

void check_floats(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK_MESSAGE(got[i] == doctest::Approx(want[i]).epsilon(1e-5), "element ", i);
}

}  // namespace

TEST_CASE("resize: nearest modes upsampling 2 -> 4 and downsampling") {
  Tensor x = row({1, 2});
  // half_pixel sources: -0.25, 0.25, 0.75, 1.25
  check_floats(resize({attr_string("mode", "nearest")}, {x, Value(), scales({1, 1, 1, 2})}), {1, 1, 2, 2});
  check_floats(resize({attr_string("mode", "nearest"), attr_string("nearest_mode", "ceil")}, {x, Value(), scales({1, 1, 1, 2})}),
               {1, 2, 2, 2});
  check_floats(resize({attr_string("mode", "nearest"), attr_string("nearest_mode", "floor")}, {x, Value(), scales({1, 1, 1, 2})}),
               {1, 1, 1, 2});
  // asymmetric sources 0, 0.5, 1, 1.5: round_prefer_ceil picks 0, 1, 1, 2->clamped 1
  check_floats(resize({attr_string("mode", "nearest"), attr_string("coordinate_transformation_mode", "asymmetric"),
                       attr_string("nearest_mode", "round_prefer_ceil")},
                      {x, Value(), scales({1, 1, 1, 2})}),
               {1, 2, 2, 2});
  check_floats(resize({attr_string("mode", "nearest")}, {row({1, 2, 3, 4}), Value(), scales({1, 1, 1, 0.5f})}), {1, 3});
}

TEST_CASE("resize: linear with half_pixel, align_corners and antialias") {
  Tensor x = row({0, 4});
  check_floats(resize({attr_string("mode", "linear")}, {x, Value(), scales({1, 1, 1, 2})}), {0, 1, 3, 4});
  check_floats(resize({attr_string("mode", "linear"), attr_string("coordinate_transformation_mode", "align_corners")},
                      {x, Value(), Value(), sizes({1, 1, 1, 3})}),
               {0, 2, 4});
  // Downsampling 4 -> 2 with antialias: a triangle twice as wide, weights (1, 3, 3, 1) / 8 around
  // sources 0.5 and 2.5, the taps beyond the edge reading the edge value.
  check_floats(resize({attr_string("mode", "linear"), attr_int("antialias", 1)}, {row({0, 4, 8, 12}), Value(), scales({1, 1, 1, 0.5f})}),
               {(0 * 1 + 0 * 3 + 4 * 3 + 8 * 1) / 8.f, (4 * 1 + 8 * 3 + 12 * 3 + 12 * 1) / 8.f});
}

TEST_CASE("resize: cubic coefficients sum to one and reproduce a ramp inside") {
  // A cubic convolution kernel reproduces linear functions away from the edges.
  auto out = resize({attr_string("mode", "cubic"), attr_string("coordinate_transformation_mode", "align_corners")},
                    {row({0, 1, 2, 3, 4, 5, 6}), Value(), Value(), sizes({1, 1, 1, 13})});
  for (size_t i = 3; i + 3 < out.size(); ++i) CHECK(out[i] == doctest::Approx(0.5 * static_cast<double>(i)));
  auto ex = resize({attr_string("mode", "cubic"), attr_int("exclude_outside", 1), attr_float("cubic_coeff_a", -0.5f)},
                   {row({5, 5, 5}), Value(), scales({1, 1, 1, 2})});
  check_floats(ex, {5, 5, 5, 5, 5, 5});
}

TEST_CASE("resize: tf_crop_and_resize extrapolates outside the box") {
  Tensor roi = Tensor::from_vector<float>({0, 0, 0, 0.5f, 1, 1, 1, 1.5f}, {8});
  check_floats(resize({attr_string("mode", "linear"), attr_string("coordinate_transformation_mode", "tf_crop_and_resize"),
                       attr_float("extrapolation_value", -1.f)},
                      {row({0, 2, 4}), roi, Value(), sizes({1, 1, 1, 3})}),
               {2, 4, -1});
}

TEST_CASE("resize: keep_aspect_ratio_policy and axes") {
  Tensor x(DataType::Float, {1, 1, 4, 2});
  auto shape_of = [&](std::vector<Attribute> attrs, std::vector<int64_t> sz) {
    return run_node({"Resize", std::move(attrs), 19}, {x, Value(), Value(), sizes(sz)})[0].tensor().shape();
  };
  CHECK(shape_of({attr_ints("axes", {2, 3}), attr_string("keep_aspect_ratio_policy", "not_larger")}, {2, 2}) == Shape{1, 1, 2, 1});
  CHECK(shape_of({attr_ints("axes", {2, 3}), attr_string("keep_aspect_ratio_policy", "not_smaller")}, {2, 2}) == Shape{1, 1, 4, 2});
  CHECK(shape_of({attr_ints("axes", {3})}, {5}) == Shape{1, 1, 4, 5});
  CHECK_THROWS_AS(run_node({"Resize", {}, 19}, {x, Value(), scales({1, 1, 2, 2}), sizes({1, 1, 8, 4})}), Error);
}

TEST_CASE("resize: Upsample-9 nearest and uint8 saturation") {
  auto up = run_node({"Upsample", {attr_string("mode", "nearest")}, 9}, {row({1, 2}), scales({1, 1, 1, 3})});
  CHECK(values<float>(up[0].tensor()) == std::vector<float>{1, 1, 1, 2, 2, 2});
  Tensor u8 = Tensor::from_vector<uint8_t>({0, 255, 0, 255}, {1, 1, 1, 4});
  auto c = run_node({"Resize", {attr_string("mode", "cubic")}, {19}}, {u8, Value(), scales({1, 1, 1, 2})});
  for (uint8_t v : values<uint8_t>(c[0].tensor())) CHECK(v <= 255);  // computed in float64, clamped on the way out
}
