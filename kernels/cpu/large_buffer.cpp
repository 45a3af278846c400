#include "kernels/cpu/large_buffer.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
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

namespace {

// The recycling pool (large_buffer.h): every mapping allocate_large made (start -> its size in
// whole pages), the donated ones, and the free page ranges the open scopes keep, coalesced.
std::mutex g_pool_mutex;
int g_scopes = 0;
std::unordered_map<uintptr_t, size_t> g_live;
std::unordered_set<uintptr_t> g_donated;
std::map<uintptr_t, size_t> g_free;

// Caller holds g_pool_mutex.
void pool_put(uintptr_t start, size_t size) {
  auto next = g_free.lower_bound(start);
  if (next != g_free.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {
      start = prev->first;
      size += prev->second;
      g_free.erase(prev);
    }
  }
  if (next != g_free.end() && start + size == next->first) {
    size += next->second;
    g_free.erase(next);
  }
  g_free[start] = size;
}

size_t pool_total() {
  size_t n = 0;
  for (const auto& [start, size] : g_free) n += size;
  return n;
}

// The smallest free range of at least `size` bytes, its front cut off; 0 when none. Caller holds
// g_pool_mutex.
uintptr_t pool_take(size_t size) {
  auto best = g_free.end();
  for (auto it = g_free.begin(); it != g_free.end(); ++it) {
    if (it->second >= size && (best == g_free.end() || it->second < best->second)) best = it;
  }
  if (best == g_free.end()) return 0;
  const uintptr_t start = best->first;
  const size_t left = best->second - size;
  g_free.erase(best);
  if (left > 0) g_free[start + size] = left;
  return start;
}

}  // namespace

// From kRecycleBytes on: page-aligned mappings, from the pool when it has a range that fits. From
// 2 MiB on with ONNXI_HUGE_PAGES: a mapping of the size rounded to pages, its start moved to a 2 MiB
// boundary by over-mapping and unmapping the slack; the tail past the last whole 2 MiB stays small
// pages, so a huge page never holds bytes nobody asked for (resident-set growth stays what was
// asked). Those never enter the pool.
void* allocate_large(size_t bytes) {
  if (bytes < kRecycleBytes) return ::operator new(bytes == 0 ? 1 : bytes, std::align_val_t{kSmallAlign});
  const size_t size = round_up(bytes, kPage);
  if (bytes >= kHuge && huge_page_budget() > 0) {
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
  {
    std::lock_guard<std::mutex> lock(g_pool_mutex);
    if (const uintptr_t start = pool_take(size); start != 0) {
      g_live[start] = size;
      return reinterpret_cast<void*>(start);
    }
  }
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  g_live[reinterpret_cast<uintptr_t>(p)] = size;
  return p;
}

void free_large(void* p, size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes < kRecycleBytes) {
    ::operator delete(p, std::align_val_t{kSmallAlign});
    return;
  }
  const auto start = reinterpret_cast<uintptr_t>(p);
  {
    std::lock_guard<std::mutex> lock(g_pool_mutex);
    if (g_donated.erase(start) > 0) return;  // its pages went to the pool already
    auto it = g_live.find(start);
    if (it != g_live.end()) {
      const size_t size = it->second;
      g_live.erase(it);
      if (g_scopes > 0) {
        pool_put(start, size);
      } else {
        munmap(p, size);
      }
      return;
    }
  }
  const size_t size = round_up(bytes, kPage);  // a huge-page mapping
  {
    std::lock_guard<std::mutex> lock(g_huge_mutex);
    if (g_huge_buffers.erase(p) > 0) g_huge_bytes.fetch_sub(size, std::memory_order_relaxed);
  }
  munmap(p, size);
}

RecycleScope::RecycleScope() noexcept {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  ++g_scopes;
}

RecycleScope::~RecycleScope() {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  if (--g_scopes > 0) return;
  for (const auto& [start, size] : g_free) munmap(reinterpret_cast<void*>(start), size);
  g_free.clear();
}

bool donate_large(const void* p) noexcept {
  const auto start = reinterpret_cast<uintptr_t>(p);
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  if (g_scopes == 0) return false;
  auto it = g_live.find(start);
  if (it == g_live.end()) return false;
  pool_put(start, it->second);
  g_live.erase(it);
  g_donated.insert(start);
  return true;
}

size_t recycled_bytes() noexcept {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  return pool_total();
}

#else

void* allocate_large(size_t bytes) { return ::operator new(bytes == 0 ? 1 : bytes, std::align_val_t{kSmallAlign}); }
void free_large(void* p, size_t) noexcept { ::operator delete(p, std::align_val_t{kSmallAlign}); }
RecycleScope::RecycleScope() noexcept = default;
RecycleScope::~RecycleScope() = default;
bool donate_large(const void*) noexcept { return false; }
size_t recycled_bytes() noexcept { return 0; }

#endif

}  // namespace onnxi::kernels
