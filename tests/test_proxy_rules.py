"""Which proxy a request takes, and how its credentials travel: the rules, offline.

The same rules run live through real proxies in tests/test_proxies.py.
"""

from __future__ import annotations

import base64
import ssl

import pytest

import lakefs
from lakefs._transport import _Routes, proxies_from_environment, proxy_for

ENV = {"https": "http://secure-proxy:3128", "http": "http://plain-proxy:3128"}


def _chosen(url: str, explicit: str | None = None, **environ: str) -> str | None:
    proxy = proxy_for(url, explicit, environ)
    return proxy.url if proxy is not None else None


def test_the_environment_by_the_urls_scheme() -> None:
    assert _chosen("https://lakefs:8000/api/v1", **ENV) == "http://secure-proxy:3128"
    assert _chosen("http://lakefs:8000/api/v1", **ENV) == "http://plain-proxy:3128"
    assert _chosen("https://lakefs/api/v1", all="http://any:3128") == "http://any:3128"
    assert _chosen("https://lakefs/api/v1") is None
    assert _chosen("https://lakefs/api/v1", http="http://plain-proxy:3128") is None


def test_an_explicit_proxy_takes_every_request_no_proxy_or_not() -> None:
    explicit = "http://mine:8080"
    assert _chosen("https://lakefs/api/v1", explicit, **ENV) == explicit
    assert _chosen("https://lakefs/api/v1", explicit, no="*") == explicit


@pytest.mark.parametrize(
    ("no_proxy", "url", "bypassed"),
    [
        ("*", "https://anything.example/x", True),
        ("example.com", "https://example.com/x", True),
        ("example.com", "https://s3.example.com/x", True),
        (".example.com", "https://s3.example.com/x", True),
        ("*.example.com", "https://s3.example.com/x", True),
        ("example.com", "https://notexample.com/x", False),
        ("lakefs:8000", "http://lakefs:8000/x", True),
        ("lakefs:8000", "http://lakefs:9000/x", False),
        ("10.0.0.0/8", "http://10.1.2.3:8000/x", True),
        ("10.0.0.0/8", "http://11.1.2.3:8000/x", False),
        ("127.0.0.1", "http://127.0.0.1:8000/x", True),
        ("[::1]", "http://[::1]:8000/x", True),
        ("::1", "http://[::1]:8000/x", True),
        ("a.com, B.COM ,c.com", "https://b.com/x", True),
        ("", "https://b.com/x", False),
    ],
)
def test_no_proxy(no_proxy: str, url: str, bypassed: bool) -> None:
    chosen = _chosen(url, **ENV, no=no_proxy)
    assert (chosen is None) is bypassed


def test_credentials_leave_the_url_for_the_proxy_authorization_header() -> None:
    proxy = proxy_for("https://lakefs/x", "http://al%40ice:p%3Ass%2F@proxy:3128", {})
    assert proxy is not None
    assert proxy.url == "http://proxy:3128"
    assert proxy.headers == {
        "proxy-authorization": "Basic " + base64.b64encode(b"al@ice:p:ss/").decode()
    }
    bare = proxy_for("https://lakefs/x", "proxy.corp:3128", {})  # as curl reads host:port
    assert bare is not None
    assert bare.url == "http://proxy.corp:3128"
    assert bare.headers == {}


def test_the_pool_sends_them_to_the_proxy_only() -> None:
    config = lakefs.ClientConfig(
        host="https://lakefs.example", proxy="http://u:secret-pw@proxy:3128", jwt_token="t"
    )
    routes = _Routes(config)
    proxy = routes.proxy_for("https://lakefs.example/api/v1/config")
    assert proxy is not None
    manager = routes._manager(proxy)
    assert manager.proxy_headers["proxy-authorization"].startswith("Basic ")  # type: ignore[attr-defined]
    assert "secret-pw" not in str(manager.proxy)  # type: ignore[attr-defined]
    assert "secret-pw" not in repr(config)


@pytest.mark.parametrize(
    "value", ["::::", "http://host:99999", "socks5://h:1080", "http://[::1", "h:abc", "http://"]
)
def test_a_malformed_proxy_is_refused_naming_where_it_came_from(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(lakefs.ValidationError, match=r"^proxy must be an http\(s\) proxy URL"):
        lakefs.Client(host="https://h", access_key_id="a", secret_access_key="s", proxy=value)
    monkeypatch.setenv("HTTPS_PROXY", value)
    monkeypatch.delenv("https_proxy", raising=False)
    client = lakefs.Client(host="https://h", access_key_id="a", secret_access_key="s")
    with pytest.raises(lakefs.ValidationError, match=r"^HTTPS_PROXY \(or https_proxy\) must be"):
        lakefs.ServerConfiguration(client=client).version()  # refused before any request


def test_a_malformed_proxy_with_credentials_never_shows_them() -> None:
    with pytest.raises(lakefs.ValidationError) as info:
        lakefs.Client(
            host="https://h", access_key_id="a", secret_access_key="s", proxy="http://u:pw@h:0x1"
        )
    assert "pw" not in str(info.value)


def test_the_standard_variables_in_either_case(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://upper:1")
    monkeypatch.setenv("no_proxy", "internal")
    environ = proxies_from_environment()
    assert environ["https"] == "http://upper:1"
    assert _chosen("https://internal/x", **environ) is None
    assert _chosen("https://external/x", **environ) == "http://upper:1"


def test_one_tls_context_is_built_when_the_first_https_pool_needs_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A plain-http lakeFS never loads the trust store (~30 ms of CPU in every new process);
    https pools, direct or through a proxy, all verify with the one context."""
    from lakefs._config import ClientConfig
    from lakefs._transport import _pool

    built: list[ssl.SSLContext] = []
    real = _pool._ssl_context
    monkeypatch.setattr(
        _pool, "_ssl_context", lambda config: built.append(real(config)) or built[-1]
    )
    routes = _pool.Routes(ClientConfig(host="http://127.0.0.1:1", proxy="http://127.0.0.1:2"))
    routes._direct.connection_from_url("http://127.0.0.1:1/api/v1")
    assert built == []
    pools = [
        routes._direct.connection_from_url("https://127.0.0.1:3/"),
        routes._direct.connection_from_url("https://127.0.0.2:3/"),
        routes._manager(
            _pool.proxy_for("https://h/", "http://127.0.0.1:2", {})
        ).connection_from_url("https://h/"),
    ]
    assert len(built) == 1
    assert all(pool.conn_kw["ssl_context"] is built[0] for pool in pools)
    assert all(pool.cert_reqs == ssl.CERT_REQUIRED for pool in pools)
