#include "kernels/cpu/large_buffer.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_set>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace onnxi::kernels {
namespace {

constexpr size_t kHuge = size_t{2} << 20;
constexpr size_t kPage = 4096;
constexpr size_t kSmallAlign = 64;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// At most this many bytes of the process's live buffers are advised onto huge pages; none unless
// ONNXI_HUGE_PAGES=N (MiB) asks. Measured on this project's 2-core VM (bench/memory.py-style fresh
// processes, 1 thread, loaded machine): ResNet-50's ~100 MB of packed weights (and its loaded
// weights) on huge pages made creation 25-30% faster in 3 of 4 A/B runs, but BERT-base's ~340 MB
// made it 12-35% slower in 3 of 4 (a fresh huge page there cost more than its 512 small pages), so
// the default stays off until a quieter machine says otherwise.
size_t huge_page_budget() {
  static const size_t budget = [] {
    const char* v = std::getenv("ONNXI_HUGE_PAGES");
    const size_t mib = v != nullptr && *v != '\0' ? static_cast<size_t>(std::strtoull(v, nullptr, 10)) : 0;
    return mib << 20;
  }();
  return budget;
}

std::atomic<size_t> g_huge_bytes{0};  // live bytes advised onto huge pages
std::mutex g_huge_mutex;
std::unordered_set<void*> g_huge_buffers;  // the buffers those bytes belong to

// Takes `bytes` of the budget, or nothing when they do not fit.
bool take_huge_budget(size_t bytes) {
  size_t now = g_huge_bytes.load(std::memory_order_relaxed);
  while (now + bytes <= huge_page_budget()) {
    if (g_huge_bytes.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed)) return true;
  }
  return false;
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
  // Advice only: without THP the buffer is small pages.
  if (take_huge_budget(size)) {
    madvise(p, size, MADV_HUGEPAGE);
    std::lock_guard<std::mutex> lock(g_huge_mutex);
    g_huge_buffers.insert(p);
  }
  return p;
}

void free_large(void* p, size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes < kHuge) {
    ::operator delete(p, std::align_val_t{kSmallAlign});
    return;
  }
  const size_t size = round_up(bytes, kPage);
  {
    std::lock_guard<std::mutex> lock(g_huge_mutex);
    if (g_huge_buffers.erase(p) > 0) g_huge_bytes.fetch_sub(size, std::memory_order_relaxed);
  }
  munmap(p, size);
}

#else

void* allocate_large(size_t bytes) { return ::operator new(bytes == 0 ? 1 : bytes, std::align_val_t{kSmallAlign}); }
void free_large(void* p, size_t) noexcept { ::operator delete(p, std::align_val_t{kSmallAlign}); }

#endif

}  // namespace onnxi::kernels
