"""The one choice of how an object's bytes are sent, and what feeds it.

:func:`how_to_send` decides, from the target and what is known of the size: one request
(small, or any known size through lakeFS), or a large upload (pre-signed multipart, pre-signed
spooled, or streamed through lakeFS: :mod:`lakefs.lib._uploads`). ``ObjectWriter``,
:func:`send_file` (a local file: ``upload_file``, folders, ``lakefs://``'s ``put``) and
``Branch.upload`` all go through it: :class:`Sender` takes bytes as they come and asks for
the choice once ``part_size`` of them are waiting; :func:`send_file` and :func:`send_chunks`
ask first when the size is known.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from lakefs._exceptions import SourceChangedError
from lakefs._objects import ObjectInfo
from lakefs._server_configuration import ServerConfiguration
from lakefs.lib._target import _Target
from lakefs.lib._uploads import (
    _MultipartUpload,
    _SpooledPresignedUpload,
    _StreamingUpload,
    _Upload,
    upload_once,
)

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from lakefs.lib.progress import Tracker

__all__ = [
    "Sender",
    "Strategy",
    "_SourceReader",
    "_Watched",
    "how_to_send",
    "send_chunks",
    "send_file",
    "start_upload",
]

_SMALL_FILE = 256 * 1024  # send_file reads files up to this whole (a few per worker at most)

Strategy = Literal["one request", "multipart", "spooled", "streamed"]
"""How an object's bytes travel: one request (retried from the body's start: a plain upload,
or a pre-signed PUT and a link), parallel pre-signed multipart parts, a pre-signed PUT of a
temporary file the bytes were spooled to (no multipart support), or one chunked upload
through lakeFS fed as the bytes come."""


def how_to_send(target: _Target, size: int | None) -> Strategy:
    """The one choice of how the bytes of an object travel to ``target``.

    Args:
        target: where the object goes (pre-signed or not, part size, multipart threshold).
        size: the object's size when known; None when it is not, and ``part_size`` bytes are
            already waiting (a writer's first part is full).

    A known size goes in one request through lakeFS, and pre-signed up to the multipart
    threshold (or below one part); the rest is a large upload: pre-signed multipart when the
    server's blockstore supports it, a spooled pre-signed PUT when not, or (an unknown size
    through lakeFS) one streamed upload.
    """
    if size is not None and (
        not target.pre_signed or size <= target.multipart_threshold or size < target.part_size
    ):
        return "one request"
    storage = ServerConfiguration(target.branch.client).storage_config()
    if target.pre_signed and storage.pre_sign_multipart_upload():
        return "multipart"
    if target.pre_signed:
        return "spooled"
    return "streamed"


def start_upload(target: _Target, strategy: Strategy, expected_size: int = 0) -> _Upload:
    """The large upload ``strategy`` names (``expected_size``, when known, lets multipart ask
    for every part's URL at once)."""
    if strategy == "multipart":
        return _MultipartUpload(target, expected_size)
    if strategy == "spooled":
        return _SpooledPresignedUpload(target)
    if strategy == "streamed":
        return _StreamingUpload(target)
    raise ValueError(f"{strategy!r} is no large upload")


class Sender:
    """The bytes of one object as they come (the core of ``ObjectWriter``): kept until
    ``part_size`` of them are waiting (a small object then goes in one request at
    :meth:`finish`), then handed to the large upload :func:`how_to_send` chose (``strategy``,
    when the caller knew the size and chose already), a chunk of its size at a time, so memory
    stays bounded.

    Whoever feeds a sender ends it: :meth:`finish` publishes (and aborts what it started if
    that fails), :meth:`abort` gives up (nothing is published), :meth:`forget` drops it
    without a request.
    """

    def __init__(
        self, target: _Target, expected_size: int = 0, strategy: Strategy | None = None
    ) -> None:
        self.target = target
        self.upload: _Upload | None = None  # the large upload, once started
        self._buf = bytearray()
        self._expected_size = expected_size
        self._strategy = strategy

    def add(self, data: ReadableBuffer) -> None:
        """Take ``data`` (a bytes-like object); full parts leave at once (this may block while
        earlier parts are sent)."""
        self._buf += data
        flush = self.upload.chunk_size if self.upload is not None else self.target.part_size
        while len(self._buf) >= flush:
            if self.upload is None:  # started before a byte leaves the buffer
                strategy = self._strategy or how_to_send(self.target, None)
                self.upload = start_upload(self.target, strategy, self._expected_size)
            part = bytes(self._buf[:flush])
            del self._buf[:flush]
            self.upload.add(part)
            flush = self.upload.chunk_size  # the first part was part_size, the rest its own

    def finish(self) -> ObjectInfo:
        """Send what is left and publish the object."""
        try:
            if self.upload is None:
                data = bytes(self._buf)
                return upload_once(self.target, data, len(data))
            if self._buf:
                self.upload.add(bytes(self._buf))
            return self.upload.finish()
        except BaseException:
            if self.upload is not None:
                self.upload.abort()
            raise
        finally:
            self._buf = bytearray()

    def abort(self) -> None:
        """Give up: nothing is published, and what was started is cleaned up (may send)."""
        try:
            if self.upload is not None:
                self.upload.abort()
        finally:
            self._buf = bytearray()

    def forget(self) -> None:
        """Give up without sending anything (the writer is being garbage-collected)."""
        if self.upload is not None:
            self.upload.forget()
        self._buf = bytearray()


def send_chunks(
    target: _Target,
    chunks: Iterable[ReadableBuffer],
    *,
    expected_size: int = 0,
    strategy: Strategy | None = None,
) -> ObjectInfo:
    """Send the object made of ``chunks`` through a :class:`Sender`: all or nothing (an
    exception while the chunks come aborts what was started)."""
    sender = Sender(target, expected_size, strategy)
    try:
        for chunk in chunks:
            sender.add(chunk)
    except BaseException:
        sender.abort()
        raise
    return sender.finish()


def send_file(
    target: _Target,
    source: Path | IO[bytes],
    size: int,
    counter: Tracker | None,
    *,
    since: os.stat_result | None = None,
) -> ObjectInfo:
    """Send a local file of ``size`` bytes to ``target``: one streamed request (sent again from
    the start for a retry), or parallel multipart parts for a large pre-signed one.
    ``counter`` (if any) is advanced by the bytes sent.

    ``source`` is a path, or a file open for reading (read from its start; not closed here).
    The file must not change while it is sent: its size, modification time and status-change
    time (``since``: as ``os.fstat`` found them before anything was read; default: when
    opened here) are compared again once every byte is read, before the object can be
    published: the last bytes are not handed over, a multipart upload is aborted, so a file
    rewritten meanwhile (same size included) publishes nothing and the object keeps its
    previous version, if any. A change too fast for the file system's timestamps to show (two
    writes within one tick of its clock, the first just before ``since``) cannot be seen.

    Raises:
        SourceChangedError: the file changed (size, content) before its last byte was read.
    """
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as file:
            return send_file(target, file, size, counter, since=since)
    watched = _Watched(source, size, os.fstat(source.fileno()) if since is None else since)
    strategy = how_to_send(target, size)
    if strategy == "one request" and size <= _SMALL_FILE:  # read whole: a retry re-sends it
        data = watched.read_whole()
        info = upload_once(target, data, size)
        if counter is not None:
            counter.advance(size)
        return info
    if strategy == "one request":
        with _SourceReader(watched, counter) as body:
            return upload_once(target, body, size)
    # A large upload: an exception aborts it (nothing is published).
    parts = _parts(watched, target.part_size, counter)
    return send_chunks(target, parts, expected_size=size, strategy=strategy)


def _parts(watched: _Watched, part_size: int, counter: Tracker | None) -> Iterator[bytes]:
    """The file in parts (each counted once handed over), checked once every byte was read:
    before the last part leaves and the upload completes."""
    source = watched.file
    source.seek(0)
    while chunk := source.read(part_size):
        yield chunk
        if counter is not None:
            counter.advance(len(chunk))
    watched.check()


class _Watched:
    """A local file being uploaded, which must stay as ``since`` (its ``os.fstat``) found it.

    Raises:
        SourceChangedError: (from the constructor) it has not ``size`` bytes.
    """

    def __init__(self, file: IO[bytes], size: int, since: os.stat_result) -> None:
        self.file = file
        self.size = size
        self._since = since
        if since.st_size != size:
            raise SourceChangedError(
                f"the file to upload has {since.st_size} bytes, not {size}: it changed meanwhile"
            )

    def check(self) -> None:
        """Raise if the file changed since it was first looked at.

        Raises:
            SourceChangedError: its size, modification or status-change time differ.
        """
        now = os.fstat(self.file.fileno())
        before = self._since
        if (now.st_size, now.st_mtime_ns, now.st_ctime_ns) != (
            before.st_size,
            before.st_mtime_ns,
            before.st_ctime_ns,
        ):
            raise SourceChangedError(
                "the file to upload changed while it was read (its size, modification or "
                "status-change time moved): nothing was published"
            )

    def read_whole(self) -> bytes:
        """The whole file (it is small), checked."""
        self.file.seek(0)
        data = self.file.read(self.size + 1)
        if len(data) != self.size:
            raise SourceChangedError(
                f"the file to upload has {len(data)} bytes, not {self.size}: it changed meanwhile"
            )
        self.check()
        return data


class _SourceReader(io.RawIOBase):
    """A seekable binary file over a :class:`_Watched` file, for a request body: the read
    that reaches its last byte checks first that the file did not change (and raises instead
    of handing the last bytes over, so that the request cannot complete), and bytes read for
    the first time are reported to ``counter`` (a retry that rewinds does not count them
    twice)."""

    def __init__(self, watched: _Watched, counter: Tracker | None) -> None:
        super().__init__()
        self._watched = watched
        self._raw = watched.file
        self._counter = counter
        self._raw.seek(0)
        self._pos = 0
        self._high = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._pos = self._raw.seek(offset, whence)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data and self._pos + len(data) >= self._watched.size:
            self._watched.check()
        self._pos += len(data)
        if self._counter is not None and self._pos > self._high:
            self._counter.advance(self._pos - self._high)
        self._high = max(self._high, self._pos)
        return data
