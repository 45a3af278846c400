#include "onnxi/registry.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace onnxi {

const TypeInfo& InferContext::input(size_t i) const {
  static const TypeInfo kUnknown;
  return has_input(i) ? *input_types[i] : kUnknown;
}

void InferContext::set_output(size_t i, TypeInfo t) {
  if (i >= output_types.size()) output_types.resize(i + 1);
  output_types[i] = std::move(t);
}

void InferContext::fail(const std::string& message) const {
  onnxi::fail(ErrorCode::InvalidModel, node.label() + ": " + message);
}

const Tensor& KernelContext::input(size_t i) const {
  if (i >= num_inputs() || input_value(i).is_none()) {
    onnxi::fail(ErrorCode::Runtime, cat(node().label(), ": input ", i, " is required but missing"));
  }
  const Value& v = input_value(i);
  if (!v.is_tensor()) {
    onnxi::fail(ErrorCode::Runtime, cat(node().label(), ": input ", i, " ('", node().inputs[i],
                                        "') must be a tensor, got ", v.describe()));
  }
  return v.tensor();
}

Tensor& KernelContext::allocate_output(size_t i, DataType dtype, Shape shape) {
  set_output(i, Value(Tensor(dtype, std::move(shape))));
  return output_value(i).tensor();
}

Tensor& KernelContext::allocate_output_uninitialized(size_t i, DataType dtype, Shape shape) {
  set_output(i, Value(Tensor::uninitialized(dtype, std::move(shape))));
  return output_value(i).tensor();
}

void KernelContext::fail(const std::string& message) const {
  onnxi::fail(ErrorCode::Runtime, node().label() + ": " + message);
}

void KernelInit::fail(const std::string& message) const {
  onnxi::fail(ErrorCode::InvalidModel, node.label() + ": " + message);
}

void Registry::add(OpDef def) {
  ONNXI_CHECK(def.create, ErrorCode::InvalidArgument, "op ", def.op_type, " registered without a kernel factory");
  ONNXI_CHECK(def.since_version <= def.last_version, ErrorCode::InvalidArgument, "op ", def.op_type,
              " registered with since_version ", def.since_version, " > last_version ", def.last_version);
  def.domain = canonical_domain(def.domain);
  auto& list = ops_[{def.domain, def.op_type}];
  for (const OpDef& other : list) {
    bool overlap = def.since_version <= other.last_version && other.since_version <= def.last_version;
    ONNXI_CHECK(!overlap, ErrorCode::InvalidArgument, "op ", def.domain.empty() ? "" : def.domain + ".",
                def.op_type, " registered twice for overlapping opsets ", def.since_version, "..",
                def.last_version, " and ", other.since_version, "..", other.last_version);
  }
  list.push_back(std::move(def));
  std::sort(list.begin(), list.end(),
            [](const OpDef& a, const OpDef& b) { return a.since_version < b.since_version; });
}

const OpDef* Registry::find(const std::string& domain, const std::string& op_type, int64_t opset) const {
  auto it = ops_.find({canonical_domain(domain), op_type});
  if (it == ops_.end()) return nullptr;
  const OpDef* best = nullptr;
  for (const OpDef& d : it->second) {
    if (d.since_version <= opset && opset <= d.last_version) best = &d;
  }
  return best;
}

std::vector<const OpDef*> Registry::versions(const std::string& domain, const std::string& op_type) const {
  std::vector<const OpDef*> out;
  auto it = ops_.find({canonical_domain(domain), op_type});
  if (it != ops_.end()) {
    for (const OpDef& d : it->second) out.push_back(&d);
  }
  return out;
}

std::vector<const OpDef*> Registry::all() const {
  std::vector<const OpDef*> out;
  for (const auto& [key, list] : ops_) {
    for (const OpDef& d : list) out.push_back(&d);
  }
  return out;
}

namespace {

// The optional extras library (ops with heavy dependencies such as RE2) sits beside libonnxi.so.
// It is loaded explicitly here rather than registering itself, so nothing depends on link order.
bool g_extras_loaded = false;

void load_extras(Registry& r) {
  const char* off = std::getenv("ONNXI_NO_EXTRAS");
  if (off && *off && std::string(off) != "0") return;
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&register_standard_ops), &info) || !info.dli_fname) return;
  auto path = std::filesystem::path(info.dli_fname).parent_path() / "libonnxi_extras.so";
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) return;
  using RegisterFn = void (*)(Registry&);
  if (auto fn = reinterpret_cast<RegisterFn>(dlsym(handle, "onnxi_register_extras"))) {
    fn(r);
    g_extras_loaded = true;
  }
}

}  // namespace

bool Registry::is_extra_op(const std::string& domain, const std::string& op_type) {
  static const char* const kExtraOps[] = {"RegexFullMatch", "ImageDecoder"};
  if (!canonical_domain(domain).empty()) return false;
  for (const char* op : kExtraOps) {
    if (op_type == op) return true;
  }
  return false;
}

bool Registry::extras_loaded() {
  standard();
  return g_extras_loaded;
}

const Registry& Registry::standard() {
  static const Registry registry = [] {
    Registry r;
    register_standard_ops(r);
    load_extras(r);
    return r;
  }();
  return registry;
}

}  // namespace onnxi
