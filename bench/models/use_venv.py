"""Re-runs a bench script under the project's venv (build/venv), which has onnx and onnxruntime."""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, "build", "venv")


def reexec_in_venv() -> None:
    """Execs the same command under build/venv/bin/python unless already there (or there is none)."""
    python = os.path.join(VENV, "bin", "python")
    if os.environ.get("ONNXI_BENCH_IN_VENV") or not os.path.exists(python):
        return
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    os.environ["ONNXI_BENCH_IN_VENV"] = "1"
    os.execv(python, [python, os.path.abspath(sys.argv[0]), *sys.argv[1:]])
