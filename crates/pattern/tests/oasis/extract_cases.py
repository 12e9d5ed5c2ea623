#!/usr/bin/env python3
"""Extract the STIX 2.1 conformance cases of the OASIS PyPI packages
``stix2-patterns`` (validator) and ``stix2-matcher`` (matcher) into JSON Lines
in the protocol of ``pattern::run_jsonl``, each line carrying the expected
answer under ``"expect"`` and a case name under ``"id"`` (both stripped by the
harness before the case is sent).

The cases are read at test time from the packages' source distributions (the
test suites live only in the sdists); nothing third-party is committed.

Needs: the packages and their dependencies importable (``pip install
stix2-patterns stix2-matcher pytest``) because the test modules import them.

Usage:
    extract_cases.py [--sdist-dir DIR] [--out-dir DIR] [--with-v20]

``--sdist-dir`` holds the two ``.tar.gz`` sdists (or their unpacked trees);
if none are there, ``pip download --no-deps --no-binary :all:`` fetches them.
Writes ``validator.jsonl`` and ``matcher.jsonl`` in ``--out-dir``.
"""

import argparse
import copy
import glob
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))


def ensure_sdists(sdist_dir):
    """Return the unpacked roots of the two sdists, downloading them if needed."""
    os.makedirs(sdist_dir, exist_ok=True)
    roots = {}
    for name, prefix in (("stix2-patterns", "stix2_patterns-"), ("stix2-matcher", "stix2-matcher-")):
        tars = sorted(glob.glob(os.path.join(sdist_dir, prefix + "*.tar.gz")))
        if not tars:
            subprocess.check_call([
                sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                "--no-binary", ":all:", name, "-d", sdist_dir,
            ])
            tars = sorted(glob.glob(os.path.join(sdist_dir, prefix + "*.tar.gz")))
        if not tars:
            sys.exit("could not obtain the sdist of " + name)
        tar = tars[-1]
        root = tar[: -len(".tar.gz")]
        if not os.path.isdir(root):
            with tarfile.open(tar) as t:
                t.extractall(sdist_dir)
        roots[name] = root
    return roots


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def parametrized_tests(mod):
    """Yield (function name, argnames, list of argument tuples, source) per test."""
    for fname, func in sorted(vars(mod).items()):
        if not fname.startswith("test_") or not callable(func):
            continue
        marks = [m for m in getattr(func, "pytestmark", []) if m.name == "parametrize"]
        if not marks:
            continue
        argnames, argvalues = marks[0].args[0], marks[0].args[1]
        names = [a.strip() for a in argnames.split(",")] if isinstance(argnames, str) else list(argnames)
        rows = []
        for v in argvalues:
            if hasattr(v, "values"):  # pytest.param
                v = v.values
            rows.append(tuple(v) if len(names) > 1 else (v,))
        yield fname, names, rows, inspect.getsource(func)


def validator_cases(root, with_v20):
    out = []
    for ver, stix_version in [("v21", "2.1")] + ([("v20", "2.0")] if with_v20 else []):
        test_dir = os.path.join(root, "stix2patterns", "test", ver)
        mod = load_module(os.path.join(test_dir, "test_validator.py"), "oasis_%s_test_validator" % ver)
        for fname, names, rows, src in parametrized_tests(mod):
            if "is True" in src:
                expect = True
            elif "is False" in src:
                expect = False
            else:
                continue
            for i, row in enumerate(rows):
                out.append({
                    "kind": "validator", "pattern": row[0], "stix_version": stix_version,
                    "id": "stix2patterns/%s/test_validator.py::%s[%d]" % (ver, fname, i),
                    "expect": {"valid": expect},
                })
    test_dir = os.path.join(root, "stix2patterns", "test", "v21")
    # The inspector tests compile patterns with the 2.1 parser; every one of
    # them must parse, so each is a "valid" validator case as well.
    mod = load_module(os.path.join(test_dir, "test_inspector.py"), "oasis_v21_test_inspector")
    for fname, names, rows, src in parametrized_tests(mod):
        for i, row in enumerate(rows):
            out.append({
                "kind": "validator", "pattern": row[0], "stix_version": "2.1",
                "id": "stix2patterns/v21/test_inspector.py::%s[%d]" % (fname, i),
                "expect": {"valid": True},
            })
    return out


MATCH_CALL = re.compile(r"match\((\w+),\s*(\w+)(?:,\s*stix_version=(\w+))?\)")


def classify(src):
    """Expected outcome of a matcher test function, from its body."""
    if "pytest.raises" in src:
        return {"error": True}
    if re.search(r"assert not (match|res)\b", src):
        return {"match": False}
    if re.search(r"assert (match|res)\b", src) or "sdos = match(" in src:
        return {"match": True}
    return None


def matcher_cases(root, with_v20):
    out = []
    versions = ["v21"] + (["v20"] if with_v20 else [])
    for ver in versions:
        test_dir = os.path.join(root, "stix2matcher", "test", ver)
        for path in sorted(glob.glob(os.path.join(test_dir, "test_*.py"))):
            base = os.path.basename(path)
            mod = load_module(path, "oasis_%s_%s" % (ver, base[:-3]))
            default_version = "2.0"
            for fname, names, rows, src in parametrized_tests(mod):
                expect = classify(src)
                if expect is None:
                    continue
                call = MATCH_CALL.search(src)
                if not call:
                    continue  # tests of internal helpers
                obs_name = call.group(2)
                if call.group(3):
                    stix_version = getattr(mod, call.group(3))
                else:
                    stix_version = default_version
                if stix_version != "2.1" and not with_v20:
                    continue
                for i, row in enumerate(rows):
                    args = dict(zip(names, row))
                    observed = copy.deepcopy(getattr(mod, obs_name))
                    if "interval1" in args:
                        # Temporal tests that rewrite the first two observations.
                        (a0, a1), (b0, b1) = args["interval1"], args["interval2"]
                        objs0, objs1 = observed[0], observed[1]
                        if stix_version == "2.1":
                            objs0, objs1 = objs0["objects"][0], objs1["objects"][0]
                        objs0["first_observed"], objs0["last_observed"] = a0, a1
                        objs1["first_observed"], objs1["last_observed"] = b0, b1
                        pattern = ("([person:name='alice'] AND [person:name='bob']) "
                                   "WITHIN {0} SECONDS".format(args["duration"]))
                    elif "pattern" in args:
                        pattern = args["pattern"]
                    else:
                        continue
                    out.append({
                        "kind": "matcher", "pattern": pattern, "observed": observed,
                        "stix_version": stix_version,
                        "id": "stix2matcher/test/%s/%s::%s[%d]" % (ver, base, fname, i),
                        "expect": expect,
                    })
    return out


def derived_within_cases(root):
    """The reference's unit tests of its WITHIN helper (``test_intervals_within_*``),
    restated as matcher cases: one observation per interval (interval ends are
    seconds after 2000-01-01T00:00:00Z), each holding an SCO the pattern's
    n-th bracket selects, all joined by AND under the WITHIN. Cases with a zero
    duration are left out (the matcher rejects WITHIN 0 SECONDS)."""
    import datetime
    out = []
    path = os.path.join(root, "stix2matcher", "test", "v21", "test_temporal_qualifiers.py")
    mod = load_module(path, "oasis_v21_test_temporal_qualifiers_helpers")
    base = datetime.datetime(2000, 1, 1)

    def ts(n):
        return (base + datetime.timedelta(seconds=n)).isoformat() + "Z"

    for fname, names, rows, src in parametrized_tests(mod):
        if not fname.startswith("test_intervals_within"):
            continue
        expect = {"match": "assert not" not in src}
        for i, (intervals, duration) in enumerate(rows):
            if duration <= 0:
                continue
            objects = []
            for k, (a, b) in enumerate(intervals):
                sco_id = "x-interval--%08d-0000-4000-8000-000000000000" % k
                objects.append({
                    "type": "observed-data", "id": "observed-data--%08d-0000-4000-8000-000000000000" % k,
                    "number_observed": 1, "first_observed": ts(a), "last_observed": ts(b),
                    "object_refs": [sco_id], "spec_version": "2.1",
                })
                objects.append({"type": "x-interval", "id": sco_id, "n": k})
            pattern = "(%s) WITHIN %d SECONDS" % (
                " AND ".join("[x-interval:n = %d]" % k for k in range(len(intervals))), duration)
            out.append({
                "kind": "matcher", "pattern": pattern,
                "observed": [{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000",
                              "objects": objects}],
                "stix_version": "2.1",
                "id": "derived:stix2matcher/test/v21/test_temporal_qualifiers.py::%s[%d]" % (fname, i),
                "expect": expect,
            })
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sdist-dir", default=os.path.join(HERE, "..", "..", ".venv", "sdists"))
    ap.add_argument("--out-dir", default=os.path.join(HERE, "cases"))
    ap.add_argument("--with-v20", action="store_true", help="also extract the STIX 2.0 cases")
    args = ap.parse_args()
    roots = ensure_sdists(os.path.abspath(args.sdist_dir))
    os.makedirs(args.out_dir, exist_ok=True)
    counts = {}
    for name, cases in (
        ("validator", validator_cases(roots["stix2-patterns"], args.with_v20)),
        ("matcher", matcher_cases(roots["stix2-matcher"], args.with_v20)
         + derived_within_cases(roots["stix2-matcher"])),
    ):
        with open(os.path.join(args.out_dir, name + ".jsonl"), "w", encoding="utf-8") as f:
            for c in cases:
                f.write(json.dumps(c, ensure_ascii=False) + "\n")
        counts[name] = len(cases)
    print("extracted %d validator cases, %d matcher cases into %s"
          % (counts["validator"], counts["matcher"], args.out_dir))


if __name__ == "__main__":
    main()
