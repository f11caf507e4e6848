"""Writing and deleting objects: ``Branch.upload`` and ``Branch.delete_objects``."""

from __future__ import annotations

import io
import itertools
import pathlib
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, TypeAlias

from lakefs._exceptions import (
    APIResponseError,
    LakeFSError,
    PartialFailureError,
    PathRefusedError,
    PresignNotSupportedError,
    ValidationError,
)
from lakefs._generated import operations as ops
from lakefs._objects import ObjectInfo
from lakefs._server_configuration import ServerConfiguration
from lakefs._validation import object_path
from lakefs.lib._at_reference import send_at
from lakefs.lib._send import how_to_send, send_chunks
from lakefs.lib.writer import (
    DEFAULT_MAX_WORKERS,
    DEFAULT_PART_SIZE,
    _make_target,
    upload_file,
    upload_once,
)

if TYPE_CHECKING:
    from lakefs._client import RequestTimeout
    from lakefs._generated.branch import Branch
    from lakefs._generated.reference import Reference

__all__ = [
    "DELETE_BATCH",
    "DeleteObjectsError",
    "UploadData",
    "delete_objects",
    "presigned_url",
    "upload",
]

UploadData: TypeAlias = bytes | bytearray | memoryview | str | pathlib.Path | IO[bytes] | IO[str]
"""What ``upload`` accepts: content as bytes or str (UTF-8), a binary or text file object, or a
``pathlib.Path`` naming a local file."""

DELETE_BATCH = 1000  # the server's limit of paths per bulk delete
_CHUNK = 1 << 20


class DeleteObjectsError(PartialFailureError):
    """Some paths of a bulk delete were not deleted; ``failed`` maps each to its error: a
    :class:`~lakefs.PathRefusedError` for a path the server refused, or the error of the
    request that carried it (no later batch was sent then).

    Args:
        errors: ``(path, message)`` pairs of paths the server refused (the old form; each becomes
            a ``PathRefusedError``).
        failed: each failed path and its error.
    """

    def __init__(
        self,
        errors: Iterable[tuple[str, str]] = (),
        *,
        failed: Mapping[str, BaseException] | None = None,
    ) -> None:
        refused = {path: PathRefusedError(message, path=path) for path, message in errors}
        super().__init__(failed={**refused, **(failed or {})})

    def _headline(self, count: int) -> str:
        return f"could not delete {count} object(s)"

    @property
    def errors(self) -> list[tuple[str, str]]:
        """Deprecated (to be removed in the next release): ``(path, message)`` pairs of
        :attr:`failed`; read ``failed`` instead."""
        warnings.warn(
            "DeleteObjectsError.errors is deprecated: read .failed, which maps each path to "
            "its error",
            DeprecationWarning,
            stacklevel=2,
        )
        return [(path, str(error)) for path, error in self.failed.items()]


def upload(
    branch: Branch,
    data: UploadData,
    path: str,
    content_type: str | None = None,
    metadata: dict[str, str] | None = None,
    *,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> ObjectInfo:
    """Write an object: bytes, str (as UTF-8), a binary or text file object (streamed), or a
    pathlib.Path naming a local file (streamed).

    Bytes, str and seekable files go in one request, sent again from their start if a retry is
    needed; paths as ``upload_file``; other file objects (pipes, sockets) as
    ``Branch.open(path, "wb")`` does.

    Args:
        data: The content.
        path: The object's path.
        content_type: Its content type (None: guessed from ``path``, or for a pathlib.Path
            from the local file's name first; application/octet-stream when neither tells).
        metadata: User metadata to store with it.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Returns:
        The new object.

    Raises:
        ValidationError: a bad path, content type, metadata or data (before any request).
        NotFoundError: the repository or the branch does not exist.
        ForbiddenError: the branch is protected, or the credentials may not write there.

    Example:
        >>> main = lakefs.repository(repo.id).branch("main")
        >>> info = main.upload("hello, lakeFS", "data/hello.txt", metadata={"owner": "me"})
        >>> info.path, info.size_bytes()
        ('data/hello.txt', 13)
    """
    object_path(path, "path")
    if isinstance(data, pathlib.Path):
        return upload_file(
            branch,
            data,
            path,
            content_type=content_type,
            metadata=metadata,
            timeout=timeout,
            extra_headers=extra_headers,
        )
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)) and not hasattr(data, "read"):
        raise ValidationError(
            f"data must be bytes, str, a file object or a pathlib.Path, not {type(data).__name__}"
        )
    target = _make_target(
        branch,
        path,
        exclusive=False,
        pre_signed=None,
        content_type=content_type,
        metadata=metadata,
        part_size=DEFAULT_PART_SIZE,
        part_workers=DEFAULT_MAX_WORKERS,
        timeout=timeout,
        extra_headers=extra_headers,
    )
    if isinstance(data, (bytes, bytearray, memoryview)):
        size = memoryview(data).nbytes
        strategy = how_to_send(target, size)
        if strategy == "one request":
            return upload_once(target, bytes(data), size)
        return send_chunks(target, [memoryview(data).cast("B")], strategy=strategy)
    if not _is_seekable_binary(data):  # a pipe, a socket, a text file: its size is unknown
        return send_chunks(target, _chunks(data))
    start = data.tell()
    size = data.seek(0, io.SEEK_END) - start
    data.seek(start)
    strategy = how_to_send(target, size)
    if strategy == "one request":
        return upload_once(target, data, size)  # type: ignore[arg-type]
    return send_chunks(target, _chunks(data), strategy=strategy)


def _chunks(data: IO[bytes] | IO[str]) -> Iterator[bytes]:
    while chunk := data.read(_CHUNK):
        yield chunk.encode("utf-8") if isinstance(chunk, str) else chunk


def _is_seekable_binary(data: object) -> bool:
    if not isinstance(data, io.IOBase) or isinstance(data, io.TextIOBase):
        return False
    try:
        return data.seekable()
    except (OSError, ValueError):
        return False


def delete_objects(
    branch: Branch,
    object_paths: str | Iterable[str],
    *,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> None:
    """Delete one object or many (any iterable of paths; sent in batches of 1,000).

    Paths that do not exist are ignored. A path the server refuses does not stop the others: the
    refusals are raised together, once every batch was sent.

    Args:
        object_paths: A path or paths to delete.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Raises:
        ValidationError: a bad path, or ``object_paths`` is not a path or paths.
        DeleteObjectsError: the server refused some paths (after every batch was sent), or a
            batch's request failed after an earlier batch was deleted (no later batch is
            sent); its ``failed`` maps each path not deleted to its error.
        NotFoundError: the repository or the branch does not exist.

    Example:
        >>> main = lakefs.repository(repo.id).branch("main")
        >>> for name in ("a", "b", "c"):
        ...     _ = main.upload(name, f"tmp/{name}.txt")
        >>> main.delete_objects(["tmp/a.txt", "tmp/b.txt", "tmp/missing.txt"])
        >>> [entry.path for entry in main.list_objects(prefix="tmp/")]
        ['tmp/c.txt']
    """
    if isinstance(object_paths, str):
        paths: Iterable[str] = [object_paths]
    elif isinstance(object_paths, (bytes, Mapping)) or not isinstance(object_paths, Iterable):
        raise ValidationError(
            "object_paths must be a path or an iterable of paths, not "
            f"{type(object_paths).__name__}"
        )
    else:
        paths = object_paths
    failed: dict[str, BaseException] = {}
    iterator, sent = iter(paths), False
    while batch := list(itertools.islice(iterator, DELETE_BATCH)):
        for p in batch:
            object_path(p, "object_paths")
        try:
            failed.update(delete_batch(branch, batch, timeout=timeout, extra_headers=extra_headers))
        except LakeFSError as exc:
            if not sent:
                raise  # nothing was deleted: the error as it is
            failed.update(dict.fromkeys(batch, exc))
            raise DeleteObjectsError(failed=failed) from exc
        sent = True
    if failed:
        raise DeleteObjectsError(failed=failed)


def delete_batch(
    branch: Branch,
    paths: list[str],
    *,
    timeout: RequestTimeout | None,
    extra_headers: Mapping[str, str] | None,
) -> dict[str, PathRefusedError]:
    """One bulk delete of at most :data:`DELETE_BATCH` paths (what ``delete_objects`` and
    ``upload_folder(delete=True)`` send); returns each path the server refused, with its error
    (a failed request raises)."""
    data = send_at(
        branch,
        ops.delete_objects,
        body={"paths": paths},
        timeout=timeout,
        extra_headers=extra_headers,
    )
    refusals = (data or {}).get("errors") or []
    pairs = ((str(e.get("path")), str(e.get("message"))) for e in refusals)
    return {path: PathRefusedError(message, path=path) for path, message in pairs}


def presigned_url(
    reference: Reference,
    path: str,
    *,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> str:
    """A URL from which anyone can GET the object, without credentials, until it expires
    (the server's pre-signed URL lifetime).

    Args:
        path: The object's path.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Returns:
        The pre-signed URL.

    Raises:
        ValidationError: a bad path (before any request).
        PresignNotSupportedError: the server's blockstore cannot pre-sign (checked first).
        ObjectNotFoundError: no such object.
    """
    object_path(path, "path")
    if not ServerConfiguration(reference.client).pre_sign_support():
        storage = ServerConfiguration(reference.client).storage_config()
        raise PresignNotSupportedError(
            f"this server's {storage.blockstore_type() or 'unknown'} blockstore cannot pre-sign "
            "URLs: read the object through lakeFS (open(), download())"
        )
    options: dict[str, Any] = {"timeout": timeout, "extra_headers": extra_headers}
    data = send_at(reference, ops.stat_object, path=path, presign=True, **options)
    url = data.get("physical_address")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise APIResponseError(f"lakeFS did not pre-sign {path!r}")
    return url
