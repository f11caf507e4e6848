"""Request bodies, given afresh to each attempt when they can be.

Bytes are sent as they are; a seekable file is rewound to where it stood; a path is reopened; a
streamed body (an iterator, a pipe) that was already consumed is never sent again
(:class:`NotReplayable`). A file whose size was given as ``Content-Length`` is sent as exactly
that many bytes (:class:`ExactLength`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from typing import Any, cast

from lakefs._exceptions import SourceChangedError

Body = bytes | bytearray | memoryview | io.IOBase | os.PathLike[str] | Iterable[bytes] | None
"""A request body: bytes; a binary file (rewound for a retry when seekable); a local path
(reopened for each attempt); or an iterable of bytes (streamed, never sent twice)."""


class NotReplayable(Exception):  # noqa: N818 - a signal inside the retry loop
    """A retry would need a body that was already consumed."""


class Replayable:
    """A request body, given afresh to each attempt when it can be."""

    def __init__(self, body: Body, length: int | None = None) -> None:
        self._body = body
        self._length = length  # a file body's Content-Length: exactly this much is sent
        self._file: io.BufferedReader | None = None
        self._path = False  # a local path: reopened for each attempt
        self._start: int | None = None
        self._consumed = False
        self.stream: Iterator[bytes] | None = None
        if body is None or isinstance(body, (bytes, bytearray, memoryview)):
            return  # sent as it is by each attempt (checked first: most bodies are bytes)
        if isinstance(body, io.IOBase):
            if body.seekable():
                self._start = body.tell()
            else:
                self.stream = self._track(body)
        elif isinstance(body, os.PathLike):
            self._path = True
        else:
            self.stream = self._track(body)

    @property
    def chunked(self) -> bool:
        return self.stream is not None

    def _track(self, source: io.IOBase | Iterable[bytes]) -> Iterator[bytes]:
        if isinstance(source, io.IOBase):
            chunks: Iterable[bytes] = iter(lambda: source.read(1 << 20), b"")
        else:
            chunks = source
        for chunk in chunks:
            self._consumed = True
            yield chunk

    def open(self) -> Any:
        """The body for one attempt."""
        body = self._body
        if self._path:
            self.close()
            path = cast("os.PathLike[str]", body)
            self._file = open(path, "rb")  # noqa: SIM115 - closed by close() or the next open()
            return self._exact(self._file)
        if self._start is not None:
            file = cast("io.IOBase", body)
            file.seek(self._start)
            return self._exact(file)
        if self.stream is not None:
            return self.stream
        return body

    def _exact(self, file: io.IOBase) -> io.IOBase:
        return file if self._length is None else ExactLength(file, self._length)

    def rewind(self) -> None:
        """Before a retry: refuse when the body was streamed and cannot be sent again."""
        if self._consumed:
            raise NotReplayable

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


NO_BODY = Replayable(None)
"""The body of a request without one (shared: it holds nothing that changes)."""


class ExactLength(io.RawIOBase):
    """A file body sent as exactly ``length`` bytes: a file that grew or shrank since its size
    was taken fails the request (the server then stores nothing) instead of sending a body
    that disagrees with its Content-Length."""

    def __init__(self, file: io.IOBase, length: int) -> None:
        super().__init__()
        self._file = file
        self._length = length
        self._start = file.tell() if file.seekable() else 0
        self._left = length

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self._file.seekable())

    def tell(self) -> int:
        return self._length - self._left

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.tell(), io.SEEK_END: self._length}[whence]
        target = min(max(base + offset, 0), self._length)
        self._file.seek(self._start + target)
        self._left = self._length - target
        return target

    def read(self, size: int = -1) -> bytes:
        if size < 0:  # everything left, in pieces
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        want = min(size, self._left)
        data: bytes = self._file.read(want) if want else b""
        self._left -= len(data)
        if want and not data:
            raise SourceChangedError(f"the file to upload shrank by {self._left} bytes")
        if not self._left and self._file.read(1):
            raise SourceChangedError("the file to upload grew while it was sent")
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
