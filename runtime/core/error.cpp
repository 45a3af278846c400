#include "onnxi/error.h"

namespace onnxi {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::InvalidModel: return "invalid model";
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::NotImplemented: return "not implemented";
    case ErrorCode::Runtime: return "runtime error";
    case ErrorCode::Io: return "I/O error";
    case ErrorCode::Cancelled: return "cancelled";
  }
  return "error";
}

Error::Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}

void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

}  // namespace onnxi
