// Graph passes run at session creation between validation and kernel creation, by level:
//   none: nothing;
//   basic: no-op elimination (Identity, inference Dropout, same-type Cast, same-shape
//     Expand/Reshape/Slice/...), reshape chains, Shape/Size folding, constant folding, common
//     subexpression elimination, dead nodes and unused initializers, repeated until nothing changes;
//   extended: basic, then Conv + BatchNormalization and Conv + per-channel Mul/Add folded into the
//     Conv; LayerNorm / SkipLayerNorm / RMSNorm and GELU fused; spelled-out attention fused into
//     com.onnxi Attention (before the Transpose fold, which would take its K transpose); Transpose
//     folded into MatMul/Gemm; MatMul + bias + activation into FusedMatMul or Gemm; Conv +
//     Relu/Clip into FusedConv; then unused initializers again;
//   all: extended, then the blocked-channel (NCHWc) layout for conv regions (AVX-512 only).
// Basic and extended also run on If/Loop/Scan bodies (innermost first, before their graph), each
// body on a copy of its own, so a Model that shares bodies with the caller's is never changed.
// Each pass is a file of its own (runtime/passes/*.cpp, declared in pass_util.h); the ops they
// write are documented in docs/FUSED_OPS.md.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "onnxi/ir.h"
#include "onnxi/registry.h"

namespace onnxi::passes {

// What one pass did: its rewrites (nodes folded, removed, fused, rewired; initializers removed)
// and how the node count per op ("Conv", "com.onnxi::FusedConv") changed, bodies included.
struct PassStat {
  std::string pass;
  int changes = 0;
  std::map<std::string, int> op_delta;  // only ops whose count changed
  double ms = 0;                        // wall time spent in the pass
};

// Checks the level name ("none", "basic", "extended", "all"); an InvalidArgument error otherwise.
void check_level(const std::string& level);
// Rewrites the model's main graph at `level`. Returns the number of changes made; `report`, when
// given, gets one entry per pass that ran (repeated passes summed). `custom` is the session's
// custom registry: ops it provides are never folded, merged or removed. `initializers_writable`:
// the model's tensors belong to the caller alone (a session that just loaded the file), so a fold
// may overwrite an initializer in place when its buffer has no other holder and no other reader
// (and is not in a file the loader mapped read-only).
int run_passes(Model& model, const std::string& level, std::vector<PassStat>* report = nullptr,
               const Registry* custom = nullptr, bool initializers_writable = false);

// "Conv", or "domain::Op" outside ai.onnx: the key of PassStat::op_delta.
std::string op_key(const Node& n);
std::map<std::string, int> op_histogram(const Graph& g);

}  // namespace onnxi::passes
