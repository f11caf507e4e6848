"""Reading objects as files: ranged GETs behind a read-ahead buffer, in bounded memory.

``ObjectReader`` is an ``io.BufferedIOBase``: hand it to pandas, pyarrow, PIL, zipfile or tarfile.
Data arrives by ranged GETs whose size starts small and doubles while reads stay sequential; a
read that goes on sequentially past 1 MiB continues on one open-ended, streamed GET (resumed where
it broke if the connection drops). Many small reads cost few requests, a random read fetches
little, and reading to the end never holds more than one block (``block_size``). With pre-signed
URLs, the first GET goes through lakeFS (which redirects) and the following ones straight to the
object store, with the URL fetched again once it expires.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from io import TextIOWrapper
from typing import TYPE_CHECKING, Any, Literal, SupportsIndex, overload

from lakefs._exceptions import (
    APIConnectionError,
    ObjectChangedError,
    RangeNotSatisfiableError,
    ValidationError,
)
from lakefs._server_configuration import resolve_pre_signed
from lakefs.lib._fetch import CONTENT_RANGE, DEFAULT_BLOCK_SIZE, Resumed
from lakefs.lib._fetch import _ObjectGets as _ObjectGets  # lakefs://'s ranged reads use it
from lakefs.lib._io_download import download_file as download_file  # Reference.download_file
from lakefs.lib._io_download import fetch_to_file as fetch_to_file  # folders and lakefs://
from lakefs.lib._io_files import _ObjectFile, positive
from lakefs.lib._local_tree import TEMP_SUFFIX

if TYPE_CHECKING:
    import urllib3
    from typing_extensions import Unpack

    from lakefs._client import RequestTimeout
    from lakefs._generated.reference import Reference
    from lakefs.lib._io_files import ReadOptions

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "TEMP_SUFFIX",
    "ObjectReader",
    "download_file",
    "fetch_to_file",
    "reopen_reader",
]

_FIRST_WINDOW = 64 * 1024
_STREAM_AFTER = 1024 * 1024  # a sequential read this far along streams the rest
_MAX_STREAM_READ = 256 * 1024 * 1024  # the most one read from the stream buffers


class ObjectReader(_ObjectFile):
    """A read-only, seekable binary file over one object at one reference.

    Created by ``Reference.open(path, "rb")``; opening it fetches the first block (so a missing
    object raises ``FileNotFoundError`` at once) and learns the object's size from that answer.

    It pickles as what reopens it (its reference, with the client, credentials included, its
    options and position) and the version it reads (:attr:`etag`): unpickled, it reads that
    version or raises :class:`~lakefs.ObjectChangedError` (the object was overwritten since).
    A closed reader does not pickle.

    Args:
        reference: the reference the object is read at.
        path: the object's path.
        pre_signed: read straight from the object store through pre-signed URLs.
        block_size: the largest read request (and the most one read buffers).
        timeout: each request's timeout (None: the client's).
        extra_headers: headers added to each request sent to lakeFS.
        etag: the version to read (None: whatever version the first answer is).

    Raises:
        ValidationError: ``block_size`` is not a positive int (before any request).
        ObjectNotFoundError: no object at ``path`` (also a ``FileNotFoundError``).
        NotFoundError: the repository or the reference does not exist.
        ObjectChangedError: ``etag`` given and the object is another version now.
    """

    _reads = True

    def __init__(
        self,
        reference: Reference,
        path: str,
        *,
        pre_signed: bool,
        block_size: int = DEFAULT_BLOCK_SIZE,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
        etag: str | None = None,
    ) -> None:
        super().__init__()
        positive(block_size, "block_size")
        self.name = path
        self._reference = reference
        self._options = (pre_signed, timeout, dict(extra_headers or {}))
        self._gets = _ObjectGets(reference, path, pre_signed, timeout, extra_headers, etag)
        self._block_size = block_size
        self._window = min(_FIRST_WINDOW, block_size)
        self._pos = 0
        self._buf = b""
        self._buf_start = 0
        self.size: int = 0
        self._stream: Resumed | None = None  # the open-ended GET of a long sequential read
        self._fill(0, self._window, first=True)

    # -- fetching ----------------------------------------------------------------------------

    @property
    def requests(self) -> int:
        """How many requests this file has sent."""
        return self._gets.requests

    @property
    def etag(self) -> str | None:
        """The ETag of the version read (None when the server sent none)."""
        return self._gets.etag

    def _get(self, start: int, length: int) -> urllib3.BaseHTTPResponse:
        """A ranged GET of ``length`` bytes from ``start``, read whole."""
        return self._gets.get({"Range": f"bytes={start}-{start + length - 1}"}, False)

    def _fill(self, start: int, length: int, first: bool = False) -> None:
        """Fetch ``length`` bytes from ``start`` into the buffer (replacing it)."""
        try:
            resp = self._get(start, length)
        except RangeNotSatisfiableError:
            if first:  # an empty object: it exists (else 404), and no range fits it
                self.size, self._buf, self._buf_start = 0, b"", 0
                return
            raise
        data = resp.data
        match = CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
        if resp.status == 206 and match:
            got_start = int(match.group(1))
            if match.group(3) != "*":
                self.size = int(match.group(3))
        else:  # a 200: the whole object
            got_start, self.size = 0, len(data)
        self._buf, self._buf_start = data, got_start

    def _ensure(self, want: int) -> None:
        """Make the buffer cover the current position (fetching if needed)."""
        end = self._buf_start + len(self._buf)
        if self._buf_start <= self._pos < end or self._pos >= self.size:
            return
        sequential = self._pos == end
        long_read = self._window >= min(_STREAM_AFTER, self._block_size) or want >= _STREAM_AFTER
        if sequential and long_read:
            # A long sequential read: one streamed request from here on. A large read is
            # handed exactly what it asked for (no copy to cut a block to its size).
            self._read_stream(want if want >= _STREAM_AFTER else self._block_size)
            return
        self._close_stream()
        self._window = min(self._window * 2, self._block_size) if sequential else _FIRST_WINDOW
        length = max(min(want, self._block_size * 4), self._window)
        self._fill(self._pos, min(length, self.size - self._pos))

    def _read_stream(self, length: int) -> None:
        """Buffer the next ``length`` bytes (fewer at the end) from an open-ended GET, resumed
        where it broke if cut short (:class:`~lakefs.lib._fetch.Resumed`)."""
        length = min(length, _MAX_STREAM_READ, self.size - self._pos)
        if self._stream is None or self._stream.pos != self._pos:
            self._close_stream()
            self._stream = Resumed(self._gets, self._pos, size=self.size)
        data = self._stream.read(length)
        if not data:
            self._close_stream()
            raise APIConnectionError(
                f"{self.name}: the object ended at {self._pos} of {self.size} bytes",
                method="GET",
                path=self.name,
            )
        self._buf, self._buf_start = data, self._pos

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()  # a half-read connection is not reused
            self._stream = None

    # -- io.BufferedIOBase -------------------------------------------------------------------

    def tell(self) -> int:
        """As io.IOBase.tell: the current position.

        Returns:
            The position, in bytes from the start.

        Raises:
            ValueError: the file is closed.
        """
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """As io.IOBase.seek: move to ``offset`` (past the end is allowed; no request).

        Args:
            offset: the offset, relative to ``whence``.
            whence: ``os.SEEK_SET`` (the start), ``os.SEEK_CUR`` or ``os.SEEK_END``.

        Returns:
            The new position.

        Raises:
            ValueError: the file is closed, or ``whence`` is none of these.
            OSError: the position would be negative.
        """
        self._check_open()
        if whence == os.SEEK_SET:
            pos = offset
        elif whence == os.SEEK_CUR:
            pos = self._pos + offset
        elif whence == os.SEEK_END:
            pos = self.size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise OSError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    # readinto and readinto1 are io.BufferedIOBase's (they copy what read and read1 return),
    # readline and iteration io.IOBase's (a line at a time from peek, then read: bounded).

    def read1(self, size: int | None = -1) -> bytes:
        """As io.BufferedIOBase.read1: up to ``size`` bytes, with at most one request.

        Args:
            size: the most bytes to return (-1 or None: up to a block).

        Returns:
            The bytes (empty at the end).

        Raises:
            ValueError: the file is closed.
            ObjectChangedError: the object was overwritten since the first read.
            LakeFSError: a request failed (``APIConnectionError``: an answer broke off more
                often than a read resumes).
        """
        self._check_open()
        if size is None or size < 0:
            size = self._block_size
        if size == 0 or self._pos >= self.size:
            return b""
        self._ensure(size)
        offset = self._pos - self._buf_start
        if offset == 0 and size >= len(self._buf):
            chunk = self._buf  # the whole buffer: no copy
        else:
            chunk = self._buf[offset : offset + size]
        self._pos += len(chunk)
        return chunk

    def read(self, size: int | None = -1) -> bytes:
        """As io.BufferedIOBase.read: ``size`` bytes (fewer at the end).

        Args:
            size: the bytes to read (-1 or None: everything left).

        Returns:
            ``size`` bytes, or all that is left when fewer are (empty at the end).

        Raises:
            LakeFSError: as :meth:`read1` raises it, which every read goes through (also
                ``ValueError`` and ``ObjectChangedError``, as there).
        """
        self._check_open()
        if size is None or size < 0:
            size = max(self.size - self._pos, 0)
        parts = []
        while size > 0 and (chunk := self.read1(size)):
            parts.append(chunk)
            size -= len(chunk)
        return b"".join(parts)

    def peek(self, size: int = 0) -> bytes:
        """As io.BufferedReader.peek: buffered bytes from the current position, without
        moving it (fetching a block when none is buffered there).

        Args:
            size: a hint of the bytes wanted (at least one is fetched when the buffer is
                empty); more or fewer may be returned.

        Returns:
            The bytes buffered from the position on, which a read takes first (empty at the
            end).

        Raises:
            LakeFSError: as :meth:`read1` raises it, which every read goes through (also
                ``ValueError`` and ``ObjectChangedError``, as there).
        """
        self._check_open()
        if self._pos < self.size:
            self._ensure(max(size, 1))
        offset = self._pos - self._buf_start
        return self._buf[offset:] if offset >= 0 else b""

    def close(self) -> None:
        self._close_stream()
        self._buf = b""
        super().close()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def __repr__(self) -> str:
        return f"<ObjectReader {self.name!r} size={self.size} pos={self._pos}>"

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        self._check_open()
        pre_signed, timeout, extra_headers = self._options
        options = {"timeout": timeout, "extra_headers": extra_headers}
        return (
            reopen_reader,
            (self._reference, self.name, pre_signed, self._block_size, options, self.version),
        )

    @property
    def version(self) -> tuple[str | None, int, int]:
        """What reopens this file where it is: ``(etag, size, position)``."""
        return self.etag, self.size, self._pos


def reopen_reader(
    reference: Reference,
    path: str,
    pre_signed: bool,
    block_size: int,
    options: Mapping[str, Any],
    version: tuple[str | None, int, int],
    reader_class: type[ObjectReader] | None = None,
) -> ObjectReader:
    """Open ``path`` again (an unpickled :class:`ObjectReader`): the same version, at the same
    position.

    Raises:
        ObjectChangedError: the object is not the version that was read (another ETag, or
            another size).
    """
    etag, size, position = version
    reader = (reader_class or ObjectReader)(
        reference, path, pre_signed=pre_signed, block_size=block_size, etag=etag, **options
    )
    if reader.size != size:
        reader.close()
        raise ObjectChangedError(
            f"{path} changed since it was opened ({size} bytes became {reader.size}): read it again"
        )
    reader.seek(position)
    return reader


# Reference.open, bound in the class: named as the method is (a bound method pickles by name)
@overload
def open(
    reference: Reference,
    path: str,
    mode: Literal["rb"],
    pre_signed: bool | None = None,
    **options: Unpack[ReadOptions],
) -> ObjectReader: ...


@overload
def open(
    reference: Reference,
    path: str,
    mode: Literal["r"] = "r",
    pre_signed: bool | None = None,
    **options: Unpack[ReadOptions],
) -> TextIOWrapper: ...


def open(
    reference: Reference,
    path: str,
    mode: Literal["r", "rb"] = "r",
    pre_signed: bool | None = None,
    *,
    encoding: str = "utf-8",
    errors: str = "strict",
    newline: str | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> ObjectReader | TextIOWrapper:
    """Open an object for reading, as a binary file ("rb") or a text file ("r").

    Data arrives by ranged requests behind a read-ahead buffer, so memory stays bounded whatever
    the object's size; a missing object raises FileNotFoundError here (opening fetches the first
    block).

    Args:
        path: The object's path.
        mode: "rb" for bytes, "r" for text.
        pre_signed: Read straight from the object store (None: when the server supports it).
        encoding: Text mode's encoding.
        errors: Text mode's decoding errors.
        newline: Text mode's newline handling.
        block_size: The largest read-ahead request, in bytes.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Returns:
        An :class:`ObjectReader` for "rb", a text file over one for "r".

    Raises:
        ValidationError: a bad path, mode or option (before any request).
        ObjectNotFoundError: no object at ``path`` (also a ``FileNotFoundError``).
        NotFoundError: the repository or the reference does not exist.

    Example:
        >>> main = lakefs.repository(repo.id).branch("main")
        >>> _ = main.upload("first line\\nsecond line\\n", "read/notes.txt")
        >>> with main.open("read/notes.txt", "r") as f:
        ...     [line.rstrip() for line in f]
        ['first line', 'second line']
        >>> with main.open("read/notes.txt", "rb") as f:
        ...     f.read(5)
        b'first'
    """
    if mode not in ("r", "rb"):
        raise ValidationError(f"mode must be 'r' or 'rb' for reading, not {mode!r}")
    if not isinstance(path, str) or not path:
        raise ValidationError("path must be a non-empty str")
    use_presign = resolve_pre_signed(reference.client, pre_signed)
    reader = ObjectReader(
        reference,
        path,
        pre_signed=use_presign,
        block_size=block_size,
        timeout=timeout,
        extra_headers=extra_headers,
    )
    if mode == "rb":
        return reader
    return TextIOWrapper(reader, encoding=encoding, errors=errors, newline=newline)
