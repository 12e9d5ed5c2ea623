"""MISP in both directions, checked with PyMISP (PyPI, pinned in
requirements.txt).

* Import: the MISP events that ship in PyMISP's own source distribution
  (tests/**/*.json that are whole MISP events, with a uuid; downloaded at
  test time with `pip download`, never kept in this repository) each go
  into a fresh node with `entente import --misp`: no attribute refused, no
  object rejected, every attribute found as the object the mapping gives
  it (docs/sources.md), and a second import stores nothing new.
* Export: the same events imported and shared with a partner, then
  `entente export --misp DIR --for PARTNER`; PyMISP's `MISPEvent().load`
  loads every event of the feed, with the attribute counts the files and
  the command give, and the detection values of the MISP events survive.
"""

import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import ROOT, require, require_module, target

pymisp = require_module("pymisp")

SDISTS = ROOT / "target" / "pymisp-sdist"

# MISP attribute types the mapping turns into indicators (to_ids) or SCOs.
OBSERVABLE = {
    "ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "domain", "hostname", "domain|ip", "hostname|port",
    "url", "uri", "link", "email", "email-src", "email-dst", "target-email", "whois-registrant-email",
    "email-subject", "filename", "attachment", "malware-sample", "mutex", "regkey", "regkey|value", "AS",
    "mac-address", "x509-fingerprint-md5", "x509-fingerprint-sha1", "x509-fingerprint-sha256",
}
HASHES = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3-224", "sha3-256", "sha3-384",
          "sha3-512", "ssdeep", "tlsh"}
OBSERVABLE |= HASHES | {f"filename|{h}" for h in HASHES}
# Types that become their own SDO.
SDO = {"vulnerability": "vulnerability", "campaign-name": "campaign"}
# Single-value detection types whose value an export gives back as written.
ROUND_TRIP = {"ip-src", "ip-dst", "domain", "hostname", "url", "email-src", "email-dst", "filename",
              "mutex", "regkey"} | HASHES


def events_dir():
    """PyMISP's sdist, downloaded once into target/pymisp-sdist, its test
    JSON extracted beside it."""
    version = pymisp.__version__
    out = SDISTS / version
    if not (out / ".done").exists():
        SDISTS.mkdir(parents=True, exist_ok=True)
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                            "--no-deps", "--no-binary", ":all:", f"pymisp=={version}", "-d", str(SDISTS)],
                           capture_output=True, text=True, timeout=600)
        require(r.returncode == 0, f"pip download pymisp=={version} failed: {r.stderr[-1000:]}")
        sdist = next(SDISTS.glob(f"pymisp-{version}.tar.gz"))
        with tarfile.open(sdist) as t:
            members = [m for m in t.getmembers()
                       if re.search(r"/tests/.*\.json$", m.name) and "misp-objects" not in m.name and m.isfile()]
            for m in members:
                m.name = m.name.split("/tests/", 1)[1]
                try:
                    t.extract(m, out, filter="data")
                except TypeError:  # Python before 3.11.4: no extraction filters
                    t.extract(m, out)
        (out / ".done").write_text("")
    return out


def misp_events():
    """(path, event JSON) of every whole MISP event in PyMISP's tests."""
    found = []
    for p in sorted(events_dir().rglob("*.json")):
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        ev = doc.get("Event") if isinstance(doc, dict) else None
        if isinstance(ev, dict) and ev.get("uuid"):
            found.append((p, ev))
    assert len(found) >= 15, f"PyMISP {pymisp.__version__} ships fewer MISP events than expected: {found}"
    return found


@pytest.fixture(scope="module")
def events():
    if target() != "entente":
        pytest.skip("MISP import and export are Entente's commands")
    return misp_events()


def summary(stderr, what):
    m = re.search(what, stderr)
    assert m, f"no {what!r} in:\n{stderr[-3000:]}"
    return [int(g) for g in m.groups()]


def test_pymisp_events_import_with_nothing_refused_and_idempotent(events, node_factory):
    for path, ev in events:
        n = node_factory("misp-import")
        n.init("Home CERT")
        r = n.cli("import", "--misp", path)
        refused, = summary(r.stderr, r"(\d+) attributes refused")
        assert refused == 0, f"{path.name}: {r.stderr[-3000:]}"
        added, unchanged, conflicts, rejected = summary(
            r.stderr, r"(\d+) added, (\d+) unchanged, (\d+) conflicts, (\d+) rejected")
        assert (unchanged, conflicts, rejected) == (0, 0, 0) and added > 0, f"{path.name}: {r.stderr[-3000:]}"

        stored = json.loads(n.cli("export").stdout)["objects"]
        by_misp = {}
        for o in stored:
            for ref in o.get("external_references", []):
                if ref.get("source_name") == "misp":
                    by_misp.setdefault(ref.get("external_id"), set()).add(o["type"])
            if "x_misp_uuid" in o:
                by_misp.setdefault(o["x_misp_uuid"], set()).add("sco")
        assert "report" in by_misp.get(ev["uuid"], set()), f"{path.name}: the event is a report"
        for a in ev.get("Attribute") or []:
            kind, to_ids = a["type"], a.get("to_ids") in (True, 1, "1", "true", "True")
            if kind in OBSERVABLE:
                want = "indicator" if to_ids else "sco"
            else:
                want = SDO.get(kind, "x-misp-attribute")
            assert want in by_misp.get(a["uuid"], set()), f"{path.name}: attribute {a['uuid']} ({kind}) is no {want}"
        for o in ev.get("Object") or []:
            assert by_misp.get(o["uuid"]), f"{path.name}: MISP object {o['uuid']} ({o['name']}) is missing"

        again = n.cli("import", "--misp", path)
        added, unchanged, conflicts, rejected = summary(
            again.stderr, r"(\d+) added, (\d+) unchanged, (\d+) conflicts, (\d+) rejected")
        assert (added, conflicts, rejected) == (0, 0, 0) and unchanged > 0, f"{path.name}: {again.stderr[-2000:]}"


TERMS = {"title": "MISP sharing", "purpose": "indicators",
         "scope": {"object_types": [], "labels": [], "data_kind": "both"}, "tlp_ceiling": "amber",
         "handling": {"reshare": "none", "attribution": "required", "permitted_actions": []},
         "valid_from": "2020-01-01T00:00:00Z"}


def test_exported_feed_loads_in_pymisp(events, node_factory):
    from pymisp import MISPEvent

    n = node_factory("misp-export")
    home = n.init("Home CERT")
    b = n.add_partner("Partner B")
    terms = n.data_dir / "terms.json"
    terms.write_text(json.dumps({**TERMS, "party_refs": [home, b]}))
    agreement = n.out("agreement", "propose", "--as", "Home CERT", terms)
    for who in ("Home CERT", "Partner B"):
        n.cli("agreement", "ratify", "--as", who, agreement)
    # Some of PyMISP's events share a uuid with different content (edited
    # copies): those conflicts are expected, hence --keep-going.
    for path, _ in events:
        n.cli("import", "--misp", path, "--share", agreement, "--keep-going")

    feed = n.data_dir / "feed-b"
    r = n.cli("export", "--misp", feed, "--for", b)
    n_events, n_attributes = summary(r.stderr, r"as (\d+) MISP events with (\d+) attributes")
    manifest = json.loads((feed / "manifest.json").read_text())
    assert len(manifest) == n_events and n_events >= 10, r.stderr
    files = sorted(p for p in feed.glob("*.json") if p.name != "manifest.json")
    assert {p.stem for p in files} == set(manifest), "manifest.json lists exactly the event files"

    describe = pymisp.AbstractMISP().describe_types["types"]
    loaded = {}
    total = 0
    for p in files:
        raw = json.loads(p.read_text())["Event"]
        ev = MISPEvent()
        with open(p) as f:
            ev.load(f)
        assert str(ev.uuid) == p.stem
        assert len(ev.attributes) == len(raw["Attribute"]), p.name
        for a in ev.attributes:
            assert a.type in describe, f"{p.name}: {a.type}"
        assert manifest[p.stem]["info"] == ev.info
        total += len(ev.attributes)
        loaded[p.stem] = ev
    assert total == n_attributes and total > 0

    # The MISP events went back out under their own uuids, with their
    # detection values (those the agreement's ceiling, amber, lets out).
    tlp_ok = lambda tags: not any(t.get("name", "").lower() in ("tlp:red", "tlp:amber+strict") for t in tags or [])
    checked = 0
    for path, ev in events:
        if not tlp_ok(ev.get("Tag")):
            continue
        got = loaded.get(ev["uuid"])
        if got is None:
            continue
        values = {str(a.value).lower() for a in got.attributes}
        for a in ev.get("Attribute") or []:
            if a["type"] in ROUND_TRIP and a.get("to_ids") in (True, 1, "1") and tlp_ok(a.get("Tag")):
                v = "".join(a["value"].split()) if a["type"] in ("ssdeep", "tlsh") else a["value"].strip()
                assert v.lower() in values, f"{path.name}: {a['type']} {a['value']!r} is not in the exported event"
                checked += 1
    assert checked >= 20, f"only {checked} detection values were checked"
