// Device query, streams, the caching allocator and copies (kernels/cuda/runtime.h).
#include <utility>

#include "kernels/cuda/common.cuh"

namespace onnxi::cuda {
namespace detail {

void throw_cuda_error(cudaError_t err, const char* what) {
  cudaGetLastError();  // a sticky launch error would otherwise be reported again by the next check
  fail(ErrorCode::Runtime, cat("CUDA: ", what, " failed: ", cudaGetErrorName(err), " (", cudaGetErrorString(err),
                               ")"));
}

}  // namespace detail

namespace {

using detail::as_stream;
using detail::check;

// Probing a kernel of this library tells whether the device can run our code images (sm_90a SASS or
// compute_90 PTX): an older GPU answers cudaErrorNoKernelImageForDevice instead of failing later.
__global__ void probe_kernel(int* p) {
  if (p) *p = 0;
}

struct Probe {
  bool ok = false;
  std::string reason;
};

const Probe& probe() {
  static const Probe result = [] {
    Probe p;
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err == cudaErrorNoDevice || (err == cudaSuccess && count == 0)) {
      p.reason = "no CUDA device found";
    } else if (err == cudaErrorInsufficientDriver) {
      p.reason = "no CUDA driver (or one too old for CUDA 13) is installed";
    } else if (err != cudaSuccess) {
      p.reason = cat("cudaGetDeviceCount failed: ", cudaGetErrorName(err));
    } else {
      cudaFuncAttributes attr{};
      err = cudaFuncGetAttributes(&attr, probe_kernel);
      if (err != cudaSuccess) {
        cudaDeviceProp prop{};
        cudaGetDeviceProperties(&prop, 0);
        p.reason = cat("the CUDA device (", prop.name, ", sm_", prop.major, prop.minor,
                       ") cannot run these kernels (built for CMAKE_CUDA_ARCHITECTURES; ", cudaGetErrorName(err), ")");
      } else {
        p.ok = true;
      }
    }
    cudaGetLastError();
    return p;
  }();
  return result;
}

}  // namespace

bool cuda_available() noexcept {
  try {
    return probe().ok;
  } catch (...) {
    return false;
  }
}

std::string cuda_unavailable_reason() { return probe().ok ? std::string() : probe().reason; }

DeviceInfo device_info(int device) {
  if (!probe().ok) fail(ErrorCode::Runtime, cat("CUDA: ", probe().reason));
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  DeviceInfo info;
  info.name = prop.name;
  info.major = prop.major;
  info.minor = prop.minor;
  info.sm_count = prop.multiProcessorCount;
  info.global_memory = prop.totalGlobalMem;
  info.shared_memory_per_block_optin = prop.sharedMemPerBlockOptin;
  return info;
}

// ---- streams -----------------------------------------------------------------------------------

Stream::Stream() {
  cudaStream_t s = nullptr;
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  stream_ = s;
}

Stream::~Stream() {
  if (stream_) cudaStreamDestroy(as_stream(stream_));
}

void Stream::synchronize() const { check(cudaStreamSynchronize(as_stream(stream_)), "cudaStreamSynchronize"); }

// ---- caching allocator ---------------------------------------------------------------------------

std::size_t CachingAllocator::round_size(std::size_t bytes) {
  constexpr std::size_t small_unit = 512, large_unit = 2u << 20, large_from = 1u << 20;
  if (bytes < large_from) return (bytes + small_unit - 1) / small_unit * small_unit;
  return (bytes + large_unit - 1) / large_unit * large_unit;
}

CachingAllocator::~CachingAllocator() {
  // Blocks still in use belong to buffers that outlive the allocator; leave them to process exit.
  for (auto& [size, b] : cached_) free_block(b);
}

void CachingAllocator::free_block(Block& b) {
  if (b.freed_event) cudaEventDestroy(static_cast<cudaEvent_t>(b.freed_event));
  cudaFree(b.ptr);
  b = Block{};
}

void* CachingAllocator::allocate(std::size_t bytes, StreamHandle stream) {
  if (bytes == 0) return nullptr;
  const std::size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  // Best fit no larger than twice the request; a block of the same stream needs no wait.
  auto end = cached_.upper_bound(size * 2);
  auto pick = cached_.end();
  for (auto it = cached_.lower_bound(size); it != end; ++it) {
    if (pick == cached_.end()) pick = it;
    if (it->second.stream == stream) {
      pick = it;
      break;
    }
  }
  if (pick != cached_.end()) {
    Block b = pick->second;
    cached_.erase(pick);
    if (b.stream != stream) {
      // Work on `stream` must not touch the block before the old stream's last use has finished.
      check(cudaStreamWaitEvent(as_stream(stream), static_cast<cudaEvent_t>(b.freed_event), 0),
            "cudaStreamWaitEvent (allocator)");
    }
    b.stream = stream;
    stats_.cached_bytes -= b.size;
    stats_.in_use_bytes += b.size;
    ++stats_.cache_hits;
    in_use_[b.ptr] = b;
    return b.ptr;
  }
  Block b;
  b.size = size;
  b.stream = stream;
  cudaError_t err = cudaMalloc(&b.ptr, size);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    check(cudaDeviceSynchronize(), "cudaDeviceSynchronize (allocator)");
    for (auto& [s, c] : cached_) free_block(c);
    cached_.clear();
    stats_.cached_bytes = 0;
    err = cudaMalloc(&b.ptr, size);
  }
  if (err != cudaSuccess) {
    cudaGetLastError();
    fail(ErrorCode::Runtime, cat("CUDA: out of device memory allocating ", bytes, " bytes (", stats_.in_use_bytes,
                                 " bytes in use): use a smaller batch or free other device memory"));
  }
  cudaEvent_t ev = nullptr;
  check(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming), "cudaEventCreateWithFlags");
  b.freed_event = ev;
  ++stats_.device_allocations;
  stats_.in_use_bytes += size;
  in_use_[b.ptr] = b;
  return b.ptr;
}

void CachingAllocator::deallocate(void* ptr, StreamHandle stream) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = in_use_.find(ptr);
  if (it == in_use_.end())
    fail(ErrorCode::InvalidArgument, "CUDA allocator: deallocate of a pointer it did not allocate (double free?)");
  Block b = it->second;
  in_use_.erase(it);
  b.stream = stream;
  check(cudaEventRecord(static_cast<cudaEvent_t>(b.freed_event), as_stream(stream)), "cudaEventRecord (allocator)");
  stats_.in_use_bytes -= b.size;
  stats_.cached_bytes += b.size;
  cached_.emplace(b.size, b);
}

void CachingAllocator::release_cached() {
  std::lock_guard<std::mutex> lock(mutex_);
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize (allocator)");
  for (auto& [s, b] : cached_) free_block(b);
  cached_.clear();
  stats_.cached_bytes = 0;
}

CachingAllocator::Stats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

CachingAllocator& default_allocator() {
  // Never destroyed: the CUDA runtime may already be torn down when static destructors run.
  static CachingAllocator* alloc = new CachingAllocator();
  return *alloc;
}

// ---- buffers and copies --------------------------------------------------------------------------

DeviceBuffer::DeviceBuffer(std::size_t bytes, StreamHandle stream, CachingAllocator& alloc)
    : ptr_(alloc.allocate(bytes, stream)), bytes_(bytes), stream_(stream), alloc_(&alloc) {}

DeviceBuffer::~DeviceBuffer() { reset(); }

DeviceBuffer::DeviceBuffer(DeviceBuffer&& o) noexcept
    : ptr_(std::exchange(o.ptr_, nullptr)),
      bytes_(std::exchange(o.bytes_, 0)),
      stream_(o.stream_),
      alloc_(o.alloc_) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    ptr_ = std::exchange(o.ptr_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
    stream_ = o.stream_;
    alloc_ = o.alloc_;
  }
  return *this;
}

void DeviceBuffer::reset() noexcept {
  if (ptr_ && alloc_) {
    try {
      alloc_->deallocate(ptr_, stream_);
    } catch (...) {
      // A destructor cannot report; the block stays allocated rather than being reused unsafely.
    }
  }
  ptr_ = nullptr;
  bytes_ = 0;
}

void copy_to_device(void* dst, const void* src, std::size_t bytes, StreamHandle stream) {
  if (bytes) check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, as_stream(stream)), "cudaMemcpyAsync H2D");
}
void copy_to_host(void* dst, const void* src, std::size_t bytes, StreamHandle stream) {
  if (bytes) check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, as_stream(stream)), "cudaMemcpyAsync D2H");
}
void copy_on_device(void* dst, const void* src, std::size_t bytes, StreamHandle stream) {
  if (bytes) check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, as_stream(stream)), "cudaMemcpyAsync D2D");
}
void fill_zero(void* dst, std::size_t bytes, StreamHandle stream) {
  if (bytes) check(cudaMemsetAsync(dst, 0, bytes, as_stream(stream)), "cudaMemsetAsync");
}

void check_launch(const char* kernel) {
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) detail::throw_cuda_error(err, kernel);
}

}  // namespace onnxi::cuda
