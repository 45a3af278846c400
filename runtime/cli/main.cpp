// onnxi: run, inspect and test ONNX models from the command line.
#include <cstdio>
#include <exception>
#include <iostream>
#include <vector>

#include "onnxi/error.h"
#include "runtime/cli/cli.h"

#ifndef ONNXI_VERSION
#define ONNXI_VERSION "0.1.0"
#endif

namespace onnxi::cli {

std::pair<std::string, std::string> split_assignment(const std::string& arg) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos) return {std::string(), arg};
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

}  // namespace onnxi::cli

int main(int argc, char** argv) {
  using namespace onnxi::cli;
  CLI::App app{"onnxi: an ONNX inference engine"};
  app.set_version_flag("--version", "onnxi " ONNXI_VERSION);
  app.require_subcommand(1);
  std::vector<Command> commands = {add_run_command(app), add_inspect_command(app),
                                   add_conformance_command(app), add_ops_command(app),
                                   add_optimize_command(app), add_memory_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  try {
    for (const Command& c : commands)
      if (c.app->parsed()) return c.run();
    return 2;
  } catch (const onnxi::Error& e) {
    std::cout.flush();
    std::fprintf(stderr, "onnxi: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::fprintf(stderr, "onnxi: error: %s\n", e.what());
    return 1;
  }
}
