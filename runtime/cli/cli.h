// The onnxi command's subcommands. Each adds itself to the CLI11 app and returns the function that
// runs it once parsing succeeded, so parsing errors (exit 2) stay apart from run errors (exit 1).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <utility>

namespace onnxi::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_run_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_conformance_command(CLI::App& app);
Command add_ops_command(CLI::App& app);
Command add_optimize_command(CLI::App& app);
Command add_memory_command(CLI::App& app);

// "NAME=VALUE" split at the first '='; nullopt-like empty name when there is no '='.
std::pair<std::string, std::string> split_assignment(const std::string& arg);

// The body of `onnxi ops --markdown` (docs/OPERATORS.md).
std::string operators_markdown();

}  // namespace onnxi::cli
