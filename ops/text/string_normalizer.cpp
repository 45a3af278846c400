// StringNormalizer (opset 10): drops whole elements found in `stopwords`, then lower- or
// upper-cases the rest. Only [C] and [1, C] inputs are defined; when every element is dropped the
// output is one empty string, shaped [1] or [1, 1].
//
// Stopwords match whole elements, as the spec and onnxruntime have it (the Python reference
// splits elements on spaces, which no runtime does). Case-insensitive matching compares the
// lower-cased forms, whatever case_change_action says.
#include <unordered_set>

#include "ops/text/text.h"

namespace onnxi::ops {
namespace {

using text_family::CaseChange;
using text_family::CaseMapper;

struct NormalizerAttrs {
  CaseChange change = CaseChange::None;
  bool case_sensitive = false;
  std::vector<std::string> stopwords;
  std::string locale;
};

NormalizerAttrs read_normalizer_attrs(const Node& node) {
  NormalizerAttrs a;
  const std::string action = node.attr_string("case_change_action", "NONE");
  if (action == "LOWER") {
    a.change = CaseChange::Lower;
  } else if (action == "UPPER") {
    a.change = CaseChange::Upper;
  } else if (action != "NONE") {
    fail(ErrorCode::InvalidModel, cat(node.label(), ": attribute case_change_action is '", action,
                                      "'; use NONE, LOWER or UPPER"));
  }
  a.case_sensitive = node.attr_int("is_case_sensitive", 0) != 0;
  a.stopwords = node.attr_strings("stopwords");
  a.locale = node.attr_string("locale", "");
  return a;
}

void infer_string_normalizer(InferContext& ctx) {
  const NormalizerAttrs attrs = read_normalizer_attrs(ctx.node);
  text_family::require_string_type(ctx, 0);
  const TypeInfo& x = ctx.input(0);
  if (!x.is_tensor() || !x.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(DataType::String));
    return;
  }
  const size_t rank = x.dims.size();
  if (rank != 1 && rank != 2) {
    ctx.fail(cat("input 0 is ", x.str(), "; StringNormalizer takes a [C] or [1, C] string tensor"));
  }
  if (rank == 2 && x.dims[0].is_known() && x.dims[0].value != 1) {
    ctx.fail(cat("input 0 is ", x.str(), "; StringNormalizer takes a [C] or [1, C] string tensor (reshape a batch "
                 "to one row per node)"));
  }
  std::vector<Dim> dims = x.dims;
  // Without stopwords nothing is dropped; otherwise the count depends on the data.
  if (!attrs.stopwords.empty()) dims.back() = ctx.make_symbol ? ctx.fresh_dim("kept") : Dim{};
  if (rank == 2) dims[0] = Dim::known(1);
  ctx.set_output(0, TypeInfo::tensor(DataType::String, std::move(dims)));
}

class StringNormalizerKernel final : public Kernel {
 public:
  explicit StringNormalizerKernel(NormalizerAttrs attrs)
      : change_(attrs.change), case_sensitive_(attrs.case_sensitive), mapper_(attrs.locale) {
    for (const std::string& w : attrs.stopwords) {
      stopwords_.insert(case_sensitive_ ? w : mapper_.apply(w, CaseChange::Lower));
    }
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    text_family::require_string_input(ctx, x, 0);
    const bool row = x.rank() == 2;
    if (!(x.rank() == 1 || (row && x.dim(0) == 1))) {
      ctx.fail(cat("input 0 is ", x.describe(), "; StringNormalizer takes a [C] or [1, C] string tensor"));
    }
    const auto* in = x.data<std::string>();
    std::vector<std::string> kept;
    kept.reserve(static_cast<size_t>(x.numel()));
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (is_stopword(in[i])) continue;
      kept.push_back(mapper_.apply(in[i], change_));
    }
    if (kept.empty() && x.numel() > 0) kept.emplace_back();
    const auto count = static_cast<int64_t>(kept.size());
    Tensor& y = ctx.allocate_output(0, DataType::String, row ? Shape{1, count} : Shape{count});
    auto* out = y.data<std::string>();
    for (size_t i = 0; i < kept.size(); ++i) out[i] = std::move(kept[i]);
  }

 private:
  bool is_stopword(const std::string& s) const {
    if (stopwords_.empty()) return false;
    return stopwords_.count(case_sensitive_ ? s : mapper_.apply(s, CaseChange::Lower)) > 0;
  }

  CaseChange change_;
  bool case_sensitive_;
  CaseMapper mapper_;
  std::unordered_set<std::string> stopwords_;  // lower-cased when matching ignores case
};

}  // namespace

void register_string_normalizer(Registry& r) {
  OpDef def;
  def.op_type = "StringNormalizer";
  def.since_version = 10;
  def.types = "string";
  def.infer = infer_string_normalizer;
  def.create = [](const KernelInit& init) -> std::unique_ptr<Kernel> {
    return std::make_unique<StringNormalizerKernel>(read_normalizer_attrs(init.node));
  };
  r.add(std::move(def));
}

}  // namespace onnxi::ops
