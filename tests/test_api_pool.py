"""Requests to lakeFS go to the one pool of its origin, held by the transport's routes; other
hosts (pre-signed URLs) go through urllib3's pool manager. Against a real HTTP server on
loopback that records each request line and each connection (live mode only)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

import lakefs
from lakefs._transport._pool import Routes

pytestmark = pytest.mark.loopback


@dataclass
class Seen:
    paths: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    connections: int = 0


@dataclass
class Server:
    port: int
    seen: Seen


@pytest.fixture
def server() -> Iterator[Server]:
    seen = Seen()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: a reused connection is seen as one

        def setup(self) -> None:
            super().setup()
            seen.connections += 1

        def do_GET(self) -> None:
            seen.paths.append(self.path)
            seen.hosts.append(self.headers.get("Host", ""))
            body = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(httpd.server_address[1], seen)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _client(host: str) -> lakefs.Client:
    return lakefs.Client(host=host, access_key_id="AKIA", secret_access_key="secret", retries=0)


def _routes(client: lakefs.Client) -> Routes:
    routes = client.transport.pool
    assert isinstance(routes, Routes)
    return routes


@pytest.mark.parametrize("prefix", ["", "/behind/a/prefix"])
def test_lakefs_requests_go_to_its_one_pool_with_the_url_as_built(
    server: Server, prefix: str
) -> None:
    client = _client(f"http://127.0.0.1:{server.port}{prefix}")
    transport = client.transport
    url = transport.api_url(
        ["repositories", "a b", "refs", "main~1", "objects"], [("path", "x/y z?&#%")]
    )
    for _ in range(3):
        assert transport.request("GET", url).data == b"{}"
    want = f"{prefix}/api/v1/repositories/a%20b/refs/main~1/objects?path=x%2Fy%20z%3F%26%23%25"
    assert server.seen.paths == [want] * 3
    assert server.seen.hosts == [f"127.0.0.1:{server.port}"] * 3
    assert server.seen.connections == 1  # one connection, reused
    assert len(_routes(client)._direct.pools) == 0  # the manager was never asked


def test_other_hosts_go_through_the_manager(server: Server) -> None:
    client = _client(f"http://127.0.0.1:{server.port}")
    transport = client.transport
    elsewhere = f"http://localhost:{server.port}/bucket/key?X-Amz-Signature=abc"
    assert transport.request("GET", elsewhere, authenticate=False).data == b"{}"
    assert server.seen.paths == ["/bucket/key?X-Amz-Signature=abc"]
    assert server.seen.hosts == [f"localhost:{server.port}"]
    assert len(_routes(client)._direct.pools) == 1


@pytest.mark.parametrize("host", ["http://LOCALHOST:{port}", "http://localhost:{port}/a%2fb"])
def test_a_host_urllib3_writes_otherwise_goes_through_the_manager(
    server: Server, host: str
) -> None:
    """A host in another form than urllib3 gives it (upper case, a lower-case escape) is
    sent as the manager sends it, normalized: the same request as before."""
    client = _client(host.format(port=server.port))
    routes = _routes(client)
    assert routes._api is None
    transport = client.transport
    assert transport.request("GET", transport.api_url(["config"])).data == b"{}"
    assert len(routes._direct.pools) == 1
    prefix = "/a%2Fb" if "a%2fb" in host else ""
    assert server.seen.paths == [f"{prefix}/api/v1/config"]


@pytest.mark.parametrize("name", [".", ".."])
def test_a_name_that_is_a_dot_segment_is_sent_quoted_never_as_the_parent(
    server: Server, name: str
) -> None:
    transport = _client(f"http://127.0.0.1:{server.port}").transport
    url = transport.api_url(["repositories", "r", "refs", name, "objects"], [("path", name)])
    transport.request("GET", url)
    quoted = name.replace(".", "%2E")
    assert server.seen.paths == [f"/api/v1/repositories/r/refs/{quoted}/objects?path={quoted}"]


def test_clearing_closes_the_connections_and_the_routes_still_send(server: Server) -> None:
    client = _client(f"http://127.0.0.1:{server.port}")
    routes = _routes(client)
    url = client.transport.api_url(["config"])
    client.transport.request("GET", url)
    pool = routes._api
    routes.clear()
    assert pool is not None
    assert pool.pool is None  # closed
    assert routes.urlopen("GET", url, preload_content=True).data == b"{}"
    assert server.seen.connections == 2
    assert len(routes._direct.pools) == 0
