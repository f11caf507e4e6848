"""Fetching an object's bytes: the transfer core under every read and download.

* :class:`_ObjectGets`: the GETs of one read, through lakeFS or (pre-signed) straight to the
  object store once lakeFS redirected there, every answer of the version the first one was;
* :class:`Resumed`: the one resume loop. A stretch of the object read as one stream: one GET
  and, where its answer breaks off, a ranged GET from the byte where it stopped;
* :func:`fetch_file`: the one way an object comes into a local file, streamed or in parallel
  ranges, whole or not at all (the caller says how the file is made: a plain path for
  ``download_file``, a :class:`~lakefs.lib._local_tree.Place` for folders and ``fs.get``).
"""

from __future__ import annotations

import errno
import os
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import IO, TYPE_CHECKING, TypedDict

from lakefs._exceptions import (
    APIConnectionError,
    APIResponseError,
    ForbiddenError,
    ObjectChangedError,
)
from lakefs._generated import operations as ops
from lakefs._logs import get_logger

if TYPE_CHECKING:
    import urllib3

    from lakefs._client import RequestTimeout
    from lakefs._generated.reference import Reference
    from lakefs.lib.progress import Tracker

__all__ = [
    "ATTEMPTS",
    "CONTENT_RANGE",
    "DEFAULT_BLOCK_SIZE",
    "FetchOptions",
    "Resumed",
    "fetch_file",
    "write_at",
]

log = get_logger("reader")

DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024
ATTEMPTS = 5  # GETs in a row that bring no byte before a read gives up
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_COPY_CHUNK = 1024 * 1024  # what one read from the network hands to the file

Fill = Callable[[IO[bytes]], int]
"""Writes a (new, empty, unbuffered) local file, by its descriptor (:func:`write_at`); returns
the object's size."""


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


class Resumed:
    """The bytes ``[start, end)`` of one object (``end`` None: to its end) as one stream: one
    GET and, where its answer breaks off (a dropped connection, a body that ends before the
    bytes it promised), a ranged GET for the bytes from where it stopped. Every download's
    one resume loop: ``ObjectReader``'s streamed reads, and each stream or range of a download.

    A read gives up (``APIConnectionError``) after :data:`ATTEMPTS` GETs in a row that brought
    no byte, or when an answer that gave no size breaks off (nothing to resume towards: never a
    silent truncation). A GET from beyond the first byte must be answered with a range (206):
    otherwise ``restart`` (when given) is told and the stream starts again from byte 0, or the
    read fails.

    Args:
        gets: the GETs of the read (one version).
        start: the first byte.
        end: the byte after the last (None: the object's end).
        size: the object's size, when known already (else learned from the answers).
        whole: ask for no range when the stream starts at 0 and has no ``end``.
        restart: called when a store ignored a range and sent the whole object again.
        answer: the answer of a GET the caller sent already for ``[start, end)`` (unread),
            read first: a caller that needed its headers (a suffix range's offset, the
            object's size) before the stream could be said.
    """

    def __init__(
        self,
        gets: _ObjectGets,
        start: int,
        end: int | None = None,
        *,
        size: int | None = None,
        whole: bool = False,
        restart: Callable[[], object] | None = None,
        answer: urllib3.BaseHTTPResponse | None = None,
    ) -> None:
        self.name = gets.name
        self.pos = start
        self.size = size
        self.ranged = True  # whether the latest answer was a range (206)
        self._gets = gets
        self._end = end
        self._whole = whole
        self._restart = restart
        self._resp: urllib3.BaseHTTPResponse | None = answer
        if answer is not None:
            self.ranged = answer.status == 206

    def _limit(self) -> int | None:
        """Where the stream ends, when known (its ``end``, or the object's end before it)."""
        if self._end is None or self.size is None:
            return self._end if self._end is not None else self.size
        return min(self._end, self.size)

    def _open(self) -> urllib3.BaseHTTPResponse:
        end = "" if self._end is None else str(self._end - 1)
        everything = self._whole and self.pos == 0 and self._end is None
        resp = self._gets.get({} if everything else {"Range": f"bytes={self.pos}-{end}"}, True)
        self.ranged = resp.status == 206
        if not self.ranged and self.pos:
            if self._restart is None:
                resp.close()
                raise APIConnectionError(
                    f"{self.name}: the store ignored a range request ({resp.status})",
                    method="GET",
                    path=self.name,
                )
            self._restart()  # a range ignored: start again from the beginning
            self.pos = 0
        if not self.ranged:
            self._end = None  # the whole object is coming
        total = _total_size(resp)
        self.size = total if total is not None else self.size
        return resp

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes from :attr:`pos` on (``b""`` at the end)."""
        from urllib3.exceptions import HTTPError  # loaded with the client's first request

        for _ in range(ATTEMPTS):
            if self._resp is None:
                self._resp = self._open()
            try:
                chunk = self._resp.read(n)
            except (HTTPError, OSError) as exc:
                log.info("read of %s cut short at %d (%s): resuming", self.name, self.pos, exc)
                self.close()
                if self._limit() is None:
                    raise APIConnectionError(
                        f"{self.name}: the answer broke off at byte {self.pos} and gave no size",
                        method="GET",
                        path=self.name,
                    ) from exc
                continue
            if chunk:
                self.pos += len(chunk)
                return chunk
            self._resp.release_conn()  # read to its end: the connection is reused
            self._resp = None
            limit = self._limit()
            if limit is None or self.pos >= limit:
                return b""
            log.info("answer of %s ended at %d of %d: resuming", self.name, self.pos, limit)
        raise APIConnectionError(
            f"{self.name}: reading was cut short {ATTEMPTS} times at byte {self.pos}",
            method="GET",
            path=self.name,
        )

    def copy(self, fd: int, counter: Tracker | None) -> int:
        """Write the rest of the stream into ``fd``, each byte at its offset; returns the
        position reached (the stream's end)."""
        try:
            while chunk := self.read(_COPY_CHUNK):
                write_at(fd, chunk, self.pos - len(chunk))
                if counter is not None:
                    counter.advance(len(chunk))
        finally:  # a cancellation, a full disk: the rest of the body is unread
            self.close()
        return self.pos

    def close(self) -> None:
        """Drop the answer being read (a half-read connection is not reused)."""
        if self._resp is not None:
            self._resp.close()
            self._resp.release_conn()
            self._resp = None


def write_at(fd: int, data: bytes, offset: int) -> None:
    """Write all of ``data`` into the file ``fd`` at ``offset``. A write may take part of it
    (a disk filling up takes what fits, then refuses the rest): the rest is written again,
    so that a full disk is an ``OSError``, never a file short of its last bytes."""
    done = os.pwrite(fd, data, offset)
    if done < len(data):
        view = memoryview(data)
        while done < len(data):
            wrote = os.pwrite(fd, view[done:], offset + done)
            if not wrote:  # no progress: an error, never a loop that waits forever
                raise OSError(errno.EIO, f"a write at byte {offset + done} wrote nothing")
            done += wrote


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

    def to_file(self, out: IO[bytes], block_size: int, max_workers: int) -> int:
        """Write the object into ``out`` (an empty file); returns its size."""
        fd = out.fileno()
        if max_workers <= 1:  # one open-ended GET (without a range), resumed where it broke
            stream = Resumed(self._gets, 0, whole=True, restart=lambda: out.truncate(0))
            return stream.copy(fd, self._counter)
        # The first block tells the size; the rest comes in parallel ranges.
        first = Resumed(self._gets, 0, block_size)
        written = first.copy(fd, self._counter)
        size = first.size
        if not first.ranged or size is None or written >= size:
            return written  # the store sent everything (or the object is that small)
        os.ftruncate(fd, size)
        starts = range(written, size, block_size)
        workers = min(max_workers, len(starts))
        with ThreadPoolExecutor(workers, thread_name_prefix="lakefs-range") as pool:
            futures = [
                pool.submit(
                    Resumed(self._gets, s, min(s + block_size, size)).copy, fd, self._counter
                )
                for s in starts
            ]
            try:
                for f in futures:
                    f.result()
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        return size


class FetchOptions(TypedDict, total=False):
    """The options of :func:`fetch_file` besides ``pre_signed`` (each with its default)."""

    block_size: int  # of each parallel range (DEFAULT_BLOCK_SIZE)
    max_workers: int  # ranges in flight at once (1: one stream)
    counter: Tracker | None  # advanced by the bytes written (None)
    timeout: RequestTimeout | None  # of each request (None: the client's)
    extra_headers: Mapping[str, str] | None  # added to the requests sent to lakeFS (None)
    expected_size: int | None  # the object's size, when known (say from a listing)


def fetch_file(
    write: Callable[[Fill], int],
    reference: Reference,
    path: str,
    *,
    pre_signed: bool,
    block_size: int = DEFAULT_BLOCK_SIZE,
    max_workers: int = 1,
    counter: Tracker | None = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
    expected_size: int | None = None,
) -> int:
    """Download the object ``path`` of ``reference`` into a local file: the one way every
    download (``download_file``, folders, ``fs.get``) comes to disk.

    ``write`` makes the file whole or not at all: it opens a temporary file, hands it to the
    function it is given, and renames it into place once that returned (removing it on any
    failure). One open-ended GET streams the object (resumed where it broke, see
    :class:`Resumed`); with ``max_workers`` > 1 an object larger than ``block_size`` comes
    as that many ranged GETs in flight at once, each written at its offset.

    Returns:
        The object's size.

    Raises:
        APIResponseError: a size other than ``expected_size`` (when given) arrived; nothing
            is renamed into place.
    """
    fetch = _Fetch(reference, path, pre_signed, counter, timeout, extra_headers)

    def fill(out: IO[bytes]) -> int:
        size = fetch.to_file(out, block_size, max_workers)
        if expected_size is not None and size != expected_size:
            raise APIResponseError(
                f"{path}: {size} bytes arrived, the object has {expected_size}",
                method="GET",
                path=path,
            )
        return size

    return write(fill)


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
        match = CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
        if match and match.group(3) != "*":
            return int(match.group(3))
        return None
    length = resp.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None
