// Attention (opset 23/24/25): scaled dot-product attention over [B, H, S, D] heads (3-D inputs
// [B, S, H*D] are split by q_num_heads / kv_num_heads), with grouped KV heads, an optional mask
// (bool: allowed / not; numeric: added to the scores, its key axis padded with -inf up to the
// full key length), bottom-right aligned causal masking, sliding windows (25), a KV cache
// (past_* concatenated before K/V, or nonpad_kv_seqlen for an external cache, 24+), softcap and
// the qk_matmul_output debug output. A query whose every key is masked yields zeros.
//
// Float32 runs the fused flash kernel (kernels/cpu/attention_flash.h), reading 3-D or 4-D Q/K/V in
// place; other types, and qk_matmul_output (which needs the whole probability matrix), take the
// unfused path below (QK^T, softmax rows, PV per head).
//
// com.onnxi Attention (opset 1) is the same kernel over Q, K, V and Y laid out [B, S, H, D], the
// form the attention fusion pass leaves (runtime/passes/fuse_attention.cpp); its mask broadcasts
// like the Add it replaced (a key axis of 1 repeats over the keys instead of covering key 0 only).
//
// qk_matmul_output follows the reference implementation the node tests come from: modes 0 and 1
// give the (softcapped) scores, 2 adds the mask bias, 3 is the softmax.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "kernels/cpu/attention_flash.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/softmax.h"
#include "onnxi/float_types.h"
#include "ops/common.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

struct AttentionAttrs {
  bool is_causal = false;
  bool has_scale = false;
  double scale = 1.0;
  double softcap = 0.0;
  int64_t mode = 0;
  int64_t q_heads = 0;   // 0: not given
  int64_t kv_heads = 0;  // 0: not given
  int64_t left_window = -1;
  int64_t right_window = -1;
};

// A Q/K/V input seen as [B, H, S, D] (3-D [B, S, H*D] split into `heads`): sizes and element
// strides of the batch, head and sequence axes (the head-size axis is contiguous).
struct HeadView {
  int64_t B = 0, H = 0, S = 0, D = 0;
  int64_t strides[3] = {0, 0, 0};
};

HeadView head_view(const KernelContext& ctx, const Tensor& t, int64_t heads, const char* what) {
  HeadView v;
  if (t.rank() == 4) {
    v = {t.dim(0), t.dim(1), t.dim(2), t.dim(3), {t.dim(1) * t.dim(2) * t.dim(3), t.dim(2) * t.dim(3), t.dim(3)}};
    return v;
  }
  if (heads <= 0) ctx.fail(cat("3-D input ", what, " needs the q_num_heads and kv_num_heads attributes"));
  const int64_t hidden = t.dim(2);
  if (hidden % heads != 0) ctx.fail(cat(what, " hidden size ", hidden, " is not divisible by ", heads, " heads"));
  v = {t.dim(0), heads, t.dim(1), hidden / heads, {t.dim(1) * hidden, hidden / heads, hidden}};
  return v;
}

// A tensor as [B, H, S, D] in compute type `ct`; 3-D [B, S, H*D] inputs are split into `heads`.
Tensor to_heads(const KernelContext& ctx, const Tensor& t, int64_t heads, DataType ct, const char* what) {
  const Tensor c = convert_float(t, ct);
  if (t.rank() == 4) return c;
  const HeadView hv = head_view(ctx, t, heads, what);
  const int64_t B = hv.B, S = hv.S, hidden = t.dim(2), D = hv.D;
  Tensor out(ct, {B, heads, S, D});
  const size_t esize = ct == DataType::Double ? 8 : 4;
  const char* src = static_cast<const char*>(c.raw());
  char* dst = static_cast<char*>(out.raw());
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t h = 0; h < heads; ++h) {
        std::memcpy(dst + (((b * heads + h) * S + s) * D) * esize, src + ((b * S + s) * hidden + h * D) * esize,
                    static_cast<size_t>(D) * esize);
      }
    }
  }
  return out;
}

// [B, H, P, D] ++ [B, H, S, D] along the sequence axis.
Tensor concat_seq(const Tensor& past, const Tensor& cur) {
  const int64_t B = cur.dim(0), H = cur.dim(1), P = past.dim(2), S = cur.dim(2), D = cur.dim(3);
  Tensor out(cur.dtype(), {B, H, P + S, D});
  const size_t esize = cur.dtype() == DataType::Double ? 8 : 4;
  char* dst = static_cast<char*>(out.raw());
  for (int64_t bh = 0; bh < B * H; ++bh) {
    std::memcpy(dst + bh * (P + S) * D * esize, static_cast<const char*>(past.raw()) + bh * P * D * esize,
                static_cast<size_t>(P * D) * esize);
    std::memcpy(dst + (bh * (P + S) + P) * D * esize, static_cast<const char*>(cur.raw()) + bh * S * D * esize,
                static_cast<size_t>(S * D) * esize);
  }
  return out;
}

// The mask as float64 bias values with broadcast strides over [B, Hq, Sq, mask_len].
struct MaskBias {
  std::vector<double> values;
  std::vector<int64_t> strides;  // 4 entries
  int64_t length = 0;            // key positions the mask covers
  bool present = false;
};

// The mask's strides over [B, H, Sq, mask_len] after checking that it broadcasts there.
std::vector<int64_t> mask_strides(const KernelContext& ctx, const Tensor& m, int64_t B, int64_t H, int64_t Sq) {
  if (m.rank() < 1 || m.rank() > 4) ctx.fail(cat("attn_mask must have rank 1 to 4, got ", m.describe()));
  const Shape target{B, H, Sq, m.shape().back()};
  for (size_t k = 0; k < m.shape().size(); ++k) {
    const int64_t d = m.shape()[m.shape().size() - 1 - k], t = target[3 - k];
    if (d != 1 && d != t) ctx.fail(cat("attn_mask ", m.describe(), " does not broadcast to ", shape_str(target)));
  }
  return broadcast_strides(m.shape(), target);
}

MaskBias read_mask(const KernelContext& ctx, const Tensor& m, int64_t B, int64_t H, int64_t Sq) {
  MaskBias mb;
  mb.present = true;
  mb.strides = mask_strides(ctx, m, B, H, Sq);
  mb.length = m.shape().back();
  mb.values.resize(static_cast<size_t>(m.numel()));
  if (m.dtype() == DataType::Bool) {
    const bool* p = m.data<bool>();
    for (int64_t i = 0; i < m.numel(); ++i) mb.values[i] = p[i] ? 0.0 : -std::numeric_limits<double>::infinity();
  } else {
    convert_to_f64(m.dtype(), m.raw(), mb.values.data(), m.numel());
  }
  return mb;
}

class AttentionKernel final : public Kernel {
 public:
  // seq_major: the com.onnxi form, Q/K/V and Y as [B, S, H, D] (see register_attention).
  AttentionKernel(AttentionAttrs a, bool seq_major) : a_(a), seq_major_(seq_major) {}

  void compute(KernelContext& ctx) const override {
    if (!seq_major_) {
      return compute_with(ctx, a_, float_input(ctx, 0), input_of_type(ctx, 1, float_input(ctx, 0).dtype()),
                          float_input(ctx, 2), ctx.has_input(3) ? &ctx.input(3) : nullptr);
    }
    // [B, S, H, D] is the 3-D [B, S, H*D] layout with H given: run that, then view Y as 4-D.
    const Tensor& Q = float_input(ctx, 0);
    const Tensor& K = input_of_type(ctx, 1, Q.dtype());
    const Tensor& V = float_input(ctx, 2);
    if (Q.rank() != 4 || K.rank() != 4 || V.rank() != 4 || K.dim(2) != V.dim(2)) {
      ctx.fail(cat("com.onnxi Attention takes Q, K and V as [B, S, heads, head_size] with the same K and V heads, got ",
                   Q.describe(), ", ", K.describe(), ", ", V.describe()));
    }
    AttentionAttrs a = a_;
    a.q_heads = Q.dim(2);
    a.kv_heads = K.dim(2);
    // The mask here stands for an Add: a key axis of 1 broadcasts over the keys (ai.onnx
    // Attention would hide the keys past the mask's length instead).
    Tensor mask;
    if (ctx.has_input(3)) {
      mask = ctx.input(3);
      if (mask.rank() >= 1 && mask.shape().back() == 1 && K.dim(1) != 1) mask = repeat_last_axis(mask, K.dim(1));
    }
    compute_with(ctx, a, Q.reshaped({Q.dim(0), Q.dim(1), Q.dim(2) * Q.dim(3)}),
                 K.reshaped({K.dim(0), K.dim(1), K.dim(2) * K.dim(3)}),
                 V.reshaped({V.dim(0), V.dim(1), V.dim(2) * V.dim(3)}), ctx.has_input(3) ? &mask : nullptr);
    Value& y = ctx.output_value(0);
    const Tensor& y3 = y.tensor();
    y = y3.reshaped({y3.dim(0), y3.dim(1), Q.dim(2), V.dim(3)});
  }

 private:
  // mask_in: attn_mask or null.
  void compute_with(KernelContext& ctx, const AttentionAttrs& at, const Tensor& Q, const Tensor& K, const Tensor& V,
                    const Tensor* mask_in) const {
    if ((Q.rank() != 3 && Q.rank() != 4) || K.rank() != Q.rank() || V.rank() != Q.rank()) {
      ctx.fail(
          cat("Q, K and V must all be 3-D or all 4-D, got ", Q.describe(), ", ", K.describe(), ", ", V.describe()));
    }
    if (ctx.opset() >= 25 && Q.rank() == 4 && (at.q_heads || at.kv_heads)) {
      ctx.fail("q_num_heads and kv_num_heads must not be given for 4-D inputs");
    }
    const HeadView qv = head_view(ctx, Q, at.q_heads, "Q");
    const HeadView kv = head_view(ctx, K, at.kv_heads, "K");
    const HeadView vv = head_view(ctx, V, at.kv_heads, "V");
    if (kv.B != qv.B || vv.B != qv.B || kv.D != qv.D || vv.H != kv.H || vv.S != kv.S) {
      ctx.fail(cat("Q ", Q.describe(), ", K ", K.describe(), " and V ", V.describe(),
                   " disagree on batch, head count, head size or key length"));
    }
    if (kv.H == 0 || qv.H % kv.H != 0) ctx.fail(cat("q heads ", qv.H, " must be a multiple of kv heads ", kv.H));
    const bool want_qk = ctx.num_outputs() > 3 && ctx.output_wanted(3);
    const bool float_mask = !mask_in || mask_in->dtype() == DataType::Bool || mask_in->dtype() == DataType::Float;
    if (Q.dtype() == DataType::Float && V.dtype() == DataType::Float && float_mask && !want_qk) {
      return compute_flash(ctx, at, Q, K, V, mask_in, qv, kv, vv);
    }

    const DataType ct = compute_type(Q.dtype());
    Tensor q = to_heads(ctx, Q, at.q_heads, ct, "Q");
    Tensor k = to_heads(ctx, K, at.kv_heads, ct, "K");
    Tensor v = to_heads(ctx, V, at.kv_heads, ct, "V");
    const int64_t B = q.dim(0), Hq = q.dim(1), Sq = q.dim(2), Dh = q.dim(3);
    const int64_t Hk = k.dim(1), Dv = v.dim(3);
    const bool has_past = past_given(ctx);
    int64_t past_len = 0;
    if (has_past) {
      check_past(ctx, B, Hk, Dh, Dv, k.shape(), v.shape());
      past_len = ctx.input(4).dim(2);
      k = concat_seq(convert_float(ctx.input(4), ct), k);
      v = concat_seq(convert_float(ctx.input(5), ct), v);
    }
    const int64_t Skv = k.dim(2);
    const std::vector<int64_t> nonpad = read_nonpad(ctx, has_past, B);
    const MaskBias mask = mask_in ? read_mask(ctx, *mask_in, B, Hq, Sq) : MaskBias{};
    const double scale = at.has_scale ? at.scale : 1.0 / std::sqrt(static_cast<double>(Dh));

    Tensor y(ct, {B, Hq, Sq, Dv});
    Tensor qk(ct, want_qk ? Shape{B, Hq, Sq, Skv} : Shape{0});
    with_compute_type(ct, [&](auto tag) {
      using T = decltype(tag);
      // The reference scales Q and K by sqrt(scale) each; doing the same keeps rounding alike.
      const T root = static_cast<T>(std::sqrt(scale));
      // Scaled copies: q and k may share the buffers of the inputs, which must not change.
      Tensor qs = q.clone();
      for (int64_t i = 0; i < qs.numel(); ++i) qs.data<T>()[i] *= root;
      Tensor ks = k.clone();
      for (int64_t i = 0; i < ks.numel(); ++i) ks.data<T>()[i] *= root;
      kernels::parallel_for(0, B * Hq, 1, [&](int64_t begin, int64_t end) {
        std::vector<T> scores(static_cast<size_t>(Sq * Skv));
        std::vector<double> bias(static_cast<size_t>(Skv));
        for (int64_t bh = begin; bh < end; ++bh) {
          const int64_t b = bh / Hq, h = bh % Hq, kvh = h / (Hq / Hk);
          const T* qh = qs.data<T>() + bh * Sq * Dh;
          const T* kh = ks.data<T>() + (b * Hk + kvh) * Skv * Dh;
          const T* vh = v.data<T>() + (b * Hk + kvh) * Skv * Dv;
          kernels::gemm(false, true, Sq, Skv, Dh, T(1), qh, Dh, kh, Dh, T(0), scores.data(), Skv);
          const int64_t offset = has_past ? past_len : (!nonpad.empty() ? nonpad[b] - Sq : 0);
          // No mask, window, softcap or QK output: only causality limits a row, to its first
          // i + offset + 1 keys, and there is no bias to add.
          const bool plain = !mask.present && nonpad.empty() && at.left_window < 0 && at.right_window < 0 &&
                             !(at.softcap > 0) && !want_qk;
          for (int64_t i = 0; plain && i < Sq; ++i) {
            T* row = scores.data() + i * Skv;
            const int64_t keys = at.is_causal ? std::clamp<int64_t>(i + offset + 1, 0, Skv) : Skv;
            if (keys > 0) kernels::softmax_row_masked(row, keys);
            std::fill(row + keys, row + Skv, T(0));
          }
          for (int64_t i = 0; !plain && i < Sq; ++i) {
            T* row = scores.data() + i * Skv;
            fill_bias(at, mask, b, h, i, offset, nonpad.empty() ? -1 : nonpad[b], bias);
            double max_bias = -std::numeric_limits<double>::infinity();
            for (int64_t j = 0; j < Skv; ++j) {
              if (at.softcap > 0) row[j] = static_cast<T>(at.softcap * std::tanh(row[j] / at.softcap));
              max_bias = std::max(max_bias, bias[j]);
            }
            T* qk_row = want_qk ? qk.data<T>() + (bh * Sq + i) * Skv : nullptr;
            if (qk_row && at.mode <= 1) std::copy(row, row + Skv, qk_row);
            for (int64_t j = 0; j < Skv; ++j) row[j] = static_cast<T>(row[j] + bias[j]);
            if (qk_row && at.mode == 2) std::copy(row, row + Skv, qk_row);
            if (std::isinf(max_bias) && max_bias < 0) {
              std::fill(row, row + Skv, T(0));
            } else {
              kernels::softmax_row_masked(row, Skv);
            }
            if (qk_row && at.mode == 3) std::copy(row, row + Skv, qk_row);
          }
          kernels::gemm(false, false, Sq, Dv, Skv, T(1), scores.data(), Skv, vh, Dv, T(0), y.data<T>() + bh * Sq * Dv,
                        Dv);
        }
      });
    });
    ctx.set_output(0, convert_float(Q.rank() == 3 ? merge_heads(y) : y, Q.dtype()));
    if (ctx.num_outputs() > 1 && ctx.output_wanted(1)) ctx.set_output(1, convert_float(k, K.dtype()));
    if (ctx.num_outputs() > 2 && ctx.output_wanted(2)) ctx.set_output(2, convert_float(v, V.dtype()));
    if (want_qk) ctx.set_output(3, convert_float(qk, Q.dtype()));
  }

  // t [..., 1] -> [..., n], each value repeated.
  static Tensor repeat_last_axis(const Tensor& t, int64_t n) {
    Shape shape = t.shape();
    shape.back() = n;
    Tensor out(t.dtype(), shape);
    const size_t es = storage_bytes(t.dtype(), 1);  // masks are bool or float types: whole bytes
    for (int64_t i = 0; i < t.numel(); ++i) {
      for (int64_t j = 0; j < n; ++j) {
        std::memcpy(static_cast<char*>(out.raw()) + (i * n + j) * es, static_cast<const char*>(t.raw()) + i * es, es);
      }
    }
    return out;
  }

  static bool past_given(const KernelContext& ctx) {
    const bool has_past = ctx.has_input(4) || ctx.has_input(5);
    if (has_past && (!ctx.has_input(4) || !ctx.has_input(5))) {
      ctx.fail("past_key and past_value must be given together");
    }
    return has_past;
  }

  static void check_past(const KernelContext& ctx, int64_t B, int64_t Hk, int64_t Dh, int64_t Dv, const Shape& k_shape,
                         const Shape& v_shape) {
    const Tensor& pk = ctx.input(4);
    const Tensor& pv = ctx.input(5);
    if (pk.rank() != 4 || pv.rank() != 4 || pk.dim(0) != B || pk.dim(1) != Hk || pk.dim(3) != Dh || pv.dim(0) != B ||
        pv.dim(1) != Hk || pv.dim(3) != Dv || pv.dim(2) != pk.dim(2)) {
      ctx.fail(cat("past_key ", pk.describe(), " / past_value ", pv.describe(),
                   " do not match [B, kv_heads, P, D] of K ", shape_str(k_shape), " and V ", shape_str(v_shape)));
    }
  }

  static std::vector<int64_t> read_nonpad(const KernelContext& ctx, bool has_past, int64_t B) {
    std::vector<int64_t> nonpad;
    if (ctx.opset() >= 24 && ctx.has_input(6)) {
      if (has_past) ctx.fail("nonpad_kv_seqlen cannot be combined with past_key / past_value");
      nonpad = ctx.input(6).to_int64_vector();
      if (static_cast<int64_t>(nonpad.size()) != B) ctx.fail(cat("nonpad_kv_seqlen must have B = ", B, " entries"));
    }
    return nonpad;
  }

  // Float32 through the fused kernel: Q, K and V are read in place (3-D or 4-D) unless a KV cache
  // is concatenated or the present_key / present_value outputs are wanted, and Y is written in
  // place in its final layout.
  void compute_flash(KernelContext& ctx, const AttentionAttrs& at, const Tensor& Q, const Tensor& K, const Tensor& V,
                     const Tensor* mask_in, const HeadView& qv,
                     HeadView kv, HeadView vv) const {
    const int64_t B = qv.B, Hq = qv.H, Sq = qv.S, Dh = qv.D, Hk = kv.H, Dv = vv.D;
    const bool has_past = past_given(ctx);
    const bool want_k = ctx.num_outputs() > 1 && ctx.output_wanted(1);
    const bool want_v = ctx.num_outputs() > 2 && ctx.output_wanted(2);
    const float* k_data = K.data<float>();
    const float* v_data = V.data<float>();
    Tensor k_all, v_all;  // [B, Hk, P + S, D]
    int64_t past_len = 0;
    if (has_past || want_k || want_v) {
      k_all = to_heads(ctx, K, at.kv_heads, DataType::Float, "K");
      v_all = to_heads(ctx, V, at.kv_heads, DataType::Float, "V");
      if (has_past) {
        check_past(ctx, B, Hk, Dh, Dv, k_all.shape(), v_all.shape());
        past_len = ctx.input(4).dim(2);
        k_all = concat_seq(convert_float(ctx.input(4), DataType::Float), k_all);
        v_all = concat_seq(convert_float(ctx.input(5), DataType::Float), v_all);
      }
      kv = head_view(ctx, k_all, 0, "K");
      vv = head_view(ctx, v_all, 0, "V");
      k_data = k_all.data<float>();
      v_data = v_all.data<float>();
    }
    const std::vector<int64_t> nonpad = read_nonpad(ctx, has_past, B);

    kernels::FlashAttentionArgs a;
    a.q = Q.data<float>();
    a.k = k_data;
    a.v = v_data;
    a.batch = B;
    a.q_heads = Hq;
    a.kv_heads = Hk;
    a.q_len = Sq;
    a.kv_len = kv.S;
    a.qk_dim = Dh;
    a.v_dim = Dv;
    std::copy(qv.strides, qv.strides + 3, a.q_strides);
    std::copy(kv.strides, kv.strides + 3, a.k_strides);
    std::copy(vv.strides, vv.strides + 3, a.v_strides);
    a.scale = static_cast<float>(at.has_scale ? at.scale : 1.0 / std::sqrt(static_cast<double>(Dh)));
    a.softcap = at.softcap > 0 ? static_cast<float>(at.softcap) : 0.f;
    a.causal = at.is_causal;
    a.offset = past_len;
    a.left_window = at.left_window;
    a.right_window = at.right_window;
    a.kv_lengths = nonpad.empty() ? nullptr : nonpad.data();
    if (mask_in) {
      const Tensor& m = *mask_in;
      const std::vector<int64_t> st = mask_strides(ctx, m, B, Hq, Sq);
      std::copy(st.begin(), st.begin() + 3, a.mask_strides);
      a.mask_len = m.shape().back();
      if (m.dtype() == DataType::Bool) {
        a.bool_mask = m.data<bool>();
      } else {
        a.mask = m.data<float>();
      }
    }
    // The kernel writes every element (zeros for queries that see no key).
    Tensor& y = Q.rank() == 3 ? ctx.allocate_output_uninitialized(0, DataType::Float, {B, Sq, Hq * Dv})
                              : ctx.allocate_output_uninitialized(0, DataType::Float, {B, Hq, Sq, Dv});
    a.out = y.data<float>();
    if (Q.rank() == 3) {
      a.out_strides[0] = Sq * Hq * Dv, a.out_strides[1] = Dv, a.out_strides[2] = Hq * Dv;
    } else {
      a.out_strides[0] = Hq * Sq * Dv, a.out_strides[1] = Sq * Dv, a.out_strides[2] = Dv;
    }
    kernels::flash_attention_f32(a);
    if (want_k) ctx.set_output(1, k_all);
    if (want_v) ctx.set_output(2, v_all);
  }

  // Additive bias of query i of (b, h) against every key.
  static void fill_bias(const AttentionAttrs& at, const MaskBias& mask, int64_t b, int64_t h, int64_t i,
                        int64_t offset, int64_t nonpad, std::vector<double>& bias) {
    constexpr double kNegInf = -std::numeric_limits<double>::infinity();
    const int64_t keys = static_cast<int64_t>(bias.size());
    for (int64_t j = 0; j < keys; ++j) {
      double v = 0;
      if (mask.present) {
        v = j < mask.length ? mask.values[static_cast<size_t>(b * mask.strides[0] + h * mask.strides[1] +
                                                              i * mask.strides[2] + j * mask.strides[3])]
                            : kNegInf;
      }
      const int64_t diff = i + offset - j;  // query position minus key position
      if (at.is_causal && diff < 0) v = kNegInf;
      if (at.left_window >= 0 && diff > at.left_window) v = kNegInf;
      if (at.right_window >= 0 && -diff > at.right_window) v = kNegInf;
      if (nonpad >= 0 && j >= nonpad) v = kNegInf;
      bias[static_cast<size_t>(j)] = v;
    }
  }

  // [B, H, S, D] -> [B, S, H*D].
  static Tensor merge_heads(const Tensor& t) {
    const int64_t B = t.dim(0), H = t.dim(1), S = t.dim(2), D = t.dim(3);
    Tensor out(t.dtype(), {B, S, H * D});
    const size_t esize = t.dtype() == DataType::Double ? 8 : 4;
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t h = 0; h < H; ++h) {
        for (int64_t s = 0; s < S; ++s) {
          std::memcpy(static_cast<char*>(out.raw()) + ((b * S + s) * H * D + h * D) * esize,
                      static_cast<const char*>(t.raw()) + (((b * H + h) * S + s) * D) * esize,
                      static_cast<size_t>(D) * esize);
        }
      }
    }
    return out;
  }

  AttentionAttrs a_;
  bool seq_major_ = false;
};

std::unique_ptr<Kernel> create_attention(const KernelInit& init) {
  const Node& n = init.node;
  AttentionAttrs a;
  a.is_causal = n.attr_int("is_causal", 0) != 0;
  a.has_scale = n.has_attr("scale");
  a.scale = n.attr_float("scale", 1.f);
  a.softcap = n.attr_float("softcap", 0.f);
  a.mode = n.attr_int("qk_matmul_output_mode", 0);
  if (a.mode < 0 || a.mode > 3) init.fail(cat("qk_matmul_output_mode must be 0..3, got ", a.mode));
  a.q_heads = n.attr_int("q_num_heads", 0);
  a.kv_heads = n.attr_int("kv_num_heads", 0);
  a.left_window = n.attr_int("left_window_size", -1);
  a.right_window = n.attr_int("right_window_size", -1);
  if (a.left_window < -1 || a.right_window < -1) init.fail("window sizes must be -1 (unbounded) or >= 0");
  return std::make_unique<AttentionKernel>(a, n.domain == kOnnxiDomain);
}

// com.onnxi Attention: Y [B, Sq, Hq, Dv] from Q [B, Sq, Hq, D], K [B, Skv, Hk, D], V [B, Skv, Hk, Dv].
void infer_seq_major_attention(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& tq = ctx.input(0);
  const TypeInfo& tv = ctx.input(2);
  if ((tq.has_shape && tq.dims.size() != 4) || (tv.has_shape && tv.dims.size() != 4)) {
    ctx.fail(
        cat("com.onnxi Attention takes 4-D [B, S, heads, head_size] Q, K and V, got ", tq.str(), " and ", tv.str()));
  }
  if (!tq.has_shape || !tv.has_shape) return ctx.set_output(0, TypeInfo::tensor_unranked(elem));
  ctx.set_output(0, TypeInfo::tensor(elem, {tq.dims[0], tq.dims[1], tq.dims[2], tv.dims[3]}));
}

void infer_attention(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  const TypeInfo& tq = ctx.input(0);
  const TypeInfo& tv = ctx.input(2);
  const DataType v_elem = input_elem(ctx, 2) == DataType::Undefined ? elem : input_elem(ctx, 2);
  if (!tq.has_shape || !tv.has_shape || tq.dims.size() != tv.dims.size()) {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
  } else if (tq.dims.size() == 4) {
    ctx.set_output(0, TypeInfo::tensor(elem, {tq.dims[0], tq.dims[1], tq.dims[2], tv.dims[3]}));
  } else if (tq.dims.size() == 3) {
    // Y's hidden size is q_heads * (V's head size).
    Dim hidden;
    const int64_t qh = ctx.node.attr_int("q_num_heads", 0), kvh = ctx.node.attr_int("kv_num_heads", 0);
    if (tv.dims[2].is_known() && qh > 0 && kvh > 0) hidden = Dim::known(tv.dims[2].value / kvh * qh);
    ctx.set_output(0, TypeInfo::tensor(elem, {tq.dims[0], tq.dims[1], hidden}));
  } else {
    ctx.fail(cat("Q must be 3-D or 4-D, got ", tq.str()));
  }
  if (ctx.node.outputs.size() > 1) ctx.set_output(1, TypeInfo::tensor_unranked(elem));
  if (ctx.node.outputs.size() > 2) ctx.set_output(2, TypeInfo::tensor_unranked(v_elem));
  if (ctx.node.outputs.size() > 3) ctx.set_output(3, TypeInfo::tensor_unranked(elem));
}

}  // namespace

void register_attention(Registry& r) {
  r.add(make_def("Attention", 23, kLatestOpset, infer_attention, create_attention));
  // What runtime/passes/fuse_attention.cpp writes: Q, K, V, attn_mask (optional) in the layout of
  // the heads before their transposes, [B, S, H, D]; attributes scale, is_causal, softcap.
  OpDef seq_major = make_def("Attention", 1, kLatestOpset, infer_seq_major_attention, create_attention);
  seq_major.domain = kOnnxiDomain;
  r.add(seq_major);
}

}  // namespace onnxi::ops::nn
