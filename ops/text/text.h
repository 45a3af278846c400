// ops/text: string ops that need no third-party library. register.cpp calls one function per op
// file. RegexFullMatch needs RE2 and lives in ops/text/extra/ (the optional extras library).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "onnxi/registry.h"

namespace onnxi::ops {

void register_string_normalizer(Registry& r);  // string_normalizer.cpp: StringNormalizer
void register_string_concat(Registry& r);      // string_concat.cpp: StringConcat
void register_string_split(Registry& r);       // string_split.cpp: StringSplit
void register_tfidf_vectorizer(Registry& r);   // tfidf_vectorizer.cpp: TfIdfVectorizer

// Helpers of this family only (unicode.cpp).
namespace text_family {

// Decodes the UTF-8 code point starting at s[i] and advances i past it. A malformed or truncated
// sequence yields the single byte as its own value (0x80..0xFF), so arbitrary bytes round-trip.
char32_t next_code_point(std::string_view s, size_t& i);
void append_utf8(std::string& out, char32_t cp);

// Whitespace as Python's str.isspace() sees it: ASCII \t\n\v\f\r, space, \x1c-\x1f and the Unicode
// spaces (U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
bool is_python_space(char32_t cp);

enum class CaseChange { None, Lower, Upper };

// Case mapping of whole code points (one code point to one, as towlower/towupper do) under a
// locale. Built once per node; safe to use from concurrent runs.
class CaseMapper {
 public:
  // `locale` is the StringNormalizer attribute ("" or "en_US" by default). A locale the system
  // lacks falls back to the built-in UTF-8 locale; the mapping differs from it only for a few
  // languages (Turkish dotted i), so a missing one is not worth failing a model over.
  explicit CaseMapper(const std::string& locale);
  std::string apply(std::string_view s, CaseChange change) const;

 private:
  void* locale_ = nullptr;  // a locale_t from newlocale, shared and never freed; null: ASCII only
};

// Requires element type string for input `i` of a run; a Runtime error naming the node otherwise.
void require_string_input(const KernelContext& ctx, const Tensor& t, size_t i);
// Inference: fails when input `i` is a tensor of a known, non-string element type.
void require_string_type(const InferContext& ctx, size_t i);

}  // namespace text_family

}  // namespace onnxi::ops
