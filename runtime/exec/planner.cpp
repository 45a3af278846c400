#include "runtime/exec/planner.h"

#include <algorithm>
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

  std::vector<size_t> by_size(groups.size());
  for (size_t i = 0; i < by_size.size(); ++i) by_size[i] = i;
  std::stable_sort(by_size.begin(), by_size.end(), [&](size_t a, size_t b) {
    if (groups[a].bytes != groups[b].bytes) return groups[a].bytes > groups[b].bytes;
    return groups[a].first < groups[b].first;
  });
  std::vector<size_t> placed;
  std::vector<const Group*> neighbours;
  for (size_t gi : by_size) {
    Group& g = groups[gi];
    neighbours.clear();
    for (size_t pi : placed) {
      if (times_overlap(g, groups[pi])) neighbours.push_back(&groups[pi]);
    }
    std::sort(neighbours.begin(), neighbours.end(), [](const Group* a, const Group* b) { return a->offset < b->offset; });
    int64_t candidate = 0;
    for (const Group* n : neighbours) {
      if (candidate + static_cast<int64_t>(g.bytes) <= n->offset) break;
      candidate = std::max(candidate, n->offset + static_cast<int64_t>(n->bytes));
    }
    g.offset = candidate;
    plan.arena_bytes = std::max(plan.arena_bytes, static_cast<size_t>(candidate) + g.bytes);
    placed.push_back(gi);
    for (int m : g.members) plan.offset[static_cast<size_t>(m)] = candidate;
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
