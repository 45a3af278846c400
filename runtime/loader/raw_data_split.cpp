#include "runtime/loader/raw_data_split.h"

namespace onnxi::loader {
namespace {

// Field numbers of onnx.proto: ModelProto.graph, GraphProto.initializer, TensorProto.raw_data.
constexpr uint32_t kModelGraph = 7;
constexpr uint32_t kGraphInitializer = 5;
constexpr uint32_t kTensorRawData = 9;

enum Wire : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

struct Field {
  uint32_t number = 0;
  uint32_t wire = 0;
  size_t begin = 0;          // the key's first byte
  size_t payload = 0;        // a LEN field's first payload byte
  size_t payload_size = 0;
  size_t end = 0;            // one past the field
};

bool read_varint(const uint8_t* p, size_t end, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= end) return false;
    const uint8_t b = p[pos++];
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// The field at `pos` of a message ending at `end`.
bool read_field(const uint8_t* p, size_t end, size_t pos, Field& f) {
  f.begin = pos;
  uint64_t key = 0;
  if (!read_varint(p, end, pos, key) || key > UINT32_MAX || (key >> 3) == 0) return false;
  f.number = static_cast<uint32_t>(key >> 3);
  f.wire = static_cast<uint32_t>(key & 7);
  uint64_t v = 0;
  switch (f.wire) {
    case kVarint:
      if (!read_varint(p, end, pos, v)) return false;
      break;
    case kFixed64:
      if (end - pos < 8) return false;
      pos += 8;
      break;
    case kFixed32:
      if (end - pos < 4) return false;
      pos += 4;
      break;
    case kLen:
      if (!read_varint(p, end, pos, v) || v > end - pos) return false;
      f.payload = pos;
      f.payload_size = static_cast<size_t>(v);
      pos += f.payload_size;
      break;
    default:
      return false;  // groups: never in onnx.proto
  }
  f.end = pos;
  return true;
}

void append_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// The key and length of a LEN field (its number and wire type as in the original key).
void append_len_header(std::string& out, uint32_t number, size_t size) {
  append_varint(out, (uint64_t{number} << 3) | kLen);
  append_varint(out, size);
}

void append_bytes(std::string& out, const uint8_t* p, size_t begin, size_t end) {
  out.append(reinterpret_cast<const char*>(p) + begin, end - begin);
}

// A TensorProto's bytes without its raw_data, which `span` then locates; false when the tensor
// keeps its bytes as they are (no raw_data, a small one, or more than one).
bool strip_tensor(const uint8_t* p, size_t begin, size_t end, size_t min_bytes, std::string& out, RawSpan& span,
                  bool& ok) {
  Field raw;
  int raw_fields = 0;
  for (size_t pos = begin; pos < end;) {
    Field f;
    if (!read_field(p, end, pos, f)) {
      ok = false;
      return false;
    }
    if (f.number == kTensorRawData) {
      if (f.wire != kLen) {
        ok = false;
        return false;
      }
      raw = f;
      ++raw_fields;
    }
    pos = f.end;
  }
  if (raw_fields != 1 || raw.payload_size < min_bytes) return false;
  append_bytes(out, p, begin, raw.begin);
  append_bytes(out, p, raw.end, end);
  span.offset = raw.payload;
  span.size = raw.payload_size;
  span.present = true;
  return true;
}

bool split_graph(const uint8_t* p, size_t begin, size_t end, size_t min_bytes, std::string& out,
                 std::vector<RawSpan>& spans) {
  std::string tensor;
  for (size_t pos = begin; pos < end;) {
    Field f;
    if (!read_field(p, end, pos, f)) return false;
    pos = f.end;
    if (f.number != kGraphInitializer) {
      append_bytes(out, p, f.begin, f.end);
      continue;
    }
    if (f.wire != kLen) return false;
    RawSpan span;
    tensor.clear();
    bool ok = true;
    if (strip_tensor(p, f.payload, f.payload + f.payload_size, min_bytes, tensor, span, ok)) {
      append_len_header(out, f.number, tensor.size());
      out += tensor;
    } else {
      if (!ok) return false;
      append_bytes(out, p, f.begin, f.end);
    }
    spans.push_back(span);
  }
  return true;
}

}  // namespace

bool split_raw_data(const uint8_t* data, size_t size, size_t min_bytes, SplitModel& out) {
  out.stripped.clear();
  out.initializer_raw.clear();
  const Field* graph = nullptr;
  Field graph_field;
  for (size_t pos = 0; pos < size;) {
    Field f;
    if (!read_field(data, size, pos, f)) return false;
    pos = f.end;
    if (f.number == kModelGraph) {
      // A repeated singular message field merges in protobuf; leave that to protobuf.
      if (graph != nullptr || f.wire != kLen) return false;
      graph_field = f;
      graph = &graph_field;
    }
  }
  if (graph == nullptr) return false;
  std::string body;
  body.reserve(1 << 16);
  if (!split_graph(data, graph->payload, graph->payload + graph->payload_size, min_bytes, body, out.initializer_raw)) {
    return false;
  }
  out.stripped.reserve(size - graph->payload_size + body.size() + 16);
  append_bytes(out.stripped, data, 0, graph->begin);
  append_len_header(out.stripped, graph->number, body.size());
  out.stripped += body;
  append_bytes(out.stripped, data, graph->end, size);
  return true;
}

}  // namespace onnxi::loader
