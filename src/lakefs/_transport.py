"""The one way requests leave this SDK: a pooled urllib3 transport with timeouts and retries.

Both kinds of request go through :meth:`Transport.request`, and so through the same connection
pool, default timeout, retry loop, error mapping and logging:

* the generated ``lakefs_sdk`` calls, whose REST client is replaced by :class:`SDKRestClient`;
* the raw path, for bodies streamed from files or iterators and answers read incrementally, which
  ``lakefs_sdk`` cannot do (it reads whole bodies).

Retry policy: connection failures before a request was sent are always retried; a lost or timed-out
answer only for idempotent methods; failures that cannot succeed (TLS, redirects) never. Statuses
408, 429, 502, 503 and 504 are retried, 500 only for idempotent methods, 409 and 412 never (lakeFS
means real conflicts by them). Backoff is exponential with full jitter, ``Retry-After`` is
honoured. A body is sent again only from its start: bytes, a seekable file rewound, a path
reopened; a streamed body (an iterator, a pipe) that was already consumed is never retried.

Safety: each process has its own pool (a child after ``fork()`` never shares a parent's socket);
redirects are errors except where a caller allows one (a pre-signed read, to http(s) only, without
credentials); answers read whole are capped at :data:`MAX_ANSWER_BYTES`; a call's total time is
bounded (:attr:`Timeout.total`); error texts, their causes and logs never hold credentials or
signatures (:func:`lakefs._logs.redact`).

TLS and proxies: one ``SSLContext`` per pool trusts the system's store (``SSL_CERT_FILE``
honoured) plus ``ssl_ca_cert``, for lakeFS and pre-signed URLs alike. Each request takes the
proxy that :func:`proxy_for` chooses for its URL (``proxy=``, else the standard environment
variables), with the proxy URL's credentials sent as ``Proxy-Authorization``. A certificate not
trusted is a :class:`~lakefs.TLSError` and a proxy's refusal a :class:`~lakefs.ProxyError`,
neither retried.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import io
import ipaddress
import json
import os
import random
import re
import ssl
import threading
import time
import urllib.request
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import SplitResult, quote, unquote, urlencode, urlsplit, urlunsplit

import urllib3
from lakefs_sdk.configuration import Configuration
from lakefs_sdk.exceptions import ApiException
from lakefs_sdk.rest import RESTClientObject, RESTResponse

from lakefs import _deadline
from lakefs._config import ClientConfig, Timeout, proxy_url
from lakefs._exceptions import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    LakeFSError,
    ProxyError,
    SourceChangedError,
    TLSError,
    ValidationError,
    header_value,
    is_retryable_status,
    make_status_error,
)
from lakefs._logs import get_logger, redact

__all__ = [
    "MAX_ANSWER_BYTES",
    "Body",
    "RetryPolicy",
    "SDKRestClient",
    "Transport",
    "json_object",
    "safe_cause",
]

log = get_logger("transport")

T = TypeVar("T")
Body = bytes | bytearray | memoryview | io.IOBase | os.PathLike[str] | Iterable[bytes] | None
"""A request body: bytes; a binary file (rewound for a retry when seekable); a local path
(reopened for each attempt); or an iterable of bytes (streamed, never sent twice)."""

MAX_ANSWER_BYTES = 64 * 1024 * 1024
"""The largest answer read whole (JSON and error bodies; far above any real lakeFS answer, whose
listing pages are about 1 MiB). Larger ones fail with :class:`~lakefs.APIResponseError`. Object
reads are streamed and not capped."""

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ERROR_BODY = 64 * 1024  # of an error answer, what is read for the message
_OBJECT_ENDPOINT = re.compile(r"/(objects|staging)(/|$)")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        backoff_initial: the first backoff, in seconds; it doubles with each retry.
        backoff_max: the longest backoff between two attempts.
        retry_after_max: the longest ``Retry-After`` honoured; longer ones are capped.
    """

    max_retries: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    retry_after_max: float = 60.0

    def backoff(self, retry: int, retry_after: float | None, rand: Callable[[], float]) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_max)
        ceiling = min(self.backoff_initial * 2.0 ** (retry - 1), self.backoff_max)
        return ceiling * (0.5 + rand() / 2)  # jitter in [ceiling/2, ceiling)


class _FollowFailed(urllib3.exceptions.HTTPError):
    """The request to a redirect's target failed; ``error`` says how."""

    def __init__(self, location: str, error: urllib3.exceptions.HTTPError) -> None:
        super().__init__(str(error))
        self.location = location
        self.error = error


class _NotReplayable(Exception):  # noqa: N818 - a signal inside the retry loop
    """A retry would need a body that was already consumed."""


def _retry_after(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> float | None:
    value = header_value(headers, "Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return parsed.timestamp() - time.time()


def _path_of(url: str) -> str:
    return urlsplit(url).path or "/"


def _object_path(url: str) -> str | None:
    """The object path a request is about, for ``ObjectNotFoundError`` / ``ObjectExistsError``."""
    parts = urlsplit(url)
    if not _OBJECT_ENDPOINT.search(parts.path):
        return None
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if key == "path":
            return unquote(value)
    return None


class _RedactedCause(Exception):  # noqa: N818 - stands in for a library error
    """A library error whose text held a credential or a signature, with it redacted."""


def safe_cause(exc: BaseException) -> BaseException:
    """``exc``, or a stand-in with the same text with credentials and signatures redacted
    (:func:`lakefs._logs.redact`, the rule of error texts and logs; the rest of a URL stays)."""
    text = str(exc)
    clean = redact(text)
    if clean == text:
        return exc
    return _RedactedCause(f"{type(exc).__name__}: {clean}")


_TUNNEL_STATUS = re.compile(r"Tunnel connection failed: (\d{3})")
_CA_HINT = (
    "; the server's certificate is not trusted here: give the CA that signed it with "
    "ssl_ca_cert='ca.pem' (a PEM bundle may hold several CAs, e.g. lakeFS's and the object "
    "store's) or SSL_CERT_FILE=ca.pem; verify_ssl=False turns verification off (never in "
    "production)"
)


def _origin(url: str) -> str:
    """``scheme://host:port`` of a URL: never its credentials, path or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def _connection_error(
    exc: BaseException, method: str, url: str, *, server: str, proxy: str | None = None
) -> tuple[APIConnectionError, bool, bool]:
    """Map a urllib3 error to ours, with two flags: whether the request surely never left, and
    whether another attempt could succeed.

    ``server`` names who was asked ("lakeFS at https://host:8000", "the object store at ..."),
    ``proxy`` the proxy the request went through, if any (without credentials).
    """
    path = _path_of(url)
    errors = urllib3.exceptions
    if isinstance(exc, errors.MaxRetryError) and exc.reason is not None:
        exc = exc.reason  # only when a caller's own Retry wrapped it
    if isinstance(exc, errors.ProxyError) and proxy is not None:
        return _proxy_error(exc, method, path, proxy)
    reason = f"{type(exc).__name__}: {safe_cause(exc)}"
    # NewConnectionError is a ConnectTimeoutError in urllib3 2: test it first.
    if isinstance(exc, errors.NewConnectionError):
        text = f"could not connect to {server}: {method} {path}: {reason}"
        return APIConnectionError(text, method=method, path=path), True, True
    if isinstance(exc, errors.ConnectTimeoutError):
        text = f"timed out connecting to {server}: {method} {path}"
        return APITimeoutError(text, method=method, path=path), True, True
    if isinstance(exc, errors.SSLError) and _tls_cut(exc):
        # A TLS connection closed mid-exchange is a cut connection, as over plain http.
        text = f"connection cut by {server}: {method} {path}: {reason}"
        return APIConnectionError(text, method=method, path=path), False, True
    if isinstance(exc, errors.SSLError):
        text = f"TLS handshake with {server} failed: {method} {path}: {reason}{_tls_hint(exc)}"
        return TLSError(text, method=method, path=path), True, False
    if isinstance(exc, errors.TimeoutError):
        text = f"timed out waiting for the answer of {server}: {method} {path}"
        return APITimeoutError(text, method=method, path=path), False, True
    if isinstance(exc, (errors.LocationValueError, errors.ProxySchemeUnknown)):
        text = f"cannot send: {method} {path}: {reason}"
        return APIConnectionError(text, method=method, path=path), True, False
    text = f"connection error with {server}: {method} {path}: {reason}"
    return APIConnectionError(text, method=method, path=path), False, True


def _tls_cut(exc: urllib3.exceptions.SSLError) -> bool:
    """Whether a TLS error is the connection ending early (no close_notify), not a refusal."""
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return True
    text = str(exc)
    return "EOF occurred in violation of protocol" in text or "UNEXPECTED_EOF" in text


def _tls_hint(exc: BaseException) -> str:
    """What to do about a failed handshake, when the reason is a common one."""
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return _CA_HINT
    if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text:
        return "; the server does not speak TLS on this port: if it serves plain http, use http://"
    return ""


def _proxy_error(
    exc: urllib3.exceptions.ProxyError, method: str, path: str, proxy: str
) -> tuple[APIConnectionError, bool, bool]:
    """A failure at the proxy: its refusal is final; no connection to it may be retried."""
    original = exc.original_error
    match = _TUNNEL_STATUS.search(str(original))
    if match is not None:
        status = int(match.group(1))
        return proxy_refusal(status, method, path, proxy), True, False
    if isinstance(original, urllib3.exceptions.SSLError):
        hint = _tls_hint(original)
        text = f"TLS handshake with the proxy {proxy} failed: {method} {path}: {original}{hint}"
        return TLSError(text, method=method, path=path), True, False
    reason = f"{type(original).__name__}: {safe_cause(original)}"
    text = f"could not connect to the proxy {proxy}: {method} {path}: {reason}"
    never_sent = isinstance(original, urllib3.exceptions.NewConnectionError)
    return ProxyError(text, method=method, path=path, proxy=proxy), never_sent, True


def _is_proxy_answer(resp: urllib3.BaseHTTPResponse) -> bool:
    """Whether a 401 came from the proxy rather than lakeFS (which answers JSON)."""
    if resp.headers.get("Proxy-Authenticate"):
        return True
    return "json" not in (resp.headers.get("Content-Type") or "").lower()


def proxy_refusal(status: int, method: str, path: str, proxy: str) -> ProxyError:
    """The proxy's own refusal (``407``, or ``401`` from proxies such as tinyproxy)."""
    if status in (401, 407):
        why = (
            "it wants credentials, or refused the ones given: put them in the proxy URL "
            "(http://user:password@proxy:3128, percent-encoded) of proxy= or HTTPS_PROXY"
        )
    else:
        why = "it refused to forward the request (check its access rules and allowed ports)"
    text = f"the proxy {proxy} answered {status}: {method} {path}: {why}"
    return ProxyError(text, method=method, path=path, proxy=proxy, status_code=status)


_POOLS: weakref.WeakSet[_Pool] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for pool in list(_POOLS):
        pool._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _Routes:
    """This process's connection pools: one direct, and one per forward proxy in use.

    Which way a URL goes (see :func:`proxy_for`) is decided per request, so that lakeFS and
    the object store's pre-signed URLs each follow the proxy settings for their own host.
    """

    def __init__(self, config: ClientConfig) -> None:
        self._config = config
        self._context = _ssl_context(config)
        self._args: dict[str, Any] = {
            "num_pools": 8,
            "maxsize": config.max_connections,
            "block": False,
            "retries": False,  # the loop in Transport.send owns retries and redirects
            "cert_reqs": self._context.verify_mode,
            "ssl_context": self._context,
            # Send bodies in 1 MiB writes, not http.client's 16 KiB: a socket with a timeout
            # polls before each write, which costs a third of a large upload's speed.
            "blocksize": 1 << 20,
        }
        self._environ = proxies_from_environment()
        self._lock = threading.Lock()
        self._direct = self._manager(None)
        self._proxied: dict[str, urllib3.PoolManager] = {}

    def _manager(self, proxy: _Proxy | None) -> urllib3.PoolManager:
        manager: urllib3.PoolManager
        if proxy is None:
            manager = urllib3.PoolManager(**self._args)
        else:
            manager = urllib3.ProxyManager(
                proxy.url,
                proxy_headers=proxy.headers,
                proxy_ssl_context=self._context,
                **self._args,
            )
        manager.pool_classes_by_scheme = _deadline.POOL_CLASSES
        return manager

    def proxy_for(self, url: str) -> _Proxy | None:
        """The proxy a request to ``url`` goes through, if any."""
        return proxy_for(url, self._config.proxy, self._environ)

    def urlopen(self, method: str, url: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        proxy = self.proxy_for(url)
        if proxy is None:
            return self._direct.urlopen(method, url, **kwargs)
        manager = self._proxied.get(proxy.url)
        if manager is None:
            with self._lock:
                manager = self._proxied.setdefault(proxy.url, self._manager(proxy))
        return manager.urlopen(method, url, **kwargs)

    def clear(self) -> None:
        self._direct.clear()
        for manager in list(self._proxied.values()):
            manager.clear()


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


@dataclass(frozen=True)
class _Proxy:
    """A forward proxy: its URL without credentials, and the headers that carry them."""

    url: str
    headers: dict[str, str]


def proxies_from_environment() -> dict[str, str]:
    """``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` (either case, lower case
    first) as urllib reads them: ``{"https": ..., "http": ..., "all": ..., "no": ...}``, each
    proxy URL checked (a malformed one is a ValidationError naming the variable)."""
    found = urllib.request.getproxies_environment()
    for scheme in ("https", "http", "all"):
        if found.get(scheme):
            name = f"{scheme.upper()}_PROXY"
            found[scheme] = proxy_url(found[scheme], f"{name} (or {name.lower()})")
    return found


def proxy_for(url: str, explicit: str | None, environ: Mapping[str, str]) -> _Proxy | None:
    """The proxy for ``url``: ``explicit`` (the ``proxy=`` option) for every request; else the
    environment's for the URL's scheme (``ALL_PROXY`` as a fallback), unless ``NO_PROXY``
    names the host."""
    chosen = explicit
    if chosen is None:
        parts = urlsplit(url)
        chosen = environ.get(parts.scheme) or environ.get("all")
        if chosen and parts.hostname and _bypass(parts, environ):
            chosen = None
    if not chosen:
        return None
    return _parse_proxy(chosen)


def _bypass(parts: SplitResult, environ: Mapping[str, str]) -> bool:
    """Whether ``NO_PROXY`` names the URL's host: ``*``; a host or domain (``example.com``
    and ``.example.com`` both cover ``a.example.com``), optionally with ``:port``; an IP
    address or network (``10.0.0.0/8``)."""
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    for entry in environ.get("no", "").replace(" ", ",").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if entry_port and str(port) != entry_port:
            continue
        name = name.strip("[]")
        if _ip_in(host, name):
            return True
        name = name.lstrip("*").lstrip(".")  # "*.example.com" as curl's ".example.com"
        if host == name or host.endswith("." + name):
            return True
    return False


def _has_port(entry: str) -> bool:
    head, sep, tail = entry.rpartition(":")
    return bool(sep) and tail.isdigit() and (head.endswith("]") or ":" not in head)


def _ip_in(host: str, entry: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
        return address in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


@functools.lru_cache(maxsize=64)
def _parse_proxy(url: str) -> _Proxy:
    """A proxy URL, checked (:func:`lakefs._config.proxy_url`), as a URL less its credentials
    and the header that carries them (parsed once per URL, not per request)."""
    url = proxy_url(url, "proxy")
    parts = urlsplit(url)
    headers: dict[str, str] = {}
    if parts.username is not None or parts.password is not None:
        user, password = unquote(parts.username or ""), unquote(parts.password or "")
        headers = urllib3.make_headers(proxy_basic_auth=f"{user}:{password}")
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = host + (f":{parts.port}" if parts.port else "")
        url = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return _Proxy(url, headers)


class _Pool:
    """A process's connection pools: a child after ``fork()`` builds its own on first use.

    Shared by clients whose connection options are equal (``Client.with_options``).
    """

    def __init__(self, config: ClientConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._pid = -1
        self._routes: _Routes | None = None
        _POOLS.add(self)

    def _after_fork(self) -> None:
        # A thread of the parent may have held the lock when it forked: the child gets a new one.
        self._lock = threading.Lock()

    def get(self) -> _Routes:
        routes, pid = self._routes, os.getpid()
        if routes is not None and self._pid == pid:
            return routes
        with self._lock:
            if self._routes is None or self._pid != pid:
                # After a fork the parent's sockets are left alone (closing them here could
                # disturb the parent's exchanges); the child starts with none.
                self._routes, self._pid = _Routes(self._config), pid
            return self._routes

    def clear(self) -> None:
        with self._lock:
            if self._routes is not None and self._pid == os.getpid():
                self._routes.clear()
            self._routes = None

    @staticmethod
    def key(config: ClientConfig) -> tuple[Any, ...]:
        return (config.max_connections, config.verify_ssl, config.ssl_ca_cert, config.proxy)


class _Replayable:
    """A request body, given afresh to each attempt when it can be."""

    def __init__(self, body: Body, length: int | None = None) -> None:
        self._body = body
        self._length = length  # a file body's Content-Length: exactly this much is sent
        self._file: io.BufferedReader | None = None
        self._start: int | None = None
        self._consumed = False
        self.stream: Iterator[bytes] | None = None
        if isinstance(body, io.IOBase) and body.seekable():
            self._start = body.tell()
        elif isinstance(body, io.IOBase) or (
            body is not None and not isinstance(body, (bytes, bytearray, memoryview, os.PathLike))
        ):
            self.stream = self._track(body)

    @property
    def chunked(self) -> bool:
        return self.stream is not None

    def _track(self, source: io.IOBase | Iterable[bytes]) -> Iterator[bytes]:
        if isinstance(source, io.IOBase):
            chunks: Iterable[bytes] = iter(lambda: source.read(1 << 20), b"")
        else:
            chunks = source
        for chunk in chunks:
            self._consumed = True
            yield chunk

    def open(self) -> Any:
        """The body for one attempt."""
        body = self._body
        if isinstance(body, os.PathLike):
            self.close()
            self._file = open(body, "rb")  # noqa: SIM115 - closed by close() or the next open()
            return self._exact(self._file)
        if self._start is not None:
            assert isinstance(body, io.IOBase)
            body.seek(self._start)
            return self._exact(body)
        if self.stream is not None:
            return self.stream
        return body

    def _exact(self, file: io.IOBase) -> io.IOBase:
        return file if self._length is None else _ExactLength(file, self._length)

    def rewind(self) -> None:
        """Before a retry: refuse when the body was streamed and cannot be sent again."""
        if self._consumed:
            raise _NotReplayable

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _ExactLength(io.RawIOBase):
    """A file body sent as exactly ``length`` bytes: a file that grew or shrank since its size
    was taken fails the request (the server then stores nothing) instead of sending a body
    that disagrees with its Content-Length."""

    def __init__(self, file: io.IOBase, length: int) -> None:
        super().__init__()
        self._file = file
        self._length = length
        self._start = file.tell() if file.seekable() else 0
        self._left = length

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self._file.seekable())

    def tell(self) -> int:
        return self._length - self._left

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.tell(), io.SEEK_END: self._length}[whence]
        target = min(max(base + offset, 0), self._length)
        self._file.seek(self._start + target)
        self._left = self._length - target
        return target

    def read(self, size: int = -1) -> bytes:
        if size < 0:  # everything left, in pieces
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        want = min(size, self._left)
        data: bytes = self._file.read(want) if want else b""
        self._left -= len(data)
        if want and not data:
            raise SourceChangedError(f"the file to upload shrank by {self._left} bytes")
        if not self._left and self._file.read(1):
            raise SourceChangedError("the file to upload grew while it was sent")
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class Transport:
    """A connection pool with the client's timeouts, retry policy, auth and error mapping.

    Args:
        config: the resolved client configuration.
        sleep: how to wait between attempts (injectable for tests).
        rand: a source of jitter in [0, 1).
        token: returns a fresh bearer token for each request, when the configuration has no
            static credentials (AWS IAM).
        share_pool_with: a transport whose pool to share, when the connection options agree.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        token: Callable[[], str] | None = None,
        share_pool_with: Transport | None = None,
    ) -> None:
        self.config = config
        self.token = token  # a source of fresh bearer tokens (AWS IAM), consulted per request
        self.policy = RetryPolicy(max_retries=config.retries)
        self._sleep = sleep
        self._rand = rand
        self._auth_header = _auth_header(config)
        self._pool: _Pool = _Pool(config)
        if share_pool_with is not None and _Pool.key(share_pool_with.config) == _Pool.key(config):
            self._pool = share_pool_with._pool

    @property
    def pool(self) -> _Routes:
        """This process's connection pools (a forked child gets its own)."""
        return self._pool.get()

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()

    def timeout(self, override: Timeout | float | tuple[float, float] | None) -> Timeout:
        """The timeout of one request: the per-call override, else the client's."""
        return self.config.timeout if override is None else Timeout.coerce(override)

    def api_url(self, segments: list[str], query: Mapping[str, str] | None = None) -> str:
        """The URL of an API path: each segment quoted whole (as lakefs_sdk does), then a query."""
        url = self.config.host + "".join("/" + quote(s, safe="") for s in segments)
        if query:
            url += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
        return url

    def auth_headers(self) -> dict[str, str]:
        """The ``Authorization`` header for requests to the lakeFS API."""
        if self._auth_header:
            return {"Authorization": self._auth_header}
        if self.token is not None:
            return {"Authorization": f"Bearer {self.token()}"}
        return {}

    # -- the retry loop ------------------------------------------------------------------------

    def send(
        self,
        method: str,
        url: str,
        attempt: Callable[[], T],
        *,
        idempotent: bool | None = None,
        rewind: Callable[[], None] | None = None,
        deadline: float | None = None,
    ) -> T:
        """Run ``attempt`` (one HTTP exchange) until it succeeds or the retry policy gives up.

        ``attempt`` returns the answer or raises a ``lakefs_sdk`` ``ApiException``, a urllib3
        error, or a :class:`LakeFSError`; all of them leave as :class:`LakeFSError`.

        Args:
            method: the HTTP method (decides idempotency unless ``idempotent`` is given).
            url: the full URL (only its path is logged or put in errors).
            attempt: performs the request once.
            idempotent: override the method's idempotency.
            rewind: called before each retry to give the body afresh; it raises
                ``_NotReplayable`` when the body cannot be sent again (no retry then).
            deadline: seconds the whole call may take, retries included (None: unbounded).
        """
        idem = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        path = _path_of(url)
        attempts = self.policy.max_retries + 1
        watch = _deadline.Deadline(deadline) if deadline is not None else None
        err: LakeFSError
        for number in range(1, attempts + 1):
            started = time.monotonic()
            try:
                if watch is None:
                    return self._attempt(attempt, method, path, started)
                with watch:
                    return self._attempt(attempt, method, path, started)
            except (ApiException, APIStatusError) as exc:
                err = self._status_error(exc, method, url)
                retry = is_retryable_status(err.status_code, idempotent=idem)
                retry_after = _retry_after(getattr(exc, "headers", None)) if retry else None
                cause: BaseException = exc
                outcome = f"{err.status_code}"
            except urllib3.exceptions.HTTPError as exc:
                # A redirect's target failing is told as the target's failure (the store).
                where = exc.location if isinstance(exc, _FollowFailed) else url
                failure = exc.error if isinstance(exc, _FollowFailed) else exc
                err, never_sent, can_succeed = self._connection_error(failure, method, where)
                retry, retry_after, cause = can_succeed and (never_sent or idem), None, failure
                outcome = type(err).__name__
            except LakeFSError as exc:  # raised by the attempt itself: final
                raise exc
            if watch is not None and watch.passed():
                raise APITimeoutError(
                    f"no complete answer within {watch.seconds:g} s (the call's total "
                    f"timeout): {method} {path}",
                    method=method,
                    path=path,
                ) from safe_cause(cause)
            elapsed_ms = (time.monotonic() - started) * 1e3
            log.debug("%s %s -> %s in %.0f ms", method, path, outcome, elapsed_ms)
            delay = self.policy.backoff(number, retry_after, self._rand) if retry else 0.0
            if retry and watch is not None and delay >= watch.remaining():
                retry = False  # the deadline would pass while waiting
            if retry and number < attempts and rewind is not None:
                try:
                    rewind()
                except _NotReplayable:
                    retry = False
                    log.warning(
                        "%s %s not retried after %s: its streamed body was consumed and "
                        "cannot be sent again",
                        method,
                        path,
                        outcome,
                    )
                    _add_note(err, "not retried: the streamed body cannot be sent again")
            if not retry or number == attempts:
                if retry:
                    log.warning("%s %s failed after %d attempts: %s", method, path, number, err)
                if err is cause:
                    raise err
                raise err from safe_cause(cause)
            log.info(
                "retrying %s %s after %s in %.2f s (attempt %d of %d)",
                method,
                path,
                outcome,
                delay,
                number + 1,
                attempts,
            )
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection_error(
        self, exc: BaseException, method: str, url: str
    ) -> tuple[APIConnectionError, bool, bool]:
        proxy = self._proxy_for(url)
        return _connection_error(
            exc, method, url, server=self._server(url), proxy=proxy.url if proxy else None
        )

    def _server(self, url: str) -> str:
        """Who a URL reaches, for error texts: lakeFS, or the object store (pre-signed)."""
        if url.startswith(self.config.host):
            return f"lakeFS at {_origin(url)}"
        return f"the object store at {_origin(url)} (a pre-signed URL)"

    def _check_proxy_answer(self, resp: urllib3.BaseHTTPResponse, method: str, url: str) -> None:
        """A 407, or a proxy's 401, to a plain-http request sent through a proxy is the proxy's
        refusal (over https a refusal ends the CONNECT instead): raise it as such, not retried
        and never read as lakeFS refusing the key."""
        proxy = self._proxy_for(url)
        if proxy is None or urlsplit(url).scheme != "http":
            return
        if resp.status == 401 and not _is_proxy_answer(resp):
            return
        _read_some(resp, _ERROR_BODY)
        raise proxy_refusal(resp.status, method, _path_of(url), proxy.url)

    def _proxy_for(self, url: str) -> _Proxy | None:
        routes = self.pool
        return routes.proxy_for(url) if isinstance(routes, _Routes) else None

    @staticmethod
    def _attempt(attempt: Callable[[], T], method: str, path: str, started: float) -> T:
        result = attempt()
        log.debug("%s %s -> ok in %.0f ms", method, path, (time.monotonic() - started) * 1e3)
        return result

    @staticmethod
    def _status_error(exc: ApiException | APIStatusError, method: str, url: str) -> APIStatusError:
        if isinstance(exc, APIStatusError):
            return exc
        return make_status_error(
            exc.status,
            body=exc.body,
            headers=exc.headers,
            method=method,
            path=url,
            object_path=_object_path(url),
        )

    # -- one request -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: Body = None,
        stream: bool = False,
        timeout: Timeout | float | tuple[float, float] | None = None,
        idempotent: bool | None = None,
        authenticate: bool = True,
        on_redirect: Callable[[str], None] | None = None,
        decode: bool = True,
    ) -> urllib3.BaseHTTPResponse:
        """Send one request through the pool, with retries, and return the urllib3 response.

        Args:
            method: HTTP method.
            url: the full URL (a lakeFS API URL, or a pre-signed object-store URL).
            headers: request headers.
            body: see :data:`Body`.
            stream: leave the answer unread; the caller reads it (``stream()``/``read()``) and
                must ``release_conn()``. Otherwise the answer is read whole, up to
                :data:`MAX_ANSWER_BYTES`.
            timeout: per-call timeout override.
            idempotent: override the method's idempotency.
            authenticate: send the lakeFS ``Authorization`` header (False for pre-signed URLs).
            on_redirect: allow one redirect to an http(s) URL, followed without credentials
                (a pre-signed read); called with its target. Without it a redirect is an error.
            decode: undo a ``Content-Encoding`` (False for objects: their bytes as stored).

        Raises:
            APIStatusError: for an error answer, or a redirect that is not allowed.
            APIConnectionError: when the server could not be reached.
            APIResponseError: an answer larger than the limit, or a redirect that cannot be
                followed.
        """
        all_headers = {**(self.auth_headers() if authenticate else {}), **(headers or {})}
        tmo = self.timeout(timeout)
        length = header_value(headers, "Content-Length")
        source = _Replayable(body, int(length) if length and length.isdigit() else None)
        chunked = source.chunked and "Content-Length" not in all_headers
        # A call is bounded as a whole unless its body or its answer is a stream of unknown
        # length (a stream's answer headers are still bounded: see Timeout.total).
        bounded = body is None or isinstance(body, (bytes, bytearray, memoryview))

        def attempt() -> urllib3.BaseHTTPResponse:
            watch = _deadline.current()
            limit = watch.remaining() if watch is not None else None
            resp = self._open(
                method, url, all_headers, source.open(), chunked, tmo, limit, stream, decode
            )
            if resp.status in _REDIRECTS:
                resp = self._redirect(
                    method, url, all_headers, resp, tmo, on_redirect, stream, decode
                )
            if resp.status in (401, 407):
                self._check_proxy_answer(resp, method, url)
            if not 200 <= resp.status <= 299:
                data = _read_some(resp, _ERROR_BODY)
                raise make_status_error(
                    resp.status,
                    body=data,
                    headers=resp.headers,
                    method=method,
                    path=url,
                    object_path=_object_path(url),
                )
            if not stream:
                resp._body = _read_capped(resp, method, url)  # type: ignore[attr-defined]
            return resp

        try:
            return self.send(
                method,
                url,
                attempt,
                idempotent=idempotent,
                rewind=source.rewind,
                deadline=tmo.deadline if bounded else None,
            )
        finally:
            source.close()

    def _open(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Any,
        chunked: bool,
        tmo: Timeout,
        limit: float | None,
        stream: bool,
        decode: bool = True,
    ) -> urllib3.BaseHTTPResponse:
        del stream  # every answer is read incrementally here; the caller decides how much
        connect, read = tmo.connect, tmo.read
        if limit is not None:
            connect, read = min(connect, limit), min(read, limit)
        return self.pool.urlopen(
            method,
            url,
            body=body,
            headers=dict(headers),
            timeout=urllib3.Timeout(connect=connect, read=read),
            preload_content=False,
            decode_content=decode,
            chunked=chunked,
            redirect=False,
            retries=False,
        )

    def _redirect(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        resp: urllib3.BaseHTTPResponse,
        tmo: Timeout,
        on_redirect: Callable[[str], None] | None,
        stream: bool,
        decode: bool,
    ) -> urllib3.BaseHTTPResponse:
        """Follow one allowed redirect (to http(s), without credentials), or refuse it."""
        location = resp.headers.get("Location") or ""
        _read_some(resp, _ERROR_BODY)
        path = _path_of(url)
        target = urlsplit(location)
        if on_redirect is None or method != "GET" or target.scheme not in ("http", "https"):
            where = f"{target.scheme}://{target.netloc}" if target.scheme else "a relative URL"
            raise APIResponseError(
                f"unexpected redirect ({resp.status}) to {where}: {method} {path}; the SDK "
                "does not follow redirects of API calls",
                method=method,
                path=path,
            )
        on_redirect(location)
        limit = _deadline.current()
        # Only what the store needs goes on: never credentials or the caller's extra headers.
        kept = {k: v for k, v in headers.items() if k.lower() == "range"}
        try:
            follow = self._open(
                "GET",
                location,
                kept,
                None,
                False,
                tmo,
                limit.remaining() if limit is not None else None,
                stream,
                decode,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise _FollowFailed(location, exc) from exc
        if follow.status in _REDIRECTS:
            _read_some(follow, _ERROR_BODY)
            raise APIResponseError(
                f"a redirect led to another redirect ({follow.status}): {method} {path}",
                method=method,
                path=path,
            )
        return follow


def json_object(resp: urllib3.BaseHTTPResponse, method: str, url: str) -> dict[str, Any]:
    """An answer's JSON object; anything else is an :class:`APIResponseError`."""
    path = _path_of(url)
    try:
        data = json.loads(resp.data)
    except ValueError as exc:
        raise APIResponseError(
            f"the answer is not JSON: {method} {path}", method=method, path=path
        ) from exc
    if not isinstance(data, dict):
        raise APIResponseError(
            f"expected a JSON object, got {type(data).__name__}: {method} {path}",
            method=method,
            path=path,
        )
    return data


def _add_note(err: LakeFSError, note: str) -> None:
    if isinstance(err, (APIStatusError, APIConnectionError)):
        err.message = f"{err.message} ({note})"
        err.args = (str(err),) if not isinstance(err, APIStatusError) else err.args


def _read_some(resp: urllib3.BaseHTTPResponse, limit: int) -> bytes:
    """Up to ``limit`` bytes of an answer; the connection is reused only if it was read whole."""
    try:
        data = resp.read(limit)
        complete = not data or len(data) < limit or not resp.read(1)
    except urllib3.exceptions.HTTPError:
        data, complete = b"", False
    if not complete:
        resp.close()  # a half-read connection must not serve another request
    resp.release_conn()
    return data


def _read_capped(resp: urllib3.BaseHTTPResponse, method: str, url: str) -> bytes:
    """The whole answer, refusing more than :data:`MAX_ANSWER_BYTES` (decoded)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.stream(1 << 20):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            resp.close()
            resp.release_conn()
            path = _path_of(url)
            raise APIResponseError(
                f"the answer exceeds {MAX_ANSWER_BYTES >> 20} MiB: {method} {path}",
                method=method,
                path=path,
            )
        chunks.append(chunk)
    resp.release_conn()
    return b"".join(chunks)


class SDKRestClient(RESTClientObject):
    """``lakefs_sdk``'s REST client, routed through a :class:`Transport`.

    Every generated ``lakefs_sdk`` call then shares the transport's pool, default timeout, auth,
    retry loop, limits and error mapping: it raises ``LakeFSError``, never ``ApiException`` or
    urllib3's errors.
    """

    def __init__(self, configuration: Configuration, transport: Transport) -> None:
        # The parent's constructor would build a pool of its own: nothing of it is needed.
        self.configuration = configuration
        self._transport = transport

    @property
    def pool_manager(self) -> _Routes:  # type: ignore[override]
        """The transport's pool (what ``lakefs_sdk`` code reading this attribute expects)."""
        return self._transport.pool

    def request(
        self,
        method: str,
        url: str,
        query_params: Any = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        post_params: Any = None,
        _preload_content: bool = True,
        _request_timeout: Any = None,
    ) -> Any:
        """Send one generated call (same signature as ``lakefs_sdk.rest.RESTClientObject``)."""
        del query_params, _preload_content  # the URL holds the query; answers are read whole
        method = method.upper()
        headers = dict(headers or {})
        content_type = headers.get("Content-Type", "")
        data: bytes | None
        if post_params and content_type == "multipart/form-data":
            data, headers["Content-Type"] = urllib3.encode_multipart_formdata(post_params)
        elif post_params:
            data = urlencode(post_params).encode()
        elif body is None:
            data = None
        elif isinstance(body, (bytes, str)) and not re.search("json", content_type, re.I):
            data = body.encode() if isinstance(body, str) else body
        else:
            data = _json_bytes(body)
            headers.setdefault("Content-Type", "application/json")
        resp = self._transport.request(
            method, url, headers=headers, body=data, timeout=_request_timeout
        )
        return RESTResponse(resp)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


def _auth_header(config: ClientConfig) -> str | None:
    if config.jwt_token:
        return f"Bearer {config.jwt_token}"
    if config.session_token:
        return f"Bearer {config.session_token}"
    if config.access_key_id and config.secret_access_key:
        raw = f"{config.access_key_id}:{config.secret_access_key}".encode()
        return "Basic " + base64.b64encode(raw).decode()
    return None
