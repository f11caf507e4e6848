"""The one way requests leave this SDK: a pooled urllib3 transport with timeouts and retries.

Both kinds of request go through :meth:`Transport.send`, and so through the same connection pool,
default timeout, retry loop, error mapping and logging:

* the generated ``lakefs_sdk`` calls, whose REST client is replaced by :class:`SDKRestClient`;
* the raw path (:meth:`Transport.request`), for bodies streamed from files or iterators and
  responses read incrementally, which ``lakefs_sdk`` cannot do (it reads whole bodies).

Retry policy: connection failures before a request was sent are always retried; a lost or timed-out
response only for idempotent methods. Statuses 408, 429, 502, 503 and 504 are always retried, 500
only for idempotent methods, 409 and 412 never (lakeFS means real conflicts by them). Backoff is
exponential with full jitter, ``Retry-After`` is honoured, and a retried body is rewound first.
"""

from __future__ import annotations

import base64
import email.utils
import io
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

import urllib3
from lakefs_sdk.configuration import Configuration
from lakefs_sdk.exceptions import ApiException
from lakefs_sdk.rest import RESTClientObject

from lakefs._config import ClientConfig, Timeout
from lakefs._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    header_value,
    is_retryable_status,
    make_status_error,
)
from lakefs._logs import get_logger

__all__ = ["Body", "RetryPolicy", "SDKRestClient", "Transport"]

log = get_logger("transport")

T = TypeVar("T")
Body = bytes | bytearray | memoryview | io.IOBase | Iterable[bytes] | None

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
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


def _retry_after(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> float | None:
    value = header_value(headers, "Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return parsed.timestamp() - time.time() if parsed is not None else None


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


def _connection_error(exc: BaseException, method: str, url: str) -> tuple[APIConnectionError, bool]:
    """Map a urllib3 error to ours; the flag says whether the request surely never left."""
    reason = exc.reason if isinstance(exc, urllib3.exceptions.MaxRetryError) else exc
    reason = reason or exc
    path = _path_of(url)
    never_sent = isinstance(
        reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)
    )
    if isinstance(reason, urllib3.exceptions.TimeoutError):
        phase = "connecting" if never_sent else "waiting for the response"
        err: APIConnectionError = APITimeoutError(
            f"timed out {phase}: {method} {path}", method=method, path=path
        )
    else:
        err = APIConnectionError(
            f"connection error: {method} {path}: {type(reason).__name__}: {reason}",
            method=method,
            path=path,
        )
    return err, never_sent


class Transport:
    """A connection pool with the client's timeouts, retry policy, auth and error mapping.

    Args:
        config: the resolved client configuration.
        sleep: how to wait between attempts (injectable for tests).
        rand: a source of jitter in [0, 1).
        token: returns a fresh bearer token for each request, when the configuration has no
            static credentials (AWS IAM).
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        token: Callable[[], str] | None = None,
    ) -> None:
        self.config = config
        self.token = token  # a source of fresh bearer tokens (AWS IAM), consulted per request
        self.policy = RetryPolicy(max_retries=config.retries)
        self._sleep = sleep
        self._rand = rand
        self._auth_header = _auth_header(config)
        # No retries inside urllib3 (the loop below owns them); redirects are followed, as a
        # pre-signed read answers 302 and urllib3 drops Authorization on a cross-host redirect.
        retries = urllib3.Retry(
            total=None, connect=0, read=0, status=0, other=0, redirect=5, raise_on_redirect=True
        )
        pool_args: dict[str, Any] = {
            "num_pools": 8,
            "maxsize": config.max_connections,
            "block": False,
            "retries": retries,
            "cert_reqs": "CERT_REQUIRED" if config.verify_ssl else "CERT_NONE",
            "ca_certs": config.ssl_ca_cert,
            # Send bodies in 1 MiB writes, not http.client's 16 KiB: a socket with a timeout
            # polls before each write, which costs a third of a large upload's speed.
            "blocksize": 1 << 20,
        }
        self.pool: urllib3.PoolManager
        if config.proxy:
            self.pool = urllib3.ProxyManager(config.proxy, **pool_args)
        else:
            self.pool = urllib3.PoolManager(**pool_args)

    def close(self) -> None:
        """Close every pooled connection."""
        self.pool.clear()

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
    ) -> T:
        """Run ``attempt`` (one HTTP exchange) until it succeeds or the retry policy gives up.

        ``attempt`` returns the response or raises a ``lakefs_sdk`` ``ApiException``, a urllib3
        error, or an :class:`APIStatusError`; all of them leave as :class:`LakeFSError`.

        Args:
            method: the HTTP method (decides idempotency unless ``idempotent`` is given).
            url: the full URL (only its path is logged or put in errors).
            attempt: performs the request once.
            idempotent: override the method's idempotency.
            rewind: called before each retry to rewind a streamed body; ``None`` for bodies
                that need no rewinding. A body that cannot be rewound must not be retried: pass
                ``idempotent=False`` and a rewind that raises.
        """
        idem = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        path = _path_of(url)
        attempts = self.policy.max_retries + 1
        err: APIStatusError | APIConnectionError
        for number in range(1, attempts + 1):
            started = time.monotonic()
            try:
                result = attempt()
            except (ApiException, APIStatusError) as exc:
                err = self._status_error(exc, method, url)
                retry, retry_after = is_retryable_status(err.status, idempotent=idem), None
                if retry:
                    retry_after = _retry_after(getattr(exc, "headers", None))
                cause: BaseException = exc
                outcome = f"{err.status}"
            except urllib3.exceptions.HTTPError as exc:
                err, never_sent = _connection_error(exc, method, url)
                retry, retry_after, cause = never_sent or idem, None, exc
                outcome = type(err).__name__
            else:
                log.debug(
                    "%s %s -> ok in %.0f ms", method, path, (time.monotonic() - started) * 1e3
                )
                return result
            elapsed_ms = (time.monotonic() - started) * 1e3
            log.debug("%s %s -> %s in %.0f ms", method, path, outcome, elapsed_ms)
            if not retry or number == attempts:
                if retry:
                    log.warning("%s %s failed after %d attempts: %s", method, path, number, err)
                if err is cause:
                    raise err
                raise err from cause
            delay = self.policy.backoff(number, retry_after, self._rand)
            log.info(
                "retrying %s %s after %s in %.2f s (attempt %d of %d)",
                method,
                path,
                outcome,
                delay,
                number + 1,
                attempts,
            )
            if rewind is not None:
                rewind()
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

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

    # -- the raw, streaming path ------------------------------------------------------------

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
    ) -> urllib3.BaseHTTPResponse:
        """Send one request through the pool, with retries, and return the urllib3 response.

        Args:
            method: HTTP method.
            url: the full URL (a lakeFS API URL, or a pre-signed object-store URL).
            headers: request headers.
            body: bytes, a binary file object (streamed; rewound before a retry when seekable),
                or an iterable of bytes (streamed chunked; never retried once sent).
            stream: leave the response body unread; the caller reads it (``stream()``/``read()``)
                and must ``release_conn()``.
            timeout: per-call timeout override.
            idempotent: override the method's idempotency.
            authenticate: send the lakeFS ``Authorization`` header (False for pre-signed URLs).

        Raises:
            APIStatusError: for a non-2xx answer (the body is read for the message).
            APIConnectionError: when the server could not be reached.
        """
        all_headers = {**(self.auth_headers() if authenticate else {}), **(headers or {})}
        tmo = self.timeout(timeout)
        urllib3_timeout = urllib3.Timeout(connect=tmo.connect, read=tmo.read)
        rewind: Callable[[], None] | None = None
        chunked = False
        if isinstance(body, io.IOBase):
            if body.seekable():
                start = body.tell()

                def rewind() -> None:
                    body.seek(start)

            else:
                idempotent = False
        elif body is not None and not isinstance(body, (bytes, bytearray, memoryview)):
            chunked, idempotent = "Content-Length" not in all_headers, False

        def attempt() -> urllib3.BaseHTTPResponse:
            resp = self.pool.urlopen(
                method,
                url,
                body=body,
                headers=all_headers,
                timeout=urllib3_timeout,
                preload_content=not stream,
                chunked=chunked,
                redirect=True,
            )
            if not 200 <= resp.status <= 299:
                data = resp.data if not stream else resp.read(64 * 1024)
                resp.release_conn()
                raise make_status_error(
                    resp.status,
                    body=data,
                    headers=resp.headers,
                    method=method,
                    path=url,
                    object_path=_object_path(url),
                )
            return resp

        return self.send(method, url, attempt, idempotent=idempotent, rewind=rewind)


class SDKRestClient(RESTClientObject):
    """``lakefs_sdk``'s REST client, routed through a :class:`Transport`.

    Every generated ``lakefs_sdk`` call then shares the transport's pool, default timeout, auth,
    retry loop and error mapping: it raises ``LakeFSError``, never ``ApiException`` or urllib3's
    errors.
    """

    def __init__(self, configuration: Configuration, transport: Transport) -> None:
        super().__init__(configuration)
        self.pool_manager = transport.pool  # type: ignore[assignment]
        self._transport = transport

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
        tmo = self._transport.timeout(_request_timeout)
        parent = super().request

        def attempt() -> Any:
            # The parent pops Content-Type for multipart bodies: give each attempt a fresh copy.
            # Auth is added here, per attempt, so that a refreshed token is always the one sent.
            response = parent(  # type: ignore[no-untyped-call]
                method,
                url,
                query_params=query_params,
                headers={**(headers or {}), **self._transport.auth_headers()},
                body=body,
                post_params=post_params,
                _preload_content=_preload_content,
                _request_timeout=(tmo.connect, tmo.read),
            )
            if not _preload_content:
                # lakefs_sdk reads the whole body afterwards anyway; reading it here keeps a
                # response cut short inside the retry loop and the error mapping.
                _ = response.data
            return response

        return self._transport.send(method.upper(), url, attempt)


def _auth_header(config: ClientConfig) -> str | None:
    if config.jwt_token:
        return f"Bearer {config.jwt_token}"
    if config.session_token:
        return f"Bearer {config.session_token}"
    if config.access_key_id and config.secret_access_key:
        raw = f"{config.access_key_id}:{config.secret_access_key}".encode()
        return "Basic " + base64.b64encode(raw).decode()
    return None
