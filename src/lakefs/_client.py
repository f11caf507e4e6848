"""``Client``, ``init()`` and the lazily created default client.

A :class:`Client` holds one resolved :class:`~lakefs._config.ClientConfig` and one
:class:`~lakefs._transport.Transport` (one connection pool, or the ``transport=`` given), shared by
every resource made from it.
Creating a client reads the environment and the lakectl file but never the network; a wrong key
fails on the first request with :class:`~lakefs.UnauthorizedError`.
"""

from __future__ import annotations

import inspect
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from lakefs._config import (
    OPTION_NAMES,
    AwsIamSettings,
    ClientConfig,
    Timeout,
    resolve_from_process,
)
from lakefs._exceptions import ValidationError
from lakefs._transport._protocol import HTTPTransport

if TYPE_CHECKING:
    from lakefs_sdk.api_client import ApiClient
    from lakefs_sdk.configuration import Configuration

    from lakefs._transport import Transport

__all__ = ["Client", "RequestTimeout", "default_client", "init"]

RequestTimeout = Timeout | float | tuple[float, float]
"""A per-call timeout: seconds for both phases, ``(connect, read)``, or a :class:`Timeout`."""

T = TypeVar("T")
P = ParamSpec("P")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


_UNSET: Any = _Unset()


class Client:
    """A connection to one lakeFS server with one set of credentials.

    Every argument is optional: what is not given comes, field by field, from ``lakefs.init()``,
    then the environment (``LAKECTL_SERVER_ENDPOINT_URL``, ``LAKECTL_CREDENTIALS_ACCESS_KEY_ID``,
    ``LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY``, ``LAKECTL_CREDENTIALS_SESSION_TOKEN``,
    ``LAKECTL_ACCESS_KEY_ID``, ``LAKECTL_ACCESS_SECRET_KEY``), then the lakectl config file
    (``$LAKECTL_CONFIG_FILE`` or ``~/.lakectl.yaml``), then an AWS IAM role.

    Args:
        host: the lakeFS endpoint, with or without ``/api/v1``.
        access_key_id: the access key id.
        secret_access_key: the secret access key.
        jwt_token: a lakeFS JWT, used instead of keys.
        session_token: a session token, used instead of keys.
        verify_ssl: verify the server's TLS certificate and host name (default True). False
            turns verification off for lakeFS and the object store alike (never in production).
        ssl_ca_cert: a PEM file of CA certificates to trust besides the system's (which
            honours ``SSL_CERT_FILE``/``SSL_CERT_DIR``, as lakectl does), for lakeFS and for the
            object store's pre-signed URLs: one bundle may hold a private lakeFS CA and an
            on-premises store's (MinIO) CA.
        proxy: a forward proxy for every request, lakeFS and pre-signed alike
            (``http://user:password@proxy:3128``; credentials percent-encoded, sent to the proxy
            only). Without it ``HTTPS_PROXY``/``HTTP_PROXY`` (then ``ALL_PROXY``) apply by the
            scheme of each URL, except for hosts ``NO_PROXY`` names, as with requests and curl.
        timeout: the default timeout of each call (seconds, ``(connect, read)`` or
            :class:`Timeout`; default 10 s to connect, 120 s for each read, and a call's whole
            time, retries included, bounded by ``Timeout.total``: by default connect + read).
        retries: how often a failed request is retried (default 5).
        max_connections: connections kept per host in the pool (default 32).
        aws_iam: authenticate through an AWS IAM role (lakeFS Enterprise/Cloud).
        api_client: a ready ``lakefs_sdk.ApiClient`` (a seam for tests and advanced uses): its
            host and credentials are taken as explicit arguments, and its REST client is
            replaced by this client's transport (pool, timeouts, retries, error mapping).
        transport: what sends each HTTP exchange, once, instead of this client's own connection
            pool (the offline seam, as httpx's ``MockTransport``): a
            :class:`~lakefs._transport.HTTPTransport`, i.e. an object with urllib3's
            ``urlopen(method, url, **kwargs)`` returning an unread ``urllib3.BaseHTTPResponse``,
            and ``clear()``. ``lakefs.testing.MockTransport(handler)`` answers with a function;
            a ``urllib3.PoolManager`` of your own is one too. Everything above it runs as for
            a real server: auth, timeouts, the retry loop, redirects, limits, error mapping.
            It is used as given in every process (fork-safety is its own), shared by
            :meth:`with_options` clients, and not pickled. ``verify_ssl``, ``ssl_ca_cert``,
            ``proxy`` and ``max_connections`` do not apply to it.
        retry_sleep: how the retry loop waits between two attempts, called with the seconds
            (default ``time.sleep``); tests pass ``lambda seconds: None`` to retry at once.
            Kept by :meth:`with_options`, not pickled.

    A client is safe to share between threads, survives ``fork()`` (each process opens its own
    connections) and pickles as its configuration, credentials included.

    Raises:
        NoAuthenticationFound: no server or credentials anywhere in the chain.
        ValidationError: a value is malformed.

    Example:
        >>> client = lakefs.Client(host="http://localhost:8000")  # doctest: +SKIP
        >>> repo = lakefs.repository("example", client=client)  # doctest: +SKIP

        Offline, every request answered by a function:

        >>> from lakefs.testing import MockResponse, MockTransport
        >>> def handler(request):
        ...     return MockResponse.json({"id": "main", "commit_id": "c1"})
        >>> client = lakefs.Client(
        ...     host="http://lakefs.mock", access_key_id="AKIA", secret_access_key="s",
        ...     transport=MockTransport(handler), retry_sleep=lambda seconds: None,
        ... )
        >>> lakefs.repository("repo", client=client).branch("main").head().id
        'c1'
    """

    def __init__(
        self,
        *,
        host: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        jwt_token: str | None = None,
        session_token: str | None = None,
        verify_ssl: bool | None = None,
        ssl_ca_cert: str | os.PathLike[str] | None = None,
        proxy: str | None = None,
        timeout: RequestTimeout | None = None,
        retries: int | None = None,
        max_connections: int | None = None,
        aws_iam: AwsIamSettings | None = None,
        api_client: ApiClient | None = None,
        transport: HTTPTransport | None = None,
        retry_sleep: Callable[[float], None] | None = None,
    ) -> None:
        explicit = _options(locals(), skip=None)
        if api_client is not None:
            explicit.update(_from_sdk_configuration(api_client.configuration))
        self._setup(
            resolve_from_process(explicit, _init_args), api_client, _Seams(transport, retry_sleep)
        )

    @classmethod
    def from_config(
        cls,
        config: ClientConfig,
        *,
        transport: HTTPTransport | None = None,
        retry_sleep: Callable[[float], None] | None = None,
    ) -> Client:
        """A client for an already resolved configuration (no environment or file is read).

        Args:
            config: the resolved configuration.
            transport: what sends each HTTP exchange, as for :class:`Client`.
            retry_sleep: how the retry loop waits, as for :class:`Client`.

        Returns:
            The new client.

        Raises:
            ValidationError: ``transport`` has no ``urlopen`` and ``clear``.
        """
        client = cls.__new__(cls)
        client._setup(config, None, _Seams(transport, retry_sleep))
        return client

    _transport: Transport

    def _setup(
        self,
        config: ClientConfig,
        api_client: ApiClient | None,
        seams: _Seams,
        parent: Client | None = None,
    ) -> None:
        from lakefs._transport._core import Transport  # urllib3 is imported with the first client

        self._config = config
        self._seams = seams
        self._transport = Transport(
            config,
            sleep=seams.sleep(),
            share_pool_with=parent._transport if parent is not None else None,
            wire=seams.checked_transport(),
        )
        if config.aws_iam is not None:
            from lakefs.lib.aws_iam import AwsIamTokenProvider

            self._transport.token = AwsIamTokenProvider(config.aws_iam, self._transport).token
        self._sdk = api_client
        self._sdk_ready = False
        if api_client is not None:
            self._sdk_over_transport(api_client)
        self._cache: dict[str, Any] = {}
        self._cache_lock = threading.Lock()
        self._cache_pid = os.getpid()

    @property
    def config(self) -> ClientConfig:
        """The resolved, immutable configuration (its repr hides secrets)."""
        return self._config

    @property
    def sdk(self) -> ApiClient:
        """A ``lakefs_sdk.ApiClient`` over this client's transport (its pool, credentials, TLS,
        proxy, timeouts, retries and errors), for the endpoints this SDK does not cover; built
        on first use (``import lakefs`` does not import ``lakefs_sdk``).

        Example:
            >>> import lakefs_sdk  # doctest: +SKIP
            >>> lakefs_sdk.AuthApi(lakefs.Client().sdk).get_current_user()  # doctest: +SKIP
        """
        if self._sdk is None or not self._sdk_ready:
            with self._cache_lock:
                if self._sdk is None:
                    from lakefs_sdk.api_client import ApiClient

                    self._sdk = ApiClient(_sdk_configuration(self._config.host))
                self._sdk_over_transport(self._sdk)
        return self._sdk

    def _sdk_over_transport(self, api_client: ApiClient) -> None:
        """Send ``api_client``'s calls through this client's transport."""
        from lakefs._transport._sdk import SDKRestClient

        # Date-times in queries (log's ``since``) go as RFC 3339 in UTC, which lakeFS accepts;
        # lakefs_sdk's default (``+0000`` offsets) it rejects.
        api_client.configuration.datetime_format = "%Y-%m-%dT%H:%M:%S.%fZ"
        api_client.rest_client = SDKRestClient(api_client.configuration, self._transport)
        self._sdk_ready = True

    @property
    def transport(self) -> Transport:
        """The transport: pool, timeouts, retries, and the raw streaming request path."""
        return self._transport

    def with_options(
        self,
        *,
        host: str = _UNSET,
        access_key_id: str | None = _UNSET,
        secret_access_key: str | None = _UNSET,
        jwt_token: str | None = _UNSET,
        session_token: str | None = _UNSET,
        verify_ssl: bool = _UNSET,
        ssl_ca_cert: str | os.PathLike[str] | None = _UNSET,
        proxy: str | None = _UNSET,
        timeout: RequestTimeout = _UNSET,
        retries: int = _UNSET,
        max_connections: int = _UNSET,
    ) -> Client:
        """A new client with some options changed (this one is left as it is).

        An option not given keeps this client's value; the connection pool is shared while
        the connection options are the same. See :class:`Client` for each option.

        Args:
            host: the lakeFS endpoint.
            access_key_id: the access key id.
            secret_access_key: the secret access key.
            jwt_token: a lakeFS JWT.
            session_token: a session token.
            verify_ssl: verify the server's TLS certificate and host name.
            ssl_ca_cert: a PEM file of CA certificates to trust besides the system's.
            proxy: a forward proxy for every request.
            timeout: the default timeout of each call.
            retries: how often a failed request is retried.
            max_connections: connections kept per host in the pool.

        Returns:
            The new client (``transport`` and ``retry_sleep`` carried over).

        Raises:
            ValidationError: a value is malformed (this client is left as it is).

        Example:
            >>> patient = client.with_options(timeout=600, retries=10)  # doctest: +SKIP
        """
        changes = _options(locals(), skip=_UNSET)
        client = Client.__new__(Client)
        # The pool is shared while the connection options are the same (as openai-python does).
        client._setup(self._config.with_options(**changes), None, self._seams, parent=self)
        return client

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """A value computed once per client (e.g. the server's configuration), thread-safely.

        Args:
            key: the value's name in this client's cache.
            compute: makes the value, called once (an exception caches nothing).

        Returns:
            The cached value.
        """
        if key in self._cache:
            return self._cache[key]  # type: ignore[no-any-return]
        if self._cache_pid != os.getpid():  # forked: the parent's lock may be held forever
            self._cache_lock, self._cache_pid = threading.Lock(), os.getpid()
        with self._cache_lock:
            if key not in self._cache:
                self._cache[key] = compute()
            return self._cache[key]  # type: ignore[no-any-return]

    def close(self) -> None:
        """Close the client's pooled connections."""
        self._transport.close()

    def __enter__(self) -> Client:
        """The client itself, closed when the ``with`` block ends."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the client's pooled connections."""
        self.close()

    def __repr__(self) -> str:
        return f"Client(host={self._config.host!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # A client pickles as its configuration, credentials included (a process pool's
        # workers need them): treat a pickled client as a secret. The unpickled client builds
        # its own connection pool on first use; a given ``api_client``, ``transport`` or
        # ``retry_sleep`` is not carried over.
        return (Client.from_config, (self._config,))


@dataclass(frozen=True)
class _Seams:
    """What a caller gave in place of the wire and of the retry loop's waits."""

    transport: HTTPTransport | None = None
    retry_sleep: Callable[[float], None] | None = None

    def sleep(self) -> Callable[[float], None]:
        return time.sleep if self.retry_sleep is None else self.retry_sleep

    def checked_transport(self) -> HTTPTransport | None:
        if self.transport is not None and not isinstance(self.transport, HTTPTransport):
            raise ValidationError(
                f"transport must have urlopen(method, url, **kwargs) and clear(), as "
                f"lakefs.testing.MockTransport or urllib3.PoolManager: got "
                f"{type(self.transport).__name__}"
            )
        return self.transport


def _sdk_configuration(host: str) -> Configuration:
    """A ``lakefs_sdk`` Configuration, without its side effects on the application's logging.

    Its constructor sets the ``lakefs_sdk`` and ``urllib3`` loggers to WARNING and
    ``http.client``'s debug level to 0: those are the application's to set, so they are put back.
    """
    import http.client
    import logging

    loggers = [logging.getLogger(name) for name in ("lakefs_sdk", "urllib3")]
    levels = [logger.level for logger in loggers]
    debuglevel = http.client.HTTPConnection.debuglevel
    from lakefs_sdk.configuration import Configuration

    try:
        return Configuration(host=host)
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        http.client.HTTPConnection.debuglevel = debuglevel


def _from_sdk_configuration(cfg: Configuration) -> dict[str, Any]:
    values: dict[str, Any] = {"host": cfg.host}
    if cfg.username and cfg.password:
        values["access_key_id"] = cfg.username
        values["secret_access_key"] = cfg.password
    if cfg.access_token:
        values["jwt_token"] = cfg.access_token
    # Its TLS and proxy settings too: the SDK client reached its server with them.
    if cfg.verify_ssl is False:
        values["verify_ssl"] = False
    if cfg.ssl_ca_cert:
        values["ssl_ca_cert"] = str(cfg.ssl_ca_cert)
    if cfg.proxy:
        values["proxy"] = str(cfg.proxy)
    return values


def _options(arguments: Mapping[str, Any], skip: object) -> dict[str, Any]:
    """The client options among a function's ``locals()``, less those left at ``skip``."""
    return {k: v for k, v in arguments.items() if k in OPTION_NAMES and v is not skip}


# -- the default client ---------------------------------------------------------------------------

_lock = threading.Lock()


def _new_lock_after_fork() -> None:
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_after_fork)

_init_args: Mapping[str, Any] | None = None
_default: Client | None = None


def _parameters_of(
    source: Callable[P, Client],
) -> Callable[[Callable[..., Client]], Callable[P, Client]]:
    """Give a function the parameters of ``source``, for type checkers and ``help()`` alike:
    the client's arguments are written once, in :class:`Client`."""

    def apply(func: Callable[..., Client]) -> Callable[P, Client]:
        signature = inspect.signature(source).replace(return_annotation="Client")
        func.__signature__ = signature  # type: ignore[attr-defined]
        return func

    return apply


@_parameters_of(Client)
def init(**arguments: Any) -> Client:
    """Configure the default client, used by every resource created without ``client=``.

    The arguments are those of :class:`Client`. Its options (all but ``api_client``,
    ``transport`` and ``retry_sleep``, which are the default client's only) also become the
    second link of the chain for every ``Client(...)`` created afterwards (after explicit
    arguments, before the environment). Without ``init()``, the default client is created on
    first use from the environment.

    Args:
        **arguments: :class:`Client`'s keywords: ``host``, ``access_key_id``,
            ``secret_access_key``, ``jwt_token``, ``session_token``, ``verify_ssl``,
            ``ssl_ca_cert``, ``proxy``, ``timeout``, ``retries``, ``max_connections``,
            ``aws_iam``, and the default client's own ``api_client``, ``transport`` and
            ``retry_sleep``.

    Returns:
        The new default client.

    Raises:
        ValidationError: a bad option (the previous configuration is kept).
        NoAuthenticationFound: neither the arguments nor the chain name a server and
            credentials.

    Example:
        >>> client = lakefs.init(retries=10)  # the rest from LAKECTL_* or ~/.lakectl.yaml
        >>> lakefs.default_client() is client
        True
        >>> lakefs.repository(repo.id).exists()  # resources use the default client
        True
    """
    global _init_args, _default
    given = _options(arguments, skip=None)
    own = {k: v for k, v in arguments.items() if k not in OPTION_NAMES}
    with _lock:
        previous = _init_args
        _init_args = given
        try:
            client = Client(**own)
        except BaseException:
            _init_args = previous
            raise
        _default = client
    return client


def default_client() -> Client:
    """The default client, created on first use (thread-safe).

    Returns:
        The client :func:`init` made, else one made from the environment and lakectl file.

    Raises:
        NoAuthenticationFound: nothing in the chain names a server and credentials.
    """
    global _default
    client = _default
    if client is not None:
        return client
    with _lock:
        if _default is None:
            _default = Client()
        return _default


def _reset_default_client() -> None:
    """Forget ``init()`` and the default client (for tests)."""
    global _init_args, _default
    with _lock:
        _init_args, _default = None, None
