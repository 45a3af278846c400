// Blocked GEMM driver. B is packed into column panels nr wide, A into row panels mr tall (alpha
// folded in), both k-major, and a register-tiled micro-kernel (kernels/cpu/gemm_ukernel.h)
// multiplies one A panel by one B panel. Float uses the micro-kernel of the active ISA (AVX-512
// 8x48, AVX2 6x16, or the portable 4x8 below); double always uses the portable one. A is packed
// once per call (or ahead, for convolution weights), or read in place by micro-kernels that can
// (row-major A, alpha 1); work is split into column chunks of C for
// parallel_for (gemm_b_stationary), each task owning its chunk; B is packed ahead (constant
// weights), all at once (many rows), or per chunk and depth block (few rows); problems too small
// to pay for threads run on the caller's. Each finished strip of C (mr rows of a column chunk)
// gets the epilogue (bias, activation, residual) while it is in cache.
//
// The portable micro-kernel is the reference the SIMD ones are tested against.
#include "kernels/cpu/gemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/gemm_ukernel.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

constexpr int64_t kKc = 256;  // depth of one packed block
constexpr int64_t kMcTarget = 120;  // rows per block of packed A: a multiple of 4, 6, 8 and 12
constexpr int64_t kNc = 256;  // most columns per task, rounded down to a multiple of nr (240 for 48)
constexpr double kSerialFlops = 2.0e5;  // below this, threads cost more than they save

// Set while a thread runs whole products of sgemm_batch: the batch is what runs in parallel, so
// each product's own loops run inline instead of forking tiny tasks.
thread_local bool t_inline_products = false;

void gemm_parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (t_inline_products) {
    if (begin < end) fn(begin, end);
    return;
  }
  parallel_for(begin, end, grain, fn);
}

template <class T>
struct Operand {
  const T* data;
  int64_t ld;
  bool trans;
  // Element (row, col) of op(X).
  T at(int64_t row, int64_t col) const { return trans ? data[col * ld + row] : data[row * ld + col]; }
};

// Packs all of op(B) (K x N): for each depth block, panels of nr columns, each k-major and padded
// with zeros to nr. Block `pc` starts at pc * n_padded.
template <class T>
void pack_b(const Operand<T>& b, int64_t K, int64_t N, int64_t nr, int64_t n_padded, T* out) {
  const int64_t full_panels = N / nr;
  if (!b.trans && full_panels > 0) {
    // Row by row, so the reads stream along B's rows (the prefetchers follow them); walking a
    // panel's column of rows instead strides through B and ran at a third of the speed.
    const int64_t grain = std::max<int64_t>(1, 16384 / (full_panels * nr));
    gemm_parallel_for(0, K, grain, [&](int64_t k_begin, int64_t k_end) {
      for (int64_t kk = k_begin; kk < k_end; ++kk) {
        const int64_t pc = kk / kKc * kKc, kc = std::min(kKc, K - pc), k = kk - pc;
        T* block = out + pc * n_padded;
        const T* src = b.data + kk * b.ld;
        for (int64_t p = 0; p < full_panels; ++p) {
          std::memcpy(block + p * nr * kc + k * nr, src + p * nr, static_cast<size_t>(nr) * sizeof(T));
        }
      }
    });
  }
  for (int64_t pc = 0; pc < K; pc += kKc) {
    const int64_t kc = std::min(kKc, K - pc);
    T* block = out + pc * n_padded;
    for (int64_t jp = b.trans ? 0 : full_panels * nr; jp < n_padded; jp += nr) {
      T* panel = block + jp * kc;
      const int64_t cols = std::min(nr, N - jp);
      if (!b.trans) {
        for (int64_t k = 0; k < kc; ++k) {
          const T* src = b.data + (pc + k) * b.ld + jp;
          T* dst = panel + k * nr;
          for (int64_t j = 0; j < cols; ++j) dst[j] = src[j];
          for (int64_t j = cols; j < nr; ++j) dst[j] = T(0);
        }
      } else {
        for (int64_t j = 0; j < nr; ++j) {
          if (j < cols) {
            const T* src = b.data + (jp + j) * b.ld + pc;
            for (int64_t k = 0; k < kc; ++k) panel[k * nr + j] = src[k];
          } else {
            for (int64_t k = 0; k < kc; ++k) panel[k * nr + j] = T(0);
          }
        }
      }
    }
  }
}

// Packs rows [i0, i0+mc) x depth [pc, pc+kc) of alpha*op(A) into panels of mr rows, k-major.
template <class T>
void pack_a(const Operand<T>& a, int64_t i0, int64_t mc, int64_t pc, int64_t kc, T alpha, int64_t mr, T* out) {
  for (int64_t ip = 0; ip < mc; ip += mr) {
    T* panel = out + ip * kc;
    const int64_t rows = std::min(mr, mc - ip);
    if (!a.trans) {
      for (int64_t i = 0; i < rows; ++i) {
        const T* src = a.data + (i0 + ip + i) * a.ld + pc;
        for (int64_t k = 0; k < kc; ++k) panel[k * mr + i] = alpha * src[k];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = a.data + (pc + k) * a.ld + i0 + ip;
        for (int64_t i = 0; i < rows; ++i) panel[k * mr + i] = alpha * src[i];
      }
    }
    for (int64_t i = rows; i < mr; ++i) {
      for (int64_t k = 0; k < kc; ++k) panel[k * mr + i] = T(0);
    }
  }
}

// The portable micro-kernel: 4 x 8, written so compilers vectorize it at any ISA level.
template <class T>
void micro_tile(int64_t kc, const T* ap, const T* bp, T* c, int64_t ldc, int64_t rows, int64_t cols, bool accumulate) {
  constexpr int64_t kMr = 4, kNr = 8;
  T acc[kMr][kNr] = {};
  for (int64_t k = 0; k < kc; ++k) {
    const T* b = bp + k * kNr;
    const T* a = ap + k * kMr;
    for (int64_t i = 0; i < kMr; ++i) {
      const T ai = a[i];
      for (int64_t j = 0; j < kNr; ++j) acc[i][j] += ai * b[j];
    }
  }
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
  }
}

template <class T>
void scale_c(T beta, int64_t rows, int64_t cols, T* c, int64_t ldc) {
  if (beta == T(1)) return;
  for (int64_t i = 0; i < rows; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      std::fill(row, row + cols, T(0));
    } else {
      for (int64_t j = 0; j < cols; ++j) row[j] *= beta;
    }
  }
}

// A grow-only scratch buffer per thread and element type: packing buffers are reused across calls,
// so a GEMM does not pay for fresh pages (page faults and zeroing) every time.
template <class T, int kSlot>
T* scratch(size_t n) {
  thread_local std::vector<T, CacheAlignedAllocator<T>> buf;
  if (buf.size() < n) {
    buf.clear();
    buf.shrink_to_fit();
    buf.resize(n);
  }
  return buf.data();
}

// A buffer the calling thread holds while its tasks read it from other threads (packed operands
// shared by all tasks of one GEMM). A thread waiting in parallel_for may run another op's task that
// calls GEMM again (nested parallelism); that inner call finds the slot leased and allocates its own.
template <class T, int kSlot>
class ScratchLease {
 public:
  explicit ScratchLease(size_t n) : was_busy_(busy()) {
    if (was_busy_) {
      own_.resize(n);
      data_ = own_.data();
    } else {
      busy() = true;
      data_ = scratch<T, kSlot>(n);
    }
  }
  ~ScratchLease() {
    if (!was_busy_) busy() = false;
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  T* get() const { return data_; }

 private:
  static bool& busy() {
    thread_local bool flag = false;
    return flag;
  }
  bool was_busy_;
  std::vector<T, CacheAlignedAllocator<T>> own_;
  T* data_ = nullptr;
};

template <class T>
using TileFn = void (*)(int64_t, const T*, const T*, T*, int64_t, int64_t, int64_t, bool);

// Runs one tile, with the one-row kernel when there is one and the tile has a single row.
template <class T>
inline void run_tile(TileFn<T> tile, SgemmRowFn row, int64_t kc, const T* ap, int64_t mr, const T* bp, T* c,
                     int64_t ldc, int64_t rows, int64_t cols, bool accumulate) {
  if constexpr (std::is_same_v<T, float>) {
    if (rows == 1 && row != nullptr) {
      row(kc, ap, mr, bp, c, cols, accumulate);
      return;
    }
  }
  tile(kc, ap, bp, c, ldc, rows, cols, accumulate);
}

// What a driver applies to each finished strip of C: the epilogue and the function that runs it (float
// only; double callers pass none).
struct TileEpilogue {
  const SgemmEpilogue* e = nullptr;
  SgemmEpilogueFn fn = nullptr;
  void operator()(int64_t i0, int64_t j0, int64_t rows, int64_t cols, float* c, int64_t ldc) const {
    fn(*e, i0, j0, rows, cols, c, ldc);
  }
  explicit operator bool() const { return e != nullptr; }
};

TileEpilogue tile_epilogue(const SgemmEpilogue* e, SgemmEpilogueFn fn) {
  if (e == nullptr || e->trivial()) return {};
  return {e, fn != nullptr ? fn : sgemm_epilogue_ref};
}

// Rows per block: M split into equal blocks of at most about kMcTarget rows, rounded up to mr.
int64_t balanced_rows(int64_t M, int64_t mr) {
  const int64_t blocks = (M + kMcTarget - 1) / kMcTarget;
  const int64_t rows = (M + blocks - 1) / blocks;
  return std::max<int64_t>(mr, (rows + mr - 1) / mr * mr);
}

// Writes the kc x nc slice of B at depth pc and column j0 as nr-wide panels (panel p at p * nr * kc,
// k-major, columns past nc zero).
template <class T>
using PackSliceFn = std::function<void(int64_t pc, int64_t kc, int64_t j0, int64_t nc, T* out)>;

template <class T>
void pack_b_slice(const Operand<T>& b, int64_t pc, int64_t kc, int64_t j0, int64_t nc, int64_t nr, T* out) {
  const int64_t full = nc / nr;
  if (!b.trans) {
    for (int64_t k = 0; k < kc; ++k) {
      const T* src = b.data + (pc + k) * b.ld + j0;
      for (int64_t p = 0; p < full; ++p) std::memcpy(out + p * nr * kc + k * nr, src + p * nr, sizeof(T) * nr);
      if (full * nr < nc) {
        T* dst = out + full * nr * kc + k * nr;
        const int64_t cols = nc - full * nr;
        for (int64_t j = 0; j < cols; ++j) dst[j] = src[full * nr + j];
        for (int64_t j = cols; j < nr; ++j) dst[j] = T(0);
      }
    }
    return;
  }
  const int64_t panels = (nc + nr - 1) / nr;
  for (int64_t p = 0; p < panels; ++p) {
    T* panel = out + p * nr * kc;
    for (int64_t j = 0; j < nr; ++j) {
      const int64_t col = p * nr + j;
      if (col < nc) {
        const T* src = b.data + (j0 + col) * b.ld + pc;
        for (int64_t k = 0; k < kc; ++k) panel[k * nr + j] = src[k];
      } else {
        for (int64_t k = 0; k < kc; ++k) panel[k * nr + j] = T(0);
      }
    }
  }
}

// alpha*A (M x K) packed for gemm_b_stationary: for each depth block pc and row block i0 (of
// balanced_rows), mr-row panels at out + pc * m_padded + i0 * kc.
template <class T>
void pack_all_a(const Operand<T>& a, int64_t M, int64_t K, T alpha, int64_t mr, T* out) {
  const int64_t mc_max = balanced_rows(M, mr);
  const int64_t m_padded = (M + mr - 1) / mr * mr;
  const int64_t m_blocks = (M + mc_max - 1) / mc_max, k_blocks = (K + kKc - 1) / kKc;
  auto pack = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t pc = (t / m_blocks) * kKc, i0 = (t % m_blocks) * mc_max;
      const int64_t kc = std::min(kKc, K - pc);
      pack_a(a, i0, std::min(mc_max, M - i0), pc, kc, alpha, mr, out + pc * m_padded + i0 * kc);
    }
  };
  if (static_cast<double>(M) * static_cast<double>(K) < 65536.0) {
    pack(0, m_blocks * k_blocks);
  } else {
    gemm_parallel_for(0, m_blocks * k_blocks, 1, pack);
  }
}

// The column-chunk driver: each task owns a chunk of nc columns of C and, one depth block at a
// time, runs every row panel of A (packed once, shared by the tasks) against the kc x nc slice of
// B, which stays in L2 while the A panels stream through L1. B not packed ahead is packed slice
// by slice into the thread's buffer (so it is read from memory once and never written back
// packed); prepacked B (pack_b's layout, n_padded columns) is read in place. Splitting N, not M,
// keeps every thread busy when M is a few hundred rows (BERT's 128 tokens, a convolution's
// output channels), and A is packed once instead of once per chunk.
//
// Tasks get near-equal runs of whole nr-wide panels (chunk_count decides how many), so two threads
// finish together: 64 panels in chunks of at most 5 would leave one thread a 13th chunk.
template <class T>
void gemm_b_stationary(const Operand<T>& a, int64_t M, int64_t N, int64_t K, T alpha, T beta, T* C, int64_t ldc,
                       TileFn<T> tile, int64_t mr, int64_t nr, int64_t n_tasks, const PackSliceFn<T>& pack_slice,
                       SgemmRowFn row = nullptr, const T* prepacked_a = nullptr, TileEpilogue epilogue = {},
                       const T* prepacked_b = nullptr, SgemmUkernelDirectFn direct = nullptr) {
  const int64_t mc_max = balanced_rows(M, mr);
  const int64_t n_padded = (N + nr - 1) / nr * nr;
  const int64_t panels = n_padded / nr;
  n_tasks = std::clamp<int64_t>(n_tasks, 1, panels);
  const int64_t nc_padded = (panels + n_tasks - 1) / n_tasks * nr;
  // All of alpha*A packed once (pack_all_a), shared by the tasks: block (pc, i0) at pc * m_padded + i0 * kc.
  const int64_t m_padded = (M + mr - 1) / mr * mr;
  // One row (a GEMV) is read in place by the one-row kernel: packing it would spread it over
  // mr-strided panels that every thread then reads from the packing thread's cache.
  const bool direct_row = row != nullptr && M == 1 && alpha == T(1) && prepacked_a == nullptr;
  const int64_t a_step = a.trans ? a.ld : 1;  // between consecutive k of the one row
  // Row-major A read in place by the micro-kernel: no packing pass (and no fork and join for it).
  // Tall A with a 512 KiB L2 (Zen 3) is packed instead: 2048^3 at 1 / 2 threads 58.6 / 115 GFLOP/s
  // in place, 61 / 126 packed.
  bool direct_a = false;
  if constexpr (std::is_same_v<T, float>) {
    direct_a = direct != nullptr && !direct_row && !a.trans && alpha == T(1) && prepacked_a == nullptr &&
               (M <= 512 || l2_cache_bytes() >= (int64_t{1} << 20));
  }
  const bool pack_a_now = !prepacked_a && !direct_row && !direct_a;
  // Depth per block: kKc (the packed layouts of A and B are built on it), or twice that when
  // neither operand is packed ahead and C is too tall to stay in L2 between depth blocks: each
  // block reads and writes the chunk of C once more (2048^3: 180 -> 188 GFLOP/s at 2 threads on
  // Zen 4), and the doubled slice still takes at most half of a core's L2 (Zen 3's 512 KiB holds
  // 256 x 256 floats at most: 2048^3 at 1 thread ran at 41 GFLOP/s with 512-deep slices).
  const bool deep = !prepacked_b && !prepacked_a && !pack_a_now && M > 512 &&
                    nc_padded * 2 * kKc * int64_t{sizeof(T)} <= l2_cache_bytes() / 2;
  const int64_t kc_max = deep ? 2 * kKc : kKc;
  const ScratchLease<T, 3> a_lease(pack_a_now ? static_cast<size_t>(m_padded * K) : 0);
  const T* packed_a_all = prepacked_a ? prepacked_a : a_lease.get();
  if (pack_a_now) pack_all_a(a, M, K, alpha, mr, a_lease.get());
  // Few column chunks for the threads (an isolated 7x7 1x1 conv: 49 columns are panels of 16, 16,
  // 16 and 1, which 2 threads took as 32 and 17 columns' work) and many rows: each chunk is also
  // cut into row ranges of whole panels, tasks taking (chunk, range) pairs. A B slice packed per
  // chunk is then packed once per range (few columns: cheap).
  const int64_t threads = t_inline_products ? 1 : current_concurrency();
  int64_t row_tasks = 1;
  if (threads > 1 && panels < 4 * threads) {
    const int64_t most = std::max<int64_t>(1, m_padded / (4 * mr));  // ranges of 4 panels at least
    row_tasks = std::clamp<int64_t>((4 * threads + n_tasks - 1) / n_tasks, 1, most);
  }
  const int64_t m_panels = m_padded / mr;
  const int64_t tasks = n_tasks * row_tasks;
  auto run = [&](int64_t begin, int64_t end) {
    T* slice = prepacked_b ? nullptr : scratch<T, 2>(static_cast<size_t>(nc_padded * std::min(kc_max, K)));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t t = task % n_tasks, rt = task / n_tasks;
      const int64_t j0 = t * panels / n_tasks * nr;
      const int64_t nc = std::min((t + 1) * panels / n_tasks * nr, N) - j0;
      const int64_t r0 = rt * m_panels / row_tasks * mr, r1 = std::min((rt + 1) * m_panels / row_tasks * mr, M);
      if (r0 >= r1) continue;
      if (beta != T(0) && beta != T(1)) scale_c(beta, r1 - r0, nc, C + r0 * ldc + j0, ldc);
      for (int64_t pc = 0; pc < K; pc += kc_max) {
        const int64_t kc = std::min(kc_max, K - pc);
        const bool accumulate = pc > 0 || beta != T(0);
        const bool last = pc + kc >= K;
        const T* b_slice = slice;
        // The next slice of prepacked B this task reads (next depth block, else the next chunk's
        // first), prefetched by the direct micro-kernel while it computes this one: constant weights
        // are used once per run, so in a model every slice comes from memory.
        const float* next_b = nullptr;
        int64_t next_lines = 0;
        if (prepacked_b) {
          b_slice = prepacked_b + pc * n_padded + j0 * kc;
          int64_t npc = pc + kc, nj0 = j0, nnc = nc;
          if (npc >= K && task + 1 < end) {
            const int64_t nt = (task + 1) % n_tasks;
            npc = 0;
            nj0 = nt * panels / n_tasks * nr;
            nnc = std::min((nt + 1) * panels / n_tasks * nr, N) - nj0;
          }
          if constexpr (std::is_same_v<T, float>) {
            if (npc < K && direct_a) {
              const int64_t nkc = std::min(kc_max, K - npc);
              next_b = prepacked_b + npc * n_padded + nj0 * nkc;
              next_lines = (nnc + nr - 1) / nr * nr * nkc / 16;
            }
          }
        } else {
          pack_slice(pc, kc, j0, nc, slice);
        }
        for (int64_t i0 = r0; i0 < r1; i0 += mc_max) {
          const int64_t mc = std::min(mc_max, r1 - i0);
          const bool packed = !direct_row && !direct_a;
          const T* packed_a = packed ? packed_a_all + pc * m_padded + i0 * kc : nullptr;
          for (int64_t ip = 0; ip < mc; ip += mr) {
            const T* ap = direct_row ? a.data + pc * a_step : packed ? packed_a + ip * kc : nullptr;
            const int64_t rows = std::min(mr, mc - ip);
            if constexpr (std::is_same_v<T, float>) {
              if (direct_a) {
                const float* ar = a.data + (i0 + ip) * a.ld + pc;
                for (int64_t jp = 0; jp < nc; jp += nr) {
                  // kc / 4 lines per tile: 64 tiles of BERT's slices cover the next one (3840 lines).
                  const float* pf = nullptr;
                  if (next_lines > 0) {
                    pf = next_b;
                    next_b += kc / 4 * 16;
                    next_lines -= kc / 4;
                  }
                  direct(kc, ar, a.ld, b_slice + jp * kc, C + (i0 + ip) * ldc + j0 + jp, ldc, rows,
                         std::min(nr, nc - jp), accumulate, pf);
                }
              }
            }
            for (int64_t jp = 0; !direct_a && jp < nc; jp += nr) {
              T* c = C + (i0 + ip) * ldc + j0 + jp;
              const int64_t cols = std::min(nr, nc - jp);
              run_tile(tile, row, kc, ap, direct_row ? a_step : mr, b_slice + jp * kc, c, ldc, rows, cols, accumulate);
            }
            // The epilogue takes the whole strip of mr rows x nc columns just finished (12 KiB at
            // most, still in L1/L2): rows of nc give its GELU enough independent vectors to fill
            // the pipelines, where 32-column tiles left it waiting on latency (1.6 vs 1.0 ns per
            // element).
            if constexpr (std::is_same_v<T, float>) {
              if (last && epilogue) epilogue(i0 + ip, j0, rows, nc, C + (i0 + ip) * ldc + j0, ldc);
            }
          }
        }
      }
    }
  };
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (flops < kSerialFlops) {
    run(0, tasks);
  } else {
    gemm_parallel_for(0, tasks, 1, run);
  }
}

// How many column chunks gemm_b_stationary splits N into: chunks of at most kNc columns (whole
// panels), and with several threads at least `per_thread` per thread, the count a multiple of the
// threads. B packed ahead costs nothing per chunk, so it takes four (a thread that wakes late then
// still finds work: 2 threads on BERT's N = 768 ran at 158 GFLOP/s with two chunks each and 183
// with four); B packed per chunk takes two.
int64_t chunk_count(int64_t N, int64_t nr, int per_thread = 2) {
  const int64_t threads = current_concurrency();
  const int64_t panels = (N + nr - 1) / nr, cap = std::max<int64_t>(1, kNc / nr);
  int64_t chunks = (panels + cap - 1) / cap;
  if (threads > 1) {
    chunks = std::max(chunks, per_thread * threads);
    chunks = (chunks + threads - 1) / threads * threads;
  }
  return std::clamp<int64_t>(chunks, 1, panels);
}

// Whether gemm_b_stationary beats packing all of B first: one block of rows (A is small, so
// repacking it per chunk is cheap), or so many columns that every thread has chunks anyway.
bool prefer_b_stationary(int64_t M, int64_t N, int64_t mr) {
  return M <= balanced_rows(M, mr) || N >= 4 * std::max(1, current_concurrency()) * kNc;
}

// Handles the degenerate shapes (C = beta * C, then the epilogue); false when there is a product
// to compute.
template <class T>
bool gemm_trivial(int64_t M, int64_t N, int64_t K, T alpha, T beta, T* C, int64_t ldc, TileEpilogue epilogue = {}) {
  if (M <= 0 || N <= 0) return true;
  if (K > 0 && alpha != T(0)) return false;
  gemm_parallel_for(0, M, std::max<int64_t>(1, 16384 / N), [&](int64_t begin, int64_t end) {
    scale_c(beta, end - begin, N, C + begin * ldc, ldc);
    if constexpr (std::is_same_v<T, float>) {
      if (epilogue) epilogue(begin, 0, end - begin, N, C + begin * ldc, ldc);
    }
  });
  return true;
}

template <class T>
void gemm_blocked(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                  const T* B, int64_t ldb, T beta, T* C, int64_t ldc, TileFn<T> tile, int64_t mr, int64_t nr,
                  SgemmRowFn row = nullptr, TileEpilogue epilogue = {}, SgemmUkernelDirectFn direct = nullptr) {
  if (gemm_trivial(M, N, K, alpha, beta, C, ldc, epilogue)) return;
  if (prefer_b_stationary(M, N, mr)) {
    const Operand<T> b{B, ldb, trans_b};
    const PackSliceFn<T> pack = [&](int64_t pc, int64_t kc, int64_t j0, int64_t nc, T* out) {
      pack_b_slice(b, pc, kc, j0, nc, nr, out);
    };
    gemm_b_stationary(Operand<T>{A, lda, trans_a}, M, N, K, alpha, beta, C, ldc, tile, mr, nr, chunk_count(N, nr),
                      pack, row, static_cast<const T*>(nullptr), epilogue, static_cast<const T*>(nullptr), direct);
    return;
  }
  const int64_t n_padded = (N + nr - 1) / nr * nr;
  const ScratchLease<T, 1> lease(static_cast<size_t>(K * n_padded));
  T* packed_b = lease.get();
  pack_b(Operand<T>{B, ldb, trans_b}, K, N, nr, n_padded, packed_b);
  gemm_b_stationary(Operand<T>{A, lda, trans_a}, M, N, K, alpha, beta, C, ldc, tile, mr, nr, chunk_count(N, nr, 4),
                    PackSliceFn<T>(), row, static_cast<const T*>(nullptr), epilogue, static_cast<const T*>(packed_b),
                    direct);
}

const SgemmUkernel& active_sgemm_ukernel() {
  static const SgemmUkernel k = sgemm_ukernel_for(active_isa());
  return k;
}

}  // namespace

void sgemm_epilogue_ref(const SgemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols, float* c,
                        int64_t ldc) {
  constexpr float kInvSqrt2 = 0.70710678118654752f, kSqrt2OverPi = 0.79788456080286536f;
  for (int64_t i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    const float rb = e.row_bias ? e.row_bias[i0 + i] : 0.f;
    const float* res = e.residual ? e.residual + (i0 + i) * e.ldr + j0 : nullptr;
    for (int64_t j = 0; j < cols; ++j) {
      float v = row[j] + rb;
      if (e.col_bias) v += e.col_bias[j0 + j];
      if (res) v += res[j];
      if (e.activation == SgemmActivation::GeluErf) {
        v = 0.5f * v * (1.f + std::erf(v * kInvSqrt2));
      } else if (e.activation == SgemmActivation::GeluTanh) {
        v = 0.5f * v * (1.f + std::tanh(kSqrt2OverPi * (v + 0.044715f * v * v * v)));
      }
      v = v < e.lo ? e.lo : v;
      row[j] = v > e.hi ? e.hi : v;
    }
  }
}

SgemmUkernel sgemm_ukernel_4x8__scalar() { return {micro_tile<float>, 4, 8, "f32-gemm-4x8__scalar"}; }

SgemmUkernel sgemm_ukernel_for(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return sgemm_ukernel_8x48__avx512();
    case Isa::Avx2: return sgemm_ukernel_6x16__avx2();
    case Isa::Scalar: break;
  }
  return sgemm_ukernel_4x8__scalar();
}

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, const SgemmEpilogue* epilogue) {
  const SgemmUkernel& k = active_sgemm_ukernel();
  gemm_blocked<float>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, k.fn, k.mr, k.nr, k.row,
                      tile_epilogue(epilogue, k.epilogue), k.direct);
}

void sgemm_with(const SgemmUkernel& k, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                const SgemmEpilogue* epilogue) {
  gemm_blocked<float>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, k.fn, k.mr, k.nr, k.row,
                      tile_epilogue(epilogue, k.epilogue), k.direct);
}

PackedSgemmB pack_sgemm_b(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb) {
  const SgemmUkernel& k = active_sgemm_ukernel();
  PackedSgemmB p;
  p.K = K;
  p.N = N;
  p.nr = k.nr;
  const int64_t n_padded = (N + k.nr - 1) / k.nr * k.nr;
  // pack_b writes every element, padding columns included: no zero fill first.
  p.data.resize(static_cast<size_t>(std::max<int64_t>(K, 0) * n_padded));
  if (K > 0 && N > 0) pack_b(Operand<float>{B, ldb, trans_b}, K, N, k.nr, n_padded, p.data.data());
  return p;
}

void sgemm_packed(bool trans_a, int64_t M, float alpha, const float* A, int64_t lda, const PackedSgemmB& B,
                  float beta, float* C, int64_t ldc, const SgemmEpilogue* epilogue) {
  const SgemmUkernel& k = active_sgemm_ukernel();
  const TileEpilogue epi = tile_epilogue(epilogue, k.epilogue);
  if (gemm_trivial(M, B.N, B.K, alpha, beta, C, ldc, epi)) return;
  gemm_b_stationary(Operand<float>{A, lda, trans_a}, M, B.N, B.K, alpha, beta, C, ldc, k.fn, k.mr, k.nr,
                    chunk_count(B.N, k.nr, 4), PackSliceFn<float>(), k.row, static_cast<const float*>(nullptr), epi,
                    B.data.data(), k.direct);
}

namespace {

// Below this many flops per product, a batch runs whole products in parallel (a 128 x 128 x 64
// attention head is 2 MFLOP: split over threads, each part is a few microseconds of work).
constexpr double kBatchInlineFlops = 1.6e7;

template <class Product>
void run_batch(int64_t count, int64_t M, int64_t N, int64_t K, const Product& product) {
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (count <= 1 || t_inline_products || current_concurrency() <= 1 || flops >= kBatchInlineFlops) {
    for (int64_t i = 0; i < count; ++i) product(i);
    return;
  }
  parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
    struct InlineScope {
      InlineScope() { t_inline_products = true; }
      ~InlineScope() { t_inline_products = false; }
    } scope;
    for (int64_t i = begin; i < end; ++i) product(i);
  });
}

}  // namespace

void sgemm_batch(int64_t count, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* const* A, int64_t lda, const float* const* B, int64_t ldb, float beta, float* const* C,
                 int64_t ldc, const SgemmEpilogue* epilogue) {
  run_batch(count, M, N, K, [&](int64_t i) {
    sgemm(trans_a, trans_b, M, N, K, alpha, A[i], lda, B[i], ldb, beta, C[i], ldc, epilogue);
  });
}

void sgemm_packed_batch(int64_t count, bool trans_a, int64_t M, float alpha, const float* const* A, int64_t lda,
                        const PackedSgemmB& B, float beta, float* const* C, int64_t ldc,
                        const SgemmEpilogue* epilogue) {
  run_batch(count, M, B.N, B.K,
            [&](int64_t i) { sgemm_packed(trans_a, M, alpha, A[i], lda, B, beta, C[i], ldc, epilogue); });
}

void sgemm_pack_b_by(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const SgemmPackB& pack_b,
                     float beta, float* C, int64_t ldc, const SgemmEpilogue* epilogue) {
  const SgemmUkernel& k = active_sgemm_ukernel();
  const TileEpilogue epi = tile_epilogue(epilogue, k.epilogue);
  if (gemm_trivial(M, N, K, alpha, beta, C, ldc, epi)) return;
  const int64_t nr = k.nr;
  const PackSliceFn<float> pack = [&](int64_t pc, int64_t kc, int64_t j0, int64_t nc, float* out) {
    pack_b(pc, kc, j0, nc, nr, out);
  };
  gemm_b_stationary(Operand<float>{A, lda, false}, M, N, K, alpha, beta, C, ldc, k.fn, k.mr, nr, chunk_count(N, nr),
                    pack, k.row, static_cast<const float*>(nullptr), epi, static_cast<const float*>(nullptr), k.direct);
}

void sgemm_pack_b_rows(const float* B, int64_t ldb, int64_t pc, int64_t kc, int64_t j0, int64_t nc, int64_t nr,
                       float* out) {
  pack_b_slice(Operand<float>{B, ldb, false}, pc, kc, j0, nc, nr, out);
}

PackedSgemmA pack_sgemm_a(int64_t M, int64_t K, const float* A, int64_t lda) {
  const SgemmUkernel& k = active_sgemm_ukernel();
  PackedSgemmA p;
  p.M = std::max<int64_t>(M, 0);
  p.K = std::max<int64_t>(K, 0);
  p.mr = k.mr;
  p.data.assign(static_cast<size_t>((p.M + k.mr - 1) / k.mr * k.mr * p.K), 0.f);
  if (p.M > 0 && p.K > 0) pack_all_a(Operand<float>{A, lda, false}, p.M, p.K, 1.f, k.mr, p.data.data());
  return p;
}

void sgemm_pack_b_by(const PackedSgemmA& A, int64_t N, const SgemmPackB& pack_b, float beta, float* C, int64_t ldc,
                     const SgemmEpilogue* epilogue) {
  const SgemmUkernel& k = active_sgemm_ukernel();
  const TileEpilogue epi = tile_epilogue(epilogue, k.epilogue);
  if (gemm_trivial(A.M, N, A.K, 1.f, beta, C, ldc, epi)) return;
  const int64_t nr = k.nr;
  const PackSliceFn<float> pack = [&](int64_t pc, int64_t kc, int64_t j0, int64_t nc, float* out) {
    pack_b(pc, kc, j0, nc, nr, out);
  };
  gemm_b_stationary(Operand<float>{nullptr, A.K, false}, A.M, N, A.K, 1.f, beta, C, ldc, k.fn, k.mr, nr,
                    chunk_count(N, nr), pack, k.row, A.data.data(), epi);
}

void dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
           const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  gemm_blocked<double>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, micro_tile<double>, 4, 8);
}

}  // namespace onnxi::kernels
