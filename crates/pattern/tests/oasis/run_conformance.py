#!/usr/bin/env python3
"""Pipe the extracted OASIS conformance cases through a JSON Lines command and
compare its answers with the expected ones.

Usage:
    run_conformance.py [--cases DIR] [--extract-args ARGS] -- COMMAND [ARG...]

Example:
    run_conformance.py -- target/debug/examples/jsonl
    run_conformance.py -- entente pattern --jsonl

If ``DIR/validator.jsonl`` or ``DIR/matcher.jsonl`` is missing, runs
``extract_cases.py`` first. Prints each failure, a line per suite, and a final
``N passed, M failed`` line; exits non-zero when anything failed.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check(expect, got):
    if "error" in expect:
        return isinstance(got, dict) and "error" in got
    return got == expect


def run_suite(name, cases, command):
    stripped = [{k: v for k, v in c.items() if k not in ("expect", "id")} for c in cases]
    data = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in stripped)
    proc = subprocess.run(command, input=data.encode("utf-8"), stdout=subprocess.PIPE, timeout=600)
    lines = proc.stdout.decode("utf-8", "replace").splitlines()
    passed, failures = 0, []
    for i, case in enumerate(cases):
        try:
            got = json.loads(lines[i]) if i < len(lines) else None
        except ValueError:
            got = lines[i]
        if check(case["expect"], got):
            passed += 1
        else:
            failures.append((case, got))
    return passed, failures


def main():
    argv = sys.argv[1:]
    if "--" in argv:
        split = argv.index("--")
        opts, command = argv[:split], argv[split + 1:]
    else:
        opts, command = [], argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default=os.path.join(HERE, "cases"))
    ap.add_argument("--extract-args", default="", help="extra arguments for extract_cases.py")
    ap.add_argument("--quiet", action="store_true", help="do not print each failure")
    args = ap.parse_args(opts)
    if not command:
        ap.error("missing command after --")
    suites = ("validator", "matcher")
    if not all(os.path.exists(os.path.join(args.cases, s + ".jsonl")) for s in suites):
        subprocess.check_call([sys.executable, os.path.join(HERE, "extract_cases.py"),
                               "--out-dir", args.cases] + shlex.split(args.extract_args))
    total_pass = total_fail = 0
    for s in suites:
        cases = load(os.path.join(args.cases, s + ".jsonl"))
        passed, failures = run_suite(s, cases, command)
        if not args.quiet:
            for case, got in failures:
                print("FAIL %s\n  pattern: %s\n  expected: %s\n  got: %s" % (
                    case["id"], case["pattern"], json.dumps(case["expect"]), json.dumps(got)))
        by_version = {}
        for case in cases:
            by_version.setdefault(case.get("stix_version", "2.1"), [0, 0])
        for case, _ in failures:
            by_version[case.get("stix_version", "2.1")][1] += 1
        for case in cases:
            by_version[case.get("stix_version", "2.1")][0] += 1
        detail = ", ".join("stix %s: %d/%d" % (v, n - f, n) for v, (n, f) in sorted(by_version.items()))
        print("%s: %d passed, %d failed (%s)" % (s, passed, len(failures), detail))
        total_pass += passed
        total_fail += len(failures)
    print("%d passed, %d failed" % (total_pass, total_fail))
    sys.exit(1 if total_fail else 0)


if __name__ == "__main__":
    main()
