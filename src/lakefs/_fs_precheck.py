"""What a ``put``'s destinations hold already, for its ``precheck``: one listing a directory,
read as far as the files asked need, instead of a stat per file.

fsspec's ``put`` names its files in sorted order, so each directory's listing is walked once,
front to back, beside them, holding one entry a directory. A file asked out of that order, or
one the listing would need more pages to reach than files were asked in its directory (a few
files put into a directory of millions), is stat-ed instead: a directory costs at most one
request more than a stat per file would, and one a thousand files when a folder is put again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

from lakefs._exceptions import NotFoundError
from lakefs._objects import ObjectInfo
from lakefs._pagination import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from lakefs._generated.reference import Reference

__all__ = ["Stored", "stat_or_none"]


@dataclass
class _Directory:
    """One directory's listing, walked in order: every entry before ``frontier`` is dropped,
    ``head`` is the first one read at or after it."""

    entries: Iterator[Any]
    head: ObjectInfo | None = None
    frontier: str = ""
    asked: int = 0  # keys looked up
    read: int = 0  # entries read (a request each MAX_PAGE_SIZE)
    stats: int = 0  # keys stat-ed instead
    done: bool = False

    def stat(self, branch: Reference, key: str) -> Mapping[str, Any] | None:
        self.stats += 1
        return stat_or_none(branch, key)

    def may_read_on(self) -> bool:
        """Whether the next entry may be read: within the page already asked for, or a new
        page keeps this directory's requests (pages and stats) within one a key asked (and
        the key may still need its stat: one more)."""
        pages = -(-self.read // MAX_PAGE_SIZE)
        return self.read % MAX_PAGE_SIZE != 0 or pages + self.stats < self.asked


class Stored:
    """The objects at a ``put``'s destinations, looked up key by key, in the one thread
    that names the files.

    Example:
        >>> stored = Stored()
        >>> stored.lookup(branch, "data/a.csv")  # doctest: +SKIP
        {'path': 'data/a.csv', 'size_bytes': 5, 'checksum': '...', ...}
    """

    def __init__(self) -> None:
        self._directories: dict[tuple[str, str, str], _Directory] = {}
        self._absent: set[tuple[str, str, str]] = set()

    def nothing_at(self, repository: str, ref: str, key: str) -> None:
        """Record that ``repository``'s ``ref`` held nothing at ``key``, neither an object nor
        one under ``key/`` (a ``put``'s destination, found absent as fsspec asked about it):
        a lookup there then answers None without a request. An object written meanwhile by
        another client is overwritten, as ``put`` writes over what is there anyway."""
        self._absent.add((repository, ref, key))

    def lookup(self, branch: Reference, key: str) -> Mapping[str, Any] | None:
        """The stats of the object ``key`` on ``branch`` as lakeFS answers them (None: there
        is no such object).

        Raises:
            LakeFSError: the listing or the stat failed (as itself).
        """
        if self._absent and self._under_absent(branch, key):
            return None
        parent = key[: key.rfind("/") + 1]
        where = (branch.repository_id, branch.id, parent)
        at = self._directories.get(where)
        if at is None:
            listed = branch.list_objects(prefix=parent, delimiter="/")
            # Each page only when reached: a lookup may stop anywhere (no pages ahead).
            at = _Directory(chain.from_iterable(page.items for page in listed.pages()))
            self._directories[where] = at
        at.asked += 1
        if key < at.frontier:  # asked out of order: that part of the listing is gone
            return at.stat(branch, key)
        while not at.done and (at.head is None or at.head.path < key):
            if not at.may_read_on():  # reading on would cost more than a stat
                return at.stat(branch, key)
            entry = next(at.entries, None)
            at.read += 1
            if entry is None:
                at.done, at.head = True, None
            elif isinstance(entry, ObjectInfo):
                at.head = entry
        at.frontier = key
        if at.head is not None and at.head.path == key:
            return at.head._stat()
        return None

    def _under_absent(self, branch: Reference, key: str) -> bool:
        return any(
            repository == branch.repository_id
            and ref == branch.id
            and (key == at or key.startswith(at + "/"))
            for repository, ref, at in self._absent
        )


def stat_or_none(branch: Reference, key: str) -> Mapping[str, Any] | None:
    """The stats of the object ``key`` on ``branch`` (None: there is none)."""
    try:
        return branch.stat_object(key)._stat()
    except NotFoundError:
        return None
