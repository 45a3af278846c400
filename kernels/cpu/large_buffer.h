// Big buffers that live as long as the session (packed weights) straight from the kernel: from
// 2 MiB on they start on a 2 MiB boundary and are marked for transparent huge pages (Linux, THP in
// `madvise` mode), so filling one at session creation takes one page fault per 2 MiB instead of
// one per 4 KiB, and the kernels streaming it later miss the TLB less; ONNXI_HUGE_PAGES=0 keeps
// small pages. Smaller ones come from the aligned allocator. Not for buffers freed within session
// creation (the loaded weights that packing replaces): on this project's VMs a fresh huge page
// costs more the more of them a process takes (BERT-base's 435 MB of weights on huge pages made
// its creation ~40% slower, ResNet-50's 100 MB ~25% faster). Contents are uninitialized (fresh mappings read as zero, but callers must
// not rely on it: small buffers are recycled heap memory).
#pragma once

#include <cstddef>
#include <new>

namespace onnxi::kernels {

// At least 64-byte aligned; never null (throws std::bad_alloc).
void* allocate_large(size_t bytes);
// `bytes` must be the size given to allocate_large.
void free_large(void* p, size_t bytes) noexcept;

}  // namespace onnxi::kernels

namespace onnxi::kernels {

// std::vector allocator over allocate_large, for packed constants made once at session creation
// (never for per-run scratch: a fresh mapping per call would fault its pages in every time).
// resize() leaves new elements default-initialized (floats unwritten), as CacheAlignedAllocator.
template <class T>
struct LargeBufferAllocator {
  using value_type = T;
  LargeBufferAllocator() = default;
  template <class U>
  LargeBufferAllocator(const LargeBufferAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit
  T* allocate(size_t n) { return static_cast<T*>(allocate_large(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { free_large(p, n * sizeof(T)); }
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(static_cast<Args&&>(args)...);
  }
  template <class U>
  bool operator==(const LargeBufferAllocator<U>&) const noexcept { return true; }
};

}  // namespace onnxi::kernels
