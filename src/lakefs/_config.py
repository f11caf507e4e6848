"""The resolved client configuration, and the credentials chain that produces it.

Each field is taken from the highest source that has it:

1. explicit arguments (``lakefs.Client(host=...)``);
2. ``lakefs.init(...)``;
3. the environment: ``LAKECTL_SERVER_ENDPOINT_URL``, ``LAKECTL_CREDENTIALS_ACCESS_KEY_ID``,
   ``LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY``, ``LAKECTL_CREDENTIALS_SESSION_TOKEN`` (as lakectl
   reads them), and ``LAKECTL_ACCESS_KEY_ID`` / ``LAKECTL_ACCESS_SECRET_KEY``;
4. the lakectl config file: ``$LAKECTL_CONFIG_FILE``, else ``~/.lakectl.yaml``;
5. an AWS IAM role, when the lakectl file (or an argument) asks for one and nothing above gave
   credentials.

The access key and its secret travel as a pair: both come from the same source. Resolving reads
the environment and at most one file, never the network.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lakefs._exceptions import NoAuthenticationFound, ValidationError

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_TIMEOUT",
    "OPTION_NAMES",
    "AwsIamSettings",
    "ClientConfig",
    "Timeout",
    "normalize_host",
    "proxy_url",
    "resolve_config",
    "resolve_from_process",
]

_ENV_HOST = "LAKECTL_SERVER_ENDPOINT_URL"
_ENV_KEY_PAIRS = (
    ("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY"),
    ("LAKECTL_ACCESS_KEY_ID", "LAKECTL_ACCESS_SECRET_KEY"),
)
_ENV_SESSION_TOKEN = "LAKECTL_CREDENTIALS_SESSION_TOKEN"
_ENV_CONFIG_FILE = "LAKECTL_CONFIG_FILE"

OPTION_NAMES = (
    "host",
    "access_key_id",
    "secret_access_key",
    "jwt_token",
    "session_token",
    "verify_ssl",
    "ssl_ca_cert",
    "proxy",
    "timeout",
    "retries",
    "max_connections",
    "aws_iam",
)
_SECRETS = ("secret_access_key", "jwt_token", "session_token")


@dataclass(frozen=True)
class Timeout:
    """How long a request may take, in seconds.

    Attributes:
        connect: to open a connection.
        read: for each read of the answer (the longest silence tolerated).
        total: for the whole call, retries included, until its answer is complete (a server
            that drips bytes never keeps a call alive past it). None means ``connect + read``.
            Transfers whose body or answer is streamed (uploads from files or iterators, reads
            through ``open()``) are bounded by ``connect`` and ``read`` only, and ``total``
            covers the wait for their answer's headers.

    Raises:
        ValidationError: a value is not a positive, finite number.
    """

    connect: float = 10.0
    read: float = 120.0
    total: float | None = None

    def __post_init__(self) -> None:
        for name in ("connect", "read", "total"):
            value = getattr(self, name)
            if value is None and name == "total":
                continue
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or value <= 0:
                raise ValidationError(f"timeout {name} must be a positive number, not {value!r}")

    @property
    def deadline(self) -> float:
        """Seconds a whole call may take: ``total``, else ``connect + read``."""
        return self.total if self.total is not None else self.connect + self.read

    @classmethod
    def coerce(cls, value: Timeout | float | tuple[float, float]) -> Timeout:
        """A :class:`Timeout` from seconds (both phases), ``(connect, read)``, or a Timeout.

        Args:
            value: seconds, a ``(connect, read)`` tuple, or a Timeout.

        Returns:
            ``value`` itself if it is a Timeout, else a new one.

        Raises:
            ValidationError: ``value`` is of none of these shapes, or not positive.
        """
        if isinstance(value, Timeout):
            return value
        if isinstance(value, tuple) and len(value) == 2:
            return cls(value[0], value[1])
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(value, value)
        raise ValidationError(
            f"timeout must be seconds, a (connect, read) tuple or a Timeout, not {value!r}"
        )


DEFAULT_TIMEOUT = Timeout()
DEFAULT_MAX_CONNECTIONS = 32
"""Connections kept per host: enough for the SDK's own parallel transfers (8 workers) and an
application's thread pool; more threads than this still work, on extra connections."""


@dataclass(frozen=True)
class AwsIamSettings:
    """Authentication through an AWS IAM role (lakeFS Enterprise and Cloud).

    Attributes:
        token_ttl_seconds: the lifetime of the lakeFS token to ask for.
        url_presign_ttl_seconds: the lifetime of the pre-signed STS request.
        token_request_headers: extra headers to sign into the STS request.
    """

    token_ttl_seconds: int = 3600
    url_presign_ttl_seconds: int = 60
    token_request_headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        headers = MappingProxyType(dict(self.token_request_headers))
        object.__setattr__(self, "token_request_headers", headers)


def _mask(value: str | None) -> str | None:
    if value is None:
        return None
    return "****" + value[-4:] if len(value) > 8 else "****"


def _mask_url(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:****@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True, kw_only=True)
class ClientConfig:
    """A resolved, immutable client configuration; its repr never shows a secret.

    ``sources`` tells where each field came from (for debugging: ``config.sources``).

    Raises:
        ValidationError: a malformed value (host, timeout, retries, max_connections,
            verify_ssl, a credential that is not a str, a proxy URL, an ``ssl_ca_cert`` that
            is not a file).
    """

    host: str
    access_key_id: str | None = None
    secret_access_key: str | None = None
    jwt_token: str | None = None
    session_token: str | None = None
    verify_ssl: bool = True
    ssl_ca_cert: str | None = None
    proxy: str | None = None
    timeout: Timeout = DEFAULT_TIMEOUT
    retries: int = 5
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    aws_iam: AwsIamSettings | None = None
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "host", normalize_host(self.host))
        object.__setattr__(self, "timeout", Timeout.coerce(self.timeout))
        for name in ("retries", "max_connections"):
            value = getattr(self, name)
            minimum = 0 if name == "retries" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValidationError(f"{name} must be an int >= {minimum}, not {value!r}")
        if not isinstance(self.verify_ssl, bool):
            raise ValidationError(f"verify_ssl must be a bool, not {self.verify_ssl!r}")
        if isinstance(self.ssl_ca_cert, os.PathLike):
            object.__setattr__(self, "ssl_ca_cert", os.fspath(self.ssl_ca_cert))
        for name in ("access_key_id", *_SECRETS, "ssl_ca_cert", "proxy"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ValidationError(f"{name} must be a str, not {type(value).__name__}")
        if self.proxy is not None:
            object.__setattr__(self, "proxy", proxy_url(self.proxy, "proxy"))
        if self.ssl_ca_cert is not None and not os.path.isfile(self.ssl_ca_cert):
            raise ValidationError(
                f"ssl_ca_cert={self.ssl_ca_cert!r} is not a file: give the path of a PEM file "
                "holding the CA certificate(s) to trust"
            )

    def with_options(self, **changes: Any) -> ClientConfig:
        """A copy with ``changes`` applied (validated like the original).

        Args:
            **changes: new values of client options, by name (``host``, ``timeout``, ...).

        Returns:
            The new configuration (this one is left as it is).

        Raises:
            TypeError: an unknown option.
            ValidationError: a malformed value.
        """
        unknown = sorted(set(changes) - set(OPTION_NAMES))
        if unknown:
            raise TypeError(f"unknown client option(s): {', '.join(unknown)}")
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        shown = {
            "host": self.host,
            "access_key_id": self.access_key_id,
            **{name: _mask(getattr(self, name)) for name in _SECRETS},
            "verify_ssl": self.verify_ssl,
            "proxy": _mask_url(self.proxy),
            "timeout": self.timeout,
            "retries": self.retries,
            "max_connections": self.max_connections,
            "aws_iam": self.aws_iam,
        }
        return "ClientConfig(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    __str__ = __repr__


_PROXY_HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]+")  # a name, an IPv4 or IPv6 address


def proxy_url(url: str, what: str) -> str:
    """A forward proxy's URL, checked: ``http(s)://[user:password@]host[:port]``; a bare
    ``host:port`` means ``http://host:port`` (as curl and requests read ``HTTPS_PROXY``).

    Args:
        url: the value given.
        what: where it came from, for the error (``proxy``, ``HTTPS_PROXY``...).

    Raises:
        ValidationError: not such a URL; the message never shows its credentials.
    """
    text = url.strip()
    if text and "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        ok = parts.scheme in ("http", "https") and bool(_PROXY_HOST.fullmatch(host))
        ok = ok and (parts.port is None or parts.port > 0)
    except ValueError:  # a port out of range, a broken IPv6 address
        ok = False
    if not ok:
        shown = repr(url) if "@" not in url else "a URL with credentials that does not parse"
        raise ValidationError(
            f"{what} must be an http(s) proxy URL such as http://proxy:3128, not {shown}"
        )
    return text


def normalize_host(url: str) -> str:
    """The API base URL: scheme added if missing, ``/api/v1`` appended if missing.

    Raises:
        ValidationError: empty, or not http(s).
    """
    if not isinstance(url, str) or not url.strip():
        raise ValidationError(f"host must be a non-empty URL, not {url!r}")
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"host must be an http(s) URL, not {url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith("/api/v1"):
        path += "/api/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


# -- the chain ------------------------------------------------------------------------------------


@dataclass
class _Source:
    """One link of the chain: a name for messages and the values it offers."""

    name: str
    values: dict[str, Any]


def _env_source(environ: Mapping[str, str]) -> _Source:
    def get(key: str) -> str | None:
        return environ.get(key) or None

    values: dict[str, Any] = {}
    if get(_ENV_HOST):
        values["host"] = get(_ENV_HOST)
    for key_var, secret_var in _ENV_KEY_PAIRS:
        if get(key_var) or get(secret_var):
            values["access_key_id"] = get(key_var)
            values["secret_access_key"] = get(secret_var)
            values["_pair_from"] = f"environment variables {key_var} / {secret_var}"
            break
    if get(_ENV_SESSION_TOKEN):
        values["session_token"] = get(_ENV_SESSION_TOKEN)
    return _Source("environment", values)


def _file_source(environ: Mapping[str, str], home: Path) -> tuple[_Source | None, str]:
    """The lakectl file's values, and a phrase for the 'looked in' message."""
    named = environ.get(_ENV_CONFIG_FILE)
    path = Path(named).expanduser() if named else home / ".lakectl.yaml"
    if not path.is_file():
        if named:
            raise ValidationError(f"{_ENV_CONFIG_FILE} names {path}, which is not a file")
        return None, f"config file {path} (not found)"
    import yaml  # only when there is a file to read (import lakefs stays light)

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationError(f"cannot read lakectl config file {path}: not valid YAML") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError(f"lakectl config file {path} is not a mapping")
    creds = data.get("credentials") or {}
    server = data.get("server") or {}
    values: dict[str, Any] = {}
    if isinstance(server, dict) and server.get("endpoint_url"):
        values["host"] = str(server["endpoint_url"])
    if isinstance(creds, dict):
        if creds.get("access_key_id") or creds.get("secret_access_key"):
            values["access_key_id"] = creds.get("access_key_id") or None
            values["secret_access_key"] = creds.get("secret_access_key") or None
            values["_pair_from"] = f"config file {path}"
        if creds.get("session_token"):
            values["session_token"] = str(creds["session_token"])
        provider = creds.get("provider") or {}
        if isinstance(provider, dict) and provider.get("type") == "aws_iam":
            iam = provider.get("aws_iam") or {}
            values["aws_iam"] = AwsIamSettings(
                token_ttl_seconds=int(iam.get("token_ttl_seconds", 3600)),
                url_presign_ttl_seconds=int(iam.get("url_presign_ttl_seconds", 60)),
                token_request_headers=dict(iam.get("token_request_headers") or {}),
            )
    return _Source(f"config file {path}", values), f"config file {path}"


def _given(name: str, values: Mapping[str, object] | None) -> _Source:
    given = {k: v for k, v in (values or {}).items() if v is not None}
    unknown = sorted(set(given) - set(OPTION_NAMES))
    if unknown:
        raise TypeError(f"unknown client option(s): {', '.join(unknown)}")
    if "access_key_id" in given or "secret_access_key" in given:
        given.setdefault("access_key_id", None)
        given.setdefault("secret_access_key", None)
        given["_pair_from"] = name
    return _Source(name, given)


def resolve_config(
    explicit: Mapping[str, object],
    init_args: Mapping[str, object] | None,
    environ: Mapping[str, str],
    home: Path,
) -> ClientConfig:
    """Resolve a configuration through the chain (see the module docstring).

    Args:
        explicit: arguments given to ``Client(...)`` (None values count as not given).
        init_args: arguments given to ``lakefs.init(...)``; None if it was never called.
        environ: the environment.
        home: the home directory (for ``~/.lakectl.yaml``).

    Raises:
        NoAuthenticationFound: no server, or no credentials, anywhere; the message lists every
            place looked in.
        ValidationError: a malformed value or file, or a key without its secret.
        TypeError: an unknown option.
    """
    file_source, file_phrase = _file_source(environ, home)
    chain = [
        _given("arguments to lakefs.Client()", explicit),
        _given("lakefs.init()", init_args),
        _env_source(environ),
    ]
    if file_source is not None:
        chain.append(file_source)

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for source in chain:
        for key, value in source.values.items():
            if key.startswith("_") or key in values:
                continue
            if key in ("access_key_id", "secret_access_key"):
                continue  # taken as a pair below
            values[key], sources[key] = value, source.name
    pair = next((s for s in chain if "_pair_from" in s.values), None)
    if pair is not None:
        key, secret = pair.values["access_key_id"], pair.values["secret_access_key"]
        if not key or not secret:
            missing = "secret_access_key" if key else "access_key_id"
            raise ValidationError(
                f"{missing} is missing: {pair.values['_pair_from']} gave only the other one"
            )
        values["access_key_id"], values["secret_access_key"] = key, secret
        sources["access_key_id"] = sources["secret_access_key"] = pair.values["_pair_from"]

    has_credentials = bool(
        values.get("access_key_id") or values.get("jwt_token") or values.get("session_token")
    )
    if has_credentials:
        values.pop("aws_iam", None)
        sources.pop("aws_iam", None)
    if "host" not in values or not (has_credentials or values.get("aws_iam")):
        what = "lakeFS server endpoint" if "host" not in values else "lakeFS credentials"
        looked = [
            "arguments to lakefs.Client()",
            "lakefs.init()" + ("" if init_args is not None else " (not called)"),
            f"environment variables {_ENV_HOST}, "
            + ", ".join(v for pair_vars in _ENV_KEY_PAIRS for v in pair_vars)
            + f", {_ENV_SESSION_TOKEN}",
            file_phrase,
            "AWS IAM role (not configured: set credentials.provider.type: aws_iam in the "
            "lakectl config file)",
        ]
        raise NoAuthenticationFound(f"no {what} found. Looked in: " + "; ".join(looked))
    return ClientConfig(**values, sources=tuple(sorted(sources.items())))


def resolve_from_process(
    explicit: Mapping[str, object], init_args: Mapping[str, object] | None
) -> ClientConfig:
    """:func:`resolve_config` with this process's environment and home directory."""
    return resolve_config(explicit, init_args, os.environ, Path.home())
