"""``lakefs://`` for fsspec: :class:`LakeFSFileSystem`, built on this SDK.

Paths are ``REPOSITORY/REF/PATH``: REF is a branch, a tag, a commit id or an expression
(``main~1``, ``main@``); only branches are writable. The class is registered through the
``fsspec.specs`` entry point, so ``fsspec.open("lakefs://repo/main/a.csv")`` and
``pandas.read_csv("lakefs://repo/main/a.csv", storage_options={...})`` work without importing
anything. Credentials come from ``client=``, from ``host=`` / ``access_key_id=`` /
``secret_access_key=`` (also as pandas' ``storage_options``), from ``credentials=`` (a source
each process reads for itself: no secret in pickles and task graphs), or else from the SDK's
chain (``lakefs.init()``, ``LAKECTL_*``, ``~/.lakectl.yaml``).

Its parts: the listing cache (:mod:`lakefs._fs_cache`) and what a reference is
(:mod:`lakefs._fs_refs`), ``put``/``get`` (:mod:`lakefs._fs_transfers`), files and ranged reads
(:mod:`lakefs._fs_files`), transactions (:mod:`lakefs._fs_transaction`) and
``credentials=`` (:mod:`lakefs._fs_credentials`).

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
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO, Any, NamedTuple

from fsspec.callbacks import DEFAULT_CALLBACK, Callback
from fsspec.spec import AbstractFileSystem, _Cached
from fsspec.utils import isfilelike

from lakefs import _fs_listings as listings
from lakefs._client import Client, default_client
from lakefs._exceptions import (
    LakeFSError,
    NotFoundError,
    ValidationError,
)
from lakefs._fs_cache import DEFAULT_LISTINGS_EXPIRY_TIME, ListingCache
from lakefs._fs_credentials import client_from, explicit_client
from lakefs._fs_files import FSReader, FSWriter, open_fs_reader, read_range, translated
from lakefs._fs_refs import References
from lakefs._fs_transaction import LakeFSTransaction
from lakefs._fs_transfers import (
    Deferred,
    GetItem,
    PutItem,
    get_transfer,
    plan_get,
    put_transfer,
    release,
    running,
)
from lakefs._generated.branch import Branch
from lakefs._generated.reference import Reference
from lakefs._objects import ObjectInfo
from lakefs._server_configuration import resolve_pre_signed
from lakefs.lib.folders import DEFAULT_FOLDER_WORKERS, TransferRun
from lakefs.lib.reader import DEFAULT_BLOCK_SIZE
from lakefs.lib.writer import DEFAULT_PART_SIZE

__all__ = [
    "LakeFSFileSystem",
    "LakeFSTransaction",
    "ReadOnlyReferenceError",
    "UnsupportedModeError",
]


class UnsupportedModeError(LakeFSError, NotImplementedError):
    """A file mode lakeFS objects cannot be opened in (``"ab"``: objects are written whole);
    a ``LakeFSError`` and a ``NotImplementedError`` (as fsspec's files raise)."""


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
    "block_size",
    "part_size",
    "listings_expiry_time",
    "create_branch_ok",
    "source_branch",
)
_CREDENTIAL_OPTIONS = ("access_key_id", "secret_access_key", "jwt_token")


def _alias(name: str, value: Any, alias: str, alias_value: Any) -> Any:
    """``value``, or lakefs-spec's ``alias`` for it (both given and different: refused)."""
    if alias_value is None:
        return value
    if value is not None and value != alias_value:
        raise ValidationError(f"{alias}= is another name for {name}=: give one of them")
    return alias_value


# Read options fsspec's callers pass (fsspec.parquet, Dask): accepted; the reader reads
# ahead on its own (block_size), whatever cache it is asked for.
_READ_OPTIONS = {"cache_type"}


def _write_options(call: str, kwargs: dict[str, Any]) -> tuple[str | None, dict[str, str] | None]:
    """``content_type`` and ``metadata`` of a write; any other option of fsspec's callers
    that a write cannot carry is refused by name (never silently dropped)."""
    allowed = {"content_type", "metadata", *(["precheck"] if call == "put_file" else [])}
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        takes = ", ".join(f"{k}=" for k in sorted(allowed))
        raise ValidationError(f"{call} takes {takes}, not {', '.join(unknown)}")
    return kwargs.get("content_type"), kwargs.get("metadata")


class _Path(NamedTuple):
    """A parsed ``REPOSITORY/REF/KEY`` path (missing parts are empty strings)."""

    repo: str
    ref: str
    key: str


class _Stopped(Exception):  # noqa: N818 - a signal inside put, never seen outside
    """A ``put``'s run stopped at a failure: fsspec's expansion need name no more files."""


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
        max_workers: transfers at once in recursive ``put``/``get`` and multipart uploads.
        block_size: the largest read request of a file opened for reading.
        part_size: the multipart part size of uploads.
        listings_expiry_time: seconds a branch's cached listing is kept (None: until
            invalidated); see :mod:`lakefs._fs_cache`.
        username, password: lakefs-spec's names of ``access_key_id`` and
            ``secret_access_key``. Credentials given are never completed or replaced by
            another source's (only the host may come from ``LAKECTL_SERVER_ENDPOINT_URL``).
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
        access_key_id = _alias("access_key_id", access_key_id, "username", username)
        secret_access_key = _alias("secret_access_key", secret_access_key, "password", password)
        pre_signed = _alias("pre_signed", pre_signed, "pre_sign", pre_sign)
        super().__init__(**storage_options)
        self.dircache = ListingCache(
            use_listings_cache=storage_options.get("use_listings_cache", True),
            listings_expiry_time=listings_expiry_time,
            max_paths=storage_options.get("max_paths"),
        )
        if client is not None and not isinstance(client, Client):
            raise ValidationError(f"client must be a lakefs.Client, not {type(client).__name__}")
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise ValidationError(f"max_workers must be a positive int, not {max_workers!r}")
        self._client = self._make_client(
            client,
            credentials,
            host=host,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            jwt_token=access_token,
            verify_ssl=verify_ssl,
            ssl_ca_cert=ssl_ca_cert,
            proxy=proxy,
        )
        self.pre_signed = pre_signed
        self.create_branch_ok = bool(create_branch_ok)
        self.source_branch = source_branch
        self.max_workers = max_workers
        self.block_size = block_size
        self.part_size = part_size
        self._refs = References(lambda: self.client, lambda: self.dircache.listings_expiry_time)
        self._local = threading.local()

    @staticmethod
    def _make_client(
        client: Client | None, credentials: str | None, **options: Any
    ) -> Client | None:
        """The client of the options given (None: the SDK's default client, resolved late)."""
        given = {k: v for k, v in options.items() if v is not None}
        if client is not None and (given or credentials is not None):
            named = ", ".join([*given, *(["credentials"] if credentials is not None else [])])
            raise ValidationError(f"give either client= or connection options, not both ({named})")
        secrets = [k for k in _CREDENTIAL_OPTIONS if k in given]
        if credentials is not None:
            if secrets:
                raise ValidationError(
                    f"give either credentials= or {' and '.join(secrets)}, not both"
                )
            return client_from(credentials, given)
        if client is None and secrets:
            return explicit_client(given)
        if client is None and given:
            return Client(**given)
        return client

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

    def _errors(self, path: str) -> contextlib.AbstractContextManager[None]:
        """Map the SDK's errors to the OSError subclasses Python code expects (one rule for
        the filesystem and its files: :func:`lakefs._fs_files.translated`)."""
        return translated(path)

    def _in_transaction(self, p: _Path) -> bool:
        tx = self._transaction if self._intrans else None
        return tx is not None and (p.repo, p.ref) in tx.transactions

    def _reference(self, p: _Path) -> Reference:
        """The reference reads of ``p`` go to (a transaction's ephemeral branch if it has one)."""
        tx = self._transaction if self._intrans else None
        if tx is not None and (p.repo, p.ref) in tx.transactions:
            return tx.transactions[(p.repo, p.ref)].branch
        return Reference(p.repo, p.ref, client=self.client)

    def _check_branch(self, repository_id: str, branch_id: str, create: bool = False) -> Branch:
        """``branch_id`` as a Branch, after checking once that it is one (``create``, with
        ``create_branch_ok``: a ref that names nothing is created from ``source_branch``)."""
        try:
            branch = Branch(repository_id, branch_id, client=self.client)
        except ValidationError:
            raise ReadOnlyReferenceError(repository_id, branch_id) from None
        if self._refs.is_branch(repository_id, branch_id):
            return branch
        try:
            with self._errors(f"{repository_id}/{branch_id}"):  # nothing: FileNotFoundError
                resolved = self._refs.resolve(repository_id, branch_id)
        except FileNotFoundError:
            if not (create and self.create_branch_ok):
                raise
            with self._errors(f"{repository_id}/{branch_id}"):
                branch.create(self.source_branch, exist_ok=True)
            self._refs.forget(repository_id, branch_id)
            self._refs.mark_branch(repository_id, branch_id)
            self.invalidate_cache(repository_id)
            return branch
        if resolved.commit is not None:
            raise ReadOnlyReferenceError(repository_id, branch_id)
        return branch

    def _branch(self, p: _Path, create: bool = False) -> Branch:
        """The branch a write to ``p`` goes to (a transaction's ephemeral branch inside one;
        ``create``: a write of new bytes, which ``create_branch_ok`` may create it for)."""
        if not p.repo or not p.ref or not p.key:
            raise IsADirectoryError(
                errno.EISDIR, "a repository, a ref or a path is needed", "/".join(p)
            )
        tx = self._transaction if self._intrans else None
        if tx is not None:
            return tx.branch_for(p.repo, p.ref, create)
        return self._check_branch(p.repo, p.ref, create)

    def _written(self, path: str) -> None:
        """Forget the listings a write to ``path`` made stale."""
        self.invalidate_cache(path)

    # -- listings (lakefs._fs_listings) ------------------------------------------------------

    def ls(self, path: str, detail: bool = True, refresh: bool = False, **kwargs: Any) -> Any:
        """The entries directly under ``path`` (dicts with ``detail``, else names).

        The root lists the repositories; a repository lists its branches and its tags (each a
        path ``info``, ``ls`` and ``open`` accept, from two paged listings; a tag named like a
        branch once), not its commits; a ref or prefix lists its objects and prefixes. Walking
        or finding from a repository therefore goes through every branch and tag. A cached
        listing answers while it holds; ``refresh`` lists again (and asks again what a tag or
        expression resolves to). ``recursive=True`` (lakefs-spec's) lists everything below
        ``path``, objects and directories, from one flat listing (as ``find(withdirs=True)``).
        """
        path = self._strip_protocol(path)
        p = self._parse(path)
        if kwargs.get("recursive"):
            found = self.find(path, withdirs=True, detail=True)
            below = [e for name, e in found.items() if name != path or e["type"] == "file"]
            return below if detail else [e["name"] for e in below]
        if refresh and p.ref:
            self._refs.forget(p.repo, p.ref)
        entries = None if refresh else listings.cached_ls(self, path, p)
        if entries is None:
            entries = listings.list_path(self, path, p)
        return entries if detail else [e["name"] for e in entries]

    def info(self, path: str, refresh: bool = False, **kwargs: Any) -> dict[str, Any]:
        """An object's (or a directory's) details: ``name``, ``size``, ``type``, ``mtime``,
        ``checksum``, ``content_type``, ``metadata``; asked of the server, except for a path
        at a commit whose listing is kept."""
        path = self._strip_protocol(path)
        return listings.info(self, path, self._parse(path), refresh)

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
        """Every object under ``path`` (and directories, ``withdirs``), from one flat listing
        (asked every time: never from the cache, which it fills)."""
        path = self._strip_protocol(path)
        p = self._parse(path)
        if not p.ref:
            return super().find(path, maxdepth=maxdepth, withdirs=withdirs, detail=detail)
        found = listings.find(self, path, p, maxdepth, withdirs)
        return found if detail else list(found)

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
        yield from listings.walk(self, path, maxdepth, topdown, on_error, detail)

    def invalidate_cache(self, path: str | None = None) -> None:
        """Forget cached listings: all of them (and what tags and expressions resolve to), or
        those of ``path``, its parents and below."""
        if path is None:
            self.dircache.invalidate(None)
            self._refs.forget()
        else:
            path = self._strip_protocol(path)
            self.dircache.invalidate(path)
        super().invalidate_cache(path)

    @contextlib.contextmanager
    def _listed(self) -> Iterator[dict[str, dict[str, Any]]]:
        """Collect the entries this thread's listings answer meanwhile (an expansion's: the
        kinds ``get`` and ``copy`` act on, fresh, not from the cache)."""
        outer = getattr(self._local, "seen", None)
        seen: dict[str, dict[str, Any]] = {} if outer is None else outer
        self._local.seen = seen
        try:
            yield seen
        finally:
            self._local.seen = outer

    def _record(self, entries: Iterable[dict[str, Any]]) -> None:
        seen: dict[str, dict[str, Any]] | None = getattr(self._local, "seen", None)
        if seen is not None:
            for entry in entries:
                seen[entry["name"]] = entry

    # -- reading -----------------------------------------------------------------------------------

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
        path = self._strip_protocol(path)
        p = self._parse(path)
        if mode == "rb":
            unknown = sorted(set(kwargs) - _READ_OPTIONS)
            if unknown:  # never a silently different read (a version_id=, say)
                raise ValidationError(f"open('rb') takes cache_type=, not {', '.join(unknown)}")
            if not p.key:
                raise IsADirectoryError(errno.EISDIR, "not an object", path)
            return self._open_reader(path, block_size or self.block_size, None)
        if mode not in ("wb", "xb"):
            raise UnsupportedModeError(
                f"mode must be rb, wb or xb (or their text forms), not {mode!r}"
                + (": lakeFS objects are written whole, never appended to" if "a" in mode else "")
            )
        content_type, metadata = _write_options(f"open({mode!r})", kwargs)
        branch = self._branch(p, create=True)
        with self._errors(path):
            if mode == "xb":  # fail early; the server checks again, atomically, at close
                try:
                    branch.stat_object(p.key)
                except NotFoundError:
                    pass
                else:
                    raise FileExistsError(errno.EEXIST, "the object exists", path)
            writer = FSWriter(
                branch,
                p.key,
                exclusive=mode == "xb",
                pre_signed=self.pre_signed,
                content_type=content_type,
                metadata=metadata,
                part_size=self.part_size,
                max_workers=self.max_workers,
            )
        self._written(path)
        writer.path = path
        writer.on_close = lambda: self._written(path)
        return writer

    def _open_reader(
        self, path: str, block_size: int, version: tuple[str | None, int, int] | None
    ) -> FSReader:
        """``path`` opened for reading (``version``: again, as an unpickled file is)."""
        p = self._parse(path)
        with self._errors(path):
            return open_fs_reader(
                self,
                path,
                self._reference(p),
                p.key,
                pre_signed=resolve_pre_signed(self.client, self.pre_signed),
                block_size=block_size,
                version=version,
            )

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        """An object's bytes, or those from ``start`` to ``end`` (negative: from the end), in
        one ranged request whose answer says the size (a suffix range for a negative
        ``start``); an answer cut short is resumed, and a failure is a typed error."""
        path = self._strip_protocol(path)
        p = self._parse(path)
        if not p.key:
            raise IsADirectoryError(errno.EISDIR, "not an object", path)
        with self._errors(path):
            presign = resolve_pre_signed(self.client, self.pre_signed)
            return read_range(self._reference(p), p.key, start, end, pre_signed=presign)

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
        the size and then each chunk's bytes."""
        if outfile is None and isfilelike(lpath):
            outfile = lpath
        if outfile is not None:
            self._get_into(rpath, outfile, callback)
            return
        item = GetItem(self._strip_protocol(rpath), os.fspath(lpath))
        precheck = bool(kwargs.get("precheck", True))
        with running(self, "get", None, files=1) as run:
            run.submit(get_transfer(self, item, callback, precheck=precheck))

    def _get_into(self, rpath: str, outfile: IO[bytes], callback: Callback) -> None:
        """Stream an object into a file object (a directory writes nothing)."""
        rpath = self._strip_protocol(rpath)
        p = self._parse(rpath)
        if not p.key:
            return
        try:
            with self._errors(rpath):
                ref = self._reference(p)
                with ref.open(p.key, "rb", self.pre_signed, block_size=self.block_size) as f:
                    callback.set_size(f.size)
                    while chunk := f.read1(self.block_size):
                        outfile.write(chunk)
                        callback.relative_update(len(chunk))
        except FileNotFoundError:
            if self.isdir(rpath):
                return
            raise

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
        ``PermissionError``, ...); Ctrl-C stops the transfers in flight at their next chunk."""
        precheck = bool(kwargs.pop("precheck", True))
        items = plan_get(self, rpath, lpath, recursive, maxdepth, kwargs)
        if not items:
            return
        callback.set_size(len(items))
        with running(self, "get", callback, files=len(items)) as run:
            for item in items:
                child = callback.branched(item.rpath, item.local)
                try:
                    transfer = get_transfer(self, item, child, close_child=True, precheck=precheck)
                except BaseException:
                    child.close()
                    raise
                if not run.submit(transfer):
                    child.close()
                    break

    # -- writing -----------------------------------------------------------------------------------

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Write ``value`` as the object at ``path`` (``mode="create"`` refuses an existing one),
        with ``content_type`` and user ``metadata`` if given (any other option is refused)."""
        content_type, metadata = _write_options("pipe_file", kwargs)
        if mode not in ("overwrite", "create"):
            raise ValidationError(f"mode must be 'overwrite' or 'create', not {mode!r}")
        path = self._strip_protocol(path)
        p = self._parse(path)
        branch = self._branch(p, create=True)
        try:
            with self._errors(path):
                if mode == "create":
                    with branch.open(
                        p.key, "xb", self.pre_signed, content_type=content_type, metadata=metadata
                    ) as f:
                        f.write(value)
                else:
                    branch.upload(bytes(value), p.key, content_type=content_type, metadata=metadata)
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
        refuses an existing object. ``content_type`` (else guessed from the name) and user
        ``metadata`` are stored with it. ``callback`` learns the size and then each chunk's
        bytes."""
        _write_options("put_file", kwargs)
        item = PutItem(lpath, rpath, callback, {"mode": mode, **kwargs})
        run: TransferRun | None = getattr(self._local, "put", None)
        if run is not None:  # inside put: its run takes the file
            self._submit_put(run, item)
        elif not os.path.isdir(lpath):
            with running(self, "put", None, files=1) as own:
                self._submit_put(own, item)

    def _submit_put(self, run: TransferRun, item: PutItem) -> None:
        if run.stopped:
            release(item.callback)
            raise _Stopped
        try:
            transfer = put_transfer(self, item)
        except BaseException:
            release(item.callback)
            raise
        if not run.submit(transfer):
            release(item.callback)

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
        with running(self, "put", callback) as run:
            self._local.put = run
            try:
                super().put(
                    lpath,
                    rpath,
                    recursive=recursive,
                    callback=Deferred(callback),
                    maxdepth=maxdepth,
                    **kwargs,
                )
            except _Stopped:
                pass  # the failure that stopped the run is raised as the run ends
            finally:
                self._local.put = None

    def copy(self, path1: Any, path2: Any, recursive: bool = False, **kwargs: Any) -> None:
        """Copy objects as fsspec names them (``cp_file`` each); the directories among them
        are known from the expansion's own listing."""
        with self._listed():
            super().copy(path1, path2, recursive=recursive, **kwargs)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy an object: on the server within a repository (across branches too), else
        streamed. A directory copies nothing (there are no empty directories). The copy keeps
        the source's content type and metadata: ``content_type=`` and ``metadata=`` are
        refused (write the object with them instead)."""
        carried = sorted(k for k in ("content_type", "metadata") if kwargs.get(k) is not None)
        if carried:
            raise ValidationError(
                f"cp_file keeps the source's content type and metadata: {', '.join(carried)} "
                "cannot be carried by a copy (pipe or put the object with them instead)"
            )
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        src, dst = self._parse(path1), self._parse(path2)
        seen: dict[str, dict[str, Any]] = getattr(self._local, "seen", None) or {}
        if not src.key or seen.get(path1, {}).get("type") == "directory":
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
            if self.isdir(path1):  # asked now, not from a cache
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
        prefix (compared as ``PREFIX/``), in requests of 1,000 paths. Every name the expansion
        gives is deleted as an object: a directory's name deletes nothing (an object of that
        name, if one appeared meanwhile), so no cached kind decides what is kept.

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
        """Create an empty object (``truncate=False`` leaves an existing one as it is: one
        request that creates it only if it is missing, decided by the server)."""
        if truncate:
            self.pipe_file(path, b"", **kwargs)
            return
        with contextlib.suppress(FileExistsError):
            self.pipe_file(path, b"", mode="create", **kwargs)

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
