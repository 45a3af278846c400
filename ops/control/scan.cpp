// Scan: runs its body once per slice of the scan inputs, threading N state values through and
// stacking K per-iteration outputs. Body inputs: (N states, M scan-input slices); body outputs:
// (N states, K scan-output slices).
//   - opset 8: a leading batch axis on every input and output, the scan axis is 1, an optional
//     sequence_lens input (first) gives each batch entry its length; outputs past it stay zero.
//   - opset 9+: no batch axis; per-input scan axes and directions, per-output axes and directions.
#include <algorithm>

#include "ops/control/control.h"

namespace onnxi::ops::control {
namespace {

struct ScanShape {
  size_t states = 0;     // N
  size_t scan_in = 0;    // M
  size_t scan_out = 0;   // K
  size_t first_input = 0;  // 1 in opset 8 (sequence_lens comes first)
};

ScanShape scan_shape(const Node& node, const Graph& body, int64_t opset) {
  ScanShape s;
  s.first_input = opset < 9 ? 1 : 0;
  ONNXI_CHECK(node.has_attr("num_scan_inputs"), ErrorCode::InvalidModel, node.label(),
              ": the 'num_scan_inputs' attribute is required");
  const int64_t m = node.attr_int("num_scan_inputs", 0);
  const auto given = static_cast<int64_t>(node.inputs.size()) - static_cast<int64_t>(s.first_input);
  ONNXI_CHECK(m >= 1 && m <= given, ErrorCode::InvalidModel, node.label(), ": num_scan_inputs is ", m, " but the node has ",
              given, " state and scan inputs; it must be between 1 and that count");
  s.scan_in = static_cast<size_t>(m);
  s.states = static_cast<size_t>(given - m);
  ONNXI_CHECK(body.inputs.size() == s.states + s.scan_in, ErrorCode::InvalidModel, node.label(), ": the body declares ",
              body.inputs.size(), " inputs but the node passes ", s.states, " states and ", s.scan_in,
              " scan inputs; the body takes one input per state and per scan input");
  ONNXI_CHECK(body.outputs.size() >= s.states, ErrorCode::InvalidModel, node.label(), ": the body returns ",
              body.outputs.size(), " values, fewer than its ", s.states, " states");
  s.scan_out = body.outputs.size() - s.states;
  ONNXI_CHECK(node.outputs.size() <= s.states + s.scan_out, ErrorCode::InvalidModel, node.label(), ": the node has ",
              node.outputs.size(), " outputs but the body yields ", s.states, " states and ", s.scan_out, " scan outputs");
  return s;
}

// A per-input or per-output attribute list: `count` entries, zeros when absent.
std::vector<int64_t> per_item_attr(const Node& node, const char* attr, size_t count) {
  if (!node.has_attr(attr)) return std::vector<int64_t>(count, 0);
  std::vector<int64_t> v = node.attr_ints(attr);
  ONNXI_CHECK(v.size() == count, ErrorCode::InvalidModel, node.label(), ": '", attr, "' has ", v.size(),
              " entries but there are ", count, "; give one per scan input/output or leave it out");
  return v;
}

void check_directions(const Node& node, const char* attr, const std::vector<int64_t>& dirs) {
  for (int64_t d : dirs) {
    ONNXI_CHECK(d == 0 || d == 1, ErrorCode::InvalidModel, node.label(), ": '", attr,
                "' entries must be 0 (forward) or 1 (reverse), got ", d);
  }
}

struct ScanConfig {
  ScanShape shape;
  std::vector<int64_t> in_axes, in_dirs, out_axes, out_dirs;  // opset 8: only in_dirs ("directions")
};

ScanConfig scan_config(const Node& node, const Graph& body, int64_t opset) {
  ScanConfig c;
  c.shape = scan_shape(node, body, opset);
  if (opset < 9) {
    c.in_dirs = per_item_attr(node, "directions", c.shape.scan_in);
    check_directions(node, "directions", c.in_dirs);
    return c;
  }
  c.in_axes = per_item_attr(node, "scan_input_axes", c.shape.scan_in);
  c.in_dirs = per_item_attr(node, "scan_input_directions", c.shape.scan_in);
  c.out_axes = per_item_attr(node, "scan_output_axes", c.shape.scan_out);
  c.out_dirs = per_item_attr(node, "scan_output_directions", c.shape.scan_out);
  check_directions(node, "scan_input_directions", c.in_dirs);
  check_directions(node, "scan_output_directions", c.out_dirs);
  return c;
}

// ---- inference -----------------------------------------------------------------------------------

void infer_scan(InferContext& ctx) {
  const Graph& body = required_graph(ctx.node, "body");
  const ScanConfig c = scan_config(ctx.node, body, ctx.opset);
  const ScanShape& s = c.shape;
  const bool batched = ctx.opset < 9;
  // The sequence (and, opset 8, batch) length from the first scan input whose rank is known.
  Dim batch, length;
  for (size_t i = 0; i < s.scan_in; ++i) {
    const TypeInfo& t = ctx.input(s.first_input + s.states + i);
    if (!t.is_tensor() || !t.has_shape) continue;
    const auto rank = static_cast<int64_t>(t.dims.size());
    if (batched) {
      if (rank < 2) ctx.fail(cat("scan input ", i, " has rank ", rank, "; opset 8 scan inputs need [batch, sequence, ...]"));
      batch = t.dims[0];
      length = t.dims[1];
    } else {
      length = t.dims[static_cast<size_t>(normalize_axis(c.in_axes[i], rank, ctx.node, "scan_input_axes entry"))];
    }
    break;
  }
  for (size_t i = 0; i < ctx.node.outputs.size(); ++i) {
    const TypeInfo declared = declared_output(body, i);
    if (i < s.states) {
      const TypeInfo& initial = ctx.input(s.first_input + i);
      if (declared.kind == TypeInfo::Kind::Unknown) ctx.set_output(i, initial);
      else ctx.set_output(i, batched ? with_new_axis(declared, 0, batch) : declared);
      continue;
    }
    const size_t k = i - s.states;
    if (batched) {
      ctx.set_output(i, with_new_axis(with_new_axis(declared, 0, length), 0, batch));
      continue;
    }
    size_t axis = 0;
    if (declared.is_tensor() && declared.has_shape) {
      axis = static_cast<size_t>(normalize_axis(c.out_axes[k], static_cast<int64_t>(declared.dims.size()) + 1, ctx.node,
                                                "scan_output_axes entry"));
    }
    ctx.set_output(i, with_new_axis(declared, axis, length));
  }
}

// ---- running -----------------------------------------------------------------------------------

class ScanKernel final : public Kernel {
 public:
  ScanKernel(std::shared_ptr<const CompiledGraph> body, ScanConfig config, std::vector<TypeInfo> out_types)
      : body_(std::move(body)), c_(std::move(config)), out_types_(std::move(out_types)) {}

  void compute(KernelContext& ctx) const override {
    if (ctx.opset() < 9) compute_batched(ctx);
    else compute_unbatched(ctx);
  }

 private:
  std::vector<Value> run_body(KernelContext& ctx, std::vector<Value> in) const {
    ctx.check_cancelled();
    std::vector<Value> out = ctx.run_subgraph(*body_, std::move(in));
    if (out.size() != c_.shape.states + c_.shape.scan_out) {
      ctx.fail(cat("the body returned ", out.size(), " values, expected ", c_.shape.states + c_.shape.scan_out));
    }
    return out;
  }

  std::string scan_output_name(const KernelContext& ctx, size_t k) const {
    return cat("scan output ", k, " ('", ctx.node().outputs[c_.shape.states + k], "')");
  }

  void compute_unbatched(KernelContext& ctx) const {
    const ScanShape& s = c_.shape;
    std::vector<const Tensor*> inputs;
    std::vector<int64_t> axes;
    int64_t length = -1;
    for (size_t i = 0; i < s.scan_in; ++i) {
      const Tensor& t = ctx.input(s.states + i);
      const int64_t axis = normalize_axis(c_.in_axes[i], t.rank(), ctx.node(), "scan_input_axes entry");
      if (length >= 0 && t.dim(axis) != length) {
        ctx.fail(cat("scan input ", i, " is ", t.describe(), " with ", t.dim(axis), " steps along axis ", axis,
                     " but scan input 0 has ", length, "; all scan inputs need the same sequence length"));
      }
      length = t.dim(axis);
      inputs.push_back(&t);
      axes.push_back(axis);
    }
    std::vector<Value> states(s.states);
    for (size_t j = 0; j < s.states; ++j) states[j] = ctx.input(j);
    std::vector<std::vector<Value>> scans(s.scan_out);
    for (int64_t step = 0; step < length; ++step) {
      std::vector<Value> in;
      in.reserve(s.states + s.scan_in);
      for (Value& v : states) in.push_back(std::move(v));
      for (size_t i = 0; i < s.scan_in; ++i) {
        in.emplace_back(slice_at(*inputs[i], axes[i], c_.in_dirs[i] ? length - 1 - step : step));
      }
      std::vector<Value> out = run_body(ctx, std::move(in));
      for (size_t j = 0; j < s.states; ++j) states[j] = std::move(out[j]);
      for (size_t k = 0; k < s.scan_out; ++k) scans[k].push_back(std::move(out[s.states + k]));
    }
    for (size_t i = 0; i < ctx.num_outputs(); ++i) {
      if (!ctx.output_wanted(i)) continue;
      if (i < s.states) {
        ctx.set_output(i, std::move(states[i]));
        continue;
      }
      const size_t k = i - s.states;
      std::vector<Value>& items = scans[k];
      if (c_.out_dirs[k]) std::reverse(items.begin(), items.end());
      for (const Value& v : items) {
        if (!v.is_tensor()) ctx.fail(cat(scan_output_name(ctx, k), " must be a tensor each iteration, got ", v.describe()));
      }
      Value stacked = stack_iterations(items, out_types_[s.states + k], ctx.node(), scan_output_name(ctx, k));
      const Tensor& t = stacked.tensor();
      const int64_t axis = normalize_axis(c_.out_axes[k], t.rank(), ctx.node(), "scan_output_axes entry");
      ctx.set_output(i, Value(move_leading_axis(t, axis)));
    }
  }

  void compute_batched(KernelContext& ctx) const {
    const ScanShape& s = c_.shape;
    const size_t first = s.first_input;
    std::vector<const Tensor*> inputs;
    int64_t batch = -1, max_len = -1;
    for (size_t i = 0; i < s.scan_in; ++i) {
      const Tensor& t = ctx.input(first + s.states + i);
      if (t.rank() < 2) ctx.fail(cat("scan input ", i, " is ", t.describe(), "; opset 8 scan inputs need [batch, sequence, ...]"));
      if (batch >= 0 && (t.dim(0) != batch || t.dim(1) != max_len)) {
        ctx.fail(cat("scan input ", i, " is ", t.describe(), " but scan input 0 has batch ", batch, " and length ", max_len,
                     "; all scan inputs need the same batch size and sequence length"));
      }
      batch = t.dim(0);
      max_len = t.dim(1);
      inputs.push_back(&t);
    }
    std::vector<int64_t> lengths(static_cast<size_t>(batch), max_len);
    if (ctx.has_input(0)) {
      const Tensor& sl = ctx.input(0);
      if (!is_integer(sl.dtype()) || sl.numel() != batch) {
        ctx.fail(cat("sequence_lens (input 0) must hold one integer per batch entry (", batch, "), got ", sl.describe()));
      }
      lengths = sl.to_int64_vector();
      for (int64_t len : lengths) {
        if (len < 0 || len > max_len) {
          ctx.fail(cat("sequence_lens holds ", len, "; each length must be in [0, ", max_len, "]"));
        }
      }
    }
    std::vector<const Tensor*> initial;
    for (size_t j = 0; j < s.states; ++j) {
      const Tensor& t = ctx.input(first + j);
      if (t.rank() < 1 || t.dim(0) != batch) {
        ctx.fail(cat("initial state ", j, " is ", t.describe(), "; opset 8 states need a leading batch axis of ", batch));
      }
      initial.push_back(&t);
    }
    const auto nb = static_cast<size_t>(batch);
    const auto nlen = static_cast<size_t>(max_len);
    std::vector<std::vector<Tensor>> final_states(s.states, std::vector<Tensor>(nb));
    std::vector<std::vector<Tensor>> scan_blocks(s.scan_out, std::vector<Tensor>(nb * nlen));
    for (size_t b = 0; b < nb; ++b) {
      std::vector<Value> states;
      for (const Tensor* t : initial) states.emplace_back(slice_at(*t, 0, static_cast<int64_t>(b)));
      std::vector<Tensor> rows;
      for (const Tensor* t : inputs) rows.push_back(slice_at(*t, 0, static_cast<int64_t>(b)));
      const int64_t len = lengths[b];
      for (int64_t step = 0; step < len; ++step) {
        std::vector<Value> in;
        for (Value& v : states) in.push_back(std::move(v));
        for (size_t i = 0; i < s.scan_in; ++i) in.emplace_back(slice_at(rows[i], 0, c_.in_dirs[i] ? len - 1 - step : step));
        std::vector<Value> out = run_body(ctx, std::move(in));
        states.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(s.states));
        for (size_t k = 0; k < s.scan_out; ++k) {
          const Value& v = out[s.states + k];
          if (!v.is_tensor()) ctx.fail(cat(scan_output_name(ctx, k), " must be a tensor each iteration, got ", v.describe()));
          scan_blocks[k][b * nlen + static_cast<size_t>(step)] = v.tensor();
        }
      }
      for (size_t j = 0; j < s.states; ++j) {
        if (!states[j].is_tensor()) ctx.fail(cat("state ", j, " must be a tensor, got ", states[j].describe()));
        final_states[j][b] = states[j].tensor();
      }
    }
    for (size_t i = 0; i < ctx.num_outputs(); ++i) {
      if (!ctx.output_wanted(i)) continue;
      if (i < s.states) {
        const BlockSpec spec = block_spec(final_states[i], out_types_[i]);
        ctx.set_output(i, Value(place_blocks(final_states[i], {batch}, spec, ctx.node(), cat("final state ", i))));
        continue;
      }
      const size_t k = i - s.states;
      const BlockSpec spec = block_spec(scan_blocks[k], out_types_[i]);
      ctx.set_output(i, Value(place_blocks(scan_blocks[k], {batch, max_len}, spec, ctx.node(), scan_output_name(ctx, k))));
    }
  }

  std::shared_ptr<const CompiledGraph> body_;
  ScanConfig c_;
  std::vector<TypeInfo> out_types_;  // the body's per-iteration output types, for empty outputs
};

std::unique_ptr<Kernel> create_scan(const KernelInit& init) {
  const Graph& body = required_graph(init.node, "body");
  ScanConfig config = scan_config(init.node, body, init.opset);
  std::shared_ptr<const CompiledGraph> compiled = init.compile_graph(body);
  std::vector<TypeInfo> out_types;
  for (size_t i = 0; i < compiled->num_outputs(); ++i) {
    const TypeInfo& inferred = compiled->output_type(i);
    out_types.push_back(inferred.kind != TypeInfo::Kind::Unknown ? inferred : declared_output(body, i));
  }
  return std::make_unique<ScanKernel>(std::move(compiled), std::move(config), std::move(out_types));
}

}  // namespace

void register_scan(Registry& r) {
  r.add({"", "Scan", 8, 8, infer_scan, create_scan, "all tensor types (batched form, sequence_lens)"});
  // Versions 9 to 25 differ only in the element types they list.
  r.add({"", "Scan", 9, kLatestOpset, infer_scan, create_scan, "all tensor types"});
}

}  // namespace onnxi::ops::control
