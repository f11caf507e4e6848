"""An offline seam: a client whose requests are answered by a function, as httpx's MockTransport.

Everything above the socket runs for real (retry loop, timeouts, redirects, limits, error mapping,
the resource API); only the connection pool is replaced::

    def handler(request: MockRequest) -> MockResponse:
        if request.method == "GET" and request.path.endswith("/branches/main"):
            return MockResponse.json({"id": "main", "commit_id": "c1"})
        return MockResponse(404, b'{"message": "not found"}')

    client = mock_client(handler)
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

__all__ = ["MockPool", "MockRequest", "MockResponse", "mock_client", "sent_requests"]


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
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class MockResponse:
    """An answer: status, headers and body."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: Any, status: int = 200) -> MockResponse:
        """A JSON answer."""
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


class MockPool:
    """Stands for urllib3's ``PoolManager``: each ``urlopen`` asks the handler."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[MockRequest] = []

    def urlopen(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, Any] | None = None,
        decode_content: bool = True,
        **_: Any,
    ) -> urllib3.HTTPResponse:
        shown = {
            k: (v.decode("utf-8") if isinstance(v, bytes) else str(v))
            for k, v in (headers or {}).items()
        }
        request = MockRequest(method, url, shown, _read_body(body))
        self.requests.append(request)
        answer = self.handler(request)
        return urllib3.HTTPResponse(
            body=io.BytesIO(answer.body),
            headers=answer.headers,
            status=answer.status,
            preload_content=False,
            decode_content=decode_content,
            request_url=url,
        )

    def clear(self) -> None:
        """Nothing to close."""


class _FixedPool:
    def __init__(self, pool: MockPool) -> None:
        self._pool = pool

    def get(self) -> MockPool:
        return self._pool

    def clear(self) -> None:
        self._pool.clear()


def mock_client(
    handler: Handler, *, sleep: Callable[[float], None] | None = None, **options: Any
) -> Client:
    """A client whose requests go to ``handler`` (no socket is opened).

    Args:
        handler: answers each request.
        sleep: replaces the retry loop's waits (default: no waiting).
        options: client options (host, credentials, retries, timeout...); the host defaults to
            ``http://lakefs.mock`` and the credentials to fixed test keys.

    The pool is ``client.transport.pool`` (a :class:`MockPool`): its ``requests`` list every
    request sent.
    """
    options.setdefault("host", "http://lakefs.mock")
    options.setdefault("access_key_id", "AKIAIOSFODNN7EXAMPLE")
    options.setdefault("secret_access_key", "mock-secret-access-key")
    client = Client.from_config(ClientConfig(**options))
    transport = client.transport
    transport._pool = _FixedPool(MockPool(handler))  # type: ignore[assignment]
    transport._sleep = sleep or (lambda seconds: None)
    return client


def sent_requests(client: Client) -> list[MockRequest]:
    """The requests a mock client sent so far."""
    pool = client.transport.pool
    assert isinstance(pool, MockPool)
    return list(pool.requests)
