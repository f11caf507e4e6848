"""The files and bytes of ``lakefs://``: ``cat_file``'s ranged read, and the files ``fs.open``
returns (a reader that pickles through its filesystem, a writer that refuses to).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, SupportsIndex

import urllib3
from fsspec.caching import caches

from lakefs._exceptions import APIResponseError, RangeNotSatisfiableError, ValidationError
from lakefs._fs_errors import translated
from lakefs.lib._fetch import CONTENT_RANGE, Resumed
from lakefs.lib.reader import ObjectReader, _ObjectGets, reopen_reader
from lakefs.lib.writer import ObjectWriter

if TYPE_CHECKING:
    from lakefs._generated.reference import Reference
    from lakefs.fs import LakeFSFileSystem

__all__ = ["FSReader", "FSWriter", "read_range"]

_CHUNK = 1024 * 1024


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
        answer = gets.get({"Range": header} if header else {}, True)
    except RangeNotSatisfiableError:
        return b""  # nothing at or after start (or an empty object)
    offset, last, size = _extent(answer, key)
    # The rest is the one resume loop's: a break resumed by a ranged GET from where it stopped.
    stream = Resumed(gets, offset, None if last is None else last + 1, size=size, answer=answer)
    data = b"".join(iter(lambda: stream.read(_CHUNK), b""))
    low, high, _ = slice(start, end).indices(offset + len(data) if size is None else size)
    return data[max(low - offset, 0) : max(high - offset, 0)]


def _extent(resp: urllib3.BaseHTTPResponse, key: str) -> tuple[int, int | None, int | None]:
    """An answer's first byte, last byte and the object's size (None: not said)."""
    if resp.status == 206:
        match = CONTENT_RANGE.fullmatch(resp.headers.get("Content-Range", "").strip())
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


class FSReader(ObjectReader):
    """The file ``fs.open(path, "rb")`` returns: an :class:`~lakefs.ObjectReader` that
    pickles as its filesystem (credentials as that says: see ``credentials=``), its path and
    the version read; unpickled, it reads that version where it was, or raises
    :class:`~lakefs.ObjectChangedError`."""

    fs: LakeFSFileSystem | None = None
    path = ""
    cache: tuple[str, dict[str, Any]] | None = None
    """fsspec's ``cache_type`` and ``cache_options`` it reads through (None: its own read-ahead)."""
    _cache: Any = None  # the fsspec cache made of them

    def use_cache(self, cache_type: str, cache_options: dict[str, Any]) -> None:
        """Read through fsspec's cache ``cache_type``, made with ``cache_options`` as s3fs's
        files make it (``BlockCache(block_size, fetch, size, maxblocks=...)``, the ``parts``
        cache of bytes known already, ...): what it lacks it asks of one ranged GET.

        Raises:
            ValidationError: the cache does not take these options.
        """
        try:
            made = caches[cache_type](self._block_size, self._fetch, self.size, **cache_options)
        except TypeError as exc:
            raise ValidationError(f"cache_options of cache_type {cache_type!r}: {exc}") from exc
        self._cache, self.cache = made, (cache_type, cache_options)
        self._buf, self._buf_start = b"", 0  # from here on every read goes through the cache

    def _fetch(self, start: int, end: int) -> bytes:
        """The cache's fetcher: the bytes ``[start:end)`` of the version read."""
        if end <= start:
            return b""
        self._fill(start, end - start)
        offset = start - self._buf_start
        return self._buf[offset : offset + end - start]

    def _ensure(self, want: int) -> None:
        if self._cache is None:
            super()._ensure(want)
            return
        if (
            self._buf_start <= self._pos < self._buf_start + len(self._buf)
            or self._pos >= self.size
        ):
            return
        stop = min(self._pos + max(want, 1), self.size)
        self._buf, self._buf_start = self._cache._fetch(self._pos, stop), self._pos

    def _fill(self, start: int, length: int, first: bool = False) -> None:
        with translated(self.path or self.name):
            super()._fill(start, length, first)

    def _read_stream(self, length: int) -> None:
        with translated(self.path or self.name):
            super()._read_stream(length)

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        self._check_open()
        return (_reopen, (self.fs, self.path, self._block_size, self.version, self.cache))


def _reopen(
    fs: LakeFSFileSystem,
    path: str,
    block_size: int,
    version: tuple[str | None, int, int],
    cache: tuple[str, dict[str, Any]] | None = None,
) -> ObjectReader:
    """An unpickled :class:`FSReader` (reading through the cache it read through)."""
    reader = fs._open_reader(path, block_size, version)
    if cache is not None:
        reader.use_cache(*cache)
    return reader


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
