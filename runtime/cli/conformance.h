// Running one conformance case (an onnx backend-test folder) in the current process. The
// `conformance` command calls this in a forked child per case, so a crash or hang costs one case.
#pragma once

#include <string>

namespace onnxi::cli {

struct CaseOutcome {
  std::string status;  // "passed" | "failed" | "skipped"
  std::string reason;  // "" when passed
};

// Loads DIR/model.onnx, runs every DIR/test_data_set_*/ and compares the outputs. Never throws.
CaseOutcome run_case(const std::string& dir, int threads);

// A reason as one line of at most `limit` characters (newlines and tabs become spaces).
std::string one_line(const std::string& text, size_t limit = 200);

}  // namespace onnxi::cli
