// The flash-attention block loop, written once over a vector type `V` and included by the ISA files
// (attention_flash__avx512.cpp, attention_flash__avx2.cpp), each with its own V. Everything here has
// internal linkage on purpose (docs/ARCHITECTURE.md on ISA files), and no std:: templates are called.
//
// One block of queries [q0, q1) of (b, h):
//   for each key block the block's queries can see:
//     S = Q K^T           register tiles of QK_MR queries x 2 vectors of keys over packed K panels
//     per query row: scale, softcap, mask, running max m, p = exp(s - m), alpha = exp(m_old - m),
//                    l = l * alpha + sum p
//     O = O * alpha + P V  register tiles of PV_MR queries x PV_NV vectors of output columns
//   out = O / l
//
// V must provide: reg, kLanes, kQkRows, kPvRows, kPvVecs, two switches, zero, set1, load, store,
// fmadd, mul, add, max, exp, tanh_, hmax, hsum, transpose (kLanes registers, rows in, columns out),
// and masked forms: tail(n) (first n lanes), load_tail(p, mask), blend_neg_inf(mask, x) (x where
// the mask is set, -inf elsewhere). The
// switches (both on for AVX2 and AVX-512; on one Zen 5 core they took AVX-512's S=384 attention
// from 3.5 to 2.7 ms and S=1024 from 25 to 19, the softmax alone from ~0.8 to ~0.4 ms at S=384):
//   kPlainSoftmax  rows with no mask or softcap that see the whole key block take
//                  softmax_step_plain (max over raw scores, one exp pass with the scale folded in)
//   kPvColsOuter   P V walks column groups outside row groups, so V's slice stays in L1
#pragma once

#include <cstdint>

#include "kernels/cpu/attention_flash.h"

namespace onnxi::kernels {
namespace {

inline int64_t flash_min(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t flash_max(int64_t a, int64_t b) { return a < b ? b : a; }

// The keys [lo, hi) query i of batch b may see, before the mask's own values.
inline void visible_keys(const FlashAttentionArgs& a, int64_t b, int64_t i, int64_t& lo, int64_t& hi) {
  lo = 0;
  hi = a.kv_len;
  int64_t offset = a.offset;
  if (a.kv_lengths) {
    hi = flash_min(hi, a.kv_lengths[b]);
    offset = a.kv_lengths[b] - a.q_len;
  }
  if (a.mask || a.bool_mask) hi = flash_min(hi, a.mask_len);
  const int64_t pos = i + offset;
  if (a.causal) hi = flash_min(hi, pos + 1);
  if (a.left_window >= 0) lo = flash_max(lo, pos - a.left_window);
  if (a.right_window >= 0) hi = flash_min(hi, pos + a.right_window + 1);
  lo = flash_max(lo, 0);
  if (hi < lo) hi = lo;
}

template <class V>
struct FlashBlock {
  using reg = typename V::reg;
  static constexpr int L = V::kLanes;
  static constexpr int NR = 2 * L;  // keys per packed panel
  static constexpr int64_t kQueryBlock = 64;
  static constexpr int64_t kKeyBlock = 128;
  static_assert(kKeyBlock % NR == 0, "key blocks are whole panels");

  // S[r, 0 .. 2L) = Q rows [r0, r0 + MR) . panel (unscaled scores).
  template <int MR>
  static void qk_tile(const float* const* q_rows, const float* panel, int64_t dim, float* s, int64_t lds) {
    reg acc[MR][2];
    for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = V::zero();
    for (int64_t d = 0; d < dim; ++d) {
      const reg k0 = V::load(panel + d * NR), k1 = V::load(panel + d * NR + L);
      for (int r = 0; r < MR; ++r) {
        const reg qb = V::set1(q_rows[r][d]);
        acc[r][0] = V::fmadd(qb, k0, acc[r][0]);
        acc[r][1] = V::fmadd(qb, k1, acc[r][1]);
      }
    }
    for (int r = 0; r < MR; ++r) {
      V::store(s + r * lds, acc[r][0]);
      V::store(s + r * lds + L, acc[r][1]);
    }
  }

  static void qk_rows(int rows, const float* const* q_rows, const float* panel, int64_t dim, float* s, int64_t lds) {
    static_assert(V::kQkRows <= 12, "qk_rows dispatches up to 12 rows");
    switch (rows) {
      case 1: return qk_tile<1>(q_rows, panel, dim, s, lds);
      case 2: return qk_tile<2>(q_rows, panel, dim, s, lds);
      case 3: return qk_tile<3>(q_rows, panel, dim, s, lds);
      case 4: return qk_tile<4>(q_rows, panel, dim, s, lds);
      case 5: return qk_tile<(5 <= V::kQkRows ? 5 : 1)>(q_rows, panel, dim, s, lds);
      case 6: return qk_tile<(6 <= V::kQkRows ? 6 : 1)>(q_rows, panel, dim, s, lds);
      case 7: return qk_tile<(7 <= V::kQkRows ? 7 : 1)>(q_rows, panel, dim, s, lds);
      case 8: return qk_tile<(8 <= V::kQkRows ? 8 : 1)>(q_rows, panel, dim, s, lds);
      default: return;
    }
  }

  // O[r, c0 .. c0 + NV*L) = O * alpha[r] + P[r, 0 .. keys) V[0 .. keys, c0 ..); the last vector
  // covers `last` lanes of V, all of them when last >= L (the output buffer is padded to whole
  // vectors). Only a partial one takes the masked load: AVX2's vmaskmovps costs a few cycles each
  // on AMD, and a head of 64 columns (groups of 3 and 2 vectors) took it on every key before.
  template <int MR, int NV>
  static void pv_tile(const float* p, int64_t ldp, const float* alpha, const float* v, int64_t v_row, int64_t keys,
                      int last, float* o, int64_t ldo) {
    reg acc[MR][NV];
    for (int r = 0; r < MR; ++r) {
      const reg ar = V::set1(alpha[r]);
      for (int c = 0; c < NV; ++c) acc[r][c] = V::mul(V::load(o + r * ldo + c * L), ar);
    }
    const auto tail = V::tail(last);
    for (int64_t j = 0; j < keys; ++j) {
      const float* vr = v + j * v_row;
      reg vv[NV];
      for (int c = 0; c + 1 < NV; ++c) vv[c] = V::load(vr + c * L);
      vv[NV - 1] = last >= L ? V::load(vr + (NV - 1) * L) : V::load_tail(vr + (NV - 1) * L, tail);
      for (int r = 0; r < MR; ++r) {
        const reg pb = V::set1(p[r * ldp + j]);
        for (int c = 0; c < NV; ++c) acc[r][c] = V::fmadd(pb, vv[c], acc[r][c]);
      }
    }
    for (int r = 0; r < MR; ++r) {
      for (int c = 0; c < NV; ++c) V::store(o + r * ldo + c * L, acc[r][c]);
    }
  }

  template <int MR>
  static void pv_cols(int nv, const float* p, int64_t ldp, const float* alpha, const float* v, int64_t v_row,
                      int64_t keys, int last, float* o, int64_t ldo) {
    switch (nv) {
      case 1: return pv_tile<MR, 1>(p, ldp, alpha, v, v_row, keys, last, o, ldo);
      case 2: return pv_tile<MR, (2 <= V::kPvVecs ? 2 : 1)>(p, ldp, alpha, v, v_row, keys, last, o, ldo);
      case 3: return pv_tile<MR, (3 <= V::kPvVecs ? 3 : 1)>(p, ldp, alpha, v, v_row, keys, last, o, ldo);
      case 4: return pv_tile<MR, (4 <= V::kPvVecs ? 4 : 1)>(p, ldp, alpha, v, v_row, keys, last, o, ldo);
      default: return;
    }
  }

  static void pv_rows(int rows, int nv, const float* p, int64_t ldp, const float* alpha, const float* v,
                      int64_t v_row, int64_t keys, int last, float* o, int64_t ldo) {
    static_assert(V::kPvRows <= 4 && V::kPvVecs <= 4, "pv_rows dispatches up to 4 x 4");
    switch (rows) {
      case 1: return pv_cols<1>(nv, p, ldp, alpha, v, v_row, keys, last, o, ldo);
      case 2: return pv_cols<(2 <= V::kPvRows ? 2 : 1)>(nv, p, ldp, alpha, v, v_row, keys, last, o, ldo);
      case 3: return pv_cols<(3 <= V::kPvRows ? 3 : 1)>(nv, p, ldp, alpha, v, v_row, keys, last, o, ldo);
      case 4: return pv_cols<(4 <= V::kPvRows ? 4 : 1)>(nv, p, ldp, alpha, v, v_row, keys, last, o, ldo);
      default: return;
    }
  }

  // One query row of the key block [j0, j0 + width): scores -> probabilities in place, running
  // max and sum updated; alpha is what the earlier output must be multiplied by.
  static void softmax_step(const FlashAttentionArgs& a, float* s, int64_t width, int64_t lo, int64_t hi,
                           const float* mask_row, const bool* bool_row, float& m, float& l, float& alpha) {
    const reg neg_inf = V::set1(-__builtin_inff());
    const reg scale = V::set1(a.scale);
    const bool capped = a.softcap > 0.f;
    const reg cap = V::set1(a.softcap), inv_cap = V::set1(1.f / a.softcap);
    reg vmax = neg_inf;
    for (int64_t j = 0; j < width; j += L) {
      reg x = V::mul(V::load(s + j), scale);
      if (capped) x = V::mul(cap, V::tanh_(V::mul(x, inv_cap)));
      // Lanes at keys [lo, hi) of this block are visible, the rest -inf.
      const int64_t vis_lo = flash_max(lo - j, 0), vis_hi = flash_min(hi - j, L);
      if (vis_hi <= vis_lo) {
        x = neg_inf;
      } else {
        if (mask_row) x = V::add(x, V::load_tail(mask_row + j, V::tail(static_cast<int>(vis_hi))));
        if (bool_row) x = V::blend_neg_inf(V::bool_mask(bool_row + j, static_cast<int>(vis_hi)), x);
        if (vis_lo > 0 || vis_hi < L) {
          x = V::blend_neg_inf(V::range(static_cast<int>(vis_lo), static_cast<int>(vis_hi)), x);
        }
      }
      V::store(s + j, x);
      vmax = V::max(x, vmax);
    }
    const float block_max = V::hmax(vmax);
    const float m_new = block_max > m ? block_max : m;
    if (m_new == -__builtin_inff()) {
      // Nothing visible so far: no weight, and the (zero) output stays as it is.
      for (int64_t j = 0; j < width; j += L) V::store(s + j, V::zero());
      alpha = 1.f;
      return;
    }
    alpha = m == -__builtin_inff() ? 0.f : V::exp1(m - m_new);
    const reg vm = V::set1(m_new);
    reg sum = V::zero();
    for (int64_t j = 0; j < width; j += L) {
      const reg e = V::exp(V::sub(V::load(s + j), vm));
      V::store(s + j, e);
      sum = V::add(sum, e);
    }
    l = l * alpha + V::hsum(sum);
    m = m_new;
  }

  // softmax_step for a row that sees every key of the (padded) block, with no mask, no softcap
  // and scale > 0: the maximum is taken over the raw scores (scale keeps the order), and one pass
  // makes p = exp(scale * s - m) with the scale folded into the subtraction's fma.
  static void softmax_step_plain(float scale_f, float* s, int64_t width, float& m, float& l, float& alpha) {
    reg vmax0 = V::load(s), vmax1 = V::load(s + L);
    for (int64_t j = 2 * L; j < width; j += 2 * L) {
      vmax0 = V::max(V::load(s + j), vmax0);
      vmax1 = V::max(V::load(s + j + L), vmax1);
    }
    const float block_max = scale_f * V::hmax(V::max(vmax0, vmax1));
    const float m_new = block_max > m ? block_max : m;
    if (m_new == -__builtin_inff()) {  // -inf scores only (infinite inputs): as softmax_step
      for (int64_t j = 0; j < width; j += L) V::store(s + j, V::zero());
      alpha = 1.f;
      return;
    }
    alpha = m == -__builtin_inff() ? 0.f : V::exp1(m - m_new);
    const reg scale = V::set1(scale_f), neg_m = V::set1(-m_new);
    reg sum0 = V::zero(), sum1 = V::zero();
    for (int64_t j = 0; j < width; j += 2 * L) {
      const reg e0 = V::exp(V::fmadd(V::load(s + j), scale, neg_m));
      const reg e1 = V::exp(V::fmadd(V::load(s + j + L), scale, neg_m));
      V::store(s + j, e0);
      V::store(s + j + L, e1);
      sum0 = V::add(sum0, e0);
      sum1 = V::add(sum1, e1);
    }
    l = l * alpha + V::hsum(V::add(sum0, sum1));
    m = m_new;
  }

  static void run(const FlashAttentionArgs& a, const float* k_panels, int64_t b, int64_t h, int64_t q0, int64_t q1,
                  float* scratch) {
    const int64_t rows = q1 - q0;
    const int64_t kvh = h / (a.q_heads / a.kv_heads);
    const int64_t dim = a.qk_dim, vdim = a.v_dim;
    const int64_t lds = kKeyBlock, ldo = (vdim + 15) / 16 * 16;
    float* s_buf = scratch;
    float* o_buf = s_buf + kQueryBlock * lds;
    float* m_buf = o_buf + kQueryBlock * ldo;
    float* l_buf = m_buf + kQueryBlock;
    float* alpha_buf = l_buf + kQueryBlock;
    int64_t lo[kQueryBlock], hi[kQueryBlock];
    int64_t span_lo = a.kv_len, span_hi = 0;
    for (int64_t r = 0; r < rows; ++r) {
      visible_keys(a, b, q0 + r, lo[r], hi[r]);
      if (hi[r] > lo[r]) {
        span_lo = flash_min(span_lo, lo[r]);
        span_hi = flash_max(span_hi, hi[r]);
      }
      m_buf[r] = -__builtin_inff();
      l_buf[r] = 0.f;
      for (int64_t c = 0; c < ldo; ++c) o_buf[r * ldo + c] = 0.f;
    }
    const float* q_base = a.q + b * a.q_strides[0] + h * a.q_strides[1];
    const float* v_base = a.v + b * a.v_strides[0] + kvh * a.v_strides[1];
    const float* mask_base = a.mask ? a.mask + b * a.mask_strides[0] + h * a.mask_strides[1] : nullptr;
    const bool* bool_base = a.bool_mask ? a.bool_mask + b * a.mask_strides[0] + h * a.mask_strides[1] : nullptr;
    const int64_t nv_total = (vdim + L - 1) / L;

    // Key blocks start at a panel boundary so each block reads whole packed panels.
    for (int64_t j0 = span_lo / NR * NR; j0 < span_hi; j0 += kKeyBlock) {
      // Keys past span_hi are hidden from every query of the block (the causal diagonal).
      const int64_t width_keys = flash_min(kKeyBlock, span_hi - j0);
      const int64_t width = (width_keys + NR - 1) / NR * NR;  // padded to whole panels
      for (int64_t r0 = 0; r0 < rows; r0 += V::kQkRows) {
        const int mr = static_cast<int>(flash_min(V::kQkRows, rows - r0));
        const float* q_rows[V::kQkRows];
        for (int r = 0; r < mr; ++r) q_rows[r] = q_base + (q0 + r0 + r) * a.q_strides[2];
        for (int64_t p = 0; p < width; p += NR) {
          qk_rows(mr, q_rows, k_panels + (j0 + p) / NR * NR * dim, dim, s_buf + r0 * lds + p, lds);
        }
      }
      const bool plain = V::kPlainSoftmax && !mask_base && !bool_base && !(a.softcap > 0.f) && a.scale > 0.f &&
                         a.scale < __builtin_inff();
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = q0 + r;
        if (plain && lo[r] <= j0 && hi[r] >= j0 + width) {
          softmax_step_plain(a.scale, s_buf + r * lds, width, m_buf[r], l_buf[r], alpha_buf[r]);
          continue;
        }
        const float* mask_row = mask_base ? mask_base + i * a.mask_strides[2] + j0 : nullptr;
        const bool* bool_row = bool_base ? bool_base + i * a.mask_strides[2] + j0 : nullptr;
        softmax_step(a, s_buf + r * lds, width, lo[r] - j0, flash_min(hi[r], j0 + width_keys) - j0, mask_row,
                     bool_row, m_buf[r], l_buf[r], alpha_buf[r]);
      }
      const float* v_block = v_base + j0 * a.v_strides[2];
      if constexpr (V::kPvColsOuter) {
        // The block's V columns of one tile (keys x kPvVecs vectors) stay in L1 across the row
        // groups; the probabilities stream through instead, in whole contiguous rows.
        for (int64_t c0 = 0; c0 < nv_total; c0 += V::kPvVecs) {
          const int nv = static_cast<int>(flash_min(V::kPvVecs, nv_total - c0));
          const int last = static_cast<int>(vdim - (c0 + nv - 1) * L);
          for (int64_t r0 = 0; r0 < rows; r0 += V::kPvRows) {
            const int mr = static_cast<int>(flash_min(V::kPvRows, rows - r0));
            pv_rows(mr, nv, s_buf + r0 * lds, lds, alpha_buf + r0, v_block + c0 * L, a.v_strides[2], width_keys,
                    last, o_buf + r0 * ldo + c0 * L, ldo);
          }
        }
      } else {
        for (int64_t r0 = 0; r0 < rows; r0 += V::kPvRows) {
          const int mr = static_cast<int>(flash_min(V::kPvRows, rows - r0));
          for (int64_t c0 = 0; c0 < nv_total; c0 += V::kPvVecs) {
            const int nv = static_cast<int>(flash_min(V::kPvVecs, nv_total - c0));
            const int last = static_cast<int>(vdim - (c0 + nv - 1) * L);
            pv_rows(mr, nv, s_buf + r0 * lds, lds, alpha_buf + r0, v_block + c0 * L, a.v_strides[2], width_keys,
                    last, o_buf + r0 * ldo + c0 * L, ldo);
          }
        }
      }
    }
    float* out_base = a.out + b * a.out_strides[0] + h * a.out_strides[1];
    for (int64_t r = 0; r < rows; ++r) {
      float* dst = out_base + (q0 + r) * a.out_strides[2];
      const float inv = l_buf[r] > 0.f ? 1.f / l_buf[r] : 0.f;
      for (int64_t c = 0; c < vdim; ++c) dst[c] = o_buf[r * ldo + c] * inv;
    }
  }
};

// K rows [j, j + L) x dims [d, d + L) of one kv head, transposed into L dims x L keys, each an
// L-key run of a panel row: L x L squares through registers (V::transpose). A loop storing one float
// per key and dim was 17% of an S=128 attention on a Zen 5 core and 7% on a Zen 3 one (2.6% so).
template <class V>
void pack_k_panels(const float* k, int64_t k_row, int64_t kv_len, int64_t dim, float* panels) {
  constexpr int L = V::kLanes;
  constexpr int64_t kp = 2 * L;
  const int64_t panel_count = (kv_len + kp - 1) / kp;
  typename V::reg r[L];
  for (int64_t p = 0; p < panel_count; ++p) {
    float* panel = panels + p * kp * dim;
    for (int64_t part = 0; part < kp; part += L) {
      const int64_t j0 = p * kp + part;
      const int64_t keys = kv_len - j0 < L ? kv_len - j0 : L;  // <= 0: padding keys only
      for (int64_t d = 0; d < dim; d += L) {
        const int64_t dims = dim - d < L ? dim - d : L;
        const auto m = V::tail(static_cast<int>(dims));
        for (int64_t i = 0; i < L; ++i) {
          const float* row = k + (j0 + i) * k_row + d;
          r[i] = i >= keys ? V::zero() : dims == L ? V::load(row) : V::load_tail(row, m);
        }
        V::transpose(r);
        for (int64_t dd = 0; dd < dims; ++dd) V::store(panel + (d + dd) * kp + part, r[dd]);
      }
    }
  }
}

// The entry the ISA file hands out: FlashBlock<V>'s run function, its K packing and tile sizes.
template <class V>
FlashBlockKernel make_flash_block_kernel() {
  using Block = FlashBlock<V>;
  FlashBlockKernel k;
  k.run = &Block::run;
  k.pack_k = &pack_k_panels<V>;
  k.keys_per_panel = Block::NR;
  k.query_block = Block::kQueryBlock;
  k.key_block = Block::kKeyBlock;
  return k;
}

}  // namespace
}  // namespace onnxi::kernels
