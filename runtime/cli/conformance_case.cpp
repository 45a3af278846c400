#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "onnxi/error.h"
#include "onnxi/loader.h"
#include "onnxi/session.h"
#include "runtime/cli/compare.h"
#include "runtime/cli/conformance.h"

namespace onnxi::cli {
namespace fs = std::filesystem;
namespace {

Tolerance read_tolerance(const fs::path& dir) {
  Tolerance tol;
  fs::path path = dir / "data.json";
  if (!fs::exists(path)) return tol;
  std::ifstream f(path);
  nlohmann::json j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  ONNXI_CHECK(j.is_object(), ErrorCode::InvalidArgument, path.string(), " is not a JSON object");
  if (j.contains("rtol") && j["rtol"].is_number()) tol.rtol = j["rtol"].get<double>();
  if (j.contains("atol") && j["atol"].is_number()) tol.atol = j["atol"].get<double>();
  return tol;
}

// test_data_set_0, _1, ... in numeric order (test_data_set_10 after _9).
std::vector<fs::path> data_sets(const fs::path& dir) {
  std::vector<std::pair<long, fs::path>> found;
  const std::string prefix = "test_data_set_";
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.rfind(prefix, 0) != 0) continue;
    found.emplace_back(std::strtol(name.c_str() + prefix.size(), nullptr, 10), entry.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& [n, p] : found) out.push_back(p);
  return out;
}

// An error that only says this build lacks an optional part (a GPU backend, an optional library):
// such a case is skipped, not failed. Ops that are simply missing are failures.
bool needs_missing_component(const Error& e) {
  if (e.code() != ErrorCode::NotImplemented) return false;
  std::string m = e.what();
  return m.find("optional component") != std::string::npos || m.find("needs a GPU") != std::string::npos;
}

std::string run_data_set(const Session& session, const fs::path& ds, const Tolerance& tol) {
  const Graph& g = session.model().graph;
  std::vector<const ValueInfo*> feedable;
  for (const ValueInfo& in : g.inputs)
    if (!g.initializers.count(in.name)) feedable.push_back(&in);

  std::map<std::string, Value> feeds;
  for (size_t k = 0;; ++k) {
    fs::path file = ds / ("input_" + std::to_string(k) + ".pb");
    if (!fs::exists(file)) break;
    ONNXI_CHECK(k < feedable.size(), ErrorCode::InvalidArgument, file.filename().string(),
                " has no matching graph input (the graph has ", feedable.size(), " inputs to feed)");
    feeds[feedable[k]->name] = load_value_file(file.string(), &feedable[k]->type);
  }
  // Two runs on the same feeds, the second one judged: a kernel that writes into its inputs (or
  // keeps state between runs) then fails here rather than in a user's second inference.
  session.run(feeds);
  std::vector<Value> outputs = session.run(feeds);

  size_t expected_count = 0;
  while (fs::exists(ds / ("output_" + std::to_string(expected_count) + ".pb"))) ++expected_count;
  if (outputs.size() != expected_count)
    return cat("the run returned ", outputs.size(), " outputs, the test data has ", expected_count);
  for (size_t k = 0; k < outputs.size(); ++k) {
    const TypeInfo* type = k < g.outputs.size() ? &g.outputs[k].type : &session.outputs()[k].type;
    fs::path file = ds / ("output_" + std::to_string(k) + ".pb");
    Value expected = load_value_file(file.string(), type);
    std::string diff = compare_values(outputs[k], expected, tol, "output '" + session.outputs()[k].name + "'");
    if (!diff.empty()) return diff;
  }
  return {};
}

}  // namespace

std::string one_line(const std::string& text, size_t limit) {
  std::string s;
  for (char c : text) s += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (s.size() > limit) s = s.substr(0, limit - 3) + "...";
  return s;
}

CaseOutcome run_case(const std::string& dir, int threads) {
  try {
    fs::path case_dir(dir);
    Tolerance tol = read_tolerance(case_dir);
    SessionOptions options;
    options.threads = threads;
    Session session = Session::from_file((case_dir / "model.onnx").string(), options);
    std::vector<fs::path> sets = data_sets(case_dir);
    if (sets.empty()) return {"failed", "the case has no test_data_set_* folder"};
    for (const fs::path& ds : sets) {
      std::string diff = run_data_set(session, ds, tol);
      if (diff.empty()) continue;
      if (sets.size() > 1) diff = ds.filename().string() + ": " + diff;
      return {"failed", one_line(diff)};
    }
    return {"passed", {}};
  } catch (const Error& e) {
    if (needs_missing_component(e)) return {"skipped", one_line(e.what())};
    return {"failed", one_line(e.what())};
  } catch (const std::exception& e) {
    return {"failed", one_line(std::string("internal error (not an onnxi::Error): ") + e.what())};
  } catch (...) {
    return {"failed", "internal error: an unknown exception"};
  }
}

}  // namespace onnxi::cli
