#include "onnxi/tensor.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "onnxi/error.h"
#include "onnxi/float_types.h"

namespace onnxi {

int64_t shape_numel(const Shape& shape, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    ONNXI_CHECK(d >= 0, ErrorCode::InvalidModel, what, " has a negative dimension in shape ", shape_str(shape));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) {
      fail(ErrorCode::InvalidModel, cat(what, " shape ", shape_str(shape), " has more elements than fit in int64"));
    }
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

namespace {

// Large tensor buffers are kept for reuse once freed. Without this every run of a model maps its
// big intermediates afresh (glibc serves them with mmap), and the page faults and zeroing of the
// kernel cost more than the arithmetic of the elementwise ops that write them. Buffers of at least
// kPooledMin bytes are rounded up to one of 8 sizes per power of two (at most 12.5% more) and
// cached per size, up to ONNXI_BUFFER_CACHE_MB in all (default 1024; 0 turns the cache off).
class BufferPool {
 public:
  static constexpr size_t kPooledMin = size_t{64} << 10;

  static BufferPool& instance() {
    static BufferPool* pool = new BufferPool();  // never destroyed: buffers may be freed at exit
    return *pool;
  }

  static size_t size_class(size_t n) {
    size_t octave = size_t{1} << (63 - __builtin_clzll(n));
    const size_t step = octave / 8;
    return (n + step - 1) / step * step;
  }

  void* take(size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(bytes);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= bytes;
        return p;
      }
    }
    return std::aligned_alloc(kTensorAlignment, bytes);
  }

  void trim() {
    std::unordered_map<size_t, std::vector<void*>> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      drop.swap(free_);
      cached_ = 0;
    }
    for (auto& [bytes, list] : drop) {
      for (void* p : list) std::free(p);
    }
  }

  void give(void* p, size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + bytes <= limit_) {
        free_[bytes].push_back(p);
        cached_ += bytes;
        return;
      }
    }
    std::free(p);
  }

 private:
  BufferPool() {
    const char* env = std::getenv("ONNXI_BUFFER_CACHE_MB");
    limit_ = (env && *env ? static_cast<size_t>(std::strtoull(env, nullptr, 10)) : size_t{1024}) << 20;
  }
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
  size_t limit_ = 0;
};

thread_local AllocationHook* t_hook = nullptr;

// The hook's buffer for a new tensor of `nbytes`, or null.
void* hooked_buffer(size_t nbytes, std::shared_ptr<const void>& owner) {
  return t_hook != nullptr && nbytes > 0 ? t_hook->take(nbytes, owner) : nullptr;
}

std::atomic<size_t> g_live_bytes{0};
std::atomic<size_t> g_peak_bytes{0};

void count_allocation(size_t bytes) noexcept {
  const size_t now = g_live_bytes.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  size_t peak = g_peak_bytes.load(std::memory_order_relaxed);
  while (now > peak && !g_peak_bytes.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

std::shared_ptr<void> allocate_aligned(size_t nbytes, bool zero = true) {
  size_t rounded = (nbytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  if (rounded == 0) rounded = kTensorAlignment;
  if (rounded >= BufferPool::kPooledMin) {
    const size_t bytes = BufferPool::size_class(rounded);
    void* p = BufferPool::instance().take(bytes);
    if (!p) fail(ErrorCode::Runtime, cat("out of memory allocating ", nbytes, " bytes"));
    if (zero) std::memset(p, 0, rounded);
    count_allocation(bytes);
    return std::shared_ptr<void>(p, [bytes](void* q) {
      g_live_bytes.fetch_sub(bytes, std::memory_order_relaxed);
      BufferPool::instance().give(q, bytes);
    });
  }
  void* p = std::aligned_alloc(kTensorAlignment, rounded);
  if (!p) fail(ErrorCode::Runtime, cat("out of memory allocating ", nbytes, " bytes"));
  if (zero) std::memset(p, 0, rounded);
  count_allocation(rounded);
  return std::shared_ptr<void>(p, [rounded](void* q) {
    g_live_bytes.fetch_sub(rounded, std::memory_order_relaxed);
    std::free(q);
  });
}

// Guards against shapes whose byte size cannot be allocated (a corrupt model asking for exabytes).
constexpr size_t kMaxTensorBytes = size_t{1} << 40;

}  // namespace

ScopedAllocationHook::ScopedAllocationHook(AllocationHook* hook) noexcept : previous_(t_hook) { t_hook = hook; }
ScopedAllocationHook::~ScopedAllocationHook() { t_hook = previous_; }

void trim_tensor_buffer_cache() noexcept { BufferPool::instance().trim(); }

TensorMemoryStats tensor_memory_stats() noexcept {
  return {g_live_bytes.load(std::memory_order_relaxed), g_peak_bytes.load(std::memory_order_relaxed)};
}

void reset_tensor_memory_peak() noexcept {
  g_peak_bytes.store(g_live_bytes.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

void note_tensor_memory(size_t bytes, bool allocated) noexcept {
  if (allocated) {
    count_allocation(bytes);
  } else {
    g_live_bytes.fetch_sub(bytes, std::memory_order_relaxed);
  }
}

Tensor::Tensor(DataType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  ONNXI_CHECK(dtype != DataType::Undefined, ErrorCode::InvalidArgument, "cannot create a tensor of undefined type");
  numel_ = shape_numel(shape_);
  if (dtype == DataType::String) {
    auto strings = std::make_shared<std::vector<std::string>>(static_cast<size_t>(numel_));
    data_ = strings->data();
    owner_ = std::move(strings);
    nbytes_ = 0;
    return;
  }
  nbytes_ = storage_bytes(dtype, numel_);
  ONNXI_CHECK(nbytes_ <= kMaxTensorBytes, ErrorCode::Runtime, "tensor ", dtype_name(dtype), shape_str(shape_),
              " needs ", nbytes_, " bytes, more than onnxi allocates for one tensor");
  if (void* p = hooked_buffer(nbytes_, owner_)) {
    std::memset(p, 0, nbytes_);
    data_ = p;
    return;
  }
  auto buf = allocate_aligned(nbytes_);
  data_ = buf.get();
  owner_ = std::move(buf);
}

Tensor Tensor::uninitialized(DataType dtype, Shape shape) {
  if (dtype == DataType::String || dtype == DataType::Undefined) return Tensor(dtype, std::move(shape));
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.numel_ = shape_numel(t.shape_);
  t.nbytes_ = storage_bytes(dtype, t.numel_);
  ONNXI_CHECK(t.nbytes_ <= kMaxTensorBytes, ErrorCode::Runtime, "tensor ", dtype_name(dtype), shape_str(t.shape_),
              " needs ", t.nbytes_, " bytes, more than onnxi allocates for one tensor");
  if (void* p = hooked_buffer(t.nbytes_, t.owner_)) {
    t.data_ = p;
    return t;
  }
  auto buf = allocate_aligned(t.nbytes_, /*zero=*/false);
  t.data_ = buf.get();
  t.owner_ = std::move(buf);
  return t;
}

Tensor Tensor::wrap(DataType dtype, Shape shape, std::shared_ptr<const void> owner, const void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.numel_ = shape_numel(t.shape_);
  t.nbytes_ = storage_bytes(dtype, t.numel_);
  t.owner_ = std::move(owner);
  t.data_ = const_cast<void*>(data);  // wrapped data is only written by code that owns it
  return t;
}

Tensor Tensor::shape_only() const {
  Tensor t = *this;
  t.owner_.reset();
  return t;
}

Tensor Tensor::scalar_f32(float v) {
  Tensor t(DataType::Float, {});
  *t.data<float>() = v;
  return t;
}

Tensor Tensor::scalar_i64(int64_t v) {
  Tensor t(DataType::Int64, {});
  *t.data<int64_t>() = v;
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  ONNXI_CHECK(shape_numel(shape) == numel_, ErrorCode::Runtime, "cannot view ", describe(), " as shape ",
              shape_str(shape), ": element counts differ");
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  if (!defined()) return {};
  Tensor t(dtype_, shape_);
  if (dtype_ == DataType::String) {
    for (int64_t i = 0; i < numel_; ++i) t.data<std::string>()[i] = data<std::string>()[i];
  } else if (nbytes_) {
    std::memcpy(t.data_, data_, nbytes_);
  }
  return t;
}

std::string Tensor::describe() const {
  if (!defined()) return "undefined";
  return std::string(dtype_name(dtype_)) + shape_str(shape_);
}

double Tensor::element_as_double(int64_t i) const {
  ONNXI_CHECK(i >= 0 && i < numel_, ErrorCode::Runtime, "element ", i, " out of range for ", describe());
  switch (dtype_) {
    case DataType::Float: return data<float>()[i];
    case DataType::Double: return data<double>()[i];
    case DataType::Int8: return data<int8_t>()[i];
    case DataType::Int16: return data<int16_t>()[i];
    case DataType::Int32: return data<int32_t>()[i];
    case DataType::Int64: return static_cast<double>(data<int64_t>()[i]);
    case DataType::UInt8: return data<uint8_t>()[i];
    case DataType::UInt16: return data<uint16_t>()[i];
    case DataType::UInt32: return data<uint32_t>()[i];
    case DataType::UInt64: return static_cast<double>(data<uint64_t>()[i]);
    case DataType::Bool: return data<uint8_t>()[i] ? 1.0 : 0.0;
    case DataType::String: fail(ErrorCode::Runtime, "a string tensor has no numeric value");
    default: {
      double v = 0;
      if (is_packed(dtype_)) {
        // Packed element i: convert just that element through a one-element buffer.
        uint8_t one = packed_get(static_cast<const uint8_t*>(data_), i, element_bits(dtype_));
        convert_to_f64(dtype_, &one, &v, 1);
      } else {
        size_t width = static_cast<size_t>(element_bits(dtype_) / 8);
        convert_to_f64(dtype_, static_cast<const uint8_t*>(data_) + width * static_cast<size_t>(i), &v, 1);
      }
      return v;
    }
  }
}

std::vector<int64_t> Tensor::to_int64_vector() const {
  std::vector<int64_t> out(static_cast<size_t>(numel_));
  switch (dtype_) {
    case DataType::Int64: std::memcpy(out.data(), data_, nbytes_); break;
    case DataType::Int32: for (int64_t i = 0; i < numel_; ++i) out[i] = data<int32_t>()[i]; break;
    case DataType::UInt64: for (int64_t i = 0; i < numel_; ++i) out[i] = static_cast<int64_t>(data<uint64_t>()[i]); break;
    default:
      ONNXI_CHECK(is_integer(dtype_) || dtype_ == DataType::Bool, ErrorCode::Runtime,
                  "expected an integer tensor, got ", describe());
      for (int64_t i = 0; i < numel_; ++i) out[i] = static_cast<int64_t>(element_as_double(i));
  }
  return out;
}

std::vector<float> Tensor::to_float_vector() const {
  std::vector<float> out(static_cast<size_t>(numel_));
  if (dtype_ == DataType::Float) {
    std::memcpy(out.data(), data_, nbytes_);
  } else {
    for (int64_t i = 0; i < numel_; ++i) out[i] = static_cast<float>(element_as_double(i));
  }
  return out;
}

}  // namespace onnxi
