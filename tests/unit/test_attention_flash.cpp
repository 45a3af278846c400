// The flash-attention kernel of every ISA the CPU has against its scalar reference (double dot
// products, full softmax per query): query and key lengths 1..130 (below, at and past the 16/32-key
// panels, the 64-query and 128-key blocks), head sizes 1, 8, 64, 80 (vector tails), causal with
// and without an offset, additive and bool masks broadcast over heads or batch, fully masked rows,
// grouped KV heads, the [B, S, H*D] layout, windows, per-batch key lengths and softcap. The
// reference itself is checked against values worked out by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/attention_flash.h"
#include "kernels/cpu/cpu_features.h"

using namespace onnxi::kernels;

namespace {

struct Case {
  int64_t batch, q_heads, kv_heads, q_len, kv_len, dim, v_dim;
  bool causal = false;
  int64_t offset = 0;
  enum Mask { None, Float, Bool, FloatAllNegInf } mask = None;
  bool mask_per_head = false;  // mask [B, H, Sq, mask_len]; else [B, 1, 1, mask_len] (padding style)
  bool seq_major = false;      // [B, S, H*D] layout for Q, K, V and the output
  int64_t left_window = -1, right_window = -1;
  bool kv_lengths = false;
  float softcap = 0.f;
  int64_t mask_len = -1;  // -1: kv_len
};

std::string describe(const Case& c) {
  return "B" + std::to_string(c.batch) + " H" + std::to_string(c.q_heads) + "/" + std::to_string(c.kv_heads) + " Sq" +
         std::to_string(c.q_len) + " Skv" + std::to_string(c.kv_len) + " D" + std::to_string(c.dim) + "/" +
         std::to_string(c.v_dim) + (c.causal ? " causal" : "") + " mask" + std::to_string(c.mask) +
         (c.seq_major ? " seq-major" : "") + (c.softcap > 0 ? " softcap" : "");
}

// Buffers and arguments for one case, random values with a fixed seed.
struct Problem {
  std::vector<float> q, k, v, mask;
  std::vector<char> bool_mask;  // char, not vector<bool>: the kernel reads bytes
  std::vector<int64_t> lengths;
  FlashAttentionArgs args;

  explicit Problem(const Case& c) {
    std::mt19937 rng(static_cast<uint32_t>(c.q_len * 131 + c.kv_len * 7 + c.dim));
    std::uniform_real_distribution<float> uni(-1.f, 1.f);
    auto fill = [&](std::vector<float>& t, size_t n) {
      t.resize(n);
      for (float& x : t) x = uni(rng);
    };
    fill(q, c.batch * c.q_heads * c.q_len * c.dim);
    fill(k, c.batch * c.kv_heads * c.kv_len * c.dim);
    fill(v, c.batch * c.kv_heads * c.kv_len * c.v_dim);
    FlashAttentionArgs& a = args;
    a.q = q.data();
    a.k = k.data();
    a.v = v.data();
    a.batch = c.batch;
    a.q_heads = c.q_heads;
    a.kv_heads = c.kv_heads;
    a.q_len = c.q_len;
    a.kv_len = c.kv_len;
    a.qk_dim = c.dim;
    a.v_dim = c.v_dim;
    auto strides = [&](int64_t* s, int64_t heads, int64_t len, int64_t d) {
      if (c.seq_major) {
        s[0] = len * heads * d, s[1] = d, s[2] = heads * d;
      } else {
        s[0] = heads * len * d, s[1] = len * d, s[2] = d;
      }
    };
    strides(a.q_strides, c.q_heads, c.q_len, c.dim);
    strides(a.k_strides, c.kv_heads, c.kv_len, c.dim);
    strides(a.v_strides, c.kv_heads, c.kv_len, c.v_dim);
    strides(a.out_strides, c.q_heads, c.q_len, c.v_dim);
    a.scale = 1.f / std::sqrt(static_cast<float>(c.dim));
    a.softcap = c.softcap;
    a.causal = c.causal;
    a.offset = c.offset;
    a.left_window = c.left_window;
    a.right_window = c.right_window;
    if (c.kv_lengths) {
      for (int64_t b = 0; b < c.batch; ++b) lengths.push_back(std::max<int64_t>(1, c.kv_len - 3 * b - 1));
      a.kv_lengths = lengths.data();
    }
    if (c.mask != Case::None) {
      a.mask_len = c.mask_len < 0 ? c.kv_len : c.mask_len;
      const int64_t rows = c.mask_per_head ? c.q_heads * c.q_len : 1;
      const size_t n = static_cast<size_t>(c.batch * rows * a.mask_len);
      a.mask_strides[0] = rows * a.mask_len;
      a.mask_strides[1] = c.mask_per_head ? c.q_len * a.mask_len : 0;
      a.mask_strides[2] = c.mask_per_head ? a.mask_len : 0;
      if (c.mask == Case::Bool) {
        bool_mask.resize(n);
        // About a third masked, and row 0 of each batch fully masked when per head.
        for (size_t i = 0; i < n; ++i) bool_mask[i] = (rng() % 3) != 0;
        if (c.mask_per_head) {
          for (int64_t b = 0; b < c.batch; ++b) {
            for (int64_t j = 0; j < a.mask_len; ++j) bool_mask[b * a.mask_strides[0] + j] = 0;
          }
        }
        a.bool_mask = reinterpret_cast<const bool*>(bool_mask.data());
      } else {
        mask.resize(n);
        for (size_t i = 0; i < n; ++i) {
          mask[i] = c.mask == Case::FloatAllNegInf ? -INFINITY : (rng() % 4 == 0 ? -10000.f : 2.f * uni(rng));
        }
        a.mask = mask.data();
      }
    }
  }

  std::vector<float> run(Isa isa) {
    std::vector<float> out(static_cast<size_t>(args.batch * args.q_heads * args.q_len * args.v_dim), -7.f);
    FlashAttentionArgs a = args;
    a.out = out.data();
    if (isa == Isa::Scalar) {
      flash_attention_f32_reference(a);
    } else {
      flash_attention_f32_with(isa, a);
    }
    return out;
  }
};

std::vector<Isa> simd_isas() {
  std::vector<Isa> isas;
  if (detected_isa() >= Isa::Avx2) isas.push_back(Isa::Avx2);
  if (detected_isa() >= Isa::Avx512) isas.push_back(Isa::Avx512);
  return isas;
}

// |got - want| <= 2e-5 + 2e-4 |want|: float dot products of up to 80 terms and a float running
// sum of up to 130 weights against double.
void check_close(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  REQUIRE(got.size() == want.size());
  size_t bad = 0;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    worst = std::max(worst, err);
    if (!(err <= 2e-5 + 2e-4 * std::fabs(want[i]))) ++bad;
  }
  INFO(what << ": worst abs error " << worst);
  CHECK(bad == 0);
}

void check_case(const Case& c) {
  Problem p(c);
  const std::vector<float> want = p.run(Isa::Scalar);
  for (Isa isa : simd_isas()) check_close(p.run(isa), want, describe(c) + " " + isa_name(isa));
}

}  // namespace

TEST_CASE("flash attention reference: hand-worked values") {
  // One query, two keys, D = 1, scale 1: scores 1 and 3 -> weights 1/(1+e^2), e^2/(1+e^2).
  std::vector<float> q{1.f}, k{1.f, 3.f}, v{10.f, 20.f}, out(1, 0.f);
  FlashAttentionArgs a;
  a.q = q.data(), a.k = k.data(), a.v = v.data(), a.out = out.data();
  a.q_len = 1, a.kv_len = 2, a.qk_dim = 1, a.v_dim = 1;
  a.q_strides[2] = a.k_strides[2] = a.v_strides[2] = a.out_strides[2] = 1;
  const double w1 = std::exp(2.0) / (1 + std::exp(2.0));
  flash_attention_f32_reference(a);
  CHECK(out[0] == doctest::Approx(10 * (1 - w1) + 20 * w1).epsilon(1e-6));
  for (Isa isa : simd_isas()) {
    out[0] = 0;
    flash_attention_f32_with(isa, a);
    CHECK(out[0] == doctest::Approx(10 * (1 - w1) + 20 * w1).epsilon(1e-6));
  }
  // Causal with Sq = Skv = 2 (offset 0): query 0 sees key 0 only.
  std::vector<float> q2{1.f, 1.f}, out2(2, 0.f);
  a.q = q2.data(), a.out = out2.data(), a.q_len = 2, a.causal = true;
  flash_attention_f32_reference(a);
  CHECK(out2[0] == doctest::Approx(10.f));
  CHECK(out2[1] == doctest::Approx(10 * (1 - w1) + 20 * w1).epsilon(1e-6));
  // A mask that hides every key gives zeros, not NaN.
  std::vector<float> mask{-INFINITY, -INFINITY};
  a.causal = false, a.mask = mask.data(), a.mask_len = 2;
  for (Isa isa : simd_isas()) {
    out2 = {5.f, 5.f};
    flash_attention_f32_with(isa, a);
    CHECK(out2[0] == 0.f);
    CHECK(out2[1] == 0.f);
  }
}

TEST_CASE("flash attention matches the reference over lengths and head sizes") {
  for (int64_t dim : {1, 8, 12, 64, 80}) {  // 12: a partial 8-dim group in the K packing
    for (int64_t len : {1, 2, 15, 16, 17, 33, 64, 65, 127, 130}) {
      check_case({1, 2, 2, len, len, dim, dim});
      check_case({1, 1, 1, len, 130 - len + 1, dim, dim});  // Sq != Skv
    }
  }
  check_case({1, 1, 1, 70, 129, 8, 80});  // head sizes of K and V differ
  check_case({1, 1, 1, 5, 200, 80, 1});
  check_case({1, 2, 2, 70, 384, 64, 64});  // several whole key blocks, the running max moving on
}

TEST_CASE("flash attention matches the reference with causal masks, windows and key lengths") {
  for (int64_t len : {1, 7, 63, 64, 65, 129, 130}) {
    for (int64_t dim : {8, 64}) {
      Case c{2, 3, 3, len, len, dim, dim};
      c.causal = true;
      check_case(c);
      c.kv_len = len + 40;  // a past of 40 keys before the current ones
      c.offset = 40;
      check_case(c);
      Case w{1, 2, 2, len, len, dim, dim};
      w.left_window = 5;
      w.right_window = 0;
      check_case(w);
      Case n{3, 2, 2, len, len + 5, dim, dim};
      n.kv_lengths = true;
      n.causal = (len % 2) == 1;
      check_case(n);
    }
  }
}

TEST_CASE("flash attention matches the reference with float and bool masks") {
  for (int64_t len : {1, 17, 64, 100, 130}) {
    for (Case::Mask m : {Case::Float, Case::Bool}) {
      for (bool per_head : {false, true}) {
        Case c{2, 2, 2, len, len, 64, 64};
        c.mask = m;
        c.mask_per_head = per_head;
        check_case(c);
        c.causal = true;
        check_case(c);
        c.mask_len = (len + 1) / 2;  // the mask covers the first keys only; the rest are hidden
        check_case(c);
      }
    }
    Case all{1, 2, 2, len, len, 8, 8};
    all.mask = Case::FloatAllNegInf;
    Problem p(all);
    for (Isa isa : simd_isas()) {
      for (float y : p.run(isa)) CHECK(y == 0.f);
    }
  }
}

TEST_CASE("flash attention matches the reference with grouped KV heads, the [B, S, H*D] layout and softcap") {
  for (int64_t len : {3, 64, 97}) {
    check_case({2, 6, 2, len, len + 9, 64, 64});  // 3 query heads per kv head
    check_case({1, 4, 1, len, len, 80, 80});
    Case s{2, 4, 2, len, len, 64, 64};
    s.seq_major = true;
    s.causal = true;
    check_case(s);
    Case cap{1, 2, 2, len, len, 64, 64};
    cap.softcap = 2.f;  // scores up to ~2.5 at this scale: the cap bends them
    check_case(cap);
    cap.mask = Case::Float;
    check_case(cap);
  }
}
