// The reduce kernels against a naive oracle: every subset of axes of a few shapes (size-1 and zero
// dims included), so contiguous, scattered and empty-set plans all get checked.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/reduce.h"
#include "kernels/cpu/reduce_scan.h"
#include "kernels/cpu/sort.h"

namespace onnxi::kernels {
namespace {

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Oracle: walk every input element, find its output slot, fold in double.
std::vector<double> naive_reduce(ReduceOp op, const Shape& shape, const std::vector<bool>& reduced,
                                 const std::vector<float>& in) {
  Shape out_shape;
  for (size_t i = 0; i < shape.size(); ++i) out_shape.push_back(reduced[i] ? 1 : shape[i]);
  const int64_t out_n = numel(out_shape);
  std::vector<std::vector<double>> groups(static_cast<size_t>(out_n));
  std::vector<int64_t> pos(shape.size(), 0);
  for (int64_t i = 0; i < numel(shape); ++i) {
    int64_t o = 0;
    for (size_t a = 0; a < shape.size(); ++a) o = o * out_shape[a] + (reduced[a] ? 0 : pos[a]);
    groups[static_cast<size_t>(o)].push_back(in[static_cast<size_t>(i)]);
    for (size_t a = shape.size(); a-- > 0;) {
      if (++pos[a] < shape[a]) break;
      pos[a] = 0;
    }
  }
  std::vector<double> out;
  for (const auto& g : groups) {
    double sum = 0, abs_sum = 0, sq = 0, prod = 1, mx = -INFINITY, mn = INFINITY, exp_sum = 0;
    for (double x : g) {
      sum += x;
      abs_sum += std::fabs(x);
      sq += x * x;
      prod *= x;
      mx = std::max(mx, x);
      mn = std::min(mn, x);
      exp_sum += std::exp(x);
    }
    switch (op) {
      case ReduceOp::Sum: out.push_back(sum); break;
      case ReduceOp::Mean: out.push_back(sum / static_cast<double>(g.size())); break;
      case ReduceOp::Max: out.push_back(mx); break;
      case ReduceOp::Min: out.push_back(mn); break;
      case ReduceOp::Prod: out.push_back(prod); break;
      case ReduceOp::L1: out.push_back(abs_sum); break;
      case ReduceOp::L2: out.push_back(std::sqrt(sq)); break;
      case ReduceOp::LogSum: out.push_back(std::log(sum)); break;
      case ReduceOp::LogSumExp: out.push_back(std::log(exp_sum)); break;
      case ReduceOp::SumSquare: out.push_back(sq); break;
    }
  }
  return out;
}

TEST_CASE("reduce kernel matches the oracle over every axis subset") {
  const ReduceOp ops[] = {ReduceOp::Sum, ReduceOp::Mean,   ReduceOp::Max,       ReduceOp::Min,
                          ReduceOp::Prod, ReduceOp::L1,    ReduceOp::L2,        ReduceOp::LogSum,
                          ReduceOp::LogSumExp, ReduceOp::SumSquare};
  const std::vector<Shape> shapes = {{}, {7}, {2, 3, 4, 5}, {3, 1, 4, 2}, {1, 5, 1, 3}, {2, 0, 3}, {33, 17}};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(0.5f, 1.5f);  // positive: LogSum stays finite
  for (const Shape& shape : shapes) {
    std::vector<float> in(static_cast<size_t>(numel(shape)));
    for (float& v : in) v = dist(rng);
    const size_t rank = shape.size();
    for (uint32_t mask = 0; mask < (1u << rank); ++mask) {
      std::vector<bool> reduced(rank);
      for (size_t a = 0; a < rank; ++a) reduced[a] = (mask >> a) & 1u;
      const ReducePlan plan = plan_reduction(shape, reduced);
      for (ReduceOp op : ops) {
        CAPTURE(static_cast<int>(op));
        CAPTURE(mask);
        CAPTURE(rank);
        std::vector<double> expected = naive_reduce(op, shape, reduced, in);
        REQUIRE(plan.output_count == static_cast<int64_t>(expected.size()));
        std::vector<float> out(expected.size());
        reduce<float>(op, plan, in.data(), out.data());
        for (size_t i = 0; i < out.size(); ++i) {
          if (std::isnan(expected[i])) {
            CHECK(std::isnan(out[i]));
          } else if (std::isinf(expected[i])) {
            CHECK(out[i] == static_cast<float>(expected[i]));
          } else {
            CHECK(out[i] == doctest::Approx(expected[i]).epsilon(1e-5));
          }
        }
      }
    }
  }
}

TEST_CASE("plan_reduction collapses contiguous axes to (outer, reduced, inner)") {
  ReducePlan p = plan_reduction({2, 3, 4, 5}, {false, true, true, false});
  CHECK(p.kept_dims == std::vector<int64_t>{2});
  CHECK(p.reduced_dims == std::vector<int64_t>{12});
  CHECK(p.inner == 5);
  CHECK(p.run == 1);
  CHECK(p.reduced_count == 12);
  CHECK(p.output_count == 10);

  p = plan_reduction({2, 3, 4, 5}, {true, false, true, true});
  CHECK(p.run == 20);
  CHECK(p.reduced_dims == std::vector<int64_t>{2});
  CHECK(p.reduced_strides == std::vector<int64_t>{60});
  CHECK(p.kept_dims == std::vector<int64_t>{3});
}

TEST_CASE("integer reductions are exact and wrap like numpy") {
  const int64_t big = int64_t(1) << 62;
  std::vector<int64_t> in = {big, big - 1, -big, 3};
  ReducePlan plan = plan_reduction({4}, {true});
  int64_t out = 0;
  reduce<int64_t>(ReduceOp::Sum, plan, in.data(), &out);
  CHECK(out == big + 2);
  // 2^53 + 1 does not survive a trip through double.
  std::vector<int64_t> odd = {(int64_t(1) << 53) + 1, 0};
  reduce<int64_t>(ReduceOp::Sum, plan_reduction({2}, {true}), odd.data(), &out);
  CHECK(out == (int64_t(1) << 53) + 1);

  std::vector<int32_t> wrap = {std::numeric_limits<int32_t>::max(), 1};
  int32_t out32 = 0;
  reduce<int32_t>(ReduceOp::Sum, plan_reduction({2}, {true}), wrap.data(), &out32);
  CHECK(out32 == std::numeric_limits<int32_t>::min());

  std::vector<int32_t> neg = {-3, -2};
  reduce<int32_t>(ReduceOp::Mean, plan_reduction({2}, {true}), neg.data(), &out32);
  CHECK(out32 == -2);  // -2.5 truncated toward zero

  std::vector<int32_t> mixed = {-7, 2};
  reduce<int32_t>(ReduceOp::L1, plan_reduction({2}, {true}), mixed.data(), &out32);
  CHECK(out32 == 9);
}

TEST_CASE("empty-set reductions give each op's identity") {
  const ReducePlan plan = plan_reduction({2, 0}, {false, true});
  REQUIRE(plan.reduced_count == 0);
  REQUIRE(plan.output_count == 2);
  auto run_f = [&](ReduceOp op) {
    std::vector<float> out(2, 42.f);
    reduce<float>(op, plan, nullptr, out.data());
    return out[0];
  };
  CHECK(run_f(ReduceOp::Sum) == 0.f);
  CHECK(run_f(ReduceOp::Prod) == 1.f);
  CHECK(run_f(ReduceOp::Max) == -INFINITY);
  CHECK(run_f(ReduceOp::Min) == INFINITY);
  CHECK(run_f(ReduceOp::LogSum) == -INFINITY);
  CHECK(run_f(ReduceOp::LogSumExp) == -INFINITY);
  CHECK(run_f(ReduceOp::L2) == 0.f);
  CHECK(std::isnan(run_f(ReduceOp::Mean)));

  int32_t out[2];
  reduce<int32_t>(ReduceOp::Max, plan, nullptr, out);
  CHECK(out[0] == std::numeric_limits<int32_t>::min());
  reduce<int32_t>(ReduceOp::Min, plan, nullptr, out);
  CHECK(out[1] == std::numeric_limits<int32_t>::max());
  bool b[2] = {true, true};
  reduce_bool(ReduceOp::Max, plan, nullptr, b);
  CHECK(b[0] == false);
  reduce_bool(ReduceOp::Min, plan, nullptr, b);
  CHECK(b[0] == true);
}

TEST_CASE("Max/Min propagate NaN; LogSumExp survives large and infinite inputs") {
  std::vector<float> in = {1.f, NAN, 3.f};
  float out = 0;
  reduce<float>(ReduceOp::Max, plan_reduction({3}, {true}), in.data(), &out);
  CHECK(std::isnan(out));
  reduce<float>(ReduceOp::Min, plan_reduction({3}, {true}), in.data(), &out);
  CHECK(std::isnan(out));

  std::vector<float> large = {1000.f, 1000.f};
  reduce<float>(ReduceOp::LogSumExp, plan_reduction({2}, {true}), large.data(), &out);
  CHECK(out == doctest::Approx(1000.0 + std::log(2.0)));
  std::vector<float> minus_inf = {-INFINITY, -INFINITY};
  reduce<float>(ReduceOp::LogSumExp, plan_reduction({2}, {true}), minus_inf.data(), &out);
  CHECK(out == -INFINITY);
  std::vector<float> plus_inf = {INFINITY, 1.f};
  reduce<float>(ReduceOp::LogSumExp, plan_reduction({2}, {true}), plus_inf.data(), &out);
  CHECK(out == INFINITY);
}

TEST_CASE("arg_reduce: ties pick the first or last index; NaN wins") {
  std::vector<float> in = {1.f, 5.f, 5.f, 0.f};
  int64_t idx = -1;
  arg_reduce<float>(in.data(), 1, 4, 1, true, false, &idx);
  CHECK(idx == 1);
  arg_reduce<float>(in.data(), 1, 4, 1, true, true, &idx);
  CHECK(idx == 2);
  arg_reduce<float>(in.data(), 1, 4, 1, false, false, &idx);
  CHECK(idx == 3);
  std::vector<float> with_nan = {1.f, NAN, 9.f, NAN};
  arg_reduce<float>(with_nan.data(), 1, 4, 1, true, false, &idx);
  CHECK(idx == 1);
  arg_reduce<float>(with_nan.data(), 1, 4, 1, false, true, &idx);
  CHECK(idx == 3);
  // Strided: (outer 1, n 2, inner 3).
  std::vector<int32_t> cols = {1, 9, 3, 4, 2, 3};
  int64_t out[3];
  arg_reduce<int32_t>(cols.data(), 1, 2, 3, true, false, out);
  CHECK(out[0] == 1);
  CHECK(out[1] == 0);
  CHECK(out[2] == 0);
  arg_reduce<int32_t>(cols.data(), 1, 2, 3, true, true, out);
  CHECK(out[2] == 1);
}

TEST_CASE("top_k orders by value then index, NaN highest") {
  std::vector<float> in = {3.f, 1.f, 3.f, NAN, 2.f, 1.f};
  std::vector<float> v(3);
  std::vector<int64_t> idx(3);
  top_k<float>(in.data(), 1, 6, 1, 3, true, v.data(), idx.data());
  CHECK(std::isnan(v[0]));
  CHECK(idx == std::vector<int64_t>{3, 0, 2});
  top_k<float>(in.data(), 1, 6, 1, 3, false, v.data(), idx.data());
  CHECK(idx == std::vector<int64_t>{1, 5, 4});
  CHECK(v == std::vector<float>{1.f, 1.f, 2.f});

  // Along a non-innermost axis: (outer 1, n 3, inner 2), k = 2.
  std::vector<int64_t> grid = {5, 0, 7, 0, 5, 1};
  std::vector<int64_t> gv(4), gi(4);
  top_k<int64_t>(grid.data(), 1, 3, 2, 2, true, gv.data(), gi.data());
  CHECK(gv == std::vector<int64_t>{7, 1, 5, 0});
  CHECK(gi == std::vector<int64_t>{1, 2, 0, 0});
}

TEST_CASE("top_k: the small-k heap path agrees with a full sort") {
  // Many ties and a few NaNs, two interleaved slices (inner 2) so both gather paths run.
  const int64_t n = 50, inner = 2;
  std::vector<float> in(static_cast<size_t>(n * inner));
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>((i * 7) % 5);
  in[14] = NAN;
  in[61] = NAN;
  for (bool largest : {true, false}) {
    std::vector<float> all_v(in.size());
    std::vector<int64_t> all_i(in.size());
    top_k<float>(in.data(), 1, n, inner, n, largest, all_v.data(), all_i.data());
    for (int64_t k : {1, 3, 6}) {
      std::vector<float> v(static_cast<size_t>(k * inner));
      std::vector<int64_t> idx(static_cast<size_t>(k * inner));
      top_k<float>(in.data(), 1, n, inner, k, largest, v.data(), idx.data());
      for (int64_t r = 0; r < k * inner; ++r) {
        CAPTURE(largest);
        CAPTURE(k);
        CAPTURE(r);
        CHECK(idx[static_cast<size_t>(r)] == all_i[static_cast<size_t>(r)]);
      }
    }
  }
  // Ties: the lowest indices win.
  std::vector<int32_t> flat(40, 5);
  std::vector<int32_t> v(2);
  std::vector<int64_t> idx(2);
  top_k<int32_t>(flat.data(), 1, 40, 1, 2, true, v.data(), idx.data());
  CHECK(idx == std::vector<int64_t>{0, 1});
  top_k<int32_t>(flat.data(), 1, 40, 1, 2, false, v.data(), idx.data());
  CHECK(idx == std::vector<int64_t>{0, 1});
}

TEST_CASE("scan: exclusive and reverse sums and products") {
  std::vector<double> in = {1, 2, 3, 4};
  std::vector<double> out(4);
  scan<double>(ScanOp::Sum, in.data(), 1, 4, 1, false, false, out.data());
  CHECK(out == std::vector<double>{1, 3, 6, 10});
  scan<double>(ScanOp::Sum, in.data(), 1, 4, 1, true, false, out.data());
  CHECK(out == std::vector<double>{0, 1, 3, 6});
  scan<double>(ScanOp::Sum, in.data(), 1, 4, 1, false, true, out.data());
  CHECK(out == std::vector<double>{10, 9, 7, 4});
  scan<double>(ScanOp::Sum, in.data(), 1, 4, 1, true, true, out.data());
  CHECK(out == std::vector<double>{9, 7, 4, 0});
  scan<double>(ScanOp::Prod, in.data(), 1, 4, 1, true, true, out.data());
  CHECK(out == std::vector<double>{24, 12, 4, 1});
  // Columns of a 2x2: the axis is not innermost.
  scan<double>(ScanOp::Prod, in.data(), 1, 2, 2, false, false, out.data());
  CHECK(out == std::vector<double>{1, 2, 3, 8});

  std::vector<int64_t> exact = {int64_t(1) << 53, 1, 1};
  std::vector<int64_t> sums(3);
  scan<int64_t>(ScanOp::Sum, exact.data(), 1, 3, 1, false, false, sums.data());
  CHECK(sums[2] == (int64_t(1) << 53) + 2);
}

}  // namespace
}  // namespace onnxi::kernels
