#!/usr/bin/env python3
"""Differential testing against the OASIS reference: generate random patterns
over a fixed, varied set of observations, answer them with the installed
``stix2matcher`` / ``stix2patterns`` and with a JSON Lines command, and report
every disagreement.

Usage:
    differential.py [--count N] [--seed S] -- COMMAND [ARG...]
"""

import argparse
import json
import random
import signal
import subprocess
import sys

from stix2matcher.matcher import match
from stix2patterns.validator import validate

OBSERVED = [{
    "type": "bundle", "id": "bundle--1",
    "objects": [
        {"type": "observed-data", "id": "observed-data--1", "number_observed": 2,
         "first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:05Z",
         "object_refs": ["t--1", "t--2"]},
        {"type": "t", "id": "t--1", "i": 5, "f": 2.5, "w": 3.0, "b": True, "s": "hello", "u": "Gr\u00fc\u00dfe",
         "ip": "10.1.2.3", "net": "10.0.0.0/8", "l": [1, "a", None], "n": None, "x_hex": "68656c6c6f",
         "y_bin": "aGk=", "ts": "2019-05-05T05:05:05Z", "bad_ts": "2019-05-05",
         "r_ref": "t--2", "rs_refs": ["t--1", "t--2", "t--9"], "d": {"k": "v", "a-b": 1}},
        {"type": "t", "id": "t--2", "i": -1, "s": "", "l": [], "ip": "192.168.0.1"},
        {"type": "observed-data", "id": "observed-data--2", "number_observed": 1,
         "first_observed": "2020-01-01T00:00:10Z", "last_observed": "2020-01-01T00:00:10Z",
         "object_refs": ["t--3"]},
        {"type": "t", "id": "t--3", "i": 7, "s": "world", "ip": "10.200.0.1", "f": 7.0},
    ],
}]

PATHS = ["t:i", "t:f", "t:w", "t:b", "t:s", "t:u", "t:ip", "t:net", "t:l[0]", "t:l[*]", "t:l[-1]", "t:n",
         "t:x_hex", "t:y_bin", "t:ts", "t:bad_ts", "t:r_ref.s", "t:rs_refs[*].i", "t:rs_refs[1].s",
         "t:d.k", "t:d.'a-b'", "t:missing", "t:l", "t:d"]
LITS = ["5", "7", "-1", "2.5", "3", "7.0", "true", "false", "'hello'", "'world'", "''", "'Gr\u00fc\u00dfe'",
        "h'68656c6c6f'", "b'aGk='", "t'2019-05-05T05:05:05Z'", "t'2020-02-30T00:00:00Z'", "'10.1.2.3'", "'a'", "'v'"]
STRS = ["'h%'", "'%o'", "'_ello'", "'^h'", "'l+'", "'^$'", "'10.0.0.0/8'", "'10.1.2.3'", "'10.1.2.3/33'",
        "'x'", "'(a'", "'\u00fc'", "'.*'", "'[a-z]+'", "'10.0.0.0/16'", "'hi'"]


def comparison(r):
    path = r.choice(PATHS)
    neg = "NOT " if r.random() < 0.2 else ""
    k = r.random()
    if k < 0.4:
        return "%s %s%s %s" % (path, neg, r.choice(["=", "!=", "<", "<=", ">", ">="]), r.choice(LITS))
    if k < 0.55:
        items = ", ".join(r.choice(LITS) for _ in range(r.randint(0, 3)))
        return "%s %sIN (%s)" % (path, neg, items)
    return "%s %s%s %s" % (path, neg, r.choice(["LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"]), r.choice(STRS))


def comp_expr(r, depth=0):
    if depth > 1 or r.random() < 0.6:
        return comparison(r)
    op = r.choice([" AND ", " OR "])
    e = comp_expr(r, depth + 1) + op + comp_expr(r, depth + 1)
    return "(" + e + ")" if r.random() < 0.3 else e


def obs_expr(r, depth=0):
    k = r.random()
    if depth > 1 or k < 0.5:
        e = "[" + comp_expr(r) + "]"
    else:
        op = r.choice([" AND ", " OR ", " FOLLOWEDBY "])
        e = "(" + obs_expr(r, depth + 1) + op + obs_expr(r, depth + 1) + ")"
    q = r.random()
    if q < 0.15:
        e += " WITHIN %s SECONDS" % r.choice(["1", "5", "10", "0.5", "11"])
    elif q < 0.3:
        e += " REPEATS %d TIMES" % r.randint(1, 4)
    elif q < 0.38:
        e += " START t'2020-01-01T00:00:%02dZ' STOP t'2020-01-01T00:00:%02dZ'" % (r.randint(0, 12), r.randint(0, 12))
    return e


TEMPORAL = [{"type": "bundle", "id": "bundle--2", "objects": [
    obj
    for k, (a, b, n) in enumerate([(0, 0, 1), (3, 4, 2), (5, 9, 1), (10, 10, 3), (12, 20, 1), (30, 31, 1)])
    for obj in (
        {"type": "observed-data", "id": "observed-data--%d" % k, "number_observed": n,
         "first_observed": "2020-01-01T00:00:%02dZ" % a, "last_observed": "2020-01-01T00:00:%02dZ" % b,
         "object_refs": ["t--%d" % k]},
        {"type": "t", "id": "t--%d" % k, "i": k % 4, "k": k},
    )
]}]


def temporal_expr(r, depth=0):
    if depth > 2 or r.random() < 0.4:
        e = "[t:%s %s %d]" % (r.choice(["i", "k"]), r.choice(["=", ">", "<", "!="]), r.randint(0, 5))
    else:
        op = r.choice([" AND ", " OR ", " FOLLOWEDBY "])
        e = "(" + temporal_expr(r, depth + 1) + op + temporal_expr(r, depth + 1) + ")"
    for _ in range(r.choice([0, 0, 1, 2])):
        q = r.random()
        if q < 0.4:
            e += " WITHIN %s SECONDS" % r.choice(["1", "2", "4", "5", "10", "0.5", "25"])
        elif q < 0.75:
            e += " REPEATS %d TIMES" % r.randint(1, 4)
        else:
            a = r.randint(0, 32)
            e += " START t'2020-01-01T00:00:%02dZ' STOP t'2020-01-01T00:00:%02dZ'" % (a, min(59, a + r.randint(0, 15)))
    return e


SOUP = ["[", "]", "(", ")", "a:b", "x-y:c", "a:'q r'", "a:b-c", "a.b", ":", ".", "'k'", "[0]", "[*]", "[-1]",
        "[+2]", "=", "==", "!=", "<>", "<", ">=", "NOT", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET",
        "EXISTS", "AND", "OR", "FOLLOWEDBY", "WITHIN", "SECONDS", "REPEATS", "TIMES", "START", "STOP", "1",
        "+1", "-1", "01", "1.5", ".5", "-.5", "1.", "true", "false", "True", "'s'", "'\\''", "'\\d'", "b'AQ=='",
        "b'AQ='", "b''", "h'0a'", "h'0'", "h''", "t'2020-01-01T00:00:00Z'", "t'2020-01-01T00:00:60Z'",
        "t'2020-13-01T00:00:00Z'", ",", "/* c */", "//", "\n", " ", "\u3000", "and", "within", "?", "-", "*",
        "file:hashes.MD5", "'d41d8cd98f00b204e9800998ecf8427e'", "file:hashes.'SHA-1'"]


def soup(r):
    """A valid random pattern with one to three random token edits."""
    toks = obs_expr(r).replace("[", " [ ").replace("]", " ] ").replace("(", " ( ").replace(")", " ) ").split(" ")
    toks = [t for t in toks if t]
    for _ in range(r.randint(1, 3)):
        i = r.randrange(len(toks) + 1)
        k = r.random()
        if k < 0.33 and i < len(toks):
            del toks[i]
        elif k < 0.66:
            toks.insert(i, r.choice(SOUP))
        elif i < len(toks):
            toks[i] = r.choice(SOUP)
    return r.choice([" ", ""]).join(toks)


class ReferenceTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise ReferenceTimeout()


def reference(case):
    """The reference's answer, or None when it crashes or takes over 3 s."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(3)
    try:
        return _reference(case)
    except ReferenceTimeout:
        return None
    finally:
        signal.alarm(0)


def _reference(case):
    if case["kind"] == "validator":
        try:
            return {"valid": validate(case["pattern"], stix_version=case["stix_version"])}
        except Exception:  # the reference crashes on e.g. negative list indexes
            return None
    try:
        return {"match": bool(match(case["pattern"], case["observed"], stix_version="2.1"))}
    except ReferenceTimeout:
        raise
    except Exception:
        return {"error": True}


def main():
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--temporal", action="store_true", help="observation-level operators and qualifiers")
    ap.add_argument("--validator-version", default="2.1", help="stix_version of the validator cases")
    ap.add_argument("--soup", action="store_true", help="random token sequences (mostly invalid) for the validator")
    args = ap.parse_args(argv[:split])
    command = argv[split + 1:]
    r = random.Random(args.seed)
    cases = []
    for _ in range(args.count):
        if args.soup:
            pattern = soup(r)
            cases.append({"kind": "validator", "pattern": pattern, "stix_version": args.validator_version})
            continue
        if args.temporal:
            pattern = temporal_expr(r)
            cases.append({"kind": "matcher", "pattern": pattern, "observed": TEMPORAL, "stix_version": "2.1"})
            continue
        pattern = obs_expr(r)
        cases.append({"kind": "matcher", "pattern": pattern, "observed": OBSERVED, "stix_version": "2.1"})
        cases.append({"kind": "validator", "pattern": pattern, "stix_version": args.validator_version})
    data = "".join(json.dumps(c) + "\n" for c in cases)
    out = subprocess.run(command, input=data.encode(), stdout=subprocess.PIPE).stdout.decode().splitlines()
    bad = skipped = 0
    for case, line in zip(cases, out):
        got = json.loads(line)
        want = reference(case)
        if want is None:
            skipped += 1
            continue
        same = ("error" in want and "error" in got) or got == want
        if not same:
            bad += 1
            print("DIFF %s\n  pattern: %s\n  reference: %s\n  got: %s" % (case["kind"], case["pattern"], want, got))
    if skipped:
        print("%d cases skipped (the reference crashed or took over 3 s)" % skipped)
    print("%d passed, %d failed" % (len(cases) - bad - skipped, bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
