#!/usr/bin/env python3
"""Prints the per-suite conformance table of docs/CONFORMANCE.md from an `onnxi conformance` report.

    build/venv/bin/python tests/conformance/status_table.py build/check/conformance.json
"""
from __future__ import annotations

import collections
import json
import subprocess
import sys
import datetime

SUITES = ["node", "simple", "pytorch-converted", "pytorch-operator", "light"]


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        report = json.load(f)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for case in report["cases"]:
        counts[case["suite"]][case["status"]] += 1
    print("| Suite | Cases | Passed | Known failures | Skipped |")
    print("|---|---:|---:|---:|---:|")
    total = collections.Counter()
    for suite in SUITES + sorted(set(counts) - set(SUITES)):
        c = counts.get(suite)
        if not c:
            continue
        total.update(c)
        print(f"| {suite} | {sum(c.values())} | {c['passed']} | {c['failed']} | {c['skipped']} |")
    print(f"| **total** | {sum(total.values())} | {total['passed']} | {total['failed']} | {total['skipped']} |")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"\nMeasured on {datetime.date.today()} at commit {commit or '?'} with `scripts/test`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
