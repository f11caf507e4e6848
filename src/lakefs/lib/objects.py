"""Writing and deleting objects: ``Branch.upload`` and ``Branch.delete_objects``."""

from __future__ import annotations

import io
import itertools
import json
import mimetypes
import os
import pathlib
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, TypeAlias

from lakefs_sdk.api.objects_api import ObjectsApi
from lakefs_sdk.models.path_list import PathList

from lakefs._exceptions import LakeFSError, ValidationError
from lakefs._objects import ObjectInfo
from lakefs._validation import object_path

if TYPE_CHECKING:
    from lakefs._generated.branch import Branch

__all__ = ["DELETE_BATCH", "DeleteObjectsError", "UploadData", "delete_objects", "upload"]

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


def _text_chunks(f: IO[str]) -> Iterator[bytes]:
    while chunk := f.read(_CHUNK):
        yield chunk.encode("utf-8")


def _body(data: object) -> tuple[object, dict[str, str], pathlib.Path | None]:
    """The request body, its length header (when known), and the local file to close."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), {"Content-Length": str(len(data))}, None
    if isinstance(data, pathlib.Path):
        if not data.is_file():
            raise ValidationError(f"data {str(data)!r} is not a local file")
        return None, {"Content-Length": str(data.stat().st_size)}, data
    if isinstance(data, io.TextIOBase):
        return _text_chunks(data), {}, None  # type: ignore[arg-type]
    if hasattr(data, "read"):
        sample = data.read(0)
        if isinstance(sample, str):
            return _text_chunks(data), {}, None  # type: ignore[arg-type]
        if isinstance(data, io.IOBase) and data.seekable():
            start = data.tell()
            size = data.seek(0, os.SEEK_END) - start
            data.seek(start)
            return data, {"Content-Length": str(size)}, None
        return iter(lambda: data.read(_CHUNK), b""), {}, None
    raise ValidationError(
        f"data must be bytes, str, a file object or a pathlib.Path, not {type(data).__name__}"
    )


def upload(
    branch: Branch,
    data: UploadData,
    path: str,
    content_type: str | None = None,
    metadata: dict[str, str] | None = None,
) -> ObjectInfo:
    """Write ``data`` to ``path`` on ``branch``, streaming files, and return the new object."""
    object_path(path, "path")
    if metadata is not None and not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise ValidationError("metadata must map str to str")
    body, headers, local = _body(data)
    if content_type is None:
        guessed = mimetypes.guess_type(local.name if local else path)[0]
        content_type = guessed or "application/octet-stream"
    headers["Content-Type"] = content_type
    for key, value in (metadata or {}).items():
        headers[f"X-Lakefs-Meta-{key}"] = value
    transport = branch.client.transport
    url = transport.api_url(
        ["repositories", branch.repository_id, "branches", branch.id, "objects"], {"path": path}
    )
    if local is not None:
        with open(local, "rb") as f:
            resp = transport.request("POST", url, body=f, headers=headers)
    else:
        resp = transport.request("POST", url, body=body, headers=headers)  # type: ignore[arg-type]
    return ObjectInfo.from_stats(branch, json.loads(resp.data))


def delete_objects(branch: Branch, object_paths: str | Iterable[str]) -> None:
    """Delete ``object_paths`` from ``branch`` in batches of 1,000; raise on refused paths."""
    paths: Iterable[str] = [object_paths] if isinstance(object_paths, str) else object_paths
    api = ObjectsApi(branch._sdk)
    errors: list[tuple[str, str]] = []
    iterator = iter(paths)
    while batch := list(itertools.islice(iterator, DELETE_BATCH)):
        for p in batch:
            object_path(p, "object_paths")
        data = branch._call(
            api.delete_objects_with_http_info,
            repository=branch.repository_id,
            branch=branch.id,
            path_list=PathList(paths=batch),
            timeout=None,
            extra_headers=None,
        )
        for err in (data or {}).get("errors") or []:
            errors.append((str(err.get("path")), str(err.get("message"))))
    if errors:
        raise DeleteObjectsError(errors)
