// Elementwise kernels (kernels/cpu/elementwise.h) against naive references: broadcast planning over
// a table of shapes, integer semantics C++ leaves open, and float special values.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/cpu/elementwise.h"

using namespace onnxi::kernels;

namespace {

using Dims = std::vector<int64_t>;

int64_t numel(const Dims& d) {
  int64_t n = 1;
  for (int64_t v : d) n *= v;
  return n;
}

// Index into `shape` (right-aligned against `out`) of output element `flat`, the slow obvious way.
int64_t naive_index(const Dims& shape, const Dims& out, int64_t flat) {
  std::vector<int64_t> coord(out.size());
  for (size_t i = out.size(); i-- > 0;) {
    coord[i] = flat % out[i];
    flat /= out[i];
  }
  int64_t index = 0;
  const size_t offset = out.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i) {
    index = index * shape[i] + (shape[i] == 1 ? 0 : coord[offset + i]);
  }
  return index;
}

std::vector<float> iota(int64_t n, float start) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = start + static_cast<float>(i);
  return v;
}

}  // namespace

TEST_CASE("math kernels: broadcast Sub matches the naive index rule") {
  struct Case {
    Dims a, b, out;
  };
  const std::vector<Case> cases = {
      {{}, {}, {}},
      {{5}, {5}, {5}},
      {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}},
      {{2, 3, 4}, {}, {2, 3, 4}},
      {{}, {2, 3, 4}, {2, 3, 4}},
      {{2, 3, 4}, {4}, {2, 3, 4}},
      {{2, 3, 4}, {3, 1}, {2, 3, 4}},
      {{2, 1, 4}, {1, 3, 1}, {2, 3, 4}},
      {{1, 1}, {3, 5}, {3, 5}},
      {{3, 1, 5}, {1, 1, 1}, {3, 1, 5}},
      {{2, 3, 1, 5}, {3, 7, 1}, {2, 3, 7, 5}},
      {{1}, {1, 1, 1}, {1, 1, 1}},
      {{0, 3}, {3}, {0, 3}},
      {{4, 1, 1, 2}, {1, 3, 2, 1}, {4, 3, 2, 2}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.out.size());
    std::vector<float> a = iota(numel(c.a), 1.0f), b = iota(numel(c.b), 100.0f);
    std::vector<float> out(static_cast<size_t>(numel(c.out)), -1.0f);
    BroadcastPlan plan = plan_broadcast({c.a, c.b}, c.out);
    CHECK(plan.numel == numel(c.out));
    binary(BinaryOp::Sub, a.data(), b.data(), out.data(), plan);
    for (int64_t i = 0; i < numel(c.out); ++i) {
      float expected = a[static_cast<size_t>(naive_index(c.a, c.out, i))] -
                       b[static_cast<size_t>(naive_index(c.b, c.out, i))];
      CHECK(out[static_cast<size_t>(i)] == expected);
    }
  }
}

TEST_CASE("math kernels: merged plans collapse same-shape and scalar operands to one run") {
  BroadcastPlan same = plan_broadcast({{2, 3, 4}, {2, 3, 4}}, {2, 3, 4});
  CHECK(same.dims == Dims{24});
  BroadcastPlan scalar = plan_broadcast({{2, 3, 4}, {}}, {2, 3, 4});
  CHECK(scalar.dims == Dims{24});
  CHECK(scalar.strides[1] == Dims{0});
  BroadcastPlan row = plan_broadcast({{6, 4}, {4}}, {6, 4});
  CHECK(row.dims == Dims{6, 4});
}

TEST_CASE("math kernels: select broadcasts condition, x and y") {
  const bool cond[] = {true, false, true};
  const uint32_t x[] = {1, 2};         // shape [2, 1]
  const uint32_t y[] = {7};            // scalar
  uint32_t out[6] = {};
  select(cond, x, y, out, plan_broadcast({{3}, {2, 1}, {}}, {2, 3}));
  const uint32_t expected[] = {1, 7, 1, 2, 7, 2};
  for (int i = 0; i < 6; ++i) CHECK(out[i] == expected[i]);
}

TEST_CASE("math kernels: integer division truncates, mod follows the divisor, fmod the dividend") {
  struct Case {
    int32_t a, b, div, mod, fmod;
  };
  const std::vector<Case> cases = {
      {7, 2, 3, 1, 1},     {-7, 2, -3, 1, -1},  {7, -2, -3, -1, 1},   {-7, -2, 3, -1, -1},
      {6, 3, 2, 0, 0},     {-6, 3, -2, 0, 0},   {0, 5, 0, 0, 0},
      {5, 0, 0, 0, 0},  // zero divisor: 0 instead of a trap
      {std::numeric_limits<int32_t>::min(), -1, std::numeric_limits<int32_t>::min(), 0, 0},  // wraps
  };
  BroadcastPlan plan = plan_broadcast({{}, {}}, {});
  for (const Case& c : cases) {
    CAPTURE(c.a);
    CAPTURE(c.b);
    int32_t out = 0;
    binary(BinaryOp::Div, &c.a, &c.b, &out, plan);
    CHECK(out == c.div);
    binary(BinaryOp::Mod, &c.a, &c.b, &out, plan);
    CHECK(out == c.mod);
    binary(BinaryOp::FMod, &c.a, &c.b, &out, plan);
    CHECK(out == c.fmod);
  }
  // int8 arithmetic wraps (it would otherwise promote to int and overflow on the way back)
  int8_t a = 100, b = 100, out = 0;
  binary(BinaryOp::Add, &a, &b, &out, plan);
  CHECK(out == int8_t(-56));
  uint16_t ua = 65535, ub = 65535, uout = 0;
  binary(BinaryOp::Mul, &ua, &ub, &uout, plan);
  CHECK(uout == 1);
}

TEST_CASE("math kernels: float mod follows Python's sign rule and special cases") {
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    double a, b, mod;
  };
  const std::vector<Case> cases = {
      {5.5, 2.0, 1.5}, {-5.5, 2.0, 0.5}, {5.5, -2.0, -0.5}, {-5.5, -2.0, -1.5},
      {3.0, inf, 3.0}, {3.0, -inf, -inf}, {-3.0, inf, inf},
  };
  BroadcastPlan plan = plan_broadcast({{}, {}}, {});
  for (const Case& c : cases) {
    CAPTURE(c.a);
    CAPTURE(c.b);
    double out = 0;
    binary(BinaryOp::Mod, &c.a, &c.b, &out, plan);
    CHECK(out == c.mod);
  }
  double zero = 0.0, neg = -4.0, out = 1.0;
  binary(BinaryOp::Mod, &zero, &neg, &out, plan);
  CHECK(out == 0.0);
  CHECK(std::signbit(out));  // a zero result takes the divisor's sign
  double one = 1.0;
  binary(BinaryOp::Mod, &one, &zero, &out, plan);
  CHECK(std::isnan(out));
  binary(BinaryOp::Mod, &inf, &one, &out, plan);
  CHECK(std::isnan(out));
}

TEST_CASE("math kernels: Min and Max propagate NaN from either side") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float a[] = {nan, 1.0f, 2.0f, nan};
  const float b[] = {1.0f, nan, 3.0f, nan};
  float out[4];
  BroadcastPlan plan = plan_broadcast({{4}, {4}}, {4});
  for (BinaryOp op : {BinaryOp::Min, BinaryOp::Max}) {
    binary(op, a, b, out, plan);
    CHECK(std::isnan(out[0]));
    CHECK(std::isnan(out[1]));
    CHECK(out[2] == (op == BinaryOp::Min ? 2.0f : 3.0f));
    CHECK(std::isnan(out[3]));
  }
}

TEST_CASE("math kernels: integer Pow is exact, shifts follow the BitShift-28 rules") {
  BroadcastPlan plan = plan_broadcast({{}, {}}, {});
  struct PowCase {
    int64_t base, exponent, expected;
  };
  const std::vector<PowCase> pows = {
      {3, 0, 1}, {3, 4, 81}, {-2, 3, -8}, {2, 62, int64_t{1} << 62},
      {3, 39, 4052555153018976267},  // beyond 2^53: exact only without a trip through double
      {2, -1, 0}, {1, -5, 1}, {-1, -3, -1}, {-1, -4, 1},
  };
  for (const PowCase& c : pows) {
    CAPTURE(c.base);
    CAPTURE(c.exponent);
    int64_t out = 0;
    binary(BinaryOp::Pow, &c.base, &c.exponent, &out, plan);
    CHECK(out == c.expected);
  }
  struct ShiftCase {
    int8_t x, y;
    BinaryOp op;
    int8_t expected;
  };
  const std::vector<ShiftCase> shifts = {
      {1, 3, BinaryOp::ShiftLeft, 8},      {64, 1, BinaryOp::ShiftLeft, -128}, {-1, 7, BinaryOp::ShiftLeft, -128},
      {1, 8, BinaryOp::ShiftLeft, 0},      {1, -1, BinaryOp::ShiftLeft, 0},    {-128, 2, BinaryOp::ShiftRight, -32},
      {-5, 9, BinaryOp::ShiftRight, -1},   {5, 9, BinaryOp::ShiftRight, 0},     {-5, -1, BinaryOp::ShiftRight, -1},
  };
  for (const ShiftCase& c : shifts) {
    CAPTURE(int(c.x));
    CAPTURE(int(c.y));
    int8_t out = 0;
    binary(c.op, &c.x, &c.y, &out, plan);
    CHECK(int(out) == int(c.expected));
  }
}

TEST_CASE("math kernels: unary special values") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const float x[] = {-inf, -100.0f, -2.5f, -0.5f, 0.5f, 1.5f, 2.5f, 100.0f, inf, nan};
  constexpr int n = 10;
  float y[n];
  unary(UnaryOp::Round, x, y, n);
  const float rounded[] = {-inf, -100.0f, -2.0f, -0.0f, 0.0f, 2.0f, 2.0f, 100.0f, inf, nan};
  for (int i = 0; i < n - 1; ++i) CHECK(y[i] == rounded[i]);  // half to even
  CHECK(std::isnan(y[n - 1]));
  unary(UnaryOp::Sigmoid, x, y, n);
  CHECK(y[0] == 0.0f);
  CHECK(y[1] >= 0.0f);
  CHECK(y[7] == 1.0f);
  CHECK(y[8] == 1.0f);
  CHECK(std::isnan(y[n - 1]));
  unary(UnaryOp::Softplus, x, y, n);
  CHECK(y[1] >= 0.0f);
  CHECK(y[7] == doctest::Approx(100.0f));  // no overflow through exp(100)
  CHECK(y[8] == inf);
  unary(UnaryOp::Relu, x, y, n);
  CHECK(y[2] == 0.0f);
  CHECK(y[6] == 2.5f);
  CHECK(std::isnan(y[n - 1]));
  const int32_t ints[] = {std::numeric_limits<int32_t>::min(), -3, 0, 3};
  int32_t iy[4];
  unary(UnaryOp::Abs, ints, iy, 4);
  CHECK(iy[0] == std::numeric_limits<int32_t>::min());  // wraps, as two's complement does
  CHECK(iy[1] == 3);
  UnaryParams shrink;
  shrink.alpha = 2.5;  // lambd
  shrink.beta = 1.0;   // bias
  unary(UnaryOp::Shrink, ints, iy, 4, shrink);
  CHECK(iy[1] == -2);
  CHECK(iy[2] == 0);
  CHECK(iy[3] == 2);
  const int64_t big[] = {(int64_t{1} << 60) + 1, -((int64_t{1} << 60) + 1), 2};
  int64_t by[3];
  unary(UnaryOp::Shrink, big, by, 3, shrink);
  CHECK(by[0] == int64_t{1} << 60);  // exact, not rounded through double
  CHECK(by[1] == -(int64_t{1} << 60));
  CHECK(by[2] == 0);
  unary(UnaryOp::Sign, ints, iy, 4);
  CHECK(iy[0] == -1);
  CHECK(iy[2] == 0);
  CHECK(iy[3] == 1);
}
