// Tensor: an element type, a shape and a 64-byte aligned buffer shared between copies (copying a
// Tensor is cheap and aliases the data; clone() copies it). Sub-byte types are stored packed, low
// bits first, as ONNX stores them. String tensors hold std::string elements.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "onnxi/dtype.h"

namespace onnxi {

using Shape = std::vector<int64_t>;

inline constexpr size_t kTensorAlignment = 64;

// Product of dims with overflow and negative-dim checks; `what` names the tensor for the error.
int64_t shape_numel(const Shape& shape, const std::string& what = "tensor");
std::string shape_str(const Shape& shape);  // "[2,3,4]"

class Tensor {
 public:
  Tensor() = default;  // undefined: dtype() == Undefined
  // Allocates a zero-filled buffer (strings: empty strings).
  Tensor(DataType dtype, Shape shape);  // zero-filled
  // Contents unspecified (string tensors are still empty strings): for code that writes every
  // element, which saves a pass over memory for large outputs.
  static Tensor uninitialized(DataType dtype, Shape shape);
  // Wraps memory owned by `owner` (an mmap'd external-data file, say) without copying.
  static Tensor wrap(DataType dtype, Shape shape, std::shared_ptr<const void> owner, const void* data);
  static Tensor scalar_f32(float v);
  static Tensor scalar_i64(int64_t v);
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, Shape shape);

  bool defined() const noexcept { return dtype_ != DataType::Undefined; }
  DataType dtype() const noexcept { return dtype_; }
  const Shape& shape() const noexcept { return shape_; }
  int64_t rank() const noexcept { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t axis) const { return shape_.at(static_cast<size_t>(axis)); }
  int64_t numel() const noexcept { return numel_; }
  size_t nbytes() const noexcept { return nbytes_; }

  void* raw() noexcept { return data_; }
  const void* raw() const noexcept { return data_; }
  template <class T>
  T* data() noexcept { return static_cast<T*>(data_); }
  template <class T>
  const T* data() const noexcept { return static_cast<const T*>(data_); }

  // Same buffer, another shape with the same element count.
  Tensor reshaped(Shape shape) const;
  // Deep copy into a fresh aligned buffer.
  Tensor clone() const;
  // "float32[2,3]"
  std::string describe() const;
  // Element i converted to double (for summaries, tests and index inputs); strings throw.
  double element_as_double(int64_t i) const;
  // Reads an integer tensor (int32/int64/...) into int64 values: shape, axes, pads inputs.
  std::vector<int64_t> to_int64_vector() const;
  std::vector<float> to_float_vector() const;

  // How many Tensors share this buffer (0 for an undefined tensor or a shape-only stub): the
  // executor writes an elementwise op's output over its input only when the input's slot is the
  // buffer's one holder.
  long buffer_use_count() const noexcept { return owner_.use_count(); }
  // Same dtype, shape and data address, but holding no buffer: for an input a kernel packed at
  // creation and declared consumed (KernelInit::consumed). The address is an identity only; the
  // elements must never be read (the buffer may be gone).
  Tensor shape_only() const;
  bool holds_buffer() const noexcept { return owner_ != nullptr; }

 private:
  DataType dtype_ = DataType::Undefined;
  Shape shape_;
  int64_t numel_ = 0;
  size_t nbytes_ = 0;
  std::shared_ptr<const void> owner_;
  void* data_ = nullptr;
};

// Lets the executor place the buffers a kernel allocates while it runs one node into that run's
// memory plan, whichever way the kernel allocates them (allocate_output or a plain Tensor).
class AllocationHook {
 public:
  virtual ~AllocationHook() = default;
  // A buffer for `bytes` (non-zero, not strings) or null for the ordinary allocator; `owner`
  // receives what keeps the buffer alive.
  virtual void* take(size_t bytes, std::shared_ptr<const void>& owner) = 0;
};
// Installs `hook` for allocations on this thread while it lives; the previous one comes back after.
class ScopedAllocationHook {
 public:
  explicit ScopedAllocationHook(AllocationHook* hook) noexcept;
  ~ScopedAllocationHook();
  ScopedAllocationHook(const ScopedAllocationHook&) = delete;
  ScopedAllocationHook& operator=(const ScopedAllocationHook&) = delete;

 private:
  AllocationHook* previous_;
};

// Frees the large buffers the tensor buffer cache keeps for reuse (after a session dropped its
// packed weights, say, so that memory goes back to the system).
void trim_tensor_buffer_cache() noexcept;

// Bytes held by tensor buffers that onnxi allocated (not wrapped ones), now and at most since the
// last reset: what the memory planner's figures are compared against.
struct TensorMemoryStats {
  size_t live_bytes = 0;
  size_t peak_bytes = 0;
};
TensorMemoryStats tensor_memory_stats() noexcept;
void reset_tensor_memory_peak() noexcept;  // peak := live
// Executor arenas report their blocks here so the peak covers both.
void note_tensor_memory(size_t bytes, bool allocated) noexcept;

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, Shape shape) {
  Tensor t(dtype_of<T>::value, std::move(shape));
  T* out = t.data<T>();
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.numel(); ++i) out[i] = values[i];
  return t;
}

}  // namespace onnxi
