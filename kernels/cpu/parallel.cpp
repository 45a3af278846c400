#include "kernels/cpu/parallel.h"

#include <sched.h>

#include <thread>

#ifdef ONNXI_WITH_TBB
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#endif

namespace onnxi::kernels {

int hardware_threads() noexcept {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

#ifdef ONNXI_WITH_TBB

bool threading_available() noexcept { return true; }

int current_concurrency() noexcept { return tbb::this_task_arena::max_concurrency(); }

void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (end <= begin) return;
  if (grain < 1) grain = 1;
  if (end - begin < 2 * grain || tbb::this_task_arena::max_concurrency() <= 1) {
    fn(begin, end);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<int64_t>(begin, end, grain),
                    [&](const tbb::blocked_range<int64_t>& r) { fn(r.begin(), r.end()); });
}

struct ThreadArena::Impl {
  explicit Impl(int n) : arena(n) {}
  tbb::task_arena arena;
};

ThreadArena::ThreadArena(int threads)
    : threads_(threads > 0 ? threads : hardware_threads()), impl_(std::make_unique<Impl>(threads_)) {}
ThreadArena::~ThreadArena() = default;

void ThreadArena::execute(const std::function<void()>& fn) { impl_->arena.execute(fn); }

#else

bool threading_available() noexcept { return false; }

void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (end > begin) fn(begin, end);
}

struct ThreadArena::Impl {};

int current_concurrency() noexcept { return 1; }

ThreadArena::ThreadArena(int threads) : threads_(1), impl_(std::make_unique<Impl>()) { (void)threads; }
ThreadArena::~ThreadArena() = default;

void ThreadArena::execute(const std::function<void()>& fn) { fn(); }

#endif

}  // namespace onnxi::kernels
