// `onnxi run MODEL`: feeds given or random inputs, prints a summary of every output and the latency.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "onnxi/error.h"
#include "onnxi/float_types.h"
#include "onnxi/loader.h"
#include "onnxi/session.h"
#include "runtime/cli/cli.h"
#include "runtime/cli/compare.h"
#include "runtime/cli/npy.h"

namespace onnxi::cli {
namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  int threads = 0;
  std::string device = "cpu";
  int repeat = 0;
  double warmup_ms = 0;
  std::string save_dir;
  std::vector<std::string> dims;
  int top = 0;
  uint64_t seed = 0;
  bool profile = false;
  int profile_nodes = 20;
  bool print_times = false;
  bool paced = false;
};

constexpr int64_t kShownValues = 8;

std::optional<int64_t> parse_int(const std::string& s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Sizes for symbolic dims: --dim values, else 1 (remembered, to tell the user).
class DimResolver {
 public:
  explicit DimResolver(const std::vector<std::string>& args) {
    for (const std::string& a : args) {
      auto [name, value] = split_assignment(a);
      given_[name] = *parse_int(value);  // the option's validator checked the form
    }
  }
  int64_t size_of(const Dim& d, const std::string& input, size_t axis) {
    if (d.is_known()) return d.value;
    if (!d.param.empty()) {
      auto it = given_.find(d.param);
      if (it != given_.end()) {
        used_.insert(d.param);
        return it->second;
      }
    }
    std::string label = d.param.empty() ? cat("?(", input, " axis ", axis, ")") : d.param;
    if (std::find(defaulted_.begin(), defaulted_.end(), label) == defaulted_.end()) defaulted_.push_back(label);
    return 1;
  }
  const std::vector<std::string>& defaulted() const { return defaulted_; }
  std::vector<std::string> unused() const {
    std::vector<std::string> out;
    for (const auto& [name, v] : given_)
      if (!used_.count(name)) out.push_back(name);
    return out;
  }

 private:
  std::map<std::string, int64_t> given_;
  std::set<std::string> used_;
  std::vector<std::string> defaulted_;
};

// Floats uniform in [-1, 1); integers in [0, 10), small enough to be valid indices for most models.
Tensor random_tensor(DataType dtype, const Shape& shape, std::mt19937_64& rng) {
  Tensor t(dtype, shape);
  int64_t n = t.numel();
  if (dtype == DataType::String) {
    std::uniform_int_distribution<int> letter('a', 'z');
    for (int64_t i = 0; i < n; ++i) t.data<std::string>()[i] = std::string(3, static_cast<char>(letter(rng)));
    return t;
  }
  if (is_complex(dtype)) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (int64_t i = 0; i < 2 * n; ++i) {
      if (dtype == DataType::Complex64) t.data<float>()[i] = static_cast<float>(u(rng));
      else t.data<double>()[i] = u(rng);
    }
    return t;
  }
  if (dtype == DataType::Int64 || dtype == DataType::UInt64) {
    std::uniform_int_distribution<int64_t> u(0, 9);
    for (int64_t i = 0; i < n; ++i) t.data<int64_t>()[i] = u(rng);
    return t;
  }
  std::vector<double> values(static_cast<size_t>(n));
  if (is_floating(dtype)) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (double& v : values) v = u(rng);
  } else {
    std::uniform_int_distribution<int> u(0, dtype == DataType::Bool ? 1 : 9);
    for (double& v : values) v = u(rng);
  }
  if (n > 0) convert_from_f64(dtype, values.data(), t.raw(), n);
  return t;
}

const char* random_range(DataType dtype) {
  if (dtype == DataType::Bool) return "random true/false";
  if (dtype == DataType::String) return "random 3-letter strings";
  return is_floating(dtype) || is_complex(dtype) ? "random uniform [-1, 1)" : "random integers [0, 10)";
}

Value random_value(const TypeInfo& type, const std::string& name, DimResolver& dims, std::mt19937_64& rng) {
  switch (type.kind) {
    case TypeInfo::Kind::Tensor: {
      ONNXI_CHECK(type.has_shape, ErrorCode::InvalidArgument, "input '", name, "' (", type.str(),
                  ") has no known rank, so no random value can be made for it: pass --input ", name,
                  "=FILE.npy");
      Shape shape;
      for (size_t i = 0; i < type.dims.size(); ++i) shape.push_back(dims.size_of(type.dims[i], name, i));
      return random_tensor(type.elem, shape, rng);
    }
    case TypeInfo::Kind::Sequence:
      if (type.inner) {
        return Value::sequence(type.inner->elem, {random_value(*type.inner, name, dims, rng)});
      }
      break;
    case TypeInfo::Kind::Optional:
      if (type.inner) return Value::optional_of(random_value(*type.inner, name, dims, rng));
      break;
    default:
      break;
  }
  fail(ErrorCode::InvalidArgument, cat("input '", name, "' has type ", type.str(),
                                       ", for which no random value can be made: pass --input ", name,
                                       "=FILE.pb"));
}

Value load_input(const IoInfo& input, const std::string& path) {
  auto ends_with = [&](const char* ext) {
    std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends_with(".npy")) {
    Tensor t = read_npy(path);
    if (input.type.is_tensor() && input.type.elem != DataType::Undefined && input.type.elem != t.dtype()) {
      fail(ErrorCode::InvalidArgument,
           cat("input '", input.name, "' is ", dtype_name(input.type.elem), " but ", path, " holds ",
               dtype_name(t.dtype()), ": convert it, e.g. arr.astype(np.", dtype_name(input.type.elem), ")"));
    }
    return t;
  }
  if (ends_with(".pb")) return load_value_file(path, &input.type);
  fail(ErrorCode::InvalidArgument,
       cat("--input ", input.name, "=", path, ": the file must be a .npy or a .pb (TensorProto) file"));
}

std::map<std::string, Value> make_feeds(const Session& session, const RunArgs& args, std::mt19937_64& rng) {
  std::map<std::string, Value> feeds;
  std::map<std::string, std::string> sources;
  const auto& inputs = session.inputs();
  auto names = [&] {
    std::string s;
    for (const IoInfo& io : inputs) s += (s.empty() ? "" : ", ") + io.name;
    return s.empty() ? std::string("none") : s;
  };
  for (const std::string& arg : args.inputs) {
    auto [name, path] = split_assignment(arg);
    const IoInfo* target = nullptr;
    if (name.empty()) {  // a bare FILE feeds the first input not fed yet
      for (const IoInfo& io : inputs)
        if (!feeds.count(io.name)) { target = &io; break; }
      ONNXI_CHECK(target != nullptr, ErrorCode::InvalidArgument, "--input ", arg,
                  ": every model input is fed already (inputs: ", names(), ")");
    } else {
      for (const IoInfo& io : inputs)
        if (io.name == name) target = &io;
      ONNXI_CHECK(target != nullptr, ErrorCode::InvalidArgument, "--input ", arg, ": the model has no input '",
                  name, "' (inputs: ", names(), ")");
      ONNXI_CHECK(!feeds.count(name), ErrorCode::InvalidArgument, "input '", name, "' is given twice");
    }
    feeds[target->name] = load_input(*target, path);
    sources[target->name] = "from " + path;
  }

  DimResolver dims(args.dims);
  for (const IoInfo& io : inputs) {
    if (feeds.count(io.name)) continue;
    Value v = random_value(io.type, io.name, dims, rng);
    sources[io.name] = random_range(io.type.is_tensor() ? io.type.elem
                                    : io.type.inner  ? io.type.inner->elem
                                                     : DataType::Float);
    feeds[io.name] = std::move(v);
  }
  for (const IoInfo& io : inputs)
    std::cout << "input '" << io.name << "': " << feeds[io.name].describe() << "  " << sources[io.name] << "\n";
  if (!dims.defaulted().empty()) {
    std::string list;
    for (const std::string& d : dims.defaulted()) list += (list.empty() ? "" : ", ") + d;
    std::cout << "note: free dims set to 1: " << list << " (choose sizes with --dim NAME=VALUE)\n";
  }
  for (const std::string& d : dims.unused())
    std::cerr << "onnxi: warning: --dim " << d << ": no random input has a dim named '" << d << "'\n";
  return feeds;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void print_tensor_summary(const Tensor& t, const std::string& indent) {
  if (t.numel() == 0) {
    std::cout << indent << "(no elements)\n";
    return;
  }
  int64_t shown = std::min(t.numel(), kShownValues);
  if (t.dtype() != DataType::String && !is_complex(t.dtype())) {
    std::vector<double> v = tensor_to_f64(t);
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    int64_t finite = 0, nan = 0, inf = 0;
    for (double x : v) {
      if (std::isnan(x)) { ++nan; continue; }
      if (std::isinf(x)) { ++inf; continue; }
      lo = std::min(lo, x);
      hi = std::max(hi, x);
      sum += x;
      ++finite;
    }
    std::cout << indent;
    if (t.dtype() == DataType::Bool) {
      std::cout << "true: " << static_cast<int64_t>(sum) << " of " << t.numel();
    } else {
      if (finite > 0) std::cout << "min " << fmt(lo) << "  max " << fmt(hi) << "  mean " << fmt(sum / finite);
      if (nan > 0) std::cout << "  NaN: " << nan;
      if (inf > 0) std::cout << "  inf: " << inf;
    }
    std::cout << "\n";
  }
  // Six digits read better in a summary; integers and strings stay exact.
  bool real = is_floating(t.dtype());
  std::cout << indent << "values: ";
  for (int64_t i = 0; i < shown; ++i) std::cout << (i ? ", " : "") << (real ? fmt(t.element_as_double(i)) : format_element(t, i));
  if (shown < t.numel()) std::cout << ", ... (first " << shown << " of " << t.numel() << ")";
  std::cout << "\n";
}

void print_value(const Value& v, const std::string& indent) {
  switch (v.kind()) {
    case Value::Kind::Tensor:
      print_tensor_summary(v.tensor(), indent);
      break;
    case Value::Kind::Sequence:
      for (size_t i = 0; i < v.items().size() && i < 4; ++i) {
        std::cout << indent << "item " << i << ": " << v.items()[i].describe() << "\n";
        print_value(v.items()[i], indent + "  ");
      }
      if (v.items().size() > 4) std::cout << indent << "... (" << v.items().size() - 4 << " more items)\n";
      break;
    case Value::Kind::Optional:
      if (v.optional_has_value()) print_value(v.optional_value(), indent);
      break;
    case Value::Kind::Map:
      std::cout << indent << "keys: " << v.items().at(0).describe() << "\n";
      print_value(v.items().at(0), indent + "  ");
      std::cout << indent << "values: " << v.items().at(1).describe() << "\n";
      print_value(v.items().at(1), indent + "  ");
      break;
    case Value::Kind::None:
      break;
  }
}

void print_top(const Value& first, const std::string& name, int k) {
  ONNXI_CHECK(first.is_tensor() && first.tensor().dtype() != DataType::String && !is_complex(first.tensor().dtype()),
              ErrorCode::InvalidArgument, "--top needs a real-valued tensor as the first output; '", name,
              "' is ", first.describe());
  const Tensor& t = first.tensor();
  int64_t row = t.rank() == 0 ? 1 : t.shape().back();
  row = std::min(row, t.numel());
  std::vector<double> all = tensor_to_f64(t);
  std::vector<int64_t> idx(static_cast<size_t>(row));
  for (int64_t i = 0; i < row; ++i) idx[static_cast<size_t>(i)] = i;
  auto count = static_cast<size_t>(std::min<int64_t>(k, row));
  // NaN sorts last so it never hides a real maximum.
  auto key = [&](int64_t i) { double x = all[static_cast<size_t>(i)]; return std::isnan(x) ? -INFINITY : x; };
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(count), idx.end(),
                    [&](int64_t a, int64_t b) { return key(a) > key(b) || (key(a) == key(b) && a < b); });
  std::cout << "top " << count << " of output '" << name << "' (first row of the last axis, " << row
            << " values):\n";
  for (size_t r = 0; r < count; ++r)
    std::cout << "  " << r + 1 << ". index " << idx[r] << "  "
              << (is_floating(t.dtype()) ? fmt(all[static_cast<size_t>(idx[r])]) : format_element(t, idx[r])) << "\n";
}

std::string file_name_for(const std::string& output, size_t index) {
  if (output.empty()) return cat("output_", index);
  std::string s = output;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return s;
}

// numpy lacks bfloat16, the float8/float4/float6 types and 4-/2-bit ints: those are saved widened to
// float32, int8 or uint8. Undefined for what .npy cannot hold at all (strings, complex).
Tensor widen_for_npy(const Tensor& t) {
  if (npy_supports(t.dtype())) return t;
  DataType wide = is_floating(t.dtype())         ? DataType::Float
                  : is_signed_integer(t.dtype()) ? DataType::Int8
                  : is_integer(t.dtype())        ? DataType::UInt8
                                                 : DataType::Undefined;
  if (wide == DataType::Undefined) return Tensor();
  Tensor out(wide, t.shape());
  std::vector<double> values = tensor_to_f64(t);
  if (!values.empty()) convert_from_f64(wide, values.data(), out.raw(), t.numel());
  return out;
}

void save_outputs(const Session& session, const std::vector<Value>& outputs, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  ONNXI_CHECK(!ec, ErrorCode::Io, "--save-outputs: cannot create folder '", dir, "': ", ec.message());
  int saved = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string& name = session.outputs()[i].name;
    const Value& v = outputs[i];
    Tensor t = v.is_tensor() ? widen_for_npy(v.tensor()) : Tensor();
    if (!t.defined()) {
      std::cerr << "onnxi: warning: output '" << name << "' (" << v.describe()
                << ") not saved: .npy files hold only numeric and bool tensors\n";
      continue;
    }
    std::string path = (std::filesystem::path(dir) / (file_name_for(name, i) + ".npy")).string();
    write_npy(t, path);
    std::cout << "saved " << path;
    if (t.dtype() != v.tensor().dtype())
      std::cout << " (as " << dtype_name(t.dtype()) << ": numpy has no " << dtype_name(v.tensor().dtype()) << ")";
    std::cout << "\n";
    ++saved;
  }
  std::cout << "saved " << saved << " of " << outputs.size() << " outputs to " << dir << "\n";
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Time per op type and for the slowest nodes, averaged over the profiled runs, largest first, with
// each one's share of the time spent in nodes.
void print_profile(const RunProfile& profile, int max_nodes) {
  if (profile.runs == 0 || profile.nodes.empty()) return;
  double total = 0;
  std::map<std::string, std::pair<double, int>> by_op;
  for (const auto& n : profile.nodes) {
    total += n.total_ms;
    auto& [ms, count] = by_op[n.op_type];
    ms += n.total_ms;
    ++count;
  }
  const double runs = profile.runs;
  auto share = [&](double ms) { return total > 0 ? 100.0 * ms / total : 0.0; };
  char line[256];
  std::snprintf(line, sizeof line, "profile: %.3f ms per run in %zu nodes (mean of %d run%s)", total / runs,
                profile.nodes.size(), profile.runs, profile.runs == 1 ? "" : "s");
  std::cout << line << "\n  by op type:\n";
  std::vector<std::pair<std::string, std::pair<double, int>>> ops(by_op.begin(), by_op.end());
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  for (const auto& [op, v] : ops) {
    std::snprintf(line, sizeof line, "    %-24s %10.3f ms  %5.1f%%  (%d node%s)", op.c_str(), v.first / runs,
                  share(v.first), v.second, v.second == 1 ? "" : "s");
    std::cout << line << "\n";
  }
  std::vector<const RunProfile::NodeTime*> nodes;
  for (const auto& n : profile.nodes) nodes.push_back(&n);
  std::stable_sort(nodes.begin(), nodes.end(), [](const auto* a, const auto* b) { return a->total_ms > b->total_ms; });
  const size_t shown = std::min(nodes.size(), static_cast<size_t>(std::max(0, max_nodes)));
  std::cout << "  slowest " << shown << " of " << nodes.size() << " nodes:\n";
  for (size_t i = 0; i < shown; ++i) {
    std::snprintf(line, sizeof line, "    %10.3f ms  %5.1f%%  ", nodes[i]->total_ms / runs, share(nodes[i]->total_ms));
    std::cout << line << nodes[i]->node << "\n";
  }
}

int run_model(const RunArgs& args) {
  SessionOptions options;
  options.threads = args.threads;
  options.device = args.device;
  auto load_start = std::chrono::steady_clock::now();
  Session session = Session::from_file(args.model, options);
  double load_ms = ms_since(load_start);
  char created[96];
  std::snprintf(created, sizeof created, "session created in %.1f ms, %d thread%s", load_ms, session.threads(),
                session.threads() == 1 ? "" : "s");
  std::cout << "model: " << args.model << "  (" << created << ")\n";

  std::mt19937_64 rng(args.seed);
  std::map<std::string, Value> feeds = make_feeds(session, args, rng);

  std::vector<Value> outputs;
  std::vector<double> times;
  RunProfile profile;
  RunOptions run_options;
  if (args.profile) run_options.profile = &profile;
  // Warm-up, not timed: one run, then more until warmup_ms have passed (idle cores of a VM can
  // take milliseconds to come up to speed, longer than a short model's timed runs).
  int warmups = 0;
  const auto warm_up = [&](double ms) {
    const auto start = std::chrono::steady_clock::now();
    do {
      outputs = session.run(feeds);
      ++warmups;
    } while (ms_since(start) < ms);
  };
  if (args.paced) {
    // Blocks of timed runs on request, so that a harness can interleave onnxi with another engine
    // in one session each (bench/compare): a line "N [W]" on stdin runs W ms of warm-up (at least
    // one run when W > 0), then N timed runs, and answers with their "times ms:" line; EOF or a
    // line "quit" ends. The runs are then reported as --repeat's would be.
    warm_up(args.warmup_ms);
    std::cout << "paced: ready" << std::endl;
    std::string request;
    while (std::getline(std::cin, request) && request != "quit") {
      std::istringstream in(request);
      int n = 0;
      double block_warmup_ms = 0;
      if (!(in >> n) || n < 1) {
        throw Error(ErrorCode::InvalidArgument,
                    "onnxi run --paced: expected a line 'N [WARMUP_MS]' (N >= 1 timed runs) or 'quit', got '" +
                        request + "'");
      }
      in >> block_warmup_ms;
      if (block_warmup_ms > 0) warm_up(block_warmup_ms);
      std::string line = "times ms:";
      char t_text[32];
      for (int i = 0; i < n; ++i) {
        auto start = std::chrono::steady_clock::now();
        outputs = session.run(feeds, run_options);
        times.push_back(ms_since(start));
        std::snprintf(t_text, sizeof t_text, " %.4f", times.back());
        line += t_text;
      }
      std::cout << line << std::endl;
    }
  } else {
    if (args.repeat > 0) warm_up(args.warmup_ms);
    for (int i = 0; i < std::max(1, args.repeat); ++i) {
      auto start = std::chrono::steady_clock::now();
      outputs = session.run(feeds, run_options);
      times.push_back(ms_since(start));
    }
  }
  const bool timed = args.repeat > 0 || args.paced;

  for (size_t i = 0; i < outputs.size(); ++i) {
    std::cout << "output '" << session.outputs()[i].name << "': " << outputs[i].describe() << "\n";
    print_value(outputs[i], "  ");
  }
  char line[160];
  if (timed && args.print_times && !args.paced) {
    // In run order, for harnesses that pool several processes' runs (bench/compare --rounds).
    std::cout << "times ms:";
    for (double t : times) {
      std::snprintf(line, sizeof line, " %.4f", t);
      std::cout << line;
    }
    std::cout << "\n";
  }
  if (times.empty()) {
    std::snprintf(line, sizeof line, "latency: no timed runs (none was asked for)");
  } else if (timed) {
    std::sort(times.begin(), times.end());
    size_t n = times.size();
    double median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    std::snprintf(line, sizeof line, "latency: min / median / max = %.3f / %.3f / %.3f ms (%zu runs after %d warm-up%s)",
                  times.front(), median, times.back(), n, warmups, warmups == 1 ? "" : "s");
  } else {
    std::snprintf(line, sizeof line, "latency: %.3f ms (one run, includes first-run costs; --repeat N for steady timings)",
                  times.front());
  }
  std::cout << line << "\n";
  if (args.top > 0 && !outputs.empty()) print_top(outputs[0], session.outputs()[0].name, args.top);
  if (args.profile) print_profile(profile, args.profile_nodes);
  if (!args.save_dir.empty()) save_outputs(session, outputs, args.save_dir);
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("run", "Run a model on given or random inputs and print its outputs");
  sub->add_option("model", args->model, "the .onnx model")->required()->check(CLI::ExistingFile);
  sub->add_option("-i,--input", args->inputs,
                  "NAME=FILE.npy or NAME=FILE.pb (a bare FILE feeds the next input); repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_option("-t,--threads", args->threads, "intra-op threads (0: all cores)")->check(CLI::NonNegativeNumber);
  sub->add_option("--device", args->device, "cpu or cuda (cuda: the kernels exist, graphs do not run there yet)");
  sub->add_option("-r,--repeat", args->repeat, "one warm-up, then N timed runs")->check(CLI::NonNegativeNumber);
  sub->add_option("--warmup-ms", args->warmup_ms, "with --repeat: untimed runs until MS ms have passed (at least one)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--times", args->print_times, "with --repeat: also print each timed run's ms, in run order");
  sub->add_flag("--paced", args->paced,
                "time blocks of runs on request: each stdin line 'N [WARMUP_MS]' runs them and prints their "
                "'times ms:' line (for harnesses that interleave engines); EOF or 'quit' ends")
      ->excludes(sub->get_option("--repeat"));
  sub->add_option("--save-outputs", args->save_dir, "write each output to DIR/NAME.npy");
  sub->add_option("--dim", args->dims, "NAME=VALUE: size of a symbolic dim for random inputs; repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            auto [name, value] = split_assignment(s);
            auto v = parse_int(value);
            if (name.empty() || !v || *v < 0) return "expected NAME=VALUE with VALUE >= 0, got '" + s + "'";
            return {};
          },
          "NAME=VALUE"));
  sub->add_option("--top", args->top, "print the K largest values of the first output's last axis (first row)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--seed", args->seed, "seed of the random inputs");
  sub->add_flag("--profile", args->profile, "print the time per op type and the slowest nodes over the timed runs");
  sub->add_option("--profile-nodes", args->profile_nodes, "how many of the slowest nodes --profile lists (default 20)")
      ->check(CLI::NonNegativeNumber);
  return {sub, [args] { return run_model(*args); }};
}

}  // namespace onnxi::cli
