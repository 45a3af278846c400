// CUDA normalization, pooling, elementwise, reduction, data-movement and resize kernels against
// kernels/cpu (batch_norm, standardize_rows, rms_normalize_rows, softmax, global pools, transpose)
// or host references, plus the caching allocator. Sizes straddle the 32-lane warp and 256-thread
// block (1, 5, 31, 33, 255, 257, 1000, 4097, 100003). Without a device only the host-side checks
// run (broadcast shapes, allocator rounding, argument errors).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/cpu/norm.h"
#include "kernels/cpu/pool.h"
#include "kernels/cpu/softmax.h"
#include "kernels/cpu/transpose.h"
#include "onnxi/error.h"

using namespace cuda_test;
namespace cu = onnxi::cuda;
namespace cpu = onnxi::kernels;

namespace {

std::vector<double> widen(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

const std::int64_t kRowLengths[] = {1, 5, 31, 33, 255, 257, 1000, 4097};

}  // namespace

TEST_CASE("cuda make_broadcast: numpy strides, and a clear error for shapes that do not broadcast") {
  const std::int64_t a[] = {3, 1, 5}, b[] = {4, 1};
  cu::BroadcastShape s = cu::make_broadcast(a, 3, b, 2);
  CHECK(s.rank == 3);
  CHECK(std::vector<std::int64_t>(s.out, s.out + 3) == std::vector<std::int64_t>{3, 4, 5});
  CHECK(std::vector<std::int64_t>(s.a_strides, s.a_strides + 3) == std::vector<std::int64_t>{5, 0, 1});
  CHECK(std::vector<std::int64_t>(s.b_strides, s.b_strides + 3) == std::vector<std::int64_t>{0, 1, 0});
  const std::int64_t c[] = {2, 3}, d[] = {4};
  CHECK_THROWS_AS(cu::make_broadcast(c, 2, d, 1), onnxi::Error);
}

TEST_CASE("cuda CachingAllocator rounds sizes to its block classes") {
  struct Row {
    std::size_t bytes, want;
  };
  for (Row r : {Row{1, 512}, Row{512, 512}, Row{513, 1024}, Row{(1u << 20) - 1, 1u << 20}, Row{1u << 20, 2u << 20},
                Row{(2u << 20) + 1, 4u << 20}}) {
    CAPTURE(r.bytes);
    CHECK(cu::CachingAllocator::round_size(r.bytes) == r.want);
  }
}

TEST_CASE("cuda data movement: bad arguments are onnxi::Error before any launch") {
  const std::int64_t shape[] = {2, 3};
  const int bad_perm[] = {0, 0};
  CHECK_THROWS_AS(cu::transpose(nullptr, nullptr, 4, shape, bad_perm, 2, nullptr), onnxi::Error);
  const std::int64_t starts[] = {0, 2}, steps[] = {1, 1}, out[] = {2, 2};  // columns 2..3 of 3
  CHECK_THROWS_AS(cu::slice(nullptr, nullptr, 4, shape, starts, steps, out, 2, nullptr), onnxi::Error);
  CHECK_THROWS_AS(cu::gather(nullptr, nullptr, 1, 1, 1, 1, nullptr, 3, nullptr, nullptr), onnxi::Error);
  CHECK_THROWS_AS(cu::reduce(cu::ReduceOp::Sum, nullptr, 1, 0, 1, nullptr, nullptr), onnxi::Error);
}

TEST_CASE("cuda allocator reuses blocks in stream order and across streams") {
  CUDA_TEST_REQUIRE_DEVICE();
  cu::CachingAllocator alloc;
  cu::Stream s1, s2;
  CHECK(alloc.allocate(0, s1.handle()) == nullptr);
  void* a = alloc.allocate(1000, s1.handle());
  alloc.deallocate(a, s1.handle());
  void* b = alloc.allocate(700, s1.handle());  // same class (1024), same stream: the same block
  CHECK(b == a);
  alloc.deallocate(b, s1.handle());
  void* c = alloc.allocate(1024, s2.handle());  // another stream waits on the free event, then reuses
  CHECK(c == a);
  CHECK(alloc.stats().cache_hits == 2);
  CHECK(alloc.stats().device_allocations == 1);
  CHECK_THROWS_AS(alloc.deallocate(reinterpret_cast<void*>(0x10), s2.handle()), onnxi::Error);
  alloc.deallocate(c, s2.handle());
  alloc.release_cached();
  CHECK(alloc.stats().cached_bytes == 0);
}

TEST_CASE("cuda batch_norm, layer_norm, rms_norm and softmax rows match kernels/cpu") {
  CUDA_TEST_REQUIRE_DEVICE();
  cu::Stream st;
  for (std::int64_t cols : kRowLengths) {
    CAPTURE(cols);
    const std::int64_t rows = 3;
    std::vector<float> x = random_vec(static_cast<std::size_t>(rows * cols), 41, -4.f, 4.f);
    for (float& v : x) v += 10.f;  // an offset that a one-pass variance would lose
    std::vector<float> gamma = random_vec(static_cast<std::size_t>(cols), 42), beta = random_vec(cols, 43);
    DeviceVec<float> dx(x, st), dg(gamma, st), db(beta, st), dy(x.size(), st);

    std::vector<float> ref(x.size());
    cpu::standardize_rows(x.data(), ref.data(), rows, cols, 1e-5, static_cast<float*>(nullptr),
                          static_cast<float*>(nullptr));
    cpu::affine_rows(ref.data(), rows, cols, gamma.data(), 0, beta.data(), 0);
    cu::layer_norm(dx.ptr(), dg.ptr(), db.ptr(), 1e-5f, rows, cols, dy.ptr(), st.handle());
    expect_close(dy.get(st), widen(ref), rel_tol(widen(ref), 1e-4, 1e-4), "layer_norm");

    cpu::rms_normalize_rows(x.data(), ref.data(), rows, cols, 1e-6);
    cpu::affine_rows(ref.data(), rows, cols, gamma.data(), 0, static_cast<const float*>(nullptr), 0);
    cu::rms_norm(dx.ptr(), dg.ptr(), 1e-6f, rows, cols, dy.ptr(), st.handle());
    expect_close(dy.get(st), widen(ref), rel_tol(widen(ref), 1e-5, 1e-6), "rms_norm");

    cpu::softmax(x.data(), ref.data(), rows, cols, 1);
    cu::softmax_rows(dx.ptr(), dy.ptr(), rows, cols, false, st.handle());
    expect_close(dy.get(st), widen(ref), rel_tol(widen(ref), 1e-5, 1e-7), "softmax");
    cpu::log_softmax(x.data(), ref.data(), rows, cols, 1);
    cu::softmax_rows(dx.ptr(), dy.ptr(), rows, cols, true, st.handle());
    expect_close(dy.get(st), widen(ref), rel_tol(widen(ref), 1e-5, 1e-5), "log_softmax");
  }
  for (std::int64_t inner : {1, 7, 256}) {
    CAPTURE(inner);
    const std::int64_t outer = 2, channels = 5;
    std::vector<float> x = random_vec(static_cast<std::size_t>(outer * channels * inner), 44, -3.f, 3.f);
    std::vector<float> scale = random_vec(5, 45), bias = random_vec(5, 46), mean = random_vec(5, 47),
                       var = random_vec(5, 48, 0.1f, 2.f);
    std::vector<float> ref(x.size());
    cpu::batch_norm(x.data(), scale.data(), bias.data(), mean.data(), var.data(), 1e-5, outer, channels, inner,
                    ref.data());
    DeviceVec<float> dx(x, st), ds(scale, st), db(bias, st), dm(mean, st), dv(var, st), dy(x.size(), st);
    cu::batch_norm(dx.ptr(), ds.ptr(), db.ptr(), dm.ptr(), dv.ptr(), 1e-5f, outer, channels, inner, dy.ptr(),
                   st.handle());
    expect_close(dy.get(st), widen(ref), rel_tol(widen(ref), 1e-5, 1e-5), "batch_norm");
  }
}

TEST_CASE("cuda pool2d and global pools match host pooling") {
  CUDA_TEST_REQUIRE_DEVICE();
  cu::Stream st;
  struct Case {
    cu::PoolKind kind;
    std::int64_t h, w, k, stride, dil, pad, pad_end;
    bool include_pad;
  };
  const Case cases[] = {
      {cu::PoolKind::Max, 5, 5, 2, 2, 1, 0, 0, false},   {cu::PoolKind::Max, 9, 7, 3, 2, 1, 1, 1, false},
      {cu::PoolKind::Max, 8, 8, 3, 1, 2, 2, 2, false},   {cu::PoolKind::Average, 7, 7, 3, 2, 1, 1, 0, false},
      {cu::PoolKind::Average, 7, 7, 3, 2, 1, 1, 0, true}, {cu::PoolKind::Average, 33, 17, 5, 3, 1, 2, 2, true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.h);
    CAPTURE(c.k);
    cu::PoolParams p;
    p.kind = c.kind;
    p.n = 2;
    p.c = 3;
    p.h = c.h;
    p.w = c.w;
    p.kh = p.kw = c.k;
    p.stride_h = p.stride_w = c.stride;
    p.dilation_h = p.dilation_w = c.dil;
    p.pad_top = p.pad_left = c.pad;
    p.pad_bottom = p.pad_right = c.pad_end;
    p.out_h = (c.h + c.pad + c.pad_end - c.dil * (c.k - 1) - 1) / c.stride + 1;
    p.out_w = (c.w + c.pad + c.pad_end - c.dil * (c.k - 1) - 1) / c.stride + 1;
    p.count_include_pad = c.include_pad;
    std::vector<float> x = random_vec(static_cast<std::size_t>(p.n * p.c * p.h * p.w), 51);
    std::vector<double> want;
    for (std::int64_t pl = 0; pl < p.n * p.c; ++pl)
      for (std::int64_t i = 0; i < p.out_h; ++i)
        for (std::int64_t j = 0; j < p.out_w; ++j) {
          double acc = c.kind == cu::PoolKind::Max ? -INFINITY : 0.0;
          std::int64_t valid = 0;
          for (std::int64_t r = 0; r < c.k; ++r)
            for (std::int64_t s = 0; s < c.k; ++s) {
              const std::int64_t ih = i * c.stride - c.pad + r * c.dil, iw = j * c.stride - c.pad + s * c.dil;
              if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
              const double v = x[static_cast<std::size_t>((pl * p.h + ih) * p.w + iw)];
              acc = c.kind == cu::PoolKind::Max ? std::max(acc, v) : acc + v;
              ++valid;
            }
          if (c.kind == cu::PoolKind::Average) {
            // With count_include_pad the divisor is the window clipped to the padded input.
            std::int64_t count = valid;
            if (c.include_pad) {
              count = 0;
              for (std::int64_t r = 0; r < c.k; ++r)
                for (std::int64_t s = 0; s < c.k; ++s) {
                  const std::int64_t ih = i * c.stride - c.pad + r * c.dil, iw = j * c.stride - c.pad + s * c.dil;
                  if (ih >= -c.pad && ih < p.h + c.pad_end && iw >= -c.pad && iw < p.w + c.pad_end) ++count;
                }
            }
            acc /= static_cast<double>(count);
          }
          want.push_back(acc);
        }
    DeviceVec<float> dx(x, st), dy(want.size(), st);
    cu::pool2d(p, dx.ptr(), dy.ptr(), st.handle());
    expect_close(dy.get(st), want, rel_tol(want, 1e-6, 1e-6), "pool2d");
  }
  for (std::int64_t spatial : {1, 49, 257, 4097}) {
    CAPTURE(spatial);
    std::vector<float> x = random_vec(static_cast<std::size_t>(5 * spatial), 52);
    std::vector<float> avg(5), mx(5);
    cpu::global_average_pool(x.data(), avg.data(), 5, spatial);
    cpu::global_max_pool(x.data(), mx.data(), 5, spatial);
    DeviceVec<float> dx(x, st), dy(5, st);
    cu::global_pool(cu::PoolKind::Average, dx.ptr(), 5, spatial, dy.ptr(), st.handle());
    expect_close(dy.get(st), widen(avg), {spatial * 1.2e-7 + 1e-7}, "global average pool");
    cu::global_pool(cu::PoolKind::Max, dx.ptr(), 5, spatial, dy.ptr(), st.handle());
    expect_close(dy.get(st), widen(mx), {0.0}, "global max pool");
  }
}

TEST_CASE("cuda unary, activation and broadcasting binary ops match the C library") {
  CUDA_TEST_REQUIRE_DEVICE();
  cu::Stream st;
  struct U {
    cu::UnaryOp op;
    double (*ref)(double);
    bool positive;
  };
  const U unaries[] = {
      {cu::UnaryOp::Relu, [](double v) { return v > 0 ? v : 0.0; }, false},
      {cu::UnaryOp::Sigmoid, [](double v) { return 1.0 / (1.0 + std::exp(-v)); }, false},
      {cu::UnaryOp::Tanh, [](double v) { return std::tanh(v); }, false},
      {cu::UnaryOp::Exp, [](double v) { return std::exp(v); }, false},
      {cu::UnaryOp::Log, [](double v) { return std::log(v); }, true},
      {cu::UnaryOp::Sqrt, [](double v) { return std::sqrt(v); }, true},
      {cu::UnaryOp::Reciprocal, [](double v) { return 1.0 / v; }, true},
      {cu::UnaryOp::Neg, [](double v) { return -v; }, false},
      {cu::UnaryOp::Abs, [](double v) { return std::fabs(v); }, false},
      {cu::UnaryOp::Erf, [](double v) { return std::erf(v); }, false},
      {cu::UnaryOp::Gelu, [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }, false},
      {cu::UnaryOp::Silu, [](double v) { return v / (1.0 + std::exp(-v)); }, false},
      {cu::UnaryOp::Floor, [](double v) { return std::floor(v); }, false},
      {cu::UnaryOp::Ceil, [](double v) { return std::ceil(v); }, false},
  };
  for (std::int64_t n : {1, 7, 1000, 100003}) {
    CAPTURE(n);
    std::vector<float> x = random_vec(static_cast<std::size_t>(n), 61, -6.f, 6.f), xp = x;
    for (float& v : xp) v = std::fabs(v) + 0.01f;
    DeviceVec<float> dx(x, st), dxp(xp, st), dy(x.size(), st);
    for (const U& u : unaries) {
      CAPTURE(static_cast<int>(u.op));
      const std::vector<float>& in = u.positive ? xp : x;
      std::vector<double> want(in.size());
      for (std::size_t i = 0; i < in.size(); ++i) want[i] = u.ref(in[i]);
      cu::unary(u.op, u.positive ? dxp.ptr() : dx.ptr(), dy.ptr(), n, st.handle());
      // libdevice and glibc are each within a few ulp; compositions (Gelu, Sigmoid) scale an
      // ulp-sized error of erf/exp by at most |x| / 2 <= 3.
      expect_close(dy.get(st), want, rel_tol(want, 4e-7, 1e-6), "unary");
    }
    cu::ActivationParams clip{cu::Activation::Clip, -0.5f, 2.f};
    std::vector<double> want(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) want[i] = std::min(std::max(static_cast<double>(x[i]), -0.5), 2.0);
    cu::activation(clip, dx.ptr(), dy.ptr(), n, st.handle());
    expect_close(dy.get(st), want, {0.0}, "clip");
  }
  struct B {
    std::vector<std::int64_t> a, b;
  };
  const B shapes[] = {{{1000}, {1000}}, {{3, 1, 5}, {4, 1}}, {{2, 3, 4}, {4}}, {{}, {2, 33}}, {{7, 1}, {1, 300}},
                      {{2, 1, 3, 1, 5}, {1, 4, 1, 6, 1}}};
  const cu::BinaryOp ops[] = {cu::BinaryOp::Add, cu::BinaryOp::Sub, cu::BinaryOp::Mul, cu::BinaryOp::Div,
                              cu::BinaryOp::Max, cu::BinaryOp::Min, cu::BinaryOp::Pow};
  for (const B& sh : shapes) {
    cu::BroadcastShape s = cu::make_broadcast(sh.a.data(), static_cast<int>(sh.a.size()), sh.b.data(),
                                              static_cast<int>(sh.b.size()));
    std::int64_t na = 1, nb = 1, n = 1;
    for (auto d : sh.a) na *= d;
    for (auto d : sh.b) nb *= d;
    for (int d = 0; d < s.rank; ++d) n *= s.out[d];
    std::vector<float> a = random_vec(static_cast<std::size_t>(na), 62, 0.1f, 2.f);
    std::vector<float> b = random_vec(static_cast<std::size_t>(nb), 63, -2.f, 2.f);
    DeviceVec<float> da(a, st), dbv(b, st), dy(static_cast<std::size_t>(n), st);
    for (cu::BinaryOp op : ops) {
      CAPTURE(static_cast<int>(op));
      std::vector<double> want(static_cast<std::size_t>(n));
      for (std::int64_t e = 0; e < n; ++e) {
        std::int64_t rest = e, ia = 0, ib = 0;
        for (int d = s.rank - 1; d >= 0; --d) {
          ia += rest % s.out[d] * s.a_strides[d];
          ib += rest % s.out[d] * s.b_strides[d];
          rest /= s.out[d];
        }
        const float x = a[static_cast<std::size_t>(ia)], y = b[static_cast<std::size_t>(ib)];
        float r = 0;
        switch (op) {
          case cu::BinaryOp::Add: r = x + y; break;
          case cu::BinaryOp::Sub: r = x - y; break;
          case cu::BinaryOp::Mul: r = x * y; break;
          case cu::BinaryOp::Div: r = x / y; break;
          case cu::BinaryOp::Max: r = std::max(x, y); break;
          case cu::BinaryOp::Min: r = std::min(x, y); break;
          case cu::BinaryOp::Pow: r = std::pow(x, y); break;
        }
        want[static_cast<std::size_t>(e)] = r;
      }
      cu::binary(op, s, da.ptr(), dbv.ptr(), dy.ptr(), st.handle());
      expect_close(dy.get(st), want, rel_tol(want, op == cu::BinaryOp::Pow ? 8e-7 : 0.0, 0.0), "binary");  // powf: 4 ulp + host 1
    }
  }
}

TEST_CASE("cuda reduce over [outer, reduce, inner] matches a double-precision host sum") {
  CUDA_TEST_REQUIRE_DEVICE();
  cu::Stream st;
  struct Shape {
    std::int64_t outer, len, inner;
  };
  for (Shape sh : {Shape{1, 1, 1}, Shape{3, 7, 1}, Shape{5, 1000, 1}, Shape{2, 33, 17}, Shape{4, 300, 64},
                   Shape{1, 5, 100003}}) {
    CAPTURE(sh.outer);
    CAPTURE(sh.len);
    CAPTURE(sh.inner);
    std::vector<float> x = random_vec(static_cast<std::size_t>(sh.outer * sh.len * sh.inner), 71, -2.f, 2.f);
    DeviceVec<float> dx(x, st), dy(static_cast<std::size_t>(sh.outer * sh.inner), st);
    for (cu::ReduceOp op :
         {cu::ReduceOp::Sum, cu::ReduceOp::Mean, cu::ReduceOp::Max, cu::ReduceOp::Min, cu::ReduceOp::SumSquare}) {
      CAPTURE(static_cast<int>(op));
      std::vector<double> want, tol;
      for (std::int64_t o = 0; o < sh.outer; ++o)
        for (std::int64_t i = 0; i < sh.inner; ++i) {
          double acc = op == cu::ReduceOp::Max ? -INFINITY : (op == cu::ReduceOp::Min ? INFINITY : 0.0), mag = 0;
          for (std::int64_t r = 0; r < sh.len; ++r) {
            const double v = x[static_cast<std::size_t>((o * sh.len + r) * sh.inner + i)];
            if (op == cu::ReduceOp::Max) acc = std::max(acc, v);
            else if (op == cu::ReduceOp::Min) acc = std::min(acc, v);
            else if (op == cu::ReduceOp::SumSquare) acc += v * v;
            else acc += v;
            mag += op == cu::ReduceOp::SumSquare ? v * v : std::fabs(v);
          }
          if (op == cu::ReduceOp::Mean) {
            acc /= static_cast<double>(sh.len);
            mag /= static_cast<double>(sh.len);
          }
          want.push_back(acc);
          tol.push_back(sh.len * std::ldexp(1.0, -23) * mag + 1e-7);
        }
      cu::reduce(op, dx.ptr(), sh.outer, sh.len, sh.inner, dy.ptr(), st.handle());
      expect_close(dy.get(st), want, tol, "reduce");
    }
  }
}

TEST_CASE("cuda transpose (vs kernels::transpose), concat, slice and gather move the right elements") {
  CUDA_TEST_REQUIRE_DEVICE();
  cu::Stream st;
  struct T {
    std::vector<std::int64_t> shape;
    std::vector<int> perm;
  };
  const T cases[] = {{{5}, {0}}, {{33, 65}, {1, 0}}, {{2, 3, 4, 5}, {0, 2, 3, 1}}, {{2, 3, 4, 5}, {0, 3, 1, 2}},
                     {{3, 1, 7, 2, 5}, {4, 2, 0, 3, 1}}};
  for (int elem : {1, 2, 4, 8})
    for (const T& t : cases) {
      CAPTURE(elem);
      std::int64_t n = 1;
      for (auto d : t.shape) n *= d;
      std::vector<std::uint8_t> x(static_cast<std::size_t>(n * elem));
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::uint8_t>(i * 37 + 11);
      std::vector<std::uint8_t> want(x.size());
      cpu::transpose(x.data(), want.data(), static_cast<std::size_t>(elem), t.shape,
                     std::vector<std::int64_t>(t.perm.begin(), t.perm.end()));
      DeviceVec<std::uint8_t> dx(x, st), dy(x.size(), st);
      cu::transpose(dx.ptr(), dy.ptr(), elem, t.shape.data(), t.perm.data(), static_cast<int>(t.shape.size()),
                    st.handle());
      CHECK(dy.get(st) == want);
    }

  // concat of [2, d_i, 3] along axis 1, d = {1, 4, 0, 2}
  {
    const std::int64_t dims[] = {1, 4, 0, 2}, outer = 2, inner = 3, total = 7;
    std::vector<std::vector<float>> in;
    std::vector<DeviceVec<float>> din;
    for (int i = 0; i < 4; ++i) {
      in.push_back(random_vec(static_cast<std::size_t>(outer * dims[i] * inner), 80 + i));
      din.emplace_back(in.back(), st);
    }
    const void* ptrs[] = {din[0].ptr(), din[1].ptr(), din[2].ptr(), din[3].ptr()};
    DeviceVec<float> dy(static_cast<std::size_t>(outer * total * inner), st);
    cu::concat(ptrs, dims, 4, outer, inner, dy.ptr(), 4, st.handle());
    std::vector<float> want;
    for (std::int64_t o = 0; o < outer; ++o)
      for (int i = 0; i < 4; ++i)
        for (std::int64_t e = 0; e < dims[i] * inner; ++e) want.push_back(in[i][static_cast<std::size_t>(o * dims[i] * inner + e)]);
    CHECK(dy.get(st) == want);
  }

  // slice with positive and negative steps of x [4, 6, 5]
  {
    const std::int64_t xs[] = {4, 6, 5}, starts[] = {1, 5, 0}, steps[] = {2, -2, 1}, ys[] = {2, 3, 5};
    std::vector<float> x = random_vec(120, 90);
    DeviceVec<float> dx(x, st), dy(30, st);
    cu::slice(dx.ptr(), dy.ptr(), 4, xs, starts, steps, ys, 3, st.handle());
    std::vector<float> want;
    for (std::int64_t i = 0; i < 2; ++i)
      for (std::int64_t j = 0; j < 3; ++j)
        for (std::int64_t k = 0; k < 5; ++k) want.push_back(x[static_cast<std::size_t>(((1 + 2 * i) * 6 + (5 - 2 * j)) * 5 + k)]);
    CHECK(dy.get(st) == want);
  }

  // gather along axis 1 of [3, 5, 4] with negative indices, then an out-of-range index
  {
    std::vector<float> x = random_vec(60, 91);
    std::vector<std::int64_t> idx = {4, -1, 0, -5, 2};
    DeviceVec<float> dx(x, st), dy(3 * 5 * 4, st);
    DeviceVec<std::int64_t> di(idx, st);
    DeviceVec<int> bad(1, st);
    cu::gather(dx.ptr(), di.ptr(), 5, 3, 5, 4, dy.ptr(), 4, bad.ptr(), st.handle());
    std::vector<float> want;
    for (std::int64_t o = 0; o < 3; ++o)
      for (std::int64_t t : idx)
        for (std::int64_t i = 0; i < 4; ++i) want.push_back(x[static_cast<std::size_t>((o * 5 + (t < 0 ? t + 5 : t)) * 4 + i)]);
    CHECK(dy.get(st) == want);
    CHECK(bad.get(st)[0] == 0);
    std::vector<std::int64_t> out_of_range = {1, 5};
    DeviceVec<std::int64_t> di2(out_of_range, st);
    cu::gather(dx.ptr(), di2.ptr(), 2, 3, 5, 4, dy.ptr(), 4, bad.ptr(), st.handle());
    CHECK(bad.get(st)[0] == 1);
  }
}

TEST_CASE("cuda resize2d (nearest, linear; every coordinate mode) matches a host resize") {
  CUDA_TEST_REQUIRE_DEVICE();
  cu::Stream st;
  struct Size {
    std::int64_t ih, iw, oh, ow;
  };
  for (Size sz : {Size{4, 4, 8, 8}, Size{5, 7, 3, 11}, Size{1, 6, 1, 13}, Size{9, 9, 9, 9}, Size{31, 17, 64, 5}})
    for (cu::ResizeMode mode : {cu::ResizeMode::Nearest, cu::ResizeMode::Linear})
      for (cu::CoordMode coord : {cu::CoordMode::HalfPixel, cu::CoordMode::PytorchHalfPixel, cu::CoordMode::AlignCorners,
                                  cu::CoordMode::Asymmetric})
        for (cu::NearestRound rnd : {cu::NearestRound::RoundPreferFloor, cu::NearestRound::RoundPreferCeil,
                                     cu::NearestRound::Floor, cu::NearestRound::Ceil}) {
          if (mode == cu::ResizeMode::Linear && rnd != cu::NearestRound::RoundPreferFloor) continue;
          CAPTURE(sz.ih);
          CAPTURE(sz.oh);
          CAPTURE(static_cast<int>(mode));
          CAPTURE(static_cast<int>(coord));
          CAPTURE(static_cast<int>(rnd));
          cu::ResizeParams p;
          p.planes = 2;
          p.in_h = sz.ih;
          p.in_w = sz.iw;
          p.out_h = sz.oh;
          p.out_w = sz.ow;
          p.mode = mode;
          p.coord = coord;
          p.nearest = rnd;
          std::vector<float> x = random_vec(static_cast<std::size_t>(2 * sz.ih * sz.iw), 95);
          // The ONNX formulas, in float as the device computes them (ties of nearest rounding land
          // exactly where the device's land).
          auto src = [&](float o, std::int64_t in, std::int64_t out) {
            const float scale = static_cast<float>(out) / static_cast<float>(in);
            switch (coord) {
              case cu::CoordMode::HalfPixel: return (o + 0.5f) / scale - 0.5f;
              case cu::CoordMode::PytorchHalfPixel: return out > 1 ? (o + 0.5f) / scale - 0.5f : 0.f;
              case cu::CoordMode::AlignCorners:
                return out > 1 ? o * static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.f;
              default: return o / scale;
            }
          };
          auto nearest = [&](float v, std::int64_t len) {
            const float f = std::floor(v);
            float r = rnd == cu::NearestRound::Floor  ? f
                      : rnd == cu::NearestRound::Ceil ? std::ceil(v)
                      : v - f == 0.5f                 ? (rnd == cu::NearestRound::RoundPreferFloor ? f : f + 1.f)
                                                      : std::nearbyint(v);
            return std::clamp<std::int64_t>(static_cast<std::int64_t>(r), 0, len - 1);
          };
          std::vector<double> want;
          for (std::int64_t pl = 0; pl < 2; ++pl)
            for (std::int64_t i = 0; i < sz.oh; ++i)
              for (std::int64_t j = 0; j < sz.ow; ++j) {
                const float* s = x.data() + pl * sz.ih * sz.iw;
                const float fy = src(static_cast<float>(i), sz.ih, sz.oh), fx = src(static_cast<float>(j), sz.iw, sz.ow);
                if (mode == cu::ResizeMode::Nearest) {
                  want.push_back(s[nearest(fy, sz.ih) * sz.iw + nearest(fx, sz.iw)]);
                  continue;
                }
                const double cy = std::clamp<double>(fy, 0, sz.ih - 1), cx = std::clamp<double>(fx, 0, sz.iw - 1);
                const std::int64_t y0 = static_cast<std::int64_t>(std::floor(cy)), x0 = static_cast<std::int64_t>(std::floor(cx));
                const std::int64_t y1 = std::min(y0 + 1, sz.ih - 1), x1 = std::min(x0 + 1, sz.iw - 1);
                const double ly = cy - y0, lx = cx - x0;
                want.push_back((s[y0 * sz.iw + x0] * (1 - lx) + s[y0 * sz.iw + x1] * lx) * (1 - ly) +
                               (s[y1 * sz.iw + x0] * (1 - lx) + s[y1 * sz.iw + x1] * lx) * ly);
              }
          DeviceVec<float> dx(x, st), dy(want.size(), st);
          cu::resize2d(p, dx.ptr(), dy.ptr(), st.handle());
          expect_close(dy.get(st), want, {mode == cu::ResizeMode::Nearest ? 0.0 : 1e-6}, "resize2d");
        }
}
