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

Threads: every operation holds one lock, and nothing checks then reads. A listing asks for a
:meth:`ListingCache.ticket` before its request; an invalidation that concerns its path and comes
after the ticket makes :meth:`ListingCache.store` drop it: a write's invalidation always wins
over a listing that started before it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from lakefs._exceptions import ValidationError

__all__ = ["DEFAULT_LISTINGS_EXPIRY_TIME", "ListingCache", "check_expiry"]

DEFAULT_LISTINGS_EXPIRY_TIME = 5.0
"""Seconds a branch's listing is kept (s3fs and gcsfs keep theirs until invalidated)."""

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


@dataclass(frozen=True)
class Listing:
    """One cached listing.

    Attributes:
        entries: the entries (fsspec's dicts).
        stored: when it was stored (the cache's clock).
        pin: the commit it was taken at (None: a branch, a repository or the root).
    """

    entries: Entries
    stored: float
    pin: str | None


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

    def store(self, ticket: int, listings: Mapping[str, Entries], pin: str | None) -> None:
        """Keep ``listings`` (path to entries, taken at commit ``pin``, or None) unless an
        invalidation since ``ticket`` concerns them: those are dropped, not kept."""
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
