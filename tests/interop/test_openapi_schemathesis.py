"""The REST API against its own OpenAPI document, with schemathesis: every
operation of `GET /api/v1/openapi.json`, as each role (viewer, analyst,
liaison, a hosted partner's admin, the node's admin), with a bounded number
of generated requests per operation and bounded stateful sequences along
the document's links. Every check schemathesis has must pass: no server
error; every answer one the document describes (status, media type,
headers, body schema); a request the document calls invalid refused, a
valid one not refused as malformed; a missing or wrong token refused.
Figures: docs/security.md, "The REST API against its OpenAPI document".
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import require, require_module, standard_node, target

requests = require_module("requests")
require_module("schemathesis")

# Generated requests per operation and role, and steps per stateful
# scenario: bounded, so that CI stays quick (about a minute per role).
EXAMPLES = int(os.environ.get("ENTENTE_INTEROP_SCHEMATHESIS_EXAMPLES", "25"))
STEPS = int(os.environ.get("ENTENTE_INTEROP_SCHEMATHESIS_STEPS", "6"))
# Every check schemathesis has. Beside the conformance of each answer
# (status, media type, headers, body schema) and no server error: a request
# the document says is invalid must be refused (negative_data_rejection), a
# valid one must not be (positive_data_acceptance, below), a missing or
# wrong token must be refused (ignored_auth, missing_required_header), an
# undocumented method answers 405 with `Allow`. use_after_free and
# ensure_resource_availability follow DELETE, which the API has none of.
CHECKS = "all"
ROLES = ["a_viewer", "a_analyst", "a_liaison", "a_admin", "home_admin"]
# What the seed's indicator matches (and the document's detection example sends).
SEEN_IP = "198.51.100.7"


@pytest.fixture(scope="module")
def api_node(node_factory):
    if target() != "entente":
        pytest.skip("the OpenAPI document is Entente's own")
    # Schemathesis's authentication probes fail on purpose, hundreds of times
    # from one address: the limiter's threshold is raised for this node so
    # that a probe is answered 401 (what is checked), not 429. The limiter
    # itself is tested in the server's tests.
    n = standard_node(node_factory, env={"ENTENTE_AUTH_FAILURE_LIMIT": "100000"})
    a, b = n.partners["Partner A"], n.partners["Partner B"]
    n.token("a_liaison", a, "liaison", user="lia")
    n.token("b_liaison", b, "liaison", user="liam")
    n.start()
    try:
        n.seeded = seed(n, a, b)
        yield n
    finally:
        n.stop()


def seed(n, a, b):
    """Something for every answer to describe: an agreement in force between
    A and B, an object and an indicator A shares under it; returns the ids
    schemathesis is given to draw path and body values from."""
    api = f"{n.base}/api/v1"

    def call(method, token, path, body=None):
        r = requests.request(method, f"{api}/{path}", json=body, headers={"Authorization": f"Bearer {n.tokens[token]}"}, timeout=60)
        assert r.status_code in (200, 201), f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    terms = {
        "title": "Schemathesis", "purpose": "share malware analysis", "party_refs": [a, b],
        "scope": {"object_types": ["malware", "indicator"], "labels": [], "data_kind": "real"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "parties-only", "attribution": "required", "permitted_actions": []},
        "valid_from": "2020-01-01T00:00:00Z",
    }
    agreement = call("POST", "a_liaison", "agreements", terms)["id"]
    call("POST", "a_liaison", f"agreements/{agreement}/ratify")
    call("POST", "b_liaison", f"agreements/{agreement}/ratify")
    malware = {
        "type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000018",
        "created_by_ref": a, "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
        "name": "seeded", "is_family": False,
    }
    indicator = {
        "type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000018",
        "created_by_ref": a, "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
        "name": "seeded", "pattern": f"[ipv4-addr:value = '{SEEN_IP}']", "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    shared = call("POST", "a_analyst", "objects", {"objects": [malware, indicator], "agreements": [agreement]})
    assert [r["status"] for r in shared["results"]] == ["stored", "stored"], shared
    modules = call("GET", "a_viewer", "modules")["modules"]
    return {
        "agreements": [agreement],
        "objects": [malware["id"], indicator["id"]],
        "partners": [a, b],
        "modules": [m["name"] for m in modules] or ["none"],
        "actions": sorted({x["name"] for m in modules for x in m["actions"]}) or ["none"],
    }


def toml(value):
    """A TOML value (JSON's strings, numbers, booleans and arrays are TOML's)."""
    return json.dumps(value)


def config(seeded):
    """schemathesis.toml for one run: the node's real ids to draw parameters
    from (half of the time; generated values the other half), and the
    statuses a request valid by the document may still get."""
    # A valid request may still be refused for what only the node knows:
    # a resource it names that does not exist or that the caller may not see
    # (404, or 422 for an id inside a body), the caller's role (403), a
    # conflict (409), terms or a STIX object or a module action's input the
    # node's rules refuse (422, naming what), the limiter (429). Never 400:
    # a 400 on a request valid by the document means the document is wrong.
    accepted = ["2xx", "401", "403", "404", "409", "422", "429"]
    lines = [
        f"max-failures = 50",
        "[generation]",
        f"max-examples = {EXAMPLES}",
        "[phases.stateful]",
        f"max-steps = {STEPS}",
        "[checks.positive_data_acceptance]",
        f"expected-statuses = {toml(accepted)}",
        "[dictionaries]",
        f"agreements = {{ values = {toml(seeded['agreements'])} }}",
        f"ids = {{ values = {toml(seeded['objects'] + seeded['agreements'] + seeded['partners'])} }}",
        f"objects = {{ values = {toml(seeded['objects'])} }}",
        f"partners = {{ values = {toml(seeded['partners'])} }}",
        f"modules = {{ values = {toml(seeded['modules'])} }}",
        f"actions = {{ values = {toml(seeded['actions'])} }}",
        f"values = {{ values = {toml([SEEN_IP])} }}",
        "[parameters]",
        '"path.id" = { dictionary = "ids", probability = 0.5 }',
        '"path.module" = { dictionary = "modules", probability = 0.5 }',
        '"path.action" = { dictionary = "actions", probability = 0.5 }',
        '"path.value" = { dictionary = "values", probability = 0.5 }',
        '"query.partner" = { dictionary = "partners", probability = 0.5 }',
        '"body.agreements[*]" = { dictionary = "agreements", probability = 0.5 }',
        '"body.party_refs[*]" = { dictionary = "partners", probability = 0.5 }',
        '"body.versions[*].id" = { dictionary = "objects", probability = 0.5 }',
    ]
    # Under /agreements/{id}, `id` is an agreement's.
    lines += [
        "[[operations]]",
        'include-path-regex = "^/api/v1/agreements/[{]id[}]"',
        "[operations.parameters]",
        '"path.id" = { dictionary = "agreements", probability = 0.5 }',
    ]
    # `next` is a cursor the node sealed for one caller and one query: any
    # other string, however well formed, is refused with 400 (and that
    # refusal is what every such request is checked for).
    for path in ["/api/v1/objects", "/api/v1/agreements/{id}/modules/{module}/records"]:
        lines += [
            "[[operations]]",
            f"include-path = {toml(path)}",
            "include-method = \"GET\"",
            "[operations.checks.positive_data_acceptance]",
            f"expected-statuses = {toml(accepted + ['400'])}",
        ]
    return "\n".join(lines) + "\n"


def schemathesis_cli():
    st = Path(sys.executable).parent / "st"
    require(st.is_file(), f"schemathesis' command line not found at {st}")
    return st


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_as_its_document_says(api_node, role, tmp_path):
    cfg = tmp_path / "schemathesis.toml"
    cfg.write_text(config(api_node.seeded))
    cmd = [
        str(schemathesis_cli()), "--config-file", str(cfg), "run", f"{api_node.base}/api/v1/openapi.json",
        "--url", api_node.base,
        "--header", f"Authorization: Bearer {api_node.tokens[role]}",
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing,stateful",
        "--seed", "18",
        "--request-timeout", "60",
        "--no-color",
    ]
    began = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    took = time.monotonic() - began
    report = r.stdout[-20000:] + r.stderr[-4000:]
    assert r.returncode == 0, f"schemathesis as {role}:\n{report}\n--- server log ---\n{api_node.log_tail()}"
    summary = [line.strip() for line in r.stdout.splitlines()
               if re.match(r"\s*\d+ generated", line) or line.strip().startswith(("Scenarios:", "API Links:"))]
    print(f"schemathesis as {role} ({took:.0f} s): {' / '.join(summary)}")
