// Intra-op threading. With oneTBB, work runs in the calling session's task_arena (so a session's
// `threads` option bounds it); without oneTBB everything runs serially on the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace onnxi::kernels {

// Calls fn(chunk_begin, chunk_end) over [begin, end) in chunks of at least `grain` items, possibly
// concurrently. Ranges smaller than 2*grain run inline, so tiny problems never pay for threads.
void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Cores available to this process.
int hardware_threads() noexcept;
// Threads parallel_for may use here and now: the calling session's thread count (1 without oneTBB).
int current_concurrency() noexcept;
// True when built with oneTBB.
bool threading_available() noexcept;

// A bounded worker pool: one per session. execute() runs fn with parallel_for limited to `threads`.
class ThreadArena {
 public:
  explicit ThreadArena(int threads);
  ~ThreadArena();
  ThreadArena(const ThreadArena&) = delete;
  ThreadArena& operator=(const ThreadArena&) = delete;
  int threads() const noexcept { return threads_; }
  void execute(const std::function<void()>& fn);

 private:
  struct Impl;
  int threads_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onnxi::kernels
