#include "ops/families.h"
#include "ops/text/text.h"

namespace onnxi::ops {

// RegexFullMatch is not here: it needs RE2, so ops/text/extra/ registers it from the extras library.
void register_text(Registry& r) {
  register_string_normalizer(r);
  register_string_concat(r);
  register_string_split(r);
  register_tfidf_vectorizer(r);
}

}  // namespace onnxi::ops
