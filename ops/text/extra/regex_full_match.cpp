// RegexFullMatch (opset 20): true where an element matches `pattern` as a whole, in RE2 syntax
// (the spec names RE2; Python's re, which the ONNX reference uses, differs in corners such as
// Unicode \w). The pattern is compiled once per node; RE2 matching is thread-safe, so concurrent
// runs share it.
#include <re2/re2.h>

#include <memory>

#include "ops/text/extra/text_extra.h"

namespace onnxi::ops {
namespace {

class RegexFullMatchKernel final : public Kernel {
 public:
  explicit RegexFullMatchKernel(std::unique_ptr<RE2> regex) : regex_(std::move(regex)) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DataType::String) {
      ctx.fail(cat("input 0 ('", ctx.node().inputs[0], "') must be a string tensor, got ", x.describe(),
                   "; cast it to string first"));
    }
    Tensor& y = ctx.allocate_output(0, DataType::Bool, x.shape());
    const auto* in = x.data<std::string>();
    bool* out = y.data<bool>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = RE2::FullMatch(in[i], *regex_);
  }

 private:
  std::unique_ptr<RE2> regex_;
};

// The pattern is validated where it is compiled, so a bad one fails the model at load, naming it.
std::unique_ptr<RE2> compile_pattern(const Node& node) {
  if (!node.has_attr("pattern")) {
    fail(ErrorCode::InvalidModel, cat(node.label(), ": attribute pattern is required (an RE2 regular expression)"));
  }
  const std::string pattern = node.attr_string("pattern", "");
  RE2::Options options;
  options.set_log_errors(false);  // the error goes into our message, not onto stderr
  auto regex = std::make_unique<RE2>(pattern, options);
  if (!regex->ok()) {
    fail(ErrorCode::InvalidModel, cat(node.label(), ": attribute pattern '", pattern,
                                      "' is not a valid RE2 regular expression (", regex->error(),
                                      "); see https://github.com/google/re2/wiki/Syntax"));
  }
  return regex;
}

}  // namespace

void register_regex_full_match(Registry& r) {
  OpDef def;
  def.op_type = "RegexFullMatch";
  def.since_version = 20;
  def.types = "string";
  def.infer = [](InferContext& ctx) {
    const TypeInfo& x = ctx.input(0);
    if (x.is_tensor() && x.elem != DataType::Undefined && x.elem != DataType::String) {
      ctx.fail(cat("input 0 is ", x.str(), "; RegexFullMatch takes a string tensor"));
    }
    if (!x.is_tensor()) {
      ctx.set_output(0, TypeInfo::tensor_unranked(DataType::Bool));
    } else {
      TypeInfo y = x;
      y.elem = DataType::Bool;
      ctx.set_output(0, std::move(y));
    }
  };
  def.create = [](const KernelInit& init) -> std::unique_ptr<Kernel> {
    return std::make_unique<RegexFullMatchKernel>(compile_pattern(init.node));
  };
  r.add(std::move(def));
}

}  // namespace onnxi::ops
