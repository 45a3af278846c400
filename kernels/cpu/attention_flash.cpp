// Dispatch, K packing and threading of the flash-attention kernel, and its scalar reference.
#include "kernels/cpu/attention_flash.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

// Keys [lo, hi) query i of batch b may see before the mask's values (attention_flash_impl.h has
// the ISA files' copy of this rule; the reference keeps its own so a slip in one shows in tests).
void reference_visible(const FlashAttentionArgs& a, int64_t b, int64_t i, int64_t& lo, int64_t& hi) {
  lo = 0;
  hi = a.kv_len;
  int64_t offset = a.offset;
  if (a.kv_lengths) {
    hi = std::min(hi, a.kv_lengths[b]);
    offset = a.kv_lengths[b] - a.q_len;
  }
  if (a.mask || a.bool_mask) hi = std::min(hi, a.mask_len);
  const int64_t pos = i + offset;
  if (a.causal) hi = std::min(hi, pos + 1);
  if (a.left_window >= 0) lo = std::max(lo, pos - a.left_window);
  if (a.right_window >= 0) hi = std::min(hi, pos + a.right_window + 1);
  lo = std::max<int64_t>(lo, 0);
  hi = std::max(hi, lo);
}

FlashBlockKernel pick(Isa isa) {
  if (isa >= Isa::Avx512) return flash_block_kernel_f32__avx512();
  if (isa >= Isa::Avx2) return flash_block_kernel_f32__avx2();
  return {};
}

// K of kv head (b, kvh) as panels of kp keys: qk_dim rows of kp floats each, zero past kv_len.
void pack_k(const FlashAttentionArgs& a, int64_t b, int64_t kvh, int64_t kp, float* out) {
  const float* k = a.k + b * a.k_strides[0] + kvh * a.k_strides[1];
  const int64_t panels = (a.kv_len + kp - 1) / kp, dim = a.qk_dim;
  for (int64_t p = 0; p < panels; ++p) {
    float* panel = out + p * kp * dim;
    const int64_t keys = std::min(kp, a.kv_len - p * kp);
    for (int64_t j = 0; j < keys; ++j) {
      const float* row = k + (p * kp + j) * a.k_strides[2];
      for (int64_t d = 0; d < dim; ++d) panel[d * kp + j] = row[d];
    }
    for (int64_t j = keys; j < kp; ++j) {
      for (int64_t d = 0; d < dim; ++d) panel[d * kp + j] = 0.f;
    }
  }
}

void run_blocks(const FlashBlockKernel& kernel, const FlashAttentionArgs& a) {
  const int64_t kp = kernel.keys_per_panel;
  const int64_t head_floats = (a.kv_len + kp - 1) / kp * kp * a.qk_dim;
  const int64_t kv_heads = a.batch * a.kv_heads;
  // Neither buffer is zero-filled first: pack_k writes every float of its panels (zeros past
  // kv_len), and the kernel writes its scratch before reading it. At two threads tasks come in
  // small chunks, each with its own scratch (about 50 KiB), so clearing it is not free.
  std::unique_ptr<float[]> packed(new float[static_cast<size_t>(kv_heads * head_floats)]);
  parallel_for(0, kv_heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / a.kv_heads, kvh = bh % a.kv_heads;
      if (kernel.pack_k != nullptr) {
        kernel.pack_k(a.k + b * a.k_strides[0] + kvh * a.k_strides[1], a.k_strides[2], a.kv_len, a.qk_dim,
                      packed.get() + bh * head_floats);
      } else {
        pack_k(a, b, kvh, kp, packed.get() + bh * head_floats);
      }
    }
  });
  const int64_t qb = kernel.query_block;
  const int64_t blocks = (a.q_len + qb - 1) / qb;
  const int64_t group = a.q_heads / a.kv_heads;
  parallel_for(0, a.batch * a.q_heads * blocks, 1, [&](int64_t begin, int64_t end) {
    std::unique_ptr<float[]> scratch(new float[static_cast<size_t>(flash_scratch_floats(kernel, a.v_dim))]);
    for (int64_t t = begin; t < end; ++t) {
      const int64_t bh = t / blocks, blk = t % blocks;
      const int64_t b = bh / a.q_heads, h = bh % a.q_heads;
      const float* panels = packed.get() + (b * a.kv_heads + h / group) * head_floats;
      kernel.run(a, panels, b, h, blk * qb, std::min(a.q_len, blk * qb + qb), scratch.get());
    }
  });
}

}  // namespace

int64_t flash_scratch_floats(const FlashBlockKernel& k, int64_t v_dim) {
  const int64_t ldo = (v_dim + 15) / 16 * 16;
  return k.query_block * k.key_block + k.query_block * ldo + 3 * k.query_block;
}

void flash_attention_f32_reference(const FlashAttentionArgs& a) {
  const int64_t group = a.q_heads / a.kv_heads;
  parallel_for(0, a.batch * a.q_heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> w(static_cast<size_t>(a.kv_len)), acc(static_cast<size_t>(a.v_dim));
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / a.q_heads, h = bh % a.q_heads, kvh = h / group;
      const float* k = a.k + b * a.k_strides[0] + kvh * a.k_strides[1];
      const float* v = a.v + b * a.v_strides[0] + kvh * a.v_strides[1];
      for (int64_t i = 0; i < a.q_len; ++i) {
        const float* q = a.q + b * a.q_strides[0] + h * a.q_strides[1] + i * a.q_strides[2];
        const int64_t mrow = b * a.mask_strides[0] + h * a.mask_strides[1] + i * a.mask_strides[2];
        int64_t lo = 0, hi = 0;
        reference_visible(a, b, i, lo, hi);
        double max_score = -std::numeric_limits<double>::infinity();
        for (int64_t j = lo; j < hi; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < a.qk_dim; ++d) dot += static_cast<double>(q[d]) * k[j * a.k_strides[2] + d];
          // Scores are float32 values in the op (the ONNX reference keeps them so): adding a mask
          // of -10000 rounds away the score's low digits, and the oracle must do the same.
          float s = static_cast<float>(dot * a.scale);
          if (a.softcap > 0) s = static_cast<float>(a.softcap * std::tanh(static_cast<double>(s) / a.softcap));
          if (a.mask) s += a.mask[mrow + j];
          if (a.bool_mask && !a.bool_mask[mrow + j]) s = -std::numeric_limits<float>::infinity();
          w[j] = s;
          max_score = std::max(max_score, static_cast<double>(s));
        }
        std::fill(acc.begin(), acc.end(), 0.0);
        double sum = 0;
        if (max_score > -std::numeric_limits<double>::infinity()) {
          for (int64_t j = lo; j < hi; ++j) {
            const double e = std::exp(w[j] - max_score);
            sum += e;
            for (int64_t c = 0; c < a.v_dim; ++c) acc[c] += e * v[j * a.v_strides[2] + c];
          }
        }
        float* out = a.out + b * a.out_strides[0] + h * a.out_strides[1] + i * a.out_strides[2];
        for (int64_t c = 0; c < a.v_dim; ++c) out[c] = sum > 0 ? static_cast<float>(acc[c] / sum) : 0.f;
      }
    }
  });
}

void flash_attention_f32_with(Isa isa, const FlashAttentionArgs& a) {
  if (a.batch <= 0 || a.q_heads <= 0 || a.q_len <= 0 || a.v_dim <= 0) return;
  const FlashBlockKernel kernel = pick(std::min(isa, detected_isa()));
  if (kernel.run == nullptr || a.kv_len <= 0) return flash_attention_f32_reference(a);
  run_blocks(kernel, a);
}

void flash_attention_f32(const FlashAttentionArgs& a) { flash_attention_f32_with(active_isa(), a); }

}  // namespace onnxi::kernels
