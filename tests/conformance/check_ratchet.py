#!/usr/bin/env python3
"""Holds the conformance report to tests/conformance/known_failures.txt, which may only shrink.

The list names every case expected to fail, one `suite/name  # reason` per line, sorted; lines
that start with '#' and blank lines are comments. Against a report of `onnxi conformance --report`:

  * a failed case that is not listed is a regression;
  * a listed case that did not fail (it passed, was skipped, or is gone from the report) is stale:
    the list must drop it, so a fix cannot quietly regress later. The lines to delete are printed.

An entry whose reason starts with `flaky:` names a case whose outcome is left to chance (outputs
drawn from a random generator, like Bernoulli's); it may pass or fail without being stale.

`--update` rewrites the list from the report instead: every failed case, keeping the reasons already
written and taking the report's reason, cut to one line, for new entries.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

MAX_REASON = 120
FLAKY = "flaky:"
DEFAULT_HEADER = """\
# Conformance cases that onnxi is known to fail, with the reason. Generated, then curated:
#   tests/conformance/check_ratchet.py --report build/check/conformance.json --update
# A case listed here that passes makes scripts/test fail until its line is deleted (the ratchet).
# See docs/CONFORMANCE.md.
"""


def one_line(reason: str) -> str:
    text = " ".join(reason.split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3].rstrip() + "..."


def read_known(path: Path) -> tuple[str, dict[str, str], dict[str, str], list[str]]:
    """Returns the leading comment block, {case: reason}, {case: its line}, and problems."""
    header_lines: list[str] = []
    known: dict[str, str] = {}
    raw_lines: dict[str, str] = {}
    problems: list[str] = []
    in_header = True
    previous = ""
    if not path.exists():
        return DEFAULT_HEADER, known, raw_lines, problems
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            if in_header:
                header_lines.append(raw)
            continue
        in_header = False
        case, _, reason = line.partition("#")
        case = case.strip()
        if case in known:
            problems.append(f"{path}:{number}: {case} is listed twice")
        if case < previous:
            problems.append(f"{path}:{number}: {case} is out of order (keep the list sorted)")
        previous = case
        known[case] = reason.strip()
        raw_lines[case] = raw
    header = "\n".join(header_lines).rstrip("\n")
    return (header + "\n" if header else DEFAULT_HEADER), known, raw_lines, problems


def read_report(path: Path) -> list[dict]:
    with path.open() as f:
        report = json.load(f)
    cases = report.get("cases")
    if not isinstance(cases, list):
        raise ValueError(f"{path}: no 'cases' list; is it a report of `onnxi conformance --report`?")
    return cases


def case_id(case: dict) -> str:
    return f"{case['suite']}/{case['name']}"


def format_entry(case: str, reason: str) -> str:
    return f"{case}  # {reason}" if reason else case


def write_known(path: Path, header: str, entries: dict[str, str]) -> None:
    body = "".join(format_entry(case, entries[case]) + "\n" for case in sorted(entries))
    path.write_text(header + body)


def print_slowest(cases: list[dict], count: int) -> None:
    timed = sorted((c for c in cases if isinstance(c.get("seconds"), (int, float))),
                   key=lambda c: c["seconds"], reverse=True)[:count]
    if timed:
        print("slowest: " + ", ".join(f"{case_id(c)} {c['seconds']:.1f}s" for c in timed))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", required=True, type=Path, help="JSON from onnxi conformance --report")
    parser.add_argument("--known", type=Path, default=Path(__file__).with_name("known_failures.txt"))
    parser.add_argument("--update", action="store_true", help="rewrite the list from the report")
    parser.add_argument("--partial", action="store_true",
                        help="the report covers only some cases: listed cases it lacks are not stale")
    parser.add_argument("--counts", type=Path,
                        help="also write 'passed expected skipped regressions stale problems' to this file")
    args = parser.parse_args()

    try:
        cases = read_report(args.report)
    except (OSError, ValueError, KeyError) as exc:
        print(f"check_ratchet: cannot read the report: {exc}", file=sys.stderr)
        return 2
    header, known, raw_lines, problems = read_known(args.known)
    by_id = {case_id(c): c for c in cases}
    failed = {cid: c for cid, c in by_id.items() if c.get("status") == "failed"}
    passed = sum(1 for c in cases if c.get("status") == "passed")
    skipped = sum(1 for c in cases if c.get("status") == "skipped")

    if args.update:
        entries = {cid: known.get(cid) or one_line(c.get("reason", "")) for cid, c in failed.items()}
        # A flaky case that happened to pass this time stays listed.
        entries.update({cid: r for cid, r in known.items()
                        if r.startswith(FLAKY) and by_id.get(cid, {}).get("status") == "passed"})
        if args.partial:  # keep what this report did not run
            entries.update({cid: r for cid, r in known.items() if cid not in by_id})
        write_known(args.known, header, entries)
        added = sorted(set(entries) - set(known))
        removed = sorted(set(known) - set(entries))
        print(f"check_ratchet: wrote {len(entries)} entries to {args.known} "
              f"({len(added)} added, {len(removed)} removed)")
        return 0

    regressions = sorted(cid for cid in failed if cid not in known)
    stale = []
    for cid in sorted(known):
        status = by_id[cid].get("status") if cid in by_id else None
        if status == "failed" or (status is None and args.partial):
            continue
        if status == "passed" and known[cid].startswith(FLAKY):
            continue
        stale.append((cid, status or "not in the report"))
    expected = len(failed) - len(regressions)

    for problem in problems:
        print(f"check_ratchet: {problem}")
    if regressions:
        print(f"REGRESSIONS: {len(regressions)} case(s) fail that {args.known} does not list:")
        for cid in regressions:
            print(f"  {cid}  # {one_line(failed[cid].get('reason', ''))}")
    if stale:
        print(f"STALE: {len(stale)} listed case(s) no longer fail; delete these lines from {args.known}:")
        for status in sorted({status for _, status in stale}):
            print(f"# {status}:")
            for cid in (cid for cid, s in stale if s == status):
                print(raw_lines[cid])
    print_slowest(cases, 5)
    print(f"conformance: {passed} passed, {expected} expected failures (listed), {skipped} skipped")
    print(f"ratchet: {len(regressions)} regressions, {len(stale)} stale entries")
    if args.counts:
        args.counts.write_text(f"{passed} {expected} {skipped} {len(regressions)} {len(stale)} {len(problems)}\n")
    return 1 if regressions or stale or problems else 0


if __name__ == "__main__":
    sys.exit(main())
