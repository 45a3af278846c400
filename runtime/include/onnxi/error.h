// The one error type of onnxi. Every failure a user can cause (bad model, bad input, missing op)
// surfaces as onnxi::Error with a message that names the node, op and tensor involved and says what
// to do about it.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace onnxi {

enum class ErrorCode {
  InvalidModel,     // the model file or graph is malformed
  InvalidArgument,  // the caller passed bad inputs or options
  NotImplemented,   // a valid model needs something this build lacks (op, opset, type)
  Runtime,          // a failure while running (shape mismatch found at run time, ...)
  Io,               // files that cannot be read or written
  Cancelled,        // a run stopped by its deadline or cancellation flag
};

const char* error_code_name(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message);
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// Builds a message from any streamable pieces: cat("node '", name, "' has ", n, " inputs").
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}

[[noreturn]] void fail(ErrorCode code, const std::string& message);

}  // namespace onnxi

// Throws onnxi::Error(code, cat(...)) when cond is false.
#define ONNXI_CHECK(cond, code, ...)                               \
  do {                                                             \
    if (!(cond)) ::onnxi::fail((code), ::onnxi::cat(__VA_ARGS__)); \
  } while (0)
