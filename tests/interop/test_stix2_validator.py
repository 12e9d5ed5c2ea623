"""Every object Entente serves over TAXII is valid STIX 2.1 by the OASIS
validator (stix2-validator): a generated data set (`entente generate
--objects 2000 --seed 3`) is imported with `entente import` before the node
serves, then read back through TAXII with paging and validated one by one.
Warnings are allowed; they are written to <data dir>/validator-warnings.txt
and summarised in the test output.
"""

import collections
import json
import os
import re

import pytest

from conftest import TAXII, basic, require_module, standard_node, target

requests = require_module("requests")
stix2validator = require_module("stix2validator")
from stix2validator import ValidationOptions, validate_instance, validate_string  # noqa: E402

OBJECTS = int(os.environ.get("ENTENTE_INTEROP_GENERATE_OBJECTS", "2000"))
SEED = 3


def version_of(o):
    return o.get("modified") or o.get("created")


@pytest.fixture(scope="module")
def served(node_factory):
    """(generated objects, served objects, node) for a node holding the generated data set."""
    if target() != "entente":
        pytest.skip("needs `entente generate` and `entente import`")
    n = standard_node(node_factory)
    data = n.data_dir / "generated.json"
    n.cli("generate", "--objects", OBJECTS, "--seed", SEED, "-o", data)
    generated = json.loads(data.read_text())["objects"]
    assert len(generated) >= OBJECTS

    # Into a collection every partner reads: `import --collection` if the
    # command has it; otherwise the objects must show in some collection.
    import_help = n.import_help()
    if "--collection" in import_help:
        cid = n.collection("generated", "Generated intelligence", read="all", write=n.partners["Home CERT"])
        r = n.import_files(data, collection=cid)
        collections_to_read = [cid]
    else:
        r = n.import_files(data)
        collections_to_read = None
    assert r.returncode == 0, f"entente import rejected objects:\n{r.stderr[-3000:]}"

    n.start()
    try:
        auth = basic(n.tokens["home_admin"])
        if collections_to_read is None:
            cols = requests.get(n.api_root + "collections/", headers={"Accept": TAXII}, auth=auth, timeout=30)
            assert cols.status_code == 200, cols.text[:300]
            collections_to_read = [c["id"] for c in cols.json().get("collections", [])]
        served = []
        for cid in collections_to_read:
            served.extend(read_all(n, cid, auth))
        assert served, ("nothing imported with `entente import` is served over TAXII: `entente import` has no "
                        "--collection option and no collection lists the objects")
        yield generated, served, n
    finally:
        n.stop()


def read_all(node, cid, auth, limit=500):
    url = f"{node.api_root}collections/{cid}/objects/"
    params = {"match[version]": "all", "limit": str(limit)}
    out, pages = [], 0
    while True:
        r = requests.get(url, params=params, headers={"Accept": TAXII}, auth=auth, timeout=120)
        assert r.status_code == 200, f"GET {r.url} -> {r.status_code}: {r.text[:300]}"
        env = r.json()
        out.extend(env.get("objects", []))
        pages += 1
        assert pages < 10_000
        if not env.get("more"):
            return out
        assert env.get("next"), "more without next"
        params["next"] = env["next"]


def test_everything_imported_is_served(served):
    generated, objs, _ = served
    key = lambda o: (o["id"], version_of(o))  # noqa: E731
    got = collections.Counter(key(o) for o in objs)
    dupes = [k for k, c in got.items() if c > 1]
    assert not dupes, f"served twice: {dupes[:10]}"
    want = {key(o) for o in generated}
    # SCOs have no version of their own; compare them by id.
    assert {k[0] for k in got} == {k[0] for k in want}
    assert {k for k in got if k[1]} == {k for k in want if k[1]}


def test_served_bytes_equal_the_generated_objects(served):
    generated, objs, _ = served
    by_key = {(o["id"], version_of(o)): o for o in generated}
    different = [o["id"] for o in objs if by_key.get((o["id"], version_of(o))) != o]
    assert not different, f"{len(different)} objects served differently from how they were imported, e.g. {different[:5]}"


def test_every_served_object_is_valid_stix21(served):
    _, objs, node = served
    options = ValidationOptions(version="2.1")
    errors, warnings = [], collections.Counter()
    examples = {}
    for o in objs:
        result = validate_instance(o, options)
        if not result.is_valid or result.errors:
            errors.append((o["id"], [str(e) for e in result.errors]))
        for w in result.warnings:
            msg = str(w)
            # group warnings by their text without the object's own values
            kind = f"{o['type']}: {msg.split(':')[0][:150]}"
            warnings[kind] += 1
            examples.setdefault(kind, (o["id"], msg))
    report = node.data_dir / "validator-warnings.txt"
    report.write_text("\n".join(f"{n:6} {k}\n       e.g. {examples[k][0]}: {examples[k][1]}"
                                for k, n in warnings.most_common()) + "\n")
    if warnings:
        print(f"\nstix2-validator warnings ({sum(warnings.values())} in {len(objs)} objects), by kind:")
        for k, n in warnings.most_common():
            print(f"  {n:6}  {k}\n          e.g. {examples[k][0]}: {examples[k][1][:300]}")
    assert not errors, f"{len(errors)} of {len(objs)} served objects are invalid STIX 2.1, e.g.:\n" + \
        "\n".join(f"{i}: {e}" for i, e in errors[:20])


def test_whole_pages_validate_as_bundles(served):
    """The validator also takes a bundle of served objects as one document."""
    _, objs, _ = served
    # Only latest versions: a bundle with two versions of one id is legal, but keep it simple.
    latest = {}
    for o in objs:
        latest[o["id"]] = o
    bundle = {"type": "bundle", "id": "bundle--8f1d3e5a-3f5e-4c7a-9d5b-2f6c1e0a9b11", "objects": list(latest.values())[:500]}
    result = validate_string(json.dumps(bundle), ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors][:20]


def test_exported_objects_are_valid_stix21(node_factory):
    """The same data set through `entente import` and `entente export` (the
    stored bytes, which TAXII serves as they are), validated one by one."""
    if target() != "entente":
        pytest.skip("needs the entente command line")
    n = node_factory("export")
    data, out = n.data_dir / "generated.json", n.data_dir / "exported.json"
    n.cli("generate", "--objects", OBJECTS, "--seed", SEED, "-o", data)
    n.cli("import", data)
    n.cli("export", "-o", out)
    generated = json.loads(data.read_text())["objects"]
    exported = json.loads(out.read_text())["objects"]
    # The export also holds the node's own identity (made on first use).
    missing = {(o["id"], version_of(o)) for o in generated} - {(o["id"], version_of(o)) for o in exported}
    assert not missing, f"{len(missing)} generated versions are not exported, e.g. {sorted(missing)[:5]}"
    options = ValidationOptions(version="2.1")
    errors = []
    for o in exported:
        result = validate_instance(o, options)
        if not result.is_valid:
            errors.append((o["id"], [str(e) for e in result.errors]))
    assert not errors, f"{len(errors)} of {len(exported)} exported objects are invalid STIX 2.1: {errors[:10]}"


def signed_in(node, token):
    """A requests session signed in to the node's web pages with an API token
    (the sign-in form's CSRF nonce read from the page, as a browser does)."""
    s = requests.Session()
    r = s.get(node.base + "/login", timeout=30)
    assert r.status_code == 200, r.text[:300]
    nonce = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert nonce, "the sign-in form has no CSRF field"
    r = s.post(node.base + "/login", data={"csrf": nonce.group(1), "token": token}, timeout=30, allow_redirects=False)
    assert r.status_code == 303, f"sign-in -> {r.status_code}: {r.text[:300]}"
    return s


def test_downloads_from_the_pages_are_valid_stix21_bundles(served):
    """A search's results and a report with its contents, downloaded from the
    web pages as STIX (`/intel/download?format=stix`,
    `/intel/{id}/download?format=stix`), are bundles the validator accepts."""
    generated, _, node = served
    s = signed_in(node, node.tokens["home_admin"])
    reports = [o["id"] for o in generated if o["type"] == "report"]
    downloads = ["/intel/download?type=indicator,malware,report&format=stix", "/intel/download?q=a&format=stix"]
    downloads += [f"/intel/{r}/download?format=stix" for r in reports[:3]]
    for path in downloads:
        r = s.get(node.base + path, timeout=120)
        assert r.status_code == 200, f"GET {path} -> {r.status_code}: {r.text[:300]}"
        assert r.headers["content-type"].startswith("application/stix+json"), r.headers
        bundle = r.json()
        assert bundle["type"] == "bundle" and bundle["objects"], f"{path}: an empty bundle"
        result = validate_string(r.text, ValidationOptions(version="2.1"))
        assert result.is_valid, (path, [str(e) for e in result.errors][:20])
