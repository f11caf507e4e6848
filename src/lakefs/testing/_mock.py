"""An offline seam: a client whose requests are answered by a function, as httpx's MockTransport.

Everything above the socket runs for real (retry loop, timeouts, redirects, limits, error mapping,
the resource API); only the connection pool is replaced, through the public constructor argument
``Client(transport=...)``::

    def handler(request: MockRequest) -> MockResponse:
        if request.method == "GET" and request.path.endswith("/branches/main"):
            return MockResponse.json({"id": "main", "commit_id": "c1"})
        return MockResponse(404, b'{"message": "not found"}')

    client = mock_client(handler)  # or, in full:
    client = lakefs.Client(host="http://lakefs.mock", access_key_id="AKIA",
                           secret_access_key="secret", transport=MockTransport(handler),
                           retry_sleep=lambda seconds: None)
    lakefs.repository("repo", client=client).branch("main").head().id  # "c1"

A handler may also raise a ``urllib3.exceptions.HTTPError`` (a refused connection, a reset) to
stand for a network failure.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import urllib3

from lakefs._client import Client
from lakefs._config import ClientConfig

__all__ = [
    "MockPool",
    "MockRequest",
    "MockResponse",
    "MockTransport",
    "mock_client",
    "sent_requests",
]


@dataclass
class MockRequest:
    """A request as the server would see it (a streamed body is read whole)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The URL's path."""
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, str]:
        """The URL's query parameters."""
        return dict(parse_qsl(urlsplit(self.url).query))

    def json(self) -> Any:
        """The body parsed as JSON.

        Returns:
            The parsed value.

        Raises:
            json.JSONDecodeError: the body is not JSON.
        """
        return json.loads(self.body)


@dataclass
class MockResponse:
    """An answer: status, headers and body."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: Any, status: int = 200) -> MockResponse:
        """A JSON answer.

        Args:
            value: what the body holds, serialized with ``json.dumps``.
            status: the HTTP status.

        Returns:
            The answer, with ``Content-Type: application/json``.
        """
        return cls(status, json.dumps(value).encode(), {"Content-Type": "application/json"})


Handler = Callable[[MockRequest], MockResponse]


def _read_body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    if hasattr(body, "read"):
        data = body.read()
        return data.encode() if isinstance(data, str) else bytes(data)
    return b"".join(bytes(chunk) for chunk in body if isinstance(chunk, (bytes, bytearray)))


class MockTransport:
    """A :class:`~lakefs._transport.HTTPTransport` (``Client(transport=...)``) that stands for
    urllib3's ``PoolManager``: each ``urlopen`` asks the handler, and is listed in ``requests``.

    Args:
        handler: answers each request: called with a :class:`MockRequest`, returns a
            :class:`MockResponse` (or raises a ``urllib3.exceptions.HTTPError`` to stand for a
            network failure).

    Example:
        >>> transport = MockTransport(lambda request: MockResponse.json({"ok": True}))
        >>> client = lakefs.Client(host="http://lakefs.mock", jwt_token="t",  # doctest: +SKIP
        ...                        transport=transport)
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[MockRequest] = []

    def urlopen(self, method: str, url: str, **kwargs: Any) -> urllib3.HTTPResponse:
        """Ask the handler, and list the request in ``requests``.

        Args:
            method: the HTTP method.
            url: the full URL.
            **kwargs: urllib3's arguments: ``body``, ``headers`` and ``decode_content`` are
                read, the others ignored.

        Returns:
            The handler's answer as an unread urllib3 response.
        """
        headers: Mapping[str, Any] = kwargs.get("headers") or {}
        shown = {
            k: (v.decode("utf-8") if isinstance(v, bytes) else str(v)) for k, v in headers.items()
        }
        request = MockRequest(method, url, shown, _read_body(kwargs.get("body")))
        self.requests.append(request)
        answer = self.handler(request)
        return urllib3.HTTPResponse(
            body=io.BytesIO(answer.body),
            headers=answer.headers,
            status=answer.status,
            preload_content=False,
            decode_content=kwargs.get("decode_content", True),
            request_url=url,
        )

    def clear(self) -> None:
        """Nothing to close."""


MockPool = MockTransport
"""The former name of :class:`MockTransport`."""


def mock_client(
    handler: Handler, *, sleep: Callable[[float], None] | None = None, **options: Any
) -> Client:
    """A client whose requests go to ``handler`` (no socket is opened).

    Args:
        handler: answers each request.
        sleep: replaces the retry loop's waits (default: no waiting).
        options: client options (host, credentials, retries, timeout...); the host defaults to
            ``http://lakefs.mock`` and the credentials to fixed test keys.

    Returns:
        The client.

    Raises:
        TypeError: an unknown option.
        ValidationError: a malformed option.

    The client is ``Client(transport=MockTransport(handler), retry_sleep=sleep)``:
    ``client.transport.pool`` is the :class:`MockTransport`, whose ``requests`` list every request
    sent (:func:`sent_requests`).
    """
    options.setdefault("host", "http://lakefs.mock")
    options.setdefault("access_key_id", "AKIAIOSFODNN7EXAMPLE")
    options.setdefault("secret_access_key", "mock-secret-access-key")
    return Client.from_config(
        ClientConfig(**options),
        transport=MockTransport(handler),
        retry_sleep=sleep or _no_wait,
    )


def _no_wait(seconds: float) -> None:
    del seconds


def sent_requests(client: Client) -> list[MockRequest]:
    """The requests a mock client sent so far.

    Args:
        client: a client made by :func:`mock_client` (its transport a :class:`MockTransport`).

    Returns:
        A copy of the list of requests, oldest first.
    """
    pool = client.transport.pool
    assert isinstance(pool, MockTransport)
    return list(pool.requests)
