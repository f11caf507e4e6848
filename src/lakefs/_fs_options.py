"""The options of ``lakefs://``: what :class:`~lakefs.fs.LakeFSFileSystem` accepts, lakefs-spec's
other names for them, the client they make, and the options of its reads and writes.

Nothing is silently dropped: a keyword the filesystem (or a read, or a write) cannot honour is
a :class:`~lakefs.ValidationError` naming it.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from fsspec.spec import _Cached

from lakefs._client import Client
from lakefs._exceptions import ValidationError
from lakefs._fs_cache import ListingCache
from lakefs._fs_credentials import client_from, explicit_client

__all__ = [
    "FSSPEC_OPTIONS",
    "READ_OPTIONS",
    "CachedPerClient",
    "Connection",
    "alias",
    "check_options",
    "check_types",
    "listing_cache",
    "make_client",
    "write_options",
]

FSSPEC_OPTIONS = frozenset(
    {
        "use_listings_cache",
        "max_paths",
        "skip_instance_cache",
        "asynchronous",
        "loop",
        "batch_size",
        "add_docs",
        "add_aliases",
    }
)
"""fsspec's own storage options a :class:`LakeFSFileSystem` accepts besides its keywords
(any other keyword is a :class:`~lakefs.ValidationError`, never silently dropped)."""

_OWN_OPTIONS = (
    "host",
    "access_key_id",
    "secret_access_key",
    "username",
    "password",
    "access_token",
    "credentials",
    "verify_ssl",
    "ssl_ca_cert",
    "proxy",
    "client",
    "pre_signed",
    "pre_sign",
    "max_workers",
    "part_workers",
    "block_size",
    "part_size",
    "listings_expiry_time",
    "create_branch_ok",
    "source_branch",
)
_CREDENTIAL_OPTIONS = ("access_key_id", "secret_access_key", "jwt_token")

# Read options fsspec's callers pass (fsspec.parquet, Dask): accepted; the reader reads
# ahead on its own (block_size), whatever cache it is asked for.
READ_OPTIONS = {"cache_type"}


class CachedPerClient(_Cached):  # type: ignore[misc]  # fsspec is untyped
    """fsspec's instance cache, told apart by the ``client=`` object (its repr is its host only).

    Without it two clients of one host with different keys would share one filesystem.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - a metaclass
        client = kwargs.get("client")
        if client is not None and kwargs.get("client_token") is None:
            kwargs["client_token"] = id(client)
        return super().__call__(*args, **kwargs)


class Connection(NamedTuple):
    """The connection options a filesystem was given (None: not given), as
    :class:`~lakefs.Client` names them."""

    host: str | None
    access_key_id: str | None
    secret_access_key: str | None
    jwt_token: str | None
    verify_ssl: bool | None
    ssl_ca_cert: str | os.PathLike[str] | None
    proxy: str | None


def check_options(storage_options: dict[str, Any], api_key: Any) -> None:
    """Refuse keywords the filesystem does not take (fsspec's own are taken)."""
    unknown = sorted(set(storage_options) - FSSPEC_OPTIONS)
    if unknown:
        raise ValidationError(
            f"LakeFSFileSystem got unknown keyword(s): {', '.join(unknown)} (its own are "
            f"{', '.join(_OWN_OPTIONS)}; fsspec's {', '.join(sorted(FSSPEC_OPTIONS))})"
        )
    if api_key is not None:
        raise ValidationError(
            "api_key= (lakefs-spec's lakefs_sdk cookie/OIDC/SAML api keys) is not "
            "supported: give access_key_id= and secret_access_key= (or username= and "
            "password=), or access_token= for a lakeFS token"
        )


def alias(name: str, value: Any, alias: str, alias_value: Any) -> Any:
    """``value``, or lakefs-spec's ``alias`` for it (both given and different: refused)."""
    if alias_value is None:
        return value
    if value is not None and value != alias_value:
        raise ValidationError(f"{alias}= is another name for {name}=: give one of them")
    return alias_value


def listing_cache(storage_options: dict[str, Any], expiry: float | None) -> ListingCache:
    """The listing cache fsspec's ``use_listings_cache`` and ``max_paths`` ask for."""
    return ListingCache(
        use_listings_cache=storage_options.get("use_listings_cache", True),
        listings_expiry_time=expiry,
        max_paths=storage_options.get("max_paths"),
    )


def check_types(client: object, workers: object, name: str = "max_workers") -> None:
    """Refuse a ``client`` that is not a :class:`~lakefs.Client` and ``workers`` (the option
    ``name``) that is not a positive int."""
    if client is not None and not isinstance(client, Client):
        raise ValidationError(f"client must be a lakefs.Client, not {type(client).__name__}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValidationError(f"{name} must be a positive int, not {workers!r}")


def make_client(
    client: Client | None, credentials: str | None, connection: Connection
) -> Client | None:
    """The client of the options given (None: the SDK's default client, resolved late)."""
    given = {k: v for k, v in connection._asdict().items() if v is not None}
    if client is not None and (given or credentials is not None):
        named = ", ".join([*given, *(["credentials"] if credentials is not None else [])])
        raise ValidationError(f"give either client= or connection options, not both ({named})")
    secrets = [k for k in _CREDENTIAL_OPTIONS if k in given]
    if credentials is not None:
        if secrets:
            raise ValidationError(f"give either credentials= or {' and '.join(secrets)}, not both")
        return client_from(credentials, given)
    if client is None and secrets:
        return explicit_client(given)
    if client is None and given:
        return Client(**given)
    return client


def write_options(call: str, kwargs: dict[str, Any]) -> tuple[str | None, dict[str, str] | None]:
    """``content_type`` and ``metadata`` of a write; any other option of fsspec's callers
    that a write cannot carry is refused by name (never silently dropped)."""
    allowed = {"content_type", "metadata", *(["precheck"] if call == "put_file" else [])}
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        takes = ", ".join(f"{k}=" for k in sorted(allowed))
        raise ValidationError(f"{call} takes {takes}, not {', '.join(unknown)}")
    return kwargs.get("content_type"), kwargs.get("metadata")
