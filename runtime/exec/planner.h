// The memory planner: values whose size is known at session creation get fixed offsets in one
// arena per run, assigned ahead of time so that values alive at the same step never share bytes.
// Everything else (dynamic shapes, graph outputs, sequences) keeps the caching allocator.
//
// At run time the arena is only a proposal: a kernel may return a view of another value (Reshape)
// that outlives the slot the planner tracked, so each handed-out block carries a live flag cleared
// when its last Tensor dies, and a block is reused only while every block it overlaps is dead
// (otherwise that value falls back to the allocator). Planned and actual lifetimes agree for
// ordinary graphs, so the check costs a few flag reads per node.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "onnxi/tensor.h"

namespace onnxi::exec {

// One value the planner may place: live from the step that produces it to its last reader.
struct PlanRequest {
  int slot = -1;
  size_t bytes = 0;
  int first_step = 0;
  int last_step = 0;      // inclusive; a value nobody reads dies at its own step
  int inplace_of = -1;    // an input slot dying at first_step that this value may overwrite
};

struct MemoryPlan {
  std::vector<int64_t> offset;             // per slot; -1 when not planned
  std::vector<size_t> bytes;               // per slot, rounded to the tensor alignment
  std::vector<std::vector<int>> conflicts;  // per slot: planned slots placed earlier in bytes it overlaps
  size_t arena_bytes = 0;                   // the planned peak
  size_t live_peak_bytes = 0;               // the most bytes alive at one step: no plan needs less
  size_t unshared_bytes = 0;                // sum of all planned sizes: the peak without reuse
  size_t num_planned = 0;

  bool planned(int slot) const noexcept {
    return slot >= 0 && static_cast<size_t>(slot) < offset.size() && offset[static_cast<size_t>(slot)] >= 0;
  }
};

// Each lifetime group (a value and the in-place results chained onto it; an in-place request joins
// its input's group when sizes match) goes into a gap between the groups whose lifetimes overlap
// its own. Which order and which gap is a heuristic: four orders (largest first, largest
// size x lifetime, longest lifetime, earliest first) times two gap rules (lowest, tightest) are
// tried and the smallest arena kept.
MemoryPlan plan_memory(size_t num_slots, const std::vector<PlanRequest>& requests);

// One run's arena: the memory and a live flag per planned slot.
struct Arena {
  explicit Arena(size_t bytes, size_t num_slots);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  std::byte* base = nullptr;
  size_t bytes = 0;
  // Cleared by a block's last Tensor, which may die on a worker thread.
  std::unique_ptr<std::atomic<bool>[]> live;

  bool is_live(size_t slot) const noexcept { return live[slot].load(std::memory_order_acquire); }

  bool contains(const void* p) const noexcept {
    auto* b = static_cast<const std::byte*>(p);
    return b >= base && b < base + bytes;
  }
};

// Arenas of finished runs, kept for the next one; concurrent runs each take their own.
class ArenaPool {
 public:
  std::shared_ptr<Arena> take(size_t bytes, size_t num_slots);
  // Keeps `arena` for reuse when no tensor of it is left (else it is freed with its last tensor).
  void give(std::shared_ptr<Arena> arena);
  size_t cached() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Arena>> free_;
};

// The slot's planned block for `need` bytes, or null when it is smaller or a block it overlaps is
// still held; `owner` gets the handle whose last copy marks the block free again.
void* arena_block(const std::shared_ptr<Arena>& arena, const MemoryPlan& plan, int slot, size_t need,
                  std::shared_ptr<const void>& owner);

// A tensor in `arena` at the slot's planned offset, or an undefined tensor when arena_block has
// none. `zero` fills it with zeros.
Tensor arena_tensor(const std::shared_ptr<Arena>& arena, const MemoryPlan& plan, int slot, DataType dtype,
                    Shape shape, bool zero);

}  // namespace onnxi::exec
