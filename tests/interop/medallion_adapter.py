"""Runs the HTTP test suite of medallion, the OASIS reference TAXII 2.1
server (`medallion/test/test_backends.py`), against a running Entente node.

The suite is medallion's, unchanged, loaded at test time from a copy of
medallion's source; none of it is kept in this repository. No medallion
distribution on PyPI ships `medallion/test/` (its MANIFEST.in excludes it),
so the copy is found, in order, at:

  1. $MEDALLION_SUITE_DIR: a `medallion/test` directory of a source checkout
     at the release pinned in requirements.txt (tag v3.0.0), or the checkout
     itself;
  2. `medallion/test` inside the installed medallion package, should a
     release ever ship it.

How the suite meets Entente:

- medallion's fixture (`test/data/default_data.json`) is loaded into a fresh
  node: each collection of API root `trustgroup1` is created with its id
  (`entente collection create --id`), its access mapped onto partners (the
  suite's user is partner A; "can_read: false" means only partner B reads,
  "can_write: false" only B writes), and its objects are posted by A over
  TAXII in the fixture's `date_added` order, so their relative order is kept
  (their absolute `date_added` cannot be: Entente assigns it).
- The suite's Flask test client becomes HTTP: `/trustgroup1/...` is sent to
  `/taxii2/root/...`, other API roots to `/taxii2/<name>/` (they do not
  exist), `/taxii2/` stays. Its Basic credentials become A's token.
- The fixture's status resource id is mapped onto the status of the fixture
  load (Entente cannot hold a status it did not create).
- Dates (on by default; MEDALLION_SUITE_TRANSLATE_DATES=0 turns it off):
  the fixture's `date_added` values (2014-2017) cannot be given to Entente,
  which stamps each version when it stores it. As the load keeps their order,
  the adapter translates between the two clocks, one to one: an
  `added_after` older than the load becomes the stored date of the last
  fixture version added at or before it, and every stored date of a fixture
  version in a response (headers and body) is shown as the fixture's date.
  Dates of objects the suite adds itself are left alone.
- Tests of medallion's own configuration and internals (NOT_HTTP) are not
  run.
"""

import ast
import importlib.util
import json
import os
import sys
import time
import types
from pathlib import Path

FIXTURE_ROOT = "trustgroup1"
FIXTURE_STATUS = "2d086da7-4bdc-4f91-900e-d77486753710"

# Tests of medallion's own configuration, backends and threads: nothing an
# HTTP server can be asked.
NOT_HTTP = {
    "test_no_config",
    "test_default_userpass_no_config",
    "test_default_backend_no_config",
    "test_default_taxii_config_no_config",
    "test_default_taxii_no_taxii_section",
    "test_default_userpass_no_auth_section",
    "test_default_backend_no_backend_section",
    "test_save_to_file",
    "test_status_cleanup",
}


def find_suite():
    """The directory holding test_backends.py and data/default_data.json, or None."""
    candidates = []
    env = os.environ.get("MEDALLION_SUITE_DIR")
    if env:
        p = Path(env)
        candidates += [p, p / "medallion" / "test", p / "test"]
    spec = importlib.util.find_spec("medallion")
    if spec and spec.submodule_search_locations:
        candidates += [Path(loc) / "test" for loc in spec.submodule_search_locations]
    for c in candidates:
        if (c / "test_backends.py").is_file() and (c / "data" / "default_data.json").is_file():
            return c
    return None


def _literal_class_attr(path, cls_name, attr):
    """A literal class attribute of a class in a source file, read without running the file."""
    tree = ast.parse(Path(path).read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls_name:
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and any(getattr(t, "id", None) == attr for t in stmt.targets):
                    return ast.literal_eval(stmt.value)
    raise LookupError(f"{cls_name}.{attr} not found in {path}")


def load_suite(suite_dir):
    """Imports medallion's test_backends.py as `medallion.test.test_backends`.

    `medallion.test` is the suite's own __init__.py (its endpoint constants);
    `medallion.test.base_test` is replaced by a stand-in TaxiiTest that keeps
    the suite's TEST_OBJECT and DATA_FILE but starts no Flask application
    (the real one needs medallion's in-process app and, for some releases,
    MongoDB)."""
    import medallion

    suite_dir = Path(suite_dir)
    pkg_spec = importlib.util.spec_from_file_location(
        "medallion.test", suite_dir / "__init__.py", submodule_search_locations=[str(suite_dir)])
    pkg = importlib.util.module_from_spec(pkg_spec)
    sys.modules["medallion.test"] = pkg
    pkg_spec.loader.exec_module(pkg)
    medallion.test = pkg

    base = types.ModuleType("medallion.test.base_test")

    class TaxiiTest:
        type = None
        DATA_FILE = str(suite_dir / "data" / "default_data.json")
        TEST_OBJECT = _literal_class_attr(suite_dir / "base_test.py", "TaxiiTest", "TEST_OBJECT")

        def setUp(self, *a, **k):  # the suite's own fixtures call these; ours do not
            raise RuntimeError("medallion's in-process server is not used; the backend fixture is Entente")

        def tearDown(self):
            pass

    base.TaxiiTest = TaxiiTest
    sys.modules["medallion.test.base_test"] = base
    pkg.base_test = base

    spec = importlib.util.spec_from_file_location("medallion.test.test_backends", suite_dir / "test_backends.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["medallion.test.test_backends"] = mod
    spec.loader.exec_module(mod)
    return mod, TaxiiTest


def suite_tests(mod):
    """The suite's HTTP test functions, in file order: name -> function."""
    out = {}
    for name, obj in vars(mod).items():
        if name.startswith("test_") and callable(obj) and not isinstance(obj, type) and name not in NOT_HTTP:
            out[name] = obj
    return out


# --- the Flask test client, as HTTP --------------------------------------------------

class Response:
    """What the suite reads of a Flask test response."""

    def __init__(self, r):
        self._r = r
        self.status_code = r.status_code
        self.headers = r.headers
        # Flask gives the Content-Type header as sent; compare without spaces after ';'
        ct = r.headers.get("Content-Type")
        self.content_type = ";".join(p.strip() for p in ct.split(";")) if ct else ct
        self.data = r.content

    @property
    def json(self):
        try:
            return json.loads(self.data)
        except ValueError:
            return None

    def get_json(self):
        return self.json


class DateMap:
    """Stored date_added of each fixture version <-> the fixture's date_added."""

    def __init__(self, pairs):
        # pairs: [(fixture date text, stored date text)], in stored order
        self.to_fixture = {stored: fixture for fixture, stored in pairs}
        self.pairs = sorted(((_dt(f), stored) for f, stored in pairs), key=lambda p: p[0])
        self.first_stored = min((_dt(st) for _, st in pairs), default=None)

    def added_after(self, value):
        """An added_after of the fixture's era, on the stored clock."""
        try:
            x = _dt(value)
        except ValueError:
            return value  # malformed: let the server answer it
        if self.first_stored is None or x >= self.first_stored:
            return value
        stored = [st for f, st in self.pairs if f <= x]
        return stored[-1] if stored else "1970-01-01T00:00:00Z"

    def text(self, s):
        for stored, fixture in self.to_fixture.items():
            s = s.replace(stored, fixture)
        return s


def _dt(text):
    from datetime import datetime, timezone

    t = text.strip().rstrip("Z")
    if "." in t:
        head, frac = t.split(".")
        t = head + "." + (frac + "000000")[:6]
    else:
        t += ".000000"
    return datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)


class _CIDict(dict):
    """Headers, case-insensitive on lookup like Werkzeug's."""

    def __init__(self, d):
        super().__init__({k.lower(): v for k, v in d.items()})

    def __getitem__(self, k):
        return super().__getitem__(k.lower())

    def get(self, k, default=None):
        return super().get(k.lower(), default)

    def __contains__(self, k):
        return super().__contains__(k.lower())


class Client:
    def __init__(self, base, token, status_map=None, api_root_path="/taxii2/root/"):
        import requests

        self.dates = None  # a DateMap, when dates are translated
        self.api_root_path = api_root_path
        self.base = base.rstrip("/")
        self.token = token
        self.status_map = dict(status_map or {})
        self.session = requests.Session()
        self.log = []  # (method, path sent, status, content type, body) of every request, for failure reports

    def map_path(self, path):
        p, sep, q = path.partition("?")
        if not p.startswith("/taxii2/"):
            parts = p.split("/", 2)
            root, rest = parts[1], (parts[2] if len(parts) > 2 else "")
            p = (self.api_root_path if root == FIXTURE_ROOT else f"/taxii2/{root}/") + rest
        for old, new in self.status_map.items():
            p = p.replace(old, new)
        if self.dates and q:
            from urllib.parse import parse_qsl, quote

            parts = []
            for k, v in parse_qsl(q, keep_blank_values=True):
                if k == "added_after":
                    v = self.dates.added_after(v)
                parts.append(f"{k}={quote(v, safe=':[],-_.')}")
            q = "&".join(parts)
        return p + sep + q

    def _headers(self, headers):
        out = dict(headers or {})
        if "Authorization" in out:
            import base64

            out["Authorization"] = "Basic " + base64.b64encode(b"medallion-suite:" + self.token.encode()).decode()
        return out

    def open(self, method, path, headers=None, data=None, follow_redirects=False, query_string=None, json=None, **_):
        import json as _json

        sent = self.map_path(path)
        if json is not None and data is None:
            data = _json.dumps(json)
        r = self.session.request(method, self.base + sent, headers=self._headers(headers), data=data,
                                 params=query_string, allow_redirects=follow_redirects, timeout=60)
        self.log.append((method, sent, r.status_code, r.headers.get("Content-Type"), r.text[:300]))
        resp = Response(r)
        if self.dates:
            resp.data = self.dates.text(r.text).encode()
            resp.headers = {k: self.dates.text(v) for k, v in r.headers.items()}
            resp.headers = _CIDict(resp.headers)
        return resp

    def get(self, path, **kw):
        return self.open("GET", path, **kw)

    def post(self, path, **kw):
        return self.open("POST", path, **kw)

    def delete(self, path, **kw):
        return self.open("DELETE", path, **kw)

    def put(self, path, **kw):
        return self.open("PUT", path, **kw)


# --- the fixture, into Entente ------------------------------------------------------

def _version(o):
    return o.get("modified") or o.get("created")


def create_collections(node, data_file):
    """Creates the fixture's collections (before the node serves)."""
    root = json.loads(Path(data_file).read_text())[FIXTURE_ROOT]
    a, b = node.partners["Medallion user"], node.partners["Someone else"]
    for c in root["collections"]:
        read = "all" if c.get("can_read") else b
        write = a if c.get("can_write") else b
        node.collection(c["id"], c["title"], read=read, write=write, id=c["id"], description=c.get("description"))


def load_objects(node, data_file, token_label="medallion"):
    """Posts the fixture's objects as partner A; returns {fixture status id:
    status id of the load} and the load's statuses."""
    root = json.loads(Path(data_file).read_text())[FIXTURE_ROOT]
    statuses = []
    for c in root["collections"]:
        if not c.get("objects"):
            continue
        by_key = {(o["id"], _version(o)): o for o in c["objects"]}
        ordered = []
        for m in sorted(c.get("manifest", []), key=lambda m: m["date_added"]):
            o = by_key.pop((m["id"], m["version"]), None)
            if o is not None:
                ordered.append(o)
        ordered += list(by_key.values())
        statuses.append(post_and_wait(node, c["id"], ordered, token_label))
    return ({FIXTURE_STATUS: statuses[0]["id"]} if statuses else {}), statuses


def date_map(node, data_file, token_label="medallion"):
    """Pairs each fixture version's date_added with the one Entente stored."""
    import requests

    root = json.loads(Path(data_file).read_text())[FIXTURE_ROOT]
    taxii = "application/taxii+json;version=2.1"
    auth = ("medallion-suite", node.tokens[token_label])
    pairs = []
    for c in root["collections"]:
        if not c.get("manifest"):
            continue
        fixture = {(m["id"], _dt(m["version"])): m["date_added"] for m in c["manifest"]}
        url = f"{node.api_root}collections/{c['id']}/manifest/"
        params = {"match[version]": "all", "match[spec_version]": "2.0,2.1", "limit": "1000"}
        stored = requests.get(url, params=params, auth=auth, headers={"Accept": taxii}, timeout=30).json()
        for m in stored.get("objects", []):
            f = fixture.get((m["id"], _dt(m["version"])))
            if f is not None:
                pairs.append((f, m["date_added"]))
    return DateMap(pairs)


def post_and_wait(node, cid, objects, token_label):
    import requests

    taxii = "application/taxii+json;version=2.1"
    url = f"{node.api_root}collections/{cid}/objects/"
    auth = ("medallion-suite", node.tokens[token_label])
    r = requests.post(url, data=json.dumps({"objects": objects}), auth=auth,
                      headers={"Accept": taxii, "Content-Type": taxii}, timeout=60)
    assert r.status_code == 202, f"loading medallion's fixture: POST {url} -> {r.status_code}: {r.text[:500]}"
    status = r.json()
    deadline = time.monotonic() + 60
    while status.get("status") != "complete" and time.monotonic() < deadline:
        time.sleep(0.1)
        status = requests.get(f"{node.api_root}status/{status['id']}/", auth=auth, headers={"Accept": taxii},
                              timeout=30).json()
    return status


class EntenteBackend:
    """The `backend` the suite's tests take: a client, headers, TEST_OBJECT."""

    type = "memory"

    def __init__(self, node, base_cls, token, status_map):
        self.node = node
        self.TEST_OBJECT = base_cls.TEST_OBJECT
        self.DATA_FILE = base_cls.DATA_FILE
        self.client = Client(node.base, token, status_map, node.api_root_path)
        taxii = "application/taxii+json;version=2.1"
        self.headers = {"Accept": taxii, "Authorization": "Basic (replaced by the adapter)"}
        self.post_headers = {"Content-Type": taxii, "Accept": taxii, "Authorization": "Basic (replaced)"}

    def count(self, documents):
        return len(documents)
