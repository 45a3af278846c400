// UTF-8 decoding, Python's notion of whitespace and locale case mapping for the text ops.
#include <locale.h>
#include <wctype.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ops/text/text.h"

namespace onnxi::ops::text_family {
namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// locale_t objects live for the whole process: kernels of many sessions share them, and freeing
// one while a run maps a string through it would be a use-after-free.
locale_t open_locale(const std::string& requested) {
  static std::mutex mutex;
  static std::map<std::string, locale_t> opened;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = opened.find(requested);
  if (it != opened.end()) return it->second;

  // Only the wide-character case tables matter, so any UTF-8 locale of the language will do; the
  // C.UTF-8 locale (glibc 2.35+, Debian) carries the full Unicode simple case mapping.
  std::vector<std::string> candidates;
  if (!requested.empty() && requested != "C" && requested != "POSIX") {
    candidates.push_back(requested + ".UTF-8");
    candidates.push_back(requested + ".utf8");
    candidates.push_back(requested);
  }
  for (const char* fallback : {"C.UTF-8", "C.utf8", "en_US.UTF-8", "en_US.utf8"}) candidates.emplace_back(fallback);
  locale_t found = static_cast<locale_t>(nullptr);
  for (const std::string& name : candidates) {
    found = newlocale(LC_CTYPE_MASK, name.c_str(), static_cast<locale_t>(nullptr));
    if (found != static_cast<locale_t>(nullptr)) break;
  }
  opened[requested] = found;
  return found;
}

char32_t ascii_case(char32_t cp, CaseChange change) {
  if (change == CaseChange::Lower && cp >= 'A' && cp <= 'Z') return cp + ('a' - 'A');
  if (change == CaseChange::Upper && cp >= 'a' && cp <= 'z') return cp - ('a' - 'A');
  return cp;
}

}  // namespace

char32_t next_code_point(std::string_view s, size_t& i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  size_t length = 0;
  char32_t cp = 0;
  if (lead < 0x80) {
    ++i;
    return lead;
  } else if ((lead & 0xE0) == 0xC0 && lead >= 0xC2) {
    length = 2;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0 && lead <= 0xF4) {
    length = 4;
    cp = lead & 0x07;
  }
  if (length == 0 || i + length > s.size()) {
    ++i;
    return lead;
  }
  for (size_t k = 1; k < length; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if (!is_continuation(c)) {
      ++i;
      return lead;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are malformed: keep the raw byte.
  const char32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_length[length] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    ++i;
    return lead;
  }
  i += length;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_python_space(char32_t cp) {
  if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F)) return true;
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

CaseMapper::CaseMapper(const std::string& locale) : locale_(open_locale(locale)) {}

std::string CaseMapper::apply(std::string_view s, CaseChange change) const {
  if (change == CaseChange::None) return std::string(s);
  const auto loc = static_cast<locale_t>(locale_);
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    const char32_t cp = next_code_point(s, i);
    if (cp >= 0x80 && i == start + 1) {  // a malformed byte: copy it unchanged
      out.push_back(s[start]);
      continue;
    }
    char32_t mapped = ascii_case(cp, change);
    if (cp >= 0x80 && loc != static_cast<locale_t>(nullptr)) {
      const auto wide = static_cast<wint_t>(cp);
      mapped = static_cast<char32_t>(change == CaseChange::Lower ? towlower_l(wide, loc) : towupper_l(wide, loc));
    }
    append_utf8(out, mapped);
  }
  return out;
}

void require_string_input(const KernelContext& ctx, const Tensor& t, size_t i) {
  if (t.dtype() != DataType::String) {
    ctx.fail(cat("input ", i, " ('", ctx.node().inputs[i], "') must be a string tensor, got ", t.describe(),
                 "; cast it to string first"));
  }
}

void require_string_type(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return;
  const TypeInfo& t = ctx.input(i);
  if (t.is_tensor() && t.elem != DataType::Undefined && t.elem != DataType::String) {
    ctx.fail(cat("input ", i, " ('", ctx.node.inputs[i], "') must be a string tensor, got ", t.str(),
                 "; cast it to string first"));
  }
}

}  // namespace onnxi::ops::text_family
