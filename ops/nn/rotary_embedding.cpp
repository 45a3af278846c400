// RotaryEmbedding (opset 23): rotates the first rotary_embedding_dim features of every head by
// position-dependent angles, as pairs (x[k], x[k + half]) or, interleaved, (x[2k], x[2k+1]):
//   x1' = cos * x1 - sin * x2,  x2' = sin * x1 + cos * x2.
// X is [B, H, S, D] or [B, S, H*D] (num_heads splits the last dim). cos/sin caches are
// [max_position, rotary_dim/2] indexed by position_ids [B, S], or [B, S, rotary_dim/2] without them.
#include <memory>

#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

struct RotaryAttrs {
  bool interleaved = false;
  int64_t rotary_dim = 0;  // 0: the whole head
  int64_t num_heads = 0;
};

class RotaryKernel final : public Kernel {
 public:
  explicit RotaryKernel(RotaryAttrs a) : a_(a) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& X = float_input(ctx, 0);
    if (X.rank() != 3 && X.rank() != 4) ctx.fail(cat("input X must be 3-D or 4-D, got ", X.describe()));
    const int64_t B = X.dim(0);
    const bool four_d = X.rank() == 4;
    const int64_t S = four_d ? X.dim(2) : X.dim(1);
    const int64_t H = four_d ? X.dim(1) : a_.num_heads;
    if (H <= 0) ctx.fail("a 3-D input needs the num_heads attribute");
    if (!four_d && X.dim(2) % H != 0) ctx.fail(cat("hidden size ", X.dim(2), " is not divisible by num_heads ", H));
    const int64_t D = four_d ? X.dim(3) : X.dim(2) / H;
    const int64_t rd = a_.rotary_dim == 0 ? D : a_.rotary_dim;
    if (rd > D || rd % 2 != 0)
      ctx.fail(cat("rotary_embedding_dim ", rd, " must be even and at most the head size ", D));
    const int64_t half = rd / 2;

    const Tensor cos_t = widen(input_of_type(ctx, 1, X.dtype()));
    const Tensor sin_t = widen(input_of_type(ctx, 2, X.dtype()));
    if (cos_t.shape() != sin_t.shape() || cos_t.rank() < 2 || cos_t.shape().back() != half) {
      ctx.fail(cat("cos_cache ", cos_t.describe(), " and sin_cache ", sin_t.describe(),
                   " must have the same shape with last dim rotary_embedding_dim/2 = ", half));
    }
    // Row of the caches for (b, s).
    std::vector<int64_t> rows(static_cast<size_t>(B * S));
    if (ctx.has_input(3)) {
      const Tensor& pos = ctx.input(3);
      if (pos.shape() != Shape{B, S} || cos_t.rank() != 2) {
        ctx.fail(cat("position_ids ", pos.describe(), " must be [", B, ", ", S, "] with 2-D caches, got cos_cache ",
                     cos_t.describe()));
      }
      const auto ids = pos.to_int64_vector();
      for (size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] < 0 || ids[i] >= cos_t.dim(0)) {
          ctx.fail(cat("position id ", ids[i], " is outside the caches' ", cos_t.dim(0), " positions"));
        }
        rows[i] = ids[i];
      }
    } else {
      if (cos_t.shape() != Shape{B, S, half}) {
        ctx.fail(cat("without position_ids the caches must be [", B, ", ", S, ", ", half, "], got ", cos_t.describe()));
      }
      for (int64_t i = 0; i < B * S; ++i) rows[static_cast<size_t>(i)] = i;
    }

    const Tensor x = widen(X);
    Tensor y = x.clone();
    const float* xp = x.data<float>();
    float* yp = y.data<float>();
    const float* cs = cos_t.data<float>();
    const float* sn = sin_t.data<float>();
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t h = 0; h < H; ++h) {
        for (int64_t s = 0; s < S; ++s) {
          const int64_t base = four_d ? ((b * H + h) * S + s) * D : ((b * S + s) * H + h) * D;
          const float* c = cs + rows[static_cast<size_t>(b * S + s)] * half;
          const float* sv = sn + rows[static_cast<size_t>(b * S + s)] * half;
          for (int64_t k = 0; k < half; ++k) {
            const int64_t i1 = a_.interleaved ? 2 * k : k;
            const int64_t i2 = a_.interleaved ? 2 * k + 1 : k + half;
            const float x1 = xp[base + i1], x2 = xp[base + i2];
            yp[base + i1] = c[k] * x1 - sv[k] * x2;
            yp[base + i2] = sv[k] * x1 + c[k] * x2;
          }
        }
      }
    }
    ctx.set_output(0, narrow(y, X.dtype()));
  }

 private:
  RotaryAttrs a_;
};

std::unique_ptr<Kernel> create_rotary(const KernelInit& init) {
  RotaryAttrs a;
  a.interleaved = init.node.attr_int("interleaved", 0) != 0;
  a.rotary_dim = init.node.attr_int("rotary_embedding_dim", 0);
  a.num_heads = init.node.attr_int("num_heads", 0);
  if (a.rotary_dim < 0 || a.num_heads < 0) init.fail("rotary_embedding_dim and num_heads must be non-negative");
  return std::make_unique<RotaryKernel>(a);
}

}  // namespace

void register_rotary_embedding(Registry& r) {
  r.add(make_def("RotaryEmbedding", 23, kLatestOpset, infer_identity, create_rotary, "float, float16, bfloat16"));
}

}  // namespace onnxi::ops::nn
