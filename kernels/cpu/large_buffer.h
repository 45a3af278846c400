// Big buffers that live as long as the session (packed weights) straight from the kernel: from
// 2 MiB on, a mapping of their own starting on a 2 MiB boundary, which ONNXI_HUGE_PAGES=N marks for
// transparent huge pages (Linux, THP in `madvise` mode) up to N MiB of live buffers per process:
// filling one at session creation then takes one page fault per 2 MiB instead of one per 4 KiB,
// and the kernels streaming it miss the TLB less. Off by default (large_buffer.cpp says why).
// From kRecycleBytes (below) to 2 MiB, page-aligned mappings; smaller ones come from the aligned
// allocator. Contents are uninitialized (fresh mappings read as zero, but callers must
// not rely on it: small buffers are recycled heap memory).
#pragma once

#include <cstddef>
#include <new>

namespace onnxi::kernels {

// At least 64-byte aligned; never null (throws std::bad_alloc).
void* allocate_large(size_t bytes);
// `bytes` must be the size given to allocate_large.
void free_large(void* p, size_t bytes) noexcept;

// Recycling during session creation. Fresh pages cost a page fault each (~3 us on this project's
// VMs: a quarter to a third of creation), and creation both frees the loaded weights that packing
// replaces and allocates the packed ones, about as many bytes. While a RecycleScope lives, buffers
// of kRecycleBytes or more that are freed or donated (below) keep their pages in a pool that
// allocate_large takes from first; when the last scope ends the pool goes back to the system.
constexpr size_t kRecycleBytes = size_t{256} << 10;
class RecycleScope {
 public:
  RecycleScope() noexcept;
  ~RecycleScope();
  RecycleScope(const RecycleScope&) = delete;
  RecycleScope& operator=(const RecycleScope&) = delete;
};
// Hands the pages of a live allocate_large buffer that nobody will read again to the pool now
// (its later free_large is then a no-op). False (and nothing done) when p is not such a buffer of
// kRecycleBytes or more, or no RecycleScope is open. Thread-safe.
bool donate_large(const void* p) noexcept;
// Bytes the pool holds now (tests).
size_t recycled_bytes() noexcept;

// A std::vector allocator whose resize() leaves new elements default-initialized (floats
// unwritten): every user writes its buffer before reading it (packing, scratch), and zero-filling
// pages about to be overwritten was a quarter of MobileNetV2's session creation. Memory says where
// the bytes come from (allocate(bytes), release(p, bytes)).
template <class T, class Memory>
struct UninitializedAllocator {
  using value_type = T;
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U, Memory>&) noexcept {}  // NOLINT: rebinding is implicit
  T* allocate(size_t n) { return static_cast<T*>(Memory::allocate(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { Memory::release(p, n * sizeof(T)); }
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(static_cast<Args&&>(args)...);
  }
  template <class U>
  bool operator==(const UninitializedAllocator<U, Memory>&) const noexcept { return true; }
};

// 64-byte boundaries: packed panels are read a cache line per vector load, and a misaligned panel
// would split every load across two lines.
struct CacheAlignedMemory {
  static void* allocate(size_t bytes) { return ::operator new(bytes, std::align_val_t{64}); }
  static void release(void* p, size_t) noexcept { ::operator delete(p, std::align_val_t{64}); }
};
template <class T>
using CacheAlignedAllocator = UninitializedAllocator<T, CacheAlignedMemory>;

// For packed constants made once at session creation (never for per-run scratch: a fresh mapping
// per call would fault its pages in every time).
struct LargeBufferMemory {
  static void* allocate(size_t bytes) { return allocate_large(bytes); }
  static void release(void* p, size_t bytes) noexcept { free_large(p, bytes); }
};
template <class T>
using LargeBufferAllocator = UninitializedAllocator<T, LargeBufferMemory>;

}  // namespace onnxi::kernels
