// CUDA GEMM, convolution and attention against kernels/cpu (sgemm) or double-precision host
// references, over shape tables with tails around the block tiles (64 SIMT, 128x128x32 tensor
// cores, 32-key attention tiles). Tolerances are error bounds, not fudge: with S = sum |a||b| of an
// output, fp32 accumulation is within k * 2^-23 * S (both sides), TF32 rounds each input to 2^-11
// relative (products within 2^-10 * S), and 16-bit outputs round once more to their precision.
// Argument checks run without a device; everything that launches skips with one line without one.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/cpu/gemm.h"
#include "onnxi/error.h"
#include "onnxi/float_types.h"

using namespace cuda_test;
namespace cu = onnxi::cuda;

namespace {

struct GemmCase {
  std::int64_t m, n, k;
  bool ta, tb;
  std::int64_t batch;
  bool broadcast_b;  // stride_b = 0
  float alpha, beta;
  bool bias, relu;
};

const GemmCase kGemmCases[] = {
    {1, 1, 1, false, false, 1, false, 1.f, 0.f, false, false},
    {7, 5, 3, false, false, 1, false, 1.f, 0.f, false, false},
    {64, 64, 16, false, false, 1, false, 1.f, 0.f, false, false},
    {65, 63, 17, false, false, 1, false, 1.f, 0.f, true, false},
    {128, 128, 32, false, false, 1, false, 1.f, 0.f, false, false},
    {129, 257, 100, false, false, 1, false, 0.5f, 0.f, true, true},
    {200, 72, 300, true, false, 1, false, 1.f, 1.f, false, false},
    {33, 130, 64, false, true, 1, false, 1.f, -0.5f, true, false},
    {17, 19, 23, true, true, 1, false, 2.f, 0.f, false, true},
    {40, 50, 60, false, false, 3, false, 1.f, 0.f, false, false},
    {31, 129, 33, false, true, 2, true, 1.f, 0.f, true, true},
};

float round_to(cu::GemmType t, float v) {
  if (t == cu::GemmType::F16) return onnxi::f16_to_f32(onnxi::f32_to_f16(v));
  if (t == cu::GemmType::BF16) return onnxi::bf16_to_f32(onnxi::f32_to_bf16(v));
  return v;
}

std::vector<std::uint16_t> to_bits(cu::GemmType t, const std::vector<float>& v) {
  std::vector<std::uint16_t> b(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    b[i] = t == cu::GemmType::F16 ? onnxi::f32_to_f16(v[i]) : onnxi::f32_to_bf16(v[i]);
  return b;
}

void run_gemm_case(cu::GemmType type, const GemmCase& g, cu::GemmAlgo algo = cu::GemmAlgo::Auto) {
  const std::int64_t lda = g.ta ? g.m : g.k, ldb = g.tb ? g.k : g.n, ldc = g.n;
  const std::int64_t sa = g.m * g.k, sb = g.broadcast_b ? 0 : g.k * g.n, sc = g.m * g.n;
  std::vector<float> a = random_vec(static_cast<std::size_t>(sa * g.batch), 11);
  std::vector<float> b = random_vec(static_cast<std::size_t>(g.k * g.n * (g.broadcast_b ? 1 : g.batch)), 12);
  std::vector<float> c = random_vec(static_cast<std::size_t>(sc * g.batch), 13);
  std::vector<float> bias = random_vec(static_cast<std::size_t>(g.n), 14);
  for (auto* v : {&a, &b, &c, &bias})
    for (auto& x : *v) x = round_to(type, x);  // the reference sees exactly the device's inputs

  // Reference: kernels::sgemm for the product, then bias and activation; the bound S per element.
  std::vector<double> want(c.size()), tol(c.size());
  const bool half = type == cu::GemmType::F16 || type == cu::GemmType::BF16;
  const double out_ulp = type == cu::GemmType::F16 ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
  for (std::int64_t bt = 0; bt < g.batch; ++bt) {
    const float* ab = a.data() + bt * sa;
    const float* bb = b.data() + bt * sb;
    std::vector<float> prod(static_cast<std::size_t>(sc), 0.f);
    onnxi::kernels::sgemm(g.ta, g.tb, g.m, g.n, g.k, g.alpha, ab, lda, bb, ldb, 0.f, prod.data(), ldc);
    for (std::int64_t i = 0; i < g.m; ++i)
      for (std::int64_t j = 0; j < g.n; ++j) {
        double s = 0;
        for (std::int64_t q = 0; q < g.k; ++q) {
          const double av = g.ta ? ab[q * lda + i] : ab[i * lda + q];
          const double bv = g.tb ? bb[j * ldb + q] : bb[q * ldb + j];
          s += std::fabs(av * bv);
        }
        s *= std::fabs(g.alpha);
        const std::size_t at = static_cast<std::size_t>(bt * sc + i * ldc + j);
        double v = prod[static_cast<std::size_t>(i * ldc + j)] + static_cast<double>(g.beta) * c[at] +
                   (g.bias ? bias[static_cast<std::size_t>(j)] : 0.f);
        if (g.relu) v = std::max(v, 0.0);
        want[at] = v;
        double t = 2.0 * g.k * std::ldexp(1.0, -23) * s + 1e-6;
        if (type == cu::GemmType::TF32 && algo != cu::GemmAlgo::Simt) t += std::ldexp(1.0, -10) * s;
        if (half) t += out_ulp * std::fabs(v);
        tol[at] = t;
      }
  }

  cu::Stream stream;
  cu::GemmParams p;
  p.m = g.m;
  p.n = g.n;
  p.k = g.k;
  p.trans_a = g.ta;
  p.trans_b = g.tb;
  p.lda = lda;
  p.ldb = ldb;
  p.ldc = ldc;
  p.batch = g.batch;
  p.stride_a = sa;
  p.stride_b = sb;
  p.stride_c = sc;
  p.alpha = g.alpha;
  p.beta = g.beta;
  p.algo = algo;
  if (g.relu) p.act.kind = cu::Activation::Relu;
  DeviceVec<float> dbias(bias, stream);
  if (g.bias) p.bias = dbias.ptr();
  std::vector<float> got(c.size());
  if (half) {
    DeviceVec<std::uint16_t> da(to_bits(type, a), stream), db(to_bits(type, b), stream), dc(to_bits(type, c), stream);
    cu::gemm(type, p, da.ptr(), db.ptr(), dc.ptr(), stream.handle());
    std::vector<std::uint16_t> bits = dc.get(stream);
    for (std::size_t i = 0; i < bits.size(); ++i)
      got[i] = type == cu::GemmType::F16 ? onnxi::f16_to_f32(bits[i]) : onnxi::bf16_to_f32(bits[i]);
  } else {
    DeviceVec<float> da(a, stream), db(b, stream), dc(c, stream);
    cu::gemm(type, p, da.ptr(), db.ptr(), dc.ptr(), stream.handle());
    got = dc.get(stream);
  }
  expect_close(got, want, tol, "gemm");
}

// ---- convolution ------------------------------------------------------------------------------------

struct ConvCase {
  cu::ConvParams p;
  bool bias, residual;
  cu::Activation act;
};

cu::ConvParams conv(std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c, std::int64_t cout,
                    std::int64_t groups, std::int64_t k, std::int64_t stride, std::int64_t dil, std::int64_t pad,
                    std::int64_t pad_end = -1) {
  cu::ConvParams p;
  p.n = n;
  p.h = h;
  p.w = w;
  p.c = c;
  p.cout = cout;
  p.groups = groups;
  p.kh = p.kw = k;
  p.stride_h = p.stride_w = stride;
  p.dilation_h = p.dilation_w = dil;
  p.pad_top = p.pad_left = pad;
  p.pad_bottom = p.pad_right = pad_end < 0 ? pad : pad_end;
  return p;
}

const ConvCase kConvCases[] = {
    {conv(1, 5, 5, 3, 4, 1, 3, 1, 1, 1), true, false, cu::Activation::None},
    {conv(2, 7, 9, 8, 16, 1, 3, 2, 1, 1), true, true, cu::Activation::Relu},
    {conv(1, 6, 6, 4, 6, 2, 3, 1, 2, 2), false, false, cu::Activation::None},
    {conv(1, 4, 4, 1, 70, 1, 1, 1, 1, 0), true, false, cu::Activation::Sigmoid},
    {conv(1, 17, 17, 32, 64, 1, 3, 1, 1, 0, 2), true, true, cu::Activation::Relu},
    {conv(3, 9, 9, 8, 8, 8, 3, 1, 1, 1), true, true, cu::Activation::Relu},   // depthwise
    {conv(1, 10, 7, 4, 8, 4, 5, 2, 1, 2), true, false, cu::Activation::None}, // depthwise, multiplier 2
};

// Host reference in double, NHWC x, KRSC w; also the bound S per output.
void conv_reference(const cu::ConvParams& p, const std::vector<float>& x, const std::vector<float>& w,
                    const std::vector<float>* bias, const std::vector<float>* res, cu::Activation act,
                    std::vector<double>& y, std::vector<double>& bound) {
  const std::int64_t oh = p.out_h(), ow = p.out_w(), cg = p.c / p.groups, og = p.cout / p.groups;
  y.assign(static_cast<std::size_t>(p.n * oh * ow * p.cout), 0.0);
  bound = y;
  for (std::int64_t n = 0; n < p.n; ++n)
    for (std::int64_t i = 0; i < oh; ++i)
      for (std::int64_t j = 0; j < ow; ++j)
        for (std::int64_t co = 0; co < p.cout; ++co) {
          const std::int64_t g = co / og;
          double s = 0, b = 0;
          for (std::int64_t r = 0; r < p.kh; ++r)
            for (std::int64_t q = 0; q < p.kw; ++q) {
              const std::int64_t ih = i * p.stride_h - p.pad_top + r * p.dilation_h;
              const std::int64_t iw = j * p.stride_w - p.pad_left + q * p.dilation_w;
              if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
              for (std::int64_t c = 0; c < cg; ++c) {
                const double xv = x[static_cast<std::size_t>(((n * p.h + ih) * p.w + iw) * p.c + g * cg + c)];
                const double wv = w[static_cast<std::size_t>(((co * p.kh + r) * p.kw + q) * cg + c)];
                s += xv * wv;
                b += std::fabs(xv * wv);
              }
            }
          const std::size_t at = static_cast<std::size_t>(((n * oh + i) * ow + j) * p.cout + co);
          if (bias) s += (*bias)[static_cast<std::size_t>(co)];
          if (res) s += (*res)[at];
          if (act == cu::Activation::Relu) s = std::max(s, 0.0);
          if (act == cu::Activation::Sigmoid) s = 1.0 / (1.0 + std::exp(-s));
          y[at] = s;
          bound[at] = b;
        }
}

void run_conv_case(const ConvCase& cc, cu::ConvAlgo algo) {
  const cu::ConvParams& p = cc.p;
  const std::int64_t k = p.kh * p.kw * (p.c / p.groups);
  std::vector<float> x = random_vec(static_cast<std::size_t>(p.n * p.h * p.w * p.c), 21);
  std::vector<float> w = random_vec(static_cast<std::size_t>(p.cout * k), 22);
  std::vector<float> bias = random_vec(static_cast<std::size_t>(p.cout), 23);
  std::vector<float> res = random_vec(static_cast<std::size_t>(p.n * p.out_h() * p.out_w() * p.cout), 24);
  std::vector<double> want, bound;
  conv_reference(p, x, w, cc.bias ? &bias : nullptr, cc.residual ? &res : nullptr, cc.act, want, bound);
  std::vector<double> tol(want.size());
  for (std::size_t i = 0; i < tol.size(); ++i) {
    tol[i] = 2.0 * k * std::ldexp(1.0, -23) * bound[i] + 1e-5;  // 1e-5 also covers the device's __expf
    if (algo == cu::ConvAlgo::ImplicitGemmTF32) tol[i] += std::ldexp(1.0, -10) * bound[i];
  }
  cu::Stream stream;
  DeviceVec<float> dx(x, stream), dw(w, stream), db(bias, stream), dr(res, stream), dy(want.size(), stream);
  cu::ActivationParams act;
  act.kind = cc.act;
  cu::conv2d_nhwc(p, dx.ptr(), dw.ptr(), cc.bias ? db.ptr() : nullptr, cc.residual ? dr.ptr() : nullptr, dy.ptr(),
                  act, stream.handle(), algo);
  expect_close(dy.get(stream), want, tol, "conv2d_nhwc");
}

// ---- attention ---------------------------------------------------------------------------------------

struct AttnCase {
  std::int64_t b, h, sq, sk, d, dv;
  bool causal;
  std::int64_t offset;
  bool mask;
};

const AttnCase kAttnCases[] = {
    {1, 1, 1, 1, 8, 8, false, 0, false},     {2, 3, 17, 33, 64, 64, false, 0, false},
    {1, 2, 40, 40, 32, 48, true, 0, false},  {1, 1, 5, 70, 128, 128, false, 0, true},
    {1, 1, 9, 9, 256, 256, true, -3, false},  // rows 0..2 see no key: zeros
    {2, 2, 64, 100, 80, 80, true, 36, true},  {1, 1, 3, 65, 1, 200, false, 0, false},
};

void attention_reference(const cu::AttentionParams& p, const std::vector<float>& q, const std::vector<float>& k,
                         const std::vector<float>& v, const std::vector<float>& mask, std::vector<double>& o,
                         std::vector<double>& row_bound) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(p.head_dim));
  o.assign(static_cast<std::size_t>(p.batch * p.heads * p.seq_q * p.head_dim_v), 0.0);
  row_bound.assign(o.size(), 0.0);
  for (std::int64_t b = 0; b < p.batch; ++b)
    for (std::int64_t h = 0; h < p.heads; ++h) {
      const std::int64_t bh = b * p.heads + h;
      for (std::int64_t i = 0; i < p.seq_q; ++i) {
        std::vector<double> s(static_cast<std::size_t>(p.seq_k), -INFINITY);
        double mx = -INFINITY;
        for (std::int64_t j = 0; j < p.seq_k; ++j) {
          if (p.causal && j > i + p.causal_offset) continue;
          double dot = 0, bound = 0;
          for (std::int64_t c = 0; c < p.head_dim; ++c) {
            const double t = static_cast<double>(q[static_cast<std::size_t>((bh * p.seq_q + i) * p.head_dim + c)]) *
                             k[static_cast<std::size_t>((bh * p.seq_k + j) * p.head_dim + c)];
            dot += t;
            bound += std::fabs(t);
          }
          dot *= scale;
          // A score off by e moves the output (a convex mix of |v| <= 1 rows) by about e.
          const double score_err = 2.0 * p.head_dim * std::ldexp(1.0, -24) * bound * scale;
          for (std::int64_t c = 0; c < p.head_dim_v; ++c) {
            double& rb = row_bound[static_cast<std::size_t>((bh * p.seq_q + i) * p.head_dim_v + c)];
            rb = std::max(rb, score_err);
          }
          if (p.mask) dot += mask[static_cast<std::size_t>(b * p.mask_stride_b + h * p.mask_stride_h + i * p.seq_k + j)];
          s[static_cast<std::size_t>(j)] = dot;
          mx = std::max(mx, dot);
        }
        if (mx == -INFINITY) continue;  // fully masked row: zeros
        double sum = 0;
        for (auto& x : s) sum += (x = std::exp(x - mx));
        for (std::int64_t c = 0; c < p.head_dim_v; ++c) {
          double acc = 0;
          for (std::int64_t j = 0; j < p.seq_k; ++j)
            acc += s[static_cast<std::size_t>(j)] * v[static_cast<std::size_t>((bh * p.seq_k + j) * p.head_dim_v + c)];
          o[static_cast<std::size_t>((bh * p.seq_q + i) * p.head_dim_v + c)] = acc / sum;
        }
      }
    }
}

void run_attention_case(cu::AttentionType type, const AttnCase& a) {
  cu::AttentionParams p;
  p.batch = a.b;
  p.heads = a.h;
  p.seq_q = a.sq;
  p.seq_k = a.sk;
  p.head_dim = a.d;
  p.head_dim_v = a.dv;
  p.causal = a.causal;
  p.causal_offset = a.offset;
  const bool f16 = type == cu::AttentionType::F16;
  auto round = [&](std::vector<float> v) {
    if (f16)
      for (auto& x : v) x = onnxi::f16_to_f32(onnxi::f32_to_f16(x));
    return v;
  };
  std::vector<float> q = round(random_vec(static_cast<std::size_t>(a.b * a.h * a.sq * a.d), 31, -2.f, 2.f));
  std::vector<float> k = round(random_vec(static_cast<std::size_t>(a.b * a.h * a.sk * a.d), 32, -2.f, 2.f));
  std::vector<float> v = round(random_vec(static_cast<std::size_t>(a.b * a.h * a.sk * a.dv), 33));
  // Mask per batch, shared by heads (stride_h 0), with some -inf entries.
  std::vector<float> mask = random_vec(static_cast<std::size_t>(a.b * a.sq * a.sk), 34, -3.f, 1.f);
  for (std::size_t i = 0; i < mask.size(); i += 7) mask[i] = -INFINITY;
  if (a.mask) p.mask_stride_b = a.sq * a.sk;
  cu::Stream stream;
  DeviceVec<float> dmask(mask, stream);
  if (a.mask) p.mask = dmask.ptr();
  std::vector<double> want, row_bound;
  attention_reference(p, q, k, v, mask, want, row_bound);
  // Softmax weights sum to 1 and |v| <= 1: outputs are within the scores' fp32 round-off plus a few
  // ulp of __expf and the weighted sum (2e-5) of the reference; half output adds its rounding.
  std::vector<double> tol = rel_tol(want, f16 ? std::ldexp(1.0, -11) : 0.0, 2e-5);
  for (std::size_t i = 0; i < tol.size(); ++i) tol[i] += 2.0 * row_bound[i];
  std::vector<float> got;
  if (f16) {
    auto bits = [](const std::vector<float>& x) {
      std::vector<std::uint16_t> r(x.size());
      for (std::size_t i = 0; i < x.size(); ++i) r[i] = onnxi::f32_to_f16(x[i]);
      return r;
    };
    DeviceVec<std::uint16_t> dq(bits(q), stream), dk(bits(k), stream), dv(bits(v), stream), dout(want.size(), stream);
    cu::attention(type, p, dq.ptr(), dk.ptr(), dv.ptr(), dout.ptr(), stream.handle());
    for (std::uint16_t b : dout.get(stream)) got.push_back(onnxi::f16_to_f32(b));
  } else {
    DeviceVec<float> dq(q, stream), dk(k, stream), dv(v, stream), dout(want.size(), stream);
    cu::attention(type, p, dq.ptr(), dk.ptr(), dv.ptr(), dout.ptr(), stream.handle());
    got = dout.get(stream);
  }
  expect_close(got, want, tol, "attention");
}

bool throws_invalid(void (*fn)()) {
  try {
    fn();
  } catch (const onnxi::Error& e) {
    return e.code() == onnxi::ErrorCode::InvalidArgument;
  }
  return false;
}

}  // namespace

TEST_CASE("cuda gemm: bad sizes are clear errors before anything launches (no device needed)") {
  CHECK(throws_invalid([] {
    cu::GemmParams p;
    p.m = p.n = p.k = 4;
    p.lda = 3;  // < k
    p.ldb = p.ldc = 4;
    cu::gemm(cu::GemmType::F32, p, nullptr, nullptr, nullptr, nullptr);
  }));
  CHECK(throws_invalid([] {
    cu::GemmParams p;
    p.m = p.n = p.k = 4;
    p.lda = p.ldb = p.ldc = 4;
    p.batch = 0;
    cu::gemm(cu::GemmType::F16, p, nullptr, nullptr, nullptr, nullptr);
  }));
  CHECK(throws_invalid([] {
    cu::ConvParams p = conv(1, 4, 4, 6, 4, 4, 3, 1, 1, 1);  // groups do not divide channels
    cu::conv2d_nhwc(p, nullptr, nullptr, nullptr, nullptr, nullptr, {}, nullptr);
  }));
  CHECK(throws_invalid([] {
    cu::ConvParams p = conv(1, 2, 2, 1, 1, 1, 5, 1, 1, 0);  // kernel larger than the input
    cu::conv2d_nhwc(p, nullptr, nullptr, nullptr, nullptr, nullptr, {}, nullptr);
  }));
  CHECK(throws_invalid([] {
    cu::ConvParams p = conv(1, 4, 4, 4, 8, 1, 3, 1, 1, 1);
    cu::conv2d_nhwc(p, nullptr, nullptr, nullptr, nullptr, nullptr, {}, nullptr, cu::ConvAlgo::Depthwise);
  }));
  CHECK(throws_invalid([] {
    cu::AttentionParams p;
    p.seq_q = p.seq_k = 4;
    p.head_dim = p.head_dim_v = 300;
    cu::attention(cu::AttentionType::F32, p, nullptr, nullptr, nullptr, nullptr, nullptr);
  }));
}

TEST_CASE("cuda gemm matches kernels::sgemm for every precision over tile tails") {
  CUDA_TEST_REQUIRE_DEVICE();
  for (cu::GemmType type : {cu::GemmType::F32, cu::GemmType::TF32, cu::GemmType::F16, cu::GemmType::BF16})
    for (const GemmCase& g : kGemmCases) {
      CAPTURE(static_cast<int>(type));
      CAPTURE(g.m);
      CAPTURE(g.n);
      CAPTURE(g.k);
      CAPTURE(g.batch);
      run_gemm_case(type, g);
      if (type == cu::GemmType::F16) run_gemm_case(type, g, cu::GemmAlgo::Simt);
    }
}

TEST_CASE("cuda gemm on wgmma (sm_90a) matches kernels::sgemm, or says why it cannot run") {
  CUDA_TEST_REQUIRE_DEVICE();
  const cu::DeviceInfo info = cu::device_info();
  if (info.major != 9 || info.minor != 0) {
    cu::GemmParams p;
    p.m = p.n = p.k = p.lda = p.ldb = p.ldc = 8;
    p.algo = cu::GemmAlgo::Wgmma;
    cu::Stream stream;
    DeviceVec<std::uint16_t> buf(64, stream);
    CHECK_THROWS_AS(cu::gemm(cu::GemmType::F16, p, buf.ptr(), buf.ptr(), buf.ptr(), stream.handle()), onnxi::Error);
    return;
  }
  for (cu::GemmType type : {cu::GemmType::TF32, cu::GemmType::F16, cu::GemmType::BF16})
    for (const GemmCase& g : kGemmCases) {
      CAPTURE(static_cast<int>(type));
      CAPTURE(g.m);
      CAPTURE(g.n);
      CAPTURE(g.k);
      CAPTURE(g.batch);
      run_gemm_case(type, g, cu::GemmAlgo::Wgmma);
    }
}

TEST_CASE("cuda conv2d_nhwc (implicit GEMM fp32/TF32, depthwise) matches a host convolution") {
  CUDA_TEST_REQUIRE_DEVICE();
  for (const ConvCase& cc : kConvCases) {
    CAPTURE(cc.p.c);
    CAPTURE(cc.p.cout);
    CAPTURE(cc.p.groups);
    CAPTURE(cc.p.kh);
    run_conv_case(cc, cu::ConvAlgo::Auto);
    if (cc.p.groups != cc.p.c) run_conv_case(cc, cu::ConvAlgo::ImplicitGemmTF32);
    if (cc.p.groups == cc.p.c) run_conv_case(cc, cu::ConvAlgo::ImplicitGemmF32);  // grouped GEMM path too
  }
}

TEST_CASE("cuda attention (fp32, fp16) matches a host softmax(QK^T)V with causal and additive masks") {
  CUDA_TEST_REQUIRE_DEVICE();
  for (cu::AttentionType type : {cu::AttentionType::F32, cu::AttentionType::F16})
    for (const AttnCase& a : kAttnCases) {
      CAPTURE(static_cast<int>(type));
      CAPTURE(a.sq);
      CAPTURE(a.sk);
      CAPTURE(a.d);
      run_attention_case(type, a);
    }
}
