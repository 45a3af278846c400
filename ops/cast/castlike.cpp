// CastLike (opset 15+): Cast whose target type is the element type of input 1.
#include "ops/cast/cast.h"

namespace onnxi::ops {
namespace {

struct CastLikeVersion {
  int since;
  int last;
  const char* types;
};

constexpr CastLikeVersion kCastLikeVersions[] = {
    {15, 18, "bool, float16, bfloat16, float, double, int8..int64, uint8..uint64, string"},
    {19, 20, "bool, float16, bfloat16, float, double, int8..int64, uint8..uint64, string, float8 (4 kinds)"},
    {21, 22, "bool, float16, bfloat16, float, double, int4..int64, uint4..uint64, string, float8 (4 kinds)"},
    {23, 23, "bool, float16, bfloat16, float, double, int4..int64, uint4..uint64, string, float8 (4 kinds), float4e2m1"},
    {24, 24, "bool, float16, bfloat16, float, double, int4..int64, uint4..uint64, string, float8 (5 kinds), float4e2m1"},
    {25, kLatestOpset, "bool, float16, bfloat16, float, double, int2..int64, uint2..uint64, string, float8 (5 kinds), float4e2m1"},
};

}  // namespace

void register_castlike_op(Registry& r) {
  for (const CastLikeVersion& v : kCastLikeVersions) {
    OpDef def;
    def.op_type = "CastLike";
    def.since_version = v.since;
    def.last_version = v.last;
    def.types = v.types;
    def.infer = [](InferContext& ctx) {
      read_cast_options(ctx.node, ctx.opset);
      const TypeInfo& like = ctx.input(1);
      if (like.kind != TypeInfo::Kind::Unknown && !like.is_tensor()) {
        ctx.fail(cat("input 1 (target_type) is ", like.str(), "; CastLike takes its element type from a tensor"));
      }
      if (like.is_tensor() && like.elem != DataType::Undefined && !cast_supports(like.elem)) {
        ctx.fail(cat("input 1 (target_type) is ", like.str(), "; CastLike cannot produce that element type"));
      }
      infer_cast_output(ctx, like.is_tensor() ? like.elem : DataType::Undefined);
    };
    def.create = [](const KernelInit& init) -> std::unique_ptr<Kernel> {
      const CastOptions options = read_cast_options(init.node, init.opset);
      return make_kernel([options](KernelContext& ctx) {
        const Tensor& x = ctx.input(0);
        const DataType to = ctx.input(1).dtype();
        if (!cast_supports(to)) {
          ctx.fail(cat("input 1 (target_type) is ", ctx.input(1).describe(), "; CastLike cannot produce ",
                       dtype_name(to)));
        }
        if (x.dtype() == to) {
          ctx.set_output(0, Value(x));
          return;
        }
        Tensor& y = ctx.allocate_output(0, to, x.shape());
        cast_tensor(x, y, options, ctx.node());
      });
    };
    r.add(std::move(def));
  }
}

}  // namespace onnxi::ops
