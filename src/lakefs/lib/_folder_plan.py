"""The planner of folder transfers: what to send, what to delete, what to refuse.

It walks the local tree and lists the objects under the prefix *together*, both in the same
(byte-wise) order, so that memory stays bounded whatever the folder's size: one directory's
names at a time, one listing page. Each name found on either side becomes one action
(:class:`Send`, :class:`Delete` or :class:`Refuse`), produced lazily for the executor
(``lakefs.lib.folders``); names that need nothing produce none.

What counts as a local counterpart of an object (which ``delete=True`` never deletes): any
entry of that name (a file, a directory for its marker object ``name/``, a FIFO, a socket, a
symbolic link, an entry that cannot be read), and anything below a symbolic link or an
unreadable directory (whose contents are not looked at). Only objects with none are deleted.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lakefs import _validation as validate
from lakefs._config import Timeout
from lakefs._exceptions import APIResponseError, LakeFSError, ValidationError
from lakefs.lib._transfers import shown

if TYPE_CHECKING:
    from lakefs._client import RequestTimeout
    from lakefs._generated.reference import Reference

__all__ = [
    "Delete",
    "Entry",
    "Filter",
    "Options",
    "Refuse",
    "Send",
    "key_bytes",
    "plan_download",
    "plan_upload",
    "walk",
]


# -- arguments -------------------------------------------------------------------------------


def _patterns(value: object, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if isinstance(items, (bytes, Mapping)) or not isinstance(items, Iterable):
        raise ValidationError(f"{name} must be a glob pattern or patterns, not {value!r}")
    out = []
    for item in items:
        if not isinstance(item, str) or not item:
            raise ValidationError(f"{name} must hold non-empty str patterns, not {item!r}")
        # As huggingface_hub: "dir/" means everything below dir.
        out.append(item + "*" if item.endswith("/") else item)
    return tuple(out)


class Filter:
    """include / exclude globs on the relative path (``*`` matches ``/`` too, as in fnmatch).

    Raises:
        ValidationError: a pattern that is not a non-empty str.
    """

    def __init__(self, include: object, exclude: object) -> None:
        self.include = _patterns(include, "include")
        self.exclude = _patterns(exclude, "exclude")

    def __call__(self, rel: str) -> bool:
        if self.include is not None and not any(fnmatch.fnmatchcase(rel, p) for p in self.include):
            return False
        return not (self.exclude and any(fnmatch.fnmatchcase(rel, p) for p in self.exclude))


def flag(value: object, name: str) -> bool:
    """A checked bool argument.

    Raises:
        ValidationError: not True or False.
    """
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, not {value!r}")
    return value


def pre_signed_option(value: object) -> bool | None:
    """A checked ``pre_signed``.

    Raises:
        ValidationError: not None, True or False.
    """
    if value is not None and not isinstance(value, bool):
        raise ValidationError(f"pre_signed must be None, True or False, not {value!r}")
    return value


def prefix_option(value: object) -> str:
    """A checked prefix, ending with ``/`` unless empty.

    Raises:
        ValidationError: not a str, or not UTF-8.
    """
    if not isinstance(value, str):
        raise ValidationError(f"prefix must be a str, not {type(value).__name__}")
    validate.utf8(value, "prefix")
    return value if not value or value.endswith("/") else value + "/"


def folder_option(value: object, name: str) -> Path:
    """A checked local folder argument.

    Raises:
        ValidationError: not a str or a path.
    """
    if not isinstance(value, (str, os.PathLike)):
        raise ValidationError(f"{name} must be a str or a path, not {type(value).__name__}")
    return Path(value)


@dataclass(frozen=True)
class Options:
    """Each request's ``timeout`` and ``extra_headers``."""

    timeout: RequestTimeout | None
    extra_headers: Mapping[str, str] | None


def request_options(timeout: object, extra_headers: object) -> Options:
    """Checked request options.

    Raises:
        ValidationError: a bad timeout or header.
    """
    if timeout is not None:
        try:
            Timeout.coerce(timeout)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"timeout: {exc}") from None
    if extra_headers is not None:
        if not isinstance(extra_headers, Mapping):
            raise ValidationError("extra_headers must be a mapping of header names to values")
        validate.headers(dict(extra_headers), "extra_headers")
    return Options(timeout, extra_headers)  # type: ignore[arg-type]


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


# -- actions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """Transfer one file: upload ``local`` (``stored``: the object it replaces, if any), or
    download ``stored``."""

    rel: str
    local: Entry | None
    stored: Any  # ObjectInfo | None

    @property
    def size(self) -> int:
        """The bytes it should move."""
        return self.local.size if self.local is not None else int(self.stored.size_bytes())


@dataclass(frozen=True)
class Delete:
    """Remove the object ``key`` (an upload's mirror) or the local file ``rel`` (a
    download's)."""

    rel: str
    key: str = ""


@dataclass(frozen=True)
class Refuse:
    """A name that fails without a transfer: ``error`` says why."""

    rel: str
    error: Exception


Action = Send | Delete | Refuse


class _Listing:
    """The objects under ``prefix`` as (path below the prefix, ObjectInfo), page by page; an
    object listed that is not below the prefix is kept aside in :attr:`refused` (a failure,
    never a name to map or to delete)."""

    def __init__(self, reference: Reference, prefix: str, opts: Options) -> None:
        self._reference = reference
        self._prefix = prefix
        self._opts = opts
        self.refused: list[Refuse] = []

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        prefix = self._prefix
        for entry in self._reference.list_objects(
            prefix=prefix,
            delimiter="",
            timeout=self._opts.timeout,
            extra_headers=self._opts.extra_headers,
        ):
            if not entry.path.startswith(prefix):
                error = APIResponseError(
                    f"lakeFS listed {shown(entry.path)!r} under the prefix {prefix!r}, which it "
                    "is not below: left alone"
                )
                self.refused.append(Refuse(entry.path, error))
                continue
            yield entry.path[len(prefix) :], entry

    def drain(self) -> Iterator[Refuse]:
        while self.refused:
            yield self.refused.pop(0)


def plan_upload(
    root: Path,
    reference: Reference,
    prefix: str,
    keep: Filter,
    *,
    listed: bool,
    delete: bool,
    opts: Options,
) -> Iterator[Action]:
    """The actions of ``upload_folder``: a :class:`Send` per local file passing ``keep`` (with
    the object it replaces when ``listed``), a :class:`Delete` per object passing ``keep``
    with no local counterpart when ``delete`` (see the module), a :class:`Refuse` per entry
    that cannot be read or named.

    Raises:
        LakeFSError: a side is out of order (before anything is taken as missing).
    """
    listing = _Listing(reference, prefix, opts)
    remote: Iterator[tuple[str, Any]] = iter(listing) if listed or delete else iter(())
    sheltered = _Sheltered()
    for rel, here, stored in _merge(walk(root, dirs=True), remote):
        yield from listing.drain()
        if isinstance(here, Exception):
            if isinstance(here, _LinkError):
                sheltered.add(rel + "/")
                here = here.error
            elif rel.endswith("/"):
                sheltered.add(rel)  # an unreadable directory
            yield Refuse(rel, here)
            continue
        if here is not None and here.link:
            sheltered.add(rel + "/")
        if not keep(rel) or not rel:
            continue  # "": the prefix's own marker object, whose counterpart is the folder
        if here is not None:
            if here.kind == "file":
                try:
                    validate.object_path(prefix + rel, "path")
                except ValidationError as exc:
                    yield Refuse(rel, exc)
                    continue
                yield Send(rel, here, stored)
        elif delete and rel not in sheltered:
            yield Delete(rel, stored.path)
    yield from listing.drain()


def plan_download(
    root: Path,
    reference: Reference,
    prefix: str,
    keep: Filter,
    *,
    delete: bool,
    temporary: re.Pattern[str],
    opts: Options,
) -> Iterator[Action]:
    """The actions of ``download_folder``: a :class:`Send` per object passing ``keep`` (but
    directory markers), a :class:`Delete` per local regular file passing ``keep`` with no
    object when ``delete`` (never a link, never a ``temporary`` file of this run), a
    :class:`Refuse` per object listed outside the prefix.

    Raises:
        LakeFSError: a side is out of order (before anything is taken as missing).
    """
    listing = _Listing(reference, prefix, opts)
    local = walk(root, skip=temporary) if delete else iter(())
    for rel, here, stored in _merge(local, iter(listing)):
        yield from listing.drain()
        if not keep(rel):
            continue
        if stored is not None:
            if (not rel or rel.endswith("/")) and stored.size_bytes() == 0:
                continue  # a "directory marker" object
            yield Send(rel, None, stored)
        elif isinstance(here, Entry) and here.kind == "file" and not here.link:
            yield Delete(rel)
    yield from listing.drain()
