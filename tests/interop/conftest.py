"""Fixtures for the TAXII 2.1 interoperability tests: a fresh Entente node per
module (data dir, partners, tokens, collections, `entente serve` on a free
loopback port), always stopped at the end.

Environment:
  ENTENTE_INTEROP_TARGET  `entente` (default) or `medallion`: run the same
                tests against the OASIS reference server, to check the tests
  ENTENTE_BIN   the entente binary (default: <workspace>/target/debug/entente)
  CI            when set, a missing prerequisite fails the run instead of
                skipping it.
"""

import atexit
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"


def in_ci():
    v = os.environ.get("CI", "")
    return v not in ("", "0", "false")


def require(ok, why):
    """A missing prerequisite: a failure under CI, a skip elsewhere."""
    if ok:
        return
    if in_ci():
        pytest.fail("missing prerequisite (CI is set): " + why, pytrace=False)
    pytest.skip(why, allow_module_level=True)


def require_module(name):
    try:
        return __import__(name)
    except ImportError as e:
        require(False, f"python module {name!r} is not installed ({e}); pip install -r tests/interop/requirements.txt")


def entente_bin():
    path = Path(os.environ.get("ENTENTE_BIN") or ROOT / "target" / "debug" / "entente")
    require(path.is_file() and os.access(path, os.X_OK),
            f"entente binary not found at {path} (build it with `cargo build`, or set ENTENTE_BIN)")
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def basic(token, user="interop"):
    """requests' auth tuple: the token is the Basic password, any user name."""
    return (user, token)


@dataclass
class Node:
    """One Entente node: its data dir, its partners, tokens and collections,
    and (once started) its server."""

    bin: Path
    data_dir: Path
    env: dict = field(default_factory=dict)
    proc: subprocess.Popen = None
    port: int = 0
    log_path: Path = None
    partners: dict = field(default_factory=dict)   # name -> identity id
    tokens: dict = field(default_factory=dict)     # label -> token
    collections: dict = field(default_factory=dict)  # label -> collection id

    # --- the command line ---------------------------------------------------
    def cli(self, *args, check=True, input=None, timeout=300):
        cmd = [str(self.bin), "--data-dir", str(self.data_dir), *map(str, args)]
        r = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=timeout,
                           env={**os.environ, **self.env}, stdin=None if input is not None else subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise AssertionError(f"$ {' '.join(cmd)}\nexit {r.returncode}\nstdout: {r.stdout[-2000:]}\nstderr: {r.stderr[-4000:]}")
        return r

    def out(self, *args):
        """Runs a command that prints one value, and returns it."""
        text = self.cli(*args).stdout.strip()
        assert text and "\n" not in text, f"`entente {' '.join(map(str, args))}` should print one line, printed {text!r}"
        return text

    def init(self, name):
        pid = self.out("init", "--name", name)
        assert pid.startswith("identity--"), pid
        self.partners[name] = pid
        return pid

    def add_partner(self, name):
        pid = self.out("partner", "add", "--name", name)
        assert pid.startswith("identity--"), pid
        self.partners[name] = pid
        return pid

    def token(self, label, partner, role, user=None, expires=None):
        args = ["token", "create", "--partner", partner, "--role", role]
        if user:
            args += ["--user", user]
        if expires:
            args += ["--expires", expires]
        tok = self.out(*args)
        self.tokens[label] = tok
        return tok

    def collection(self, label, title, read="all", write="all", id=None, description=None):
        args = ["collection", "create", "--title", title, "--read", read, "--write", write]
        if id:
            args += ["--id", id]
        if description:
            args += ["--description", description]
        cid = self.out(*args)
        uuid.UUID(cid)  # a collection id is a UUID
        if id:
            assert cid == id, f"collection create --id {id} printed {cid}"
        self.collections[label] = cid
        return cid

    def import_files(self, *files, collection=None):
        args = ["import"]
        if collection:
            args += ["--collection", collection]
        return self.cli(*args, *files)

    def import_help(self):
        return self.cli("import", "--help").stdout

    # --- the server -----------------------------------------------------------
    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    api_root_path = "/taxii2/root/"
    health_path = "/healthz"

    @property
    def discovery(self):
        return self.base + "/taxii2/"

    @property
    def api_root(self):
        return self.base + self.api_root_path

    def collection_url(self, label_or_id):
        cid = self.collections.get(label_or_id, label_or_id)
        return f"{self.api_root}collections/{cid}/"

    def start(self, extra_env=None, attempts=3):
        import requests

        for attempt in range(attempts):
            self.port = free_port()
            self.log_path = self.data_dir / f"serve-{self.port}.log"
            log = open(self.log_path, "wb")
            env = {**os.environ, "ENTENTE_LOG": os.environ.get("ENTENTE_LOG", "info"), "NO_COLOR": "1",
                   **self.env, **(extra_env or {})}
            self.proc = subprocess.Popen(
                self.serve_command(),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True,
            )
            log.close()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    if requests.get(self.base + self.health_path, timeout=2, **self.health_kwargs()).status_code == 200:
                        return self
                except requests.RequestException:
                    pass
                time.sleep(0.1)
            # It exited (maybe the port was taken between free_port and bind) or never became healthy.
            self.stop()
            if attempt + 1 == attempts:
                raise AssertionError(f"entente serve did not become healthy on {self.base}:\n{self.log_tail()}")
        return self

    def serve_command(self):
        return [str(self.bin), "--data-dir", str(self.data_dir), "serve", "--listen", f"127.0.0.1:{self.port}"]

    def health_kwargs(self):
        return {}

    def stop(self):
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=15)

    def log_tail(self, n=60):
        if not self.log_path or not self.log_path.exists():
            return "(no log)"
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])


class MedallionNode(Node):
    """The same fixture surface on medallion, the OASIS reference server
    (memory backend), to check the tests themselves: ENTENTE_INTEROP_TARGET=medallion.
    Medallion has one password per user and no partners, so every token is
    the same password and access rules that need partners cannot hold."""

    api_root_path = "/root/"
    health_path = "/taxii2/"
    PASSWORD = "interop-password"

    def cli(self, *args, **kw):
        pytest.skip("the medallion target has no entente command line")

    def init(self, name):
        return self.add_partner(name)

    def add_partner(self, name):
        pid = f"identity--{uuid.uuid5(uuid.NAMESPACE_DNS, name)}"
        self.partners[name] = pid
        return pid

    def token(self, label, partner, role, user=None, expires=None):
        self.tokens[label] = self.PASSWORD
        return self.PASSWORD

    def collection(self, label, title, read="all", write="all", id=None, description=None):
        cid = id or str(uuid.uuid4())
        callers = {self.partners.get(n) for n in ("Partner A", "Medallion user")} - {None}
        can = lambda spec: spec == "all" or bool(callers & set(spec.split(",")))  # noqa: E731
        self.__dict__.setdefault("_collections", []).append({
            "id": cid, "title": title, "description": description or "", "can_read": can(read),
            "can_write": can(write), "media_types": [STIX], "objects": [], "manifest": []})
        self.collections[label] = cid
        return cid

    def health_kwargs(self):
        return {"auth": ("interop", self.PASSWORD), "headers": {"Accept": TAXII}}

    def serve_command(self):
        import json
        import sys

        data = {
            "/discovery": {"title": "medallion", "default": f"{self.base}/root/",
                           "api_roots": [f"{self.base}/root/"]},
            "root": {"information": {"title": "root", "versions": [TAXII],
                                     "max_content_length": int(self.env.get("ENTENTE_MAX_CONTENT_LENGTH", 104857600))},
                     "status": [], "collections": self.__dict__.get("_collections", [])},
        }
        (self.data_dir / "data.json").write_text(json.dumps(data))
        config = {"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend", "filename": str(self.data_dir / "data.json")},
                  "users": {u: self.PASSWORD for u in ("interop", "medallion-suite", "i", "v", "b", "u")},
                  "taxii": {"max_page_size": int(self.env.get("ENTENTE_TAXII_MAX_PAGE_SIZE", 1000))}}
        (self.data_dir / "config.json").write_text(json.dumps(config))
        return [sys.executable, "-m", "medallion.scripts.run", "--port", str(self.port), str(self.data_dir / "config.json")]


def target():
    return os.environ.get("ENTENTE_INTEROP_TARGET", "entente")


_live_nodes = []


def _stop_all():
    for n in list(_live_nodes):
        n.stop()


atexit.register(_stop_all)  # even when pytest is interrupted


def fresh_database(base_url):
    """A new, empty PostgreSQL database on the server of `base_url` (made
    with `createdb`), as a URL: every node of a PostgreSQL run gets its own."""
    from urllib.parse import urlparse, urlunparse
    import uuid
    u = urlparse(base_url)
    name = f"interop_{uuid.uuid4().hex[:12]}"
    cmd = ["createdb", "-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres", name]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"createdb failed ({' '.join(cmd)}): {r.stderr.strip()}")
    return urlunparse(u._replace(path="/" + name))


@pytest.fixture(scope="session")
def node_factory(tmp_path_factory):
    """Makes fresh, not yet started nodes; every one is stopped at the end of
    the session (and each module-scoped fixture stops its own earlier)."""
    medallion = target() == "medallion"
    binary = Path("medallion") if medallion else entente_bin()
    require_module("requests")
    made = []

    def make(name="node", env=None):
        d = tmp_path_factory.mktemp(name)
        cls = MedallionNode if medallion else Node
        env = dict(env or {})
        if not medallion and os.environ.get("ENTENTE_INTEROP_DATABASE_URL"):
            env["ENTENTE_DATABASE_URL"] = fresh_database(os.environ["ENTENTE_INTEROP_DATABASE_URL"])
        n = cls(bin=binary, data_dir=d, env=env)
        made.append(n)
        _live_nodes.append(n)
        return n

    yield make
    for n in made:
        n.stop()
        if n in _live_nodes:
            _live_nodes.remove(n)


def standard_node(node_factory, env=None):
    """The node most tests use.

    partners: Home (the node's own), A and B (hosted)
    tokens:   a_analyst, a_viewer, a_admin, a_bearer (analyst), b_analyst, home_admin
    collections:
      walk    read A,B  write A      (taxii2-client walk's data set; nothing else writes there)
      rw      read A,B  write A      (A may write)
      ro      read A,B  write B      (A may only read)
      wo      read B    write A      (A may only write: sees it, may not read it)
      hidden  read B    write B      (A may neither; not listed for A)
    """
    n = node_factory("entente", env=env)
    n.init("Home CERT")
    a = n.add_partner("Partner A")
    b = n.add_partner("Partner B")
    n.token("home_admin", "Home CERT", "admin")
    n.token("a_analyst", a, "analyst", user="alice")
    n.token("a_bearer", "Partner A", "analyst", user="bearer")
    n.token("a_viewer", a, "viewer", user="victor")
    n.token("a_admin", a, "admin", user="ada")
    n.token("b_analyst", b, "analyst", user="bob")
    n.collection("walk", "The client walk", read=f"{a},{b}", write=a)
    n.collection("rw", "A shares here", read=f"{a},{b}", write=a, description="writable by A")
    n.collection("ro", "B shares here", read=f"{a},{b}", write=b)
    n.collection("wo", "A drops here", read=b, write=a)
    n.collection("hidden", "B only", read=b, write=b)
    return n


@pytest.fixture(scope="module")
def node(node_factory):
    """A started standard node, one per test module."""
    n = standard_node(node_factory)
    n.start()
    try:
        yield n
    finally:
        n.stop()
        if n.proc is None and os.environ.get("ENTENTE_INTEROP_SHOW_LOG"):
            print(n.log_tail(200))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    backend = item.funcargs.get("backend")
    log = getattr(getattr(backend, "client", None), "log", None)
    if log is not None:
        item._interop_log_start = len(log)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, append the tail of the server log of the node the test used."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.when == "call":
        n = item.funcargs.get("node") if hasattr(item, "funcargs") else None
        if isinstance(n, Node):
            rep.sections.append(("entente serve log (tail)", n.log_tail(40)))
        backend = item.funcargs.get("backend") if hasattr(item, "funcargs") else None
        log = getattr(getattr(backend, "client", None), "log", None)
        if log:
            mark = getattr(item, "_interop_log_start", 0)
            lines = [f"{m} {p} -> {st} [{ct}] {body}" for m, p, st, ct, body in log[mark:]][-6:]
            rep.sections.append(("requests the suite sent (last 6)", "\n".join(lines)))


def pytest_sessionfinish(session, exitstatus):
    _stop_all()
