"""`entente extract` against MISP's real warning lists, as the
pymispwarninglists package ships them (PyPI, pinned in requirements.txt;
its data is read where pip installed it, never copied into this
repository): public resolvers, private ranges and top sites in a report's
text are marked with the list that names them, the campaign's own
indicators are not; `--report` makes a bundle stix2-validator accepts."""

import json
import subprocess
from pathlib import Path

import pytest

from conftest import entente_bin, require_module, target

lists_pkg = require_module("pymispwarninglists")
stix2validator = require_module("stix2validator")

REPORT = """Campaign notes. The implant calls hxxps://cdn-update[.]frostline-sync[.]com/check
and 185.100.87[.]202; it resolves through 8.8.8.8 and 9.9.9.9, and the victims'
hosts sit in 10.12.0.0/16 (10.12.4.7 was first). It also checked connectivity
with https://www.google.com/ and downloaded from hxxp://45.153.160[.]140/a.sh.
SHA-256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 is the
empty file. Exploited: CVE-2025-24813. Technique: T1105.
"""


def lists_dir():
    return Path(lists_pkg.__file__).parent / "data" / "misp-warninglists" / "lists"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    if target() != "entente":
        pytest.skip("entente extract is Entente's")
    d = tmp_path_factory.mktemp("extract")
    p = d / "report.txt"
    p.write_text(REPORT)
    return p


def run(*args):
    r = subprocess.run([str(entente_bin()), "extract", *args], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r


def test_benign_values_are_marked_by_the_lists_that_name_them(report_file):
    assert lists_dir().is_dir(), f"no lists in {lists_dir()}"
    r = run(str(report_file), "--warninglists", str(lists_dir()))
    found = {c["value"]: c for c in map(json.loads, r.stdout.splitlines())}
    for benign, words in [("8.8.8.8", "resolver"), ("9.9.9.9", "resolver"), ("10.12.4.7", "1918"),
                          ("https://www.google.com/", ""),
                          ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "")]:
        assert benign in found, f"{benign} not extracted: {sorted(found)}"
        assert found[benign].get("warning"), f"{benign} is on no list: {found[benign]}"
        assert words.lower() in found[benign]["warning"].lower(), found[benign]
    for bad in ["https://cdn-update.frostline-sync.com/check", "http://45.153.160.140/a.sh", "CVE-2025-24813", "T1105"]:
        assert bad in found and "warning" not in found[bad], found.get(bad)
        assert found[bad]["kind"] in {"url", "cve", "attack"}
    assert found["https://cdn-update.frostline-sync.com/check"]["defanged"] is True
    assert "warning list left out" in r.stderr, "the million-entry lists are named as left out"


def test_the_report_bundle_is_valid_stix(report_file, tmp_path):
    r = run(str(report_file), "--warninglists", str(lists_dir()), "--report", "Frostline notes", "--tlp", "amber")
    bundle = json.loads(r.stdout)
    report = bundle["objects"][0]
    assert report["type"] == "report" and len(report["object_refs"]) == len(bundle["objects"]) - 1
    values = json.dumps(bundle)
    assert "8.8.8.8" not in values and "www.google.com" not in values, "benign values stay out of the report"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    results = stix2validator.validate_file(str(path), stix2validator.ValidationOptions(strict=False))
    assert results.is_valid, [str(e) for o in results.object_results for e in o.errors]
