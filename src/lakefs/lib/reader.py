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

import io
import os
import re
import tempfile
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, SupportsIndex

import urllib3

from lakefs import _validation as validate
from lakefs._exceptions import (
    APIConnectionError,
    APIResponseError,
    ForbiddenError,
    ObjectChangedError,
    RangeNotSatisfiableError,
    ValidationError,
)
from lakefs._generated import operations as ops
from lakefs._logs import get_logger
from lakefs._server_configuration import resolve_pre_signed
from lakefs.lib.progress import ProgressOption, Tracker, check_option, tracker

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

    from lakefs._client import RequestTimeout
    from lakefs._generated.reference import Reference

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "TEMP_SUFFIX",
    "ObjectReader",
    "download_file",
    "fetch_to_file",
    "open_reader",
    "reopen_reader",
]

log = get_logger("reader")

DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024
_FIRST_WINDOW = 64 * 1024
_STREAM_ATTEMPTS = 5
_STREAM_AFTER = 1024 * 1024  # a sequential read this far along streams the rest
_MAX_STREAM_READ = 256 * 1024 * 1024  # the most one read from the stream buffers
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class ObjectReader(io.BufferedIOBase):
    """A read-only, seekable binary file over one object at one reference.

    Created by ``Reference.open(path, "rb")``; opening it fetches the first block (so a missing
    object raises ``FileNotFoundError`` at once) and learns the object's size from that answer.

    It pickles as what reopens it (its reference, with the client, credentials included, its
    options and position) and the version it reads (:attr:`etag`): unpickled, it reads that
    version or raises :class:`~lakefs.ObjectChangedError` (the object was overwritten since).
    A closed reader does not pickle.
    """

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
        if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
            raise ValidationError(f"block_size must be a positive int, not {block_size!r}")
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
        self._stream: urllib3.BaseHTTPResponse | None = None
        self._stream_pos = 0
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

    def _get(
        self, start: int, length: int | None, stream: bool = False
    ) -> urllib3.BaseHTTPResponse:
        """A ranged GET from ``start`` (to the end when ``length`` is None)."""
        end = "" if length is None else str(start + length - 1)
        return self._gets.get({"Range": f"bytes={start}-{end}"}, stream)

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
        match = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
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
        """Buffer the next ``length`` bytes (fewer at the end) from an open-ended GET, reopened
        where it broke if cut short."""
        length = min(length, _MAX_STREAM_READ, self.size - self._pos)
        for _ in range(_STREAM_ATTEMPTS):
            if self._stream is None or self._stream_pos != self._pos:
                self._close_stream()
                self._stream = self._get(self._pos, None, stream=True)
                self._stream_pos = self._pos
            try:
                data = self._stream.read(length)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                log.info("read of %s cut short at %d (%s): resuming", self.name, self._pos, exc)
                self._close_stream()
                continue
            if not data:
                self._close_stream()
                raise APIConnectionError(
                    f"{self.name}: the object ended at {self._pos} of {self.size} bytes",
                    method="GET",
                    path=self.name,
                )
            self._buf, self._buf_start = data, self._pos
            self._stream_pos += len(data)
            return
        raise APIConnectionError(
            f"{self.name}: reading was cut short {_STREAM_ATTEMPTS} times at byte {self._pos}",
            method="GET",
            path=self.name,
        )

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()  # a half-read connection is not reused
            self._stream = None

    # -- io.BufferedIOBase -------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
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

    def read1(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes, with at most one request."""
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
        """``size`` bytes (fewer at the end), or everything left when ``size`` is -1 or None."""
        self._check_open()
        if size is None or size < 0:
            size = max(self.size - self._pos, 0)
        parts = []
        while size > 0 and (chunk := self.read1(size)):
            parts.append(chunk)
            size -= len(chunk)
        return b"".join(parts)

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readinto1(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read1(len(view))
        view[: len(data)] = data
        return len(data)

    def peek(self, size: int = 0) -> bytes:
        """Buffered bytes from the current position, without moving it."""
        self._check_open()
        if self._pos < self.size:
            self._ensure(max(size, 1))
        offset = self._pos - self._buf_start
        return self._buf[offset:] if offset >= 0 else b""

    def readline(self, size: int | None = -1) -> bytes:
        self._check_open()
        limit = self.size if size is None or size < 0 else size
        parts: list[bytes] = []
        while limit > 0 and self._pos < self.size:
            window = self.peek(1)[:limit]
            newline = window.find(b"\n")
            take = window if newline < 0 else window[: newline + 1]
            self._pos += len(take)
            parts.append(take)
            limit -= len(take)
            if newline >= 0:
                break
        return b"".join(parts)

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


def open_reader(
    reference: Reference,
    path: str,
    mode: Literal["r", "rb"] = "r",
    pre_signed: bool | None = None,
    encoding: str = "utf-8",
    errors: str = "strict",
    newline: str | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> ObjectReader | io.TextIOWrapper:
    """Open an object for reading: a binary file for ``"rb"``, a text file for ``"r"``."""
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
    return io.TextIOWrapper(reader, encoding=encoding, errors=errors, newline=newline)


def download_file(
    reference: Reference,
    path: str,
    local_path: str | os.PathLike[str],
    pre_signed: bool | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    max_workers: int | None = None,
    progress: ProgressOption = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> Path:
    """Stream an object to ``local_path``: written under a temporary name, renamed when complete.

    One GET streams the whole object to disk (resumed by a ranged GET where a connection broke);
    with ``max_workers`` > 1 an object larger than ``block_size`` comes as that many ranged GETs
    of ``block_size`` in flight at once, each written at its offset. ``None`` means one stream:
    on a loopback store, parallel ranges gained nothing (``make bench`` shows the crossover);
    they pay off against a store far away.
    """
    validate.object_path(path, "path")
    if not isinstance(local_path, (str, os.PathLike)):
        kind = type(local_path).__name__
        raise ValidationError(f"local_path must be a str or a path, not {kind}")
    _positive(block_size, "block_size")
    if max_workers is not None:
        _positive(max_workers, "max_workers")
    check_option(progress)
    target = Path(local_path)
    use_presign = resolve_pre_signed(reference.client, pre_signed)
    with tracker(progress, "download_file", description=path) as bar:
        fetch_to_file(
            reference,
            path,
            target,
            pre_signed=use_presign,
            block_size=block_size,
            max_workers=max_workers or 1,
            counter=bar if bar.active else None,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        bar.file_done(path, "sent")
    return target


TEMP_SUFFIX = ".lakefs-part"
"""The suffix of the temporary file a download writes before renaming it into place."""


def _positive(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{name} must be a positive int, not {value!r}")


def fetch_to_file(
    reference: Reference,
    path: str,
    target: Path,
    *,
    pre_signed: bool,
    block_size: int = DEFAULT_BLOCK_SIZE,
    max_workers: int = 1,
    counter: Tracker | None = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
    expected_size: int | None = None,
) -> int:
    """Download ``path`` into ``target`` (under a temporary name in the same folder, renamed
    when complete; removed on any failure). Returns the object's size; a size other than
    ``expected_size`` (when given, say from a listing) is an error, and nothing is renamed."""
    # The temporary name keeps at most 100 bytes of the file's, so that a long name (up to
    # the file system's 255 bytes) still leaves room for the random part and the suffix.
    stem = os.fsdecode(os.fsencode(target.name)[:100])
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            fetch = _Fetch(reference, path, pre_signed, counter, timeout, extra_headers)
            size = fetch.to_file(out, block_size, max_workers)
        if expected_size is not None and size != expected_size:
            raise APIResponseError(
                f"{path}: {size} bytes arrived, the object has {expected_size}",
                method="GET",
                path=path,
            )
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return size


_COPY_CHUNK = 1024 * 1024  # what one read from the network hands to the file


class _ObjectGets:
    """The GETs of one object read: through lakeFS, or to the object store once lakeFS
    redirected there (a pre-signed read, asked for again once its URL expires); every answer
    must be of the version the first one was (``ObjectChangedError`` otherwise)."""

    def __init__(
        self,
        reference: Reference,
        path: str,
        pre_signed: bool,
        timeout: RequestTimeout | None,
        extra_headers: Mapping[str, str] | None,
        etag: str | None = None,
    ) -> None:
        self.name = path
        self._transport = reference.client.transport
        self._url = ops.get_object(
            self._transport,
            reference.repository_id,
            reference.id,
            path=path,
            presign=True if pre_signed else None,
        ).url
        self._pre_signed = pre_signed
        self._timeout = timeout
        self._headers = dict(extra_headers or {})  # sent to lakeFS, not to the store
        self._direct: str | None = None  # the object store's pre-signed URL, once known
        self._etag = etag  # the version every answer must be of (None: the first answer's)
        self._lock = threading.Lock()  # parallel ranges check the version together
        self.requests = 0

    @property
    def etag(self) -> str | None:
        """The ETag every answer must have (None until an answer gave one)."""
        return self._etag

    def get(self, headers: Mapping[str, str], stream: bool) -> urllib3.BaseHTTPResponse:
        """One GET with ``headers`` (a Range), of the version the first answer was."""
        resp = self._request(headers, stream)
        with self._lock:
            self._etag = _same_version(self.name, self._etag, resp)
        return resp

    def _request(self, headers: Mapping[str, str], stream: bool) -> urllib3.BaseHTTPResponse:
        self.requests += 1
        direct = self._direct
        if direct is not None:
            try:
                return self._transport.request(
                    "GET",
                    direct,
                    headers=headers,
                    stream=stream,
                    authenticate=False,
                    timeout=self._timeout,
                    decode=False,
                )
            except ForbiddenError:  # the pre-signed URL expired: ask lakeFS for a new one
                self._direct = None
                self.requests += 1
        return self._transport.request(
            "GET",
            self._url,
            headers={**self._headers, **headers},
            stream=stream,
            timeout=self._timeout,
            on_redirect=self._redirected if self._pre_signed else None,
            decode=False,  # an object's bytes as stored, whatever its Content-Encoding
        )

    def _redirected(self, location: str) -> None:
        """lakeFS sent the read to the object store: later reads go there directly."""
        self._direct = location


class _Fetch:
    """The requests of one download (see :class:`_ObjectGets`), and its progress."""

    def __init__(
        self,
        reference: Reference,
        path: str,
        pre_signed: bool,
        counter: Tracker | None,
        timeout: RequestTimeout | None,
        extra_headers: Mapping[str, str] | None,
    ) -> None:
        self.name = path
        self._gets = _ObjectGets(reference, path, pre_signed, timeout, extra_headers)
        self._counter = counter

    def get(self, start: int, end: int | None) -> urllib3.BaseHTTPResponse:
        """A streamed GET of bytes ``start`` to ``end`` (inclusive; None: to the end; a GET
        without a range when both say "everything")."""
        headers = {} if start == 0 and end is None else {"Range": f"bytes={start}-{end or ''}"}
        return self._gets.get(headers, True)

    def _count(self, n: int) -> None:
        if self._counter is not None:
            self._counter.advance(n)

    def to_file(self, out: BinaryIO, block_size: int, max_workers: int) -> int:
        """Write the object into ``out`` (an empty file); returns its size."""
        if max_workers <= 1:
            return self._stream(out, 0, None)
        # The first block tells the size; the rest comes in parallel ranges.
        resp = self.get(0, block_size - 1)
        size = _total_size(resp)
        written, _ = self._copy(resp, out.fileno(), 0)
        if resp.status == 200 or size is None or written >= size:
            return written  # the store sent everything (or the object is that small)
        os.ftruncate(out.fileno(), size)
        starts = range(written, size, block_size)
        workers = min(max_workers, len(starts))
        with ThreadPoolExecutor(workers, thread_name_prefix="lakefs-range") as pool:
            futures = [
                pool.submit(self._range, out.fileno(), s, min(s + block_size, size)) for s in starts
            ]
            try:
                for f in futures:
                    f.result()
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        return size

    def _range(self, fd: int, start: int, end: int) -> None:
        """Fetch ``[start, end)`` into ``fd`` at its offset, resumed where it broke."""
        pos = start
        for _ in range(_STREAM_ATTEMPTS):
            resp = self.get(pos, end - 1)
            if resp.status != 206:
                resp.close()
                raise APIConnectionError(
                    f"{self.name}: the store ignored a range request ({resp.status})",
                    method="GET",
                    path=self.name,
                )
            pos, _ = self._copy(resp, fd, pos)
            if pos >= end:
                return
        raise APIConnectionError(
            f"{self.name}: reading was cut short {_STREAM_ATTEMPTS} times at byte {pos}",
            method="GET",
            path=self.name,
        )

    def _copy(self, resp: urllib3.BaseHTTPResponse, fd: int, pos: int) -> tuple[int, bool]:
        """Copy an answer's body to ``fd`` from ``pos``; returns the position reached and
        whether the connection broke before the answer's end."""
        try:
            while True:
                try:
                    chunk = resp.read(_COPY_CHUNK)
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    log.info("read of %s cut short at %d (%s): resuming", self.name, pos, exc)
                    resp.close()
                    return pos, True
                if not chunk:
                    return pos, False
                os.pwrite(fd, chunk, pos)
                pos += len(chunk)
                self._count(len(chunk))
        except BaseException:  # a cancellation, a full disk: the rest of the body is unread
            resp.close()  # so the connection is not handed back to the pool half-read
            raise
        finally:
            resp.release_conn()

    def _stream(self, out: BinaryIO, start: int, size: int | None) -> int:
        """One open-ended GET to the file, resumed by ranged GETs where it broke."""
        pos = start
        for _ in range(_STREAM_ATTEMPTS):
            resp = self.get(pos, None)
            if pos and resp.status != 206:  # a range ignored: start again from the beginning
                pos = 0
                out.truncate(0)
            total = _total_size(resp)
            size = total if total is not None else size
            pos, broken = self._copy(resp, out.fileno(), pos)
            if size is None and broken:  # no size to resume towards: never a silent truncation
                raise APIConnectionError(
                    f"{self.name}: the answer broke off at byte {pos} and gave no size",
                    method="GET",
                    path=self.name,
                )
            if size is None or pos >= size:
                return pos
        raise APIConnectionError(
            f"{self.name}: reading was cut short {_STREAM_ATTEMPTS} times at byte {pos}",
            method="GET",
            path=self.name,
        )


def _same_version(path: str, known: str | None, resp: urllib3.BaseHTTPResponse) -> str | None:
    """The ETag of the version being read; an answer of another version (the object was
    overwritten between two requests of one read) is an error, never a mix of both."""
    etag = resp.headers.get("ETag")
    if known is None or etag is None or etag.strip('"') == known.strip('"'):
        return known or etag
    resp.close()
    resp.release_conn()
    raise ObjectChangedError(
        f"{path} changed while it was read (ETag {known} became {etag}): read it again"
    )


def _total_size(resp: urllib3.BaseHTTPResponse) -> int | None:
    """The object's whole size, from a 206's Content-Range or a 200's Content-Length."""
    if resp.status == 206:
        match = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
        if match and match.group(3) != "*":
            return int(match.group(3))
        return None
    length = resp.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None
