"""One attempt of a request, in layers: prepare, send once, redirect, status, capped read.

:func:`prepare` builds what every attempt of a request shares (headers, the replayable body, the
timeout); :func:`exchange` runs one attempt through the layers in order:

* :func:`send_once`: one ``urlopen`` on the :class:`~._protocol.HTTPTransport`, within the call's
  deadline, the answer's body left unread;
* :func:`follow_redirect`: a redirect is an error, except one a caller allows (a pre-signed read,
  to http(s) only, without credentials);
* :func:`check_status`: a proxy's refusal, then an error status, become errors;
* :func:`read_capped`: an answer read whole is capped at ``MAX_ANSWER_BYTES``.

The retry loop (:mod:`._retry`) runs the attempts.
"""

from __future__ import annotations

import functools
import platform
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import urllib3

import lakefs._transport as _package
from lakefs import _deadline
from lakefs._config import Timeout
from lakefs._exceptions import APIResponseError, make_status_error
from lakefs._transport._body import NO_BODY, Body, Replayable
from lakefs._transport._failures import (
    FollowFailed,
    is_proxy_answer,
    object_path,
    proxy_refusal,
)
from lakefs._transport._protocol import HTTPTransport, path_of
from lakefs._transport._proxies import Proxy
from lakefs._version import VERSION

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ERROR_BODY = 64 * 1024  # of an error answer, what is read for the message

ProxyFor = Callable[[str], Proxy | None]
"""The proxy a URL goes through, if any."""


class Request(NamedTuple):
    """What every attempt of one request shares."""

    method: str
    url: str
    headers: dict[str, str]
    source: Replayable
    chunked: bool
    timeout: Timeout
    stream: bool
    decode: bool
    on_redirect: Callable[[str], None] | None
    deadline: float | None  # seconds for the whole call, when it is bounded


def prepare(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None,
    auth: Mapping[str, str],
    body: Body,
    timeout: Timeout,
    stream: bool,
    decode: bool,
    on_redirect: Callable[[str], None] | None,
) -> Request:
    """A request ready for its attempts (``auth``: the headers that authenticate it, if any;
    the SDK's ``User-Agent`` unless ``headers`` give one)."""
    agent, length = _caller_headers(headers)
    own = {} if agent is not None else {"User-Agent": user_agent()}
    all_headers = {**own, **auth, **(headers or {})}
    if body is None:
        source, chunked = NO_BODY, False
    else:
        source = Replayable(body, int(length) if length and length.isdigit() else None)
        chunked = source.chunked and "Content-Length" not in all_headers
    # A call is bounded as a whole unless its body or its answer is a stream of unknown
    # length (a stream's answer headers are still bounded: see Timeout.total).
    bounded = body is None or isinstance(body, (bytes, bytearray, memoryview))
    return Request(
        method,
        url,
        all_headers,
        source,
        chunked,
        timeout,
        stream,
        decode,
        on_redirect,
        timeout.deadline if bounded else None,
    )


def _caller_headers(headers: Mapping[str, str] | None) -> tuple[str | None, str | None]:
    """The caller's ``User-Agent`` and ``Content-Length``, whatever their case (one pass)."""
    agent = length = None
    for name, value in (headers or {}).items():
        lowered = name.lower()
        if lowered == "user-agent":
            agent = value
        elif lowered == "content-length":
            length = str(value)
    return agent, length


def exchange(
    wire: HTTPTransport, request: Request, proxy_for: ProxyFor
) -> urllib3.BaseHTTPResponse:
    """One attempt: send, follow an allowed redirect, check the status, read the answer."""
    resp = send_once(
        wire,
        request.method,
        request.url,
        request.headers,
        request.source.open(),
        chunked=request.chunked,
        timeout=request.timeout,
        decode=request.decode,
    )
    if resp.status in REDIRECTS:
        resp = follow_redirect(wire, request, resp)
    if not 200 <= resp.status <= 299:
        check_status(resp, request.method, request.url, proxy_for)
    if not request.stream:
        resp._body = read_capped(resp, request.method, request.url)  # type: ignore[attr-defined]
    return resp


def send_once(
    wire: HTTPTransport,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: Any,
    *,
    chunked: bool,
    timeout: Timeout,
    decode: bool,
) -> urllib3.BaseHTTPResponse:
    """One ``urlopen``, its timeouts cut to what is left of the call's deadline; the answer is
    left unread (the caller decides how much to read)."""
    connect, read = timeout.connect, timeout.read
    watch = _deadline.current()
    limit = watch.remaining() if watch is not None else None
    if limit is not None and limit < max(connect, read):
        phases = urllib3.Timeout(connect=min(connect, limit), read=min(read, limit))
    else:
        phases = _phases(connect, read)
    return wire.urlopen(
        method,
        url,
        body=body,
        headers=dict(headers),
        timeout=phases,
        preload_content=False,
        decode_content=decode,
        chunked=chunked,
        redirect=False,
        retries=_NO_RETRIES,
    )


@functools.cache
def user_agent() -> str:
    """``lakefs-python/<version> python/<version>``: who sent a request, in lakeFS's logs
    (a caller's own ``User-Agent`` in ``extra_headers`` replaces it)."""
    return f"lakefs-python/{VERSION} python/{platform.python_version()}"


_NO_RETRIES = urllib3.Retry(total=False, redirect=False)
"""urllib3 retries nothing (the retry loop is the SDK's): one instance for every request
(urllib3 builds one per request from ``retries=False``; a Retry is never changed, only
copied)."""


@functools.lru_cache(maxsize=64)
def _phases(connect: float, read: float) -> urllib3.Timeout:
    """urllib3's timeout for ``connect`` and ``read`` seconds, built once per pair (a
    ``urllib3.Timeout`` is only read: each connection takes a copy)."""
    return urllib3.Timeout(connect=connect, read=read)


def follow_redirect(
    wire: HTTPTransport, request: Request, resp: urllib3.BaseHTTPResponse
) -> urllib3.BaseHTTPResponse:
    """Follow one allowed redirect (to http(s), without credentials), or refuse it."""
    method = request.method
    location = resp.headers.get("Location") or ""
    read_some(resp, _ERROR_BODY)
    path = path_of(request.url)
    target = urlsplit(location)
    if request.on_redirect is None or method != "GET" or target.scheme not in ("http", "https"):
        where = f"{target.scheme}://{target.netloc}" if target.scheme else "a relative URL"
        raise APIResponseError(
            f"unexpected redirect ({resp.status}) to {where}: {method} {path}; the SDK "
            "does not follow redirects of API calls",
            method=method,
            path=path,
        )
    request.on_redirect(location)
    # Only what the store needs goes on: never credentials or the caller's extra headers.
    kept = {k: v for k, v in request.headers.items() if k.lower() == "range"}
    try:
        follow = send_once(
            wire,
            "GET",
            location,
            kept,
            None,
            chunked=False,
            timeout=request.timeout,
            decode=request.decode,
        )
    except urllib3.exceptions.HTTPError as exc:
        raise FollowFailed(location, exc) from exc
    if follow.status in REDIRECTS:
        read_some(follow, _ERROR_BODY)
        raise APIResponseError(
            f"a redirect led to another redirect ({follow.status}): {method} {path}",
            method=method,
            path=path,
        )
    return follow


def check_status(
    resp: urllib3.BaseHTTPResponse, method: str, url: str, proxy_for: ProxyFor
) -> None:
    """Raise the error an answer means: a proxy's refusal, or an error status."""
    if resp.status in (401, 407):
        _check_proxy_answer(resp, method, url, proxy_for(url))
    if not 200 <= resp.status <= 299:
        data = read_some(resp, _ERROR_BODY)
        raise make_status_error(
            resp.status,
            body=data,
            headers=resp.headers,
            method=method,
            path=url,
            object_path=object_path(url),
        )


def _check_proxy_answer(
    resp: urllib3.BaseHTTPResponse, method: str, url: str, proxy: Proxy | None
) -> None:
    """A 407, or a proxy's 401, to a plain-http request sent through a proxy is the proxy's
    refusal (over https a refusal ends the CONNECT instead): raise it as such, not retried
    and never read as lakeFS refusing the key."""
    if proxy is None or urlsplit(url).scheme != "http":
        return
    if resp.status == 401 and not is_proxy_answer(resp):
        return
    read_some(resp, _ERROR_BODY)
    raise proxy_refusal(resp.status, method, path_of(url), proxy.url)


def read_some(resp: urllib3.BaseHTTPResponse, limit: int) -> bytes:
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


def read_capped(resp: urllib3.BaseHTTPResponse, method: str, url: str) -> bytes:
    """The whole answer, refusing more than ``lakefs._transport.MAX_ANSWER_BYTES`` (decoded)."""
    cap = _package.MAX_ANSWER_BYTES  # read at each call: the package's, as set there
    # A known length within the cap, sent as is (no decoding can make it larger): one read.
    # (urllib3's length_remaining: the Content-Length it parsed, None when there is none; a
    # transport's own response class may not have it, and is then read in steps.)
    length = getattr(resp, "length_remaining", None)
    if length is not None and length <= cap and "Content-Encoding" not in resp.headers:
        data: bytes = resp.read()
        resp.release_conn()
        return data
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.stream(1 << 20):
        size += len(chunk)
        if size > cap:
            resp.close()
            resp.release_conn()
            path = path_of(url)
            raise APIResponseError(
                f"the answer exceeds {cap >> 20} MiB: {method} {path}",
                method=method,
                path=path,
            )
        chunks.append(chunk)
    resp.release_conn()
    return b"".join(chunks)
