"""Writing and deleting objects: ``Branch.upload`` and ``Branch.delete_objects``."""

from __future__ import annotations

import io
import itertools
import pathlib
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, TypeAlias

from lakefs import _wire as wire
from lakefs._exceptions import (
    APIResponseError,
    LakeFSError,
    PresignNotSupportedError,
    ValidationError,
)
from lakefs._generated import operations as ops
from lakefs._objects import ObjectInfo
from lakefs._server_configuration import ServerConfiguration
from lakefs._validation import object_path
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


class DeleteObjectsError(LakeFSError):
    """Some paths of a bulk delete were refused; ``errors`` lists ``(path, message)`` pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        shown = "; ".join(f"{path}: {message}" for path, message in errors[:10])
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        super().__init__(f"could not delete {len(errors)} object(s): {shown}{more}")


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

    Paths that do not exist are ignored; a path the server refuses raises.

    Args:
        object_paths: A path or paths to delete.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Raises:
        ValidationError: a bad path, or ``object_paths`` is not a path or paths.
        DeleteObjectsError: the server refused some paths (after every batch was sent).
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
    errors: list[tuple[str, str]] = []
    iterator = iter(paths)
    while batch := list(itertools.islice(iterator, DELETE_BATCH)):
        for p in batch:
            object_path(p, "object_paths")
        data = wire.send(
            branch.client,
            ops.delete_objects,
            branch.repository_id,
            branch.id,
            body={"paths": batch},
            timeout=timeout,
            extra_headers=extra_headers,
        )
        for err in (data or {}).get("errors") or []:
            errors.append((str(err.get("path")), str(err.get("message"))))
    if errors:
        raise DeleteObjectsError(errors)


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
    data = wire.send(
        reference.client,
        ops.stat_object,
        reference.repository_id,
        reference.id,
        path=path,
        presign=True,
        timeout=timeout,
        extra_headers=extra_headers,
    )
    url = data.get("physical_address")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise APIResponseError(f"lakeFS did not pre-sign {path!r}")
    return url
