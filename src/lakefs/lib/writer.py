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
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, SupportsIndex
from urllib.parse import urlsplit

import urllib3

from lakefs import _validation as validate
from lakefs._exceptions import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    LakeFSError,
    SourceChangedError,
    ValidationError,
)
from lakefs._generated import operations as ops
from lakefs._logs import get_logger
from lakefs._objects import ObjectInfo
from lakefs._server_configuration import ServerConfiguration, resolve_pre_signed
from lakefs.lib.progress import ProgressOption, Tracker, check_option, tracker
from lakefs.lib.reader import DEFAULT_BLOCK_SIZE, ObjectReader, open_reader

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from lakefs._client import RequestTimeout
    from lakefs._generated.branch import Branch
    from lakefs._transport import Body, Transport

__all__ = [
    "DEFAULT_MAX_WORKERS",
    "DEFAULT_MULTIPART_THRESHOLD",
    "DEFAULT_PART_SIZE",
    "ObjectWriter",
    "open_branch_file",
    "open_writer",
    "upload_file",
    "upload_once",
]

log = get_logger("writer")

DEFAULT_PART_SIZE = 8 * 1024 * 1024  # S3 wants >= 5 MiB for every part but the last
DEFAULT_MAX_WORKERS = 4
_STREAM_CHUNK = 1024 * 1024  # what write() hands a streaming upload at a time
_QUEUE_CHUNKS = 8  # chunks waiting for the streaming thread: memory stays near 8 MiB
# Pre-signed uploads of a known size up to this go in one streamed request, larger ones in
# parallel parts. Measured on a local Go S3 store (bench/, `presigned_upload_crossover`), one
# stream beat 4 and 8 parallel 8-32 MiB parts at 256 MiB and at 1 GiB (parts: 0.5-0.65x its
# speed); on a store across a slower network, a lower threshold lets parts run in parallel.
# At most 5 GiB: S3's limit for one PUT.
DEFAULT_MULTIPART_THRESHOLD = 1024 * 1024 * 1024
MAX_SINGLE_REQUEST = 5 * 1024 * 1024 * 1024
_SMALL_FILE = 256 * 1024  # send_file reads files up to this whole (a few per worker at most)
_END = object()


class _Aborted(Exception):  # noqa: N818 - a signal, not an error users see
    """Raised into a streaming upload's body to cut it short (the object is not created)."""


@dataclass(frozen=True)
class _Target:
    """Where and how an object is written: everything an upload strategy needs to know."""

    branch: Branch
    path: str
    exclusive: bool
    pre_signed: bool
    content_type: str
    metadata: dict[str, str]
    part_size: int
    max_workers: int
    timeout: RequestTimeout | None = None  # of each request (None: the client's)
    multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD  # known sizes above: parts
    extra_headers: Mapping[str, str] | None = None  # added to requests sent to lakeFS

    @property
    def transport(self) -> Transport:
        return self.branch.client.transport

    def api(
        self,
        method: str,
        url: str,
        *,
        body: Body = None,
        headers: Mapping[str, Any] | None = None,
    ) -> urllib3.BaseHTTPResponse:
        """A request to lakeFS, with the call's timeout and extra headers."""
        return self.transport.request(
            method,
            url,
            body=body,
            headers={**(self.extra_headers or {}), **(headers or {})},
            timeout=self.timeout,
        )

    def store(self, url: str, body: Body, size: int) -> urllib3.BaseHTTPResponse:
        """A PUT to a pre-signed object-store URL (no credentials, no extra headers)."""
        return self.transport.request(
            "PUT",
            url,
            body=body,
            authenticate=False,
            headers={"Content-Length": str(size)},
            timeout=self.timeout,
        )

    def route(self, operation: Callable[..., ops.Route], *ids: str, **query: Any) -> ops.Route:
        """The route of an operation on this object: its branch's ids, then ``ids`` (an upload
        id, a part number), and the object's path with ``query``."""
        b = self.branch
        route: ops.Route = operation(
            self.transport, b.repository_id, b.id, *ids, path=self.path, **query
        )
        return route

    def condition(self) -> dict[str, str]:
        return {"If-None-Match": "*"} if self.exclusive else {}

    def direct_headers(self) -> dict[str, Any]:
        """Headers of an upload through lakeFS; metadata values travel as UTF-8 bytes, which
        lakeFS stores as they are (the only way it carries non-ASCII metadata)."""
        meta = {f"X-Lakefs-Meta-{k}": v.encode("utf-8") for k, v in self.metadata.items()}
        return {"Content-Type": self.content_type, **self.condition(), **meta}

    def json(self, route: ops.Route, body: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json", **self.condition()}
        resp = self.api(
            route.method,
            route.url,
            body=json.dumps(body).encode() if body is not None else None,
            headers=headers,
        )
        return _json_answer(resp.data, route.method, route.url)

    def info(self, stats: Any) -> ObjectInfo:
        if not isinstance(stats, dict) or not isinstance(stats.get("path"), str):
            raise APIResponseError(f"lakeFS answered an upload of {self.path!r} without its stats")
        return ObjectInfo.from_stats(self.branch, stats)


def _json_answer(data: bytes, method: str, url: str) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError as exc:
        path = urlsplit(url).path
        raise APIResponseError(
            f"the answer is not JSON: {method} {path}", method=method, path=path
        ) from exc


def _make_target(
    branch: Branch,
    path: str,
    *,
    exclusive: bool,
    pre_signed: bool | None,
    content_type: str | None,
    metadata: dict[str, str] | None,
    part_size: int,
    max_workers: int,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
    multipart_threshold: int | None = None,
) -> _Target:
    """Check every argument (no request is sent for a bad one) and resolve the defaults."""
    validate.object_path(path, "path")
    if multipart_threshold is None:
        multipart_threshold = DEFAULT_MULTIPART_THRESHOLD
    for name, value in (
        ("part_size", part_size),
        ("max_workers", max_workers),
        ("multipart_threshold", multipart_threshold),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValidationError(f"{name} must be a positive int, not {value!r}")
    if multipart_threshold > MAX_SINGLE_REQUEST:
        raise ValidationError(
            f"multipart_threshold must be at most {MAX_SINGLE_REQUEST} (5 GiB, the largest "
            f"single upload S3 accepts), not {multipart_threshold}"
        )
    validate.content_type(content_type, "content_type")
    validate.object_metadata(metadata, "metadata")
    validate.headers(None if extra_headers is None else dict(extra_headers), "extra_headers")
    return _Target(
        branch=branch,
        path=path,
        exclusive=exclusive,
        pre_signed=resolve_pre_signed(branch.client, pre_signed),
        content_type=content_type or mimetypes.guess_type(path)[0] or "application/octet-stream",
        metadata=dict(metadata or {}),
        part_size=part_size,
        max_workers=max_workers,
        timeout=timeout,
        extra_headers=extra_headers,
        multipart_threshold=multipart_threshold,
    )


class ObjectWriter(io.BufferedIOBase):
    """A write-only binary file that becomes one object when it closes successfully.

    Args:
        branch: the branch to write to.
        path: the object's path.
        exclusive: refuse to overwrite an existing object (``"x"`` modes).
        pre_signed: transfer through pre-signed URLs (None: as the server supports).
        content_type: the object's content type (guessed from the path when None).
        metadata: user metadata to store with the object (lowercase keys; see
            :func:`lakefs._validation.object_metadata`).
        part_size: the size of a multipart part, and of the largest single-request upload.
        max_workers: parts uploaded at once (pre-signed multipart).
        expected_size: the total size, when known (multipart then asks for every part's URL
            at once).

    A writer dropped without ``close()`` publishes nothing and sends no request; a pre-signed
    multipart upload it had started stays open in the object store until lakeFS's or the
    bucket's cleanup removes it (a warning names it).
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
        expected_size: int = 0,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        # Set first: __del__ may run on an instance whose constructor raised.
        self._upload: _Upload | None = None
        self._buf = bytearray()
        self._written = 0
        self._result: ObjectInfo | None = None
        self.name = path
        self._target = _make_target(
            branch,
            path,
            exclusive=exclusive,
            pre_signed=pre_signed,
            content_type=content_type,
            metadata=metadata,
            part_size=part_size,
            max_workers=max_workers,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        self._expected_size = expected_size

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
        flush = self._upload.chunk_size if self._upload is not None else self._target.part_size
        while len(self._buf) >= flush:
            part = bytes(self._buf[:flush])
            del self._buf[:flush]
            self._send(part)
            flush = self._upload.chunk_size if self._upload is not None else flush
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
        target = self._target
        storage = ServerConfiguration(target.branch.client).storage_config()
        if target.pre_signed and storage.pre_sign_multipart_upload():
            return _MultipartUpload(target, self._expected_size)
        if target.pre_signed:
            return _SpooledPresignedUpload(target)
        return _StreamingUpload(target)

    def close(self) -> None:
        """Finish the upload: the object appears on the branch now (idempotent)."""
        if self.closed:
            return
        try:
            if self._upload is None:
                data = bytes(self._buf)
                self._result = upload_once(self._target, data, len(data))
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
        # A writer dropped without close() must not publish a half-written object, and the
        # garbage collector must not send requests: drop local state only.
        if not self.closed:
            if self._upload is not None:
                self._upload.forget()
            self._buf = bytearray()
            super().close()

    @property
    def info(self) -> ObjectInfo | None:
        """The written object, once the file closed successfully."""
        return self._result

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        raise TypeError(
            "an ObjectWriter does not pickle (its bytes so far live in this process only, and a "
            "copy would publish them twice): write where it was opened, or pickle the branch and "
            "the path and open it there"
        )

    def __repr__(self) -> str:
        return f"<ObjectWriter {self.name!r} written={self._written}>"


def upload_once(target: _Target, body: Body, size: int) -> ObjectInfo:
    """One object in one request (retried from the body's start): a plain upload, or a
    pre-signed PUT and a link."""
    if not target.pre_signed:
        route = target.route(ops.upload_object)
        resp = target.api(
            route.method,
            route.url,
            body=body,
            headers={**target.direct_headers(), "Content-Length": str(size)},
        )
        return target.info(_json_answer(resp.data, route.method, route.url))
    return _put_presigned(target, body, size)


def _put_presigned(target: _Target, body: Body, size: int) -> ObjectInfo:
    location = target.json(target.route(ops.get_physical_address, presign=True))
    if not isinstance(location, dict) or not isinstance(location.get("presigned_url"), str):
        raise APIResponseError(f"lakeFS gave no pre-signed URL for {target.path!r}")
    put = target.store(location["presigned_url"], body, size)
    etag = (put.headers.get("ETag") or "").strip('"')
    stats = target.json(
        target.route(ops.link_physical_address),
        {
            "staging": {"physical_address": location["physical_address"]},
            "checksum": etag,
            "size_bytes": size,
            "user_metadata": target.metadata,
            "content_type": target.content_type,
        },
    )
    return target.info(stats)


class _Upload:
    """A large upload under way: the interface the writer drives."""

    chunk_size: int  # how much ``write()`` gathers before handing it over

    def add(self, part: bytes) -> None:
        """Take the next part (may block while earlier parts are sent)."""
        raise NotImplementedError

    def finish(self) -> ObjectInfo:
        """Send what is left and publish the object."""
        raise NotImplementedError

    def abort(self) -> None:
        """Give up: nothing is published, and what was started is cleaned up (may send)."""
        raise NotImplementedError

    def forget(self) -> None:
        """Give up without sending anything (the writer is being garbage-collected)."""
        self.abort()


def _worth_resending(error: BaseException) -> bool:
    """Whether a failed streamed upload may succeed when sent again from a saved copy."""
    if isinstance(error, APIStatusError):
        return error.status_code in (408, 429, 500, 502, 503, 504)
    return isinstance(error, APIConnectionError)


class _StreamingUpload(_Upload):
    """One chunked POST through lakeFS, fed from a bounded queue by ``write()``.

    A copy of every part goes to a temporary file: a streamed body cannot be sent twice, so when
    the stream fails in a way a retry may fix (a 503, a dropped connection), ``finish()`` sends
    the object again from that copy, with the transport's retries. Memory stays bounded; disk
    holds the object's size until the upload ends.
    """

    chunk_size = _STREAM_CHUNK

    def __init__(self, target: _Target) -> None:
        self._target = target
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_CHUNKS)
        self._copy = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()/abort()
        self._size = 0
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
        t = self._target
        try:
            route = t.route(ops.upload_object)
            resp = t.api(route.method, route.url, body=self._body(), headers=t.direct_headers())
            self._result = _json_answer(resp.data, route.method, route.url)
        except BaseException as exc:  # handed to the writing thread
            self._error = exc
        finally:
            self._done.set()

    def _put(self, item: object) -> None:
        while not self._done.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        # The stream ended early: a final error fails now; one worth a retry waits for finish().
        error = self._error
        if error is not None and not _worth_resending(error) and not isinstance(error, _Aborted):
            raise error

    def add(self, part: bytes) -> None:
        self._copy.write(part)
        self._size += len(part)
        self._put(part)

    def finish(self) -> ObjectInfo:
        try:
            self._put(_END)
            self._thread.join()
            if self._error is None:
                return self._target.info(self._result)
            if not _worth_resending(self._error):
                raise self._error
            log.warning(
                "streamed upload of %s failed (%s); sending it again from its saved copy",
                self._target.path,
                self._error,
            )
            self._copy.seek(0)
            return upload_once(self._target, self._copy, self._size)
        finally:
            self._copy.close()

    def abort(self) -> None:
        if not self._done.is_set():
            self._put(_Aborted("discarded"))
        self._thread.join(timeout=60)
        self._copy.close()


class _MultipartUpload(_Upload):
    """A pre-signed multipart upload: parts go straight to the object store, in parallel.

    On failure the upload is aborted through lakeFS. If lakeFS cannot be reached then, the
    parts stay in the store until the bucket's lifecycle rule for incomplete multipart uploads
    removes them (a warning names the upload).
    """

    def __init__(self, target: _Target, expected_size: int = 0) -> None:
        self._target = target
        self.chunk_size = target.part_size
        # With a known size, one request brings every part's URL; otherwise each part asks.
        parts = -(-expected_size // target.part_size) if expected_size else 0
        count = parts if 0 < parts <= 10_000 else None
        created = target.json(target.route(ops.create_presign_multipart_upload, parts=count))
        if not isinstance(created, dict) or not isinstance(created.get("upload_id"), str):
            raise APIResponseError(f"lakeFS did not start a multipart upload of {target.path!r}")
        self._upload_id: str = created["upload_id"]
        self._address: str = created["physical_address"]
        self._urls: list[str] = list(created.get("presigned_urls") or [])
        self._pool = ThreadPoolExecutor(target.max_workers, thread_name_prefix="lakefs-part")
        self._slots = threading.Semaphore(target.max_workers)
        self._futures: list[Future[str]] = []
        self._size = 0
        self._finished = False

    def _part_url(self, number: int) -> str:
        if number <= len(self._urls):
            return self._urls[number - 1]
        t = self._target
        answer = t.json(
            t.route(ops.upload_part, self._upload_id, str(number)),
            {"physical_address": self._address},
        )
        return str(answer["presigned_url"])

    def _upload_part(self, number: int, data: bytes) -> str:
        try:
            put = self._target.store(self._part_url(number), data, len(data))
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
        t = self._target
        stats = t.json(
            t.route(ops.complete_presign_multipart_upload, self._upload_id),
            {
                "physical_address": self._address,
                "parts": [{"part_number": i + 1, "etag": e} for i, e in enumerate(etags)],
                "user_metadata": t.metadata,
                "content_type": t.content_type,
            },
        )
        self._finished = True
        log.debug("multipart upload of %s: %d parts, %d bytes", t.path, len(etags), self._size)
        return t.info(stats)

    def abort(self) -> None:
        if self._finished:
            return
        self._pool.shutdown(wait=True, cancel_futures=True)
        t = self._target
        try:
            t.json(
                t.route(ops.abort_presign_multipart_upload, self._upload_id),
                {"physical_address": self._address},
            )
        except LakeFSError as exc:  # never mask the error that caused the abort
            log.warning(
                "could not abort multipart upload %s of %s (its parts stay in the object store "
                "until the bucket's cleanup of incomplete uploads): %s",
                self._upload_id,
                t.path,
                exc,
            )

    def forget(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if not self._finished:
            log.warning(
                "a writer of %s was dropped unclosed: multipart upload %s is left open in the "
                "object store",
                self._target.path,
                self._upload_id,
            )


class _SpooledPresignedUpload(_Upload):
    """Pre-signed, but no multipart support: spool to a temporary file, then one PUT."""

    chunk_size = _STREAM_CHUNK

    def __init__(self, target: _Target) -> None:
        self._target = target
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()/abort()
        self._size = 0

    def add(self, part: bytes) -> None:
        self._file.write(part)
        self._size += len(part)

    def finish(self) -> ObjectInfo:
        try:
            self._file.seek(0)
            return _put_presigned(self._target, self._file, self._size)
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
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
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
        timeout=timeout,
        extra_headers=extra_headers,
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
    progress: ProgressOption = None,
    multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> ObjectInfo:
    """Upload a local file, streamed; its content type is guessed from its name when not given.

    Its size is known, so it goes in one streamed request (the file is reopened for a retry):
    through lakeFS, or pre-signed up to ``multipart_threshold``. Larger pre-signed files go as
    parallel multipart parts. ``progress`` as :mod:`lakefs.lib.progress` describes.
    """
    source = Path(local_path)
    if not source.is_file():
        raise ValidationError(f"local_path {str(source)!r} is not a file")
    check_option(progress)
    target = _make_target(
        branch,
        path,
        exclusive=False,
        pre_signed=pre_signed,
        content_type=content_type or mimetypes.guess_type(source.name)[0],
        metadata=metadata,
        part_size=part_size,
        max_workers=max_workers,
        timeout=timeout,
        extra_headers=extra_headers,
        multipart_threshold=multipart_threshold,
    )
    size = source.stat().st_size
    with tracker(progress, "upload_file", description=path, units_total=size) as bar:
        info = send_file(target, source, size, bar if bar.active else None)
        bar.file_done(path, "sent")
    return info


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
    single = not target.pre_signed or size <= target.multipart_threshold
    if single and size <= _SMALL_FILE:  # read whole: one send; a retry re-sends these bytes
        data = watched.read_whole()
        info = upload_once(target, data, size)
        if counter is not None:
            counter.advance(size)
        return info
    if single:
        with _SourceReader(watched, counter) as body:
            return upload_once(target, body, size)
    writer = ObjectWriter(
        target.branch,
        target.path,
        pre_signed=True,
        content_type=target.content_type,
        metadata=target.metadata,
        part_size=target.part_size,
        max_workers=target.max_workers,
        expected_size=size,
        timeout=target.timeout,
        extra_headers=target.extra_headers,
    )
    with writer:  # an exception inside aborts the upload: nothing is published
        source.seek(0)
        while chunk := source.read(target.part_size):
            writer.write(chunk)
            if counter is not None:
                counter.advance(len(chunk))
        watched.check()  # before the last part leaves and the upload completes
    assert writer.info is not None
    return writer.info


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
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> ObjectReader | ObjectWriter | io.TextIOWrapper:
    """Open an object on a branch: read modes as any reference, write modes as ``open_writer``."""
    options: dict[str, Any] = {"timeout": timeout, "extra_headers": extra_headers}
    if mode in ("r", "rb"):
        return open_reader(
            branch, path, mode, pre_signed, encoding, errors, newline, block_size, **options
        )
    if mode in ("w", "wb", "x", "xb"):
        return open_writer(
            branch,
            path,
            mode,
            pre_signed,
            content_type,
            metadata,
            encoding,
            part_size,
            max_workers,
            **options,
        )
    raise ValidationError(f"mode must be one of r, rb, w, wb, x, xb, not {mode!r}")
