"""What the transport's layers and their callers share without loading urllib3.

``import lakefs`` does not import urllib3 (nor ``http.client`` and ``ssl`` under it: most of
what importing the SDK would cost); the first :class:`~lakefs.Client` does. Modules imported
with ``lakefs`` therefore name urllib3 only in annotations, and take from here what they need at
run time: the :class:`HTTPTransport` seam (``isinstance`` checks of ``Client(transport=...)``),
:func:`path_of` and :func:`json_object`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from lakefs._exceptions import APIResponseError

if TYPE_CHECKING:
    import urllib3

__all__ = ["HTTPTransport", "json_object", "path_of"]


@runtime_checkable
class HTTPTransport(Protocol):
    """What sends one HTTP exchange: the seam under the retry loop (as httpx's transports).

    ``urlopen`` takes urllib3's arguments (``body``, ``headers``, ``timeout``,
    ``preload_content=False``, ``decode_content``, ``chunked``, ``redirect=False``,
    ``retries=False``) and returns a ``urllib3.BaseHTTPResponse`` whose body is not read yet, or
    raises a ``urllib3.exceptions.HTTPError`` (a refused connection, a reset, a timeout).
    Everything above it runs as for a real server: retries, timeouts, redirects, limits, error
    mapping. ``urllib3.PoolManager`` is one; ``lakefs.testing.MockTransport`` is another.
    """

    def urlopen(self, method: str, url: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        """Send one request; the answer's body is left unread."""
        ...

    def clear(self) -> None:
        """Close every pooled connection."""
        ...


def path_of(url: str) -> str:
    """A URL's path, what error texts and logs name (never its query)."""
    return urlsplit(url).path or "/"


def json_object(resp: urllib3.BaseHTTPResponse, method: str, url: str) -> dict[str, Any]:
    """An answer's JSON object; anything else is an :class:`APIResponseError`."""
    path = path_of(url)
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
