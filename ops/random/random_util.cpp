// Helpers shared by the random ops: type lists, the seed and dtype attributes.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/random.h"
#include "ops/random/random.h"

namespace onnxi::ops::random {

TypeList float_types(int since) {
  TypeList t = {DataType::Float16, DataType::Float, DataType::Double};
  if (since >= 22) t.push_back(DataType::BFloat16);
  return t;
}

Seed::Seed(const Node& node, const std::function<void(const std::string&)>& fail) {
  if (!node.has_attr("seed")) return;
  const double s = node.attr_float("seed", 0.f);
  if (std::isnan(s)) return;
  if (std::isinf(s)) fail(cat("attribute seed = ", s, " must be finite"));
  // int(seed) in Python truncates; numpy takes the seed as a 32-bit word (and refuses negative
  // ones, which wrap here). fmod is exact, so huge seeds reduce without rounding.
  double reduced = std::fmod(std::trunc(s), 4294967296.0);
  if (reduced < 0) reduced += 4294967296.0;
  fixed_ = true;
  value_ = static_cast<uint32_t>(reduced);
}

uint32_t Seed::for_run() const { return fixed_ ? value_ : kernels::nondeterministic_seed(); }

DataType dtype_attr(const Node& node, DataType fallback, const TypeList& allowed,
                    const std::function<void(const std::string&)>& fail) {
  const int64_t v = node.attr_int("dtype", 0);
  if (v == 0) return fallback;
  const DataType t = static_cast<DataType>(v);
  if (v < 0 || v > kMaxDataType || !accepts(allowed, t)) {
    fail(cat("attribute dtype = ", v, (v > 0 && v <= kMaxDataType ? cat(" (", dtype_name(t), ")") : std::string()),
             " is not one of ", type_list_string(allowed)));
  }
  return t;
}

}  // namespace onnxi::ops::random
