"""The one way ``lakefs.lib`` sends a request about a reference, branch or tag: through its
client, with its repository and its id as the route's path parameters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakefs._client import RequestTimeout
    from lakefs._generated.operations import Route
    from lakefs._generated.reference import Reference

__all__ = ["send_at"]


def send_at(
    reference: Reference,
    operation: Callable[..., Route],
    *,
    body: Mapping[str, Any] | None = None,
    timeout: RequestTimeout | None,
    extra_headers: Mapping[str, str] | None,
    **query: Any,
) -> Any:
    """Send ``operation`` (a route of ``lakefs._generated.operations`` whose path is a
    repository and a reference) about ``reference``, with the ``query`` parameters; returns the
    decoded answer (as a generated method gets it: ``Resource._request``)."""
    path = (reference.repository_id, reference.id)
    return reference._request(
        operation, *path, body=body, timeout=timeout, extra_headers=extra_headers, **query
    )
