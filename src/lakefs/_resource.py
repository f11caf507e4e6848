"""The base of every resource class: its client, and the plumbing generated methods share."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from lakefs_sdk.exceptions import ApiTypeError, ApiValueError

from lakefs import _validation as validate
from lakefs._client import Client, RequestTimeout, default_client
from lakefs._config import Timeout
from lakefs._exceptions import APIResponseError, ValidationError, header_value
from lakefs._pagination import Page

if TYPE_CHECKING:
    from lakefs_sdk.api_client import ApiClient

__all__ = ["Resource", "ref_id"]

T = TypeVar("T")


def _pydantic_errors() -> tuple[type[Exception], ...]:
    """The validation errors of the pydantic API lakefs_sdk runs on (v1, or v1 inside v2)."""
    import pydantic

    errors: list[type[Exception]] = [pydantic.ValidationError, ApiTypeError, ApiValueError]
    try:
        from pydantic import v1
    except ImportError:  # pragma: no cover - pydantic 1
        pass
    else:
        errors.append(v1.ValidationError)
    return tuple(errors)


_SDK_ARGUMENT_ERRORS = _pydantic_errors()


class _Answer(dict[str, Any]):
    """A JSON answer: a field lakeFS left out is an ``APIResponseError``, not a ``KeyError``."""

    def __missing__(self, key: str) -> Any:
        raise APIResponseError(f"the answer has no {key!r} field")


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

    @property
    def _sdk(self) -> ApiClient:
        return self.client.sdk

    def _call(
        self,
        operation: Callable[..., Any],
        *,
        timeout: RequestTimeout | None,
        extra_headers: Mapping[str, str] | None,
        raw: bool = False,
        **arguments: Any,
    ) -> Any:
        """Call a ``lakefs_sdk`` ``*_with_http_info`` operation; returns the parsed JSON body
        (bytes when ``raw`` or not JSON, None for an empty one).

        The SDK's response models are skipped: parsing JSON directly costs a fraction of the
        time on large listings.
        """
        options: dict[str, Any] = {"_preload_content": False}
        if timeout is not None:
            options["_request_timeout"] = Timeout.coerce(timeout)
        if extra_headers:
            validate.headers(dict(extra_headers), "extra_headers")
            options["_headers"] = dict(extra_headers)
        try:
            response = operation(**arguments, **options)
        except _SDK_ARGUMENT_ERRORS as exc:
            # lakefs_sdk's own checks: an argument the SDK's validators let through.
            raise ValidationError(f"invalid argument: {exc}") from None
        body = response.raw_data
        if raw:
            return body.encode() if isinstance(body, str) else bytes(body or b"")
        if not body:
            return None
        content_type = (header_value(response.headers, "Content-Type") or "").lower()
        if "html" in content_type:  # a web page: not lakeFS's API (a proxy, or the UI)
            raise APIResponseError(
                "the server answered with a web page, not lakeFS's API: check the host"
            )
        if "json" not in content_type:
            return bytes(body) if not isinstance(body, str) else body
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise APIResponseError("the answer is not valid JSON") from exc
        if not isinstance(data, dict):
            raise APIResponseError(f"expected a JSON object, got {type(data).__name__}")
        return _Answer(data)

    @staticmethod
    def _page(data: Mapping[str, Any], items: Sequence[T]) -> Page[T]:
        pagination = data.get("pagination") or {}
        return Page(items, bool(pagination.get("has_more")), pagination.get("next_offset", ""))

    def _identity(self) -> tuple[str, ...]:
        return tuple(str(getattr(self, k)) for k in ("repository_id", "id") if hasattr(self, k))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._identity() == self._identity()

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self._identity()))

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{k}={getattr(self, k)!r}" for k in ("repository_id", "id") if hasattr(self, k)
        )
        return f"{type(self).__name__}({fields})"


def ref_id(value: object) -> str:
    """The id of a reference given as a string or as a resource (Reference, Branch, Tag)."""
    if isinstance(value, str):
        return value
    ident = getattr(value, "id", None)
    if isinstance(value, Resource) and isinstance(ident, str):
        return ident
    raise ValidationError(f"expected a reference id or a Reference, not {value!r}")
