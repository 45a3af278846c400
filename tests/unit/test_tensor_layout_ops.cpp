// Layout and generator ops: Transpose, Expand, Tile, Pad, CenterCropPad, DepthToSpace,
// SpaceToDepth, OneHot, Range, EyeLike, Trilu, NonZero, Unique, ReverseSequence, Col2Im.
#include "op_test_util.h"

#include "onnxi/float_types.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor iota_f32(Shape shape) {
  Tensor t(DataType::Float, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

Tensor ints(std::vector<int64_t> v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  return Tensor::from_vector(v, shape);
}

std::vector<float> floats_of(const Value& v) { return values<float>(v.tensor()); }

}  // namespace

TEST_CASE("tensor: Transpose default reverses, perm permutes, strings too") {
  auto d = run_node({"Transpose", {}, 13}, {iota_f32({2, 3})});
  CHECK(d[0].tensor().shape() == Shape{3, 2});
  CHECK(floats_of(d[0]) == std::vector<float>{0, 3, 1, 4, 2, 5});
  auto p = run_node({"Transpose", {attr_ints("perm", {1, 2, 0})}, 13}, {iota_f32({2, 1, 3})});
  CHECK(p[0].tensor().shape() == Shape{1, 3, 2});
  CHECK(floats_of(p[0]) == std::vector<float>{0, 3, 1, 4, 2, 5});
  auto s = run_node({"Transpose", {}, 13}, {Tensor::from_vector<std::string>({"a", "b", "c", "d"}, {2, 2})});
  CHECK(values<std::string>(s[0].tensor()) == std::vector<std::string>{"a", "c", "b", "d"});
  CHECK_THROWS_AS(run_node({"Transpose", {attr_ints("perm", {0, 0})}, 13}, {iota_f32({2, 2})}), Error);
}

TEST_CASE("tensor: Expand broadcasts both ways; Tile repeats") {
  auto e = run_node({"Expand", {}, 13}, {iota_f32({3, 1}), ints({2, 1, 2})});
  CHECK(e[0].tensor().shape() == Shape{2, 3, 2});
  CHECK(floats_of(e[0]) == std::vector<float>{0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2});
  auto t = run_node({"Tile", {}, 13}, {iota_f32({2, 2}), ints({1, 2})});
  CHECK(floats_of(t[0]) == std::vector<float>{0, 1, 0, 1, 2, 3, 2, 3});
  auto t0 = run_node({"Tile", {}, 13}, {iota_f32({2, 2}), ints({0, 2})});
  CHECK(t0[0].tensor().shape() == Shape{0, 4});
}

TEST_CASE("tensor: Pad modes on a 1-D ramp, negative pads crop") {
  // x = [0, 1, 2], pads (begin 2, end 3)
  struct Case {
    const char* mode;
    std::vector<float> expected;
  };
  for (const Case& c : std::vector<Case>{{"constant", {9, 9, 0, 1, 2, 9, 9, 9}},
                                         {"edge", {0, 0, 0, 1, 2, 2, 2, 2}},
                                         {"reflect", {2, 1, 0, 1, 2, 1, 0, 1}},
                                         {"wrap", {1, 2, 0, 1, 2, 0, 1, 2}}}) {
    auto out = run_node({"Pad", {attr_string("mode", c.mode)}, 19},
                        {iota_f32({3}), ints({2, 3}), Tensor::from_vector<float>({9}, {})});
    CHECK_MESSAGE(floats_of(out[0]) == c.expected, c.mode);
  }
  auto crop = run_node({"Pad", {}, 18}, {iota_f32({2, 3}), ints({-1, 1}), Value(), ints({1})});
  CHECK(crop[0].tensor().shape() == Shape{2, 3});
  CHECK(floats_of(crop[0]) == std::vector<float>{1, 2, 0, 4, 5, 0});
  auto old = run_node({"Pad", {attr_ints("pads", {1, 0}), attr_float("value", 5.f)}, 2}, {iota_f32({1})});
  CHECK(floats_of(old[0]) == std::vector<float>{5, 0});
  auto cc = run_node({"CenterCropPad", {attr_ints("axes", {1})}, 18}, {iota_f32({1, 5}), ints({2})});
  CHECK(floats_of(cc[0]) == std::vector<float>{1, 2});
  auto cp = run_node({"CenterCropPad", {}, 18}, {iota_f32({2}), ints({5})});
  CHECK(floats_of(cp[0]) == std::vector<float>{0, 0, 1, 0, 0});
}

TEST_CASE("tensor: DepthToSpace and SpaceToDepth invert each other") {
  for (const char* mode : {"DCR", "CRD"}) {
    Tensor x = iota_f32({1, 8, 2, 3});
    auto d2s = run_node({"DepthToSpace", {attr_int("blocksize", 2), attr_string("mode", mode)}, 13}, {x});
    CHECK(d2s[0].tensor().shape() == Shape{1, 2, 4, 6});
    auto back = run_node({"SpaceToDepth", {attr_int("blocksize", 2), attr_string("mode", mode)}, 28}, {d2s[0]});
    CHECK(floats_of(back[0]) == floats_of(Value(x)));
  }
  // DCR: output (c, h*2+i, w*2+j) = input (i*2*C' + j*C' + c, h, w) with C' = 1.
  auto d = run_node({"DepthToSpace", {attr_int("blocksize", 2)}, 13}, {iota_f32({1, 4, 1, 1})});
  CHECK(floats_of(d[0]) == std::vector<float>{0, 1, 2, 3});
}

TEST_CASE("tensor: OneHot, Range, EyeLike, Trilu") {
  auto oh = run_node({"OneHot", {}, 11}, {ints({0, -1, 5}), Tensor::from_vector<float>({3}, {}),
                                         Tensor::from_vector<float>({-1, 1}, {2})});
  CHECK(oh[0].tensor().shape() == Shape{3, 3});
  CHECK(floats_of(oh[0]) == std::vector<float>{1, -1, -1, -1, -1, 1, -1, -1, -1});
  auto oh0 = run_node({"OneHot", {attr_int("axis", 0)}, 11}, {ints({1, 0}), Tensor::from_vector<int64_t>({2}, {}),
                                                               Tensor::from_vector<float>({0, 1}, {2})});
  CHECK(floats_of(oh0[0]) == std::vector<float>{0, 1, 1, 0});

  auto r = run_node({"Range", {}, 11}, {Tensor::from_vector<int32_t>({10}, {}), Tensor::from_vector<int32_t>({4}, {}),
                                       Tensor::from_vector<int32_t>({-3}, {})});
  CHECK(values<int32_t>(r[0].tensor()) == std::vector<int32_t>{10, 7});
  auto rf = run_node({"Range", {}, 11}, {Tensor::scalar_f32(1.f), Tensor::scalar_f32(2.f), Tensor::scalar_f32(0.25f)});
  CHECK(floats_of(rf[0]) == std::vector<float>{1, 1.25f, 1.5f, 1.75f});

  auto eye = run_node({"EyeLike", {attr_int("k", 1), attr_int("dtype", 7)}, 22}, {iota_f32({2, 3})});
  CHECK(values<int64_t>(eye[0].tensor()) == std::vector<int64_t>{0, 1, 0, 0, 0, 1});

  auto up = run_node({"Trilu", {}, 14}, {iota_f32({3, 3}), Tensor::scalar_i64(1)});
  CHECK(floats_of(up[0]) == std::vector<float>{0, 1, 2, 0, 0, 5, 0, 0, 0});
  auto lo = run_node({"Trilu", {attr_int("upper", 0)}, 14}, {iota_f32({2, 3})});
  CHECK(floats_of(lo[0]) == std::vector<float>{0, 0, 0, 3, 4, 0});
}

TEST_CASE("tensor: NonZero, Unique, ReverseSequence") {
  auto nz = run_node({"NonZero", {}, 13}, {Tensor::from_vector<float>({0, 2, 3, 0}, {2, 2})});
  CHECK(nz[0].tensor().shape() == Shape{2, 2});
  CHECK(values<int64_t>(nz[0].tensor()) == std::vector<int64_t>{0, 1, 1, 0});

  NodeRun uq{"Unique", {attr_int("sorted", 0)}, 11, "", 4};
  auto u = run_node(uq, {Tensor::from_vector<float>({2, 1, 1, 3, 4, 3}, {6})});
  CHECK(floats_of(u[0]) == std::vector<float>{2, 1, 3, 4});
  CHECK(values<int64_t>(u[1].tensor()) == std::vector<int64_t>{0, 1, 3, 4});
  CHECK(values<int64_t>(u[2].tensor()) == std::vector<int64_t>{0, 1, 1, 2, 3, 2});
  CHECK(values<int64_t>(u[3].tensor()) == std::vector<int64_t>{1, 2, 2, 1});
  NodeRun us{"Unique", {attr_int("axis", 0)}, 11, "", 4};
  auto s = run_node(us, {Tensor::from_vector<float>({1, 0, 0, 1, 1, 0}, {3, 2})});
  CHECK(floats_of(s[0]) == std::vector<float>{0, 1, 1, 0});
  CHECK(values<int64_t>(s[1].tensor()) == std::vector<int64_t>{1, 0});
  CHECK(values<int64_t>(s[2].tensor()) == std::vector<int64_t>{1, 0, 1});
  CHECK(values<int64_t>(s[3].tensor()) == std::vector<int64_t>{1, 2});

  auto rs = run_node({"ReverseSequence", {attr_int("time_axis", 1), attr_int("batch_axis", 0)}, 10},
                     {iota_f32({2, 3}), ints({2, 3})});
  CHECK(floats_of(rs[0]) == std::vector<float>{1, 0, 2, 5, 4, 3});
}

TEST_CASE("tensor: Col2Im adds overlapping taps") {
  // 1-D image of 3 with a kernel of 2 and stride 1: columns [[a0, a1], [b0, b1]] (taps x blocks).
  Tensor cols = Tensor::from_vector<float>({1, 2, 10, 20}, {1, 2, 2});
  auto out = run_node({"Col2Im", {}, 18}, {cols, ints({1, 3}), ints({1, 2})});
  CHECK(out[0].tensor().shape() == Shape{1, 1, 1, 3});
  CHECK(floats_of(out[0]) == std::vector<float>{1, 12, 20});
}

TEST_CASE("tensor: packed int4 and float16 move element by element") {
  Tensor x(DataType::Int4, {2, 3});
  for (int64_t i = 0; i < 6; ++i) packed_set(static_cast<uint8_t*>(x.raw()), i, 4, static_cast<uint8_t>(i + 1));
  auto t = run_node({"Transpose", {}, 21}, {x});
  REQUIRE(t[0].tensor().dtype() == DataType::Int4);
  std::vector<int> got;
  for (int64_t i = 0; i < 6; ++i) got.push_back(packed_get(static_cast<const uint8_t*>(t[0].tensor().raw()), i, 4));
  CHECK(got == std::vector<int>{1, 4, 2, 5, 3, 6});
  auto p = run_node({"Pad", {}, 21}, {x, ints({0, 1, 0, 0}), Value()});
  std::vector<int> padded;
  for (int64_t i = 0; i < 8; ++i) padded.push_back(packed_get(static_cast<const uint8_t*>(p[0].tensor().raw()), i, 4));
  CHECK(padded == std::vector<int>{0, 1, 2, 3, 0, 4, 5, 6});

  Tensor h(DataType::Float16, {3});
  for (int64_t i = 0; i < 3; ++i) h.data<uint16_t>()[i] = f32_to_f16(static_cast<float>(i) + 0.5f);
  auto g = run_node({"Gather", {}, 13}, {h, ints({2, 0})});
  CHECK(f16_to_f32(g[0].tensor().data<uint16_t>()[0]) == 2.5f);
  CHECK(f16_to_f32(g[0].tensor().data<uint16_t>()[1]) == 0.5f);
}

TEST_CASE("tensor: strings and bools through Slice, Pad, Tile, Gather, Resize nearest") {
  Tensor s = Tensor::from_vector<std::string>({"a", "b", "c"}, {3});
  auto sl = run_node({"Slice", {}, 13}, {s, ints({-1}), ints({-10}), ints({0}), ints({-1})});
  CHECK(values<std::string>(sl[0].tensor()) == std::vector<std::string>{"c", "b", "a"});
  auto pd = run_node({"Pad", {attr_string("mode", "edge")}, 19}, {s, ints({1, 1})});
  CHECK(values<std::string>(pd[0].tensor()) == std::vector<std::string>{"a", "a", "b", "c", "c"});
  auto pc = run_node({"Pad", {}, 19}, {s, ints({1, 0}), Tensor::from_vector<std::string>({"z"}, {})});
  CHECK(values<std::string>(pc[0].tensor()) == std::vector<std::string>{"z", "a", "b", "c"});
  auto tl = run_node({"Tile", {}, 13}, {s, ints({2})});
  CHECK(values<std::string>(tl[0].tensor()).size() == 6);
  Tensor b = Tensor::from_vector<bool>({true, false}, {2});
  auto gb = run_node({"Gather", {}, 13}, {b, ints({1, 0, 0})});
  CHECK(values<bool>(gb[0].tensor()) == std::vector<bool>{false, true, true});
  auto rs = run_node({"Resize", {attr_string("mode", "nearest")}, 19},
                     {Tensor::from_vector<std::string>({"x", "y"}, {1, 2}), Value(), Tensor::from_vector<float>({1, 2}, {2})});
  CHECK(values<std::string>(rs[0].tensor()) == std::vector<std::string>{"x", "x", "y", "y"});
}
