"""The base of every resource class: its client, and the plumbing generated methods share."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from lakefs import _wire as wire
from lakefs._client import Client, RequestTimeout, default_client
from lakefs._exceptions import ValidationError
from lakefs._pagination import Page

if TYPE_CHECKING:
    from lakefs._generated.operations import Route

__all__ = ["CARRIED_COMMIT", "Resource", "ref_id"]

T = TypeVar("T")

CARRIED_COMMIT = "_commit"
"""The attribute a Reference keeps the commit it came with in (a log's entry, a new commit)."""


class Resource:
    """Something in lakeFS that methods act on. Creating one sends no request.

    Args:
        client: the client its requests go through; the default client (created on first use)
            when None. Resources made from this one keep it.
    """

    __slots__ = ("__dict__", "_client")  # subclasses may add slots (ObjectInfo does)

    def __init__(self, client: Client | None = None) -> None:
        if client is not None and not isinstance(client, Client):
            raise ValidationError(f"client must be a lakefs.Client, not {type(client).__name__}")
        self._client = client

    @property
    def client(self) -> Client:
        """The client this resource's requests go through."""
        return self._client if self._client is not None else default_client()

    def _request(
        self,
        operation: Callable[..., Route],
        *path: str,
        body: Mapping[str, Any] | None = None,
        timeout: RequestTimeout | None,
        extra_headers: Mapping[str, str] | None,
        raw: bool = False,
        **query: Any,
    ) -> Any:
        """Send one operation (its route from ``_generated/operations.py``, built from the
        path parameters and the ``query`` ones) through the client's transport; returns the
        decoded answer (:func:`lakefs._wire.decode`; bytes when ``raw``). What every generated
        method calls."""
        return wire.send(
            self.client,
            operation,
            *path,
            body=body,
            timeout=timeout,
            extra_headers=extra_headers,
            raw=raw,
            **query,
        )

    @staticmethod
    def _page(data: Mapping[str, Any], items: Sequence[T]) -> Page[T]:
        pagination = data.get("pagination") or {}
        return Page(items, bool(pagination.get("has_more")), pagination.get("next_offset", ""))

    def _identity(self) -> tuple[str, ...]:
        return tuple(str(getattr(self, k)) for k in ("repository_id", "id") if hasattr(self, k))

    def __eq__(self, other: object) -> bool:
        """The same kind of resource with the same identity (a commit it carries aside)."""
        return type(other) is type(self) and other._identity() == self._identity()

    def __hash__(self) -> int:
        """A hash of the kind and identity, consistent with ``==``."""
        return hash((type(self).__name__, *self._identity()))

    def __repr__(self) -> str:
        """``Reference(repository_id='r', id='main')``; one that carries its commit (a new
        commit, a log's entry) shows its message too (no request is sent)."""
        fields = [f"{k}={getattr(self, k)!r}" for k in ("repository_id", "id") if hasattr(self, k)]
        message = getattr(getattr(self, CARRIED_COMMIT, None), "message", None)
        if isinstance(message, str):
            fields.append(f"message={message!r}")
        return f"{type(self).__name__}({', '.join(fields)})"


def ref_id(value: object) -> str:
    """The id of a reference given as a string or as a resource (Reference, Branch, Tag)."""
    if isinstance(value, str):
        return value
    ident = getattr(value, "id", None)
    if isinstance(value, Resource) and isinstance(ident, str):
        return ident
    raise ValidationError(f"expected a reference id or a Reference, not {value!r}")
