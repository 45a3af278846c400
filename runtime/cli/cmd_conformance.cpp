// `onnxi conformance DIR...`: runs onnx backend-test cases, each in a forked child process, so a
// crash (a signal) or a hang (killed at --timeout) fails that one case and the run goes on.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "onnxi/error.h"
#include "runtime/cli/cli.h"
#include "runtime/cli/conformance.h"

namespace onnxi::cli {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

struct ConformanceArgs {
  std::vector<std::string> dirs;
  int jobs = 0;
  double timeout = 60;
  std::string report;
  std::string filter;
  bool verbose = false;
};

struct Case {
  std::string dir, suite, name;
  bool has_model = true;
  CaseOutcome outcome;
  double seconds = 0;
  std::string child_stderr;  // what the child wrote to stderr (tail), shown with --verbose
  bool done = false;
};

constexpr size_t kStderrKept = 4096;

bool is_case_dir(const fs::path& p) {
  std::error_code ec;
  if (fs::exists(p / "model.onnx", ec)) return true;
  for (const auto& e : fs::directory_iterator(p, ec))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) return true;
  return false;
}

// Each DIR is a case folder or a folder of case folders. Returns "" or the bad argument's message.
std::string collect_cases(const ConformanceArgs& args, std::vector<Case>& cases) {
  std::set<fs::path> seen;
  auto add = [&](const fs::path& raw) {
    fs::path p = fs::weakly_canonical(raw);
    if (!seen.insert(p).second) return;
    Case c;
    c.dir = p.string();
    c.name = p.filename().string();
    c.suite = p.parent_path().filename().string();
    c.has_model = fs::exists(p / "model.onnx");
    if (!args.filter.empty() && (c.suite + "/" + c.name).find(args.filter) == std::string::npos) return;
    cases.push_back(std::move(c));
  };
  for (const std::string& d : args.dirs) {
    fs::path p(d);
    if (is_case_dir(p)) {
      add(p);
      continue;
    }
    std::vector<fs::path> children;
    for (const auto& e : fs::directory_iterator(p))
      if (e.is_directory() && is_case_dir(e.path())) children.push_back(e.path());
    if (children.empty()) return d + " holds no model.onnx and no case folders";
    std::sort(children.begin(), children.end());
    for (const fs::path& c : children) add(c);
  }
  return {};
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// The last non-empty line a crashed child printed (an assertion message, say).
std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of(" \n\r\t");
  if (end == std::string::npos) return {};
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

[[noreturn]] void child_main(const Case& c, int threads, int result_fd, int stderr_fd) {
  int devnull = open("/dev/null", O_WRONLY);
  if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
  dup2(stderr_fd, STDERR_FILENO);
  CaseOutcome outcome = run_case(c.dir, threads);
  std::string msg = json{{"status", outcome.status}, {"reason", outcome.reason}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  const char* p = msg.data();
  size_t left = msg.size();
  while (left > 0) {
    ssize_t n = write(result_fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  // _exit: no static destructors or thread-pool teardown in a forked child.
  _exit(0);
}

struct Running {
  size_t index;
  pid_t pid;
  int result_fd;
  int stderr_fd;
  std::string result;
  Clock::time_point start, deadline;
};

class Scheduler {
 public:
  Scheduler(std::vector<Case>& cases, const ConformanceArgs& args, int jobs, int threads)
      : cases_(cases), args_(args), jobs_(jobs), threads_(threads) {}

  void run() {
    size_t next = 0;
    while (next < cases_.size() || !running_.empty()) {
      while (running_.size() < static_cast<size_t>(jobs_) && next < cases_.size()) {
        Case& c = cases_[next];
        if (!c.has_model) {
          finish(next++, {"skipped", "model.onnx is missing"}, 0);
        } else {
          start(next++);
        }
      }
      if (!running_.empty()) wait_some();
    }
  }

  int passed = 0, failed = 0, skipped = 0;

 private:
  void start(size_t index) {
    int result_pipe[2], err_pipe[2];
    if (pipe2(result_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
      fail(ErrorCode::Runtime, cat("conformance: pipe() failed: ", std::strerror(errno)));
    std::cout.flush();
    std::cerr.flush();
    // Read the clock before fork: the child may finish before the parent runs again.
    Clock::time_point now = Clock::now();
    pid_t pid = fork();
    if (pid < 0) fail(ErrorCode::Runtime, cat("conformance: fork() failed: ", std::strerror(errno)));
    if (pid == 0) {
      close(result_pipe[0]);
      close(err_pipe[0]);
      child_main(cases_[index], threads_, result_pipe[1], err_pipe[1]);
    }
    close(result_pipe[1]);
    close(err_pipe[1]);
    auto limit = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args_.timeout));
    running_.push_back({index, pid, result_pipe[0], err_pipe[0], {}, now, now + limit});
  }

  // Reads what is there without blocking; returns false at end of file.
  static bool drain(int fd, std::string& into, size_t keep) {
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return n < 0 && errno == EAGAIN;
      into.append(buf, static_cast<size_t>(n));
      if (keep && into.size() > keep) into.erase(0, into.size() - keep);
      return true;
    }
  }

  void wait_some() {
    std::vector<pollfd> fds;
    Clock::time_point nearest = Clock::time_point::max();
    for (const Running& r : running_) {
      if (r.result_fd >= 0) fds.push_back({r.result_fd, POLLIN, 0});
      if (r.stderr_fd >= 0) fds.push_back({r.stderr_fd, POLLIN, 0});
      nearest = std::min(nearest, r.deadline);
    }
    auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(nearest - Clock::now()).count();
    // A child that closed its pipes is reaped on the next pass; poll briefly then.
    if (fds.size() < 2 * running_.size()) wait_ms = std::min<long long>(wait_ms, 5);
    int ready = poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(wait_ms, 0, 1000)));
    if (ready < 0 && errno != EINTR) fail(ErrorCode::Runtime, cat("conformance: poll() failed: ", std::strerror(errno)));

    for (size_t i = 0; i < running_.size();) {
      Running& r = running_[i];
      Case& c = cases_[r.index];
      for (int* fd : {&r.result_fd, &r.stderr_fd}) {
        if (*fd < 0 || !is_ready(fds, *fd)) continue;
        bool more = fd == &r.result_fd ? drain(*fd, r.result, 0) : drain(*fd, c.child_stderr, kStderrKept);
        if (!more) {
          close(*fd);
          *fd = -1;
        }
      }
      if (reap(r) || kill_if_late(r)) {
        running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }

  static bool is_ready(const std::vector<pollfd>& fds, int fd) {
    for (const pollfd& p : fds)
      if (p.fd == fd) return (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    return false;
  }

  bool reap(Running& r) {
    if (r.result_fd >= 0 || r.stderr_fd >= 0) return false;
    int status = 0;
    pid_t got = waitpid(r.pid, &status, WNOHANG);
    if (got == 0) return false;
    double seconds = std::chrono::duration<double>(Clock::now() - r.start).count();
    Case& c = cases_[r.index];
    CaseOutcome outcome;
    if (got < 0) {
      outcome = {"failed", cat("lost the child process: ", std::strerror(errno))};
    } else if (WIFSIGNALED(status)) {
      std::string why = last_line(c.child_stderr);
      outcome = {"failed", one_line("crashed: " + signal_name(WTERMSIG(status)) + (why.empty() ? "" : " (" + why + ")"))};
    } else {
      json j = json::parse(r.result, nullptr, false);
      if (j.is_object() && j.value("status", "") != "" && j.contains("reason")) {
        outcome = {j["status"].get<std::string>(), j["reason"].get<std::string>()};
      } else {
        std::string why = last_line(c.child_stderr);
        outcome = {"failed", one_line(cat("exited with status ", WEXITSTATUS(status), " without a result",
                                          why.empty() ? "" : " (" + why + ")"))};
      }
    }
    finish(r.index, outcome, seconds);
    return true;
  }

  bool kill_if_late(Running& r) {
    if (Clock::now() < r.deadline) return false;
    kill(r.pid, SIGKILL);
    waitpid(r.pid, nullptr, 0);
    for (int fd : {r.result_fd, r.stderr_fd})
      if (fd >= 0) close(fd);
    char why[64];
    std::snprintf(why, sizeof why, "timed out after %gs", args_.timeout);
    finish(r.index, {"failed", why}, std::chrono::duration<double>(Clock::now() - r.start).count());
    return true;
  }

  void finish(size_t index, CaseOutcome outcome, double seconds) {
    Case& c = cases_[index];
    c.outcome = std::move(outcome);
    c.seconds = seconds;
    c.done = true;
    if (c.outcome.status == "passed") ++passed;
    else if (c.outcome.status == "skipped") ++skipped;
    else ++failed;
    ++completed_;
    if (completed_ % 100 == 0 || completed_ == cases_.size())
      std::cerr << "conformance: " << completed_ << "/" << cases_.size() << " cases: " << passed << " passed, "
                << failed << " failed, " << skipped << " skipped\n";
    // Results print in case order, as soon as every earlier case is done.
    while (printed_ < cases_.size() && cases_[printed_].done) print(cases_[printed_++]);
  }

  void print(const Case& c) const {
    std::string id = c.suite + "/" + c.name;
    if (c.outcome.status == "failed") {
      std::cout << "FAIL " << id << ": " << c.outcome.reason << "\n";
    } else if (args_.verbose) {
      if (c.outcome.status == "passed") {
        char t[32];
        std::snprintf(t, sizeof t, "%.3f", c.seconds);
        std::cout << "PASS " << id << " (" << t << " s)\n";
      } else {
        std::cout << "SKIP " << id << ": " << c.outcome.reason << "\n";
      }
    }
    if (args_.verbose && c.outcome.status == "failed" && !c.child_stderr.empty()) {
      std::cout << "  stderr of " << id << ":\n";
      std::string line;
      for (char ch : c.child_stderr) {
        if (ch != '\n') { line += ch; continue; }
        std::cout << "    " << line << "\n";
        line.clear();
      }
      if (!line.empty()) std::cout << "    " << line << "\n";
    }
    std::cout.flush();
  }

  std::vector<Case>& cases_;
  const ConformanceArgs& args_;
  int jobs_;
  int threads_;
  std::vector<Running> running_;
  size_t completed_ = 0;
  size_t printed_ = 0;
};

void write_report(const std::string& path, const std::vector<Case>& cases, const Scheduler& s) {
  json list = json::array();
  for (const Case& c : cases)
    list.push_back({{"suite", c.suite}, {"name", c.name}, {"status", c.outcome.status}, {"reason", c.outcome.reason},
                    {"seconds", std::round(c.seconds * 1000) / 1000}});
  json report = {{"cases", list}, {"passed", s.passed}, {"failed", s.failed}, {"skipped", s.skipped}};
  std::ofstream f(path, std::ios::trunc);
  ONNXI_CHECK(f.good(), ErrorCode::Io, "--report: cannot open '", path, "' for writing");
  f << report.dump(1, ' ', false, json::error_handler_t::replace) << "\n";
  f.close();
  ONNXI_CHECK(!f.fail(), ErrorCode::Io, "--report: writing '", path, "' failed");
}

int run_conformance(const ConformanceArgs& args) {
  std::vector<Case> cases;
  std::string bad = collect_cases(args, cases);
  if (!bad.empty()) {
    std::cerr << "onnxi: error: " << bad << "\n";
    return 2;
  }
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int jobs = args.jobs > 0 ? args.jobs : cores;
  // Cases run side by side; splitting the cores between them avoids oversubscription.
  int threads = std::max(1, cores / jobs);
  std::cerr << "conformance: " << cases.size() << " cases, " << jobs << " at a time, " << threads
            << (threads == 1 ? " thread" : " threads") << " each\n";

  // A child killed while writing must not take the parent down with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  Scheduler scheduler(cases, args, jobs, threads);
  scheduler.run();
  if (!args.report.empty()) write_report(args.report, cases, scheduler);
  std::cout << scheduler.passed << " passed, " << scheduler.failed << " failed, " << scheduler.skipped
            << " skipped\n";
  return 0;
}

}  // namespace

Command add_conformance_command(CLI::App& app) {
  auto args = std::make_shared<ConformanceArgs>();
  CLI::App* sub = app.add_subcommand("conformance", "Run onnx backend-test cases (model.onnx + test_data_set_*)");
  sub->add_option("dirs", args->dirs, "case folders, or folders of case folders")
      ->required()
      ->check(CLI::ExistingDirectory);
  sub->add_option("-j,--jobs", args->jobs, "cases run at a time (default: the number of cores)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--timeout", args->timeout, "seconds before a case is killed and failed")
      ->check(CLI::PositiveNumber);
  sub->add_option("--report", args->report, "write every case's result to FILE.json");
  sub->add_option("--filter", args->filter, "only cases whose suite/name contains SUBSTR");
  sub->add_flag("-v,--verbose", args->verbose, "also print passed and skipped cases, and failed cases' stderr");
  return {sub, [args] { return run_conformance(*args); }};
}

}  // namespace onnxi::cli
