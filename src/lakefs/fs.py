"""``lakefs://`` for fsspec: :class:`LakeFSFileSystem`, built on this SDK.

Paths are ``REPOSITORY/REF/PATH``: REF is a branch, a tag, a commit id or an expression
(``main~1``, ``main@``); only branches are writable. The class is registered through the
``fsspec.specs`` entry point, so ``fsspec.open("lakefs://repo/main/a.csv")`` and
``pandas.read_csv("lakefs://repo/main/a.csv", storage_options={...})`` work without importing
anything. Credentials come from ``client=``, from ``host=`` / ``access_key_id=`` /
``secret_access_key=`` (also as pandas' ``storage_options``), from ``credentials=`` (a source
each process reads for itself: no secret in pickles and task graphs), or else from the SDK's
chain (``lakefs.init()``, ``LAKECTL_*``, ``~/.lakectl.yaml``).

The class is a thin adapter, composed of its verbs: the listings and details
(:mod:`lakefs._fs_list_verbs`), the reads (:mod:`lakefs._fs_read_verbs`) and the writes
(:mod:`lakefs._fs_write_verbs`). Each verb says what it does and where its errors are
translated (:mod:`lakefs._fs_errors`, the one point), and its body is in its part: the options
and the client they make (:mod:`lakefs._fs_options`, ``credentials=`` in
:mod:`lakefs._fs_credentials`), paths and what a reference is (:mod:`lakefs._fs_refs`), the
listings and their cache (:mod:`lakefs._fs_listings`, :mod:`lakefs._fs_cache`),
``open``/``cat_file``/``get`` (:mod:`lakefs._fs_reads`), ``pipe``/``put``/``cp``/``rm``
(:mod:`lakefs._fs_writes`), the transfer runs of ``put``/``get`` (:mod:`lakefs._fs_transfers`),
files and ranged reads (:mod:`lakefs._fs_files`) and transactions (:mod:`lakefs._fs_transaction`).

Example:
    >>> import fsspec  # doctest: +SKIP
    >>> fs = fsspec.filesystem("lakefs", host="http://localhost:8000")  # doctest: +SKIP
    >>> fs.pipe_file("example/main/a.txt", b"hello")  # doctest: +SKIP
    >>> fs.cat_file("example/main/a.txt")  # doctest: +SKIP
    b'hello'
"""

from __future__ import annotations

import os
import threading
from typing import Any

from lakefs import _fs_listings as listings
from lakefs import _fs_options as options
from lakefs import _fs_refs as refs
from lakefs._client import Client, default_client
from lakefs._fs_cache import DEFAULT_LISTINGS_EXPIRY_TIME
from lakefs._fs_errors import ReadOnlyReferenceError, UnsupportedModeError, translated
from lakefs._fs_list_verbs import ListingVerbs
from lakefs._fs_read_verbs import ReadVerbs
from lakefs._fs_refs import References
from lakefs._fs_transaction import EphemeralBranchTransaction, LakeFSTransaction
from lakefs._fs_write_verbs import WriteVerbs
from lakefs.lib.folders import DEFAULT_FOLDER_WORKERS
from lakefs.lib.reader import DEFAULT_BLOCK_SIZE
from lakefs.lib.writer import DEFAULT_PART_SIZE

__all__ = [
    "EphemeralBranchTransaction",
    "LakeFSFileSystem",
    "LakeFSTransaction",
    "ReadOnlyReferenceError",
    "UnsupportedModeError",
]

FSSPEC_OPTIONS = options.FSSPEC_OPTIONS
"""fsspec's own storage options a :class:`LakeFSFileSystem` accepts besides its keywords
(any other keyword is a :class:`~lakefs.ValidationError`, never silently dropped)."""


class LakeFSFileSystem(ListingVerbs, ReadVerbs, WriteVerbs, metaclass=options.CachedPerClient):
    """An fsspec filesystem over lakeFS: ``lakefs://REPOSITORY/REF/PATH``.

    Args:
        host: the lakeFS endpoint (else from the SDK's credentials chain).
        access_key_id: the access key id.
        secret_access_key: the secret access key (kept in ``storage_options``, and so in a
            pickled filesystem and in Dask task graphs: see ``credentials``).
        credentials: ``"environment"`` (the ``LAKECTL_*`` variables) or ``"lakectl"`` (the
            lakectl config file): where each process that builds or unpickles this
            filesystem reads the credentials, itself; only the word travels.
        verify_ssl: verify the server's TLS certificate (default True).
        ssl_ca_cert: a PEM file of CAs to trust besides the system's (a private CA's).
        proxy: a forward proxy for every request (else ``HTTPS_PROXY``/``HTTP_PROXY``).
        client: a ready :class:`lakefs.Client` (instead of the options above; it pickles with
            its credentials).
        pre_signed: transfer straight to and from the object store (None: when the server can).
        max_workers: files transferred at once by a recursive ``put``/``get``.
        part_workers: parts of one upload sent at once (None: ``max_workers``, as before the
            two were told apart).
        block_size: the largest read request of a file opened for reading.
        part_size: the multipart part size of uploads.
        listings_expiry_time: seconds a branch's cached listing is kept (None: until
            invalidated); see :mod:`lakefs._fs_cache`.
        username: lakefs-spec's name of ``access_key_id``. Credentials given are never
            completed or replaced by another source's (only the host may come from
            ``LAKECTL_SERVER_ENDPOINT_URL``).
        password: lakefs-spec's name of ``secret_access_key``.
        access_token: a lakeFS token sent as ``Authorization: Bearer`` (``jwt_token``).
        api_key: lakefs-spec's lakefs_sdk API keys: refused (not supported).
        pre_sign: lakefs-spec's name of ``pre_signed``.
        create_branch_ok: a write of new bytes (``open`` for writing, ``pipe``, ``put``,
            ``touch``) to a branch that does not exist creates it from ``source_branch``
            (default False: a typo in a branch name fails instead of creating a branch).
        source_branch: where ``create_branch_ok`` creates branches from (default "main").
        client_token: set by the class itself: tells filesystems of different clients apart.
        **storage_options: fsspec's own options (``use_listings_cache``, ``max_paths``,
            ``skip_instance_cache``, ``asynchronous``, ``loop``, ...: :data:`FSSPEC_OPTIONS`);
            any other keyword is a :class:`~lakefs.ValidationError` naming it.

    Raises:
        ValidationError: an unknown keyword or ``api_key``; an option and its lakefs-spec
            alias given different values; ``client`` with connection options or
            ``credentials``; ``credentials`` with a key; a key without its secret; an unknown
            ``credentials`` source; a ``client`` that is not a :class:`lakefs.Client` or a
            ``max_workers`` that is not a positive int (no request is sent).
        NoAuthenticationFound: ``credentials`` (or a key given without a host) finds no host
            or no credentials.

    Names are returned without the protocol and without trailing slashes. Directories are the
    prefixes of object paths (there are no empty directories): ``mkdir`` and ``makedirs`` do
    nothing, a ref's and a repository's root always exist; a repository lists its branches and
    tags (commits and expressions are not listed, but are paths all the same). Recursive
    ``put``/``get`` run through the folder transfer engine of ``upload_folder`` and
    ``download_folder``, ``get`` by its containment rule.

    Listings (``ls``) are cached: a branch's for ``listings_expiry_time`` seconds (5 by
    default), a commit's (a commit id, or a tag or expression resolved to one) while the ref
    still resolves to it; every write through this filesystem invalidates what it changed, and
    ``refresh=True`` and :meth:`invalidate_cache` drop them. Nothing that moves or removes
    data takes a size, a range or an existence from the cache: ``info`` (``size``,
    ``exists``, ``isdir``, ...) of a branch's path asks the server; ``cat_file`` takes the
    size from its answer; ``get``, ``cp_file``, ``rm`` and ``touch`` ask the server or act
    idempotently. Safe to share between threads.

    Errors: a missing object, prefix, ref or repository raises ``FileNotFoundError``; a refused
    key (401, 403) ``PermissionError``; ``"xb"`` on an existing object ``FileExistsError``; a
    write to a tag, commit or expression :class:`ReadOnlyReferenceError` (a ``PermissionError``);
    other failures are :class:`~lakefs.LakeFSError` (a name ``get`` refuses:
    :class:`~lakefs.ValidationError`).
    """

    protocol = "lakefs"
    root_marker = ""

    def __init__(
        self,
        host: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        *,
        credentials: str | None = None,
        verify_ssl: bool | None = None,
        ssl_ca_cert: str | os.PathLike[str] | None = None,
        proxy: str | None = None,
        client: Client | None = None,
        pre_signed: bool | None = None,
        max_workers: int = DEFAULT_FOLDER_WORKERS,
        part_workers: int | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        part_size: int = DEFAULT_PART_SIZE,
        listings_expiry_time: float | None = DEFAULT_LISTINGS_EXPIRY_TIME,
        client_token: int | None = None,
        username: str | None = None,
        password: str | None = None,
        access_token: str | None = None,
        api_key: Any = None,
        pre_sign: bool | None = None,
        create_branch_ok: bool = False,
        source_branch: str = "main",
        **storage_options: Any,
    ) -> None:
        if self._cached:
            return
        options.check_options(storage_options, api_key)
        key = options.alias("access_key_id", access_key_id, "username", username)
        secret = options.alias("secret_access_key", secret_access_key, "password", password)
        pre_signed = options.alias("pre_signed", pre_signed, "pre_sign", pre_sign)
        super().__init__(**storage_options)
        self.dircache = options.listing_cache(storage_options, listings_expiry_time)
        options.check_types(client, max_workers)
        if part_workers is not None:
            options.check_types(None, part_workers, "part_workers")
        given = options.Connection(host, key, secret, access_token, verify_ssl, ssl_ca_cert, proxy)
        self._client = options.make_client(client, credentials, given)
        self.pre_signed = pre_signed
        self.create_branch_ok = bool(create_branch_ok)
        self.source_branch = source_branch
        self.max_workers = max_workers
        self.part_workers = max_workers if part_workers is None else part_workers
        self.block_size = block_size
        self.part_size = part_size
        self._refs = References(lambda: self.client, lambda: self.dircache.listings_expiry_time)
        self._local = threading.local()  # put's run, for the put_file calls fsspec makes
        self._seen = listings.Seen()  # what an expansion's listings answered

    # -- fsspec plumbing -------------------------------------------------------------------------

    transaction_type = LakeFSTransaction
    _transaction: LakeFSTransaction | None
    _intrans: bool

    @property
    def client(self) -> Client:
        """The client every request goes through (the SDK's default client when none given)."""
        return self._client if self._client is not None else default_client()

    @property
    def fsid(self) -> str:
        """An id of the server this filesystem talks to."""
        return f"lakefs_{self.client.config.host}"

    @property
    def transaction(self) -> LakeFSTransaction:
        """``with fs.transaction:`` or ``with fs.transaction("message"):`` (see
        :class:`LakeFSTransaction`)."""
        if self._transaction is None:
            self._transaction = LakeFSTransaction(self)
        return self._transaction

    _strip_protocol = staticmethod(refs.strip_protocol)  # fsspec's hook: lakefs://a/b/ -> a/b

    def unstrip_protocol(self, name: str) -> str:
        """``repo/ref/key`` -> ``lakefs://repo/ref/key``.

        Args:
            name: a path, with or without ``lakefs://``.

        Returns:
            The path with the ``lakefs://`` protocol.
        """
        return name if name.startswith("lakefs://") else f"lakefs://{name}"

    # The parts' access to the filesystem: paths, refs, branches, and what a write changed.
    _parse = staticmethod(refs.parse)
    _reference = refs.read_reference
    _branch = refs.write_branch
    _errors = staticmethod(translated)  # the rule, for the transfer engine's workers

    def _written(self, path: str) -> None:
        """Forget the listings a write to ``path`` made stale."""
        self.invalidate_cache(path)
