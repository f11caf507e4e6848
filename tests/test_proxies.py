"""Forward proxies (tinyproxy and squid, real Debian packages started per test) between the SDK
and lakeFS, over http and https (CONNECT), for lakeFS's API and the store's pre-signed URLs.

Which proxy a request takes: ``proxy=`` for every request; else ``HTTPS_PROXY``/``HTTP_PROXY``
(then ``ALL_PROXY``) by the URL's scheme, except for hosts ``NO_PROXY`` names. Live only.
"""

from __future__ import annotations

import base64
import logging
import os
from typing import Any
from urllib.parse import urlsplit

import fsspec
import pytest

import lakefs
from lakefs import APIConnectionError, Client, ProxyError, UnauthorizedError
from lakefs.testing import LocalLakeFS
from lakefs.testing._field import Squid, TinyProxy

pytestmark = pytest.mark.loopback

_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*_PROXY_VARS, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def _client(server: LocalLakeFS, **options: Any) -> Client:
    return Client(**server.client_options(**options))


def _port(url: str | None) -> int:
    assert url is not None
    port = urlsplit(url).port
    assert port is not None
    return port


def _retries_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]


# -- the way through ------------------------------------------------------------------------------


def test_proxy_option_over_plain_http(plain_local: LocalLakeFS) -> None:
    # Squid, not tinyproxy: tinyproxy closes each client connection after its answer without
    # saying so, and a POST sent at once on the pooled connection loses its answer. The SDK
    # rightly does not send a POST again (it may have been applied), so the test would fail
    # now and then for the proxy's sake.
    with Squid() as proxy:
        client = _client(plain_local, proxy=proxy.url)
        assert lakefs.ServerConfiguration(client=client).version() == "1.86.0"
        repo = lakefs.repository("via-proxy", client=client).create(
            plain_local.storage_namespace(f"via-proxy-{os.urandom(4).hex()}")
        )
        repo.branch("main").upload(b"through the proxy", "p.txt")
        assert repo.branch("main").download("p.txt") == b"through the proxy"
        seen = proxy.requests_seen()
    assert any(r.startswith(f"GET {plain_local.endpoint}/api/v1/config") for r in seen), seen
    assert any(r.startswith(f"POST {plain_local.endpoint}/api/v1/repositories") for r in seen), seen


def test_http_proxy_variable_and_no_proxy(
    plain_local: LocalLakeFS, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TinyProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        client = _client(plain_local)
        assert lakefs.ServerConfiguration(client=client).version() == "1.86.0"
        assert len(proxy.requests_seen()) == 1
        monkeypatch.setenv("NO_PROXY", "example.com, 127.0.0.0/8")
        bypassing = _client(plain_local)
        assert lakefs.ServerConfiguration(client=bypassing).version() == "1.86.0"
        assert len(proxy.requests_seen()) == 1  # not through the proxy
        monkeypatch.setenv("NO_PROXY", f"127.0.0.1:{_port(plain_local.endpoint) + 1}")  # other port
        assert lakefs.ServerConfiguration(client=_client(plain_local)).version() == "1.86.0"
        assert len(proxy.requests_seen()) == 2


def test_https_proxy_variable_tunnels_to_lakefs_and_the_store(
    tls_s3: LocalLakeFS, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TinyProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # never used: all is https
        client = _client(tls_s3)
        main = (
            lakefs.repository("tunnel", client=client)
            .create(tls_s3.storage_namespace(f"tunnel-{os.urandom(4).hex()}"))
            .branch("main")
        )
        with main.open("pre-signed.bin", "wb", pre_signed=True) as w:
            w.write(b"x" * 100_000)
        with main.open("pre-signed.bin", "rb", pre_signed=True) as r:
            assert r.read() == b"x" * 100_000
        seen = proxy.requests_seen()
    assert f"CONNECT 127.0.0.1:{_port(tls_s3.endpoint)}" in seen
    assert f"CONNECT 127.0.0.1:{_port(tls_s3.s3_endpoint)}" in seen  # pre-signed, tunnelled too


def test_lakefs_urls_take_the_proxy_option(plain_local: LocalLakeFS) -> None:
    client = _client(plain_local)
    repo = lakefs.repository("fs-proxy", client=client).create(
        plain_local.storage_namespace(f"fs-proxy-{os.urandom(4).hex()}")
    )
    repo.branch("main").upload(b"fs", "f.txt")
    with TinyProxy() as proxy:
        fs = fsspec.filesystem(
            "lakefs",
            host=plain_local.endpoint,
            access_key_id=plain_local.access_key_id,
            secret_access_key=plain_local.secret_access_key,
            proxy=proxy.url,
            skip_instance_cache=True,
        )
        assert fs.cat_file("fs-proxy/main/f.txt") == b"fs"
        assert proxy.requests_seen()


# -- credentials for the proxy ------------------------------------------------------------------


def test_proxy_credentials_in_the_url_are_sent_and_never_shown(
    tls_s3: LocalLakeFS, caplog: pytest.LogCaptureFixture
) -> None:
    password = "p@ss:w/rd%+"  # squid takes any characters; the URL carries them percent-encoded
    with Squid(auth=("alice", password)) as proxy:
        url = proxy.url_with_credentials()
        assert "p%40ss%3Aw%2Frd%25%2B" in url
        client = _client(tls_s3, proxy=url)
        with caplog.at_level(logging.DEBUG, "lakefs"):
            assert lakefs.ServerConfiguration(client=client).version() == "1.86.0"
            wrong = _client(tls_s3, proxy=proxy.url_with_credentials("alice", "wrong"), retries=5)
            with pytest.raises(ProxyError) as info:
                lakefs.ServerConfiguration(client=wrong).version()
        shown = [repr(client), repr(client.config), str(client.config), str(info.value)]
        shown += [repr(info.value), str(info.value.__cause__)]
        shown += [r.getMessage() for r in caplog.records]
    for text in shown:
        assert password not in text
        assert "p%40ss" not in text
        assert base64.b64encode(f"alice:{password}".encode()).decode() not in text
    err = info.value
    assert err.status_code == 407
    assert err.proxy == proxy.url
    assert f"the proxy {proxy.url} answered 407" in str(err)
    assert _retries_logged(caplog) == []


def test_a_proxy_refusing_its_password_is_not_lakefs_refusing_the_key(
    plain_local: LocalLakeFS, caplog: pytest.LogCaptureFixture
) -> None:
    """tinyproxy answers a wrong password with 401 (over plain http, an answer like lakeFS's own
    401): the SDK tells them apart."""
    with TinyProxy(auth=("bob", "secret-1")) as proxy:
        good = _client(plain_local, proxy=proxy.url_with_credentials())
        assert lakefs.ServerConfiguration(client=good).version() == "1.86.0"
        with caplog.at_level(logging.DEBUG, "lakefs"):
            wrong = _client(plain_local, proxy=proxy.url_with_credentials("bob", "nope"), retries=5)
            with pytest.raises(ProxyError) as info:
                lakefs.ServerConfiguration(client=wrong).version()
            missing = _client(plain_local, proxy=proxy.url, retries=5)
            with pytest.raises(ProxyError) as none_given:
                lakefs.ServerConfiguration(client=missing).version()
        # lakeFS's own 401 through a good proxy is still lakeFS's.
        bad_key = _client(plain_local, proxy=proxy.url_with_credentials(), secret_access_key="x")
        with pytest.raises(UnauthorizedError):
            lakefs.ServerConfiguration(client=bad_key).version()
    assert info.value.status_code == 401
    assert "the proxy" in str(info.value)
    assert none_given.value.status_code == 407
    assert not isinstance(info.value, UnauthorizedError)
    assert "secret-1" not in str(info.value)
    assert "nope" not in str(info.value)
    assert _retries_logged(caplog) == []


def test_a_refused_connect_is_a_proxy_error_not_retried(
    tls_s3: LocalLakeFS, caplog: pytest.LogCaptureFixture
) -> None:
    with TinyProxy(connect_ports=[_port(tls_s3.endpoint) + 1]) as proxy:
        client = _client(tls_s3, proxy=proxy.url, retries=5)
        with caplog.at_level(logging.DEBUG, "lakefs"), pytest.raises(ProxyError) as info:
            lakefs.ServerConfiguration(client=client).version()
        assert len(proxy.requests_seen()) == 1  # one CONNECT, no retry
    assert info.value.status_code == 403
    assert f"the proxy {proxy.url} answered 403" in str(info.value)
    assert _retries_logged(caplog) == []


def test_an_unreachable_proxy_names_the_proxy(plain_local: LocalLakeFS) -> None:
    client = _client(plain_local, proxy="http://127.0.0.1:9", retries=1)
    with pytest.raises(ProxyError) as info:
        lakefs.ServerConfiguration(client=client).version()
    assert isinstance(info.value, APIConnectionError)
    assert "could not connect to the proxy http://127.0.0.1:9" in str(info.value)
