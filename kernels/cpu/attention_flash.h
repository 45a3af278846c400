// Fused scaled dot-product attention for float32 (flash style): each task takes one block of
// queries of one (batch, head) and walks the key blocks with an online softmax (running maximum
// and sum per query, earlier partial outputs rescaled when the maximum grows), so the S x S score
// matrix never exists; key blocks no query of the block can see (causal, windows, padding) are
// skipped. Q, K, V and the output are addressed by strides, so [B, H, S, D] and [B, S, H*D]
// layouts are read and written in place.
//
// Semantics (those of ai.onnx Attention): score(i, j) = scale * q_i . k_j, then softcap *
// tanh(score / softcap) when softcap > 0, then plus the additive mask (or -inf where the bool mask
// is false); keys outside the visible range of query i get -inf. A query with no visible key or
// whose every score is -inf yields zeros.
#pragma once

#include <cstdint>

#include "kernels/cpu/cpu_features.h"

namespace onnxi::kernels {

struct FlashAttentionArgs {
  const float* q = nullptr;  // [batch, q_heads, q_len, qk_dim] by q_strides
  const float* k = nullptr;  // [batch, kv_heads, kv_len, qk_dim] by k_strides
  const float* v = nullptr;  // [batch, kv_heads, kv_len, v_dim] by v_strides
  float* out = nullptr;      // [batch, q_heads, q_len, v_dim] by out_strides
  int64_t batch = 1, q_heads = 1, kv_heads = 1, q_len = 0, kv_len = 0, qk_dim = 0, v_dim = 0;
  // Element strides of the batch, head and sequence axes; the last axis is contiguous. Dense
  // [B, H, S, D] is {H*S*D, S*D, D}; [B, S, H*D] is {S*H*D, D, H*D}. Query head h reads kv head
  // h / (q_heads / kv_heads) (grouped-query attention).
  int64_t q_strides[3] = {0, 0, 0}, k_strides[3] = {0, 0, 0}, v_strides[3] = {0, 0, 0}, out_strides[3] = {0, 0, 0};
  float scale = 1.f;
  float softcap = 0.f;  // 0: none
  // Query i stands at key position pos = i + offset. Key j is visible when j <= pos (causal),
  // j >= pos - left_window (left_window >= 0), j <= pos + right_window (right_window >= 0),
  // j < kv_lengths[b] (when given; then offset is kv_lengths[b] - q_len for batch b) and
  // j < mask_len (when a mask is given).
  bool causal = false;
  int64_t offset = 0;
  int64_t left_window = -1, right_window = -1;
  const int64_t* kv_lengths = nullptr;
  // At most one of: an additive float mask, a bool mask (true: attend). Element (b, h, i, j) at
  // b * mask_strides[0] + h * mask_strides[1] + i * mask_strides[2] + j (stride 0: broadcast).
  const float* mask = nullptr;
  const bool* bool_mask = nullptr;
  int64_t mask_strides[3] = {0, 0, 0};
  int64_t mask_len = 0;
};

// The best variant for this CPU (active_isa()), threaded over (batch, head, query block).
void flash_attention_f32(const FlashAttentionArgs& a);
// A given variant (Scalar: the reference below); tests compare each against the reference.
void flash_attention_f32_with(Isa isa, const FlashAttentionArgs& a);
// The oracle: one query at a time over all its keys, dot products and softmax in double.
void flash_attention_f32_reference(const FlashAttentionArgs& a);

// What the ISA files export (attention_flash__avx512.cpp, attention_flash__avx2.cpp). K of one kv
// head is packed by the caller into panels of `keys_per_panel` keys: panel p holds keys
// [p * kp, p * kp + kp) as qk_dim rows of kp floats (zero past kv_len). A block call computes
// queries [q0, q1) of (b, h) into the output; scratch holds flash_scratch_floats() floats.
struct FlashBlockKernel {
  void (*run)(const FlashAttentionArgs& a, const float* k_panels, int64_t b, int64_t h, int64_t q0, int64_t q1,
              float* scratch) = nullptr;
  // Packs K of one kv head (kv_len rows of qk_dim floats, k_row floats apart) into its panels;
  // null: the caller's portable loop.
  void (*pack_k)(const float* k, int64_t k_row, int64_t kv_len, int64_t qk_dim, float* panels) = nullptr;
  int64_t keys_per_panel = 0;
  int64_t query_block = 0;  // queries per task
  int64_t key_block = 0;    // keys per online-softmax step (a multiple of keys_per_panel)
};
int64_t flash_scratch_floats(const FlashBlockKernel& k, int64_t v_dim);
FlashBlockKernel flash_block_kernel_f32__avx512();
FlashBlockKernel flash_block_kernel_f32__avx2();

}  // namespace onnxi::kernels
