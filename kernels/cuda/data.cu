// Data movement: transpose, concat, slice, gather. Elements are moved as 1/2/4/8-byte words, so one
// instantiation per width serves every dtype.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/kernels.h"

namespace onnxi::cuda {
namespace {

using namespace detail;

// out index -> in offset: in_strides[d] is the input stride of output dim d.
struct StridedMap {
  int rank = 0;
  std::int64_t out[kMaxDims] = {};
  std::int64_t in_strides[kMaxDims] = {};
  std::int64_t base = 0;
};

__device__ __forceinline__ std::int64_t map_offset(const StridedMap& m, std::int64_t e) {
  std::int64_t off = m.base;
  for (int d = m.rank - 1; d >= 0; --d) {
    off += (e % m.out[d]) * m.in_strides[d];
    e /= m.out[d];
  }
  return off;
}

template <class W>
__global__ void strided_copy_kernel(StridedMap m, const W* __restrict__ x, W* __restrict__ y, std::int64_t n) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    y[e] = x[map_offset(m, e)];
}

template <class W>
__global__ void concat_piece_kernel(const W* __restrict__ x, std::int64_t outer, std::int64_t piece,
                                    std::int64_t row, std::int64_t offset, W* __restrict__ y) {
  const std::int64_t n = outer * piece;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    y[(e / piece) * row + offset + e % piece] = x[e];
}

template <class W>
__global__ void gather_kernel(const W* __restrict__ x, const std::int64_t* __restrict__ indices, std::int64_t count,
                              std::int64_t outer, std::int64_t axis_dim, std::int64_t inner, W* __restrict__ y,
                              int* bad_index) {
  const std::int64_t n = outer * count * inner;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = e % inner, t = (e / inner) % count, o = e / (inner * count);
    std::int64_t idx = indices[t];
    if (idx < 0) idx += axis_dim;
    if (idx < 0 || idx >= axis_dim) {
      y[e] = W(0);
      if (bad_index) *bad_index = 1;
    } else {
      y[e] = x[(o * axis_dim + idx) * inner + i];
    }
  }
}

int check_elem(const char* kernel, int elem_size) {
  require(elem_size == 1 || elem_size == 2 || elem_size == 4 || elem_size == 8, kernel,
          "element size must be 1, 2, 4 or 8 bytes");
  return elem_size;
}

template <template <class> class Launch, class... Args>
void by_width(int elem_size, Args&&... args) {
  switch (elem_size) {
    case 1: Launch<std::uint8_t>::run(args...); break;
    case 2: Launch<std::uint16_t>::run(args...); break;
    case 4: Launch<std::uint32_t>::run(args...); break;
    default: Launch<std::uint64_t>::run(args...); break;
  }
}

template <class W>
struct StridedLaunch {
  static void run(const StridedMap& m, const void* x, void* y, std::int64_t n, cudaStream_t s) {
    strided_copy_kernel<W><<<grid_for(n, 256), 256, 0, s>>>(m, static_cast<const W*>(x), static_cast<W*>(y), n);
  }
};
template <class W>
struct ConcatLaunch {
  static void run(const void* x, std::int64_t outer, std::int64_t piece, std::int64_t row, std::int64_t offset,
                  void* y, cudaStream_t s) {
    concat_piece_kernel<W><<<grid_for(outer * piece, 256), 256, 0, s>>>(static_cast<const W*>(x), outer, piece, row,
                                                                       offset, static_cast<W*>(y));
  }
};
template <class W>
struct GatherLaunch {
  static void run(const void* x, const std::int64_t* indices, std::int64_t count, std::int64_t outer,
                  std::int64_t axis_dim, std::int64_t inner, void* y, int* bad, cudaStream_t s) {
    gather_kernel<W><<<grid_for(outer * count * inner, 256), 256, 0, s>>>(static_cast<const W*>(x), indices, count,
                                                                         outer, axis_dim, inner, static_cast<W*>(y),
                                                                         bad);
  }
};

}  // namespace

void transpose(const void* x, void* y, int elem_size, const std::int64_t* shape, const int* perm, int rank,
               StreamHandle stream) {
  check_elem("transpose", elem_size);
  require(rank >= 0 && rank <= kMaxDims, "transpose", "rank must be in [0, 8]");
  std::int64_t strides[kMaxDims] = {};
  std::int64_t n = 1;
  for (int d = rank - 1; d >= 0; --d) {
    require(shape[d] >= 0, "transpose", "dims must be >= 0");
    strides[d] = n;
    n *= shape[d];
  }
  StridedMap m;
  m.rank = rank;
  bool seen[kMaxDims] = {};
  for (int d = 0; d < rank; ++d) {
    require(perm[d] >= 0 && perm[d] < rank && !seen[perm[d]], "transpose", "perm must be a permutation of 0..rank-1");
    seen[perm[d]] = true;
    m.out[d] = shape[perm[d]];
    m.in_strides[d] = strides[perm[d]];
  }
  if (n == 0) return;
  require(x && y, "transpose", "null operand");
  by_width<StridedLaunch>(elem_size, m, x, y, n, as_stream(stream));
  check_launch("transpose");
}

void concat(const void* const* inputs, const std::int64_t* dims, int count, std::int64_t outer, std::int64_t inner,
            void* y, int elem_size, StreamHandle stream) {
  check_elem("concat", elem_size);
  require(count >= 1 && outer >= 0 && inner >= 0, "concat", "count >= 1, outer and inner >= 0");
  std::int64_t total = 0;
  for (int i = 0; i < count; ++i) {
    require(dims[i] >= 0, "concat", "input dims along the axis must be >= 0");
    total += dims[i];
  }
  const std::int64_t row = total * inner;
  std::int64_t offset = 0;
  for (int i = 0; i < count; ++i) {
    const std::int64_t piece = dims[i] * inner;
    if (piece > 0 && outer > 0) {
      require(inputs[i] && y, "concat", "null operand");
      by_width<ConcatLaunch>(elem_size, inputs[i], outer, piece, row, offset, y, as_stream(stream));
    }
    offset += piece;
  }
  check_launch("concat");
}

void slice(const void* x, void* y, int elem_size, const std::int64_t* x_shape, const std::int64_t* starts,
           const std::int64_t* steps, const std::int64_t* y_shape, int rank, StreamHandle stream) {
  check_elem("slice", elem_size);
  require(rank >= 0 && rank <= kMaxDims, "slice", "rank must be in [0, 8]");
  StridedMap m;
  m.rank = rank;
  std::int64_t stride = 1, n = 1;
  for (int d = rank - 1; d >= 0; --d) {
    require(y_shape[d] >= 0 && steps[d] != 0, "slice", "output dims must be >= 0 and steps non-zero");
    if (y_shape[d] > 0) {
      const std::int64_t last = starts[d] + (y_shape[d] - 1) * steps[d];
      require(starts[d] >= 0 && starts[d] < x_shape[d] && last >= 0 && last < x_shape[d], "slice",
              "start or end outside the input (clamp starts/ends first)");
    }
    m.out[d] = y_shape[d];
    m.in_strides[d] = steps[d] * stride;
    m.base += starts[d] * stride;
    stride *= x_shape[d];
    n *= y_shape[d];
  }
  if (n == 0) return;
  require(x && y, "slice", "null operand");
  by_width<StridedLaunch>(elem_size, m, x, y, n, as_stream(stream));
  check_launch("slice");
}

void gather(const void* x, const std::int64_t* indices, std::int64_t count, std::int64_t outer,
            std::int64_t axis_dim, std::int64_t inner, void* y, int elem_size, int* bad_index, StreamHandle stream) {
  check_elem("gather", elem_size);
  require(count >= 0 && outer >= 0 && axis_dim >= 0 && inner >= 0, "gather", "sizes must be >= 0");
  if (count * outer * inner == 0) return;
  require(x && indices && y, "gather", "null operand");
  by_width<GatherLaunch>(elem_size, x, indices, count, outer, axis_dim, inner, y, bad_index, as_stream(stream));
  check_launch("gather");
}

}  // namespace onnxi::cuda
