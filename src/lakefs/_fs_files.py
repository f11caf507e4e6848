"""The files and bytes of ``lakefs://``: ``cat_file``'s ranged read, and the files ``fs.open``
returns (a reader that pickles through its filesystem, a writer that refuses to).
"""

from __future__ import annotations

import contextlib
import errno
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, SupportsIndex

import urllib3

from lakefs._exceptions import (
    APIConnectionError,
    APIResponseError,
    ForbiddenError,
    NotFoundError,
    ObjectExistsError,
    RangeNotSatisfiableError,
    UnauthorizedError,
)
from lakefs._logs import get_logger
from lakefs.lib.reader import ObjectReader, _ObjectGets, reopen_reader
from lakefs.lib.writer import ObjectWriter

if TYPE_CHECKING:
    from lakefs._generated.reference import Reference
    from lakefs.fs import LakeFSFileSystem

__all__ = ["FSReader", "FSWriter", "read_range", "translated"]

log = get_logger("fs")

_ATTEMPTS = 5  # answers one read may take (each resumes where the one before broke off)
_CHUNK = 1024 * 1024
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


@contextlib.contextmanager
def translated(path: str) -> Iterator[None]:
    """The one place ``lakefs://`` maps the SDK's errors to the ``OSError`` subclasses Python
    code expects (filesystem calls and their files, ``close`` included): an existing object
    ``FileExistsError``, a missing one ``FileNotFoundError``, a refused key (401, 403)
    ``PermissionError``, each with ``filename`` set to ``path``; the SDK's error is the cause."""
    try:
        yield
    except ObjectExistsError as exc:
        raise FileExistsError(errno.EEXIST, str(exc), path) from exc
    except NotFoundError as exc:
        raise FileNotFoundError(errno.ENOENT, str(exc), path) from exc
    except (UnauthorizedError, ForbiddenError) as exc:
        raise PermissionError(errno.EACCES, str(exc), path) from exc


def read_range(
    reference: Reference, key: str, start: int | None, end: int | None, *, pre_signed: bool
) -> bytes:
    """The bytes ``[start:end]`` of an object as Python slices them (negative: from the end).

    One ranged GET (a negative ``start`` asks for a suffix), its body read where the request
    is retried: an answer that breaks off is resumed by ranged GETs from where it stopped,
    never mixing two versions (:class:`~lakefs.ObjectChangedError`). The object's size comes
    from the answer, never from a listing.

    Raises:
        APIConnectionError: the answer broke off more often than a read resumes.
        LakeFSError: the request failed (``NotFoundError``: no such object).
    """
    first = start or 0
    if first < 0:
        header: str | None = f"bytes={first}"  # the last -first bytes
    elif end is not None and 0 <= end <= first:
        header = f"bytes={first}-{first}"  # nothing to read, but the object must exist
    elif end is not None and end >= 0:
        header = f"bytes={first}-{end - 1}"
    else:
        header = f"bytes={first}-" if first else None
    gets = _ObjectGets(reference, key, pre_signed, None, None)
    try:
        offset, size, data = _fetch(gets, header, key)
    except RangeNotSatisfiableError:
        return b""  # nothing at or after start (or an empty object)
    low, high, _ = slice(start, end).indices(size)
    return data[max(low - offset, 0) : max(high - offset, 0)]


def _extent(resp: urllib3.BaseHTTPResponse, key: str) -> tuple[int, int | None, int | None]:
    """An answer's first byte, last byte and the object's size (None: not said)."""
    if resp.status == 206:
        match = _CONTENT_RANGE.fullmatch(resp.headers.get("Content-Range", "").strip())
        if match is None:
            resp.close()
            raise APIResponseError(
                f"{key}: a partial answer without a valid Content-Range", method="GET", path=key
            )
        size = None if match.group(3) == "*" else int(match.group(3))
        return int(match.group(1)), int(match.group(2)), size
    length = resp.headers.get("Content-Length", "").strip()
    if length.isdigit():  # a negative or malformed length says nothing
        return 0, int(length) - 1, int(length)
    return 0, None, None


def _fetch(gets: _ObjectGets, header: str | None, key: str) -> tuple[int, int, bytes]:
    """The answer to one GET, whole: ``(offset, object size, bytes)``."""
    resp = gets.get({"Range": header} if header else {}, True)
    offset, last, size = _extent(resp, key)
    parts: list[bytes] = []
    got = 0
    for attempt in range(_ATTEMPTS):
        if attempt:
            assert last is not None
            resp = gets.get({"Range": f"bytes={offset + got}-{last}"}, True)
            if resp.status != 206 or _extent(resp, key)[0] != offset + got:
                resp.close()
                raise APIConnectionError(
                    f"{key}: the store ignored a range request ({resp.status})",
                    method="GET",
                    path=key,
                )
        want = None if last is None else last + 1 - offset - got
        try:
            _drain(resp, parts, want)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            got = sum(map(len, parts))
            log.info("read of %s cut short at %d (%s): resuming", key, offset + got, exc)
            resp.close()
            if last is None:
                raise APIConnectionError(
                    f"{key}: the answer broke off at byte {got} and gave no size",
                    method="GET",
                    path=key,
                ) from exc
            continue
        got = sum(map(len, parts))
        if last is None or offset + got > last:
            data = b"".join(parts)
            return offset, len(data) if size is None else size, data
        log.info("answer of %s ended at %d of %d: resuming", key, offset + got, last + 1)
    raise APIConnectionError(
        f"{key}: reading was cut short {_ATTEMPTS} times at byte {offset + got}",
        method="GET",
        path=key,
    )


def _drain(resp: urllib3.BaseHTTPResponse, parts: list[bytes], want: int | None) -> None:
    """Read up to ``want`` bytes (None: to the end) of an answer onto ``parts``. Its
    connection is reused only when the answer was read exactly to its end."""
    got = 0
    try:
        while want is None or got < want:
            chunk = resp.read(_CHUNK if want is None else min(_CHUNK, want - got))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        if getattr(resp, "length_remaining", None) != 0 and want is not None:
            resp.close()  # more may follow (or the length was never said): not reusable
    except BaseException:
        resp.close()
        raise
    finally:
        resp.release_conn()


class FSReader(ObjectReader):
    """The file ``fs.open(path, "rb")`` returns: an :class:`~lakefs.ObjectReader` that
    pickles as its filesystem (credentials as that says: see ``credentials=``), its path and
    the version read; unpickled, it reads that version where it was, or raises
    :class:`~lakefs.ObjectChangedError`."""

    fs: LakeFSFileSystem | None = None
    path = ""

    def _fill(self, start: int, length: int, first: bool = False) -> None:
        with translated(self.path or self.name):
            super()._fill(start, length, first)

    def _read_stream(self, length: int) -> None:
        with translated(self.path or self.name):
            super()._read_stream(length)

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        self._check_open()
        return (_reopen, (self.fs, self.path, self._block_size, self.version))


def _reopen(
    fs: LakeFSFileSystem, path: str, block_size: int, version: tuple[str | None, int, int]
) -> ObjectReader:
    """An unpickled :class:`FSReader`."""
    return fs._open_reader(path, block_size, version)


def open_fs_reader(
    fs: LakeFSFileSystem,
    path: str,
    reference: Reference,
    key: str,
    *,
    pre_signed: bool,
    block_size: int,
    version: tuple[str | None, int, int] | None,
) -> FSReader:
    """An :class:`FSReader` of ``key`` (``version``: reopened as :func:`reopen_reader` does)."""
    if version is None:
        reader = FSReader(reference, key, pre_signed=pre_signed, block_size=block_size)
    else:
        opened = reopen_reader(reference, key, pre_signed, block_size, {}, version, FSReader)
        assert isinstance(opened, FSReader)
        reader = opened
    reader.fs, reader.path = fs, path
    return reader


class FSWriter(ObjectWriter):
    """The file ``fs.open(path, "wb" | "xb")`` returns: an :class:`~lakefs.ObjectWriter` that
    tells its filesystem once it is published, and refuses to pickle."""

    on_close: Callable[[], None] | None = None
    path = ""

    def write(self, data: Any) -> int:
        with translated(self.path):
            return super().write(data)

    def close(self) -> None:
        was_closed = self.closed
        try:
            with translated(self.path):
                super().close()
        finally:
            if not was_closed and self.on_close is not None:
                self.on_close()

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        raise TypeError(
            "a lakefs:// file open for writing does not pickle (its bytes so far live in this "
            "process only): write it where it was opened, or pickle the path and open it there"
        )
