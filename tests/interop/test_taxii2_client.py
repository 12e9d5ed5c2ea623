"""Entente's TAXII 2.1 server driven by the OASIS client, taxii2-client (v21
API): discovery, API root, collections, adding objects and polling status,
every filter, paging, manifest, object, versions and deletion; then the error
paths (authentication, media types, access, bad input) with plain HTTP.
"""

import http.client
import json
import time
import uuid
from datetime import datetime, timezone

import pytest

from conftest import STIX, TAXII, basic, require_module, target

requests = require_module("requests")
taxii2client = require_module("taxii2client")
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages  # noqa: E402

NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
SCO_NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # STIX 2.1 deterministic SCO ids

T1 = "2024-01-01T00:00:00.000Z"
T2 = "2024-02-01T00:00:00.000Z"
N_EXTRA = 60  # indicators in the second batch, so that paging at 50 takes two pages


# --- helpers -------------------------------------------------------------------

def sid(type_, name):
    return f"{type_}--{uuid.uuid5(NS, name)}"


def ts(text):
    """A STIX timestamp as an aware datetime (to the microsecond), so that
    '...00Z' and '...00.000Z' compare equal."""
    t = text.rstrip("Z")
    if "." in t:
        head, frac = t.split(".")
        t = head + "." + (frac + "000000")[:6]
    else:
        t += ".000000"
    return datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)


def version_of(obj):
    v = obj.get("modified") or obj.get("created")
    return ts(v) if v else None


def key(obj):
    return (obj["id"], version_of(obj))


def keys(objs):
    out = [key(o) for o in objs]
    assert len(out) == len(set(out)), f"duplicate objects in a response: {sorted(out)}"
    return set(out)


def objects_of(envelope):
    return envelope.get("objects", []) if envelope else []


def indicator(name, author, created, modified=None, **extra):
    o = {
        "type": "indicator", "spec_version": "2.1", "id": sid("indicator", name),
        "created": created, "modified": modified or created, "created_by_ref": author,
        "name": name, "indicator_types": ["malicious-activity"],
        "pattern": f"[domain-name:value = '{name}.example']", "pattern_type": "stix",
        "valid_from": created,
    }
    o.update(extra)
    return o


def sdo(type_, seed, author, created, **props):
    return {"type": type_, "spec_version": "2.1", "id": sid(type_, seed), "created": created,
            "modified": created, "created_by_ref": author, **props}


def ipv4(value):
    canon = json.dumps({"value": value}, separators=(",", ":"), sort_keys=True)
    return {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{uuid.uuid5(SCO_NS, canon)}",
            "value": value}


def envelope(*objs):
    return {"objects": list(objs)}


def collection(node, label, token_label="a_analyst"):
    return Collection(node.collection_url(label), user="interop", password=node.tokens[token_label])


def all_pages(func, per_request=100, **filters):
    pages = list(as_pages(func, per_request=per_request, **filters))
    objs = []
    for p in pages:
        objs.extend(p.get("objects", []))
    return pages, objs


def taxii_get(node, url, token_label="a_analyst", params=None, accept=TAXII, auth=True):
    return requests.get(url, params=params, headers={"Accept": accept},
                        auth=basic(node.tokens[token_label]) if auth else None, timeout=30)


def taxii_post(node, url, body, token_label="a_analyst", content_type=TAXII, accept=TAXII):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(url, data=data, headers={"Accept": accept, "Content-Type": content_type},
                         auth=basic(node.tokens[token_label]), timeout=60)


def assert_media_type(r):
    ct = r.headers.get("Content-Type", "").replace(" ", "").lower()
    assert ct.startswith("application/taxii+json;version=2.1"), \
        f"{r.request.method} {r.url} -> {r.status_code} with Content-Type {ct!r}, expected {TAXII}"


def assert_taxii_error(r, codes):
    """A 4xx answer with a TAXII error body in the TAXII media type."""
    codes = (codes,) if isinstance(codes, int) else tuple(codes)
    assert r.status_code in codes, \
        f"{r.request.method} {r.url}: expected {codes}, got {r.status_code}: {r.text[:500]}"
    assert_media_type(r)
    try:
        body = r.json()
    except ValueError:
        pytest.fail(f"{r.request.method} {r.url} -> {r.status_code}: error body is not JSON: {r.text[:300]!r}")
    assert isinstance(body, dict) and isinstance(body.get("title"), str) and body["title"], \
        f"error body without a title: {body}"
    assert "http_status" in body, f"error body without http_status: {body}"
    assert str(body["http_status"]) == str(r.status_code), body
    return body


def wait_status(node, status_id, token_label="a_analyst", timeout=30):
    url = f"{node.api_root}status/{status_id}/"
    deadline = time.monotonic() + timeout
    while True:
        r = taxii_get(node, url, token_label)
        assert r.status_code == 200, f"GET {url} -> {r.status_code}: {r.text[:300]}"
        s = r.json()
        if s["status"] == "complete" or time.monotonic() > deadline:
            return s
        time.sleep(0.1)


def post_and_wait(node, label, body, token_label="a_analyst"):
    r = taxii_post(node, node.collection_url(label) + "objects/", body, token_label)
    assert r.status_code == 202, f"POST {r.url} -> {r.status_code}: {r.text[:500]}"
    assert_media_type(r)
    s = wait_status(node, r.json()["id"], token_label)
    assert s["status"] == "complete", s
    return s


# --- the data set ---------------------------------------------------------------

class DataSet:
    pass


@pytest.fixture(scope="module")
def data(node):
    """Two batches posted by partner A through taxii2-client; indicator I1 in
    two versions (T1 in batch 1, T2 in batch 2)."""
    a = node.partners["Partner A"]
    d = DataSet()
    d.i1_v1 = indicator("i1", a, T1)
    d.i1_v2 = indicator("i1", a, T1, T2, description="second version")
    d.malware = sdo("malware", "m1", a, "2024-01-02T00:00:00.000Z", name="Poison Ivy", is_family=True)
    d.attack = sdo("attack-pattern", "ap1", a, "2024-01-03T00:00:00.000Z", name="Spearphishing")
    d.rel = sdo("relationship", "r1", a, "2024-01-04T00:00:00.000Z", relationship_type="indicates",
                source_ref=d.i1_v1["id"], target_ref=d.malware["id"])
    d.sco = ipv4("198.51.100.7")
    d.campaign = sdo("campaign", "c1", a, "2024-02-02T00:00:00.000Z", name="Operation Interop")
    d.extra = [indicator(f"x{k}", a, f"2024-03-01T00:{k // 60:02d}:{k % 60:02d}.000Z") for k in range(N_EXTRA)]
    d.batch1 = [d.i1_v1, d.malware, d.attack, d.rel, d.sco]
    d.batch2 = [d.i1_v2, d.campaign, *d.extra]

    col = collection(node, "walk")
    d.col = col
    d.status1 = col.add_objects(envelope(*d.batch1), wait_for_completion=True, poll_interval=0.2, timeout=30)
    manifest1 = col.get_manifest(version="all")
    d.boundary = max((m["date_added"] for m in manifest1.get("objects", [])), key=ts)
    d.status2 = col.add_objects(envelope(*d.batch2), wait_for_completion=True, poll_interval=0.2, timeout=30)

    d.latest = [d.i1_v2, d.malware, d.attack, d.rel, d.sco, d.campaign, *d.extra]
    d.every = d.latest + [d.i1_v1]
    return d


# --- discovery, API root, collections -----------------------------------------------

def test_discovery(node):
    server = Server(node.discovery, user="interop", password=node.tokens["a_analyst"])
    assert server.title
    urls = [r.url for r in server.api_roots]
    assert node.api_root in urls, f"api_roots {urls} lack {node.api_root}"
    if server.default is not None:
        assert server.default.url in urls


def test_api_root(node):
    root = ApiRoot(node.api_root, user="interop", password=node.tokens["a_analyst"])
    assert root.title
    assert TAXII in [v.replace(" ", "") for v in root.versions]
    assert isinstance(root.max_content_length, int) and root.max_content_length > 0


def test_collections_seen_by_a(node):
    root = ApiRoot(node.api_root, user="interop", password=node.tokens["a_analyst"])
    cols = {c.id: c for c in root.collections}
    rw, ro, hidden = (node.collections[k] for k in ("rw", "ro", "hidden"))
    assert rw in cols and ro in cols
    assert hidden not in cols, "a collection A may neither read nor write is listed for A"
    wo = node.collections["wo"]
    assert wo in cols and (cols[wo].can_read, cols[wo].can_write) == (False, True)
    assert (cols[rw].can_read, cols[rw].can_write) == (True, True)
    assert (cols[ro].can_read, cols[ro].can_write) == (True, False)
    assert cols[rw].title == "A shares here"
    assert cols[rw].description == "writable by A"
    for c in cols.values():
        assert STIX in [m.replace(" ", "") for m in (c.media_types or [STIX])]


def test_collections_seen_by_viewer_and_b(node):
    viewer = {c.id: c for c in ApiRoot(node.api_root, user="v", password=node.tokens["a_viewer"]).collections}
    assert viewer[node.collections["rw"]].can_write is False, "a viewer token may not write"
    b = {c.id: c for c in ApiRoot(node.api_root, user="b", password=node.tokens["b_analyst"]).collections}
    assert set(node.collections.values()) <= set(b)
    assert b[node.collections["hidden"]].can_read and b[node.collections["hidden"]].can_write


def test_bearer_token(node):
    r = requests.get(node.api_root + "collections/",
                     headers={"Accept": TAXII, "Authorization": "Bearer " + node.tokens["a_bearer"]}, timeout=30)
    assert r.status_code == 200, r.text[:300]
    assert_media_type(r)


# --- adding objects, status -----------------------------------------------------------

def test_add_status_complete(node, data):
    for status, batch in ((data.status1, data.batch1), (data.status2, data.batch2)):
        assert status.status == "complete"
        assert status.total_count == len(batch)
        assert status.success_count == len(batch), status._raw
        assert status.failure_count == 0 and status.pending_count == 0, status._raw
        got = {s["id"] for s in status.successes}
        assert got == {o["id"] for o in batch}


def test_status_with_and_without_trailing_slash(node, data):
    for suffix in ("", "/"):
        r = taxii_get(node, f"{node.api_root}status/{data.status1.id}{suffix}")
        assert r.status_code == 200, f"{r.url} -> {r.status_code}"
        assert_media_type(r)
        assert r.json()["id"] == data.status1.id


def test_status_of_another_partner_is_not_served(node, data):
    r = taxii_get(node, f"{node.api_root}status/{data.status1.id}/", "b_analyst")
    assert r.status_code in (403, 404), f"B read A's status: {r.status_code}"


def test_unknown_status_404(node):
    assert_taxii_error(taxii_get(node, f"{node.api_root}status/{uuid.uuid4()}/"), 404)


# --- get objects with every filter --------------------------------------------------------

def test_get_objects_default_is_latest_versions(data):
    env = data.col.get_objects()
    assert keys(objects_of(env)) == keys(data.latest)
    assert env.get("more") is False


FILTER_CASES = {
    "id": (dict(id=sid("indicator", "i1")), lambda d: [d.i1_v2]),
    "id_two": (dict(id=[sid("indicator", "i1"), sid("malware", "m1")]), lambda d: [d.i1_v2, d.malware]),
    "type": (dict(type="malware"), lambda d: [d.malware]),
    "type_two": (dict(type=["campaign", "relationship"]), lambda d: [d.campaign, d.rel]),
    "type_sco": (dict(type="ipv4-addr"), lambda d: [d.sco]),
    "version_last": (dict(version="last"), lambda d: d.latest),
    "version_first": (dict(version="first"), lambda d: [d.i1_v1] + [o for o in d.latest if o is not d.i1_v2]),
    "version_all": (dict(version="all"), lambda d: d.every),
    "version_timestamp": (dict(version=T1), lambda d: [d.i1_v1]),
    "version_timestamp_t2": (dict(version=T2), lambda d: [d.i1_v2]),
    "version_first_last": (dict(version="first,last"), lambda d: d.every),
    "spec_version_21": (dict(spec_version="2.1"), lambda d: d.latest),
    "spec_version_20": (dict(spec_version="2.0"), lambda d: []),
    "type_and_version_first": (dict(type="indicator", version="first"), lambda d: [d.i1_v1, *d.extra]),
    "id_and_version_all": (dict(id=sid("indicator", "i1"), version="all"), lambda d: [d.i1_v1, d.i1_v2]),
}


@pytest.mark.parametrize("case", list(FILTER_CASES))
def test_get_objects_filter(data, case):
    filters, expected = FILTER_CASES[case]
    _, objs = all_pages(data.col.get_objects, **filters)
    assert keys(objs) == keys(expected(data)), f"filters {filters}"


def test_added_after(data):
    _, objs = all_pages(data.col.get_objects, added_after=data.boundary)
    assert keys(objs) == keys([data.i1_v2, data.campaign, *data.extra]), f"added_after={data.boundary}"
    _, objs = all_pages(data.col.get_objects, added_after="2000-01-01T00:00:00Z")
    assert keys(objs) == keys(data.latest)
    env = data.col.get_objects(added_after="2999-01-01T00:00:00Z")
    assert objects_of(env) == []


def test_added_after_manifest(data):
    _, entries = all_pages(data.col.get_manifest, added_after=data.boundary, version="all")
    assert all(ts(e["date_added"]) > ts(data.boundary) for e in entries)
    assert {e["id"] for e in entries} == {o["id"] for o in data.batch2}


# --- paging -------------------------------------------------------------------------

@pytest.mark.parametrize("per_request", [1, 50])
@pytest.mark.parametrize("version", ["last", "all"])
def test_paging_objects(data, per_request, version):
    pages, objs = all_pages(data.col.get_objects, per_request=per_request, version=version)
    expected = data.latest if version == "last" else data.every
    assert keys(objs) == keys(expected)  # keys() also rejects duplicates
    assert len(objs) == len(expected)
    assert len(pages) == -(-len(expected) // per_request)
    for p in pages[:-1]:
        assert p.get("more") is True and p.get("next"), p.keys()
        assert len(p["objects"]) == per_request
    assert pages[-1].get("more") is False


@pytest.mark.parametrize("per_request", [1, 50])
def test_paging_manifest(data, per_request):
    pages, entries = all_pages(data.col.get_manifest, per_request=per_request, version="all")
    got = [(e["id"], ts(e["version"])) for e in entries if not e["id"].startswith("ipv4-addr--")]
    assert len(got) == len(set(got))
    expected = {k for k in keys(data.every) if not k[0].startswith("ipv4-addr--")}
    assert set(got) == expected
    assert len(entries) == len(data.every)
    dates = [ts(e["date_added"]) for e in entries]
    assert dates == sorted(dates), "manifest not in date_added order"
    if target() == "entente":  # Entente's invariant: date_added strictly increases, one per version
        assert len(set(dates)) == len(dates), "two versions share a date_added"


def test_paging_with_type_filter_and_next_token_reuse(node, data):
    """Entente's cursors are positions, so a GET with the same next is repeatable
    (the spec does not require it; medallion's next tokens are one-shot)."""
    if target() != "entente":
        pytest.skip("next tokens are one-shot on medallion")
    url = node.collection_url("walk") + "objects/"
    r1 = taxii_get(node, url, params={"match[type]": "indicator", "limit": 7})
    assert r1.status_code == 200
    p1 = r1.json()
    assert len(p1["objects"]) == 7 and p1["more"] is True and p1["next"]
    r2 = taxii_get(node, url, params={"match[type]": "indicator", "limit": 7, "next": p1["next"]})
    r2b = taxii_get(node, url, params={"match[type]": "indicator", "limit": 7, "next": p1["next"]})
    assert r2.status_code == 200 and r2b.status_code == 200
    assert r2.json()["objects"] == r2b.json()["objects"], "the same next token gave different pages"
    assert not keys(p1["objects"]) & keys(r2.json()["objects"])


# --- manifest, headers, object, versions ------------------------------------------------

def test_manifest(data):
    _, entries = all_pages(data.col.get_manifest)
    by_id = {e["id"]: e for e in entries}
    assert set(by_id) == {o["id"] for o in data.latest}
    for o in data.latest:
        e = by_id[o["id"]]
        assert e["media_type"].replace(" ", "") == STIX
        ts(e["date_added"])
        if version_of(o) is not None:
            assert ts(e["version"]) == version_of(o), e
        else:
            ts(e["version"])  # an SCO's version is the date it was added


@pytest.mark.parametrize("endpoint", ["manifest/", "objects/"])
@pytest.mark.parametrize("params", [{}, {"limit": "10"}, {"match[version]": "all"}, {"match[type]": "indicator", "limit": "5"}])
def test_date_added_headers(node, data, endpoint, params):
    url = node.collection_url("walk")
    r = taxii_get(node, url + endpoint, params=params)
    assert r.status_code == 200
    m = taxii_get(node, url + "manifest/", params=params).json()["objects"]
    first, last = r.headers.get("X-TAXII-Date-Added-First"), r.headers.get("X-TAXII-Date-Added-Last")
    assert first and last, f"missing X-TAXII-Date-Added-* on {r.url}: {dict(r.headers)}"
    assert ts(first) == ts(m[0]["date_added"]), (first, m[0])
    assert ts(last) == ts(m[-1]["date_added"]), (last, m[-1])
    if endpoint == "manifest/":
        got = r.json()["objects"]
        assert first == got[0]["date_added"] and last == got[-1]["date_added"]


def test_date_added_headers_on_second_page(node, data):
    url = node.collection_url("walk") + "manifest/"
    p1 = taxii_get(node, url, params={"limit": "10"}).json()
    r = taxii_get(node, url, params={"limit": "10", "next": p1["next"]})
    got = r.json()["objects"]
    assert r.headers["X-TAXII-Date-Added-First"] == got[0]["date_added"]
    assert r.headers["X-TAXII-Date-Added-Last"] == got[-1]["date_added"]


def test_get_object(data):
    i1 = sid("indicator", "i1")
    assert keys(objects_of(data.col.get_object(i1))) == keys([data.i1_v2])
    assert keys(objects_of(data.col.get_object(i1, version="all"))) == keys([data.i1_v1, data.i1_v2])
    assert keys(objects_of(data.col.get_object(i1, version="first"))) == keys([data.i1_v1])
    assert keys(objects_of(data.col.get_object(i1, version=T1))) == keys([data.i1_v1])
    assert keys(objects_of(data.col.get_object(data.sco["id"]))) == keys([data.sco])


def test_get_object_is_served_as_posted(data):
    """Entente keeps each version's JSON bytes and serves them as they are."""
    got = objects_of(data.col.get_object(data.malware["id"]))[0]
    assert got == data.malware


def test_object_versions(data):
    v = data.col.object_versions(sid("indicator", "i1"))
    assert [ts(x) for x in v["versions"]] == [ts(T1), ts(T2)]
    assert v.get("more") is False
    v = data.col.object_versions(sid("malware", "m1"))
    assert [ts(x) for x in v["versions"]] == [version_of(data.malware)]


def test_unknown_object_404(node, data):
    for path in (f"objects/{sid('indicator', 'nope')}/", f"objects/{sid('indicator', 'nope')}/versions/"):
        assert_taxii_error(taxii_get(node, node.collection_url("rw") + path), 404)


def test_delete_version_then_all(node, data):
    a = node.partners["Partner A"]
    v1, v2, v3 = "2024-05-01T00:00:00.000Z", "2024-05-02T00:00:00.000Z", "2024-05-03T00:00:00.000Z"
    d = [indicator("d", a, v1, v) for v in (v1, v2, v3)]
    col = collection(node, "rw")
    st = col.add_objects(envelope(*d), wait_for_completion=True, poll_interval=0.2, timeout=30)
    assert st.success_count == 3, st._raw
    did = d[0]["id"]
    assert sorted(ts(x) for x in col.object_versions(did)["versions"]) == [ts(v1), ts(v2), ts(v3)]

    col.delete_object(did, version=v2)
    assert sorted(ts(x) for x in col.object_versions(did)["versions"]) == [ts(v1), ts(v3)]
    assert keys(objects_of(col.get_object(did))) == keys([d[2]])

    col.delete_object(did, version="first")
    assert [ts(x) for x in col.object_versions(did)["versions"]] == [ts(v3)]

    col.delete_object(did, version="all")
    for call in (lambda: col.get_object(did), lambda: col.object_versions(did)):
        with pytest.raises(requests.HTTPError) as e:
            call()
        assert e.value.response.status_code == 404
    assert objects_of(col.get_manifest(id=did)) == []
    assert keys(objects_of(col.get_objects(id=did, version="all"))) == set()


def test_delete_respects_match_spec_version(node, data):
    """DELETE .../objects/{id}/?match[spec_version]=2.0 removes only STIX 2.0
    versions; this object has none, so nothing is removed (TAXII 2.1, 5.7:
    Delete An Object takes match[version] and match[spec_version])."""
    a = node.partners["Partner A"]
    o = indicator("keep-21", a, T1)
    col = collection(node, "rw")
    assert col.add_objects(envelope(o), wait_for_completion=True, poll_interval=0.2, timeout=30).success_count == 1
    url = node.collection_url("rw") + f"objects/{o['id']}/"
    r = requests.delete(url, params={"match[spec_version]": "2.0"}, headers={"Accept": TAXII},
                        auth=basic(node.tokens["a_analyst"]), timeout=30)
    assert r.status_code in (200, 404), r.text[:300]
    v = taxii_get(node, url + "versions/")
    assert v.status_code == 200, f"DELETE ?match[spec_version]=2.0 removed the object's only (STIX 2.1) version: GET versions -> {v.status_code}"
    assert [ts(x) for x in v.json()["versions"]] == [ts(T1)]
    assert objects_of(col.get_object(o["id"], spec_version="2.0")) == []
    r = requests.delete(url, params={"match[spec_version]": "2.1"}, headers={"Accept": TAXII},
                        auth=basic(node.tokens["a_analyst"]), timeout=30)
    assert r.status_code == 200
    assert taxii_get(node, url + "versions/").status_code == 404


def test_delete_needs_write_access(node, data):
    url = node.collection_url("walk") + f"objects/{sid('malware', 'm1')}/"
    r = requests.delete(url, headers={"Accept": TAXII}, auth=basic(node.tokens["a_viewer"]), timeout=30)
    assert_taxii_error(r, 403)
    # B may not see A's object (nothing shares it with B): to B it does not exist.
    r = requests.delete(url, headers={"Accept": TAXII}, auth=basic(node.tokens["b_analyst"]), timeout=30)
    assert_taxii_error(r, 404)
    assert objects_of(data.col.get_object(sid("malware", "m1")))


# --- authentication, media types, access ------------------------------------------------

@pytest.mark.parametrize("path", ["collections/", "", "collections/{rw}/objects/", "collections/{rw}/manifest/"])
def test_401_without_credentials(node, path):
    url = node.api_root + path.format(rw=node.collections["rw"])
    r = requests.get(url, headers={"Accept": TAXII}, timeout=30)
    body = assert_taxii_error(r, 401)
    assert r.headers.get("WWW-Authenticate"), f"401 without WWW-Authenticate: {dict(r.headers)} {body}"


def test_401_with_a_wrong_token(node):
    r = requests.get(node.api_root + "collections/", headers={"Accept": TAXII}, auth=("x", "not-a-token"), timeout=30)
    assert_taxii_error(r, 401)
    r = requests.get(node.api_root + "collections/", headers={"Accept": TAXII, "Authorization": "Bearer nope"}, timeout=30)
    assert_taxii_error(r, 401)


def test_401_on_post_without_credentials(node):
    r = requests.post(node.collection_url("rw") + "objects/", data=json.dumps(envelope()),
                      headers={"Accept": TAXII, "Content-Type": TAXII}, timeout=30)
    assert r.status_code == 401 and r.headers.get("WWW-Authenticate")


def test_revoked_token_is_refused(node):
    tok = node.token("short", "Partner A", "viewer", user="short-lived")
    r = requests.get(node.api_root + "collections/", headers={"Accept": TAXII}, auth=("u", tok), timeout=30)
    assert r.status_code == 200
    listing = node.cli("token", "list").stdout
    token_id = next((line.split()[0] for line in listing.splitlines() if "short-lived" in line), None)
    assert token_id, f"token list does not show the token issued to user short-lived:\n{listing}"
    node.cli("token", "revoke", token_id)
    r = requests.get(node.api_root + "collections/", headers={"Accept": TAXII}, auth=("u", tok), timeout=30)
    assert_taxii_error(r, 401)


@pytest.mark.parametrize("accept", ["application/xml", "application/taxii+json;version=2.0",
                                    "application/vnd.oasis.taxii+json; version=2.0", "text/html"])
@pytest.mark.parametrize("path", ["", "collections/", "collections/{rw}/objects/"])
def test_406_bad_accept(node, accept, path):
    url = node.api_root + path.format(rw=node.collections["rw"])
    r = taxii_get(node, url, accept=accept)
    assert r.status_code == 406, f"GET {url} Accept: {accept} -> {r.status_code}"


@pytest.mark.parametrize("accept", ["application/taxii+json", "application/taxii+json; version=2.1", "*/*",
                                    "application/*"])
def test_acceptable_accept(node, accept):
    r = taxii_get(node, node.api_root + "collections/", accept=accept)
    assert r.status_code == 200, f"Accept: {accept} -> {r.status_code}"
    assert_media_type(r)


@pytest.mark.parametrize("ctype", ["application/json", "text/plain", "application/stix+json;version=2.1",
                                   "application/taxii+json;version=2.0"])
def test_415_bad_content_type(node, ctype):
    r = taxii_post(node, node.collection_url("rw") + "objects/", envelope(), content_type=ctype)
    assert_taxii_error(r, 415)


def test_403_on_a_collection_a_cannot_write(node):
    a = node.partners["Partner A"]
    body = envelope(indicator("forbidden", a, T1))
    assert_taxii_error(taxii_post(node, node.collection_url("ro") + "objects/", body), 403)
    assert_taxii_error(taxii_post(node, node.collection_url("rw") + "objects/", body, "a_viewer"), 403)
    # and taxii2-client refuses before sending
    ro = collection(node, "ro")
    with pytest.raises(Exception):
        ro.add_objects(envelope(indicator("forbidden2", a, T1)))


def test_403_on_a_collection_a_cannot_read(node):
    """'wo' is visible to A (A may write to it) but not readable: 403."""
    for path in ("objects/", "manifest/", f"objects/{sid('indicator', 'i1')}/",
                 f"objects/{sid('indicator', 'i1')}/versions/"):
        assert_taxii_error(taxii_get(node, node.collection_url("wo") + path), 403)
    r = taxii_get(node, node.collection_url("wo"))
    assert r.status_code == 200 and r.json()["can_read"] is False and r.json()["can_write"] is True, r.text[:300]
    a = node.partners["Partner A"]
    s = post_and_wait(node, "wo", envelope(indicator("dropped", a, T1)))
    assert s["success_count"] == 1, s


def test_invisible_collection_is_404(node):
    """'hidden' (read B, write B) does not exist as far as A can tell: 404,
    exactly as for an unknown collection (a 403 would confirm that it exists)."""
    for path in ("", "objects/", "manifest/", f"objects/{sid('indicator', 'i1')}/"):
        assert_taxii_error(taxii_get(node, node.collection_url("hidden") + path), 404)
    a = node.partners["Partner A"]
    assert_taxii_error(taxii_post(node, node.collection_url("hidden") + "objects/", envelope(indicator("h", a, T1))), 404)


def test_404_on_an_unknown_collection(node):
    unknown = str(uuid.uuid4())
    for path in ("", "objects/", "manifest/", f"objects/{sid('indicator', 'i1')}/"):
        assert_taxii_error(taxii_get(node, f"{node.api_root}collections/{unknown}/{path}"), 404)
    assert_taxii_error(taxii_post(node, f"{node.api_root}collections/{unknown}/objects/", envelope()), 404)


def test_404_on_an_unknown_api_root(node):
    r = taxii_get(node, node.base + "/taxii2/nope/")
    assert r.status_code == 404


# --- bad input ---------------------------------------------------------------------

def test_envelope_of_non_objects(node):
    """A well-formed envelope whose items are not objects: a 4xx, or a status
    that reports each item as a failure."""
    r = taxii_post(node, node.collection_url("rw") + "objects/", b'{"objects": [1, "two"]}')
    if r.status_code == 202:
        s = r.json()
        assert (s["success_count"], s["failure_count"], s["total_count"]) == (0, 2, 2), s
    else:
        assert_taxii_error(r, (400, 422))


@pytest.mark.parametrize("body", [
    b"not json",
    b'{"objects": "not a list"}',
    b"[]",
    b'{"objects": [',
    b"",
    json.dumps({"type": "indicator"}).encode(),
], ids=["not-json", "objects-string", "array", "truncated", "empty", "bare-object"])
def test_malformed_envelope(node, body):
    r = taxii_post(node, node.collection_url("rw") + "objects/", body)
    assert_taxii_error(r, (400, 422))


@pytest.mark.parametrize("params", [
    {"added_after": "yesterday"},
    {"added_after": "2024-13-45T00:00:00Z"},
    {"limit": "-1"},
    {"limit": "0"},
    {"limit": "ten"},
    {"match[version]": "bogus"},
    {"match[spec_version]": "banana"},
    {"next": "not-a-cursor"},
], ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
@pytest.mark.parametrize("endpoint", ["objects/", "manifest/"])
def test_bad_query(node, params, endpoint):
    r = taxii_get(node, node.collection_url("rw") + endpoint, params=params)
    assert_taxii_error(r, 400)


@pytest.mark.parametrize("path", [
    "/taxii2/root/collections/{rw}/objects/..%2F..%2F..%2Fetc%2Fpasswd/",
    "/taxii2/root/collections/{rw}/objects/indicator--..%2F..%2F{hidden}/",
    "/taxii2/root/collections/{rw}/objects/..%2f{hidden}%2fobjects/versions/",
    "/taxii2/root/collections/..%2F{hidden}/objects/",
    "/taxii2/root/collections/{rw}%2F..%2F{hidden}/objects/",
    "/taxii2/root/status/..%2F..%2Fhealthz/",
    "/taxii2/root/collections/{rw}/objects/indicator--%00/",
    "/taxii2/root/collections/{rw}/objects/../../{hidden}/objects/",
])
def test_path_traversal(node, path):
    path = path.format(rw=node.collections["rw"], hidden=node.collections["hidden"])
    conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=30)
    import base64
    auth = base64.b64encode(b"interop:" + node.tokens["a_analyst"].encode()).decode()
    conn.request("GET", path, headers={"Accept": TAXII, "Authorization": "Basic " + auth})
    resp = conn.getresponse()
    raw = resp.read()
    headers = dict(resp.getheaders())
    conn.close()
    assert 400 <= resp.status < 500, f"GET {path} -> {resp.status}: {raw[:300]!r}"
    ct = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    assert ct.replace(" ", "").lower().startswith("application/taxii+json;version=2.1"), \
        f"GET {path} -> {resp.status} with Content-Type {ct!r}"
    body = json.loads(raw)
    assert body.get("title") and str(body.get("http_status")) == str(resp.status), body


def test_mixed_envelope(node):
    a, b = node.partners["Partner A"], node.partners["Partner B"]
    good = [indicator("mixed-good-1", a, T1), sdo("malware", "mixed-good-2", a, T1, name="Good", is_family=False)]
    no_pattern = indicator("mixed-bad-pattern", a, T1)
    del no_pattern["pattern"]
    bad_time = indicator("mixed-bad-time", a, "2024-01-01")
    other_author = indicator("mixed-other-author", a, T1, created_by_ref=b)
    modified_before_created = indicator("mixed-bad-modified", a, T2, T1)
    bad = [no_pattern, bad_time, other_author, modified_before_created]
    s = post_and_wait(node, "rw", envelope(good[0], *bad, good[1]))
    assert s["total_count"] == 6
    assert s["success_count"] == 2, s
    assert s["failure_count"] == 4, s
    assert {x["id"] for x in s.get("successes", [])} == {o["id"] for o in good}
    failures = {x["id"]: x for x in s.get("failures", [])}
    assert set(failures) == {o["id"] for o in bad}, s
    for f in failures.values():
        assert f.get("message"), f"failure without a message: {f}"
    col = collection(node, "rw")
    got = keys(objects_of(col.get_objects(id=[o["id"] for o in good + bad], version="all")))
    assert got == keys(good)


def test_only_the_author_adds_versions(node, data):
    """B may write to 'ro' but may not add a version of A's indicator there."""
    a, b = node.partners["Partner A"], node.partners["Partner B"]
    by_b = indicator("i1", a, T1, "2024-06-01T00:00:00.000Z", created_by_ref=b)
    by_b_no_ref = indicator("i1", a, T1, "2024-06-02T00:00:00.000Z")
    del by_b_no_ref["created_by_ref"]
    own = indicator("b-own", b, T1)
    s = post_and_wait(node, "ro", envelope(by_b, by_b_no_ref, own), "b_analyst")
    assert s["success_count"] == 1 and s["failure_count"] == 2, s
    assert [x["id"] for x in s["successes"]] == [own["id"]]
    v = data.col.object_versions(sid("indicator", "i1"))
    assert [ts(x) for x in v["versions"]] == [ts(T1), ts(T2)]


def test_reposting_is_idempotent(node, data):
    s = post_and_wait(node, "walk", envelope(data.malware, data.i1_v1))
    assert s["failure_count"] == 0 and s["success_count"] == 2, s
    assert [ts(x) for x in data.col.object_versions(sid("indicator", "i1"))["versions"]] == [ts(T1), ts(T2)]


def test_same_version_different_content_is_a_failure(node, data):
    changed = dict(data.malware, description="changed without a new modified")
    s = post_and_wait(node, "rw", envelope(changed))
    assert s["failure_count"] == 1 and s["success_count"] == 0, s


# --- limits (a node of its own) ---------------------------------------------------

@pytest.fixture(scope="module")
def small_node(node_factory):
    from conftest import standard_node

    n = standard_node(node_factory, env={"ENTENTE_TAXII_MAX_PAGE_SIZE": "5", "ENTENTE_MAX_CONTENT_LENGTH": "4096"})
    n.start()
    try:
        yield n
    finally:
        n.stop()


def test_413_too_large(small_node):
    a = small_node.partners["Partner A"]
    big = indicator("big", a, T1, description="x" * 8000)
    r = taxii_post(small_node, small_node.collection_url("rw") + "objects/", envelope(big))
    assert_taxii_error(r, 413)
    root = ApiRoot(small_node.api_root, user="i", password=small_node.tokens["a_analyst"])
    assert root.max_content_length == 4096


def test_server_max_page_size(small_node):
    a = small_node.partners["Partner A"]
    objs = [indicator(f"p{k}", a, f"2024-04-01T00:00:{k:02d}.000Z") for k in range(12)]
    post_and_wait(small_node, "rw", envelope(*objs[:6]))
    post_and_wait(small_node, "rw", envelope(*objs[6:]))
    col = collection(small_node, "rw")
    env = col.get_objects(limit=50)
    assert len(env["objects"]) == 5 and env["more"] is True
    pages, got = all_pages(col.get_objects, per_request=50)
    assert keys(got) == keys(objs)
    assert [len(p["objects"]) for p in pages] == [5, 5, 2]


# --- more edges -------------------------------------------------------------------

@pytest.mark.parametrize("per_request", [1, 7])
def test_paging_with_added_after(data, per_request):
    _, objs = all_pages(data.col.get_objects, per_request=per_request, added_after=data.boundary)
    assert len(objs) == len(data.batch2)
    assert keys(objs) == keys([data.i1_v2, data.campaign, *data.extra])


def test_limit_above_server_max_is_capped_not_refused(node, data):
    r = taxii_get(node, node.collection_url("walk") + "objects/", params={"limit": "100000000"})
    assert r.status_code == 200, r.text[:300]
    assert len(r.json()["objects"]) == len(data.latest)


def test_versions_paging(node, data):
    url = node.collection_url("walk") + f"objects/{sid('indicator', 'i1')}/versions/"
    r1 = taxii_get(node, url, params={"limit": "1"})
    assert r1.status_code == 200
    p1 = r1.json()
    assert len(p1["versions"]) == 1 and p1["more"] is True and p1.get("next"), p1
    r2 = taxii_get(node, url, params={"limit": "1", "next": p1["next"]})
    p2 = r2.json()
    assert len(p2["versions"]) == 1 and p2.get("more") is False, p2
    assert [ts(x) for x in p1["versions"] + p2["versions"]] == [ts(T1), ts(T2)]
    for r in (r1, r2):
        assert r.headers.get("X-TAXII-Date-Added-First") and r.headers.get("X-TAXII-Date-Added-Last")


def test_unicode_round_trip(node, data):
    a = node.partners["Partner A"]
    o = sdo("campaign", "unicode", a, T1, name="Opération Écureuil 🐿 — 作戦", description="line\nbreak \"quoted\" \\ back")
    col = collection(node, "rw")
    assert col.add_objects(envelope(o), wait_for_completion=True, poll_interval=0.2, timeout=30).success_count == 1
    got = objects_of(col.get_object(o["id"]))
    assert got == [o]


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_406_on_post(node, accept):
    a = node.partners["Partner A"]
    r = taxii_post(node, node.collection_url("rw") + "objects/", envelope(indicator("accept-406", a, T1)), accept=accept)
    assert r.status_code == 406, f"POST with Accept: {accept} -> {r.status_code}"


# --- intelligence from a source that is not a partner -------------------------------

def test_a_producers_own_graph_is_held_by_the_partner_that_posts_it(node):
    """The client posts a small graph authored by its own producer identity,
    as a vendor or an open feed would: Entente stores every object, the
    producer kept untouched as `created_by_ref`, held by the partner whose
    token posted it (docs/sources.md). On Entente, naming another partner as
    author is refused."""
    producer = sdo("identity", "producer", None, T1, name="Interop Producer", identity_class="organization")
    producer.pop("created_by_ref")
    author = producer["id"]
    graph = [
        producer,
        indicator("producer-c2", author, T1),
        sdo("malware", "producer-m", author, T1, name="Producer Malware", is_family=True),
        ipv4("192.0.2.77"),
    ]
    graph.append(sdo("relationship", "producer-r", author, T1, relationship_type="indicates",
                     source_ref=graph[1]["id"], target_ref=graph[2]["id"]))
    col = collection(node, "walk")
    status = col.add_objects(envelope(*graph), wait_for_completion=True, poll_interval=0.2, timeout=30)
    assert (status.success_count, status.failure_count) == (len(graph), 0), status.failures
    for o in graph:
        got = objects_of(col.get_object(o["id"]))
        assert got and got[0] == o, f"{o['id']} not served as posted: {got}"
    if target() == "medallion":
        return
    in_b_name = indicator("speaks-for-b", node.partners["Partner B"], T1)
    status = col.add_objects(envelope(in_b_name), wait_for_completion=True, poll_interval=0.2, timeout=30)
    assert status.failure_count == 1, status
    assert "no one speaks for a partner" in status.failures[0]["message"], status.failures
