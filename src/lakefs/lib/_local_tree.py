"""The local side of transfers: which local path an object's name maps to, and file access
below a folder that never goes through a symbolic link.

One rule for every download into a folder (``download_folder``, and ``lakefs://``'s ``get``):

* :func:`local_destination` maps a name below a prefix to a path below the folder, refusing a
  name that could leave it or cannot be a file name (``../a``, ``a/../../b``, ``/abs``,
  ``a//b``, ``a/./b``, ``..``, a NUL or a backslash, a part longer than 255 bytes), and any
  symbolic link on the way (the name's directories or the name itself);
* :class:`LocalTree` writes (and reads, and removes) there through directory descriptors: each
  directory is opened relative to its parent, already opened, with ``O_NOFOLLOW``, so that a
  directory swapped for a link while a transfer runs is refused at that file, never written
  through. A download is written whole before it has a name in its directory (opened once
  for the file): on Linux as a file of no name (``O_TMPFILE``) linked in under its own once
  whole, so that nothing of it remains after a failure, even a crash; elsewhere, and where a
  file is there already, under a temporary name renamed into place relative to that same
  descriptor (a crash can leave that temporary file).

What the descriptors do not stop: a directory *moved* out of the folder by another process
while a file is written into it carries that file with it, as it would carry any file moved
later; moving it there needs the right to write where it goes, which a link does not.

These need ``openat``-style calls (``os.supports_dir_fd``): Linux, macOS, the BSDs.
"""

from __future__ import annotations

import errno
import functools
import itertools
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING

from lakefs._exceptions import ValidationError
from lakefs.lib._fetch import fetch_file, write_at

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from lakefs._generated.reference import Reference
    from lakefs.lib._fetch import FetchOptions

__all__ = [
    "NAME_MAX",
    "TEMP_SUFFIX",
    "LocalTree",
    "Place",
    "fetch_contained",
    "fetch_into",
    "local_destination",
    "replace_whole",
]

NAME_MAX = 255
"""The longest file name part, in bytes, that the local file system takes (POSIX's usual)."""

TEMP_SUFFIX = ".lakefs-part"
"""The suffix of the temporary file a download writes before renaming it into place."""

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
# O_NONBLOCK: opening a FIFO put in a file's place must not wait for a writer.
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC
_TEMP_MODE = 0o600  # the owner's only, as tempfile.mkstemp makes its files
_COPY_BLOCK = 1024 * 1024
# Linux: a file of no name in a directory, named once whole (by linking its /proc name, which
# needs no privilege: open(2) on O_TMPFILE). One named create (the link) where a temporary name
# takes two (the create and the rename), each taking the directory's lock: with 8 threads,
# about 8% of a folder download of 1,000 small files.
_UNNAMED = getattr(os, "O_TMPFILE", 0)
_UNNAMED_OPEN = _UNNAMED | os.O_RDWR | _CLOEXEC  # read too: see Place._name
_PROC_FD = "/proc/self/fd"
# What opening one says where the file system has none (EISDIR: a kernel before 3.11).
_NO_UNNAMED = (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL)
# What naming one by its /proc name says where that is refused (a sandbox's /proc, a file
# system without hard links; ENOENT too, where the directory was removed meanwhile).
_NO_LINK = (errno.ENOENT, errno.EPERM, errno.EACCES, errno.EXDEV, errno.EOPNOTSUPP)
# What opening a symbolic link with O_NOFOLLOW raises (Linux, macOS: ELOOP; FreeBSD: EMLINK;
# with O_DIRECTORY some systems say ENOTDIR first).
_LINK_ERRNOS = (errno.ELOOP, errno.EMLINK, errno.ENOTDIR)


@functools.cache
def _can_name_unnamed() -> bool:
    """Whether unnamed files can be made and named here (``O_TMPFILE``, and ``/proc`` to
    name them by); a file system without them is found at its first file."""
    return bool(_UNNAMED) and os.path.isdir(_PROC_FD)


def _parts(root: Path, relative: str) -> list[str]:
    """``relative``'s parts, or the refusal of a name that cannot be a file below ``root``."""
    if not isinstance(relative, str):
        raise ValidationError(f"a name below a folder must be a str, not {type(relative).__name__}")
    parts = relative.split("/")
    reason = None
    if not relative:
        reason = "it is empty"
    elif relative.startswith("/"):
        reason = "it is absolute"
    elif "\0" in relative:
        reason = "it holds a NUL character"
    elif "\\" in relative:
        reason = "it holds a backslash"
    elif any(p in ("", ".", "..") for p in parts):
        reason = "it has an empty, '.' or '..' part"
    else:
        for part in parts:
            if len(os.fsencode(part)) > NAME_MAX:
                reason = f"a part is longer than {NAME_MAX} bytes"
                break
    if reason is not None:
        raise ValidationError(
            f"object {_printable(relative)!r} cannot be a file below {str(root)!r}: {reason}"
        )
    return parts


def _printable(name: str) -> str:
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _through_link(path: Path, root: Path) -> ValidationError:
    return ValidationError(
        f"{str(path)!r} is a symbolic link: nothing below {str(root)!r} is written, read or "
        "removed through one"
    )


def local_destination(root: Path, relative: str) -> Path:
    """The local path of ``relative`` (an object's name below a prefix, ``/``-separated) in the
    folder ``root``: the rule every download into a folder applies, file by file.

    The name is refused when it could leave the folder or cannot be a file name: empty,
    absolute, with an empty, ``.`` or ``..`` part (``a//b``, ``a/../../b``), a NUL or a
    backslash, or a part longer than :data:`NAME_MAX` bytes. The path is refused when any of
    its existing parts below ``root`` (a directory on the way, or the file itself) is a
    symbolic link. ``root`` itself may be one: it is the caller's choice.

    This looks once; writing there safely against a concurrent swap is :class:`LocalTree`'s
    job (or :func:`fetch_contained`'s).

    Args:
        root: the folder.
        relative: the name below it.

    Returns:
        ``root`` joined with the name's parts.

    Raises:
        ValidationError: the name, or a symbolic link on its way (the message says which).
    """
    parts = _parts(root, relative)
    path = root
    for part in parts:
        path = path / part
        try:
            st = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            break  # nothing more exists (or a file is in the way: writing there fails)
        if stat.S_ISLNK(st.st_mode):
            raise _through_link(path, root)
    return root.joinpath(*parts)


class LocalTree:
    """A local folder whose files are reached through directory descriptors, never through a
    symbolic link (see the module).

    Thread-safe: transfers of one run share one tree. Close it (or use it as a context
    manager) to release the folder's descriptor.

    Args:
        root: the folder (made, with its parents, when ``create``).
        create: make the folder when it is missing.

    Raises:
        OSError: the folder cannot be made or opened.
    """

    def __init__(self, root: Path, *, create: bool = True) -> None:
        if create:
            root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self._fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
        self._token = secrets.token_hex(8)
        self._count = itertools.count()  # next() on it is atomic: threads share the tree
        self.unnamed = _can_name_unnamed()
        """Whether new files are written unnamed, then linked in (False once this tree's file
        system said it has no unnamed files)."""

    @functools.cached_property
    def temporary(self) -> re.Pattern[str]:
        """Matches the names of this tree's temporary files (and no user's file: the random
        part is 16 hex digits drawn for this tree). Compiled when first asked for: a tree
        made for one file (``download_file``, each file of ``fs.get``) never is."""
        return re.compile(
            r"\..*\." + self._token + r"[0-9a-f]+" + re.escape(TEMP_SUFFIX), re.DOTALL
        )

    def close(self) -> None:
        """Release the folder's descriptor (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> LocalTree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def temp_name(self, name: str) -> str:
        """A temporary name for a file to become ``name``, unique in this tree: the first 100
        bytes of ``name`` (room for the rest within 255), this tree's random part, a count."""
        stem = os.fsdecode(os.fsencode(name)[:100])
        return f".{stem}.{self._token}{next(self._count):x}{TEMP_SUFFIX}"

    def place(self, relative: str, *, create: bool = True) -> AbstractContextManager[Place]:
        """The place of ``relative``: its directory opened (its missing directories made when
        ``create``), and what is there now looked at once (:attr:`Place.stat`).

        Raises:
            ValidationError: a refused name (:func:`local_destination`'s rule), or a
                symbolic link on the way or in the file's place.
            OSError: a directory cannot be made or opened (``NotADirectoryError``: a file
                where a directory must be; ``FileNotFoundError``: one is missing and not
                ``create``), with the full path.
        """
        return self._place(_parts(self.root, relative), create)

    @contextmanager
    def open_file(self, relative: str) -> Iterator[IO[bytes]]:
        """The local file ``relative`` (a name found below the folder: any character but
        ``/`` in its parts) opened for reading, no link followed on the way nor at the end.

        Raises:
            ValidationError: a symbolic link on the way or at the end.
            OSError: it cannot be opened (``FileNotFoundError``...), or it is no regular file.
        """
        parts = relative.split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise ValidationError(f"{relative!r} is no file name below {str(self.root)!r}")
        with self._place(parts, create=False) as place, place.open_read() as file:
            yield file

    @contextmanager
    def _place(self, parts: list[str], create: bool) -> Iterator[Place]:
        fd = self._open_dirs(parts[:-1], create)
        try:
            place = Place(self, fd, parts[-1], self.root.joinpath(*parts))
            if place.stat is not None and stat.S_ISLNK(place.stat.st_mode):
                raise _through_link(place.path, self.root)
            yield place
        finally:
            if fd != self._fd:
                os.close(fd)

    def _open_dirs(self, parts: list[str], create: bool) -> int:
        """The descriptor of the directory ``parts`` below the root, each part opened
        relative to the one before with ``O_NOFOLLOW`` (the root's own when ``parts`` is
        empty: not to be closed)."""
        current = self._fd
        try:
            for i, part in enumerate(parts):
                opened = self._open_dir(current, part, parts[: i + 1], create)
                if current != self._fd:
                    os.close(current)
                current = opened
        except BaseException:
            if current != self._fd:
                os.close(current)
            raise
        return current

    def _open_dir(self, parent: int, part: str, parts: list[str], create: bool) -> int:
        path = self.root.joinpath(*parts)
        for attempt in range(2):
            try:
                return os.open(part, _DIRECTORY, dir_fd=parent)
            except FileNotFoundError:
                if not create or attempt:
                    raise FileNotFoundError(
                        errno.ENOENT, os.strerror(errno.ENOENT), str(path)
                    ) from None
                with suppress(FileExistsError):
                    os.mkdir(part, dir_fd=parent)
            except OSError as exc:
                if exc.errno in _LINK_ERRNOS and _is_link(parent, part):
                    raise _through_link(path, self.root) from None
                raise type(exc)(exc.errno, exc.strerror, str(path)) from None
        raise AssertionError("unreachable")  # pragma: no cover


def _is_link(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


class Place:
    """One name in one opened directory of a :class:`LocalTree` (from :meth:`LocalTree.place`).

    Attributes:
        path: the full path (for messages: every call goes through the directory's descriptor).
        stat: what ``lstat`` found there when the place was opened (None: nothing).
    """

    def __init__(self, tree: LocalTree, dir_fd: int, name: str, path: Path) -> None:
        self._tree = tree
        self._dir = dir_fd
        self.name = name
        self.path = path
        self.stat = self.lstat()

    def lstat(self) -> os.stat_result | None:
        """What is at this name now (not following a link), or None."""
        try:
            return os.stat(self.name, dir_fd=self._dir, follow_symlinks=False)
        except FileNotFoundError:
            return None

    @contextmanager
    def open_read(self) -> Iterator[IO[bytes]]:
        """The file at this name, opened for reading (a link there is refused).

        Raises:
            ValidationError: a symbolic link is there now.
            OSError: nothing, or no regular file, is there.
        """
        try:
            fd = os.open(self.name, _READ, dir_fd=self._dir)
        except OSError as exc:
            if exc.errno in _LINK_ERRNOS and _is_link(self._dir, self.name):
                raise _through_link(self.path, self._tree.root) from None
            raise type(exc)(exc.errno, exc.strerror, str(self.path)) from None
        file = os.fdopen(fd, "rb")
        with file:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, "not a regular file", str(self.path))
            os.set_blocking(fd, True)
            yield file

    def write(self, fill: Callable[[IO[bytes]], int]) -> int:
        """Make the file at this name whole or not at all, replacing a file there: ``fill``
        writes it (unbuffered: a write may take part of what it is given) before it has this
        name. Where nothing was at the name (:attr:`stat`) and
        the file system has them (Linux), ``fill`` writes a file of no name, linked in under
        this one once ``fill`` returned: after a failure, even a crash, nothing of it
        remains. Otherwise ``fill`` writes it under a temporary name in the same directory,
        renamed into place (and removed on any failure; a crash can leave it).

        Returns:
            What ``fill`` returned.
        """
        if self.stat is None and self._tree.unnamed:
            try:
                fd = os.open(".", _UNNAMED_OPEN, _TEMP_MODE, dir_fd=self._dir)
            except OSError as exc:
                if exc.errno not in _NO_UNNAMED:
                    raise
                self._tree.unnamed = False  # none on this file system: temporary names
            else:
                with os.fdopen(fd, "wb", buffering=0) as out:
                    result = fill(out)
                    out.flush()
                    self._name(fd)
                return result
        return self._write_named(fill)

    def _write_named(self, fill: Callable[[IO[bytes]], int]) -> int:
        """:meth:`write` under a temporary name, renamed into place."""
        temp = self._tree.temp_name(self.name)
        fd = os.open(temp, _CREATE, _TEMP_MODE, dir_fd=self._dir)
        try:
            with os.fdopen(fd, "wb", buffering=0) as out:
                result = fill(out)
        except BaseException:
            with suppress(OSError):
                os.unlink(temp, dir_fd=self._dir)
            raise
        self._rename(temp)
        return result

    def _name(self, fd: int) -> None:
        """Give the unnamed file ``fd`` this name; a file that came to it since :attr:`stat`
        was looked at is replaced, as a rename replaces it (a link there too: not followed).
        Where naming it is refused, its bytes are copied under a temporary name, renamed."""
        source = f"{_PROC_FD}/{fd}"
        try:
            os.link(source, self.name, dst_dir_fd=self._dir)
            return
        except FileExistsError:
            pass
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                raise
            self._tree.unnamed = False  # the next files go the temporary name's way
            self._write_named(functools.partial(_copy, fd))
            return
        temp = self._tree.temp_name(self.name)
        os.link(source, temp, dst_dir_fd=self._dir)
        self._rename(temp)

    def _rename(self, temp: str) -> None:
        """Rename this tree's temporary file ``temp`` to this name (removed if that fails)."""
        try:
            os.replace(temp, self.name, src_dir_fd=self._dir, dst_dir_fd=self._dir)
        except BaseException:
            with suppress(OSError):
                os.unlink(temp, dir_fd=self._dir)
            raise

    def unlink(self) -> None:
        """Remove the file at this name."""
        try:
            os.unlink(self.name, dir_fd=self._dir)
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror, str(self.path)) from None

    def rmdir(self) -> None:
        """Remove the (empty) directory at this name."""
        os.rmdir(self.name, dir_fd=self._dir)

    def mkdir(self) -> None:
        """Make a directory at this name."""
        os.mkdir(self.name, dir_fd=self._dir)


def _copy(source: int, out: IO[bytes]) -> int:
    """Copy the file ``source`` (from its start) into ``out``; returns the bytes copied."""
    offset = 0
    while chunk := os.pread(source, _COPY_BLOCK, offset):
        write_at(out.fileno(), chunk, offset)
        offset += len(chunk)
    return offset


def replace_whole(target: Path, fill: Callable[[IO[bytes]], int]) -> int:
    """Make the file ``target`` (any local path, in a folder that exists: no descriptor rule
    applies to its folders) whole or not at all, replacing a file there, as
    :meth:`Place.write` makes a file below a folder.

    Returns:
        What ``fill`` returned.
    """
    with LocalTree(target.parent, create=False) as tree:
        return Place(tree, tree._fd, target.name, target).write(fill)


def fetch_into(
    place: Place,
    reference: Reference,
    path: str,
    *,
    pre_signed: bool,
    **options: Unpack[FetchOptions],
) -> int:
    """Download the object ``path`` of ``reference`` to ``place`` (:meth:`Place.write`: whole
    or not at all), as :func:`lakefs.lib._fetch.fetch_file` says (``options`` are its).
    Returns its size; a size other than ``expected_size`` (when given) is an
    ``APIResponseError``, and nothing is renamed into place."""
    return fetch_file(place.write, reference, path, pre_signed=pre_signed, **options)


def fetch_contained(
    reference: Reference,
    path: str,
    root: Path,
    relative: str,
    *,
    pre_signed: bool,
    **options: Unpack[FetchOptions],
) -> int:
    """Download the object ``path`` of ``reference`` to ``relative`` below the folder ``root``
    as ``download_folder`` writes each file: the name and the links on its way refused as
    :func:`local_destination` says, its missing directories made, none written through a
    link even if one is swapped in meanwhile (:class:`LocalTree`), named only when whole
    (:meth:`Place.write`). ``options`` as
    :func:`lakefs.lib._fetch.fetch_file` takes them.

    Returns:
        The object's size.

    Raises:
        ValidationError: a refused name, or a symbolic link on the way.
        OSError: a local failure (``IsADirectoryError``: a directory is in the file's place).
        LakeFSError: the download failed.
    """
    with LocalTree(root) as tree, tree.place(relative) as place:
        return fetch_into(place, reference, path, pre_signed=pre_signed, **options)
