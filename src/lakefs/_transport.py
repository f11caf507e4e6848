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
bounded (:attr:`Timeout.total`); error texts and their causes never hold a query string.
"""

from __future__ import annotations

import base64
import email.utils
import io
import json
import os
import random
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlencode, urlsplit

import urllib3
from lakefs_sdk.configuration import Configuration
from lakefs_sdk.exceptions import ApiException
from lakefs_sdk.rest import RESTClientObject, RESTResponse

from lakefs import _deadline
from lakefs._config import ClientConfig, Timeout
from lakefs._exceptions import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    LakeFSError,
    SourceChangedError,
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


def _connection_error(
    exc: BaseException, method: str, url: str
) -> tuple[APIConnectionError, bool, bool]:
    """Map a urllib3 error to ours, with two flags: whether the request surely never left, and
    whether another attempt could succeed."""
    path = _path_of(url)
    errors = urllib3.exceptions
    if isinstance(exc, errors.MaxRetryError) and exc.reason is not None:
        exc = exc.reason  # only when a caller's own Retry wrapped it
    reason = f"{type(exc).__name__}: {safe_cause(exc)}"
    # NewConnectionError is a ConnectTimeoutError in urllib3 2: test it first.
    if isinstance(exc, errors.NewConnectionError):
        text = f"could not connect: {method} {path}: {reason}"
        return APIConnectionError(text, method=method, path=path), True, True
    if isinstance(exc, errors.ConnectTimeoutError):
        text = f"timed out connecting: {method} {path}"
        return APITimeoutError(text, method=method, path=path), True, True
    if isinstance(exc, errors.SSLError):
        text = f"TLS failure: {method} {path}: {reason}"
        return APIConnectionError(text, method=method, path=path), False, False
    if isinstance(exc, errors.TimeoutError):
        text = f"timed out waiting for the answer: {method} {path}"
        return APITimeoutError(text, method=method, path=path), False, True
    if isinstance(exc, (errors.LocationValueError, errors.ProxySchemeUnknown)):
        text = f"cannot send: {method} {path}: {reason}"
        return APIConnectionError(text, method=method, path=path), True, False
    text = f"connection error: {method} {path}: {reason}"
    return APIConnectionError(text, method=method, path=path), False, True


_POOLS: weakref.WeakSet[_Pool] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for pool in list(_POOLS):
        pool._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _Pool:
    """A process's connection pool: a child after ``fork()`` builds its own on first use.

    Shared by clients whose connection options are equal (``Client.with_options``).
    """

    def __init__(self, config: ClientConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._pid = -1
        self._manager: urllib3.PoolManager | None = None
        _POOLS.add(self)

    def _after_fork(self) -> None:
        # A thread of the parent may have held the lock when it forked: the child gets a new one.
        self._lock = threading.Lock()

    def get(self) -> urllib3.PoolManager:
        manager, pid = self._manager, os.getpid()
        if manager is not None and self._pid == pid:
            return manager
        with self._lock:
            if self._manager is None or self._pid != pid:
                # After a fork the parent's sockets are left alone (closing them here could
                # disturb the parent's exchanges); the child starts with none.
                self._manager, self._pid = self._build(), pid
            return self._manager

    def _build(self) -> urllib3.PoolManager:
        config = self._config
        args: dict[str, Any] = {
            "num_pools": 8,
            "maxsize": config.max_connections,
            "block": False,
            "retries": False,  # the loop in Transport.send owns retries and redirects
            "cert_reqs": "CERT_REQUIRED" if config.verify_ssl else "CERT_NONE",
            "ca_certs": config.ssl_ca_cert,
            # Send bodies in 1 MiB writes, not http.client's 16 KiB: a socket with a timeout
            # polls before each write, which costs a third of a large upload's speed.
            "blocksize": 1 << 20,
        }
        manager: urllib3.PoolManager
        if config.proxy:
            manager = urllib3.ProxyManager(config.proxy, **args)
        else:
            manager = urllib3.PoolManager(**args)
        manager.pool_classes_by_scheme = _deadline.POOL_CLASSES
        return manager

    def clear(self) -> None:
        with self._lock:
            if self._manager is not None and self._pid == os.getpid():
                self._manager.clear()
            self._manager = None

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
    def pool(self) -> urllib3.PoolManager:
        """This process's connection pool (a forked child gets its own)."""
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
                err, never_sent, can_succeed = _connection_error(exc, method, url)
                retry, retry_after, cause = can_succeed and (never_sent or idem), None, exc
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
    def pool_manager(self) -> urllib3.PoolManager:  # type: ignore[override]
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
