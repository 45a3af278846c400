#include "runtime/exec/planner.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "onnxi/error.h"

namespace onnxi::exec {
namespace {

size_t round_up(size_t n) {
  n = (n + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  return n == 0 ? kTensorAlignment : n;
}

// Values that share one block: a value and the in-place results chained onto it.
struct Group {
  size_t bytes = 0;
  int first = 0;
  int last = 0;
  std::vector<int> members;  // slots, in step order
  int64_t offset = -1;
};

bool times_overlap(const Group& a, const Group& b) { return a.first <= b.last && b.first <= a.last; }

bool bytes_overlap(const Group& a, const Group& b) {
  return a.offset < b.offset + static_cast<int64_t>(b.bytes) && b.offset < a.offset + static_cast<int64_t>(a.bytes);
}

// Places the groups in `order`, each in a gap between the placed groups whose lifetimes overlap
// its own: the lowest gap that fits, or with `tightest` the smallest one (above them all when
// none fits). Returns the arena size; offsets[i] is group i's.
size_t place(const std::vector<Group>& groups, const std::vector<size_t>& order, bool tightest,
             std::vector<int64_t>& offsets) {
  offsets.assign(groups.size(), -1);
  size_t arena = 0;
  std::vector<size_t> placed;
  std::vector<std::pair<int64_t, int64_t>> busy;  // [begin, end) of the neighbours
  for (size_t gi : order) {
    const Group& g = groups[gi];
    const auto need = static_cast<int64_t>(g.bytes);
    busy.clear();
    for (size_t pi : placed) {
      if (times_overlap(g, groups[pi])) busy.emplace_back(offsets[pi], offsets[pi] + static_cast<int64_t>(groups[pi].bytes));
    }
    std::sort(busy.begin(), busy.end());
    int64_t chosen = -1, chosen_gap = INT64_MAX, cursor = 0;
    for (const auto& [begin, end] : busy) {
      const int64_t gap = begin - cursor;
      if (gap >= need && (chosen < 0 || (tightest && gap < chosen_gap))) {
        chosen = cursor;
        chosen_gap = gap;
        if (!tightest) break;
      }
      cursor = std::max(cursor, end);
    }
    if (chosen < 0) chosen = cursor;
    offsets[gi] = chosen;
    arena = std::max(arena, static_cast<size_t>(chosen + need));
    placed.push_back(gi);
  }
  return arena;
}

}  // namespace

MemoryPlan plan_memory(size_t num_slots, const std::vector<PlanRequest>& requests) {
  MemoryPlan plan;
  plan.offset.assign(num_slots, -1);
  plan.bytes.assign(num_slots, 0);
  plan.conflicts.resize(num_slots);
  std::vector<PlanRequest> order = requests;
  std::stable_sort(order.begin(), order.end(),
                   [](const PlanRequest& a, const PlanRequest& b) { return a.first_step < b.first_step; });
  std::vector<Group> groups;
  std::vector<int> group_of(num_slots, -1);
  std::vector<int> first_of(num_slots, 0);
  for (const PlanRequest& r : order) {
    if (r.slot < 0 || static_cast<size_t>(r.slot) >= num_slots || group_of[static_cast<size_t>(r.slot)] >= 0) continue;
    const size_t bytes = round_up(r.bytes);
    const auto s = static_cast<size_t>(r.slot);
    first_of[s] = r.first_step;
    plan.bytes[s] = bytes;
    plan.unshared_bytes += bytes;
    ++plan.num_planned;
    if (r.inplace_of >= 0 && static_cast<size_t>(r.inplace_of) < num_slots) {
      const int g = group_of[static_cast<size_t>(r.inplace_of)];
      // The input's block ends here (it dies at this step), so the output can carry it on.
      if (g >= 0 && groups[static_cast<size_t>(g)].bytes == bytes && groups[static_cast<size_t>(g)].last == r.first_step) {
        Group& grp = groups[static_cast<size_t>(g)];
        grp.last = std::max(grp.last, r.last_step);
        grp.members.push_back(r.slot);
        group_of[s] = g;
        plan.unshared_bytes -= bytes;  // shares the input's bytes even without reuse
        continue;
      }
    }
    Group grp;
    grp.bytes = bytes;
    grp.first = r.first_step;
    grp.last = std::max(r.first_step, r.last_step);
    grp.members.push_back(r.slot);
    group_of[s] = static_cast<int>(groups.size());
    groups.push_back(std::move(grp));
  }

  // The lower bound: the most bytes alive at one step (no placement can do better).
  {
    int steps = 0;
    for (const Group& g : groups) steps = std::max(steps, g.last + 1);
    std::vector<int64_t> delta(static_cast<size_t>(steps) + 1, 0);
    for (const Group& g : groups) {
      delta[static_cast<size_t>(g.first)] += static_cast<int64_t>(g.bytes);
      delta[static_cast<size_t>(g.last) + 1] -= static_cast<int64_t>(g.bytes);
    }
    int64_t live = 0;
    for (int64_t d : delta) {
      live += d;
      plan.live_peak_bytes = std::max(plan.live_peak_bytes, static_cast<size_t>(live));
    }
  }

  // Placement is a heuristic; a few orders of the groups and two choices of gap are tried and the
  // smallest arena kept (ties: the first, largest-first and lowest offset, as before).
  const auto by = [&](auto less) {
    std::vector<size_t> order(groups.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return less(groups[a], groups[b]); });
    return order;
  };
  const auto span = [](const Group& g) { return static_cast<size_t>(g.last - g.first + 1); };
  const std::vector<std::vector<size_t>> orders = {
      by([](const Group& a, const Group& b) { return a.bytes != b.bytes ? a.bytes > b.bytes : a.first < b.first; }),
      by([&](const Group& a, const Group& b) {
        const size_t x = a.bytes * span(a), y = b.bytes * span(b);
        return x != y ? x > y : a.first < b.first;
      }),
      by([&](const Group& a, const Group& b) { return span(a) != span(b) ? span(a) > span(b) : a.bytes > b.bytes; }),
      by([](const Group& a, const Group& b) { return a.first != b.first ? a.first < b.first : a.bytes > b.bytes; }),
  };
  std::vector<int64_t> best;
  size_t best_bytes = SIZE_MAX;
  for (const std::vector<size_t>& order : orders) {
    for (bool tightest : {false, true}) {
      std::vector<int64_t> offsets;
      const size_t bytes = place(groups, order, tightest, offsets);
      if (bytes < best_bytes) {
        best_bytes = bytes;
        best = std::move(offsets);
      }
    }
  }
  plan.arena_bytes = groups.empty() ? 0 : best_bytes;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    groups[gi].offset = best[gi];
    for (int m : groups[gi].members) plan.offset[static_cast<size_t>(m)] = best[gi];
  }

  // Which earlier values a slot's block overlaps: the run checks they are dead before reusing it.
  for (size_t a = 0; a < groups.size(); ++a) {
    for (size_t b = 0; b < groups.size(); ++b) {
      if (!bytes_overlap(groups[a], groups[b])) continue;
      for (int s : groups[a].members) {
        for (int t : groups[b].members) {
          if (t == s) continue;
          const bool earlier = first_of[static_cast<size_t>(t)] < first_of[static_cast<size_t>(s)] ||
                               (a != b && first_of[static_cast<size_t>(t)] == first_of[static_cast<size_t>(s)]);
          if (earlier) plan.conflicts[static_cast<size_t>(s)].push_back(t);
        }
      }
    }
  }
  return plan;
}

Arena::Arena(size_t size, size_t num_slots) : bytes(size), live(new std::atomic<bool>[num_slots]) {
  for (size_t i = 0; i < num_slots; ++i) live[i].store(false, std::memory_order_relaxed);
  if (bytes > 0) {
    base = static_cast<std::byte*>(std::aligned_alloc(kTensorAlignment, round_up(bytes)));
    ONNXI_CHECK(base, ErrorCode::Runtime, "out of memory allocating the run's ", bytes, "-byte arena");
    note_tensor_memory(round_up(bytes), true);
  }
}

Arena::~Arena() {
  if (base) {
    std::free(base);
    note_tensor_memory(round_up(bytes), false);
  }
}

std::shared_ptr<Arena> ArenaPool::take(size_t bytes, size_t num_slots) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!free_.empty()) {
      std::shared_ptr<Arena> a = std::move(free_.back());
      free_.pop_back();
      return a;
    }
  }
  return std::make_shared<Arena>(bytes, num_slots);
}

void ArenaPool::give(std::shared_ptr<Arena> arena) {
  // Another holder is a tensor still pointing into it (a deleter's copy): it must not be reused.
  if (!arena || arena.use_count() != 1) return;
  std::lock_guard<std::mutex> lock(mutex_);
  free_.push_back(std::move(arena));
}

size_t ArenaPool::cached() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return free_.size();
}

void* arena_block(const std::shared_ptr<Arena>& arena, const MemoryPlan& plan, int slot, size_t need,
                  std::shared_ptr<const void>& owner) {
  if (!arena || !plan.planned(slot)) return nullptr;
  const auto s = static_cast<size_t>(slot);
  if (need > plan.bytes[s] || arena->is_live(s)) return nullptr;
  for (int c : plan.conflicts[s]) {
    if (arena->is_live(static_cast<size_t>(c))) return nullptr;
  }
  arena->live[s].store(true, std::memory_order_release);
  std::byte* p = arena->base + plan.offset[s];
  owner = std::shared_ptr<const void>(static_cast<const void*>(p),
                                      [arena, s](const void*) { arena->live[s].store(false, std::memory_order_release); });
  return p;
}

Tensor arena_tensor(const std::shared_ptr<Arena>& arena, const MemoryPlan& plan, int slot, DataType dtype, Shape shape,
                    bool zero) {
  if (dtype == DataType::String || dtype == DataType::Undefined) return {};
  const size_t need = storage_bytes(dtype, shape_numel(shape));
  std::shared_ptr<const void> owner;
  void* p = arena_block(arena, plan, slot, need, owner);
  if (p == nullptr) return {};
  if (zero) std::memset(p, 0, need);
  return Tensor::wrap(dtype, std::move(shape), std::move(owner), p);
}

}  // namespace onnxi::exec
