"""The bottom layer: what sends one HTTP exchange, once (no retries, no redirects followed).

By default that is this process's connection pools (:class:`Routes`: one direct, one per forward
proxy in use), built per process so that a child after ``fork()`` never shares a parent's socket,
with one ``SSLContext`` per pool, built when the first https connection needs it. A caller may
give its own instead (``Client(transport=...)``): any :class:`HTTPTransport`, such as
``lakefs.testing.MockTransport`` or a ``urllib3.PoolManager``.
"""

from __future__ import annotations

import os
import ssl
import threading
import weakref
from collections.abc import Callable
from typing import Any

import urllib3
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool, port_by_scheme
from urllib3.util import parse_url

from lakefs import _deadline
from lakefs._config import ClientConfig
from lakefs._exceptions import ValidationError
from lakefs._transport._protocol import HTTPTransport
from lakefs._transport._proxies import Proxy, proxies_from_environment, proxy_for

_POOLS: weakref.WeakSet[Pool] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for pool in list(_POOLS):
        pool.after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _WatchedPool(HTTPConnectionPool):
    """Hands each connection it gives out to the current :class:`Deadline` (if any)."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        deadline = _deadline.current()
        if deadline is not None:
            deadline.watch(conn)
        return conn


class _HTTPPool(_WatchedPool):
    """A plain-http pool whose connections report to the current deadline."""


class _HTTPSPool(_WatchedPool, HTTPSConnectionPool):
    """An https pool whose connections report to the current deadline."""


POOL_CLASSES: dict[str, type[HTTPConnectionPool]] = {"http": _HTTPPool, "https": _HTTPSPool}
"""Connection pools whose connections report to the current :class:`Deadline` when taken."""


class _TLSWhenNeeded(urllib3.PoolManager):
    """A pool manager whose pools report to the current deadline, the https ones verified
    with ``tls()`` (asked only when the first https pool is made)."""

    def __init__(self, tls: Callable[[], ssl.SSLContext], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tls = tls
        self.pool_classes_by_scheme = POOL_CLASSES

    def _new_pool(
        self,
        scheme: str,
        host: str,
        port: int,
        request_context: dict[str, Any] | None = None,
    ) -> HTTPConnectionPool:
        """urllib3's, an https pool given the context (urllib3 meant it to be overridden)."""
        if scheme == "https":
            context = self._tls()
            given = self.connection_pool_kw if request_context is None else request_context
            request_context = {**given, "ssl_context": context, "cert_reqs": context.verify_mode}
        return super()._new_pool(scheme, host, port, request_context)


class _Direct(_TLSWhenNeeded):
    """The pools of requests sent straight to their host."""


class _Proxied(_TLSWhenNeeded, urllib3.ProxyManager):
    """The pools of requests sent through one forward proxy."""


class Routes:
    """This process's connection pools: one direct, and one per forward proxy in use.

    Which way a URL goes (see :func:`proxy_for`) is decided per request, so that lakeFS and
    the object store's pre-signed URLs each follow the proxy settings for their own host.

    Requests to lakeFS sent straight (no proxy) go to the one pool of its origin, held here:
    urllib3's pool manager would parse each URL again and look its pool up by a key built
    per request, a sixth of a small request's CPU. That needs the API's URL in the form
    urllib3 gives it (lower-case, nothing to percent-encode; else the manager takes every
    request), and the URLs under it as the SDK builds them (each name quoted whole, never a
    bare "." or ".." segment).
    """

    def __init__(self, config: ClientConfig) -> None:
        self._config = config
        self._args: dict[str, Any] = {
            "num_pools": 8,
            "maxsize": config.max_connections,
            "block": False,
            "retries": False,  # the loop in Transport.send owns retries and redirects
            # Send bodies in 1 MiB writes, not http.client's 16 KiB: a socket with a timeout
            # polls before each write, which costs a third of a large upload's speed.
            "blocksize": 1 << 20,
        }
        self._environ = proxies_from_environment()
        # No proxy anywhere (the common case): no URL is looked at per request.
        self._proxies = bool(
            config.proxy or any(self._environ.get(k) for k in ("https", "http", "all"))
        )
        self._lock = threading.Lock()
        self._tls_lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        self._direct = self._manager(None)
        self._proxied: dict[str, urllib3.PoolManager] = {}
        self._api_root, self._api_origin, self._api_key = _api_origin(config.host)
        self._api = self._direct._new_pool(*self._api_key) if self._api_key else None

    def tls(self) -> ssl.SSLContext:
        """The one TLS context of these pools, built when the first needs it (loading the
        system's trust store costs ~30 ms of CPU, which a plain-http lakeFS never pays)."""
        with self._tls_lock:
            if self._context is None:
                self._context = _ssl_context(self._config)
            return self._context

    def _manager(self, proxy: Proxy | None) -> urllib3.PoolManager:
        if proxy is None:
            return _Direct(self.tls, **self._args)
        proxy_over_tls = proxy.url.startswith("https:")
        return _Proxied(
            self.tls,
            proxy.url,
            proxy_headers=proxy.headers,
            proxy_ssl_context=self.tls() if proxy_over_tls else None,
            **self._args,
        )

    def proxy_for(self, url: str) -> Proxy | None:
        """The proxy a request to ``url`` goes through, if any."""
        if not self._proxies:
            return None
        return proxy_for(url, self._config.proxy, self._environ)

    def urlopen(self, method: str, url: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        """Send one request through the direct pool or its proxy's."""
        proxy = self.proxy_for(url) if self._proxies else None
        if proxy is None:
            if self._api is not None and url.startswith(self._api_root):
                target = url[self._api_origin :]  # the path and query, as the manager sends
                return self._api.urlopen(method, target, assert_same_host=False, **kwargs)
            return self._direct.urlopen(method, url, **kwargs)
        manager = self._proxied.get(proxy.url)
        if manager is None:
            with self._lock:
                manager = self._proxied.setdefault(proxy.url, self._manager(proxy))
        return manager.urlopen(method, url, **kwargs)

    def clear(self) -> None:
        """Close every pooled connection."""
        self._direct.clear()
        if self._api is not None and self._api_key is not None:
            closed, self._api = self._api, self._direct._new_pool(*self._api_key)
            closed.close()
        for manager in list(self._proxied.values()):
            manager.clear()


def _api_origin(host: str) -> tuple[str, int, tuple[str, str, int] | None]:
    """The API's root (``host`` and a "/"), the length of its origin, and the scheme, host
    and port of its pool; no pool when urllib3 would write ``host`` otherwise."""
    url = parse_url(host)
    if url.url != host or url.scheme not in POOL_CLASSES or not url.host:
        return "", 0, None
    port = url.port or port_by_scheme[url.scheme]
    return host + "/", len(host) - len(url.path or ""), (url.scheme, url.host, port)


def _ssl_context(config: ClientConfig) -> ssl.SSLContext:
    """One TLS context for every connection of a pool (building one per connection costs tens
    of milliseconds of CPU): the system's trust store (``SSL_CERT_FILE`` / ``SSL_CERT_DIR``
    honoured, as lakectl does), plus ``ssl_ca_cert`` when given, so that a private CA for lakeFS
    does not stop pre-signed URLs of a public cloud store from verifying."""
    context = urllib3.util.ssl_.create_urllib3_context()
    if not config.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_default_certs()
    if config.ssl_ca_cert:
        try:
            context.load_verify_locations(cafile=config.ssl_ca_cert)
        except (OSError, ssl.SSLError) as exc:
            raise ValidationError(
                f"ssl_ca_cert={config.ssl_ca_cert!r} is not a readable PEM file of CA "
                f"certificates: {exc}"
            ) from None
    return context


class Pool:
    """A client's :class:`HTTPTransport`: the one given, or this process's :class:`Routes`
    (a child after ``fork()`` builds its own on first use).

    Shared by clients whose connection options are equal (``Client.with_options``); a given
    transport is shared by every client made from the one it was given to.
    """

    def __init__(self, config: ClientConfig, given: HTTPTransport | None = None) -> None:
        self._config = config
        self._given = given
        self._lock = threading.Lock()
        self._pid = -1
        self._routes: Routes | None = None
        _POOLS.add(self)

    def after_fork(self) -> None:
        """In a forked child: a thread of the parent may have held the lock, so a new one."""
        self._lock = threading.Lock()

    def get(self) -> HTTPTransport:
        """The transport for this process."""
        if self._given is not None:
            return self._given
        routes, pid = self._routes, os.getpid()
        if routes is not None and self._pid == pid:
            return routes
        with self._lock:
            if self._routes is None or self._pid != pid:
                # After a fork the parent's sockets are left alone (closing them here could
                # disturb the parent's exchanges); the child starts with none.
                self._routes, self._pid = Routes(self._config), pid
            return self._routes

    def clear(self) -> None:
        """Close this process's connections (the next request opens new ones)."""
        if self._given is not None:
            self._given.clear()
            return
        with self._lock:
            if self._routes is not None and self._pid == os.getpid():
                self._routes.clear()
            self._routes = None

    def serves(self, config: ClientConfig) -> bool:
        """Whether a client of ``config`` may share this pool."""
        return self._given is not None or _key(self._config) == _key(config)


def _key(config: ClientConfig) -> tuple[Any, ...]:
    return (config.max_connections, config.verify_ssl, config.ssl_ca_cert, config.proxy)
