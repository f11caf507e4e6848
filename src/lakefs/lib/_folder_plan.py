"""The planner of folder transfers: what to upload or download, what to delete, what fails.

It walks the local tree and lists the objects under the prefix *together*, both in the same
(byte-wise) order, so that memory stays bounded whatever the folder's size: one directory's
names at a time, one listing page. Each name found on either side becomes at most one value
(:class:`Upload`, :class:`Download`, :class:`Delete` or :class:`Fail`), produced lazily for
the executor (``lakefs.lib.folders``); names that need nothing produce none. The planners
(:func:`plan_upload`, :func:`plan_download`) take the two sides as iterables and do no I/O of
their own: given lists, they are plain functions of their input.

What counts as a local counterpart of an object (which ``delete=True`` never deletes): any
entry of that name (a file, a directory for its marker object ``name/``, a FIFO, a socket, a
symbolic link, an entry that cannot be read), and anything below a symbolic link or an
unreadable directory (whose contents are not looked at). Only objects with none are deleted.

Ordering rules (what the plan's correctness rests on; each is tested in
``tests/test_folder_plan.py``):

1. **One order.** Both sides come in increasing order of the key's bytes (UTF-8; a name that
   is not UTF-8 by its surrogate-escaped bytes): lakeFS's listing order. :func:`walk` keeps it
   by sorting each directory's names, a directory's with its trailing ``/`` (``a-b`` <
   ``a/`` < ``a0``), so that its depth-first walk is sorted as a whole. Each side is checked
   as it comes: a key not greater than the one before stops the plan (``LakeFSError``).
2. **Missing means passed.** A key is taken as missing on one side only once that side has
   passed it (its next key is greater, or it ended). With rule 1, nothing is taken as missing
   from a side out of order: the values yielded before the error were decided on keys both
   sides had passed in order, and stand.
3. **One value per key, in key order, lazily.** An object listed outside the prefix is a
   :class:`Fail` as soon as the listing returned it, before the next value.
4. **Shelters come first.** A symbolic link ``name``, or an unreadable directory ``name/``,
   shelters every key below ``name/`` from deletion: it is met before any of them (``name`` <
   ``name/...``), and forgotten once the keys passed ``name/``.
5. **Failures before filters.** A local entry that cannot be read or named fails whatever
   ``include``/``exclude`` say; everything else must pass them. An upload never makes a value
   of the prefix's own marker object (the key ``""``: its counterpart is the folder itself); a
   download skips empty directory markers (the key ``""``, a key ending in ``/``).

And how the executor carries the plan out (``lakefs.lib.folders``), which rule 3 allows:

6. **Started in plan order.** Uploads and downloads run on workers, in any order of
   completion (each its own name). A download's local :class:`Delete` is done in the
   planner's thread before the next value starts (a file ``a`` removed before a download of
   ``a/b`` makes the directory). An upload's object deletes go in batches (at most 1,000
   paths a request), sent when a batch is full and at the end.
7. **Skipping is the worker's.** Whether a file is unchanged takes its bytes (hashing), so it
   is no plan value: an :class:`Upload` with :attr:`~Upload.compare`, or a
   :class:`Download` when ``skip_unchanged``, is compared on its worker first, and counted
   skipped when unchanged.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lakefs import _validation as validate
from lakefs._exceptions import APIResponseError, LakeFSError, ValidationError
from lakefs.lib._folder_args import Filter
from lakefs.lib._transfers import shown

__all__ = [
    "Action",
    "Delete",
    "Download",
    "Entry",
    "Fail",
    "Upload",
    "key_bytes",
    "plan_download",
    "plan_upload",
    "walk",
]


# -- the local tree --------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One entry of the local tree.

    Attributes:
        kind: ``"file"`` (a regular file, or a link to one inside the folder), ``"dir"`` or
            ``"other"`` (a FIFO, a socket, a device, a link to a directory: not transferred).
        path: its path.
        size: a file's size when walked.
        inside: a file's path below the folder to open: its own, or a link's target's.
        link: whether it is a symbolic link (nothing below its name is deleted).
    """

    kind: Literal["file", "dir", "other"]
    path: Path
    size: int = 0
    inside: str = ""
    link: bool = False


def key_bytes(key: str) -> bytes:
    """A key as the bytes lakeFS orders listings by (names that are not UTF-8 as they are)."""
    return key.encode("utf-8", "surrogateescape")


def walk(
    root: Path,
    *,
    dirs: bool = False,
    skip: re.Pattern[str] | None = None,
    rel: str = "",
    top: Path | None = None,
) -> Iterator[tuple[str, Entry | Exception]]:
    """Every entry below ``root`` as (relative POSIX path, entry), in the byte order of the
    relative paths as UTF-8 (lakeFS's listing order): a directory's entries are sorted by their
    name's bytes, a directory's name taken with its trailing ``/``.

    Files always come; directories (their name with its ``/``) and entries that are neither
    only with ``dirs``. Names matching ``skip`` are left out. A symbolic link to a file is a
    file when the file lies inside the folder, an error otherwise; links to directories are not
    followed. A name that is not valid UTF-8, or a directory that cannot be read, comes as an
    error (the directory's with its trailing ``/``).
    """
    top = top or root.resolve()
    try:
        with os.scandir(root) as it:
            entries = []
            for entry in it:
                if skip is not None and skip.fullmatch(entry.name):
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                entries.append((entry.name + "/" if is_dir else entry.name, entry, is_dir))
    except FileNotFoundError:
        return
    except OSError as exc:  # unreadable: its objects must not look deleted
        yield rel, exc
        return
    entries.sort(key=lambda e: key_bytes(e[0]))
    for key, entry, is_dir in entries:
        name = rel + key
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            problem = f"{os.fsencode(root / entry.name)!r}: the name is not valid UTF-8"
            yield name, ValidationError(problem)
            continue
        if is_dir:
            if dirs:
                yield name, Entry("dir", Path(entry.path))
            yield from walk(Path(entry.path), dirs=dirs, skip=skip, rel=name, top=top)
            continue
        found = _file(entry, name, top)
        if isinstance(found, Exception) or found.kind == "file" or dirs:
            yield name, found


def _file(entry: os.DirEntry[str], name: str, top: Path) -> Entry | Exception:
    path = Path(entry.path)
    link = False
    try:
        link = entry.is_symlink()
        st = entry.stat()  # follows a symbolic link
        target = path.resolve() if link else None
    except OSError as exc:
        if link:
            return _LinkError(exc)
        return exc
    if target is not None and not target.is_relative_to(top):
        if stat.S_ISDIR(st.st_mode):
            return Entry("other", path, link=True)  # not followed, out of the folder or not
        return _LinkError(ValidationError(f"{entry.path}: a symbolic link out of the folder"))
    if not stat.S_ISREG(st.st_mode):
        return Entry("other", path, link=link)
    inside = target.relative_to(top).as_posix() if target is not None else name
    return Entry("file", path, st.st_size, inside, link)


class _LinkError(Exception):
    """A symbolic link's failure: ``error`` is the file's failure, and the link shelters the
    objects below its name."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


# -- the two trees, in one order ---------------------------------------------------------------


def _merge(
    local: Iterator[tuple[str, Any]], remote: Iterator[tuple[str, Any]]
) -> Iterator[tuple[str, Any, Any]]:
    """Join two iterators sorted by key bytes: (key, local or None, remote or None).

    Raises:
        LakeFSError: a side is out of order (then nothing may be taken as missing).
    """
    local, remote = _ordered(local, "the local folder"), _ordered(remote, "lakeFS's listing")
    missing = object()
    lk: Any = missing
    rk: Any = missing
    lv: Any = None
    rv: Any = None
    while True:
        if lk is missing:
            lk, lv = next(local, (None, None))
        if rk is missing:
            rk, rv = next(remote, (None, None))
        if lk is None and rk is None:
            return
        if rk is None or (lk is not None and key_bytes(lk) < key_bytes(rk)):
            yield lk, lv, None
            lk = missing
        elif lk is None or key_bytes(rk) < key_bytes(lk):
            yield rk, None, rv
            rk = missing
        else:
            yield lk, lv, rv
            lk = rk = missing


def _ordered(items: Iterator[tuple[str, Any]], what: str) -> Iterator[tuple[str, Any]]:
    """``items``, checked to come in increasing key order."""
    last: bytes | None = None
    for key, value in items:
        here = key_bytes(key)
        if last is not None and here <= last:
            raise LakeFSError(
                f"{what} is not in byte order at {shown(key)!r}: stopped before deciding what "
                "is missing on either side"
            )
        last = here
        yield key, value


class _Sheltered:
    """Prefixes below which nothing is deleted (a link's name, an unreadable directory), for
    keys that come in increasing byte order: a prefix is dropped once the keys passed it."""

    def __init__(self) -> None:
        self._prefixes: list[bytes] = []

    def add(self, prefix: str) -> None:
        self._prefixes.append(key_bytes(prefix))

    def __contains__(self, key: str) -> bool:
        here = key_bytes(key)
        self._prefixes = [p for p in self._prefixes if here[: len(p)] <= p]
        return any(here.startswith(p) for p in self._prefixes)


# -- the plan's values -----------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """Upload the local file ``local`` to the key ``rel`` below the prefix; ``compare``: the
    object it replaces, to compare with first (None: send it without comparing)."""

    rel: str
    local: Entry
    compare: Any = None  # ObjectInfo | None

    @property
    def size(self) -> int:
        """The bytes it should move."""
        return self.local.size


@dataclass(frozen=True)
class Download:
    """Download the object ``stored`` (an ObjectInfo) to the local file ``rel``."""

    rel: str
    stored: Any

    @property
    def size(self) -> int:
        """The bytes it should move."""
        return int(self.stored.size_bytes())


@dataclass(frozen=True)
class Delete:
    """Remove the object ``key`` (an upload's mirror) or the local file ``rel`` (a
    download's: ``key`` is empty)."""

    rel: str
    key: str = ""


@dataclass(frozen=True)
class Fail:
    """A name that fails without a transfer: ``error`` says why."""

    rel: str
    error: Exception


Action = Upload | Download | Delete | Fail


class _Below:
    """The ``objects`` listed under ``prefix`` (anything with a ``path``) as (key below the
    prefix, object), as they come; one that is not below the prefix is kept aside as a
    :class:`Fail` (never a name to map or to delete), for :meth:`failed`."""

    def __init__(self, objects: Iterable[Any], prefix: str) -> None:
        self._objects = objects
        self._prefix = prefix
        self._failed: list[Fail] = []

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        prefix = self._prefix
        for entry in self._objects:
            if not entry.path.startswith(prefix):
                error = APIResponseError(
                    f"lakeFS listed {shown(entry.path)!r} under the prefix {prefix!r}, which it "
                    "is not below: left alone"
                )
                self._failed.append(Fail(entry.path, error))
                continue
            yield entry.path[len(prefix) :], entry

    def failed(self) -> Iterator[Fail]:
        """The objects set aside since the last call (rule 3: at once)."""
        while self._failed:
            yield self._failed.pop(0)


def plan_upload(
    local: Iterable[tuple[str, Entry | Exception]],
    objects: Iterable[Any],
    *,
    prefix: str,
    keep: Filter,
    compare: bool,
    delete: bool,
) -> Iterator[Action]:
    """The plan of ``upload_folder`` (rules in the module): an :class:`Upload` per local file
    passing ``keep`` (with the object it replaces when ``compare``), a :class:`Delete` per
    object passing ``keep`` with no local counterpart when ``delete``, a :class:`Fail` per
    entry that cannot be read or named.

    Args:
        local: the local tree, as :func:`walk` gives it with ``dirs=True``.
        objects: the objects listed under ``prefix``, in listing order (pass none when
            neither ``compare`` nor ``delete``: nothing is then asked of the listing).

    Raises:
        LakeFSError: a side is out of order (before anything is taken as missing).
    """
    below = _Below(objects, prefix)
    sheltered = _Sheltered()
    for rel, here, stored in _merge(iter(local), iter(below)):
        yield from below.failed()
        if isinstance(here, Exception):
            if isinstance(here, _LinkError):
                sheltered.add(rel + "/")
                here = here.error
            elif rel.endswith("/"):
                sheltered.add(rel)  # an unreadable directory
            yield Fail(rel, here)
            continue
        if here is not None and here.link:
            sheltered.add(rel + "/")
        if not keep(rel) or not rel:
            continue  # "": the prefix's own marker object, whose counterpart is the folder
        if here is None:
            if delete and rel not in sheltered:
                yield Delete(rel, stored.path)
        elif here.kind == "file":
            yield _upload(prefix, rel, here, stored if compare else None)
    yield from below.failed()


def _upload(prefix: str, rel: str, here: Entry, compare: Any) -> Upload | Fail:
    try:
        validate.object_path(prefix + rel, "path")
    except ValidationError as exc:
        return Fail(rel, exc)
    return Upload(rel, here, compare)


def plan_download(
    local: Iterable[tuple[str, Entry | Exception]],
    objects: Iterable[Any],
    *,
    prefix: str,
    keep: Filter,
    delete: bool,
) -> Iterator[Action]:
    """The plan of ``download_folder`` (rules in the module): a :class:`Download` per object
    passing ``keep`` (but directory markers), a :class:`Delete` per local regular file
    passing ``keep`` with no object when ``delete`` (never a link), a :class:`Fail` per
    object listed outside the prefix.

    Args:
        local: the local files, as :func:`walk` gives them, without this run's temporary
            files (pass none unless ``delete``: only deletes need them).
        objects: the objects listed under ``prefix``, in listing order.

    Raises:
        LakeFSError: a side is out of order (before anything is taken as missing).
    """
    below = _Below(objects, prefix)
    for rel, here, stored in _merge(iter(local), iter(below)):
        yield from below.failed()
        if not keep(rel):
            continue
        if stored is not None:
            if (not rel or rel.endswith("/")) and stored.size_bytes() == 0:
                continue  # a "directory marker" object
            yield Download(rel, stored)
        elif delete and isinstance(here, Entry) and here.kind == "file" and not here.link:
            yield Delete(rel)
    yield from below.failed()
