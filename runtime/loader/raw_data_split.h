// Splitting a ModelProto's large initializer payloads off before protobuf parses it.
// Internal to runtime/loader.
//
// ParseFromArray copies every `raw_data` into a string of its own, one after another. Instead the
// loader scans the wire format for the top-level graph's initializers, drops their large raw_data
// fields from a copy of the bytes (everything else stays byte for byte), parses that, and copies
// the payloads from the caller's bytes into 64-byte aligned buffers, concurrently on the session's
// threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace onnxi::loader {

struct RawSpan {
  size_t offset = 0;  // into the original bytes
  size_t size = 0;
  bool present = false;
};

struct SplitModel {
  std::string stripped;                // the ModelProto without the payloads below
  std::vector<RawSpan> initializer_raw;  // per top-level graph initializer, in order
};

// False, leaving the model to a plain parse, for anything unusual: bytes that are not a well-formed
// message, a graph field that is absent or repeated, a tensor with raw_data twice, groups.
bool split_raw_data(const uint8_t* data, size_t size, size_t min_bytes, SplitModel& out);

}  // namespace onnxi::loader
