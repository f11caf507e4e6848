"""One raw call: an operation's route and its options in, the answer out, checked.

Generated methods send every request through :func:`call` (hand-written code sends streamed bodies
and answers itself, through the same :class:`~lakefs._transport.Transport`), and every JSON answer
is read by :func:`decode`: a web page where lakeFS's API was expected (a proxy's login page, the
UI at a wrong path) is an :class:`~lakefs.APIResponseError` that says so, a field lakeFS left out
one that names it.

What ``lakefs_sdk`` still does: its operation signatures are checked against every generated call
when ``make generate`` runs (``codegen.resolve``), and :attr:`lakefs.Client.sdk` is a working
``lakefs_sdk.ApiClient`` over the same transport for the endpoints this SDK does not cover. What it
no longer does: build and validate a pydantic model per call (about 80 µs of CPU each, and most of
the cost of ``import lakefs``); the arguments are checked by :mod:`lakefs._validation` before any
request, and the bodies sent are those ``lakefs_sdk`` sends (its models' defaults included, so the
recorded cassettes match either way).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from lakefs import _validation as validate
from lakefs._exceptions import APIResponseError
from lakefs._transport._protocol import path_of

if TYPE_CHECKING:
    from lakefs._client import Client, RequestTimeout
    from lakefs._generated.operations import Route
    from lakefs._transport import Transport

__all__ = ["Answer", "call", "decode", "send"]

# No Accept header: lakeFS's API answers JSON unasked (its one exception, a usage report in
# text/plain, is sent only to who asks for it), and each header sent costs about 2% of a small
# call's CPU in http.client and urllib3. A web page in answer is caught by decode() either way.
_NO_HEADERS: dict[str, str] = {}
_SEND_JSON = {"Content-Type": "application/json"}


class Answer(dict[str, Any]):
    """A JSON answer: a field lakeFS left out is an ``APIResponseError``, not a ``KeyError``."""

    def __missing__(self, key: str) -> Any:
        raise APIResponseError(f"the answer has no {key!r} field")


def decode(body: bytes, content_type: str | None, method: str, url: str) -> Any:
    """An answer's body as the caller wants it: a JSON object as an :class:`Answer`, None for
    an empty body, other content as bytes. A web page, invalid JSON or JSON that is not an
    object is an :class:`~lakefs.APIResponseError` naming the request (``url``'s path)."""
    if not body:
        return None
    kind = (content_type or "").lower()
    if "html" in kind:  # a web page: not lakeFS's API (a proxy, or the UI)
        raise _unexpected(
            "the server answered with a web page, not lakeFS's API (check the host)", method, url
        )
    if "json" not in kind:
        return bytes(body)
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise _unexpected("the answer is not JSON", method, url) from exc
    if not isinstance(data, dict):
        raise _unexpected(f"expected a JSON object, got {type(data).__name__}", method, url)
    return Answer(data)


def _unexpected(message: str, method: str, url: str) -> APIResponseError:
    """An answer that is not what lakeFS's API sends, naming the request (the path is parsed
    only here, for an error)."""
    path = path_of(url) if url else ""
    where = f": {method} {path}" if method else ""
    return APIResponseError(f"{message}{where}", method=method, path=path)


def call(
    transport: Transport,
    route: Route,
    *,
    body: Mapping[str, Any] | None = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
    raw: bool = False,
) -> Any:
    """Send ``route`` once through the transport (its retry loop, limits and error mapping);
    returns the decoded answer (:func:`decode`), or its bytes when ``raw``.

    ``body`` is sent as JSON without its None values (as ``lakefs_sdk`` leaves unset fields out).
    """
    headers = _SEND_JSON if body is not None else _NO_HEADERS
    if extra_headers:
        validate.headers(dict(extra_headers), "extra_headers")
        headers = {**headers, **extra_headers}
    data = None
    if body is not None:
        data = json.dumps({k: v for k, v in body.items() if v is not None}).encode()
    resp = transport.request(route.method, route.url, headers=headers, body=data, timeout=timeout)
    if raw:
        return bytes(resp.data or b"")
    content_type = resp.headers.get("Content-Type")  # urllib3's headers: case-insensitive
    return decode(resp.data, content_type, route.method, route.url)


def send(
    client: Client,
    operation: Callable[..., Route],
    *path: str,
    body: Mapping[str, Any] | None = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
    raw: bool = False,
    **query: Any,
) -> Any:
    """Send ``operation`` (a route function of ``lakefs._generated.operations``, given its path
    parameters in order and its query parameters by name) through ``client``; returns what
    :func:`call` returns. The one call path of generated methods and hand-written code alike."""
    transport = client.transport
    route = operation(transport, *path, **query)
    return call(transport, route, body=body, timeout=timeout, extra_headers=extra_headers, raw=raw)
