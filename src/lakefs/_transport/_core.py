"""The :class:`Transport`: a client's pool, timeouts, auth and retry policy, and its two entries
(:meth:`Transport.request`, one whole request; :meth:`Transport.send`, the retry loop alone)."""

from __future__ import annotations

import base64
import functools
import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar
from urllib.parse import quote

import urllib3

from lakefs._config import ClientConfig, Timeout
from lakefs._transport._body import Body
from lakefs._transport._exchange import exchange, prepare
from lakefs._transport._failures import Mapped, connection_error, origin
from lakefs._transport._pool import Pool, Routes
from lakefs._transport._protocol import HTTPTransport
from lakefs._transport._proxies import Proxy
from lakefs._transport._retry import IDEMPOTENT_METHODS, Call, RetryPolicy, retrying

T = TypeVar("T")


class Transport:
    """A connection pool with the client's timeouts, retry policy, auth and error mapping.

    Args:
        config: the resolved client configuration.
        sleep: how to wait between attempts (injectable for tests).
        rand: a source of jitter in [0, 1).
        token: returns a fresh bearer token for each request, when the configuration has no
            static credentials (AWS IAM).
        share_pool_with: a transport whose pool to share, when the connection options agree
            (a given ``wire`` is always shared).
        wire: what sends each exchange once (:class:`~._protocol.HTTPTransport`); by default this
            process's own connection pools, built from ``config``.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        token: Callable[[], str] | None = None,
        share_pool_with: Transport | None = None,
        wire: HTTPTransport | None = None,
    ) -> None:
        self.config = config
        self.token = token  # a source of fresh bearer tokens (AWS IAM), consulted per request
        self.policy = RetryPolicy(max_retries=config.retries)
        self.sleep = sleep
        self._rand = rand
        header = _auth_header(config)
        self._auth = {"Authorization": header} if header else None  # shared: only read
        self._pool = Pool(config, wire)
        if wire is None and share_pool_with is not None and share_pool_with._pool.serves(config):
            self._pool = share_pool_with._pool

    @property
    def pool(self) -> HTTPTransport:
        """This process's connection pools (a forked child gets its own), or the given wire."""
        return self._pool.get()

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()

    def timeout(self, override: Timeout | float | tuple[float, float] | None) -> Timeout:
        """The timeout of one request: the per-call override, else the client's."""
        return self.config.timeout if override is None else Timeout.coerce(override)

    def api_url(
        self,
        segments: list[str],
        query: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> str:
        """The URL of an API path: each segment quoted whole (as lakefs_sdk does), then a query
        (a mapping, or pairs where a name may repeat)."""
        url = self.config.host + "/" + "/".join(map(_quoted, segments))
        # A list first (what generated routes pass): a Mapping check is an ABC's, slower.
        pairs = query if query is None or isinstance(query, list) else _pairs(query)
        if pairs:
            url += "?" + "&".join([k + "=" + _quoted(v) for k, v in pairs])
        return url

    def auth_headers(self) -> Mapping[str, str]:
        """The ``Authorization`` header for requests to the lakeFS API (not to be changed: the
        same mapping serves every request of static credentials)."""
        if self._auth is not None:
            return self._auth
        if self.token is not None:
            return {"Authorization": f"Bearer {self.token()}"}
        return {}

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
                ``NotReplayable`` when the body cannot be sent again (no retry then).
            deadline: seconds the whole call may take, retries included (None: unbounded).
        """
        call = Call(
            method,
            url,
            method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
            self.policy,
            self.sleep,
            self._rand,
            self._connection_error,
            rewind,
            deadline,
        )
        return retrying(call, attempt)

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
                ``MAX_ANSWER_BYTES``.
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
        prepared = prepare(
            method,
            url,
            headers=headers,
            auth=self.auth_headers() if authenticate else {},
            body=body,
            timeout=self.config.timeout if timeout is None else self.timeout(timeout),
            stream=stream,
            decode=decode,
            on_redirect=on_redirect,
        )
        attempt = functools.partial(exchange, self.pool, prepared, self._proxy_for)
        try:
            return self.send(
                method,
                url,
                attempt,
                idempotent=idempotent,
                rewind=prepared.source.rewind,
                deadline=prepared.deadline,
            )
        finally:
            prepared.source.close()

    def _connection_error(self, exc: BaseException, method: str, url: str) -> Mapped:
        proxy = self._proxy_for(url)
        return connection_error(
            exc, method, url, server=self._server(url), proxy=proxy.url if proxy else None
        )

    def _server(self, url: str) -> str:
        """Who a URL reaches, for error texts: lakeFS, or the object store (pre-signed)."""
        if url.startswith(self.config.host):
            return f"lakeFS at {origin(url)}"
        return f"the object store at {origin(url)} (a pre-signed URL)"

    def _proxy_for(self, url: str) -> Proxy | None:
        routes = self.pool
        return routes.proxy_for(url) if isinstance(routes, Routes) else None


def _pairs(query: Mapping[str, str] | Iterable[tuple[str, str]]) -> Iterable[tuple[str, str]]:
    return query.items() if isinstance(query, Mapping) else query


@functools.lru_cache(maxsize=8192)
def _quoted(text: str) -> str:
    """``text`` quoted whole, as a path segment or a query value (repository, ref and object
    names repeat from call to call: each is quoted once). A bare "." or ".." is quoted too:
    as a segment it would be read as one of the path's own ("..": its parent)."""
    quoted = quote(text, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _auth_header(config: ClientConfig) -> str | None:
    if config.jwt_token:
        return f"Bearer {config.jwt_token}"
    if config.session_token:
        return f"Bearer {config.session_token}"
    if config.access_key_id and config.secret_access_key:
        raw = f"{config.access_key_id}:{config.secret_access_key}".encode()
        return "Basic " + base64.b64encode(raw).decode()
    return None
