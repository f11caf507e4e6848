"""Test modes, servers and cassettes.

One switch, ``--lakefs-mode`` (or ``LAKEFS_TEST_MODE``), picks how tests that talk to lakeFS run:

* ``replay`` (default, ``make test``): from cassettes only; no server, no Go; sockets are blocked.
* ``live`` (``make test-live``): against freshly started real servers, no cassettes.
* ``record`` (``make record``): live, and each passing test rewrites its cassette.

``--lakefs-tls`` (or ``LAKEFS_TEST_TLS=1``; live only, ``make test-tls``) serves both
configurations over https, lakeFS and the S3 store alike, with CAs made for the run: the same
tests then reach them through ``ssl_ca_cert`` (``server.client_options()``), as production
installs are reached.

A test that talks to lakeFS names its configuration with ``@pytest.mark.server("local")`` or
``@pytest.mark.server("s3")`` and takes the ``server`` fixture (and usually ``repo``). Tests
without the marker are plain unit tests; those marked ``loopback`` open local sockets of their own
and run in live mode only (a network namespace without interfaces has no loopback either).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import lakefs_sdk
import pytest
import urllib3

from lakefs import Client
from lakefs.testing import DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, LocalLakeFS
from lakefs.testing._server import DIR_PREFIX, S3_BUCKET
from tests.recording import PLACEHOLDER_HOST, Recording, replaying

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
Mode = Literal["replay", "live", "record"]
PART_SIZE = 64 * 1024  # the multipart part size tests use (the s3 server accepts it)
Kind = Literal["local", "s3"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--lakefs-mode",
        choices=["replay", "live", "record"],
        default=None,
        help="replay cassettes (default), run live against local servers, or record cassettes",
    )
    parser.addoption(
        "--lakefs-tls",
        action="store_true",
        default=None,
        help="live: serve lakeFS and the S3 store over https (CAs made for the run)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "loopback: opens local sockets; runs in live mode only")
    import os

    # Folder indexes (lakefs.lib._index) of this run's folders: kept with the run, never in
    # the user's cache directory (subprocesses inherit the variable).
    index_home = tempfile.mkdtemp(prefix="lakefs-test-index-")
    config.add_cleanup(lambda: shutil.rmtree(index_home, ignore_errors=True))
    os.environ["LAKEFS_INDEX_DIR"] = index_home


def _mode(config: pytest.Config) -> Mode:
    import os

    value = config.getoption("--lakefs-mode") or os.environ.get("LAKEFS_TEST_MODE") or "replay"
    if value not in ("replay", "live", "record"):
        raise pytest.UsageError(f"LAKEFS_TEST_MODE must be replay, live or record, not {value!r}")
    return value  # type: ignore[return-value]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _mode(config) != "replay":
        return
    keep = [i for i in items if i.get_closest_marker("loopback") is None]
    dropped = [i for i in items if i.get_closest_marker("loopback") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _tls(config: pytest.Config) -> bool:
    import os

    tls = bool(config.getoption("--lakefs-tls") or os.environ.get("LAKEFS_TEST_TLS") == "1")
    if tls and _mode(config) != "live":
        raise pytest.UsageError("--lakefs-tls runs live only: add --lakefs-mode=live")
    return tls


@pytest.fixture(scope="session")
def lakefs_tls(pytestconfig: pytest.Config) -> bool:
    """Whether the run's servers speak https (``--lakefs-tls``)."""
    return _tls(pytestconfig)


@pytest.fixture(scope="session")
def lakefs_mode(pytestconfig: pytest.Config) -> Mode:
    """The run's mode: ``replay``, ``live`` or ``record``."""
    return _mode(pytestconfig)


@pytest.fixture(scope="session")
def run_id(lakefs_mode: Mode) -> str:
    """Unique per live run (storage namespaces can't be reused); fixed when replaying."""
    return "0" * 12 if lakefs_mode == "replay" else secrets.token_hex(6)


# -- servers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """What a test needs to reach one lakeFS configuration (real, or the replay placeholder)."""

    kind: Kind
    endpoint: str
    import_dir: Path
    s3_bucket: str | None
    s3_endpoint: str | None = None
    ca_cert: str | None = None
    access_key_id: str = DEV_ACCESS_KEY_ID
    secret_access_key: str = field(default=DEV_SECRET_ACCESS_KEY, repr=False)

    @property
    def api_url(self) -> str:
        return f"{self.endpoint}/api/v1"

    def client_options(self, **overrides: Any) -> dict[str, Any]:
        """``lakefs.Client`` (and ``lakefs://``) options that reach this server, over https
        with its CA when the run uses TLS; ``overrides`` replace or add options."""
        options: dict[str, Any] = {
            "host": self.endpoint,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
        }
        if self.ca_cert is not None:
            options["ssl_ca_cert"] = self.ca_cert
        return {**options, **overrides}

    def http(self) -> urllib3.PoolManager:
        """A bare urllib3 pool that trusts this server's CAs (for requests made by hand)."""
        return urllib3.PoolManager(ca_certs=self.ca_cert)

    def client(self, **overrides: Any) -> Client:
        """A ``lakefs.Client`` for this server (see :meth:`client_options`)."""
        return Client(**self.client_options(**overrides))

    def storage_namespace(self, name: str) -> str:
        if self.kind == "s3":
            return f"s3://{self.s3_bucket}/{name}"
        return f"local://{name}"

    def sdk_client(self) -> lakefs_sdk.ApiClient:
        config = lakefs_sdk.Configuration(
            host=self.api_url,
            username=self.access_key_id,
            password=self.secret_access_key,
            ssl_ca_cert=self.ca_cert,
        )
        return lakefs_sdk.ApiClient(config)


class _Servers:
    """Starts each configuration on first use and stops them all at the end of the session."""

    def __init__(self, mode: Mode, tls: bool = False) -> None:
        self.mode = mode
        self.tls = tls
        self._live: dict[str, LocalLakeFS] = {}
        self._replay_dir: Path | None = None

    def local(self, kind: Kind, *, tls: bool) -> LocalLakeFS:
        """A running server of this configuration, started on first use (live modes only)."""
        if self.mode == "replay":
            raise pytest.UsageError("a LocalLakeFS is only started in live or record mode")
        key = f"{kind}-tls" if tls else kind
        if key not in self._live:
            # Small multipart parts keep multipart tests (and their cassettes) small.
            server = LocalLakeFS(kind, s3_min_part_size=PART_SIZE, tls=tls)
            self._live[key] = server.start()
        return self._live[key]

    def get(self, kind: Kind) -> Server:
        if self.mode == "replay":
            if self._replay_dir is None:
                self._replay_dir = Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}replay"))
                (self._replay_dir / "import").mkdir()
            bucket = S3_BUCKET if kind == "s3" else None
            s3 = PLACEHOLDER_HOST if kind == "s3" else None
            return Server(kind, PLACEHOLDER_HOST, self._replay_dir / "import", bucket, s3)
        srv = self.local(kind, tls=self.tls)
        import_dir = srv.import_dir if kind == "local" else srv.directory / "unused"
        bucket = S3_BUCKET if kind == "s3" else None
        ca_cert = str(srv.ca_cert) if srv.ca_cert is not None else None
        return Server(kind, srv.endpoint, import_dir, bucket, srv.s3_endpoint, ca_cert)

    def close(self) -> None:
        for srv in self._live.values():
            srv.stop()
        if self._replay_dir is not None:
            import shutil

            shutil.rmtree(self._replay_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def _servers(lakefs_mode: Mode, lakefs_tls: bool) -> Iterator[_Servers]:
    servers = _Servers(lakefs_mode, lakefs_tls)
    yield servers
    servers.close()


def _kind(request: pytest.FixtureRequest) -> Kind:
    marker = request.node.get_closest_marker("server")
    if marker is None or marker.args[0] not in ("local", "s3"):
        raise pytest.UsageError(
            f"{request.node.nodeid}: mark it @pytest.mark.server('local') or ('s3') to use lakeFS"
        )
    return marker.args[0]  # type: ignore[no-any-return]


@pytest.fixture
def plain_local(_servers: _Servers) -> LocalLakeFS:
    """lakeFS over plain http, local blockstore (tests of the field: proxies, prefixes)."""
    return _servers.local("local", tls=False)


@pytest.fixture
def tls_local(_servers: _Servers) -> LocalLakeFS:
    """lakeFS over https with a CA of the run (``ca_cert``), local blockstore."""
    return _servers.local("local", tls=True)


@pytest.fixture
def tls_s3(_servers: _Servers) -> LocalLakeFS:
    """lakeFS over https on an S3 store behind TLS too: pre-signed URLs are ``https://``."""
    return _servers.local("s3", tls=True)


@pytest.fixture
def server(request: pytest.FixtureRequest, _servers: _Servers, cassette: Any) -> Server:
    """The lakeFS configuration named by the test's ``server`` marker."""
    return _servers.get(_kind(request))


@pytest.fixture
def sdk(server: Server) -> lakefs_sdk.ApiClient:
    """A raw ``lakefs_sdk`` client for the test's server."""
    return server.sdk_client()


@pytest.fixture
def client(server: Server) -> Client:
    """A ``lakefs.Client`` for the test's server."""
    return server.client()


def repo_name(nodeid: str) -> str:
    """A repository name fixed per test (so URIs match on replay) and unique per session."""
    base = re.sub(r"[^a-z0-9]+", "-", nodeid.split("::")[-1].lower()).strip("-")
    digest = hashlib.sha1(nodeid.encode()).hexdigest()[:6]
    return f"{base[:50].strip('-')}-{digest}"


@dataclass(frozen=True)
class Repo:
    """A repository created for one test (deleted afterwards)."""

    id: str
    storage_namespace: str
    default_branch: str = "main"


@pytest.fixture
def repo(
    request: pytest.FixtureRequest, server: Server, sdk: lakefs_sdk.ApiClient, run_id: str
) -> Iterator[Repo]:
    """A fresh repository with a fixed name and a storage namespace unique to this run."""
    name = repo_name(request.node.nodeid)
    namespace = server.storage_namespace(f"run-{run_id}/{name}")
    api = lakefs_sdk.RepositoriesApi(sdk)
    api.create_repository(
        lakefs_sdk.RepositoryCreation(name=name, storage_namespace=namespace, default_branch="main")
    )
    yield Repo(name, namespace)
    api.delete_repository(name)


# -- cassettes and the network ----------------------------------------------------------------

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def cassette_path(node: pytest.Item) -> Path:
    """``cassettes/<test module>/<test name>.yaml``."""
    module = Path(str(node.fspath)).stem
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", node.name)
    return CASSETTES / module / f"{name}.yaml"


@pytest.fixture
def cassette(
    request: pytest.FixtureRequest, lakefs_mode: Mode, _servers: _Servers
) -> Iterator[Any]:
    """Replays or records the test's HTTP traffic (nothing in live mode)."""
    if request.node.get_closest_marker("server") is not None:
        _servers.get(_kind(request))  # start the server first: its start-up is not recorded
    path = cassette_path(request.node)
    if lakefs_mode == "live" or request.node.get_closest_marker("loopback") is not None:
        yield None  # loopback tests test transport behaviour, which cassettes cannot hold
    elif lakefs_mode == "replay":
        bodies = request.node.get_closest_marker("versioned_bodies") is None
        with replaying(path, match_bodies=bodies) as cas:
            yield cas
    else:
        rec = Recording(path)
        try:
            with rec.recording() as cas:
                yield cas
        finally:
            reports = request.node.stash.get(_REPORTS, {})
            setup, call = reports.get("setup"), reports.get("call")
            if setup is not None and setup.passed and call is not None and call.passed:
                rec.commit()
            else:
                rec.discard()


@pytest.fixture
def workers(lakefs_mode: Mode) -> int:
    """Parallel transfer workers: 1 under cassettes (recording threads loses interactions)."""
    return 4 if lakefs_mode == "live" else 1


@pytest.fixture
def sent(cassette: Any, lakefs_mode: Mode) -> Callable[[], int | None]:
    """How many requests the test has sent so far (None in live mode, where nobody counts)."""

    def count() -> int | None:
        if cassette is None:
            return None
        return int(cassette.play_count if lakefs_mode == "replay" else len(cassette.requests))

    return count


_real_connect = socket.socket.connect


@pytest.fixture(autouse=True)
def _block_network(
    request: pytest.FixtureRequest, lakefs_mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In replay mode no socket may connect anywhere: every request must come from a cassette."""
    if lakefs_mode != "replay":
        return

    def connect(self: socket.socket, address: Any) -> None:
        raise OSError(
            f"network blocked in replay mode (connect to {address!r}); "
            f"is {request.node.nodeid} missing from its cassette? Re-record with `make record`"
        )

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture(autouse=True)
def _no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test runs with the SDK logging at DEBUG; no line it logs may hold the secret key."""
    with caplog.at_level(logging.DEBUG, logger="lakefs"):
        yield
    leaked = [r for r in caplog.records if DEV_SECRET_ACCESS_KEY in r.getMessage()]
    assert not leaked, f"the secret key was logged: {leaked[0].getMessage()[:200]}"
