"""Writing objects as files: any number of writes, bounded memory, all or nothing.

``ObjectWriter`` is an ``io.BufferedIOBase``. Nothing appears on the branch until ``close()``
succeeds; an exception inside the ``with`` block, or ``discard()``, leaves nothing behind. How the
bytes travel depends on the size and on the server:

* small objects (below ``part_size`` at close): one request, retried as needed: a plain upload
  through lakeFS, or a pre-signed PUT to the object store then a link;
* larger ones through lakeFS: streamed as one chunked upload from a bounded queue, fed by
  ``write()`` while a background thread sends it;
* larger ones with pre-signed multipart support: parts of ``part_size`` uploaded in parallel
  (``max_workers``), each retried, memory bounded by the parts in flight, and the upload aborted
  if anything fails.

``"x"`` modes send ``If-None-Match: *``: the server, not a racy stat, refuses an existing path
(``FileExistsError`` when the file closes).
"""

from __future__ import annotations

import io
import json
import mimetypes
import os
import queue
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from lakefs._exceptions import LakeFSError, ValidationError
from lakefs._logs import get_logger
from lakefs._objects import ObjectInfo
from lakefs._server_configuration import ServerConfiguration, resolve_pre_signed
from lakefs.lib.reader import DEFAULT_BLOCK_SIZE, ObjectReader, open_reader

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from lakefs._generated.branch import Branch
    from lakefs._transport import Transport

__all__ = [
    "DEFAULT_MAX_WORKERS",
    "DEFAULT_PART_SIZE",
    "ObjectWriter",
    "open_branch_file",
    "open_writer",
    "upload_file",
]

log = get_logger("writer")

DEFAULT_PART_SIZE = 8 * 1024 * 1024  # S3 wants >= 5 MiB for every part but the last
DEFAULT_MAX_WORKERS = 4
_STREAM_CHUNK = 1024 * 1024  # what write() hands a streaming upload at a time
_QUEUE_CHUNKS = 8  # chunks waiting for the streaming thread: memory stays near 8 MiB
SINGLE_REQUEST_MAX = 128 * 1024 * 1024  # upload_file sends files up to this in one request
_END = object()


class _Aborted(Exception):  # noqa: N818 - a signal, not an error users see
    """Raised into a streaming upload's body to cut it short (the object is not created)."""


class ObjectWriter(io.BufferedIOBase):
    """A write-only binary file that becomes one object when it closes successfully.

    Args:
        branch: the branch to write to.
        path: the object's path.
        exclusive: refuse to overwrite an existing object (``"x"`` modes).
        pre_signed: transfer through pre-signed URLs (None: as the server supports).
        content_type: the object's content type (guessed from the path when None).
        metadata: user metadata to store with the object.
        part_size: the size of a multipart part, and of the largest single-request upload.
        max_workers: parts uploaded at once (pre-signed multipart).
    """

    def __init__(
        self,
        branch: Branch,
        path: str,
        *,
        exclusive: bool = False,
        pre_signed: bool | None = None,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        max_workers: int = DEFAULT_MAX_WORKERS,
    ) -> None:
        super().__init__()
        # Set first: __del__ may run on an instance whose constructor raised.
        self._upload: _Upload | None = None
        self._buf = bytearray()
        self._written = 0
        self._expected_size = 0  # known when uploading a file: lets multipart ask once for URLs
        self._result: ObjectInfo | None = None
        self.name = path
        if not isinstance(path, str) or not path:
            raise ValidationError("path must be a non-empty str")
        for name, value in (("part_size", part_size), ("max_workers", max_workers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(f"{name} must be a positive int, not {value!r}")
        if metadata is not None and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise ValidationError("metadata must map str to str")
        self._branch = branch
        self._transport: Transport = branch.client.transport
        self._exclusive = exclusive
        self._pre_signed = resolve_pre_signed(branch.client, pre_signed)
        self._content_type = (
            content_type or mimetypes.guess_type(path)[0] or ("application/octet-stream")
        )
        self._metadata = dict(metadata or {})
        self._part_size = part_size
        self._max_workers = max_workers

    # -- io ----------------------------------------------------------------------------------

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._written

    def write(self, data: ReadableBuffer) -> int:
        """Buffer ``data``; full parts leave at once, so memory stays bounded."""
        if self.closed:
            raise ValueError("write to closed file")
        view = memoryview(data).cast("B")
        self._buf += view
        self._written += len(view)
        # Until a large upload starts, up to part_size is kept (it may all fit one request);
        # then each upload takes its own chunk size.
        flush = self._upload.chunk_size if self._upload is not None else self._part_size
        while len(self._buf) >= flush:
            part = bytes(self._buf[:flush])
            del self._buf[:flush]
            self._send(part)
            flush = self._upload.chunk_size if self._upload is not None else self._part_size
        return len(view)

    def _send(self, part: bytes) -> None:
        if self._upload is None:
            self._upload = self._start_large()
        try:
            self._upload.add(part)
        except BaseException:
            self.discard()
            raise

    def _start_large(self) -> _Upload:
        storage = ServerConfiguration(self._branch.client).storage_config()
        if self._pre_signed and storage.pre_sign_multipart_upload:
            return _MultipartUpload(self)
        if self._pre_signed:
            return _SpooledPresignedUpload(self)
        return _StreamingUpload(self)

    def close(self) -> None:
        """Finish the upload: the object appears on the branch now (idempotent)."""
        if self.closed:
            return
        try:
            if self._upload is None:
                data = bytes(self._buf)
                self._result = _upload_one(self, data, len(data))
            else:
                if self._buf:
                    self._upload.add(bytes(self._buf))
                self._result = self._upload.finish()
        except BaseException:
            if self._upload is not None:
                self._upload.abort()
            raise
        finally:
            self._buf = bytearray()
            super().close()

    def discard(self) -> None:
        """Drop everything written: nothing appears on the branch."""
        if self.closed:
            return
        try:
            if self._upload is not None:
                self._upload.abort()
        finally:
            self._buf = bytearray()
            super().close()

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if exc_type is not None:
            self.discard()
        else:
            self.close()

    def __del__(self) -> None:
        # A writer dropped without close() (say, after an exception outside a with block)
        # must not publish a half-written object: discard, unlike a plain file's flush.
        if not self.closed:
            self.discard()

    @property
    def info(self) -> ObjectInfo | None:
        """The written object, once the file closed successfully."""
        return self._result

    # -- shared request pieces ---------------------------------------------------------------

    def _branch_url(self, *tail: str, query: dict[str, str] | None = None) -> str:
        b = self._branch
        return self._transport.api_url(
            ["repositories", b.repository_id, "branches", b.id, *tail],
            {"path": self.name, **(query or {})},
        )

    def _condition(self) -> dict[str, str]:
        return {"If-None-Match": "*"} if self._exclusive else {}

    def _json(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json", **self._condition()}
        resp = self._transport.request(
            method,
            url,
            body=json.dumps(body).encode() if body is not None else None,
            headers=headers,
        )
        return json.loads(resp.data) if resp.data else None

    def _info(self, stats: dict[str, Any]) -> ObjectInfo:
        return ObjectInfo.from_stats(self._branch, stats)

    def __repr__(self) -> str:
        return f"<ObjectWriter {self.name!r} written={self._written}>"


def _upload_one(writer: ObjectWriter, body: bytes | IO[bytes], size: int) -> ObjectInfo:
    """One object in one request: a plain upload, or a pre-signed PUT and a link."""
    if not writer._pre_signed:
        headers = {
            "Content-Type": writer._content_type,
            "Content-Length": str(size),
            **writer._condition(),
            **{f"X-Lakefs-Meta-{k}": v for k, v in writer._metadata.items()},
        }
        resp = writer._transport.request(
            "POST", writer._branch_url("objects"), body=body, headers=headers
        )
        return writer._info(json.loads(resp.data))
    return _put_presigned(writer, body, size)


def _put_presigned(writer: ObjectWriter, body: bytes | IO[bytes], size: int) -> ObjectInfo:
    location = writer._json(
        "GET", writer._branch_url("staging", "backing", query={"presign": "true"})
    )
    put = writer._transport.request(
        "PUT",
        location["presigned_url"],
        body=body,
        authenticate=False,
        headers={"Content-Length": str(size)},
    )
    etag = (put.headers.get("ETag") or "").strip('"')
    stats = writer._json(
        "PUT",
        writer._branch_url("staging", "backing"),
        {
            "staging": {"physical_address": location["physical_address"]},
            "checksum": etag,
            "size_bytes": size,
            "user_metadata": writer._metadata,
            "content_type": writer._content_type,
        },
    )
    return writer._info(stats)


class _Upload:
    """A large upload under way."""

    chunk_size: int  # how much ``write()`` gathers before handing it over

    def add(self, part: bytes) -> None:
        raise NotImplementedError

    def finish(self) -> ObjectInfo:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError


class _StreamingUpload(_Upload):
    """One chunked POST through lakeFS, fed from a bounded queue by ``write()``."""

    chunk_size = _STREAM_CHUNK

    def __init__(self, writer: ObjectWriter) -> None:
        self._writer = writer
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_CHUNKS)
        self._result: Any = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lakefs-upload", daemon=True)
        self._thread.start()

    def _body(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Aborted):
                raise item
            assert isinstance(item, bytes)
            yield item

    def _run(self) -> None:
        w = self._writer
        headers = {
            "Content-Type": w._content_type,
            **w._condition(),
            **{f"X-Lakefs-Meta-{k}": v for k, v in w._metadata.items()},
        }
        try:
            resp = w._transport.request(
                "POST", w._branch_url("objects"), body=self._body(), headers=headers
            )
            self._result = json.loads(resp.data)
        except BaseException as exc:  # handed to the writing thread
            self._error = exc
        finally:
            self._done.set()

    def _put(self, item: object) -> None:
        while True:
            if self._done.is_set():
                if self._error is not None and not isinstance(self._error, _Aborted):
                    raise self._error
                if item is _END or isinstance(item, _Aborted):
                    return
                raise LakeFSError("the upload ended before all data was sent")
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def add(self, part: bytes) -> None:
        self._put(part)

    def finish(self) -> ObjectInfo:
        self._put(_END)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._writer._info(self._result)

    def abort(self) -> None:
        if not self._done.is_set():
            self._put(_Aborted("discarded"))
        self._thread.join(timeout=60)


class _MultipartUpload(_Upload):
    """A pre-signed multipart upload: parts go straight to the object store, in parallel."""

    def __init__(self, writer: ObjectWriter) -> None:
        self._writer = writer
        self.chunk_size = writer._part_size
        # With a known size, one request brings every part's URL; otherwise each part asks.
        parts = -(-writer._expected_size // writer._part_size) if writer._expected_size else 0
        query = {"parts": str(parts)} if 0 < parts <= 10_000 else None
        created = writer._json("POST", writer._branch_url("staging", "pmpu", query=query))
        self._upload_id: str = created["upload_id"]
        self._address: str = created["physical_address"]
        self._urls: list[str] = list(created.get("presigned_urls") or [])
        self._pool = ThreadPoolExecutor(writer._max_workers, thread_name_prefix="lakefs-part")
        self._slots = threading.Semaphore(writer._max_workers)
        self._futures: list[Future[str]] = []
        self._size = 0
        self._finished = False

    def _part_url(self, number: int) -> str:
        if number <= len(self._urls):
            return self._urls[number - 1]
        url = self._writer._branch_url("staging", "pmpu", self._upload_id, "parts", str(number))
        resp = self._writer._transport.request(
            "PUT",
            url,
            body=json.dumps({"physical_address": self._address}).encode(),
            headers={"Content-Type": "application/json"},
        )
        return str(json.loads(resp.data)["presigned_url"])

    def _upload_part(self, number: int, data: bytes) -> str:
        try:
            put = self._writer._transport.request(
                "PUT",
                self._part_url(number),
                body=data,
                authenticate=False,
                headers={"Content-Length": str(len(data))},
            )
            return (put.headers.get("ETag") or "").strip('"')
        finally:
            self._slots.release()

    def add(self, part: bytes) -> None:
        for future in self._futures:  # fail fast on a part that already failed
            if future.done() and future.exception() is not None:
                raise future.exception()  # type: ignore[misc]
        self._slots.acquire()  # bounded memory: at most max_workers parts in flight
        number = len(self._futures) + 1
        self._size += len(part)
        self._futures.append(self._pool.submit(self._upload_part, number, part))

    def finish(self) -> ObjectInfo:
        etags = [f.result() for f in self._futures]
        self._pool.shutdown()
        w = self._writer
        stats = w._json(
            "PUT",
            w._branch_url("staging", "pmpu", self._upload_id),
            {
                "physical_address": self._address,
                "parts": [{"part_number": i + 1, "etag": e} for i, e in enumerate(etags)],
                "user_metadata": w._metadata,
                "content_type": w._content_type,
            },
        )
        self._finished = True
        log.debug("multipart upload of %s: %d parts, %d bytes", w.name, len(etags), self._size)
        return w._info(stats)

    def abort(self) -> None:
        if self._finished:
            return
        self._pool.shutdown(cancel_futures=True)
        w = self._writer
        try:
            w._transport.request(
                "DELETE",
                w._branch_url("staging", "pmpu", self._upload_id),
                body=json.dumps({"physical_address": self._address}).encode(),
                headers={"Content-Type": "application/json"},
            )
        except LakeFSError as exc:  # never mask the error that caused the abort
            log.warning("could not abort multipart upload %s: %s", self._upload_id, exc)


class _SpooledPresignedUpload(_Upload):
    """Pre-signed, but no multipart support: spool to a temporary file, then one PUT."""

    chunk_size = _STREAM_CHUNK

    def __init__(self, writer: ObjectWriter) -> None:
        self._writer = writer
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()/abort()
        self._size = 0

    def add(self, part: bytes) -> None:
        self._file.write(part)
        self._size += len(part)

    def finish(self) -> ObjectInfo:
        try:
            self._file.seek(0)
            return _put_presigned(self._writer, self._file, self._size)
        finally:
            self._file.close()

    def abort(self) -> None:
        self._file.close()


def open_writer(
    branch: Branch,
    path: str,
    mode: Literal["w", "wb", "x", "xb"] = "w",
    pre_signed: bool | None = None,
    content_type: str | None = None,
    metadata: dict[str, str] | None = None,
    encoding: str = "utf-8",
    part_size: int = DEFAULT_PART_SIZE,
    max_workers: int = DEFAULT_MAX_WORKERS,
) -> ObjectWriter | io.TextIOWrapper:
    """Open an object for writing: binary for ``"wb"``/``"xb"``, text for ``"w"``/``"x"``."""
    if mode not in ("w", "wb", "x", "xb"):
        raise ValidationError(f"mode must be 'w', 'wb', 'x' or 'xb' for writing, not {mode!r}")
    writer = ObjectWriter(
        branch,
        path,
        exclusive=mode.startswith("x"),
        pre_signed=pre_signed,
        content_type=content_type,
        metadata=metadata,
        part_size=part_size,
        max_workers=max_workers,
    )
    if mode.endswith("b"):
        return writer
    return _TextWriter(writer, encoding=encoding, write_through=True)


class _TextWriter(io.TextIOWrapper):
    """A text file whose ``with`` block discards the object on an exception, like the binary one."""

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if exc_type is not None:
            self.buffer.discard()  # type: ignore[attr-defined]
        else:
            self.close()

    def discard(self) -> None:
        """Drop everything written: nothing appears on the branch."""
        self.buffer.discard()  # type: ignore[attr-defined]


def upload_file(
    branch: Branch,
    local_path: str | os.PathLike[str],
    path: str,
    content_type: str | None = None,
    metadata: dict[str, str] | None = None,
    pre_signed: bool | None = None,
    part_size: int = DEFAULT_PART_SIZE,
    max_workers: int = DEFAULT_MAX_WORKERS,
) -> ObjectInfo:
    """Upload a local file, streamed; its content type is guessed from its name when not given.

    Its size is known, so it goes in one streamed request (retried from the file's start if
    needed): through lakeFS, or pre-signed up to 128 MiB. Larger pre-signed files go as parallel
    multipart parts.
    """
    source = Path(local_path)
    if not source.is_file():
        raise ValidationError(f"local_path {str(source)!r} is not a file")
    content_type = content_type or mimetypes.guess_type(source.name)[0]
    writer = ObjectWriter(
        branch,
        path,
        pre_signed=pre_signed,
        content_type=content_type,
        metadata=metadata,
        part_size=part_size,
        max_workers=max_workers,
    )
    size = source.stat().st_size
    with source.open("rb") as f:
        if not writer._pre_signed or size <= SINGLE_REQUEST_MAX:
            writer._result = _upload_one(writer, f, size)
            writer.discard()  # nothing buffered: just closes the writer
        else:
            writer._expected_size = size
            with writer:
                while chunk := f.read(writer._part_size):
                    writer.write(chunk)
    assert writer.info is not None
    return writer.info


def open_branch_file(
    branch: Branch,
    path: str,
    mode: Literal["r", "rb", "w", "wb", "x", "xb"] = "r",
    pre_signed: bool | None = None,
    encoding: str = "utf-8",
    errors: str = "strict",
    newline: str | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    content_type: str | None = None,
    metadata: dict[str, str] | None = None,
    part_size: int = DEFAULT_PART_SIZE,
    max_workers: int = DEFAULT_MAX_WORKERS,
) -> ObjectReader | ObjectWriter | io.TextIOWrapper:
    """Open an object on a branch: read modes as any reference, write modes as ``open_writer``."""
    if mode in ("r", "rb"):
        return open_reader(branch, path, mode, pre_signed, encoding, errors, newline, block_size)
    if mode in ("w", "wb", "x", "xb"):
        return open_writer(
            branch, path, mode, pre_signed, content_type, metadata, encoding, part_size, max_workers
        )
    raise ValidationError(f"mode must be one of r, rb, w, wb, x, xb, not {mode!r}")
