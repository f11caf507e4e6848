"""``lakefs://`` for fsspec: :class:`LakeFSFileSystem`, built on this SDK.

Paths are ``REPOSITORY/REF/PATH``: REF is a branch, a tag, a commit id or an expression
(``main~1``, ``main@``); only branches are writable. The class is registered through the
``fsspec.specs`` entry point, so ``fsspec.open("lakefs://repo/main/a.csv")`` and
``pandas.read_csv("lakefs://repo/main/a.csv", storage_options={...})`` work without importing
anything. Credentials come from ``client=``, from ``host=`` / ``access_key_id=`` /
``secret_access_key=`` (also as pandas' ``storage_options``), from ``credentials=`` (a source
each process reads for itself: no secret in pickles and task graphs), or else from the SDK's
chain (``lakefs.init()``, ``LAKECTL_*``, ``~/.lakectl.yaml``).

The class is a thin adapter: each verb says what it does and where its errors are translated
(:mod:`lakefs._fs_errors`, the one point), and its body is in its part: the options and the
client they make (:mod:`lakefs._fs_options`, ``credentials=`` in :mod:`lakefs._fs_credentials`),
paths and what a reference is (:mod:`lakefs._fs_refs`), the listings and their cache
(:mod:`lakefs._fs_listings`, :mod:`lakefs._fs_cache`), ``open``/``cat_file``/``get``
(:mod:`lakefs._fs_reads`), ``pipe``/``put``/``cp``/``rm`` (:mod:`lakefs._fs_writes`), the
transfer runs of ``put``/``get`` (:mod:`lakefs._fs_transfers`), files and ranged reads
(:mod:`lakefs._fs_files`) and transactions (:mod:`lakefs._fs_transaction`).

Example:
    >>> import fsspec  # doctest: +SKIP
    >>> fs = fsspec.filesystem("lakefs", host="http://localhost:8000")  # doctest: +SKIP
    >>> fs.pipe_file("example/main/a.txt", b"hello")  # doctest: +SKIP
    >>> fs.cat_file("example/main/a.txt")  # doctest: +SKIP
    b'hello'
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO, Any

from fsspec.callbacks import DEFAULT_CALLBACK, Callback
from fsspec.spec import AbstractFileSystem

from lakefs import _fs_listings as listings
from lakefs import _fs_options as options
from lakefs import _fs_reads as reads
from lakefs import _fs_refs as refs
from lakefs import _fs_writes as writes
from lakefs._client import Client, default_client
from lakefs._fs_cache import DEFAULT_LISTINGS_EXPIRY_TIME
from lakefs._fs_errors import ReadOnlyReferenceError, UnsupportedModeError, translating
from lakefs._fs_files import FSReader, FSWriter, translated
from lakefs._fs_refs import References
from lakefs._fs_transaction import EphemeralBranchTransaction, LakeFSTransaction
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


class LakeFSFileSystem(AbstractFileSystem, metaclass=options.CachedPerClient):  # type: ignore[misc]
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

    # -- listings (lakefs._fs_listings) ------------------------------------------------------

    @translating("path")
    def ls(self, path: str, detail: bool = True, refresh: bool = False, **kwargs: Any) -> Any:
        """The entries directly under ``path`` (dicts with ``detail``, else names).

        The root lists the repositories; a repository lists its branches and its tags (each a
        path ``info``, ``ls`` and ``open`` accept, from two paged listings; a tag named like a
        branch once), not its commits; a ref or prefix lists its objects and prefixes. Walking
        or finding from a repository therefore goes through every branch and tag. A cached
        listing answers while it holds; ``refresh`` lists again (and asks again what a tag or
        expression resolves to). ``recursive=True`` (lakefs-spec's) lists everything below
        ``path``, objects and directories, from one flat listing (as ``find(withdirs=True)``).

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional; empty: the root).
            detail: return entry dicts (``name``, ``size``, ``type``, ...), else names.
            refresh: list again instead of answering from the cache.
            **kwargs: ``recursive=True`` lists everything below ``path``.

        Returns:
            The entries (dicts with ``detail``, else their names).

        Raises:
            FileNotFoundError: no such repository, ref, prefix or object.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        return listings.ls(self, path, detail, refresh, kwargs)

    @translating("path")
    def info(self, path: str, refresh: bool = False, **kwargs: Any) -> dict[str, Any]:
        """An object's (or a directory's) details: ``name``, ``size``, ``type``, ``mtime``,
        ``checksum``, ``content_type``, ``metadata``; asked of the server, except for a path
        at a commit whose listing is kept.

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).
            refresh: ask the server even for a path at a commit whose listing is kept.
            **kwargs: accepted and ignored (fsspec's callers pass their own).

        Returns:
            The entry dict (a directory's has ``name``, ``size`` 0 and ``type``).

        Raises:
            FileNotFoundError: no such repository, ref, object or prefix.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        path = self._strip_protocol(path)
        return listings.info(self, path, self._parse(path), refresh)

    def exists(self, path: str, **kwargs: Any) -> bool:
        """Whether ``path`` is an object or a directory (a ``PermissionError`` is raised).

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).
            **kwargs: passed to :meth:`info`.

        Returns:
            True if ``info`` finds it; False if it is missing or a name lakeFS cannot hold.

        Raises:
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        return listings.exists(self, path, kwargs)

    def isdir(self, path: str) -> bool:
        """Whether ``path`` is a directory (a prefix, a ref or a repository).

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).

        Returns:
            True for a directory; False for an object, a missing path or a name lakeFS cannot
            hold.

        Raises:
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        return listings.is_kind(self, path, "directory")

    def isfile(self, path: str) -> bool:
        """Whether ``path`` is an object.

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).

        Returns:
            True for an object; False for a directory, a missing path or a name lakeFS cannot
            hold.

        Raises:
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        return listings.is_kind(self, path, "file")

    @translating("path")
    def find(
        self,
        path: str,
        maxdepth: int | None = None,
        withdirs: bool = False,
        detail: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Every object under ``path`` (and directories, ``withdirs``), from one flat listing
        (asked every time: never from the cache, which it fills).

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional); above a ref, fsspec's walk.
            maxdepth: the deepest level below ``path`` to include (None: all).
            withdirs: include the directories too.
            detail: return ``{name: entry}``, else the sorted names.
            **kwargs: accepted and ignored.

        Returns:
            The names (or names to entries) found; an object ``path`` finds itself, a missing
            one nothing.

        Raises:
            ValueError: ``maxdepth`` is below 1.
            FileNotFoundError: no such repository or ref.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        return listings.find_path(self, path, maxdepth, withdirs, detail)

    def walk(
        self,
        path: str,
        maxdepth: int | None = None,
        topdown: bool = True,
        on_error: str | Callable[[BaseException], Any] = "omit",
        **kwargs: Any,
    ) -> Iterator[Any]:
        """``os.walk`` over ``path``, from one flat listing (``detail=True`` gives dicts).

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).
            maxdepth: the deepest level to descend to (None: all).
            topdown: yield a directory before its subdirectories (else after).
            on_error: for a missing path or a refused key, ``"omit"`` (yield nothing),
                ``"raise"``, or a callable given the error.
            **kwargs: ``detail=True`` gives ``{name: entry}`` dicts instead of name lists.

        Returns:
            An iterator of ``(directory, dirs, files)`` tuples, as ``os.walk``'s.

        Raises:
            FileNotFoundError: ``path`` is missing (``on_error="raise"`` only; when iterated).
            PermissionError: the key is refused (``on_error="raise"`` only; when iterated).
        """
        return listings.walk_path(self, path, maxdepth, topdown, on_error, kwargs)

    def invalidate_cache(self, path: str | None = None) -> None:
        """Forget cached listings: all of them (and what tags and expressions resolve to), or
        those of ``path``, its parents and below.

        Args:
            path: the path whose listings to forget (None: all of them).
        """
        if path is None:
            self.dircache.invalidate(None)
            self._refs.forget()
        else:
            path = self._strip_protocol(path)
            self.dircache.invalidate(path)
        super().invalidate_cache(path)

    def _listed(self) -> contextlib.AbstractContextManager[dict[str, dict[str, Any]]]:
        """Collect the entries this thread's listings answer meanwhile (an expansion's: the
        kinds ``get`` and ``copy`` act on, fresh, not from the cache)."""
        return self._seen.collecting()

    # -- reading (lakefs._fs_reads) ----------------------------------------------------------------

    @translating("path")
    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> FSReader | FSWriter:
        """A binary file: an :class:`~lakefs.ObjectReader` (``rb``; it pickles, and reopens
        the same version where it was) or an :class:`~lakefs.ObjectWriter` (``wb``, ``xb``;
        published when it closes; it does not pickle). A write takes ``content_type`` and
        ``metadata``, a read ``cache_type`` (accepted; the reader reads ahead on its own); any
        other option is a :class:`~lakefs.ValidationError` naming it."""
        return reads.open_file(self, self._strip_protocol(path), mode, block_size, kwargs)

    @translating(lambda self, path, *args, **kwargs: path)
    def _open_reader(
        self, path: str, block_size: int, version: tuple[str | None, int, int] | None
    ) -> FSReader:
        """``path`` opened for reading (``version``: again, as an unpickled file is)."""
        return reads.open_reader(self, path, block_size, version)

    @translating("path")
    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        """An object's bytes, or those from ``start`` to ``end`` (negative: from the end), in
        one ranged request whose answer says the size (a suffix range for a negative
        ``start``); an answer cut short is resumed, and a failure is a typed error.

        Args:
            path: the object's ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).
            start: the first byte (negative: from the end; None: 0).
            end: the byte after the last (negative: from the end; None: the end).
            **kwargs: accepted and ignored.

        Returns:
            The bytes, as ``data[start:end]`` slices them (empty past the end).

        Raises:
            FileNotFoundError: no such object, ref or repository.
            IsADirectoryError: ``path`` names a repository or a ref, not an object.
            PermissionError: the key is refused (401, 403).
            ObjectChangedError: the object changed while an answer cut short was resumed.
            LakeFSError: another failure of the request.
        """
        return reads.cat(self, path, start, end)

    @translating("rpath")
    def get_file(
        self,
        rpath: str,
        lpath: Any,
        callback: Callback = DEFAULT_CALLBACK,
        outfile: IO[bytes] | None = None,
        **kwargs: Any,
    ) -> None:
        """Stream an object to a local file, written under a temporary name and renamed when
        complete (a directory becomes a local directory), never through a symbolic link in
        its place; ``lpath`` (or ``outfile``) may be a binary file object. ``callback`` learns
        the size and then each chunk's bytes.

        Args:
            rpath: the object's ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).
            lpath: the local path, or a binary file object to write into.
            callback: an fsspec callback told the size and each chunk's bytes.
            outfile: a binary file object to write into (instead of ``lpath``).
            **kwargs: ``precheck=False`` downloads even when the local file holds the object
                already.

        Raises:
            FileNotFoundError: no such object, ref or repository.
            PermissionError: the key is refused (401, 403).
            ValidationError: the object's name or the local destination is refused (a
                symbolic link in its place).
            OSError: the local file cannot be written.
            LakeFSError: another failure of the requests.
        """
        reads.get_file(self, rpath, lpath, callback, outfile, kwargs)

    def get(
        self,
        rpath: Any,
        lpath: Any,
        recursive: bool = False,
        callback: Callback = DEFAULT_CALLBACK,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Download objects (``recursive``: prefixes) as fsspec names them, through the
        folder transfer engine: ``max_workers`` at a time, each file written as
        ``download_folder`` writes it (a name below the destination that would leave it, or a
        symbolic link on its way, is refused: that file fails with a
        :class:`~lakefs.ValidationError`), under a temporary name renamed when complete.
        ``callback`` counts files as they are done; each file's child callback its bytes. The
        first failure stops the rest and is raised as it is (``FileNotFoundError``,
        ``PermissionError``, ...); Ctrl-C stops the transfers in flight at their next chunk.

        Args:
            rpath: the remote path(s): a path, a glob or a list.
            lpath: the local destination (a directory for many files).
            recursive: download prefixes with everything under them.
            callback: an fsspec callback counting files; its children count bytes.
            maxdepth: the deepest level to descend to with ``recursive`` (None: all).
            **kwargs: ``precheck=False`` downloads even the local files that hold their object
                already; fsspec's expansion options.

        Raises:
            FileNotFoundError: a path names nothing.
            PermissionError: the key is refused (401, 403).
            ValidationError: a name would leave the destination or pass a symbolic link.
            OSError: a local file cannot be written.
            LakeFSError: another failure of the requests.
        """
        reads.get(self, rpath, lpath, recursive, callback, maxdepth, kwargs)

    # -- writing (lakefs._fs_writes) ---------------------------------------------------------------

    @translating("path")
    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Write ``value`` as the object at ``path`` (``mode="create"`` refuses an existing one),
        with ``content_type`` and user ``metadata`` if given (any other option is refused).

        Args:
            path: the object's ``REPOSITORY/BRANCH/PATH`` (``lakefs://`` optional).
            value: the bytes to write.
            mode: ``"overwrite"`` or ``"create"`` (refuse an existing object).
            **kwargs: ``content_type`` and ``metadata`` (a dict of strings).

        Raises:
            ValidationError: an unknown ``mode`` or option (before any request).
            FileExistsError: ``mode="create"`` and the object exists.
            FileNotFoundError: no such repository or branch (``create_branch_ok`` creates it).
            ReadOnlyReferenceError: the ref is a tag, a commit or an expression.
            IsADirectoryError: ``path`` names a repository or a ref, not an object.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.pipe(self, path, value, mode, kwargs)

    @translating("rpath")
    def put_file(
        self,
        lpath: str,
        rpath: str,
        callback: Callback = DEFAULT_CALLBACK,
        mode: str = "overwrite",
        **kwargs: Any,
    ) -> None:
        """Upload a local file, streamed (a local directory uploads nothing); ``mode="create"``
        refuses an existing object. ``content_type`` (else guessed from the name) and user
        ``metadata`` are stored with it. ``callback`` learns the size and then each chunk's
        bytes.

        Args:
            lpath: the local file.
            rpath: the object's ``REPOSITORY/BRANCH/PATH`` (``lakefs://`` optional).
            callback: an fsspec callback told the size and each chunk's bytes.
            mode: ``"overwrite"`` or ``"create"`` (refuse an existing object).
            **kwargs: ``content_type``, ``metadata`` and ``precheck`` (False: upload even
                an object that holds the file already).

        Raises:
            ValidationError: an unknown option (before any request).
            FileExistsError: ``mode="create"`` and the object exists.
            FileNotFoundError: no such local file, repository or branch.
            ReadOnlyReferenceError: the ref is a tag, a commit or an expression.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.put_file(self, lpath, rpath, callback, mode, kwargs)

    def put(
        self,
        lpath: Any,
        rpath: Any,
        recursive: bool = False,
        callback: Callback = DEFAULT_CALLBACK,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Upload files (``recursive``: directories) as fsspec names them, through the folder
        transfer engine: ``max_workers`` at a time, each object published only when sent
        whole. ``callback`` counts files as they are done; each file's child callback (from
        ``callback.branched``) its bytes. The first failure stops the rest and is raised as it
        is (``FileNotFoundError``, ``PermissionError``, ...); Ctrl-C stops the transfers in
        flight at their next chunk.

        Args:
            lpath: the local path(s): a path, a glob or a list.
            rpath: the remote destination (a prefix for many files).
            recursive: upload directories with everything under them.
            callback: an fsspec callback counting files; its children count bytes.
            maxdepth: the deepest level to descend to with ``recursive`` (None: all).
            **kwargs: ``content_type``, ``metadata`` and ``mode``, as :meth:`put_file` takes
                them; fsspec's expansion options.

        Raises:
            ValidationError: an unknown option.
            FileNotFoundError: a local path, the repository or the branch is missing.
            FileExistsError: ``mode="create"`` and an object exists.
            ReadOnlyReferenceError: the ref is a tag, a commit or an expression.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.put(self, lpath, rpath, recursive, callback, maxdepth, kwargs)

    def copy(self, path1: Any, path2: Any, recursive: bool = False, **kwargs: Any) -> None:
        """Copy objects as fsspec names them (``cp_file`` each); the directories among them
        are known from the expansion's own listing.

        Args:
            path1: the source path(s): a path, a glob or a list.
            path2: the destination path(s).
            recursive: copy prefixes with everything under them.
            **kwargs: fsspec's options (``maxdepth``, ``on_error``).

        Raises:
            FileNotFoundError: a source is missing (unless ``on_error="ignore"``).
            ReadOnlyReferenceError: the destination ref is a tag, a commit or an expression.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.copy(self, path1, path2, recursive, kwargs)

    @translating("path1")
    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy an object: on the server within a repository (across branches too), else
        streamed. A directory copies nothing (there are no empty directories). The copy keeps
        the source's content type and metadata: ``content_type=`` and ``metadata=`` are
        refused (write the object with them instead).

        Args:
            path1: the source object's ``REPOSITORY/REF/PATH``.
            path2: the destination's ``REPOSITORY/BRANCH/PATH``.
            **kwargs: accepted; ``content_type`` and ``metadata`` are refused.

        Raises:
            ValidationError: ``content_type`` or ``metadata`` given (before any request).
            FileNotFoundError: no such source object, ref or repository.
            ReadOnlyReferenceError: the destination ref is a tag, a commit or an expression.
            IsADirectoryError: ``path2`` names a repository or a ref, not an object.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.cp(self, path1, path2, kwargs)

    @translating("path")
    def rm_file(self, path: str) -> None:
        """Delete one object (as on S3, a missing object is no error; ``rm`` of a missing
        path raises ``FileNotFoundError``).

        Args:
            path: the object's ``REPOSITORY/BRANCH/PATH`` (``lakefs://`` optional).

        Raises:
            FileNotFoundError: no such repository or branch.
            ReadOnlyReferenceError: the ref is a tag, a commit or an expression.
            IsADirectoryError: ``path`` names a repository or a ref, not an object.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the request.
        """
        writes.rm_file(self, path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        """Delete objects: a path, a glob or a list; ``recursive`` removes everything under a
        prefix (compared as ``PREFIX/``), in requests of 1,000 paths. Every name the expansion
        gives is deleted as an object: a directory's name deletes nothing (an object of that
        name, if one appeared meanwhile), so no cached kind decides what is kept.

        Every ref written to is checked to be a branch before anything is removed: a path
        on a tag, a commit or an expression (a repository's root reaches its tags too) raises
        :class:`ReadOnlyReferenceError` and removes nothing.

        Args:
            path: a path, a glob or a list of them.
            recursive: remove everything under the prefixes named.
            maxdepth: the deepest level to descend to with ``recursive`` (None: all).

        Raises:
            FileNotFoundError: a path names nothing.
            ReadOnlyReferenceError: a ref is a tag, a commit or an expression.
            IsADirectoryError: a repository or a ref named without ``recursive``.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.rm(self, path, recursive, maxdepth)

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Nothing: directories exist while objects are under them.

        Args:
            path: ignored.
            create_parents: ignored.
            **kwargs: ignored.
        """

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Nothing: directories exist while objects are under them.

        Args:
            path: ignored.
            exist_ok: ignored (an existing directory is never an error).
        """

    def rmdir(self, path: str) -> None:
        """Nothing: a directory disappears with its last object.

        Args:
            path: ignored.
        """

    def touch(self, path: str, truncate: bool = True, **kwargs: Any) -> None:
        """Create an empty object (``truncate=False`` leaves an existing one as it is: one
        request that creates it only if it is missing, decided by the server).

        Args:
            path: the object's ``REPOSITORY/BRANCH/PATH`` (``lakefs://`` optional).
            truncate: replace an existing object with an empty one (False: leave it).
            **kwargs: ``content_type`` and ``metadata``, as :meth:`pipe_file` takes them.

        Raises:
            ValidationError: an unknown option (before any request).
            FileNotFoundError: no such repository or branch (``create_branch_ok`` creates it).
            ReadOnlyReferenceError: the ref is a tag, a commit or an expression.
            IsADirectoryError: ``path`` names a repository or a ref, not an object.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.touch(self, path, truncate, kwargs)

    # -- details -----------------------------------------------------------------------------------

    def modified(self, path: str) -> datetime:
        """When the object was last written (timezone-aware, UTC).

        Args:
            path: the object's ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).

        Returns:
            The object's modification time.

        Raises:
            FileNotFoundError: no such object, ref or repository.
            IsADirectoryError: ``path`` is a directory (it has no time).
            PermissionError: the key is refused (401, 403).
        """
        mtime: datetime = listings.file_detail(self, path, "mtime", "modification time")
        return mtime

    def ukey(self, path: str) -> str:
        """lakeFS's checksum of the object (changes whenever its content does).

        Args:
            path: the object's ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).

        Returns:
            The checksum (an ETag-like string).

        Raises:
            FileNotFoundError: no such object, ref or repository.
            IsADirectoryError: ``path`` is a directory (it has no checksum).
            PermissionError: the key is refused (401, 403).
        """
        return str(listings.file_detail(self, path, "checksum", "checksum"))

    def checksum(self, path: str) -> int:
        """lakeFS's checksum of the object, as an int (fsspec's convention).

        Args:
            path: the object's ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).

        Returns:
            An int derived from the checksum (a SHA-256 prefix of :meth:`ukey`).

        Raises:
            FileNotFoundError: no such object, ref or repository.
            IsADirectoryError: ``path`` is a directory (it has no checksum).
            PermissionError: the key is refused (401, 403).
        """
        return int(hashlib.sha256(self.ukey(path).encode()).hexdigest()[:32], 16)

    def created(self, path: str) -> datetime:
        """When the object was written (lakeFS keeps one time per object version).

        Args:
            path: the object's ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).

        Returns:
            The same time as :meth:`modified`.

        Raises:
            FileNotFoundError: no such object, ref or repository.
            IsADirectoryError: ``path`` is a directory (it has no time).
            PermissionError: the key is refused (401, 403).
        """
        return self.modified(path)
