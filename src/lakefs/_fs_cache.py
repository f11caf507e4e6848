"""The listing cache of ``lakefs://`` (``LakeFSFileSystem.dircache``): what it keeps, for how
long, and why a write's invalidation always wins.

What may be stale, and for how long:

* a listing of a **branch** (and of a repository, which lists its branches and tags, and of the
  root, which lists the repositories) is kept ``listings_expiry_time`` seconds
  (:data:`DEFAULT_LISTINGS_EXPIRY_TIME` by default; ``None``: until invalidated), then listed
  again. Writes through the same filesystem invalidate it at once; writes by anyone else are
  seen once it expires, or at once with ``refresh=True`` or ``invalidate_cache()``;
* a listing of a **commit** is *pinned*: it was taken at that commit, and a commit never
  changes. A commit id's listings are kept until invalidated; a tag's or an expression's
  (``main~1``) are kept while the reference still resolves to the same commit, which is asked
  again once ``listings_expiry_time`` has passed (a tag deleted and created again elsewhere,
  ``main~1`` after a commit to main).

The cache answers listings (``ls``) only. What moves or removes data never takes a size, a
range or an existence from it (see :class:`~lakefs.fs.LakeFSFileSystem`).

Memory: the listings ``find`` fills (every directory below its path, from one flat listing) are
kept in columns (:class:`Rows`): per object its name below its directory and its checksum as
strings, plus about 40 bytes (size, mtime, a shared content type, the list slots); metadata only
for the objects that have some. That is about 0.19 KiB an object for 40-character paths with
MD5 checksums (19 MiB for 100,000), against 0.62 KiB as fsspec's dicts. The dicts are built on
each read of a listing (``ls``), and not kept.

Threads: every operation holds one lock, and nothing checks then reads. A listing asks for a
:meth:`ListingCache.ticket` before its request; an invalidation that concerns its path and comes
after the ticket makes :meth:`ListingCache.store` drop it: a write's invalidation always wins
over a listing that started before it.
"""

from __future__ import annotations

import contextlib
import datetime
import operator
import struct
import threading
import time
from array import array
from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping, MutableMapping, MutableSequence, Sequence
from itertools import repeat
from typing import Any, ClassVar, cast

from lakefs._exceptions import ValidationError

__all__ = ["DEFAULT_LISTINGS_EXPIRY_TIME", "Listing", "ListingCache", "Rows", "check_expiry"]

DEFAULT_LISTINGS_EXPIRY_TIME = 5.0
"""Seconds a branch's listing is kept (s3fs and gcsfs keep theirs until invalidated)."""

_SIZE = operator.itemgetter("size_bytes")
_MTIME = operator.itemgetter("mtime")
_CHECKSUM = operator.itemgetter("checksum")
_CONTENT_TYPE = operator.methodcaller("get", "content_type")
_METADATA = operator.methodcaller("get", "metadata")

_RECORDS = 4096  # invalidations remembered for listings in flight (older: the listing is dropped)

Entries = list[dict[str, Any]]


def _now() -> float:
    """The cache's clock (tests replace it)."""
    return time.monotonic()


def check_expiry(value: object) -> float | None:
    """``listings_expiry_time`` as seconds (None: never), or a :class:`ValidationError`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValidationError(f"listings_expiry_time must be None or seconds >= 0, not {value!r}")
    return float(value)


class Rows:
    """One directory's entries from a flat listing (``find``), kept in columns rather than as
    one dict per object: about 0.2 KiB an object instead of 0.6, and no container per object
    for the garbage collector to walk. :attr:`Listing.entries` builds fsspec's dicts from them
    on each read (the same dicts a listing of the directory answers).

    Args:
        directory: the directory's path (stripped); the entries are below it.
    """

    __slots__ = (
        "_checksums",
        "_dirs",
        "_metadata",
        "_mtimes",
        "_names",
        "_sizes",
        "_types",
        "directory",
    )
    _kinds: ClassVar[dict[Any, Any]] = {}  # content types, one string each

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._names: list[str] = []  # the files' names below the directory, in listing order
        self._sizes: MutableSequence[Any] = array("q")
        self._mtimes: MutableSequence[Any] = array("q")
        self._checksums: list[Any] = []
        self._types: list[Any] = []
        self._metadata: dict[int, dict[str, str]] = {}  # only the files that have some
        self._dirs: list[str] = []  # the subdirectories' names

    def add_files(self, shorts: Sequence[str], stats: Sequence[Mapping[str, Any]]) -> None:
        """Objects in the directory: their names below it and their ObjectStats JSON (the
        values :func:`lakefs._fs_listings.file_entry` reads), a page's run at a time. (A
        missing field raises, leaving these rows half-filled: the listing is then dropped.)"""
        first = len(self._names)
        try:  # dict's own get, mapped: a third of a call each
            dicts = cast("Sequence[dict[str, Any]]", stats)
            kinds = list(map(dict.get, dicts, repeat("content_type")))
            some_metadata = any(map(dict.get, dicts, repeat("metadata")))
        except TypeError:  # mappings of another type
            kinds = list(map(_CONTENT_TYPE, stats))
            some_metadata = any(map(_METADATA, stats))
        if some_metadata:
            for i, one in enumerate(stats):
                if metadata := one.get("metadata"):
                    self._metadata[first + i] = dict(metadata)
        self._names.extend(shorts)
        try:
            self._sizes = _extended(self._sizes, map(_SIZE, stats))
        except (KeyError, TypeError):  # a size missing or null
            sizes = (int(one.get("size_bytes") or 0) for one in stats)
            self._sizes = _extended(self._sizes, sizes)
        self._mtimes = _extended(self._mtimes, map(_MTIME, stats))
        self._checksums.extend(map(_CHECKSUM, stats))
        table = self._kinds
        self._types.extend(map(table.setdefault, kinds, kinds) if len(table) < 256 else kinds)

    def add_dir(self, short: str) -> None:
        """A subdirectory named ``short``."""
        self._dirs.append(short)

    def __len__(self) -> int:
        return len(self._names) + len(self._dirs)

    def _file(self, i: int) -> dict[str, Any]:
        return {
            "name": f"{self.directory}/{self._names[i]}",
            "size": int(self._sizes[i]),
            "type": "file",
            "mtime": datetime.datetime.fromtimestamp(self._mtimes[i], tz=datetime.timezone.utc),
            "checksum": str(self._checksums[i]),
            "content_type": str(kind) if (kind := self._types[i]) else None,
            "metadata": dict(self._metadata.get(i, ())),
        }

    def _dir(self, short: str) -> dict[str, Any]:
        return {"name": f"{self.directory}/{short}", "size": 0, "type": "directory"}

    def entries(self) -> Entries:
        """The directory's entries, by name: new dicts on each call."""
        out = [self._file(i) for i in range(len(self._names))]
        if self._dirs:
            out.extend(self._dir(short) for short in self._dirs)
            out.sort(key=lambda entry: str(entry["name"]))
        return out

    def entry(self, name: str) -> dict[str, Any] | None:
        """The entry named ``name`` (None: not in this directory)."""
        directory, _, short = name.rpartition("/")
        if directory != self.directory:
            return None
        with contextlib.suppress(ValueError):
            return self._file(self._names.index(short))
        return self._dir(short) if short in self._dirs else None


def _extended(column: MutableSequence[Any], values: Iterator[Any]) -> MutableSequence[Any]:
    """``column`` extended with all of ``values`` or (one of them no number: TypeError) none:
    64-bit ints in an array, other numbers in a list (the column turned into one)."""
    more = list(values)
    if isinstance(column, array):
        try:  # packed at once: an array converts each value with a parse of its own
            column.frombytes(struct.pack(f"{len(more)}q", *more))
        except struct.error:  # not all 64-bit ints
            column = list(column)
        else:
            return column
    if not all(isinstance(value, (int, float)) for value in more):
        raise TypeError("a listing's size or time that is no number")
    column.extend(more)
    return column


class Listing:
    """One cached listing.

    Attributes:
        stored: when it was stored (the cache's clock).
        pin: the commit it was taken at (None: a branch, a repository or the root).
    """

    __slots__ = ("_kept", "pin", "stored")

    def __init__(self, kept: Entries | Rows, stored: float, pin: str | None) -> None:
        self._kept = kept
        self.stored = stored
        self.pin = pin

    @property
    def entries(self) -> Entries:
        """The entries (fsspec's dicts)."""
        kept = self._kept
        return kept if isinstance(kept, list) else kept.entries()

    def entry(self, name: str) -> dict[str, Any] | None:
        """The entry named ``name`` (None: none in this listing)."""
        kept = self._kept
        if isinstance(kept, Rows):
            return kept.entry(name)
        return next((entry for entry in kept if entry["name"] == name), None)


def _under(path: str, top: str) -> bool:
    """Whether ``path`` is ``top`` or below it (everything is below the root, ``""``)."""
    return not top or path == top or path.startswith(f"{top}/")


class ListingCache(MutableMapping[str, Entries]):
    """Listings by path (``REPOSITORY/REF/PREFIX``, stripped), thread-safe (see the module).

    Takes fsspec's ``DirCache`` options, with another default expiry.

    Args:
        use_listings_cache: keep listings at all.
        listings_expiry_time: seconds a branch's listing is kept (None: until invalidated).
        max_paths: keep at most this many listings (the least recently used go first).
    """

    def __init__(
        self,
        use_listings_cache: bool = True,
        listings_expiry_time: float | None = DEFAULT_LISTINGS_EXPIRY_TIME,
        max_paths: int | None = None,
        **_: Any,
    ) -> None:
        self.use_listings_cache = bool(use_listings_cache)
        self.listings_expiry_time = check_expiry(listings_expiry_time)
        self.max_paths = max_paths or None
        self._lock = threading.Lock()
        self._listings: OrderedDict[str, Listing] = OrderedDict()
        self._epoch = 0  # invalidations so far
        self._records: deque[tuple[int, str]] = deque(maxlen=_RECORDS)

    # -- what lakefs.fs uses -----------------------------------------------------------------

    def ticket(self) -> int:
        """Taken before a listing's request; :meth:`store` takes it back."""
        with self._lock:
            return self._epoch

    def listing(self, path: str) -> Listing | None:
        """``path``'s listing if one is kept and still valid: a pinned one whatever its age
        (the caller checks the pin against what the reference resolves to now)."""
        with self._lock:
            listing = self._listings.get(path)
            if listing is None:
                return None
            if listing.pin is None and self._expired(listing):
                del self._listings[path]
                return None
            self._listings.move_to_end(path)
            return listing

    def store(self, ticket: int, listings: Mapping[str, Entries | Rows], pin: str | None) -> None:
        """Keep ``listings`` (path to entries, or to a flat listing's :class:`Rows`, taken at
        commit ``pin``, or None) unless an invalidation since ``ticket`` concerns them: those
        are dropped, not kept."""
        if not self.use_listings_cache or not listings:
            return
        with self._lock:
            since = self._epoch - ticket
            records = [p for epoch, p in self._records if epoch > ticket] if since else []
            if len(records) < since:
                return  # more invalidations than remembered: keep nothing of this listing
            now = _now()
            for path, entries in listings.items():
                if any(_under(path, p) or _under(p, path) for p in records):
                    continue
                self._listings[path] = Listing(entries, now, pin)
                self._listings.move_to_end(path)
            while self.max_paths is not None and len(self._listings) > self.max_paths:
                self._listings.popitem(last=False)

    def invalidate(self, path: str | None = None) -> None:
        """Forget every listing (``None``), or those of ``path``, below it and above it."""
        with self._lock:
            self._epoch += 1
            self._records.append((self._epoch, "" if path is None else path))
            if not path:
                self._listings.clear()
                return
            for key in [k for k in self._listings if _under(k, path) or _under(path, k)]:
                del self._listings[key]

    def _expired(self, listing: Listing) -> bool:
        expiry = self.listings_expiry_time
        return expiry is not None and _now() - listing.stored > expiry

    # -- fsspec's DirCache interface ---------------------------------------------------------

    def __getitem__(self, path: str) -> Entries:
        listing = self.listing(path)
        if listing is None:
            raise KeyError(path)
        return listing.entries

    def __setitem__(self, path: str, entries: Entries) -> None:
        self.store(self.ticket(), {path: entries}, None)

    def __delitem__(self, path: str) -> None:
        with self._lock:
            if self._listings.pop(path, None) is None:
                raise KeyError(path)

    def pop(self, path: str, *default: Any) -> Any:
        """Remove and return ``path``'s entries (in one step: no other thread in between)."""
        with self._lock:
            listing = self._listings.pop(path, None)
        if listing is not None:
            return listing.entries
        if default:
            return default[0]
        raise KeyError(path)

    def clear(self) -> None:
        """Forget every listing."""
        self.invalidate(None)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            paths = [
                p
                for p, listing in self._listings.items()
                if listing.pin or not self._expired(listing)
            ]
        return iter(paths)

    def __len__(self) -> int:
        return len(list(iter(self)))

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self.listing(path) is not None

    def __reduce__(self) -> tuple[Any, ...]:
        return (ListingCache, (self.use_listings_cache, self.listings_expiry_time, self.max_paths))

    def __repr__(self) -> str:
        expiry = (
            "never" if self.listings_expiry_time is None else f"{self.listings_expiry_time:g} s"
        )
        return f"<ListingCache: {len(self)} listings, branches expire after {expiry}>"
