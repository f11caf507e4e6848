"""What the server says about itself: version and storage capabilities, fetched once per client.

Their reprs show what the client has fetched already and never fetch it themselves: a repr is
read in debuggers, logs and tracebacks, where a request (which may hang until its timeout, or
fail) has no place. ``blockstore_type()`` or ``version()`` fetches it (once per client).
"""

from __future__ import annotations

from dataclasses import dataclass

from lakefs import _client as client_module
from lakefs import _wire as wire
from lakefs._client import Client, default_client
from lakefs._exceptions import APIResponseError, ValidationError
from lakefs._generated import operations as ops

__all__ = ["ServerConfiguration", "ServerStorageConfiguration", "resolve_pre_signed"]


@dataclass(frozen=True)
class _Storage:
    blockstore_type: str
    blockstore_namespace_example: str
    default_namespace_prefix: str | None
    pre_sign_support: bool
    pre_sign_multipart_upload: bool
    import_support: bool


@dataclass(frozen=True)
class _Snapshot:
    version: str
    storage: _Storage


class _Fetched:
    """Reads the server's configuration, fetched once per client (one request)."""

    def __init__(self, client: Client | None = None) -> None:
        if client is not None and not isinstance(client, Client):
            raise ValidationError(f"client must be a lakefs.Client, not {type(client).__name__}")
        self._client = client

    def _snapshot(self) -> _Snapshot:
        client = self._client or default_client()
        return client.cached("server-configuration", lambda: _fetch(client))

    def _storage(self) -> _Storage:
        return self._snapshot().storage

    def _fetched(self) -> _Snapshot | None:
        """The configuration if its client fetched it already (no request, no default client
        created, never an error)."""
        client = self._client if self._client is not None else client_module._default
        if client is None:
            return None
        try:
            known = client._cache.get("server-configuration")
        except Exception:  # a client half-built or unpickled oddly: nothing is known
            return None
        return known if isinstance(known, _Snapshot) else None

    def _known_fields(self, snapshot: _Snapshot) -> str:
        return ""

    def __repr__(self) -> str:
        """Its client, and what is known of the configuration (no request is sent).

        Returns:
            The class and its client, with the values fetched already, or "not fetched yet".
        """
        where = f"{type(self).__name__}(client={self._client!r}"
        snapshot = self._fetched()
        if snapshot is None:
            return where + ", not fetched yet)"
        return where + self._known_fields(snapshot) + ")"


class ServerStorageConfiguration(_Fetched):
    """The server's blockstore and what it supports (fetched on first use, once per client).

    Its repr shows the blockstore type and pre-sign support once the client has fetched them
    (``ServerStorageConfiguration(client=..., blockstore_type='s3', pre_sign_support=True)``),
    and says "not fetched yet" before: a repr sends no request. Each method fetches the
    configuration the first time one is called: a failure there is a ``LakeFSError``
    (``APIConnectionError``, ``UnauthorizedError``; ``NoAuthenticationFound`` without a client
    configured).

    Args:
        client: the client to ask; the default client when omitted.

    Raises:
        ValidationError: ``client`` is not a :class:`Client` (no request is sent).
    """

    def blockstore_type(self) -> str:
        """The blockstore's type: ``local``, ``s3``, ``gs``, ``azure``, ``mem`` ...

        Returns:
            The type's name.

        Raises:
            LakeFSError: fetching the configuration failed (see the class).
        """
        return self._storage().blockstore_type

    def blockstore_namespace_example(self) -> str:
        """An example storage namespace.

        Returns:
            An example, such as ``s3://example-bucket/``.

        Raises:
            LakeFSError: fetching the configuration failed (see the class).
        """
        return self._storage().blockstore_namespace_example

    def default_namespace_prefix(self) -> str | None:
        """The server's default namespace prefix, if any.

        Returns:
            The prefix, or None when the server has none.

        Raises:
            LakeFSError: fetching the configuration failed (see the class).
        """
        return self._storage().default_namespace_prefix

    def pre_sign_support(self) -> bool:
        """Whether the server hands out pre-signed URLs.

        Returns:
            True when its blockstore can pre-sign.

        Raises:
            LakeFSError: fetching the configuration failed (see the class).
        """
        return self._storage().pre_sign_support

    def pre_sign_multipart_upload(self) -> bool:
        """Whether the server supports pre-signed multipart uploads.

        Returns:
            True when it does.

        Raises:
            LakeFSError: fetching the configuration failed (see the class).
        """
        return self._storage().pre_sign_multipart_upload

    def import_support(self) -> bool:
        """Whether the server can import data from the object store.

        Returns:
            True when it can.

        Raises:
            LakeFSError: fetching the configuration failed (see the class).
        """
        return self._storage().import_support

    def _known_fields(self, snapshot: _Snapshot) -> str:
        storage = snapshot.storage
        return (
            f", blockstore_type={storage.blockstore_type!r}"
            f", pre_sign_support={storage.pre_sign_support!r}"
        )


class ServerConfiguration(ServerStorageConfiguration):
    """The server's version and storage configuration.

    Fetched with one request the first time it is needed, then cached on the client (each client
    has its own cache). Its repr shows the version, blockstore type and pre-sign support once
    fetched, and sends no request. A failure to fetch it is a ``LakeFSError``
    (``APIConnectionError``, ``UnauthorizedError``; ``NoAuthenticationFound`` without a client
    configured).

    It is a :class:`ServerStorageConfiguration` too: ``pre_sign_support()``,
    ``pre_sign_multipart_upload()``, ``import_support()`` and the blockstore's methods answer
    here as on ``storage_config()``.

    Args:
        client: the client to ask; the default client when omitted.

    Raises:
        ValidationError: ``client`` is not a :class:`Client` (no request is sent).

    Example:
        >>> lakefs.ServerConfiguration().storage_config().pre_sign_support()  # doctest: +SKIP
        True
    """

    def version(self) -> str:
        """The lakeFS version.

        Returns:
            The version, e.g. ``"1.86.0"`` (``"unknown"`` when the server does not say).

        Raises:
            LakeFSError: fetching the configuration failed (see the class).
        """
        return self._snapshot().version

    def storage_config(self) -> ServerStorageConfiguration:
        """The blockstore type and its capabilities (no request until one is read).

        Returns:
            The storage configuration, of the same client.

        Raises:
            LakeFSError: not here (no request is sent): reading one of its values fetches the
                configuration, and raises as that method says.
        """
        return ServerStorageConfiguration(self._client)

    def _known_fields(self, snapshot: _Snapshot) -> str:
        storage = snapshot.storage
        return (
            f", version={snapshot.version!r}, blockstore_type={storage.blockstore_type!r}"
            f", pre_sign_support={storage.pre_sign_support!r}"
        )


def _fetch(client: Client) -> _Snapshot:
    # Parsed from JSON (not lakefs_sdk's models): a field the server leaves out takes its
    # default, and a malformed answer is an APIResponseError, not a pydantic error.
    data = wire.send(client, ops.get_config)
    if data is not None and not isinstance(data, dict):
        raise APIResponseError("the server's configuration is not JSON")
    storage = data.get("storage_config") if isinstance(data, dict) else None
    version = data.get("version_config") if isinstance(data, dict) else None
    if not isinstance(storage, dict):
        raise APIResponseError("the server's configuration lacks its storage settings")
    version_text = version.get("version") if isinstance(version, dict) else None

    def text(key: str) -> str:
        value = storage.get(key)
        return value if isinstance(value, str) else ""

    return _Snapshot(
        version=version_text if isinstance(version_text, str) else "unknown",
        storage=_Storage(
            blockstore_type=text("blockstore_type"),
            blockstore_namespace_example=text("blockstore_namespace_example"),
            default_namespace_prefix=text("default_namespace_prefix") or None,
            pre_sign_support=storage.get("pre_sign_support") is True,
            pre_sign_multipart_upload=storage.get("pre_sign_multipart_upload") is True,
            import_support=storage.get("import_support") is True,
        ),
    )


def resolve_pre_signed(client: Client, requested: bool | None) -> bool:
    """Whether a transfer uses pre-signed URLs: the server decides unless ``requested`` says.

    Args:
        client: the client whose server decides.
        requested: the ``pre_signed=`` given (None: as the server can).

    Returns:
        Whether to use pre-signed URLs.

    Raises:
        ValidationError: ``requested`` is True and the server's blockstore cannot pre-sign.
    """
    if requested is not None and not isinstance(requested, bool):
        raise ValidationError(f"pre_signed must be None, True or False, not {requested!r}")
    if requested is False:
        return False
    storage = ServerStorageConfiguration(client)
    if requested and not storage.pre_sign_support():
        raise ValidationError(
            f"pre_signed=True, but this server's {storage.blockstore_type()} blockstore does not "
            "support pre-signed URLs: pass pre_signed=None (or False) to transfer through lakeFS"
        )
    return storage.pre_sign_support()
