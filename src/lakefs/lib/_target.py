"""Where and how one object is written: :class:`_Target`, what every upload strategy needs to
know, and its requests to lakeFS and to the object store (made by ``writer._make_target``,
which checks every argument first)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lakefs._exceptions import APIResponseError
from lakefs._generated import operations as ops
from lakefs._objects import ObjectInfo

if TYPE_CHECKING:
    import urllib3

    from lakefs._client import RequestTimeout
    from lakefs._generated.branch import Branch
    from lakefs._transport import Body, Transport

__all__ = ["_Target", "_json_answer"]


@dataclass(frozen=True)
class _Target:
    """Where and how an object is written: everything an upload strategy needs to know."""

    branch: Branch
    path: str
    exclusive: bool
    pre_signed: bool
    content_type: str
    metadata: dict[str, str]
    part_size: int
    max_workers: int
    multipart_threshold: int  # pre-signed uploads of a known size above it go in parts
    timeout: RequestTimeout | None = None  # of each request (None: the client's)
    extra_headers: Mapping[str, str] | None = None  # added to requests sent to lakeFS

    @property
    def transport(self) -> Transport:
        return self.branch.client.transport

    def api(
        self,
        method: str,
        url: str,
        *,
        body: Body = None,
        headers: Mapping[str, Any] | None = None,
    ) -> urllib3.BaseHTTPResponse:
        """A request to lakeFS, with the call's timeout and extra headers."""
        return self.transport.request(
            method,
            url,
            body=body,
            headers={**(self.extra_headers or {}), **(headers or {})},
            timeout=self.timeout,
        )

    def store(self, url: str, body: Body, size: int) -> urllib3.BaseHTTPResponse:
        """A PUT to a pre-signed object-store URL (no credentials, no extra headers)."""
        return self.transport.request(
            "PUT",
            url,
            body=body,
            authenticate=False,
            headers={"Content-Length": str(size)},
            timeout=self.timeout,
        )

    def route(self, operation: Callable[..., ops.Route], *ids: str, **query: Any) -> ops.Route:
        """The route of an operation on this object: its branch's ids, then ``ids`` (an upload
        id, a part number), and the object's path with ``query``."""
        b = self.branch
        route: ops.Route = operation(
            self.transport, b.repository_id, b.id, *ids, path=self.path, **query
        )
        return route

    def condition(self) -> dict[str, str]:
        return {"If-None-Match": "*"} if self.exclusive else {}

    def direct_headers(self) -> dict[str, Any]:
        """Headers of an upload through lakeFS; metadata values travel as UTF-8 bytes, which
        lakeFS stores as they are (the only way it carries non-ASCII metadata)."""
        meta = {f"X-Lakefs-Meta-{k}": v.encode("utf-8") for k, v in self.metadata.items()}
        return {"Content-Type": self.content_type, **self.condition(), **meta}

    def json(self, route: ops.Route, body: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json", **self.condition()}
        resp = self.api(
            route.method,
            route.url,
            body=json.dumps(body).encode() if body is not None else None,
            headers=headers,
        )
        return _json_answer(resp.data, route.method, route.url)

    def info(self, stats: Any) -> ObjectInfo:
        if not isinstance(stats, dict) or not isinstance(stats.get("path"), str):
            raise APIResponseError(f"lakeFS answered an upload of {self.path!r} without its stats")
        return ObjectInfo.from_stats(self.branch, stats)


def _json_answer(data: bytes, method: str, url: str) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError as exc:
        path = urlsplit(url).path
        raise APIResponseError(
            f"the answer is not JSON: {method} {path}", method=method, path=path
        ) from exc
