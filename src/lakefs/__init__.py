"""lakefs: a high-level, resource-based Python SDK for lakeFS.

Importing this package reads no file and opens no connection: the default client is created on
first use, from ``lakefs.init(...)`` or else the environment and ``~/.lakectl.yaml``.

Example:
    >>> import lakefs
    >>> lakefs.init(host="http://localhost:8000")  # doctest: +SKIP
"""

import contextlib as _contextlib

from lakefs import _exceptions
from lakefs._client import Client, RequestTimeout, default_client, init
from lakefs._config import AwsIamSettings, ClientConfig, Timeout
from lakefs._exceptions import *  # noqa: F403  (every error class: its __all__)
from lakefs._generated import Branch, Reference, Repository, Tag
from lakefs._logs import setup_logging as _setup_logging
from lakefs._objects import Change, CommonPrefix, ObjectInfo
from lakefs._pagination import Page, Paginator
from lakefs._server_configuration import ServerConfiguration, ServerStorageConfiguration
from lakefs._values import Commit, RepositoryProperties
from lakefs.lib import imports as _imports
from lakefs.lib.folders import TransferError, TransferResult
from lakefs.lib.imports import *  # noqa: F403  (the import API: its __all__)
from lakefs.lib.objects import DeleteObjectsError
from lakefs.lib.progress import ProgressEvent
from lakefs.lib.reader import ObjectReader
from lakefs.lib.repositories import list_repositories
from lakefs.lib.transactions import BranchTransaction, TransactionError
from lakefs.lib.writer import ObjectWriter


def repository(repository_id: str, client: Client | None = None) -> Repository:
    """The repository named ``repository_id`` (no request is sent).

    Args:
        repository_id: the repository's name.
        client: the client its requests go through; the default client when None.

    Returns:
        The Repository (it may not exist yet: ``create()`` creates it).

    Raises:
        ValidationError: ``repository_id`` is not a valid repository name, or ``client`` is
            not a lakefs.Client.

    Example:
        >>> repository = lakefs.repository(repo.id)
        >>> repository.exists()
        True
        >>> repository.properties().default_branch
        'main'
        >>> lakefs.repository("no-such-repository").exists()
        False
    """
    return Repository(repository_id, client=client)


__all__ = [
    "AwsIamSettings",
    "Branch",
    "BranchTransaction",
    "Change",
    "Client",
    "ClientConfig",
    "Commit",
    "CommonPrefix",
    "DeleteObjectsError",
    "ObjectInfo",
    "ObjectReader",
    "ObjectWriter",
    "Page",
    "Paginator",
    "ProgressEvent",
    "Reference",
    "Repository",
    "RepositoryProperties",
    "RequestTimeout",
    "ServerConfiguration",
    "ServerStorageConfiguration",
    "Tag",
    "Timeout",
    "TransactionError",
    "TransferError",
    "TransferResult",
    "default_client",
    "init",
    "list_repositories",
    "repository",
]
__all__ += _exceptions.__all__  # every error class
__all__ += _imports.__all__  # the import API

# Public names are documented and shown as lakefs.X, wherever they are implemented.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("lakefs._"):
        with _contextlib.suppress(AttributeError, TypeError):  # aliases: RequestTimeout
            _obj.__module__ = "lakefs"
del _name, _obj

# LAKEFS_LOG=debug|info switches on a (redacting) log handler; reads only the environment.
_setup_logging()
