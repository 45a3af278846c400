#include "kernels/cpu/large_buffer.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace onnxi::kernels {
namespace {

constexpr size_t kHuge = size_t{2} << 20;
constexpr size_t kPage = 4096;
constexpr size_t kSmallAlign = 64;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// ONNXI_HUGE_PAGES=0: small pages (the buffers keep their alignment and their own mappings).
bool huge_pages_on() {
  static const bool on = [] {
    const char* v = std::getenv("ONNXI_HUGE_PAGES");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return on;
}

}  // namespace

#if defined(__linux__) && defined(MADV_HUGEPAGE)

// A private anonymous mapping of the size rounded to pages, its start moved to a 2 MiB boundary
// by over-mapping and unmapping the slack. The tail past the last whole 2 MiB stays small pages,
// so a huge page never holds bytes nobody asked for (resident-set growth stays what was asked).
void* allocate_large(size_t bytes) {
  if (bytes < kHuge) return ::operator new(bytes == 0 ? 1 : bytes, std::align_val_t{kSmallAlign});
  const size_t size = round_up(bytes, kPage);
  const size_t span = size + kHuge;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t start = round_up(base, kHuge);
  if (start > base) munmap(raw, start - base);
  const uintptr_t end = start + size;
  if (base + span > end) munmap(reinterpret_cast<void*>(end), base + span - end);
  void* p = reinterpret_cast<void*>(start);
  if (huge_pages_on()) madvise(p, size, MADV_HUGEPAGE);  // advice only: without THP the buffer is small pages
  return p;
}

void free_large(void* p, size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes < kHuge) {
    ::operator delete(p, std::align_val_t{kSmallAlign});
    return;
  }
  munmap(p, round_up(bytes, kPage));
}

#else

void* allocate_large(size_t bytes) { return ::operator new(bytes == 0 ? 1 : bytes, std::align_val_t{kSmallAlign}); }
void free_large(void* p, size_t) noexcept { ::operator delete(p, std::align_val_t{kSmallAlign}); }

#endif

}  // namespace onnxi::kernels
