"""The REST API against its own OpenAPI document, with schemathesis: every
operation of `GET /api/v1/openapi.json`, as each role (viewer, analyst,
liaison, a hosted partner's admin, the node's admin), with a bounded number
of generated requests per operation. No answer may be a server error, and
every answer must be one the document describes: its status, its media
type, its headers and its body's schema.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import require, require_module, standard_node, target

requests = require_module("requests")
require_module("schemathesis")

# Generated requests per operation and role: bounded, so that CI stays quick.
EXAMPLES = int(os.environ.get("ENTENTE_INTEROP_SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
])
ROLES = ["a_viewer", "a_analyst", "a_liaison", "a_admin", "home_admin"]


@pytest.fixture(scope="module")
def api_node(node_factory):
    if target() != "entente":
        pytest.skip("the OpenAPI document is Entente's own")
    n = standard_node(node_factory)
    a, b = n.partners["Partner A"], n.partners["Partner B"]
    n.token("a_liaison", a, "liaison", user="lia")
    n.token("b_liaison", b, "liaison", user="liam")
    n.start()
    try:
        seed(n, a, b)
        yield n
    finally:
        n.stop()


def seed(n, a, b):
    """Something for every answer to describe: an agreement in force between
    A and B, and an object A shares under it."""
    api = f"{n.base}/api/v1"

    def post(token, path, body=None):
        r = requests.post(f"{api}/{path}", json=body, headers={"Authorization": f"Bearer {n.tokens[token]}"}, timeout=60)
        assert r.status_code in (200, 201), f"POST {path}: {r.status_code} {r.text}"
        return r.json()

    terms = {
        "title": "Schemathesis", "purpose": "share malware analysis", "party_refs": [a, b],
        "scope": {"object_types": ["malware"], "labels": [], "data_kind": "real"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "parties-only", "attribution": "required", "permitted_actions": []},
        "valid_from": "2020-01-01T00:00:00Z",
    }
    agreement = post("a_liaison", "agreements", terms)["id"]
    post("a_liaison", f"agreements/{agreement}/ratify")
    post("b_liaison", f"agreements/{agreement}/ratify")
    malware = {
        "type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000018",
        "created_by_ref": a, "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
        "name": "seeded", "is_family": False,
    }
    shared = post("a_analyst", "objects", {"objects": [malware], "agreements": [agreement]})
    assert shared["results"][0]["status"] == "stored", shared


def schemathesis_cli():
    st = Path(sys.executable).parent / "st"
    require(st.is_file(), f"schemathesis' command line not found at {st}")
    return st


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_as_its_document_says(api_node, role, tmp_path):
    cmd = [
        str(schemathesis_cli()), "run", f"{api_node.base}/api/v1/openapi.json",
        "--url", api_node.base,
        "--header", f"Authorization: Bearer {api_node.tokens[role]}",
        "--checks", CHECKS,
        "--max-examples", str(EXAMPLES),
        "--seed", "18",
        "--no-color",
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    report = r.stdout[-20000:] + r.stderr[-4000:]
    assert r.returncode == 0, f"schemathesis as {role}:\n{report}\n--- server log ---\n{api_node.log_tail()}"
    summary = [line for line in r.stdout.splitlines() if "generated" in line or "passed" in line]
    print(f"schemathesis as {role}: {' / '.join(s.strip() for s in summary[-2:])}")
