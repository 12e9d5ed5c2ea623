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
    """(path, event JSON) of every whole MISP event in PyMISP's tests
    (`{"Event": {...}}` or the bare event, with a uuid and an `info`)."""
    found = []
    for p in sorted(events_dir().rglob("*.json")):
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        ev = (doc.get("Event") or doc) if isinstance(doc, dict) else None
        if isinstance(ev, dict) and ev.get("uuid") and "info" in ev:
            found.append((p, ev))
    assert len(found) >= 20, f"PyMISP {pymisp.__version__} ships fewer MISP events than expected: {found}"
    return found


# One value of every attribute type the mapping covers, and of a few it
# keeps as custom objects.
SAMPLES = {
    "ip-src": "198.51.100.1", "ip-dst": "2001:db8::7", "ip-src|port": "198.51.100.2|4444",
    "ip-dst|port": "203.0.113.9|443", "domain": "evil.example", "hostname": "c2.evil.example",
    "domain|ip": "evil.example|198.51.100.3", "hostname|port": "c2.evil.example|8443",
    "url": "http://evil.example/gate.php?id='1'", "uri": "/gate.php", "link": "https://blog.example/post",
    "email": "x@evil.example", "email-src": "phish@evil.example", "email-dst": "victim@example.org",
    "target-email": "ceo@example.org", "whois-registrant-email": "reg@evil.example",
    "email-subject": "Your invoice", "filename": "dropper.exe", "attachment": "invoice.pdf",
    "malware-sample": "sample.exe|d41d8cd98f00b204e9800998ecf8427e", "mutex": "Global\\evil",
    "regkey": "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\evil",
    "regkey|value": "HKLM\\Software\\Run\\evil|C:\\evil.exe", "AS": "AS64496",
    "mac-address": "00:1a:2b:3c:4d:5e",
    "x509-fingerprint-md5": "d41d8cd98f00b204e9800998ecf8427e",
    "x509-fingerprint-sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "x509-fingerprint-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "md5": "d41d8cd98f00b204e9800998ecf8427e", "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "sha224": "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f",
    "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "sha384": "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
    "sha512": "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    "sha3-224": "6b4e03423667dbb73b6e15454f0eb1abd4597f9a1b078e3f5b5a6bc7",
    "sha3-256": "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a",
    "sha3-384": "0c63a75b845e4f7d01107d852e4c2485c51a50aaaa94fc61995e71bbee983a2ac3713831264adb47fb6bd1e058d5f004",
    "sha3-512": "a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a615b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e301758586281dcd26",
    "ssdeep": "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C", "tlsh": "T1A0A12B0F3A8E0A3B2C1D0E0F1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F7",
    "filename|md5": "a.exe|d41d8cd98f00b204e9800998ecf8427e",
    "filename|sha256": "b.dll|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "vulnerability": "CVE-2021-44228", "campaign-name": "Operation Example",
    "text": "free text", "comment": "a comment", "port": "8080", "user-agent": "EvilBot/1.0",
}


def generated_event(path):
    """An event made with PyMISP: every type above, with and without
    to_ids, the common MISP objects, a galaxy tag and a sighting."""
    from pymisp import MISPEvent

    ev = MISPEvent()
    ev.info = "Every attribute category Entente maps"
    ev.add_tag("tlp:green")
    ev.add_tag("PAP:GREEN")
    ev.add_tag('misp-galaxy:threat-actor="Example Actor"')
    for kind, value in SAMPLES.items():
        ev.add_attribute(kind, value, to_ids=True)
        ev.add_attribute(kind, value, to_ids=False, comment="observed")
    ev.attributes[0].add_sighting({"type": "0", "source": "sensor", "date_sighting": "1768000000"})
    f = ev.add_object(name="file")
    f.add_attribute("filename", value="a.exe", to_ids=True)
    f.add_attribute("md5", value=SAMPLES["md5"], to_ids=True)
    d = ev.add_object(name="domain-ip")
    d.add_attribute("domain", value="evil.example", to_ids=False)
    d.add_attribute("ip", value="198.51.100.4", to_ids=False)
    u = ev.add_object(name="url")
    u.add_attribute("url", value="http://evil.example/x", to_ids=True)
    ip = ev.add_object(name="ip-port")
    ip.add_attribute("ip", value="198.51.100.5", to_ids=True)
    ip.add_attribute("dst-port", value="443", to_ids=False)
    e = ev.add_object(name="email")
    e.add_attribute("from", value="phish@evil.example", to_ids=False)
    e.add_attribute("subject", value="Your invoice", to_ids=False)
    path.write_text(json.dumps({"Event": json.loads(ev.to_json())}))
    return path, json.loads(path.read_text())["Event"]


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    if target() != "entente":
        pytest.skip("MISP import and export are Entente's commands")
    return [generated_event(tmp_path_factory.mktemp("generated") / "generated.json"), *misp_events()]


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
    print(f"{checked} detection values checked in {len(loaded)} exported events")


def test_served_feed_loads_in_pymisp_and_holds_only_the_partners_share(events, node_factory):
    """The feed a partner's MISP pulls from `entente serve` with its token
    (`<node>/api/v1/misp/feed`, the Bearer header MISP's feed settings
    send): every event in its manifest loads in PyMISP, `hashes.csv` names
    only events of the manifest, and nothing shared with another partner
    alone is in it."""
    import hashlib

    import requests
    from pymisp import MISPEvent

    n = node_factory("misp-served")
    home = n.init("Home CERT")
    b = n.add_partner("Partner B")
    c = n.add_partner("Partner C")
    terms = n.data_dir / "terms.json"
    agreements = {}
    for who, pid in (("Partner B", b), ("Partner C", c)):
        terms.write_text(json.dumps({**TERMS, "title": f"MISP with {who}", "party_refs": [home, pid]}))
        agreements[who] = n.out("agreement", "propose", "--as", "Home CERT", terms)
        for party in ("Home CERT", who):
            n.cli("agreement", "ratify", "--as", party, agreements[who])
    # B gets PyMISP's events; C only the generated one, whose values B must not see unless B has them too.
    generated, *shipped = events
    for path, _ in shipped:
        n.cli("import", "--misp", path, "--share", agreements["Partner B"], "--keep-going")
    n.cli("import", "--misp", generated[0], "--share", agreements["Partner C"], "--keep-going")
    token_b = n.token("b_misp", "Partner B", "viewer", user="misp")
    token_c = n.token("c_misp", "Partner C", "viewer", user="misp")
    n.start()
    feed = n.base + "/api/v1/misp/feed"

    def pull(token):
        h = {"Authorization": f"Bearer {token}"}
        r = requests.get(f"{feed}/manifest.json", headers=h, timeout=60)
        assert r.status_code == 200, r.text[:500]
        manifest = r.json()
        hashes = requests.get(f"{feed}/hashes.csv", headers=h, timeout=60)
        assert hashes.status_code == 200 and hashes.headers["content-type"].startswith("text/csv")
        loaded = {}
        for uuid_ in manifest:
            r = requests.get(f"{feed}/{uuid_}.json", headers=h, timeout=60)
            assert r.status_code == 200, f"{uuid_}: {r.status_code} {r.text[:300]}"
            ev = MISPEvent()
            ev.load(r.text)
            assert str(ev.uuid) == uuid_ and ev.info == manifest[uuid_]["info"]
            assert len(ev.attributes) == len(r.json()["Event"]["Attribute"])
            loaded[uuid_] = ev
        rows = [line.split(",") for line in hashes.text.splitlines()]
        assert rows and all(len(row) == 2 and row[1] in manifest for row in rows), hashes.text[:500]
        return manifest, loaded, {row[0] for row in rows}

    manifest_b, loaded_b, hashes_b = pull(token_b)
    manifest_c, loaded_c, hashes_c = pull(token_c)
    assert len(manifest_b) >= 10 and len(manifest_c) >= 1
    generated_uuid = generated[1]["uuid"]
    assert generated_uuid in manifest_c and generated_uuid not in manifest_b
    assert not set(manifest_b) & set(manifest_c), "no event is in both partners' feeds"
    values_b = {str(a.value) for ev in loaded_b.values() for a in ev.attributes}
    only_c = {str(a.value) for a in loaded_c[generated_uuid].attributes} - values_b
    assert only_c, "the generated event has values of its own"
    for v in only_c:
        assert hashlib.md5(v.encode()).hexdigest() not in hashes_b, f"{v} (C's only) is in B's hashes.csv"
    # An event of C's feed is a 404 to B, like one that does not exist; no token, 401.
    r = requests.get(f"{feed}/{generated_uuid}.json", headers={"Authorization": f"Bearer {token_b}"}, timeout=60)
    assert r.status_code == 404
    assert requests.get(f"{feed}/manifest.json", timeout=60).status_code == 401
    print(f"B: {len(loaded_b)} events, {sum(len(e.attributes) for e in loaded_b.values())} attributes; C: {len(loaded_c)}")
