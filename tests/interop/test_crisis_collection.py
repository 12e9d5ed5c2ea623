"""A crisis's own TAXII collection read by the OASIS client, taxii2-client
(v21 API): partners A and B, hosted on one node, ratify an agreement for
real and exercise data; A activates an exercise crisis; B shares an
indicator into it (a grouping naming the crisis and the indicator, under
the agreement) and another indicator beside it. The client lists the
crisis's collection, titled after the crisis and marked an exercise, and
pages its objects: the grouping and the indicator, not the other. The
node's own partner, no party, gets 404 (docs/partnership.md, "Intelligence
of the crisis").
"""

import json
import time
import uuid

import pytest

from conftest import TAXII, basic, require_module

requests = require_module("requests")
taxii2client = require_module("taxii2client")
from taxii2client.v21 import ApiRoot, Collection, as_pages  # noqa: E402

T = "2026-06-01T00:00:00.000Z"
NS = uuid.UUID("0e1b3c5d-7f91-4a2b-8c4d-6e8f0a1b2c3d")


def sid(type_, name):
    return f"{type_}--{uuid.uuid5(NS, name)}"


@pytest.fixture(scope="module")
def crisis(node, tmp_path_factory):
    a, b = node.partners["Partner A"], node.partners["Partner B"]
    work = tmp_path_factory.mktemp("crisis")
    terms = {
        "title": "A-B crisis cooperation", "purpose": "respond together", "party_refs": [a, b],
        "scope": {"object_types": ["indicator", "grouping"], "labels": [], "data_kind": "both"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "none", "attribution": "required", "permitted_actions": []},
        "valid_from": "2020-01-01T00:00:00Z",
    }
    (work / "terms.json").write_text(json.dumps(terms))
    agreement = node.out("agreement", "propose", "--as", a, work / "terms.json")
    for p in (a, b):
        node.cli("agreement", "ratify", "--as", p, agreement)
    made = node.cli("module", "act", "--as", a, agreement, "crisis", "activate", "--input",
                    json.dumps({"title": "Flooded substations", "severity": "severe", "exercise": True})).stdout
    crisis_id = json.loads(made)["id"]
    ind = lambda name, domain: {  # noqa: E731
        "type": "indicator", "spec_version": "2.1", "id": sid("indicator", name), "created_by_ref": b,
        "created": T, "modified": T, "name": name, "pattern": f"[domain-name:value = '{domain}']",
        "pattern_type": "stix", "valid_from": T}
    inside, beside = ind("flood C2", "flood-c2.example"), ind("unrelated", "other.example")
    grouping = {"type": "grouping", "spec_version": "2.1", "id": sid("grouping", "floods"), "created_by_ref": b,
                "created": T, "modified": T, "name": "Floods", "context": "suspicious-activity",
                "object_refs": [crisis_id, inside["id"]]}
    (work / "shared.json").write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [inside, beside, grouping]}))
    node.cli("import", "--as", b, "--share", agreement, work / "shared.json")
    time.sleep(1.2)  # the server rereads agreements at least every second
    return {"id": crisis_id.split("--", 1)[1], "members": {inside["id"], grouping["id"]}, "beside": beside["id"]}


def test_the_client_lists_and_pages_a_crisis_collection(node, crisis):
    root = ApiRoot(node.api_root, user="i", password=node.tokens["a_analyst"])
    listed = {c.id: c for c in root.collections}
    assert crisis["id"] in listed, sorted(c.title for c in root.collections)
    col = listed[crisis["id"]]
    assert col.title == "[EXERCISE] Crisis: Flooded substations"
    assert "an exercise" in col.description
    assert (col.can_read, col.can_write) == (True, False)
    col = Collection(node.collection_url(crisis["id"]), user="i", password=node.tokens["a_analyst"])
    got = set()
    for page in as_pages(col.get_objects, per_request=1):
        got |= {o["id"] for o in page.get("objects", [])}
    assert got == crisis["members"], got
    b = Collection(node.collection_url(crisis["id"]), user="i", password=node.tokens["b_analyst"])
    assert {o["id"] for o in b.get_objects().get("objects", [])} == crisis["members"]


def test_no_party_gets_404_for_a_crisis_collection(node, crisis):
    for path in ("", "objects/", f"objects/{crisis['beside']}/"):
        r = requests.get(node.collection_url(crisis["id"]) + path, auth=basic(node.tokens["home_admin"]), headers={"Accept": TAXII})
        assert r.status_code == 404, (path, r.status_code, r.text)
    r = requests.get(node.collection_url(crisis["id"]) + f"objects/{crisis['beside']}/", auth=basic(node.tokens["a_analyst"]), headers={"Accept": TAXII})
    assert r.status_code == 404, "an object of the agreement outside the crisis"
