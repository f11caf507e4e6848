"""Writing objects as files: any number of writes, bounded memory, all or nothing.

``ObjectWriter`` is an ``io.BufferedIOBase``. Nothing appears on the branch until ``close()``
succeeds; an exception inside the ``with`` block, or ``discard()``, leaves nothing behind. How the
bytes travel depends on the size and on the server:

* small objects (below ``part_size`` at close): one request, retried as needed: a plain upload
  through lakeFS, or a pre-signed PUT to the object store then a link;
* larger ones through lakeFS: streamed as one chunked upload from a bounded queue, fed by
  ``write()`` while a background thread sends it;
* larger ones with pre-signed multipart support: parts of ``part_size`` uploaded in parallel
  (``part_workers``), each retried, memory bounded by the parts in flight, and the upload aborted
  if anything fails;
* larger ones pre-signed without multipart support: spooled to a temporary file, then one PUT.

That choice is made in one place for every upload (:func:`lakefs.lib._send.how_to_send`); the
large uploads live in :mod:`lakefs.lib._uploads`, the target they write to in
:mod:`lakefs.lib._target`.

``"x"`` modes send ``If-None-Match: *``: the server, not a racy stat, refuses an existing path
(``FileExistsError`` when the file closes).
"""

from __future__ import annotations

import io
import mimetypes
from collections.abc import Mapping
from io import TextIOWrapper
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, SupportsIndex, overload

from lakefs import _validation as validate
from lakefs._exceptions import ValidationError
from lakefs._objects import ObjectInfo
from lakefs._server_configuration import resolve_pre_signed
from lakefs.lib import reader as _reader
from lakefs.lib._io_compat import keyword_only_since
from lakefs.lib._io_files import _ObjectFile, positive
from lakefs.lib._send import Sender
from lakefs.lib._send import _Watched as _Watched  # folders check a file as send_file does
from lakefs.lib._send import send_file as send_file  # folders and lakefs:// send local files
from lakefs.lib._target import _Target
from lakefs.lib._uploads import _Upload, upload_once
from lakefs.lib.progress import check_option, tracker
from lakefs.lib.reader import DEFAULT_BLOCK_SIZE, ObjectReader

if TYPE_CHECKING:
    from collections.abc import Callable

    from _typeshed import ReadableBuffer
    from typing_extensions import Unpack

    from lakefs._client import RequestTimeout
    from lakefs._generated.branch import Branch
    from lakefs.lib._io_files import OpenOptions
    from lakefs.lib.progress import ProgressEvent

__all__ = [
    "DEFAULT_MAX_WORKERS",
    "DEFAULT_MULTIPART_THRESHOLD",
    "DEFAULT_PART_SIZE",
    "ObjectWriter",
    "open_writer",
    "upload_file",
    "upload_once",
]

DEFAULT_PART_SIZE = 8 * 1024 * 1024  # S3 wants >= 5 MiB for every part but the last
DEFAULT_PART_WORKERS = 4
DEFAULT_MAX_WORKERS = DEFAULT_PART_WORKERS  # the former name
# Pre-signed uploads of a known size up to this go in one streamed request, larger ones in
# parallel parts. Measured on a local Go S3 store (bench/, `presigned_upload_crossover`), one
# stream beat 4 and 8 parallel 8-32 MiB parts at 256 MiB and at 1 GiB (parts: 0.5-0.65x its
# speed); on a store across a slower network, a lower threshold lets parts run in parallel.
# At most 5 GiB: S3's limit for one PUT.
DEFAULT_MULTIPART_THRESHOLD = 1024 * 1024 * 1024
MAX_SINGLE_REQUEST = 5 * 1024 * 1024 * 1024


def _make_target(
    branch: Branch,
    path: str,
    *,
    exclusive: bool,
    pre_signed: bool | None,
    content_type: str | None,
    metadata: dict[str, str] | None,
    part_size: int,
    part_workers: int,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
    multipart_threshold: int | None = None,
) -> _Target:
    """Check every argument (no request is sent for a bad one) and resolve the defaults."""
    validate.object_path(path, "path")
    if multipart_threshold is None:
        multipart_threshold = DEFAULT_MULTIPART_THRESHOLD
    positive(part_size, "part_size")
    positive(part_workers, "part_workers")
    positive(multipart_threshold, "multipart_threshold")
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
        max_workers=part_workers,
        timeout=timeout,
        extra_headers=extra_headers,
        multipart_threshold=multipart_threshold,
    )


class ObjectWriter(_ObjectFile):
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
        part_workers: parts uploaded at once (pre-signed multipart).
        max_workers: the former spelling of ``part_workers`` (deprecated).
        expected_size: the total size, when known (multipart then asks for every part's URL
            at once).
        timeout: each request's timeout (None: the client's).
        extra_headers: headers added to each request sent to lakeFS.

    Raises:
        ValidationError: a bad path or option (before any request), or ``pre_signed=True``
            and the server cannot pre-sign.
        LakeFSError: the server's configuration could not be read (asked once per client,
            unless ``pre_signed`` is False).

    A writer dropped without ``close()`` publishes nothing and sends no request; a pre-signed
    multipart upload it had started stays open in the object store until lakeFS's or the
    bucket's cleanup removes it (a warning names it).
    """

    _reads = False

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
        part_workers: int = DEFAULT_PART_WORKERS,
        expected_size: int = 0,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
        max_workers: int | None = None,
    ) -> None:
        super().__init__()
        # Set first: __del__ may run on an instance whose constructor raised.
        self._sender: Sender | None = None
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
            part_workers=validate.part_workers(part_workers, max_workers, DEFAULT_PART_WORKERS),
            timeout=timeout,
            extra_headers=extra_headers,
        )
        self._sender = Sender(self._target, expected_size)

    @property
    def _upload(self) -> _Upload | None:
        """The large upload under way (None until ``part_size`` bytes were written)."""
        return None if self._sender is None else self._sender.upload

    # -- io ----------------------------------------------------------------------------------

    def tell(self) -> int:
        """As io.IOBase.tell: the bytes written so far (a writer does not seek).

        Returns:
            The number of bytes written.
        """
        return self._written

    def write(self, data: ReadableBuffer) -> int:
        """As io.BufferedIOBase.write: buffer ``data``; full parts leave at once, so memory
        stays bounded (how they travel is :func:`lakefs.lib._send.how_to_send`'s choice, once
        ``part_size`` bytes came).

        Args:
            data: a bytes-like object.

        Returns:
            The number of bytes taken (all of ``data``).

        Raises:
            ValueError: the file is closed.
            LakeFSError: sending a part of a large upload failed (the upload is discarded:
                nothing appears on the branch).
        """
        if self.closed:
            raise ValueError("write to closed file")
        assert self._sender is not None
        view = memoryview(data).cast("B")
        self._written += len(view)
        try:
            self._sender.add(view)
        except BaseException:
            if self._sender.upload is not None:  # a large upload failed: it is given up
                self.discard()
            raise
        return len(view)

    def close(self) -> None:
        """Finish the upload: the object appears on the branch now (idempotent)."""
        if self.closed:
            return
        assert self._sender is not None
        try:
            self._result = self._sender.finish()
        finally:
            super().close()

    def discard(self) -> None:
        """Drop everything written: nothing appears on the branch."""
        if self.closed:
            return
        try:
            if self._sender is not None:
                self._sender.abort()
        finally:
            super().close()

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        """Close (publish) after the block succeeded; discard after an exception."""
        if exc_type is not None:
            self.discard()
        else:
            self.close()

    def __del__(self) -> None:
        """Drop a writer that was not closed: nothing is published and no request is sent."""
        # A writer dropped without close() must not publish a half-written object, and the
        # garbage collector must not send requests: drop local state only.
        if not self.closed:
            if self._sender is not None:
                self._sender.forget()
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


def open_writer(
    branch: Branch,
    path: str,
    mode: Literal["w", "wb", "x", "xb"] = "w",
    pre_signed: bool | None = None,
    content_type: str | None = None,
    metadata: dict[str, str] | None = None,
    encoding: str = "utf-8",
    part_size: int = DEFAULT_PART_SIZE,
    part_workers: int = DEFAULT_PART_WORKERS,
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
        part_workers=part_workers,
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


@keyword_only_since("pre_signed")
def upload_file(
    branch: Branch,
    local_path: str | PathLike[str],
    path: str,
    content_type: str | None = None,
    metadata: dict[str, str] | None = None,
    *,
    pre_signed: bool | None = None,
    part_size: int = DEFAULT_PART_SIZE,
    part_workers: int = DEFAULT_PART_WORKERS,
    progress: bool | Callable[[ProgressEvent], None] | None = None,
    multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
    max_workers: int | None = None,
) -> ObjectInfo:
    """Upload a local file, streamed; its content type is guessed from its name when not given.

    Its size is known, so it goes in one streamed request (the file is reopened for a retry):
    through lakeFS, or pre-signed up to ``multipart_threshold``. Larger pre-signed files go as
    parallel multipart parts. ``progress`` as :mod:`lakefs.lib.progress` describes.

    Args:
        local_path: The file to send.
        path: The object's path.
        content_type: The object's content type (None: guessed from the file's name, else
            from ``path``; application/octet-stream when neither tells).
        metadata: Its user metadata.
        pre_signed: Upload straight to the object store (None: when the server supports it).
            Keyword-only: passed positionally, it still works until 0.2, with a
            ``DeprecationWarning``.
        part_size: The part size, when a large pre-signed file goes in parts.
        part_workers: Parts uploaded at once.
        progress: A progress bar: None shows one on a terminal, True always, False never (nor
            with LAKEFS_NO_PROGRESS=1); a callable receives ProgressEvents instead.
        multipart_threshold: A pre-signed file up to this size goes in one request, a larger one
            in parts.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.
        max_workers: The former spelling of ``part_workers`` (deprecated: a
            ``DeprecationWarning``).

    Returns:
        The new object.

    Raises:
        ValidationError: a bad path or option (before any request).
        FileNotFoundError: ``local_path`` does not exist.
        NotFoundError: the repository or the branch does not exist.
        ForbiddenError: the branch is protected, or the credentials may not write there.
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
        part_workers=validate.part_workers(part_workers, max_workers, DEFAULT_PART_WORKERS),
        timeout=timeout,
        extra_headers=extra_headers,
        multipart_threshold=multipart_threshold,
    )
    size = source.stat().st_size
    with tracker(progress, "upload_file", description=path, units_total=size) as bar:
        info = send_file(target, source, size, bar if bar.active else None)
        bar.file_done(path, "sent")
    return info


# Branch.open, bound in the class: named as the method is (a bound method pickles by name)
@overload
def open(
    branch: Branch,
    path: str,
    mode: Literal["rb"],
    pre_signed: bool | None = None,
    **options: Unpack[OpenOptions],
) -> ObjectReader: ...


@overload
def open(
    branch: Branch,
    path: str,
    mode: Literal["wb", "xb"],
    pre_signed: bool | None = None,
    **options: Unpack[OpenOptions],
) -> ObjectWriter: ...


@overload
def open(
    branch: Branch,
    path: str,
    mode: Literal["r", "w", "x"] = "r",
    pre_signed: bool | None = None,
    **options: Unpack[OpenOptions],
) -> TextIOWrapper: ...


def open(
    branch: Branch,
    path: str,
    mode: Literal["r", "rb", "w", "wb", "x", "xb"] = "r",
    pre_signed: bool | None = None,
    *,
    encoding: str = "utf-8",
    errors: str = "strict",
    newline: str | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    content_type: str | None = None,
    metadata: dict[str, str] | None = None,
    part_size: int = DEFAULT_PART_SIZE,
    part_workers: int = DEFAULT_PART_WORKERS,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
    max_workers: int | None = None,
) -> ObjectReader | ObjectWriter | TextIOWrapper:
    """Open an object for reading ("r", "rb") or writing ("w", "wb"; "x", "xb" to refuse an
    existing path).

    A written object appears only when the file closes successfully; an exception inside the
    with block, or discard(), leaves nothing. Writes stream with bounded memory: through lakeFS,
    or pre-signed (in parallel parts) straight to the object store. Read modes are as
    ``Reference.open``'s.

    Args:
        path: The object's path.
        mode: A read or write mode.
        pre_signed: Transfer straight to the object store (None: when the server supports it).
        encoding: Text modes' encoding.
        errors: Text reads' decoding errors.
        newline: Text reads' newline handling.
        block_size: The largest read request.
        content_type: A written object's content type (None: guessed from the path;
            application/octet-stream when it tells nothing).
        metadata: User metadata of a written object.
        part_size: The size of a multipart part (and of a single-request upload).
        part_workers: Parts uploaded at once.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.
        max_workers: The former spelling of ``part_workers`` (deprecated: a
            ``DeprecationWarning``).

    Returns:
        An :class:`~lakefs.lib.reader.ObjectReader` for "rb", an :class:`ObjectWriter` for
        "wb" and "xb", a text file over one of them for "r", "w" and "x".

    Raises:
        ValidationError: a bad path, mode or option (before any request).
        ObjectNotFoundError: a read mode and no object at ``path``.
        ObjectExistsError: "x" or "xb" and an object exists at ``path`` (raised when the
            file closes; also a ``FileExistsError``).
        NotFoundError: the repository or the branch does not exist.
    """
    options: dict[str, Any] = {"timeout": timeout, "extra_headers": extra_headers}
    if mode in ("r", "rb"):
        return _reader.open(
            branch,
            path,
            mode,
            pre_signed,
            encoding=encoding,
            errors=errors,
            newline=newline,
            block_size=block_size,
            **options,
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
            validate.part_workers(part_workers, max_workers, DEFAULT_PART_WORKERS),
            **options,
        )
    raise ValidationError(f"mode must be one of r, rb, w, wb, x, xb, not {mode!r}")
