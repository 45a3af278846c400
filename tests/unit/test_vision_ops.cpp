// Vision ops through a real Session: GridSample (modes, padding, align_corners, 3-D, integer data),
// AffineGrid, RoiAlign (avg/max, both coordinate modes), MaxRoiPool, NonMaxSuppression and
// DeformConv (checked against Conv on equivalent inputs). Expected values are worked out by hand in
// the comments or come from an exactly reproduced function (multilinear sampling of a linear ramp).
#include <cmath>
#include <vector>

#include "onnxi/error.h"
#include "op_test_util.h"

namespace onnxi::test {
namespace {

Tensor floats(std::vector<float> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor ints(std::vector<int64_t> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }
Tensor run1(const NodeRun& spec, const std::vector<Value>& inputs) { return run_node(spec, inputs).at(0).tensor(); }

NodeRun grid_sample(const char* mode, const char* padding, int64_t align, int64_t opset = 20) {
  return {"GridSample",
          {attr_string("mode", mode), attr_string("padding_mode", padding), attr_int("align_corners", align)},
          opset};
}

// ---- GridSample ------------------------------------------------------------------------------------

TEST_CASE("GridSample: pixel-center grids reproduce the image in every mode") {
  const Tensor x = floats({1, 2, 3, 4, 5, 6}, {1, 1, 2, 3});
  // Pixel centers: align_corners=1 puts them at -1, 0, 1 (W) and -1, 1 (H); otherwise at
  // (2i + 1) / n - 1: -2/3, 0, 2/3 and -1/2, 1/2.
  const Tensor aligned = floats({-1, -1, 0, -1, 1, -1, -1, 1, 0, 1, 1, 1}, {1, 2, 3, 2});
  const float t = 2.f / 3.f;
  const Tensor centered = floats({-t, -.5f, 0, -.5f, t, -.5f, -t, .5f, 0, .5f, t, .5f}, {1, 2, 3, 2});
  for (const char* mode : {"linear", "nearest", "cubic"}) {
    CAPTURE(mode);
    check_close(run1(grid_sample(mode, "zeros", 1), {x, aligned}), x);
    check_close(run1(grid_sample(mode, "border", 0), {x, centered}), x);
  }
}

TEST_CASE("GridSample: points outside read zeros, the border or the reflection") {
  const Tensor x = floats({1, 2, 4}, {1, 1, 1, 3});
  // n = -1.4 with align_corners=0 on width 3: x = ((n + 1) * 3 - 1) / 2 = -1.1.
  //   zeros: taps -2 and -1 both outside -> 0; border: clamped to 0 -> 1;
  //   reflection about -0.5: -0.5 + 0.6 = 0.1 -> 0.9 * 1 + 0.1 * 2 = 1.1.
  const Tensor g = floats({-1.4f, 0.f}, {1, 1, 1, 2});
  check_close(run1(grid_sample("linear", "zeros", 0), {x, g}), floats({0}, {1, 1, 1, 1}));
  check_close(run1(grid_sample("linear", "border", 0), {x, g}), floats({1}, {1, 1, 1, 1}));
  check_close(run1(grid_sample("linear", "reflection", 0), {x, g}), floats({1.1f}, {1, 1, 1, 1}));
  // n = 1.5 with align_corners=1: x = 2.5, reflected about 2 to 1.5 -> (2 + 4) / 2 = 3.
  const Tensor g2 = floats({1.5f, 0.f}, {1, 1, 1, 2});
  check_close(run1(grid_sample("linear", "reflection", 1), {x, g2}), floats({3}, {1, 1, 1, 1}));
  // Far outside, reflection keeps folding: x = 2 + 4 * 2 + 0.5 = 10.5 folds to 1.5 after 4 widths.
  const Tensor g3 = floats({9.5f, 0.f}, {1, 1, 1, 2});
  check_close(run1(grid_sample("linear", "reflection", 1), {x, g3}), floats({3}, {1, 1, 1, 1}));
  // Nearest rounds half to even: x = 0.5 reads pixel 0, x = 1.5 reads pixel 2.
  const Tensor g4 = floats({-0.5f, 0.f, 0.5f, 0.f}, {1, 1, 2, 2});
  check_close(run1(grid_sample("nearest", "zeros", 1), {x, g4}), floats({1, 4}, {1, 1, 1, 2}));
}

TEST_CASE("GridSample: 5-D volumetric linear sampling is exact on a linear function") {
  // f(z, y, x) = 1 + 2x + 3y + 5z on a 2x3x4 volume, sampled at interior points.
  std::vector<float> v;
  for (int z = 0; z < 2; ++z) {
    for (int y = 0; y < 3; ++y) {
      for (int xx = 0; xx < 4; ++xx) v.push_back(static_cast<float>(1 + 2 * xx + 3 * y + 5 * z));
    }
  }
  const Tensor x = floats(v, {1, 1, 2, 3, 4});
  // Points (x, y, z) in normalized coordinates; align_corners=1: p = (n + 1) / 2 * (size - 1).
  const std::vector<float> pts = {0.1f, -0.3f, 0.25f, -0.9f, 0.8f, -0.6f};
  std::vector<float> want;
  for (size_t i = 0; i < pts.size(); i += 3) {
    const double px = (pts[i] + 1) / 2 * 3, py = (pts[i + 1] + 1) / 2 * 2, pz = (pts[i + 2] + 1) / 2 * 1;
    want.push_back(static_cast<float>(1 + 2 * px + 3 * py + 5 * pz));
  }
  const Tensor y = run1(grid_sample("linear", "zeros", 1), {x, floats(pts, {1, 1, 1, 2, 3})});
  check_close(y, floats(want, {1, 1, 1, 1, 2}), 1e-5, 1e-5);
  // Cubic at x = 0.45 * 5 = 2.25: Keys' weights for t = 0.25, a = -0.75 are -0.10546875,
  // 0.87890625, 0.26171875, -0.03515625 on pixels 1..4 (values 3, 5, 7, 9): 5.59375. With
  // a = -0.75 the kernel does not reproduce the ramp's 5.5 exactly.
  const Tensor x1 = floats({1, 3, 5, 7, 9, 11}, {1, 1, 1, 6});
  const Tensor gc = floats({-0.1f, 0.f}, {1, 1, 1, 2});
  check_close(run1(grid_sample("cubic", "border", 1), {x1, gc}), floats({5.59375f}, {1, 1, 1, 1}), 1e-5, 1e-5);
}

TEST_CASE("GridSample: batches and channels, integer data, opset 16 names and rank") {
  const Tensor x = floats({1, 2, 3, 4, 10, 20, 30, 40, 100, 200, 300, 400, 5, 6, 7, 8}, {2, 2, 2, 2});
  // Image centers (0, 0): the mean of each 2x2 channel.
  const Tensor g = floats({0, 0, 0, 0}, {2, 1, 1, 2});
  check_close(run1(grid_sample("bilinear", "zeros", 0, 16), {x, g}), floats({2.5f, 25, 250, 6.5f}, {2, 2, 1, 1}));
  // int32 data: computed in double, stored truncated.
  const Tensor xi = Tensor::from_vector(std::vector<int32_t>{1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor yi = run1(grid_sample("linear", "zeros", 0), {xi, floats({0, 0}, {1, 1, 1, 2})});
  REQUIRE(yi.dtype() == DataType::Int32);
  CHECK(yi.data<int32_t>()[0] == 2);
  // Opset 16 is 4-D only.
  const Tensor x5 = floats(std::vector<float>(8, 1.f), {1, 1, 2, 2, 2});
  CHECK_THROWS_AS(run1(grid_sample("bilinear", "zeros", 0, 16), {x5, floats({0, 0, 0}, {1, 1, 1, 1, 3})}), Error);
  CHECK_THROWS_WITH_AS(run1(grid_sample("area", "zeros", 0), {x, g}), doctest::Contains("mode"), Error);
  CHECK_THROWS_WITH_AS(run1(grid_sample("linear", "wrap", 0), {x, g}), doctest::Contains("padding_mode"), Error);
  // A grid whose last dim is not the spatial rank.
  CHECK_THROWS_AS(run1(grid_sample("linear", "zeros", 0), {x, floats({0, 0, 0, 0, 0, 0}, {2, 1, 1, 3})}), Error);
}

TEST_CASE("GridSample: inference with symbolic dims") {
  Model m = single_node_model(grid_sample("linear", "zeros", 0),
                              {floats({1, 2, 3, 4}, {1, 1, 2, 2}), floats({0, 0}, {1, 1, 1, 2})});
  m.graph.inputs[0].type = TypeInfo::tensor(DataType::Float, {Dim::symbol("N"), Dim::known(3), Dim{}, Dim{}});
  m.graph.inputs[1].type = TypeInfo::tensor(DataType::Float, {Dim::symbol("N"), Dim::known(7), Dim::known(9), Dim::known(2)});
  Session s = Session::from_model(m);
  CHECK(s.outputs()[0].type.str() ==
        TypeInfo::tensor(DataType::Float, {Dim::symbol("N"), Dim::known(3), Dim::known(7), Dim::known(9)}).str());
}

// ---- AffineGrid ------------------------------------------------------------------------------------

TEST_CASE("AffineGrid: 2-D and 3-D, align_corners") {
  const NodeRun plain{"AffineGrid", {}, 20};
  const NodeRun aligned{"AffineGrid", {attr_int("align_corners", 1)}, 20};
  // theta maps (x, y) to (2x + 0.5, y - 1). Base x for W=3: -2/3, 0, 2/3 (aligned: -1, 0, 1);
  // base y for H=2: -1/2, 1/2 (aligned: -1, 1).
  const Tensor theta = floats({2, 0, 0.5f, 0, 1, -1}, {1, 2, 3});
  const Tensor size = ints({1, 1, 2, 3}, {4});
  const float a = 2.f / 3.f;
  check_close(run1(plain, {theta, size}),
              floats({-2 * a + .5f, -1.5f, .5f, -1.5f, 2 * a + .5f, -1.5f, -2 * a + .5f, -.5f, .5f, -.5f,
                      2 * a + .5f, -.5f},
                     {1, 2, 3, 2}));
  check_close(run1(aligned, {theta, size}),
              floats({-1.5f, -2, .5f, -2, 2.5f, -2, -1.5f, 0, .5f, 0, 2.5f, 0}, {1, 2, 3, 2}));
  // 3-D: (x, y, z) -> (z, x, y) at size D=2, H=1, W=1 aligned: x = y = 0 (single), z = -1, 1.
  const Tensor theta3 = floats({0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0}, {1, 3, 4});
  check_close(run1(aligned, {theta3, ints({1, 1, 2, 1, 1}, {5})}), floats({-1, 0, 0, 1, 0, 0}, {1, 2, 1, 1, 3}));
  // theta must match size's batch and rank.
  CHECK_THROWS_AS(run1(plain, {theta, ints({2, 1, 2, 3}, {4})}), Error);
  CHECK_THROWS_AS(run1(plain, {theta, ints({1, 1, 2}, {3})}), Error);
}

// ---- RoiAlign / MaxRoiPool ---------------------------------------------------------------------------

// 4x4 image whose value is its column index.
Tensor column_ramp(int64_t images = 1) {
  std::vector<float> v;
  for (int64_t n = 0; n < images; ++n) {
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 4; ++x) v.push_back(static_cast<float>(x + 10 * n));
    }
  }
  return floats(v, {images, 1, 4, 4});
}

NodeRun roi_align(const char* mode, int64_t opset, const char* ctm = nullptr) {
  NodeRun n{"RoiAlign",
            {attr_string("mode", mode), attr_int("output_height", 1), attr_int("output_width", 2),
             attr_int("sampling_ratio", 2)},
            opset};
  if (ctm != nullptr) n.attributes.push_back(attr_string("coordinate_transformation_mode", ctm));
  return n;
}

TEST_CASE("RoiAlign: avg and max, half_pixel and output_half_pixel") {
  const Tensor box = floats({0, 0, 4, 4}, {1, 4});
  const Tensor first = ints({0}, {1});
  // half_pixel: the box spans x in [-0.5, 3.5]; bins of width 2 sample x = 0, 1 and 2, 3.
  check_close(run1(roi_align("avg", 16), {column_ramp(), box, first}), floats({0.5f, 2.5f}, {1, 1, 1, 2}));
  // max takes the largest weighted corner per sample (samples sit at y = 0.5, 2.5: weights 0.5):
  // bin 0: max(0.5 * 0, 0.5 * 1) = 0.5; bin 1: x = 3 clamps to the last column: 0.5 * 3 = 1.5.
  check_close(run1(roi_align("max", 16), {column_ramp(), box, first}), floats({0.5f, 1.5f}, {1, 1, 1, 2}));
  // Opset 10 (and output_half_pixel): no shift; samples at x = 0.5, 1.5 and 2.5, 3.5 (clamped to 3).
  check_close(run1(roi_align("avg", 10), {column_ramp(), box, first}), floats({1.0f, 2.75f}, {1, 1, 1, 2}));
  check_close(run1(roi_align("avg", 16, "output_half_pixel"), {column_ramp(), box, first}),
              floats({1.0f, 2.75f}, {1, 1, 1, 2}));
  // Boxes pick their image by batch index.
  const Tensor two = floats({0, 0, 4, 4, 0, 0, 4, 4}, {2, 4});
  check_close(run1(roi_align("avg", 16), {column_ramp(2), two, ints({1, 0}, {2})}),
              floats({10.5f, 12.5f, 0.5f, 2.5f}, {2, 1, 1, 2}));
  CHECK_THROWS_WITH_AS(run1(roi_align("avg", 16), {column_ramp(), box, ints({1}, {1})}),
                       doctest::Contains("batch_indices"), Error);
  CHECK_THROWS_AS(run1(roi_align("avg", 16), {column_ramp(), floats({0, 0, 4}, {1, 3}), first}), Error);
  CHECK_THROWS_AS(run1(roi_align("median", 16), {column_ramp(), box, first}), Error);
  // A box far larger than any image would take billions of samples: refused, not run.
  NodeRun adaptive = roi_align("avg", 16);
  adaptive.attributes[3] = attr_int("sampling_ratio", 0);
  CHECK_THROWS_WITH_AS(run1(adaptive, {column_ramp(), floats({0, 0, 4e7f, 4e7f}, {1, 4}), first}),
                       doctest::Contains("samples"), Error);
}

TEST_CASE("MaxRoiPool: integer bins over the rounded box") {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(i);
  const Tensor x = floats(v, {1, 1, 4, 4});
  const NodeRun quad{"MaxRoiPool", {attr_ints("pooled_shape", {2, 2})}, 22};
  // The box (0, 0)-(3, 3) covers 4x4 pixels; 2x2 bins take each quadrant's maximum.
  check_close(run1(quad, {x, floats({0, 0, 0, 3, 3}, {1, 5})}), floats({5, 7, 13, 15}, {1, 1, 2, 2}));
  // spatial_scale 0.5 maps (2, 2)-(4, 4) to pixels (1, 1)-(2, 2).
  const NodeRun one{"MaxRoiPool", {attr_ints("pooled_shape", {1, 1}), attr_float("spatial_scale", 0.5f)}, 1};
  check_close(run1(one, {x, floats({0, 2, 2, 4, 4}, {1, 5})}), floats({10}, {1, 1, 1, 1}));
  CHECK_THROWS_AS(run1(quad, {x, floats({1, 0, 0, 3, 3}, {1, 5})}), Error);  // no image 1
  CHECK_THROWS_AS(run1({"MaxRoiPool", {}, 22}, {x, floats({0, 0, 0, 3, 3}, {1, 5})}), Error);
}

// ---- NonMaxSuppression ----------------------------------------------------------------------------------

NodeRun nms(int64_t center = 0) { return {"NonMaxSuppression", {attr_int("center_point_box", center)}, 11}; }

Tensor selected(std::vector<int64_t> triples) {
  const int64_t n = static_cast<int64_t>(triples.size()) / 3;
  return ints(std::move(triples), {n, 3});
}

TEST_CASE("NonMaxSuppression: IoU and score thresholds, limits, formats") {
  // (y1, x1, y2, x2): A and B overlap with IoU 0.9 / 1.1; C is apart. B's corners come flipped.
  const Tensor boxes = floats({0, 0, 1, 1, 1, 1.1f, 0, 0.1f, 0, 2, 1, 3}, {1, 3, 4});
  const Tensor scores = floats({0.9f, 0.8f, 0.7f}, {1, 1, 3});
  const Tensor max3 = ints({3}, {1});
  const auto iou = [](float v) { return floats({v}, {1}); };
  check_close(run1(nms(), {boxes, scores, max3, iou(0.5f)}), selected({0, 0, 0, 0, 0, 2}));
  check_close(run1(nms(), {boxes, scores, max3, iou(0.9f)}), selected({0, 0, 0, 0, 0, 1, 0, 0, 2}));
  check_close(run1(nms(), {boxes, scores, ints({1}, {1}), iou(0.9f)}), selected({0, 0, 0}));
  check_close(run1(nms(), {boxes, scores, max3, iou(0.9f), floats({0.75f}, {1})}), selected({0, 0, 0, 0, 0, 1}));
  // Without max_output_boxes_per_class nothing is selected.
  check_close(run1(nms(), {boxes, scores}), selected({}));
  // The same boxes as (x_center, y_center, width, height).
  const Tensor centers = floats({0.5f, 0.5f, 1, 1, 0.6f, 0.5f, 1, 1, 2.5f, 0.5f, 1, 1}, {1, 3, 4});
  check_close(run1(nms(1), {centers, scores, max3, iou(0.5f)}), selected({0, 0, 0, 0, 0, 2}));
}

TEST_CASE("NonMaxSuppression: batches, classes, ties") {
  // Two batches, two classes, disjoint boxes; equal scores keep the lower index first.
  const Tensor boxes = floats({0, 0, 1, 1, 0, 2, 1, 3, 0, 0, 1, 1, 0, 2, 1, 3}, {2, 2, 4});
  const Tensor scores = floats({0.5f, 0.5f, 0.1f, 0.9f, 0.3f, 0.2f, 0.4f, 0.6f}, {2, 2, 2});
  const Tensor got = run1(nms(), {boxes, scores, ints({2}, {1}), floats({0.5f}, {1})});
  check_close(got, selected({0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 0}));
  // Mismatched scores are an error.
  CHECK_THROWS_AS(run1(nms(), {boxes, floats({1, 2, 3}, {1, 1, 3}), ints({2}, {1})}), Error);
  // Inference: a fresh symbol for the count.
  Model m = single_node_model(nms(), {boxes, scores, ints({2}, {1})});
  Session s = Session::from_model(m);
  const TypeInfo& t = s.outputs()[0].type;
  REQUIRE(t.dims.size() == 2);
  CHECK_FALSE(t.dims[0].is_known());
  CHECK(t.dims[1] == Dim::known(3));
}

// ---- DeformConv --------------------------------------------------------------------------------------------

Tensor ramp(Shape s, float scale, float shift) {
  Tensor t(DataType::Float, s);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = std::sin(scale * static_cast<float>(i) + shift);
  return t;
}

TEST_CASE("DeformConv: zero offsets equal Conv; masks scale; groups") {
  const Tensor x = ramp({2, 4, 5, 6}, 0.37f, 0.1f);
  const Tensor w = ramp({6, 2, 3, 2}, 0.53f, 0.7f);
  const Tensor b = ramp({6}, 1.1f, 0.2f);
  const std::vector<Attribute> attrs = {attr_int("group", 2), attr_ints("pads", {1, 0, 1, 1}),
                                        attr_ints("strides", {2, 1}), attr_ints("dilations", {1, 2})};
  const Tensor conv = run1({"Conv", attrs, 19}, {x, w, b});
  // Output 3x5; offsets [N, offset_group * 6 taps * 2 dims, 3, 5].
  const Tensor zero_offsets(DataType::Float, {2, 2 * 6 * 2, 3, 5});
  std::vector<Attribute> dattrs = attrs;
  dattrs.push_back(attr_int("offset_group", 2));
  check_close(run1({"DeformConv", dattrs, 19}, {x, w, zero_offsets, b}), conv, 1e-5, 1e-5);
  // A mask of 0.5 halves the convolution (not the bias).
  Tensor half(DataType::Float, {2, 2 * 6, 3, 5});
  for (int64_t i = 0; i < half.numel(); ++i) half.data<float>()[i] = 0.5f;
  const Tensor masked = run1({"DeformConv", dattrs, 22}, {x, w, zero_offsets, b, half});
  const Tensor unbiased = run1({"Conv", attrs, 19}, {x, w});
  for (int64_t i = 0; i < masked.numel(); ++i) {
    const int64_t m = (i / 15) % 6;
    CHECK(masked.data<float>()[i] ==
          doctest::Approx(0.5 * unbiased.data<float>()[i] + b.data<float>()[m]).epsilon(1e-4));
  }
}

TEST_CASE("DeformConv: offsets shift taps, fractional offsets interpolate, per offset group") {
  // 1-D: x [1, 2, 7]; the second channel's offset group moves every tap by +1 or +0.5.
  const Tensor x = floats({1, 4, 2, 8, 5, 7, 3, 2, 9, 4, 6, 1, 0, 5}, {1, 2, 7});
  const Tensor w = floats({0.5f, -1, 2, 1, 0.25f, -0.5f}, {1, 2, 3});
  const auto shifted = [&](float by) {
    // Channel 1 resampled at i + by (linear, zero past the end); channel 0 unchanged.
    std::vector<float> v(x.data<float>(), x.data<float>() + 14);
    for (int i = 0; i < 7; ++i) {
      const float pos = static_cast<float>(i) + by;
      const int lo = static_cast<int>(std::floor(pos));
      const float t = pos - static_cast<float>(lo);
      const auto at = [&](int j) { return j >= 0 && j < 7 ? x.data<float>()[7 + j] : 0.f; };
      v[7 + i] = (1 - t) * at(lo) + t * at(lo + 1);
    }
    return floats(v, {1, 2, 7});
  };
  for (float by : {1.f, 0.5f, -0.25f}) {
    CAPTURE(by);
    Tensor off(DataType::Float, {1, 2 * 3 * 1, 5});
    for (int64_t i = 15; i < 30; ++i) off.data<float>()[i] = by;  // offset group 1
    const Tensor got = run1({"DeformConv", {attr_int("offset_group", 2)}, 19}, {x, w, off});
    check_close(got, run1({"Conv", {}, 19}, {shifted(by), w}), 1e-5, 1e-5);
  }
  // Offsets of the wrong shape are an error naming the input.
  CHECK_THROWS_WITH_AS(run1({"DeformConv", {}, 19}, {x, w, Tensor(DataType::Float, {1, 3, 4})}),
                       doctest::Contains("offset"), Error);
}

TEST_CASE("vision ops accept empty batches, boxes and grids") {
  const Tensor x = floats({1, 2, 3, 4}, {1, 1, 2, 2});
  CHECK(run1(grid_sample("linear", "border", 0), {x, Tensor(DataType::Float, {1, 0, 3, 2})}).shape() ==
        Shape{1, 1, 0, 3});
  CHECK(run1(grid_sample("cubic", "reflection", 1), {Tensor(DataType::Float, {1, 2, 0, 2}),
                                                       floats({0, 0}, {1, 1, 1, 2})})
            .shape() == Shape{1, 2, 1, 1});
  CHECK(run1(roi_align("avg", 16), {x, Tensor(DataType::Float, {0, 4}), ints({}, {0})}).shape() == Shape{0, 1, 1, 2});
  CHECK(run1(nms(), {Tensor(DataType::Float, {1, 0, 4}), Tensor(DataType::Float, {1, 2, 0}), ints({5}, {1})})
            .shape() == Shape{0, 3});
  CHECK(run1({"DeformConv", {}, 19}, {Tensor(DataType::Float, {0, 1, 3, 3}), floats({1, 1, 1, 1}, {1, 1, 2, 2}),
                                      Tensor(DataType::Float, {0, 8, 2, 2})})
            .shape() == Shape{0, 1, 2, 2});
}

}  // namespace
}  // namespace onnxi::test
