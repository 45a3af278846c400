// Host side of the CUDA kernels: device query, streams, a stream-ordered caching allocator and copies.
// Plain C++ (no CUDA headers), so the rest of onnxi can include it; a cudaStream_t travels as
// StreamHandle. Every failure throws onnxi::Error naming the CUDA call and the fix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace onnxi::cuda {

// True when a CUDA device can run our kernels (a driver, at least one device, compute capability
// 8.0 or newer). Never throws: without a driver or a device it returns false.
bool cuda_available() noexcept;

struct DeviceInfo {
  std::string name;
  int major = 0, minor = 0;  // compute capability
  int sm_count = 0;
  std::size_t global_memory = 0;
  std::size_t shared_memory_per_block_optin = 0;
};
// Throws onnxi::Error when there is no device (the message says which: no driver, no device).
DeviceInfo device_info(int device = 0);
// Why cuda_available() is false, in one line ("no CUDA device found", "CUDA driver missing", ...);
// empty when a device is available.
std::string cuda_unavailable_reason();

using StreamHandle = void*;  // a cudaStream_t; nullptr is the legacy default stream

// An owned, non-blocking CUDA stream.
class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  StreamHandle handle() const { return stream_; }
  void synchronize() const;  // waits, and turns an asynchronous kernel fault into onnxi::Error

 private:
  StreamHandle stream_ = nullptr;
};

// Stream-ordered caching allocator. A block freed on stream S goes back to S's free list at once:
// work queued later on S runs after the work that used it, so S may reuse it without a sync. Another
// stream takes a cached block only after the event recorded at its free has completed. A failed
// cudaMalloc releases every cached block (after a device sync) and tries once more.
class CachingAllocator {
 public:
  CachingAllocator() = default;
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  void* allocate(std::size_t bytes, StreamHandle stream);  // 256-byte aligned; bytes == 0 gives nullptr
  void deallocate(void* ptr, StreamHandle stream);          // stream: the last one that used it
  void release_cached();                                    // syncs the device, frees the free lists

  struct Stats {
    std::size_t in_use_bytes = 0, cached_bytes = 0;
    std::int64_t device_allocations = 0, cache_hits = 0;
  };
  Stats stats() const;

  // Block sizes: 512-byte multiples below 1 MiB, 2 MiB multiples above (fewer distinct sizes, so
  // reuse hits more often); the rounded size is what a block holds.
  static std::size_t round_size(std::size_t bytes);

 private:
  struct Block {
    void* ptr = nullptr;
    std::size_t size = 0;
    StreamHandle stream = nullptr;
    void* freed_event = nullptr;  // cudaEvent_t recorded on `stream` when it was freed
  };
  void free_block(Block& b);

  mutable std::mutex mutex_;
  std::map<void*, Block> in_use_;
  std::multimap<std::size_t, Block> cached_;  // by size
  Stats stats_;
};

// The process-wide allocator of device tensors.
CachingAllocator& default_allocator();

// Device memory owned by a CachingAllocator, returned to it on destruction (stream-ordered).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(std::size_t bytes, StreamHandle stream, CachingAllocator& alloc = default_allocator());
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const { return ptr_; }
  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }
  std::size_t bytes() const { return bytes_; }

 private:
  void reset() noexcept;
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
  StreamHandle stream_ = nullptr;
  CachingAllocator* alloc_ = nullptr;
};

// Asynchronous on `stream` (host memory should be pinned for true overlap; pageable works too).
void copy_to_device(void* dst, const void* src, std::size_t bytes, StreamHandle stream);
void copy_to_host(void* dst, const void* src, std::size_t bytes, StreamHandle stream);
void copy_on_device(void* dst, const void* src, std::size_t bytes, StreamHandle stream);
void fill_zero(void* dst, std::size_t bytes, StreamHandle stream);

// Throws onnxi::Error if the last launch on this thread failed (bad configuration, missing image).
void check_launch(const char* kernel);

}  // namespace onnxi::cuda
