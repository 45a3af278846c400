// kernels/cpu/large_buffer.h's recycling pool: buffers freed or donated inside a RecycleScope keep
// their pages for the next allocate_large, nothing is pooled outside one, and the pool is empty
// once the last scope ends. Then the session path that donates loaded weights once a kernel packed
// them: outputs equal a session that keeps them, and a weight someone else still holds (the
// caller's Model, a second session) is never donated.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "kernels/cpu/large_buffer.h"
#include "onnxi/loader.h"
#include "onnxi/session.h"
#include "tests/unit/op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;
using onnxi::kernels::allocate_large;
using onnxi::kernels::donate_large;
using onnxi::kernels::free_large;
using onnxi::kernels::kRecycleBytes;
using onnxi::kernels::recycled_bytes;
using onnxi::kernels::RecycleScope;

namespace {

void fill(void* p, size_t bytes, uint8_t v) { std::memset(p, v, bytes); }

bool filled(const void* p, size_t bytes, uint8_t v) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < bytes; ++i) {
    if (b[i] != v) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("allocate_large recycles freed and donated pages only inside a RecycleScope") {
  const size_t mib = size_t{1} << 20;
  SUBCASE("outside a scope: nothing is pooled, nothing can be donated") {
    void* a = allocate_large(mib);
    fill(a, mib, 1);
    CHECK_FALSE(donate_large(a));
    free_large(a, mib);
    CHECK(recycled_bytes() == 0);
  }
  SUBCASE("a donated buffer's pages serve the next allocation; its own free is then a no-op") {
    RecycleScope scope;
    void* a = allocate_large(mib);
    fill(a, mib, 2);
    REQUIRE(donate_large(a));
    CHECK_FALSE(donate_large(a));  // no longer a live buffer
    CHECK(recycled_bytes() == mib);
    void* b = allocate_large(mib / 2);
    CHECK(b == a);  // the front of the donated range
    CHECK(recycled_bytes() == mib / 2);
    fill(b, mib / 2, 3);
    free_large(a, mib);  // the donated buffer's owner lets go: nothing happens
    CHECK(recycled_bytes() == mib / 2);
    CHECK(filled(b, mib / 2, 3));
    void* c = allocate_large(mib / 2 - 4096);  // the rest, rounded to whole pages
    CHECK(c == static_cast<char*>(a) + mib / 2);
    free_large(c, mib / 2 - 4096);
    free_large(b, mib / 2);
    CHECK(recycled_bytes() == mib);  // coalesced back into one range
    void* d = allocate_large(mib);
    CHECK(d == a);
    free_large(d, mib);
  }
  SUBCASE("small buffers and foreign pointers are not donated") {
    RecycleScope scope;
    void* small = allocate_large(kRecycleBytes - 64);
    CHECK_FALSE(donate_large(small));
    free_large(small, kRecycleBytes - 64);
    std::vector<float> v(kRecycleBytes);
    CHECK_FALSE(donate_large(v.data()));
    CHECK(recycled_bytes() == 0);
  }
  SUBCASE("nested scopes: the pool goes back to the system when the last one ends") {
    {
      RecycleScope outer;
      {
        RecycleScope inner;
        free_large(allocate_large(mib), mib);
        CHECK(recycled_bytes() == mib);
      }
      CHECK(recycled_bytes() == mib);
      void* a = allocate_large(2 * mib);  // larger than the pool's range: fresh pages
      fill(a, 2 * mib, 4);
      CHECK(filled(a, 2 * mib, 4));
      free_large(a, 2 * mib);
      CHECK(recycled_bytes() == 3 * mib);
    }
    CHECK(recycled_bytes() == 0);
  }
}

namespace {

Tensor seeded(Shape shape, uint64_t seed) { return xorshift_tensor(std::move(shape), seed, -0.5f, 0.5f, 13); }

// x [4, 256] -> MatMul W1 [256, 512] -> Relu -> MatMul W2 [512, 256] -> MatMul W3 [256, 512] -> y:
// three 512 KiB weights (each kernel packs its own; the later ones can pack into the earlier ones'
// donated pages), 1.5 MiB in all, so the loader splits the payloads off into buffers of its own.
Model three_matmuls() {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 17;
  m.graph.inputs.push_back(ValueInfo{"x", TypeInfo::tensor_of_shape(DataType::Float, {4, 256}), {}});
  m.graph.initializers["W1"] = seeded({256, 512}, 1);
  m.graph.initializers["W2"] = seeded({512, 256}, 2);
  m.graph.initializers["W3"] = seeded({256, 512}, 3);
  m.graph.nodes.push_back(graph_node("MatMul", {"x", "W1"}, {"a"}));
  m.graph.nodes.push_back(graph_node("Relu", {"a"}, {"r"}));
  m.graph.nodes.push_back(graph_node("MatMul", {"r", "W2"}, {"b"}));
  m.graph.nodes.push_back(graph_node("MatMul", {"b", "W3"}, {"y"}));
  m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
  return m;
}

}  // namespace

TEST_CASE("sessions that donate packed weights' pages compute what a session keeping them does") {
  const Model m = three_matmuls();
  const std::string bytes = save_model_bytes(m);
  const std::map<std::string, Value> feeds{{"x", Value(seeded({4, 256}, 9))}};
  SessionOptions keep;
  keep.release_packed_constants = false;
  const std::vector<Value> want = Session::from_bytes(bytes.data(), bytes.size(), keep).run(feeds);
  for (int threads : {1, 2}) {
    INFO("threads ", threads);
    SessionOptions o;
    o.threads = threads;
    Session s = Session::from_bytes(bytes.data(), bytes.size(), o);
    check_close(s.run(feeds)[0].tensor(), want[0].tensor(), 1e-6, 1e-6);
    CHECK(recycled_bytes() == 0);
  }
  SUBCASE("the caller's loaded Model still holds the weights: two sessions from it, the Model intact") {
    const Model loaded = load_model_bytes(bytes.data(), bytes.size());
    std::map<std::string, std::vector<float>> before;
    for (const auto& [name, t] : loaded.graph.initializers) {
      before[name].assign(t.data<float>(), t.data<float>() + t.numel());
    }
    for (int i = 0; i < 2; ++i) {
      Session s = Session::from_model(loaded);
      check_close(s.run(feeds)[0].tensor(), want[0].tensor(), 1e-6, 1e-6);
    }
    for (const auto& [name, t] : loaded.graph.initializers) {
      INFO(name);
      CHECK(std::memcmp(t.data<float>(), before[name].data(), before[name].size() * sizeof(float)) == 0);
    }
  }
}
