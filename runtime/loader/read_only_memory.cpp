#include "runtime/loader/read_only_memory.h"

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

namespace onnxi::loader {
namespace {

struct Ranges {
  std::mutex mutex;
  std::vector<std::pair<const char*, size_t>> live;
};

Ranges& ranges() {
  static Ranges r;
  return r;
}

}  // namespace

bool in_read_only_mapping(const void* p, size_t bytes) noexcept {
  const char* begin = static_cast<const char*>(p);
  const char* end = begin + std::max<size_t>(bytes, 1);
  Ranges& r = ranges();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const auto& [base, size] : r.live) {
    if (begin < base + size && base < end) return true;
  }
  return false;
}

void note_read_only_mapping(const void* base, size_t bytes, bool mapped) noexcept {
  Ranges& r = ranges();
  std::lock_guard<std::mutex> lock(r.mutex);
  const auto* b = static_cast<const char*>(base);
  if (mapped) {
    r.live.emplace_back(b, bytes);
    return;
  }
  const auto it = std::find(r.live.begin(), r.live.end(), std::make_pair(b, bytes));
  if (it != r.live.end()) r.live.erase(it);
}

}  // namespace onnxi::loader
