"""`entente export --format`: the Sigma rules load in pySigma (the Sigma
project's own library), the Suricata rules parse with idstools, the CSV
reads back with Python's csv module with no cell a spreadsheet would run,
and the IOC list holds each value once. Hostile names and values included:
what a partner writes must not break out of a rule or a cell."""

import csv
import io
import json
import uuid

import pytest

from conftest import require_module, target

require_module("sigma")
require_module("idstools")
from sigma.collection import SigmaCollection  # noqa: E402
from idstools import rule as idstools_rule  # noqa: E402

AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"


def indicator(n, pattern, name):
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.UUID(int=n)}",
            "created": "2026-03-01T10:00:00Z", "modified": "2026-03-01T10:00:00Z", "name": name,
            "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-03-01T10:00:00Z",
            "object_marking_refs": [AMBER], "labels": ["c2"]}


OBJECTS = [
    indicator(1, "[ipv4-addr:value = '198.51.100.7'] OR [ipv6-addr:value = '2001:db8::7']", "C2 \"relay\"; sid:1; msg:x"),
    indicator(2, "[domain-name:value IN ('evil.example', 'it\\'s.example')]", "=cmd|' /C calc'!A0"),
    indicator(3, "[url:value = 'https://evil.example/gate.php?a=1;b=\"2\"']", "Gate\nnewline"),
    indicator(4, "[file:hashes.'SHA-256' = '" + "ab" * 32 + "'] OR [file:hashes.MD5 = '" + "cd" * 16 + "']", "Loader"),
    indicator(5, "[ipv4-addr:value = '203.0.113.1'] AND [domain-name:value = 'both.example']", "needs both"),
    {"type": "domain-name", "spec_version": "2.1", "id": f"domain-name--{uuid.UUID(int=6)}", "value": "evil.example"},
]


@pytest.fixture(scope="module")
def exported(node_factory, tmp_path_factory):
    if target() != "entente":
        pytest.skip("entente export is Entente's")
    n = node_factory("formats")
    n.init("Formats")
    d = tmp_path_factory.mktemp("formats-in")
    (d / "in.json").write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": OBJECTS}))
    n.cli("import", str(d / "in.json"))
    out = {}
    for fmt in ["csv", "iocs", "suricata", "sigma"]:
        r = n.cli("export", "--format", fmt)
        out[fmt] = (r.stdout, r.stderr)
    return out


def test_sigma_rules_load_in_pysigma(exported):
    text, err = exported["sigma"]
    rules = SigmaCollection.from_yaml(text).rules
    assert len(rules) == 4, text  # addresses (v4 and v6), domains, the url, hashes (process_creation)
    assert "1 indicators left out" in err, err
    titles = {r.title for r in rules}
    assert 'Entente C2 relay sid1 msgx' in titles, titles
    dns = next(r for r in rules if r.logsource.category == "dns")
    values = [str(v) for d in dns.detection.detections["selection"].detection_items for v in d.value]
    assert values == ["evil.example", "it's.example"], values


def test_suricata_rules_parse_and_stay_inside_their_quotes(exported):
    text, err = exported["suricata"]
    lines = [l for l in text.splitlines() if l.strip()]
    assert len(lines) == 5, text  # two addresses, two domains, one url
    sids = set()
    for line in lines:
        rule = idstools_rule.parse(line)
        assert rule is not None, line
        assert rule.msg.startswith("Entente "), line
        sids.add(rule.sid)
    assert len(sids) == 5 and min(sids) == 9100000, sids
    assert "2 indicators left out" in err, err  # the AND, and the hashes (no Suricata keyword)


def test_csv_reads_back_with_no_formula(exported):
    text, _ = exported["csv"]
    ours = {o["id"] for o in OBJECTS}
    every = list(csv.DictReader(io.StringIO(text)))
    rows = [r for r in every if r["id"] in ours]
    assert len(rows) == len(OBJECTS)
    names = {r["id"]: r["name"] for r in rows}
    assert names[f"indicator--{uuid.UUID(int=2)}"] == "'=cmd|' /C calc'!A0"
    assert names[f"indicator--{uuid.UUID(int=3)}"] == "Gate\nnewline"
    for r in every:
        for v in r.values():
            assert not v or v[0] not in "=+-@", r


def test_ioc_list_holds_each_value_once(exported):
    text, _ = exported["iocs"]
    values = text.split("\n")[:-1]
    assert len(values) == len(set(values)), values
    assert "evil.example" in values and "198.51.100.7" in values and "ab" * 32 in values
