"""How an object's bytes travel once :func:`lakefs.lib._send.how_to_send` chose: one request
(:func:`upload_once`: a plain upload through lakeFS, or a pre-signed PUT then a link), or one
of the large uploads a writer feeds part by part (:class:`_Upload`):

* :class:`_StreamingUpload`: through lakeFS, one chunked upload from a bounded queue, sent
  again from a saved copy when a retry may help;
* :class:`_MultipartUpload`: pre-signed multipart, parts in parallel straight to the store;
* :class:`_SpooledPresignedUpload`: pre-signed without multipart support, spooled to a
  temporary file, then one PUT.
"""

from __future__ import annotations

import queue
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from lakefs._exceptions import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    LakeFSError,
)
from lakefs._generated import operations as ops
from lakefs._logs import get_logger
from lakefs._objects import ObjectInfo
from lakefs.lib._target import _json_answer, _Target

if TYPE_CHECKING:
    from lakefs._transport import Body

__all__ = [
    "_MultipartUpload",
    "_SpooledPresignedUpload",
    "_StreamingUpload",
    "_Upload",
    "upload_once",
]

log = get_logger("writer")

_STREAM_CHUNK = 1024 * 1024  # what write() hands a streaming upload at a time
_QUEUE_CHUNKS = 8  # chunks waiting for the streaming thread: memory stays near 8 MiB
_END = object()


class _Aborted(Exception):  # noqa: N818 - a signal, not an error users see
    """Raised into a streaming upload's body to cut it short (the object is not created)."""


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


class _Upload(ABC):
    """A large upload under way: the interface a :class:`~lakefs.lib._send.Sender` drives."""

    chunk_size: int  # how much ``write()`` gathers before handing it over

    @abstractmethod
    def add(self, part: bytes) -> None:
        """Take the next part (may block while earlier parts are sent)."""

    @abstractmethod
    def finish(self) -> ObjectInfo:
        """Send what is left and publish the object."""

    @abstractmethod
    def abort(self) -> None:
        """Give up: nothing is published, and what was started is cleaned up (may send)."""

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
