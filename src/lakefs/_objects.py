"""Values describing objects and changes: ``ObjectInfo``, ``CommonPrefix`` and ``Change``."""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import repeat
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, cast, overload

from lakefs import _validation as validate
from lakefs._client import Client, RequestTimeout
from lakefs._exceptions import NotFoundError, ValidationError
from lakefs._generated import operations as ops
from lakefs._resource import Resource
from lakefs.lib._io_stats import checksum_of as checksum_of
from lakefs.lib._io_stats import content_type_of as content_type_of
from lakefs.lib._io_stats import metadata_of as metadata_of
from lakefs.lib._io_stats import mtime_of as mtime_of
from lakefs.lib._io_stats import size_of as size_of

if TYPE_CHECKING:
    from typing_extensions import Self

    from lakefs._generated.reference import Reference
    from lakefs._generated.repository import Repository

__all__ = [
    "Change",
    "CommonPrefix",
    "ObjectInfo",
    "checksum_of",
    "content_type_of",
    "listed_stats",
    "metadata_of",
    "mtime_of",
    "object_entries",
    "object_entry",
    "size_of",
]


class AtReference(Protocol):
    """What a value needs of the reference it was read at (any Reference, Branch or Tag)."""

    repository_id: str
    id: str

    @property
    def _client(self) -> Client | None: ...


def _located(
    repository_id: object,
    reference_id: object,
    path: object,
    client: Client | None,
    check_path: Callable[[object, str], None] = validate.object_path,
) -> tuple[str, str, str, Client | None]:
    """The ids and the client of an object (or a prefix) given by ids or by resources.

    ``repository_id`` may be a ``Repository`` and ``reference_id`` a ``Reference`` (a Branch, a
    Tag): their ids are taken, and unless ``client`` is given, the reference's client, else the
    repository's. Anything else is a ``ValidationError`` here, before any request.
    """
    from lakefs._generated.reference import Reference
    from lakefs._generated.repository import Repository

    carried: list[Client | None] = []  # the clients of the resources given, reference first
    owner: str | None = None
    if isinstance(reference_id, Reference):
        carried.append(reference_id._client)
        owner, ref = reference_id.repository_id, reference_id.id
    elif isinstance(reference_id, str):
        ref = reference_id
    else:
        raise ValidationError(
            "reference_id must be a reference id (str) or a Reference, Branch or Tag, not "
            f"{type(reference_id).__name__} ({reference_id!r})"
        )
    if isinstance(repository_id, Repository):
        carried.append(repository_id._client)
        repo = repository_id.id
    elif isinstance(repository_id, str):
        repo = repository_id
    else:
        raise ValidationError(
            "repository_id must be a repository id (str) or a Repository, not "
            f"{type(repository_id).__name__} ({repository_id!r})"
        )
    if owner is not None and owner != repo:
        raise ValidationError(f"reference {ref!r} is in repository {owner!r}, not {repo!r}")
    validate.repository_id(repo, "repository_id")
    validate.ref_id(ref, "reference_id")
    check_path(path, "path")
    if client is None:
        client = next((c for c in carried if c is not None), None)
    return repo, ref, str(path), client


class _AtPath(Resource):
    """A path at a reference: what :class:`ObjectInfo` and :class:`CommonPrefix` share (their
    ids and client, equality, the head of their repr). ``_path_check`` checks ``path``."""

    __slots__ = ()
    repository_id: str
    reference_id: str
    path: str

    def __init__(
        self,
        repository_id: str | Repository,
        reference_id: str | Reference,
        path: str,
        client: Client | None = None,
    ) -> None:
        super().__init__(client)
        self.repository_id, self.reference_id, self.path, self._client = _located(
            repository_id, reference_id, path, client, type(self)._path_check
        )
        self._forget()

    def _forget(self) -> None:
        """Drop what is known of it beyond where it is (nothing here; an object's stats)."""

    @classmethod
    def _bare(cls, client: Client | None, repository_id: str, reference_id: str, path: str) -> Self:
        """One built from checked values (a listing's, the owner's): no check, no copy."""
        made = cls.__new__(cls)
        made._client = client
        made.repository_id = repository_id
        made.reference_id = reference_id
        made.path = path
        return made

    @staticmethod
    def _path_check(path: object, name: str) -> None:
        validate.object_path(path, name)

    def _where(self) -> str:
        return (
            f"{type(self).__name__}(repository_id={self.repository_id!r}, "
            f"reference_id={self.reference_id!r}, path={self.path!r}"
        )

    def _identity(self) -> tuple[str, ...]:
        return (self.repository_id, self.reference_id, self.path)


class ObjectInfo(_AtPath):
    """An object at a reference. ``path`` is known; the rest costs one stat (then cached), unless
    the object came from a listing or a stat, which already told it: ``modified_time``,
    ``size_bytes``, ``content_type``, ``metadata``, ``physical_address`` and ``checksum`` each
    answer from those stats, sending that one stat request only when they are not known yet.

    Args:
        repository_id: the repository: its id, or a ``Repository``.
        reference_id: the reference (commit, branch or tag) the object is read at: its id, or a
            ``Reference``, ``Branch`` or ``Tag`` (of that repository).
        path: the object's path.
        client: the client to use. When omitted: the client of the reference given as an
            object, else of the repository given as one, else the default client. An explicit
            ``client=`` always wins.

    Request options:
        timeout: the timeout of the request a method sends (None: the client's).
        extra_headers: headers added to that request.

    Raises:
        ValidationError: an argument of another type, an invalid id or an empty path, or a
            reference of another repository (no request is sent).

    Example:
        >>> lakefs.ObjectInfo(repo, repo.branch("main"), "a.csv").exists()  # doctest: +SKIP
    """

    __slots__ = ("_stats", "path", "reference_id", "repository_id")  # listings make thousands
    _stats: Mapping[str, Any] | None

    def _forget(self) -> None:
        self._stats = None

    @classmethod
    def from_stats(cls, owner: AtReference, stats: Mapping[str, Any]) -> ObjectInfo:
        """An ObjectInfo for ``stats`` (an ObjectStats JSON) read at ``owner`` (a Reference).

        Listings build thousands of these: the constructor's checks are skipped (the owner's
        values were checked already) and the parsed JSON is kept as it is, not copied.

        Args:
            owner: the reference the stats were read at.
            stats: the ObjectStats JSON, which the new ObjectInfo answers from.

        Returns:
            An ObjectInfo that sends no stat request.
        """
        info = cls._bare(owner._client, owner.repository_id, owner.id, stats["path"])
        info._stats = stats
        return info

    def _stat(
        self,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Mapping[str, Any]:
        if self._stats is None:
            data = self._request(
                ops.stat_object,
                self.repository_id,
                self.reference_id,
                path=self.path,
                timeout=timeout,
                extra_headers=extra_headers,
            )
            self._stats = dict(data)
        return self._stats

    def modified_time(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> datetime.datetime:
        """When the object was last written (timezone-aware, UTC).

        Returns:
            The modification time.

        Raises:
            NotFoundError: the object (or its repository or reference) does not exist.
        """
        return mtime_of(self._stat(timeout, extra_headers))

    def size_bytes(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> int:
        """The object's size in bytes.

        Returns:
            The size in bytes.

        Raises:
            NotFoundError: the object (or its repository or reference) does not exist.
        """
        return size_of(self._stat(timeout, extra_headers))

    def content_type(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str | None:
        """The object's content type.

        Returns:
            The content type, or None when it has none.

        Raises:
            NotFoundError: the object (or its repository or reference) does not exist.
        """
        return content_type_of(self._stat(timeout, extra_headers))

    def metadata(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The user metadata stored with the object.

        Returns:
            A copy of the metadata.

        Raises:
            NotFoundError: the object (or its repository or reference) does not exist.
        """
        return metadata_of(self._stat(timeout, extra_headers))

    def physical_address(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str:
        """Where the object's data lives in the object store.

        Returns:
            The physical address (a URI of the object store).

        Raises:
            NotFoundError: the object (or its repository or reference) does not exist.
        """
        return str(self._stat(timeout, extra_headers)["physical_address"])

    def checksum(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str:
        """The object's checksum (an MD5 hex digest or an ETag).

        Returns:
            The checksum.

        Raises:
            NotFoundError: the object (or its repository or reference) does not exist.
        """
        return checksum_of(self._stat(timeout, extra_headers))

    def exists(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Whether the object exists at its reference (always asks the server).

        Returns:
            True when it exists (its stats are then known), False when it does not.

        Raises:
            LakeFSError: the request failed otherwise than "not found"
                (``UnauthorizedError``, ``APIConnectionError``, ...).
        """
        try:
            self._forget()
            self._stat(timeout, extra_headers)
        except NotFoundError:
            return False
        return True

    def delete(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete the object (its reference must be a branch).

        Deleting an object that does not exist on an existing branch is no error.

        Raises:
            NotFoundError: the branch or the repository does not exist.
            ForbiddenError: the branch is protected, or the credentials may not delete.
        """
        self._request(
            ops.delete_object,
            self.repository_id,
            self.reference_id,
            path=self.path,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        self._forget()

    def __repr__(self) -> str:
        """Where the object is, and what is known of it (no request is sent).

        Returns:
            ``ObjectInfo(repository_id=..., reference_id=..., path=...)``, with ``size_bytes``,
            ``modified_time`` and ``checksum`` when a listing or a stat told them.
        """
        where = self._where()
        size, modified, checksum = self._known()
        if size is not None:
            where += f", size_bytes={size!r}"
        if modified is not None:
            where += f", modified_time={_iso(modified)!r}"
        if checksum is not None:
            where += f", checksum={checksum!r}"
        return where + ")"

    def _known(self) -> tuple[int | None, datetime.datetime | None, str | None]:
        """The size, modification time and checksum already known (None each when not; never
        a request, never an error, whatever the stats hold)."""
        stats = self._stats
        if stats is None:
            return None, None, None
        size: int | None = None
        modified: datetime.datetime | None = None
        checksum: str | None = None
        try:
            if isinstance(stats.get("size_bytes"), int):
                size = size_of(stats)
            if isinstance(stats.get("mtime"), (int, float)):
                modified = mtime_of(stats)
            if isinstance(stats.get("checksum"), str):
                checksum = checksum_of(stats)
        except (ValueError, OverflowError, OSError, TypeError):  # a time out of range
            pass
        return size, modified, checksum

    def _known_cells(self) -> tuple[str, str, str, str]:
        """The path, size, modification time and checksum known, as a table's texts."""
        size, modified, checksum = self._known()
        return (
            self.path,
            "" if size is None else f"{size:,}",
            "" if modified is None else modified.strftime("%Y-%m-%d %H:%M:%S"),
            checksum or "",
        )


class CommonPrefix(_AtPath):
    """A "directory" in a listing with a delimiter: the objects under ``path``.

    Args:
        repository_id: the repository: its id, or a ``Repository``.
        reference_id: the reference it was listed at: its id, or a ``Reference``, ``Branch`` or
            ``Tag``.
        path: the prefix, ending in the delimiter.
        client: the client to use; when omitted, as for :class:`ObjectInfo`.

    Request options:
        timeout: the timeout of the request ``exists`` sends (None: the client's).
        extra_headers: headers added to that request.

    Raises:
        ValidationError: as for :class:`ObjectInfo`.
    """

    @staticmethod
    def _path_check(path: object, name: str) -> None:
        validate.text(path, name)  # a prefix may be empty: the whole reference

    def exists(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Whether any object lies under the prefix (one request).

        Returns:
            True when at least one object is listed under it.

        Raises:
            NotFoundError: the repository or the reference does not exist.
        """
        data = self._request(
            ops.list_objects,
            self.repository_id,
            self.reference_id,
            prefix=self.path,
            amount=1,
            timeout=None,
            extra_headers=None,
        )
        return bool(data["results"])

    def __repr__(self) -> str:
        """Where the prefix is (no request is sent).

        Returns:
            ``CommonPrefix(repository_id=..., reference_id=..., path=...)``.
        """
        return self._where() + ")"


def object_entry(owner: AtReference, stats: Mapping[str, Any]) -> ObjectInfo | CommonPrefix:
    """A listing entry: an ObjectInfo, or a CommonPrefix for ``path_type == "common_prefix"``.

    Args:
        owner: the reference it was listed at.
        stats: the entry's ObjectStats JSON.

    Returns:
        The entry (no request is sent).
    """
    if stats.get("path_type") == "common_prefix":
        return CommonPrefix._bare(owner._client, owner.repository_id, owner.id, stats["path"])
    return ObjectInfo.from_stats(owner, stats)


class Change(NamedTuple):
    """One difference between two references, or an uncommitted change on a branch.

    A paginator of changes (``diff()``, ``list_uncommitted()``) shows as a table in a notebook.

    Attributes:
        type: ``"added"``, ``"removed"``, ``"changed"``, ``"conflict"`` or
            ``"prefix_changed"``.
        path: the object's path (or the prefix's, for a ``"common_prefix"``).
        path_type: ``"object"`` or ``"common_prefix"``.
        size_bytes: the object's size, when lakeFS says it.
    """

    type: Literal["added", "removed", "changed", "conflict", "prefix_changed"]
    path: str
    path_type: Literal["common_prefix", "object"]
    size_bytes: int | None

    @classmethod
    def from_diff(cls, owner: object, diff: Mapping[str, Any]) -> Change:
        """A Change from a Diff JSON.

        Args:
            owner: the reference diffed (unused: a change stands alone).
            diff: the Diff JSON.

        Returns:
            The change.
        """
        return cls(diff["type"], diff["path"], diff["path_type"], diff.get("size_bytes"))


class _Entries(Sequence["ObjectInfo | CommonPrefix"]):
    """A listing page's entries, built one by one as they are read.

    Building all of a page at once keeps a thousand fresh objects alive together, and Python's
    garbage collector then walks them again and again: built on demand, each entry usually dies
    before a collection sees it. Listings of many objects run a fifth faster this way.
    """

    __slots__ = ("_owner", "_results")

    def __init__(self, owner: AtReference, results: Sequence[Mapping[str, Any]]) -> None:
        self._owner = owner
        self._results = results

    def __len__(self) -> int:
        return len(self._results)

    @overload
    def __getitem__(self, index: int) -> ObjectInfo | CommonPrefix: ...

    @overload
    def __getitem__(self, index: slice) -> _Entries: ...

    def __getitem__(self, index: int | slice) -> ObjectInfo | CommonPrefix | _Entries:
        if isinstance(index, slice):
            return _Entries(self._owner, self._results[index])
        return object_entry(self._owner, self._results[index])

    def __iter__(self) -> Iterator[ObjectInfo | CommonPrefix]:
        owner = self._owner
        client, repository_id, reference_id = owner._client, owner.repository_id, owner.id
        bare = ObjectInfo._bare
        for stats in self._results:
            if stats.get("path_type") == "common_prefix":
                yield CommonPrefix._bare(client, repository_id, reference_id, stats["path"])
                continue
            info = bare(client, repository_id, reference_id, stats["path"])
            info._stats = stats
            yield info


def object_entries(owner: AtReference, results: Sequence[Mapping[str, Any]]) -> _Entries:
    """A listing page's entries (built lazily, see :class:`_Entries`).

    Args:
        owner: the reference listed.
        results: the page's ObjectStats JSONs.

    Returns:
        A sequence building each entry when it is read.
    """
    return _Entries(owner, results)


def listed_stats(items: Sequence[ObjectInfo | CommonPrefix]) -> Sequence[Mapping[str, Any]]:
    """The ObjectStats JSON of each object of a listing page, as read (its prefixes left
    out), without building an ObjectInfo per object: what ``lakefs://`` listings read by the
    thousand.

    Args:
        items: a listing page's items.

    Returns:
        The ObjectStats JSON of each object.
    """
    if isinstance(items, _Entries):
        results = items._results
        try:  # dict's own get, mapped: a third of a call each
            dicts = cast("Sequence[dict[str, Any]]", results)
            prefixes = "common_prefix" in map(dict.get, dicts, repeat("path_type"))
        except TypeError:  # mappings of another type
            prefixes = "common_prefix" in map(_PATH_TYPE, results)
        if prefixes:
            return [r for r in results if r.get("path_type") != "common_prefix"]
        return results
    return [item._stat() for item in items if isinstance(item, ObjectInfo)]


_PATH_TYPE = operator.methodcaller("get", "path_type")


def _iso(moment: datetime.datetime) -> str:
    """``2024-05-01T12:00:00Z``: a UTC time as a repr shows it."""
    text = moment.astimezone(datetime.timezone.utc).isoformat()
    return text.removesuffix("+00:00") + "Z"
