#!/usr/bin/env bash
# Checks of `onnxi run` that only the binary shows (the doctest suite links the library, not the
# CLI): --paced answers blocks of timed runs on stdin (bench/compare interleaves engines with it)
# and rejects what it cannot parse. Prints one "ok:" or "FAIL:" line per check.
# Usage: tests/cli/check_run.sh ONNXI PYTHON
set -uo pipefail
onnxi="$1"
python="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" - "$work/add.onnx" <<'PY' || { echo "FAIL: could not write the test model"; exit 0; }
import sys
from onnx import TensorProto, helper, save
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "add", [x], [y])
save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), sys.argv[1])
PY

check() {  # check NAME CONDITION-STATUS
  if (($2 == 0)); then echo "ok: $1"; else echo "FAIL: $1"; fi
}

out="$(printf '3\n2 5\nquit\n' | "$onnxi" run "$work/add.onnx" --paced --threads 1 --save-outputs "$work/out" 2>&1)"
rc=$?
blocks="$(grep -cE '^times ms:( [0-9.]+){3}$|^times ms:( [0-9.]+){2}$' <<<"$out")"
check "--paced answers each block with its times (3 then 2 runs)" $((rc != 0 || blocks != 2))
reported="$(grep -c 'latency: min / median / max = .* (5 runs' <<<"$out")"
saved=0
[[ -s "$work/out/y.npy" ]] && saved=1
check "--paced reports the 5 timed runs and writes the outputs at the end" $((reported != 1 || saved != 1))

out="$(printf 'two\n' | "$onnxi" run "$work/add.onnx" --paced 2>&1)"
rc=$?
check "--paced rejects a request it cannot parse, naming it" \
  $((rc == 0 || $(grep -c "expected a line 'N \[WARMUP_MS\]'.*got 'two'" <<<"$out") != 1))

out="$("$onnxi" run "$work/add.onnx" --paced --repeat 3 </dev/null 2>&1)"
check "--paced and --repeat exclude each other" $(($? == 0))
