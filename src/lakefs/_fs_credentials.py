"""``LakeFSFileSystem(credentials=...)``: credentials each process resolves for itself.

fsspec keeps a filesystem's arguments (``storage_options``) to rebuild it elsewhere: pickled
into a Dask task graph, in ``to_json()`` and ``to_dict()``. A secret given as an argument (or
inside a ``client=``) travels with them. With ``credentials="environment"`` or
``credentials="lakectl"`` only that word travels, and each process that builds (or unpickles)
the filesystem reads the credentials from its own environment or lakectl file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from lakefs._client import Client
from lakefs._config import resolve_config
from lakefs._exceptions import NoAuthenticationFound, ValidationError

__all__ = ["CREDENTIALS_SOURCES", "client_from", "explicit_client"]

_CONFIG_FILE = "LAKECTL_CONFIG_FILE"
_HOST = "LAKECTL_SERVER_ENDPOINT_URL"

CREDENTIALS_SOURCES = {
    "environment": "the LAKECTL_* environment variables",
    "lakectl": "the lakectl config file ($LAKECTL_CONFIG_FILE, else ~/.lakectl.yaml)",
}
"""The sources ``credentials=`` names, and what each reads (in the process that uses it)."""


def client_from(credentials: object, options: Mapping[str, object]) -> Client:
    """A client whose credentials (and host, unless ``options`` give one) come from
    ``credentials``'s source only, read now, in this process.

    Args:
        credentials: ``"environment"`` or ``"lakectl"``.
        options: the other client options given (host, verify_ssl, ssl_ca_cert, proxy).

    Raises:
        ValidationError: an unknown source.
        NoAuthenticationFound: the source gives no host or no credentials.
    """
    if credentials == "environment":
        environ = {k: v for k, v in os.environ.items() if k != _CONFIG_FILE}
        home = Path(os.devnull)  # no ~/.lakectl.yaml
    elif credentials == "lakectl":
        environ = {k: v for k, v in os.environ.items() if k == _CONFIG_FILE}
        home = Path.home()
    else:
        known = ", ".join(repr(k) for k in CREDENTIALS_SOURCES)
        raise ValidationError(f"credentials must be one of {known}, not {credentials!r}")
    try:
        config = resolve_config(options, None, environ, home)
    except NoAuthenticationFound:
        raise NoAuthenticationFound(
            f"credentials={credentials!r}: {CREDENTIALS_SOURCES[credentials]} of this process "
            "give no lakeFS host or no credentials"
        ) from None
    return Client.from_config(config)


def explicit_client(options: Mapping[str, object]) -> Client:
    """The client of credentials given as arguments: never mixed with, completed or replaced
    by another source's (``lakefs.init()``, ``LAKECTL_*``, the lakectl file). Only the host
    may come from ``LAKECTL_SERVER_ENDPOINT_URL`` when none is given.

    Raises:
        ValidationError: a key without its secret (or a secret without its key).
        NoAuthenticationFound: no host given or in ``LAKECTL_SERVER_ENDPOINT_URL``.
    """
    given = {k: v for k, v in options.items() if v is not None}
    key, secret = given.get("access_key_id"), given.get("secret_access_key")
    if (key is None) != (secret is None):
        have, missing = (
            ("access_key_id (username)", "secret_access_key (password)")
            if key is not None
            else ("secret_access_key (password)", "access_key_id (username)")
        )
        raise ValidationError(
            f"{have} was given without {missing}: give both (given credentials are never "
            "completed from the environment or the lakectl file)"
        )
    environ = {k: v for k, v in os.environ.items() if k == _HOST}
    return Client.from_config(resolve_config(given, None, environ, Path(os.devnull)))
