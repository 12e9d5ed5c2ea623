#!/usr/bin/env python3
"""Time the OASIS reference matcher (``stix2-matcher``) on matcher cases in
the JSON Lines protocol of ``pattern::run_jsonl``: the Python half of
``cargo xtask bench pattern``, whose Rust half is
``crates/pattern/examples/bench_match.rs``. Both halves read the same file
and follow the same scheme, so their figures compare directly.

Usage:
    bench_match.py --cases FILE [--secs S]

Every ``"kind": "matcher"`` line of FILE is one case (STIX 2.1 only). Two
timings, each repeating the whole case list until at least S seconds
(default 2) have passed:

- ``match_only``: each pattern compiled once, before the clock starts
  (``stix2matcher.matcher.Pattern(p, "2.1")``), then ``.match(observed)``;
- ``parse_and_match``: ``stix2matcher.matcher.match(p, observed,
  stix_version="2.1")``, the compile included.

A case that raises is an evaluation like any other (its answer is ``E``);
in ``match_only`` a case whose pattern did not compile answers ``E`` at no
cost, as on the Rust side. Prints one JSON object: the figures and the
answers (one letter per case: ``T`` match, ``F`` no match, ``E`` error).
"""

import argparse
import json
import sys
import time
from importlib import metadata

from stix2matcher.matcher import Pattern, match

VERSION = "2.1"


def load(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            case = json.loads(line)
            if case.get("kind") != "matcher":
                continue
            if case.get("stix_version", VERSION) != VERSION:
                continue
            cases.append((case["pattern"], case["observed"]))
    return cases


def answer_of(run):
    try:
        return "T" if run() else "F"
    except Exception:  # the reference's errors are answers too
        return "E"


def compile_all(cases):
    compiled = []
    for pattern, _ in cases:
        try:
            compiled.append(Pattern(pattern, VERSION))
        except Exception:
            compiled.append(None)
    return compiled


def match_only_pass(cases, compiled):
    out = []
    for (_, observed), p in zip(cases, compiled):
        if p is None:
            out.append("E")
        else:
            out.append(answer_of(lambda: p.match(observed)))
    return "".join(out)


def parse_and_match_pass(cases):
    return "".join(answer_of(lambda: match(p, o, stix_version=VERSION)) for p, o in cases)


def timed(one_pass, n, secs):
    """Repeats `one_pass` until `secs` have passed; returns the figures."""
    passes = 0
    start = time.perf_counter()
    while True:
        one_pass()
        passes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= secs:
            break
    evals = passes * n
    return {"passes": passes, "evals": evals, "secs": elapsed, "per_sec": evals / elapsed}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--secs", type=float, default=2.0)
    args = ap.parse_args()

    cases = load(args.cases)
    if not cases:
        sys.exit("no STIX 2.1 matcher cases in " + args.cases)
    n = len(cases)

    compiled = compile_all(cases)
    # One untimed pass of each: warm-up, and the answers to report.
    answers = parse_and_match_pass(cases)
    if match_only_pass(cases, compiled) != answers:
        sys.exit("compiled patterns answered differently from match()")

    match_only = timed(lambda: match_only_pass(cases, compiled), n, args.secs)
    parse_and_match = timed(lambda: parse_and_match_pass(cases), n, args.secs)

    # The matcher must not have changed the data it was given.
    if parse_and_match_pass(cases) != answers:
        sys.exit("answers changed between passes")

    print(json.dumps({
        "impl": "stix2-matcher " + metadata.version("stix2-matcher"),
        "python": sys.version.split()[0],
        "cases": n,
        "compile_errors": sum(p is None for p in compiled),
        "answers": answers,
        "match_only": match_only,
        "parse_and_match": parse_and_match,
    }))


if __name__ == "__main__":
    main()
