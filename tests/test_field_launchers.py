"""The field launchers (nginx, tinyproxy, squid) against a tiny local upstream, for real.

Every test starts a real packaged server on loopback and sends it real requests with urllib3; the
upstream is a ``ThreadingHTTPServer`` in a thread that echoes what reached it as JSON.
"""

from __future__ import annotations

import gc
import http.server
import json
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
import urllib3

from lakefs.testing import ServerStartError
from lakefs.testing import _launcher as _field  # where _SBIN is read
from lakefs.testing._field import Nginx, Squid, TinyProxy

pytestmark = pytest.mark.loopback

TIMEOUT = urllib3.Timeout(connect=5, read=30)
MiB = 1 << 20


# -- the upstream ------------------------------------------------------------------------------


@dataclass
class Upstream:
    """An echoing HTTP(S) server on 127.0.0.1 and what reached it."""

    server: http.server.ThreadingHTTPServer
    seen: list[dict[str, Any]] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"


class _Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream: Upstream

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = 0
        while received < length:
            chunk = self.rfile.read(min(MiB, length - received))
            if not chunk:
                break
            received += len(chunk)
        echo = {
            "method": self.command,
            "path": self.path,
            "headers": dict(self.headers.items()),
            "body_length": received,
        }
        self.upstream.seen.append(echo)
        body = json.dumps(echo).encode()
        if self.path.startswith("/partial"):  # headers a proxy must pass unchanged
            self.send_response(206)
            self.send_header("ETag", '"etag-1234"')
            self.send_header("Content-Range", f"bytes 0-{len(body) - 1}/99999")
            # nginx's default proxy_redirect would rewrite a Location naming the upstream
            self.send_header("Location", f"{self.upstream.url()}/elsewhere?x=%2F")
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()


def _serve(context: ssl.SSLContext | None = None) -> Iterator[Upstream]:
    class Handler(_Echo):
        pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    upstream = Upstream(server)
    Handler.upstream = upstream
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield upstream
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@dataclass
class Certs:
    ca: Path  # the CA that issued server
    server: Path  # key and chain for 127.0.0.1 and localhost
    other_ca: Path  # another CA
    other_server: Path  # the same names, from the other CA


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    d = tmp_path_factory.mktemp("certs")
    ca, other = trustme.CA(), trustme.CA()
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    other.cert_pem.write_to_path(str(d / "other-ca.pem"))
    ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(
        str(d / "server.pem")
    )
    other.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(
        str(d / "other.pem")
    )
    return Certs(d / "ca.pem", d / "server.pem", d / "other-ca.pem", d / "other.pem")


def _tls_context(chain: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(chain))
    return context


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    yield from _serve()


@pytest.fixture
def tls_upstream(certs: Certs) -> Iterator[Upstream]:
    yield from _serve(_tls_context(certs.server))


@pytest.fixture
def foreign_tls_upstream(certs: Certs) -> Iterator[Upstream]:
    yield from _serve(_tls_context(certs.other_server))


def _http(**kw: Any) -> urllib3.PoolManager:
    return urllib3.PoolManager(retries=False, timeout=TIMEOUT, **kw)


def _proxy(url: str, auth: str | None = None, **kw: Any) -> urllib3.ProxyManager:
    headers = urllib3.make_headers(proxy_basic_auth=auth) if auth else None
    return urllib3.ProxyManager(url, proxy_headers=headers, retries=False, timeout=TIMEOUT, **kw)


def _echo(response: urllib3.BaseHTTPResponse) -> dict[str, Any]:
    assert response.status in (200, 206), response.data[:500]
    result: dict[str, Any] = json.loads(response.data)
    return result


# -- nginx -------------------------------------------------------------------------------------


def test_nginx_strips_the_prefix_and_keeps_the_query(upstream: Upstream) -> None:
    with Nginx(upstream.url(), prefix="/lakefs/") as nginx:
        assert nginx.url == f"http://127.0.0.1:{nginx.port}/lakefs"
        http = _http()
        query = "path=a%2Fb%20c%2B%3F&after=x%3D1&empty=&plus=a+b"
        echo = _echo(http.request("GET", f"{nginx.url}/api/v1/repositories/r/objects?{query}"))
        assert echo["path"] == f"/api/v1/repositories/r/objects?{query}"
        assert echo["headers"]["Host"] == f"127.0.0.1:{nginx.port}"  # as the client sent it
        assert "Connection" not in echo["headers"]
        assert _echo(http.request("GET", nginx.url))["path"] == "/"  # the prefix alone
        assert "GET /lakefs/api/v1/repositories/r/objects?" in nginx.access_log()


def test_nginx_answers_404_outside_the_prefix_and_forwards_nothing(upstream: Upstream) -> None:
    with Nginx(upstream.url(), prefix="/lakefs") as nginx:
        http = _http()
        for path in ("/", "/api/v1/healthcheck", "/lakefsx/api", "/other/lakefs/"):
            response = http.request("GET", f"http://127.0.0.1:{nginx.port}{path}")
            assert response.status == 404, path
        assert upstream.seen == []


def test_nginx_at_the_root_forwards_the_uri_byte_for_byte(upstream: Upstream) -> None:
    with Nginx(upstream.url()) as nginx:
        assert nginx.url == f"http://127.0.0.1:{nginx.port}"
        path = "/bucket/a%2Fb//c%5E%20d?prefix=x%2Fy&list-type=2"
        assert _echo(_http().request("GET", nginx.url + path))["path"] == path
        assert len(upstream.seen) == 1  # the start-up probe never reached the upstream


def test_nginx_streams_a_20_mib_upload(upstream: Upstream) -> None:
    size = 20 * MiB

    def body() -> Iterator[bytes]:
        chunk = b"\xa5" * MiB
        for _ in range(size // MiB):
            yield chunk

    with Nginx(upstream.url(), prefix="/p") as nginx:
        response = _http().request(
            "PUT",
            f"{nginx.url}/objects?path=big",
            body=body(),
            headers={"Content-Length": str(size)},
        )
        echo = _echo(response)
        assert echo["body_length"] == size
        assert echo["path"] == "/objects?path=big"
        spooled = sum(f.stat().st_size for f in (nginx.directory / "tmp").rglob("*") if f.is_file())
        assert spooled == 0


def test_nginx_passes_range_headers_and_location_unchanged(upstream: Upstream) -> None:
    with Nginx(upstream.url(), prefix="/p") as nginx:
        response = _http().request(
            "GET",
            f"{nginx.url}/partial/x",
            headers={"Range": "bytes=0-9", "Accept-Encoding": "gzip"},
            redirect=False,
        )
        assert response.status == 206
        assert response.headers["ETag"] == '"etag-1234"'
        assert response.headers["Content-Range"].startswith("bytes 0-")
        assert response.headers["Location"] == f"{upstream.url()}/elsewhere?x=%2F"
        assert "Content-Encoding" not in response.headers
        assert _echo(response)["headers"]["Range"] == "bytes=0-9"


def test_nginx_serves_https_that_the_ca_verifies(upstream: Upstream, certs: Certs) -> None:
    with Nginx(upstream.url(), prefix="/s", tls_cert=certs.server, tls_key=certs.server) as nginx:
        assert nginx.url == f"https://127.0.0.1:{nginx.port}/s"
        echo = _echo(_http(ca_certs=str(certs.ca)).request("GET", f"{nginx.url}/x?y=1"))
        assert echo["path"] == "/x?y=1"
        with pytest.raises(urllib3.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            _http(ca_certs=str(certs.other_ca)).request("GET", nginx.url)


def test_nginx_verifies_an_https_upstream_with_its_ca(
    tls_upstream: Upstream, foreign_tls_upstream: Upstream, certs: Certs
) -> None:
    with Nginx(
        tls_upstream.url("https"), upstream_ca=certs.ca, upstream_server_name="localhost"
    ) as nginx:
        assert _echo(_http().request("GET", f"{nginx.url}/ok?z=1"))["path"] == "/ok?z=1"
    with Nginx(
        foreign_tls_upstream.url("https"), upstream_ca=certs.ca, upstream_server_name="localhost"
    ) as nginx:
        assert _http().request("GET", f"{nginx.url}/ok").status == 502
        assert "upstream SSL certificate verify error" in nginx.error_log()
    assert len(foreign_tls_upstream.seen) == 0
    # Unverified (no upstream_ca), the foreign certificate is accepted.
    with Nginx(foreign_tls_upstream.url("https")) as nginx:
        assert _echo(_http().request("GET", f"{nginx.url}/any"))["path"] == "/any"


def test_nginx_checks_the_upstream_name_against_dns_names_only(
    tls_upstream: Upstream, certs: Certs
) -> None:
    # The certificate holds IP:127.0.0.1 and DNS:localhost; nginx matches proxy_ssl_name against
    # DNS names, so verifying by the IP address fails: pass upstream_server_name.
    with Nginx(tls_upstream.url("https"), upstream_ca=certs.ca) as nginx:
        assert _http().request("GET", f"{nginx.url}/ok").status == 502
        assert 'upstream SSL certificate does not match "127.0.0.1"' in nginx.error_log()


def test_nginx_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        Nginx("127.0.0.1:80")
    with pytest.raises(ValueError, match="without a path"):
        Nginx("http://127.0.0.1:80/api")
    with pytest.raises(ValueError, match="both or neither"):
        Nginx("http://127.0.0.1:80", tls_cert=Path("/x.pem"))
    with pytest.raises(ValueError, match="https upstream"):
        Nginx("http://127.0.0.1:80", upstream_ca=Path("/ca.pem"))
    with pytest.raises(ValueError, match="prefix"):
        Nginx("http://127.0.0.1:80", prefix="lakefs")


# -- tinyproxy ---------------------------------------------------------------------------------


def test_tinyproxy_forwards_plain_http(upstream: Upstream) -> None:
    with TinyProxy() as proxy:
        assert proxy.url == f"http://127.0.0.1:{proxy.port}"
        target = f"{upstream.url()}/api/v1/x?path=a%2Fb"
        echo = _echo(_proxy(proxy.url).request("GET", target))
        assert echo["path"] == "/api/v1/x?path=a%2Fb"
        assert "tinyproxy" in echo["headers"]["Via"]
        assert proxy.requests_seen() == [f"GET {target}"]


def test_tinyproxy_tunnels_connect_to_an_https_upstream(
    tls_upstream: Upstream, certs: Certs
) -> None:
    with TinyProxy(connect_ports=[tls_upstream.port]) as proxy:
        http = _proxy(proxy.url, ca_certs=str(certs.ca))
        echo = _echo(http.request("GET", f"{tls_upstream.url('https')}/secure?q=1"))
        assert echo["path"] == "/secure?q=1"
        assert "Via" not in echo["headers"]  # a tunnel: the proxy saw no request headers
        assert proxy.requests_seen() == [f"CONNECT 127.0.0.1:{tls_upstream.port}"]


def test_tinyproxy_requires_auth(upstream: Upstream, tls_upstream: Upstream, certs: Certs) -> None:
    with TinyProxy(auth=("alice", "s3cret.pass-1")) as proxy:
        target = f"{upstream.url()}/x"
        missing = _proxy(proxy.url).request("GET", target)
        assert missing.status == 407
        assert missing.headers["Proxy-Authenticate"] == 'Basic realm="Tinyproxy"'
        assert missing.headers["Server"] == "tinyproxy/1.11.1"

        wrong = _proxy(proxy.url, "alice:nope").request("GET", target)
        assert wrong.status == 401  # not 407: tinyproxy's answer to a wrong password
        assert wrong.headers["WWW-Authenticate"] == 'Basic realm="Tinyproxy"'
        assert wrong.headers["Content-Type"] == "text/html"
        assert "Proxy-Authenticate" not in wrong.headers

        good = _echo(_proxy(proxy.url, "alice:s3cret.pass-1").request("GET", target))
        assert "Proxy-Authorization" not in good["headers"]
        assert len(upstream.seen) == 1

        secure = f"{tls_upstream.url('https')}/s"
        with pytest.raises(urllib3.exceptions.ProxyError, match="407 Proxy Authentication"):
            _proxy(proxy.url, ca_certs=str(certs.ca)).request("GET", secure)
        with pytest.raises(urllib3.exceptions.ProxyError, match="401 Unauthorized"):
            _proxy(proxy.url, "alice:nope", ca_certs=str(certs.ca)).request("GET", secure)
        good_tunnel = _proxy(proxy.url, "alice:s3cret.pass-1", ca_certs=str(certs.ca))
        assert _echo(good_tunnel.request("GET", secure))["path"] == "/s"
        assert len(tls_upstream.seen) == 1


def test_tinyproxy_refuses_connect_to_other_ports(
    tls_upstream: Upstream, upstream: Upstream, certs: Certs
) -> None:
    with TinyProxy(connect_ports=[upstream.port]) as proxy:
        http = _proxy(proxy.url, ca_certs=str(certs.ca))
        with pytest.raises(urllib3.exceptions.ProxyError, match="403 Access violation"):
            http.request("GET", f"{tls_upstream.url('https')}/s")
        assert tls_upstream.seen == []
        assert f"Refused CONNECT method on port {tls_upstream.port}" in proxy.log_text()
        # ... while plain http (no CONNECT) still passes.
        assert _echo(http.request("GET", f"{upstream.url()}/plain"))["path"] == "/plain"


def test_tinyproxy_credentials_in_urls_are_percent_encoded() -> None:
    proxy = TinyProxy(auth=("al.ice", "pa-ss_1"), port=3128)
    proxy.port = 3128
    assert proxy.url == "http://127.0.0.1:3128"
    assert proxy.url_with_credentials() == "http://al.ice:pa-ss_1@127.0.0.1:3128"
    assert proxy.url_with_credentials("a@b", "p:w/%") == "http://a%40b:p%3Aw%2F%25@127.0.0.1:3128"
    with pytest.raises(ValueError, match="no auth"):
        TinyProxy().url_with_credentials()
    with pytest.raises(ValueError, match=r"A-Za-z0-9"):
        TinyProxy(auth=("alice", "p@ss"))


# -- squid -------------------------------------------------------------------------------------


def test_squid_answers_407_to_a_wrong_password(
    upstream: Upstream, tls_upstream: Upstream, certs: Certs
) -> None:
    with Squid(auth=("alice", "p@ss w:rd"), connect_ports=[tls_upstream.port]) as proxy:
        target = f"{upstream.url()}/x?q=%2F"
        for auth in (None, "alice:wrong"):
            refused = _proxy(proxy.url, auth).request("GET", target)
            assert refused.status == 407, auth
            assert refused.headers["Proxy-Authenticate"] == 'Basic realm="squid"'
            assert refused.headers["X-Squid-Error"] == "ERR_CACHE_ACCESS_DENIED 0"
        assert _echo(_proxy(proxy.url, "alice:p@ss w:rd").request("GET", target))["path"] == (
            "/x?q=%2F"
        )
        assert len(upstream.seen) == 1

        secure = f"{tls_upstream.url('https')}/s"
        with pytest.raises(urllib3.exceptions.ProxyError, match="407 Proxy Authentication"):
            _proxy(proxy.url, "alice:wrong", ca_certs=str(certs.ca)).request("GET", secure)
        with pytest.raises(urllib3.exceptions.ProxyError, match="403 Forbidden"):
            _proxy(proxy.url, "alice:p@ss w:rd").request("GET", f"{upstream.url('https')}/s")
        tunnel = _proxy(proxy.url, "alice:p@ss w:rd", ca_certs=str(certs.ca))
        assert _echo(tunnel.request("GET", secure))["path"] == "/s"
        tunnel.clear()  # squid logs a CONNECT when its tunnel closes
        _wait_for(lambda: f"CONNECT 127.0.0.1:{tls_upstream.port}" in proxy.requests_seen()[-1])
        assert proxy.requests_seen()[:3] == [f"GET {target}"] * 3


def _wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


# -- all of them -------------------------------------------------------------------------------

LAUNCHERS: dict[str, Callable[[Upstream], Nginx | TinyProxy | Squid]] = {
    "nginx": lambda up: Nginx(up.url(), prefix="/p"),
    "tinyproxy": lambda up: TinyProxy(auth=("u", "p")),
    "squid": lambda up: Squid(auth=("u", "p")),
}


@pytest.mark.parametrize("kind", LAUNCHERS)
def test_stop_ends_the_process_and_removes_the_directory(kind: str, upstream: Upstream) -> None:
    launcher = LAUNCHERS[kind](upstream).start()
    pid, directory, port = launcher.pid, launcher.directory, launcher.port
    os.kill(pid, 0)  # running
    assert directory.is_dir()
    launcher.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not directory.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    launcher.stop()  # idempotent
    with pytest.raises(RuntimeError, match="not running"):
        _ = launcher.directory


@pytest.mark.parametrize("kind", LAUNCHERS)
def test_a_forgotten_launcher_still_stops(kind: str, upstream: Upstream) -> None:
    launcher = LAUNCHERS[kind](upstream).start()
    pid, directory = launcher.pid, launcher.directory
    del launcher
    gc.collect()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not directory.exists()


@pytest.mark.parametrize("kind", LAUNCHERS)
def test_a_missing_program_names_its_package(
    kind: str, upstream: Upstream, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(_field, "_SBIN", (str(tmp_path),))
    package = {"nginx": "nginx-light", "tinyproxy": "tinyproxy", "squid": "squid"}[kind]
    with pytest.raises(ServerStartError, match=f"apt-get install {package}"):
        LAUNCHERS[kind](upstream).start()


def test_a_taken_port_is_refused(upstream: Upstream) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ServerStartError, match="already in use"):
            TinyProxy(port=port).start()


def test_a_bad_config_shows_the_log(upstream: Upstream, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    nginx = Nginx(upstream.url(), tls_cert=missing, tls_key=missing)
    with pytest.raises(ServerStartError, match=r"(?s)exited with code 1.*missing\.pem"):
        nginx.start()
    assert nginx._dir is None
