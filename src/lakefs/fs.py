"""``lakefs://`` for fsspec: :class:`LakeFSFileSystem`, built on this SDK.

Paths are ``REPOSITORY/REF/PATH``: REF is a branch, a tag, a commit id or an expression
(``main~1``, ``main@``); only branches are writable. The class is registered through the
``fsspec.specs`` entry point, so ``fsspec.open("lakefs://repo/main/a.csv")`` and
``pandas.read_csv("lakefs://repo/main/a.csv", storage_options={...})`` work without importing
anything. Credentials come from ``client=``, from ``host=`` / ``access_key_id=`` /
``secret_access_key=`` (also as pandas' ``storage_options``), or else from the SDK's chain
(``lakefs.init()``, ``LAKECTL_*``, ``~/.lakectl.yaml``).

Example:
    >>> import fsspec  # doctest: +SKIP
    >>> fs = fsspec.filesystem("lakefs", host="http://localhost:8000")  # doctest: +SKIP
    >>> fs.pipe_file("example/main/a.txt", b"hello")  # doctest: +SKIP
    >>> fs.cat_file("example/main/a.txt")  # doctest: +SKIP
    b'hello'
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import mimetypes
import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NamedTuple

from fsspec.callbacks import DEFAULT_CALLBACK, Callback
from fsspec.spec import AbstractFileSystem, _Cached
from fsspec.transaction import Transaction
from fsspec.utils import isfilelike

from lakefs import _validation as validate
from lakefs._client import Client, default_client
from lakefs._exceptions import (
    APIResponseError,
    ForbiddenError,
    LakeFSError,
    NotFoundError,
    ObjectExistsError,
    RangeNotSatisfiableError,
    UnauthorizedError,
    ValidationError,
)
from lakefs._generated import operations as ops
from lakefs._generated.branch import Branch
from lakefs._generated.reference import Reference
from lakefs._generated.repository import Repository
from lakefs._objects import (
    CommonPrefix,
    ObjectInfo,
    checksum_of,
    content_type_of,
    metadata_of,
    mtime_of,
    size_of,
)
from lakefs._server_configuration import resolve_pre_signed
from lakefs._transport import json_object
from lakefs.lib.folders import DEFAULT_FOLDER_WORKERS, Transfer, run_transfers
from lakefs.lib.progress import ProgressEvent, Tracker
from lakefs.lib.reader import DEFAULT_BLOCK_SIZE, ObjectReader, fetch_to_file
from lakefs.lib.repositories import list_repositories
from lakefs.lib.transactions import BranchTransaction
from lakefs.lib.writer import DEFAULT_PART_SIZE, ObjectWriter, _make_target, send_file

__all__ = ["LakeFSFileSystem", "LakeFSTransaction", "ReadOnlyReferenceError"]

_STATS_FIELDS = (("path", str), ("checksum", str), ("mtime", int))  # what an entry needs


class ReadOnlyReferenceError(LakeFSError, PermissionError):
    """A write to a reference that is not a branch (a tag, a commit or an expression); a
    ``LakeFSError`` and a ``PermissionError``.

    Attributes:
        repository_id: the repository.
        reference_id: the reference that was written to.
    """

    def __init__(self, repository_id: str, reference_id: str) -> None:
        self.repository_id = repository_id
        self.reference_id = reference_id
        super().__init__(
            errno.EROFS,
            f"{reference_id!r} of repository {repository_id!r} is not a branch (a tag, a commit "
            "or an expression such as main~1): only branches are writable",
            f"lakefs://{repository_id}/{reference_id}",
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.repository_id, self.reference_id))


class _Path(NamedTuple):
    """A parsed ``REPOSITORY/REF/KEY`` path (missing parts are empty strings)."""

    repo: str
    ref: str
    key: str


class _Pending(NamedTuple):
    """A transfer ``put``/``get`` collected to run through the folder transfer engine."""

    source: Any
    target: Any
    callback: Callback
    kwargs: dict[str, Any]


class _Held(Callback):  # type: ignore[misc]  # fsspec is untyped
    """A file's child callback, kept open until the file's transfer ends (fsspec's ``put``
    and ``get`` close it as soon as ``put_file``/``get_file`` return, which only queue it)."""

    def __init__(self, child: Callback) -> None:
        super().__init__()
        self.child = child
        self.released = False

    def __exit__(self, *exc: object) -> None:
        """Nothing: closed when the transfer ends."""

    def release(self) -> None:
        """The transfer ended: close the child (once)."""
        if not self.released:
            self.released = True
            self.child.close()


def _child(callback: Callback) -> Callback:
    """The callback a file's bytes are counted on."""
    return callback.child if isinstance(callback, _Held) else callback


def _release(callback: Callback) -> None:
    """Close a held child callback (a caller's own callback is the caller's to close)."""
    if isinstance(callback, _Held):
        callback.release()


class _Deferred(Callback):  # type: ignore[misc]  # fsspec is untyped
    """The callback ``put``/``get`` hand fsspec's expansion in place of the caller's: the
    caller's callback learns the file count at once, then one update per file as each
    transfer ends (not as it is queued); each file's child callback stays open until then."""

    def __init__(self, outer: Callback) -> None:
        super().__init__()
        self.outer = outer

    def set_size(self, size: int) -> None:
        """The number of files."""
        self.outer.set_size(size)

    def wrap(self, iterable: Any) -> Any:
        """The files, counted when their transfers end instead."""
        yield from iterable

    def branched(self, path_1: str, path_2: str, **kwargs: Any) -> Callback:
        """The caller's child callback for one file, held open."""
        return _Held(self.outer.branched(path_1, path_2, **kwargs))


class _FSWriter(ObjectWriter):
    """An ObjectWriter that drops the filesystem's listings of its path once it is published."""

    _on_close: Callable[[], None] | None = None

    def close(self) -> None:
        was_closed = self.closed
        try:
            super().close()
        finally:
            if not was_closed and self._on_close is not None:
                self._on_close()


class LakeFSTransaction(Transaction):  # type: ignore[misc]  # fsspec is untyped
    """``fs.transaction``: writes land on ephemeral branches, merged when the block succeeds.

    The first write to a branch inside the transaction starts an SDK
    :class:`~lakefs.BranchTransaction` on it; every later read and write of that branch's paths
    through this filesystem goes to the ephemeral branch. On success each ephemeral branch is
    committed with ``message`` and merged into its branch; after an exception nothing is merged,
    the ephemeral branches are kept for inspection and a :class:`~lakefs.TransactionError` names
    them (chained from the exception).

    Example:
        >>> with fs.transaction("add partition 7"):  # doctest: +SKIP
        ...     fs.pipe_file("repo/main/data/part-7.parquet", data)
    """

    def __init__(
        self,
        fs: LakeFSFileSystem,
        message: str = "fsspec transaction",
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(fs)
        self.message = message
        self.metadata = metadata
        self.transactions: dict[tuple[str, str], BranchTransaction] = {}
        self.txn_id: Callable[[], str] | None = None

    def __call__(
        self,
        message: str | None = None,
        metadata: dict[str, str] | None = None,
        *,
        txn_id: Callable[[], str] | None = None,
    ) -> LakeFSTransaction:
        """Set the commit message (and metadata): ``with fs.transaction("message"):``.

        Args:
            message: the commit message of each branch's transaction.
            metadata: the commits' metadata.
            txn_id: makes the ephemeral branches' suffix (default: random).
        """
        if message is not None:
            self.message = message
        if metadata is not None:
            self.metadata = metadata
        if txn_id is not None:
            self.txn_id = txn_id
        return self

    @property
    def _fs(self) -> LakeFSFileSystem | None:
        fs: LakeFSFileSystem | None = self.fs
        return fs

    @property
    def branches(self) -> dict[tuple[str, str], Branch]:
        """The ephemeral branch of each ``(repository, branch)`` written so far."""
        return {key: tx.branch for key, tx in self.transactions.items()}

    def branch_for(self, repository_id: str, branch_id: str) -> Branch:
        """The ephemeral branch that writes to ``branch_id`` go to (started on first use)."""
        key = (repository_id, branch_id)
        if key not in self.transactions:
            fs = self._fs
            assert fs is not None, "the transaction has ended"
            source = fs._check_branch(repository_id, branch_id)
            tx = source.transaction(self.message, metadata=self.metadata, txn_id=self.txn_id)
            with fs._errors(f"{repository_id}/{branch_id}"):
                tx.__enter__()
            self.transactions[key] = tx
        return self.transactions[key].branch

    def start(self) -> None:
        """Begin: no branch is created until something is written."""
        super().start()
        self.transactions = {}

    def complete(self, commit: bool = True) -> None:
        """Merge every ephemeral branch (``commit``), or keep them all and merge nothing."""
        self._finish(None if commit else RuntimeError("the transaction was discarded"))

    def _finish(self, error: BaseException | None) -> None:
        fs: LakeFSFileSystem | None = self._fs
        first: BaseException | None = None
        try:
            for (repo, branch), tx in self.transactions.items():
                try:
                    if error is None:
                        tx.__exit__(None, None, None)
                    else:
                        tx.__exit__(type(error), error, error.__traceback__)
                except BaseException as exc:
                    first = first or exc
                finally:
                    if fs is not None:
                        fs.invalidate_cache(f"{repo}/{branch}")
            self.files.clear()
        finally:
            self.transactions = {}
            if fs is not None:
                fs._intrans = False
                fs._transaction = None
            self.fs = None
        if first is not None:
            raise first

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish(exc)


class _CachedPerClient(_Cached):  # type: ignore[misc]  # fsspec is untyped
    """fsspec's instance cache, told apart by the ``client=`` object (its repr is its host only).

    Without it two clients of one host with different keys would share one filesystem.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - a metaclass
        client = kwargs.get("client")
        if client is not None and kwargs.get("client_token") is None:
            kwargs["client_token"] = id(client)
        return super().__call__(*args, **kwargs)


class LakeFSFileSystem(AbstractFileSystem, metaclass=_CachedPerClient):  # type: ignore[misc]
    """An fsspec filesystem over lakeFS: ``lakefs://REPOSITORY/REF/PATH``.

    Args:
        host: the lakeFS endpoint (else from the SDK's credentials chain).
        access_key_id: the access key id.
        secret_access_key: the secret access key.
        verify_ssl: verify the server's TLS certificate (default True).
        ssl_ca_cert: a PEM file of CAs to trust besides the system's (a private CA's).
        proxy: a forward proxy for every request (else ``HTTPS_PROXY``/``HTTP_PROXY``).
        client: a ready :class:`lakefs.Client` (instead of the options above).
        pre_signed: transfer straight to and from the object store (None: when the server can).
        max_workers: transfers at once in recursive ``put``/``get`` and multipart uploads.
        block_size: the largest read request of a file opened for reading.
        part_size: the multipart part size of uploads.
        client_token: set by the class itself: tells filesystems of different clients apart.
        **storage_options: fsspec's own options (``use_listings_cache``,
            ``listings_expiry_time``, ``skip_instance_cache``, ...).

    Names are returned without the protocol and without trailing slashes. Directories are the
    prefixes of object paths (there are no empty directories): ``mkdir`` and ``makedirs`` do
    nothing, a ref's and a repository's root always exist; a repository lists its branches and
    tags (commits and expressions are not listed, but are paths all the same). Recursive
    ``put``/``get`` run through the folder transfer engine of ``upload_folder`` and
    ``download_folder``. Listings are cached per path (repository, ref and prefix) and every
    write through this filesystem invalidates them; ``refresh=True`` and
    :meth:`invalidate_cache` drop them.

    Errors: a missing object, prefix, ref or repository raises ``FileNotFoundError``; a refused
    key (401, 403) ``PermissionError``; ``"xb"`` on an existing object ``FileExistsError``; a
    write to a tag, commit or expression :class:`ReadOnlyReferenceError` (a ``PermissionError``).
    """

    protocol = "lakefs"
    root_marker = ""

    def __init__(
        self,
        host: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        *,
        verify_ssl: bool | None = None,
        ssl_ca_cert: str | None = None,
        proxy: str | None = None,
        client: Client | None = None,
        pre_signed: bool | None = None,
        max_workers: int = DEFAULT_FOLDER_WORKERS,
        block_size: int = DEFAULT_BLOCK_SIZE,
        part_size: int = DEFAULT_PART_SIZE,
        client_token: int | None = None,
        **storage_options: Any,
    ) -> None:
        if self._cached:
            return
        super().__init__(**storage_options)
        if client is not None and not isinstance(client, Client):
            raise ValidationError(f"client must be a lakefs.Client, not {type(client).__name__}")
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise ValidationError(f"max_workers must be a positive int, not {max_workers!r}")
        options: dict[str, Any] = {
            "host": host,
            "access_key_id": access_key_id,
            "secret_access_key": secret_access_key,
            "verify_ssl": verify_ssl,
            "ssl_ca_cert": ssl_ca_cert,
            "proxy": proxy,
        }
        given = {k: v for k, v in options.items() if v is not None}
        if client is not None and given:
            raise ValidationError(
                f"give either client= or connection options, not both ({', '.join(given)})"
            )
        if client is None and given:
            client = Client(**given)
        self._client = client
        self.pre_signed = pre_signed
        self.max_workers = max_workers
        self.block_size = block_size
        self.part_size = part_size
        self._branches_checked: set[tuple[str, str]] = set()
        self._local = threading.local()

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

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        """``lakefs://repo/ref/key/`` -> ``repo/ref/key`` (lists element-wise)."""
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        text = os.fspath(path) if isinstance(path, os.PathLike) else str(path)
        if text.startswith("lakefs://"):
            text = text[len("lakefs://") :]
        elif text.startswith("lakefs::"):
            text = text[len("lakefs::") :]
        return text.strip("/")

    def unstrip_protocol(self, name: str) -> str:
        """``repo/ref/key`` -> ``lakefs://repo/ref/key``."""
        return name if name.startswith("lakefs://") else f"lakefs://{name}"

    @staticmethod
    def _parse(path: str) -> _Path:
        """Split ``REPOSITORY/REF/KEY``; an empty repository or reference before a later part
        (``repo//main/x``) names nothing, so it is refused before any request."""
        parts = LakeFSFileSystem._strip_protocol(path).split("/", 2)
        parts += [""] * (3 - len(parts))
        repo, ref, key = parts
        if (not repo and (ref or key)) or (not ref and key):
            raise FileNotFoundError(
                errno.ENOENT, "an empty repository or reference in a lakefs:// path", path
            )
        return _Path(repo, ref, key)

    @contextlib.contextmanager
    def _errors(self, path: str) -> Iterator[None]:
        """Map the SDK's errors to the OSError subclasses Python code expects."""
        try:
            yield
        except ObjectExistsError as exc:
            raise FileExistsError(errno.EEXIST, str(exc), path) from exc
        except NotFoundError as exc:
            raise FileNotFoundError(errno.ENOENT, str(exc), path) from exc
        except (UnauthorizedError, ForbiddenError) as exc:
            raise PermissionError(errno.EACCES, str(exc), path) from exc

    def _reference(self, p: _Path) -> Reference:
        """The reference reads of ``p`` go to (a transaction's ephemeral branch if it has one)."""
        tx = self._transaction if self._intrans else None
        if tx is not None and (p.repo, p.ref) in tx.transactions:
            return tx.transactions[(p.repo, p.ref)].branch
        return Reference(p.repo, p.ref, client=self.client)

    def _check_branch(self, repository_id: str, branch_id: str) -> Branch:
        """``branch_id`` as a Branch, after checking once that it is one (nothing is created)."""
        name = f"{repository_id}/{branch_id}"
        try:
            branch = Branch(repository_id, branch_id, client=self.client)
        except ValidationError:
            raise ReadOnlyReferenceError(repository_id, branch_id) from None
        if (repository_id, branch_id) in self._branches_checked:
            return branch
        try:
            with self._errors(name):
                branch.head()
        except FileNotFoundError:
            with self._errors(name):  # a tag or a commit, or nothing at all (FileNotFoundError)
                list(Reference(repository_id, branch_id, client=self.client).list_objects(1))
            raise ReadOnlyReferenceError(repository_id, branch_id) from None
        self._branches_checked.add((repository_id, branch_id))
        return branch

    def _branch(self, p: _Path) -> Branch:
        """The branch a write to ``p`` goes to (a transaction's ephemeral branch inside one)."""
        if not p.repo or not p.ref or not p.key:
            raise IsADirectoryError(
                errno.EISDIR, "a repository, a ref or a path is needed", "/".join(p)
            )
        tx = self._transaction if self._intrans else None
        if tx is not None:
            return tx.branch_for(p.repo, p.ref)
        return self._check_branch(p.repo, p.ref)

    def _written(self, path: str) -> None:
        """Forget the listings a write to ``path`` made stale."""
        self.invalidate_cache(path)

    # -- listings --------------------------------------------------------------------------------

    @staticmethod
    def _file_entry(name: str, obj: ObjectInfo) -> dict[str, Any]:
        # From the object's stats in one look (a listing builds 1,000s of these), not one
        # accessor call per field.
        stats = obj._stat()
        return {
            "name": name,
            "size": size_of(stats),
            "type": "file",
            "mtime": mtime_of(stats),
            "checksum": checksum_of(stats),
            "content_type": content_type_of(stats),
            "metadata": metadata_of(stats),
        }

    @staticmethod
    def _dir_entry(name: str) -> dict[str, Any]:
        return {"name": name, "size": 0, "type": "directory"}

    def ls(self, path: str, detail: bool = True, refresh: bool = False, **kwargs: Any) -> Any:
        """The entries directly under ``path`` (dicts with ``detail``, else names).

        The root lists the repositories; a repository lists its branches and its tags (each a
        path ``info``, ``ls`` and ``open`` accept, from two paged listings; a tag named like a
        branch once), not its commits; a ref or prefix lists its objects and prefixes. Walking
        or finding from a repository therefore goes through every branch and tag.
        """
        path = self._strip_protocol(path)
        entries = None if refresh else self._ls_from_cache(path)
        if entries is None:
            entries = self._ls(path)
        return entries if detail else [e["name"] for e in entries]

    def _ls(self, path: str) -> list[dict[str, Any]]:
        p = self._parse(path)
        with self._errors(path):
            if not p.repo:
                entries = [self._dir_entry(r.id) for r in list_repositories(client=self.client)]
            elif not p.ref:
                repo = Repository(p.repo, client=self.client)
                refs = {b.id for b in repo.list_branches()}
                refs.update(t.id for t in repo.list_tags())
                entries = [self._dir_entry(f"{p.repo}/{ref}") for ref in sorted(refs)]
            else:
                ref = self._reference(p)
                base = f"{p.repo}/{p.ref}"
                entries = []
                for item in ref.list_objects(prefix=f"{p.key}/" if p.key else "", delimiter="/"):
                    name = f"{base}/{item.path.rstrip('/')}"
                    if isinstance(item, CommonPrefix):
                        entries.append(self._dir_entry(name))
                    elif item.path.endswith("/"):
                        continue  # a "directory marker" object: the directory is listed already
                    else:
                        entries.append(self._file_entry(name, item))
                if not entries and p.key:
                    return [self.info(path)]  # a file (a missing path raises here)
        self.dircache[path] = entries
        return entries

    def _ls_from_cache(self, path: str) -> list[dict[str, Any]] | None:
        """``path``'s cached listing; for an object, its entry in its parent's listing; None
        when it must be listed (fsspec's own version answers a directory known from its
        parent's listing with that one entry, not with its content). Refs are not denied from
        a repository's listing: commits and expressions are refs it does not hold."""
        path = path.rstrip("/")
        if path in self.dircache:
            listing: list[dict[str, Any]] = self.dircache[path]
            return listing
        parent = self._parent(path)
        siblings = self.dircache.get(parent) if parent.count("/") >= 1 else None
        if siblings is None:
            return None
        for entry in siblings:
            if entry["name"] == path:
                return [entry] if entry["type"] == "file" else None
        raise FileNotFoundError(errno.ENOENT, "no such object or prefix (cached listing)", path)

    def info(self, path: str, refresh: bool = False, **kwargs: Any) -> dict[str, Any]:
        """An object's (or a directory's) details: ``name``, ``size``, ``type``, ``mtime``,
        ``checksum``, ``content_type``, ``metadata``."""
        path = self._strip_protocol(path)
        p = self._parse(path)
        with self._errors(path):
            if not p.repo:
                return self._dir_entry("")
            if not p.ref:
                if not Repository(p.repo, client=self.client).exists():
                    raise FileNotFoundError(errno.ENOENT, "no such repository", path)
                return self._dir_entry(path)
            ref = self._reference(p)
            if not p.key:
                list(ref.list_objects(max_amount=1))  # a missing ref or repository: 404
                return self._dir_entry(path)
            if not refresh:
                cached = self._info_from_cache(path)
                if cached is not None:
                    return cached
            try:
                return self._file_entry(path, self._stat_object(ref, p.key))
            except NotFoundError:
                pass
            if next(iter(ref.list_objects(max_amount=1, prefix=f"{p.key}/", delimiter="/")), None):
                return self._dir_entry(path)
        raise FileNotFoundError(errno.ENOENT, "no such object or prefix", path)

    def _stat_object(self, ref: Reference, key: str) -> ObjectInfo:
        """An object's stats: one request straight through the transport (``info`` is the
        call data libraries make per file; lakefs_sdk's argument and model checks cost a
        third of a millisecond more per call)."""
        transport = self.client.transport
        route = ops.stat_object(transport, ref.repository_id, ref.id, path=key)
        data = json_object(transport.request(route.method, route.url), route.method, route.url)
        if not all(isinstance(data.get(k), t) for k, t in _STATS_FIELDS):
            raise APIResponseError(
                f"{key}: the object's stats lack a field (path, checksum, mtime)",
                method=route.method,
                path=key,
            )
        return ObjectInfo.from_stats(ref, data)

    def _info_from_cache(self, path: str) -> dict[str, Any] | None:
        if path in self.dircache:
            return self._dir_entry(path)
        parent = self._parent(path)
        listing = self.dircache.get(parent) if parent.count("/") >= 1 else None
        if listing is None:
            return None
        for entry in listing:
            if entry["name"] == path:
                return dict(entry)
        raise FileNotFoundError(errno.ENOENT, "no such object or prefix (cached listing)", path)

    def exists(self, path: str, **kwargs: Any) -> bool:
        """Whether ``path`` is an object or a directory (a ``PermissionError`` is raised)."""
        try:
            self.info(path, **kwargs)
        except FileNotFoundError:
            return False
        except ValidationError:
            return False  # a name lakeFS cannot hold
        return True

    def isdir(self, path: str) -> bool:
        """Whether ``path`` is a directory (a prefix, a ref or a repository)."""
        try:
            return bool(self.info(path)["type"] == "directory")
        except (FileNotFoundError, ValidationError):
            return False

    def isfile(self, path: str) -> bool:
        """Whether ``path`` is an object."""
        try:
            return bool(self.info(path)["type"] == "file")
        except (FileNotFoundError, ValidationError):
            return False

    def find(
        self,
        path: str,
        maxdepth: int | None = None,
        withdirs: bool = False,
        detail: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Every object under ``path`` (and directories, ``withdirs``), from one flat listing."""
        path = self._strip_protocol(path)
        p = self._parse(path)
        if not p.ref:
            return super().find(path, maxdepth=maxdepth, withdirs=withdirs, detail=detail)
        if maxdepth is not None and maxdepth < 1:
            raise ValueError("maxdepth must be at least 1")
        base = f"{p.repo}/{p.ref}"
        files: dict[str, dict[str, Any]] = {}
        with self._errors(path):
            ref = self._reference(p)
            for item in ref.list_objects(prefix=f"{p.key}/" if p.key else "", delimiter=""):
                if isinstance(item, ObjectInfo) and not item.path.endswith("/"):
                    name = f"{base}/{item.path}"
                    files[name] = self._file_entry(name, item)
        self._fill_cache(path, files)
        out: dict[str, dict[str, Any]] = {}
        if not files and p.key:
            try:
                entry = self.info(path)
            except FileNotFoundError:
                return {} if detail else []
            if entry["type"] == "file":
                out[path] = entry
        if maxdepth is None and not withdirs:  # every object, nothing to count
            out.update(files)
            files = {}
        depth0 = path.count("/")
        for name, entry in files.items():
            depth = name.count("/") - depth0
            if maxdepth is None or depth <= maxdepth:
                out[name] = entry
            if withdirs:
                parent = self._parent(name)
                while parent.count("/") > depth0:
                    if maxdepth is None or parent.count("/") - depth0 <= maxdepth:
                        out.setdefault(parent, self._dir_entry(parent))
                    parent = self._parent(parent)
        if withdirs and files:
            out[path] = self._dir_entry(path)
        names = sorted(out)  # in the listing's order already: sorting it costs one pass
        return {n: out[n] for n in names} if detail else names

    def _fill_cache(self, path: str, files: dict[str, dict[str, Any]]) -> None:
        """Fill the listing cache of ``path`` and every directory below from a flat listing."""
        if not files:
            return
        listings: dict[str, dict[str, dict[str, Any]]] = {path: {}}
        for name, entry in files.items():
            # Names are stripped paths below ``path``: a parent is what precedes the last "/".
            parent = name.rpartition("/")[0]
            known = parent in listings
            listings.setdefault(parent, {})[name] = entry
            child = parent
            while not known and child and child != path:  # a new directory: register it
                parent = child.rpartition("/")[0]
                known = parent in listings
                listings.setdefault(parent, {}).setdefault(child, self._dir_entry(child))
                child = parent
        for directory, entries in listings.items():
            self.dircache[directory] = [entries[k] for k in sorted(entries)]

    def walk(
        self,
        path: str,
        maxdepth: int | None = None,
        topdown: bool = True,
        on_error: str | Callable[[BaseException], Any] = "omit",
        **kwargs: Any,
    ) -> Iterator[Any]:
        """``os.walk`` over ``path``, from one flat listing (``detail=True`` gives dicts)."""
        path = self._strip_protocol(path)
        if not self._parse(path).ref:
            yield from super().walk(path, maxdepth, topdown, on_error, **kwargs)
            return
        detail = kwargs.pop("detail", False)
        try:
            listing = self.find(path, withdirs=True, detail=True)
            if not listing:
                self.info(path)  # raises for a missing path; an empty ref root lists nothing
        except (FileNotFoundError, PermissionError) as exc:
            if on_error == "raise":
                raise
            if callable(on_error):
                on_error(exc)
            return
        if listing.get(path, {}).get("type") == "file":
            files = {"": listing[path]}
            yield path, {}, files if detail else [""]
            return
        children: dict[str, list[dict[str, Any]]] = {}
        for name, entry in listing.items():
            if name != path:
                children.setdefault(self._parent(name), []).append(entry)
        yield from self._walk_from(path, children, maxdepth, topdown, detail)

    def _walk_from(
        self,
        path: str,
        children: dict[str, list[dict[str, Any]]],
        maxdepth: int | None,
        topdown: bool,
        detail: bool,
    ) -> Iterator[Any]:
        dirs: dict[str, dict[str, Any]] = {}
        files: dict[str, dict[str, Any]] = {}
        for entry in children.get(path, []):
            short = entry["name"].rsplit("/", 1)[-1]
            (dirs if entry["type"] == "directory" else files)[short] = entry
        if detail:
            listed_dirs: Any = dirs
            listed_files: Any = files
        else:
            listed_dirs, listed_files = list(dirs), list(files)
        if topdown:
            yield path, listed_dirs, listed_files
        if maxdepth is None or maxdepth > 1:
            for d in list(listed_dirs):
                yield from self._walk_from(
                    f"{path}/{d}",
                    children,
                    None if maxdepth is None else maxdepth - 1,
                    topdown,
                    detail,
                )
        if not topdown:
            yield path, listed_dirs, listed_files

    def invalidate_cache(self, path: str | None = None) -> None:
        """Forget cached listings: all of them, or those of ``path``, its parents and below."""
        if path is None:
            self.dircache.clear()
        else:
            path = self._strip_protocol(path)
            for key in [k for k in self.dircache if k == path or k.startswith(f"{path}/")]:
                self.dircache.pop(key, None)
            while path:
                path = self._parent(path)
                self.dircache.pop(path, None)
        super().invalidate_cache(path)

    # -- reading -----------------------------------------------------------------------------------

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> ObjectReader | ObjectWriter:
        """A binary file: an :class:`~lakefs.ObjectReader` (``rb``) or an
        :class:`~lakefs.ObjectWriter` (``wb``, ``xb``; published when it closes)."""
        path = self._strip_protocol(path)
        p = self._parse(path)
        if mode == "rb":
            if not p.key:
                raise IsADirectoryError(errno.EISDIR, "not an object", path)
            with self._errors(path):
                reader = self._reference(p).open(
                    p.key, "rb", self.pre_signed, block_size=block_size or self.block_size
                )
            return reader
        if mode not in ("wb", "xb"):
            raise ValueError(f"mode must be rb, wb or xb (or their text forms), not {mode!r}")
        branch = self._branch(p)
        with self._errors(path):
            if mode == "xb":  # fail early; the server checks again, atomically, at close
                try:
                    branch.stat_object(p.key)
                except NotFoundError:
                    pass
                else:
                    raise FileExistsError(errno.EEXIST, "the object exists", path)
            writer = _FSWriter(
                branch,
                p.key,
                exclusive=mode == "xb",
                pre_signed=self.pre_signed,
                content_type=kwargs.get("content_type"),
                metadata=kwargs.get("metadata"),
                part_size=self.part_size,
                max_workers=self.max_workers,
            )
        self._written(path)
        writer._on_close = lambda: self._written(path)
        return writer

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        """An object's bytes, or those from ``start`` to ``end`` (negative: from the end) in one
        ranged request."""
        path = self._strip_protocol(path)
        p = self._parse(path)
        if not p.key:
            raise IsADirectoryError(errno.EISDIR, "not an object", path)
        if (start is not None and start < 0) or (end is not None and end < 0):
            size = self.info(path)["size"]
            start = max(size + start, 0) if start is not None and start < 0 else start
            end = max(size + end, 0) if end is not None and end < 0 else end
        start = start or 0
        if end is not None and end <= start:
            return b""
        ref = self._reference(p)
        transport = self.client.transport
        headers = {}
        if start or end is not None:
            headers["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        with self._errors(path):
            presign = resolve_pre_signed(self.client, self.pre_signed)
            presign_query = True if presign else None
            route = ops.get_object(transport, p.repo, ref.id, path=p.key, presign=presign_query)
            url = route.url
            try:
                resp = transport.request(
                    route.method,
                    url,
                    headers=headers,
                    stream=True,
                    on_redirect=lambda _url: None,
                    decode=False,
                )
            except RangeNotSatisfiableError:
                return b""
            try:
                data = resp.read()
            finally:
                resp.release_conn()
        if resp.status == 200 and headers:  # the whole object: the server ignored the range
            data = data[start:end]
        return bytes(data)

    def get_file(
        self,
        rpath: str,
        lpath: Any,
        callback: Callback = DEFAULT_CALLBACK,
        outfile: IO[bytes] | None = None,
        **kwargs: Any,
    ) -> None:
        """Stream an object to a local file, written under a temporary name and renamed when
        complete (a directory becomes a local directory); ``lpath`` (or ``outfile``) may be a
        binary file object. ``callback`` learns the size and then each chunk's bytes."""
        if outfile is None and isfilelike(lpath):
            outfile = lpath
        if outfile is not None:
            self._get_into(rpath, outfile, callback)
            return
        if self._collect("get", rpath, lpath, callback, kwargs):
            return
        self._run_transfers("get", [_Pending(rpath, lpath, callback, kwargs)])

    def _get_into(self, rpath: str, outfile: IO[bytes], callback: Callback) -> None:
        """Stream an object into a file object (a directory writes nothing)."""
        rpath = self._strip_protocol(rpath)
        p = self._parse(rpath)
        if rpath in self.dircache or not p.key:
            return
        with self._errors(rpath):
            ref = self._reference(p)
            with ref.open(p.key, "rb", self.pre_signed, block_size=self.block_size) as f:
                callback.set_size(f.size)
                while chunk := f.read1(self.block_size):
                    outfile.write(chunk)
                    callback.relative_update(len(chunk))

    def _get_transfer(self, item: _Pending) -> Transfer:
        """One ``get`` transfer: resolved here (in the calling thread), run by the engine."""
        rpath = self._strip_protocol(item.source)
        p = self._parse(rpath)
        lpath = item.target
        child = _child(item.callback)
        reference = self._reference(p) if p.key else None
        size = self._cached_size(rpath)

        def run(counter: Tracker) -> int:
            try:
                if rpath in self.dircache or reference is None:
                    os.makedirs(lpath, exist_ok=True)
                    return 0
                if size is not None:
                    child.set_size(size)
                target = Path(os.fspath(lpath))
                try:
                    with self._errors(rpath):
                        validate.object_path(p.key, "path")
                        target.parent.mkdir(parents=True, exist_ok=True)
                        got = fetch_to_file(
                            reference,
                            p.key,
                            target,
                            pre_signed=resolve_pre_signed(self.client, self.pre_signed),
                            block_size=self.block_size,
                            counter=counter,
                        )
                except FileNotFoundError:
                    if self.isdir(rpath):
                        os.makedirs(lpath, exist_ok=True)
                        return 0
                    raise
                if size is None:
                    child.set_size(got)
                return got
            finally:
                _release(item.callback)

        return Transfer(rpath, run, size or 0, child.relative_update)

    def _cached_size(self, path: str) -> int | None:
        """An object's size if a cached listing knows it (no request)."""
        try:
            entry = self._info_from_cache(path)
        except FileNotFoundError:
            return None
        if entry is None or entry.get("type") != "file":
            return None
        return int(entry["size"])

    # -- writing -----------------------------------------------------------------------------------

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Write ``value`` as the object at ``path`` (``mode="create"`` refuses an existing one)."""
        path = self._strip_protocol(path)
        p = self._parse(path)
        branch = self._branch(p)
        try:
            with self._errors(path):
                if mode == "create":
                    with branch.open(p.key, "xb", self.pre_signed) as f:
                        f.write(value)
                else:
                    branch.upload(bytes(value), p.key, content_type=kwargs.get("content_type"))
        finally:
            self._written(path)

    def put_file(
        self,
        lpath: str,
        rpath: str,
        callback: Callback = DEFAULT_CALLBACK,
        mode: str = "overwrite",
        **kwargs: Any,
    ) -> None:
        """Upload a local file, streamed (a local directory uploads nothing); ``mode="create"``
        refuses an existing object. ``callback`` learns the size and then each chunk's bytes."""
        if self._collect("put", lpath, rpath, callback, {"mode": mode, **kwargs}):
            return  # a directory too: put's callback counts it when its turn comes
        if os.path.isdir(lpath):
            return
        self._run_transfers("put", [_Pending(lpath, rpath, callback, {"mode": mode, **kwargs})])

    def _put_transfer(self, item: _Pending) -> Transfer:
        """One ``put`` transfer: its branch is resolved here, in the calling thread (a
        read-only ref fails before anything is sent; a transaction starts once), and the
        engine runs it."""
        lpath = os.fspath(item.source)
        rpath = self._strip_protocol(item.target)
        if os.path.isdir(lpath):  # nothing to upload (there are no empty directories)

            def nothing(counter: Tracker) -> int:
                _release(item.callback)
                return 0

            return Transfer(rpath, nothing)
        p = self._parse(rpath)
        branch = self._branch(p)
        mode = item.kwargs.get("mode", "overwrite")
        content_type = item.kwargs.get("content_type") or mimetypes.guess_type(Path(lpath).name)[0]
        child = _child(item.callback)

        def run(counter: Tracker) -> int:
            try:
                size = os.path.getsize(lpath)
                child.set_size(size)
                with self._errors(rpath):
                    if mode == "create":
                        with (
                            open(lpath, "rb") as src,
                            branch.open(p.key, "xb", self.pre_signed) as f,
                        ):
                            while chunk := src.read(self.part_size):
                                f.write(chunk)
                                counter.advance(len(chunk))
                    else:
                        target = _make_target(
                            branch,
                            p.key,
                            exclusive=False,
                            pre_signed=self.pre_signed,
                            content_type=content_type,
                            metadata=None,
                            part_size=self.part_size,
                            max_workers=self.max_workers,
                        )
                        send_file(target, Path(lpath), size, counter)
                return size
            finally:
                _release(item.callback)

        return Transfer(rpath, run, 0, child.relative_update)

    def _collect(
        self, kind: str, source: Any, target: Any, callback: Callback, kwargs: dict[str, Any]
    ) -> bool:
        """Inside ``put``/``get``: queue the transfer for the engine instead of running it."""
        pending: list[_Pending] | None = getattr(self._local, kind, None)
        if pending is None:
            return False
        pending.append(_Pending(source, target, callback, kwargs))
        return True

    def _transfers(self, kind: str, expand: Callable[[Callback], None], callback: Callback) -> None:
        """Run fsspec's expansion of ``put``/``get`` (its path semantics, unchanged), which
        queues each file, then the files through the engine."""
        pending: list[_Pending] = []
        setattr(self._local, kind, pending)
        try:
            expand(_Deferred(callback))
        except BaseException:
            for item in pending:
                _release(item.callback)
            raise
        finally:
            setattr(self._local, kind, None)
        self._run_transfers(kind, pending, callback)

    def _run_transfers(
        self, kind: str, items: list[_Pending], outer: Callback | None = None
    ) -> None:
        """Run ``put``/``get`` transfers through the folder transfer engine
        (:func:`lakefs.lib.folders.run_transfers`): ``max_workers`` at a time through the
        client's pool, each file's callback told of its chunks, ``outer`` of each file done.

        The first failure stops the others (those in flight at their next chunk: nothing
        half-written remains) and is raised as it is, a ``FileNotFoundError``, a
        ``PermissionError``..., as a loop over ``put_file``/``get_file`` would raise it (a
        :class:`~lakefs.TransferError` would hide those types from ``except`` clauses).
        """
        if not items:
            return
        written: list[str] = []
        try:
            transfers = []
            for item in items:
                if kind == "put":
                    written.append(self._strip_protocol(item.target))
                    transfers.append(self._put_transfer(item))
                else:
                    transfers.append(self._get_transfer(item))

            def progress(event: ProgressEvent) -> None:
                if outer is not None and event.kind == "file" and event.outcome == "sent":
                    outer.relative_update(1)

            result = run_transfers(
                transfers,
                operation=kind,
                max_workers=min(self.max_workers, len(transfers)),
                progress=progress if outer is not None else False,
                fail_fast=True,
            )
        finally:
            for item in items:
                _release(item.callback)
            for path in written:
                self._written(path)
        if result.failed:
            raise next(iter(result.failed.values()))

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
        flight at their next chunk."""
        self._transfers(
            "put",
            lambda cb: super(LakeFSFileSystem, self).put(
                lpath, rpath, recursive=recursive, callback=cb, maxdepth=maxdepth, **kwargs
            ),
            callback,
        )

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
        folder transfer engine: ``max_workers`` at a time, each file written under a temporary
        name and renamed when complete. ``callback`` counts files as they are done; each
        file's child callback its bytes. The first failure stops the rest and is raised as it
        is (``FileNotFoundError``, ``PermissionError``, ...); Ctrl-C stops the transfers in
        flight at their next chunk."""
        self._transfers(
            "get",
            lambda cb: super(LakeFSFileSystem, self).get(
                rpath, lpath, recursive=recursive, callback=cb, maxdepth=maxdepth, **kwargs
            ),
            callback,
        )

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy an object: on the server within a repository (across branches too), else
        streamed. A directory copies nothing (there are no empty directories)."""
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        src, dst = self._parse(path1), self._parse(path2)
        if not src.key or path1 in self.dircache:
            return
        branch = self._branch(dst)
        try:
            with self._errors(path1):
                if src.repo == dst.repo:
                    branch.copy_object(self._reference(src), src.key, dst.key)
                else:
                    with (
                        self._reference(src).open(src.key, "rb", self.pre_signed) as r,
                        branch.open(dst.key, "wb", self.pre_signed) as w,
                    ):
                        while chunk := r.read1(self.block_size):
                            w.write(chunk)
        except FileNotFoundError:
            if self.isdir(path1):
                return
            raise
        finally:
            self._written(path2)

    def rm_file(self, path: str) -> None:
        """Delete one object (as on S3, a missing object is no error; ``rm`` of a missing
        path raises ``FileNotFoundError``)."""
        path = self._strip_protocol(path)
        p = self._parse(path)
        branch = self._branch(p)
        try:
            with self._errors(path):
                ObjectInfo(p.repo, branch.id, p.key, client=self.client).delete()
        finally:
            self._written(path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        """Delete objects: a path, a glob or a list; ``recursive`` removes everything under a
        prefix (compared as ``PREFIX/``), in requests of 1,000 paths.

        Every ref written to is checked to be a branch before anything is removed: a path
        on a tag, a commit or an expression (a repository's root reaches its tags too) raises
        :class:`ReadOnlyReferenceError` and removes nothing.
        """
        paths = path if isinstance(path, list) else [path]
        by_branch: dict[tuple[str, str], list[str]] = {}
        for name in self.expand_path(paths, recursive=recursive, maxdepth=maxdepth):
            p = self._parse(name)
            if not p.key:
                if recursive:
                    continue  # a ref's root: its objects are listed on their own
                raise IsADirectoryError(errno.EISDIR, "cannot remove a ref or repository", name)
            if name in self.dircache:
                continue  # a directory: its objects are listed
            by_branch.setdefault((p.repo, p.ref), []).append(p.key)
        branches = {
            (repo, ref): self._branch(_Path(repo, ref, keys[0]))
            for (repo, ref), keys in by_branch.items()
        }  # all of them before the first removal
        for (repo, ref), keys in by_branch.items():
            if not recursive and len(keys) == 1:
                self.rm_file(f"{repo}/{ref}/{keys[0]}")
                continue
            branch = branches[(repo, ref)]
            try:
                with self._errors(f"{repo}/{ref}"):
                    branch.delete_objects(sorted(set(keys)))
            finally:
                self.invalidate_cache(f"{repo}/{ref}")

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Nothing: directories exist while objects are under them."""

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Nothing: directories exist while objects are under them."""

    def rmdir(self, path: str) -> None:
        """Nothing: a directory disappears with its last object."""

    def touch(self, path: str, truncate: bool = True, **kwargs: Any) -> None:
        """Create an empty object (``truncate=False`` leaves an existing one as it is)."""
        if not truncate and self.exists(path):
            return
        self.pipe_file(path, b"")

    # -- details -----------------------------------------------------------------------------------

    def modified(self, path: str) -> datetime:
        """When the object was last written (timezone-aware, UTC)."""
        entry = self.info(path)
        if entry["type"] != "file":
            raise IsADirectoryError(errno.EISDIR, "a directory has no modification time", path)
        return entry["mtime"]  # type: ignore[no-any-return]

    def ukey(self, path: str) -> str:
        """lakeFS's checksum of the object (changes whenever its content does)."""
        entry = self.info(path)
        if entry["type"] != "file":
            raise IsADirectoryError(errno.EISDIR, "a directory has no checksum", path)
        return str(entry["checksum"])

    def checksum(self, path: str) -> int:
        """lakeFS's checksum of the object, as an int (fsspec's convention)."""
        return int(hashlib.sha256(self.ukey(path).encode()).hexdigest()[:32], 16)

    def created(self, path: str) -> datetime:
        """When the object was written (lakeFS keeps one time per object version)."""
        return self.modified(path)
