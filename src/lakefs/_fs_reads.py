"""The file-level verbs of ``lakefs://``: ``open`` (a reader or a writer), ``cat_file``,
``get_file`` and ``get``, over the public SDK and :mod:`lakefs._fs_files`.

Each is the body of the :class:`~lakefs.fs.LakeFSFileSystem` method of its name, which
translates the SDK's errors (:func:`lakefs._fs_errors.translating`); here they come out as the
SDK raises them.
"""

from __future__ import annotations

import errno
import os
from typing import IO, TYPE_CHECKING, Any

from fsspec.caching import caches
from fsspec.callbacks import Callback
from fsspec.utils import isfilelike

from lakefs._exceptions import NotFoundError, ValidationError
from lakefs._fs_errors import MISSING, UnsupportedModeError
from lakefs._fs_files import FSReader, FSWriter, open_fs_reader, read_range
from lakefs._fs_options import READ_OPTIONS, write_options
from lakefs._fs_transfers import GetItem, get_transfer, plan_get, running
from lakefs._server_configuration import resolve_pre_signed

if TYPE_CHECKING:
    from lakefs.fs import LakeFSFileSystem

__all__ = ["cat", "get", "get_file", "open_file", "open_reader", "read_cache"]


def open_file(
    fs: LakeFSFileSystem,
    path: str,
    mode: str,
    block_size: int | None,
    cache_options: dict[str, Any] | None,
    kwargs: dict[str, Any],
) -> FSReader | FSWriter:
    """``fs._open``: a reader (``rb``, through the fsspec cache ``cache_type`` and
    ``cache_options`` name, :func:`read_cache`) or a writer (``wb``, ``xb``; no cache) of the
    stripped ``path``."""
    p = fs._parse(path)
    if mode == "rb":
        unknown = sorted(set(kwargs) - READ_OPTIONS)
        if unknown:  # never a silently different read (a version_id=, say)
            raise ValidationError(f"open('rb') takes cache_type=, not {', '.join(unknown)}")
        cache_type = read_cache(kwargs.get("cache_type"), cache_options)
        if not p.key:
            raise IsADirectoryError(errno.EISDIR, "not an object", path)
        reader = fs._open_reader(path, block_size or fs.block_size, None)
        if cache_type is not None:
            try:
                reader.use_cache(cache_type, dict(cache_options or {}))
            except BaseException:
                reader.close()
                raise
        return reader
    if mode not in ("wb", "xb"):
        raise UnsupportedModeError(
            f"mode must be rb, wb or xb (or their text forms), not {mode!r}"
            + (": lakeFS objects are written whole, never appended to" if "a" in mode else "")
        )
    content_type, metadata = write_options(f"open({mode!r})", kwargs)
    branch = fs._branch(p, create=True)
    if mode == "xb":  # fail early; the server checks again, atomically, at close
        try:
            branch.stat_object(p.key)
        except NotFoundError:
            pass
        else:
            raise FileExistsError(errno.EEXIST, "the object exists", path)
    writer = FSWriter(
        branch,
        p.key,
        exclusive=mode == "xb",
        pre_signed=fs.pre_signed,
        content_type=content_type,
        metadata=metadata,
        part_size=fs.part_size,
        part_workers=fs.part_workers,
    )
    fs._written(path)
    writer.path = path
    writer.on_close = lambda: fs._written(path)
    return writer


def read_cache(cache_type: Any, cache_options: dict[str, Any] | None) -> str | None:
    """The fsspec cache a read goes through (None: the reader's own read-ahead, which is what
    ``"readahead"``, fsspec's default, does; it takes no ``cache_options``).

    Raises:
        ValidationError: an unknown ``cache_type``, or ``cache_options`` for the read-ahead.
    """
    if cache_type is None or cache_type == "readahead":
        if cache_options:
            raise ValidationError(
                f"cache_options {sorted(cache_options)} need a cache_type that takes them "
                "(blockcache, parts, ...): the read-ahead takes none"
            )
        return None
    if cache_type not in caches:
        known = ", ".join(sorted(name for name in caches if name))
        raise ValidationError(f"cache_type must be one of {known}, not {cache_type!r}")
    return str(cache_type)


def open_reader(
    fs: LakeFSFileSystem, path: str, block_size: int, version: tuple[str | None, int, int] | None
) -> FSReader:
    """``fs._open_reader``: ``path`` opened for reading (``version``: again, as an unpickled
    file is)."""
    p = fs._parse(path)
    return open_fs_reader(
        fs,
        path,
        fs._reference(p),
        p.key,
        pre_signed=resolve_pre_signed(fs.client, fs.pre_signed),
        block_size=block_size,
        version=version,
    )


def cat(fs: LakeFSFileSystem, path: str, start: int | None, end: int | None) -> bytes:
    """``fs.cat_file``: the bytes ``[start:end]`` of the object at ``path``."""
    path = fs._strip_protocol(path)
    p = fs._parse(path)
    if not p.key:
        raise IsADirectoryError(errno.EISDIR, "not an object", path)
    presign = resolve_pre_signed(fs.client, fs.pre_signed)
    return read_range(fs._reference(p), p.key, start, end, pre_signed=presign)


def get_file(
    fs: LakeFSFileSystem,
    rpath: str,
    lpath: Any,
    callback: Callback,
    outfile: IO[bytes] | None,
    kwargs: dict[str, Any],
) -> None:
    """``fs.get_file``: one object to a local path or into a binary file object."""
    if outfile is None and isfilelike(lpath):
        outfile = lpath
    if outfile is not None:
        _get_into(fs, rpath, outfile, callback)
        return
    item = GetItem(fs._strip_protocol(rpath), os.fspath(lpath))
    precheck = bool(kwargs.get("precheck", True))
    with running(fs, "get", None, files=1) as run:
        run.submit(get_transfer(fs, item, callback, precheck=precheck))


def _get_into(fs: LakeFSFileSystem, rpath: str, outfile: IO[bytes], callback: Callback) -> None:
    """Stream an object into a file object (a directory writes nothing)."""
    rpath = fs._strip_protocol(rpath)
    p = fs._parse(rpath)
    if not p.key:
        return
    try:
        ref = fs._reference(p)
        with ref.open(p.key, "rb", fs.pre_signed, block_size=fs.block_size) as f:
            callback.set_size(f.size)
            while chunk := f.read1(fs.block_size):
                outfile.write(chunk)
                callback.relative_update(len(chunk))
    except MISSING:
        if fs.isdir(rpath):
            return
        raise


def get(
    fs: LakeFSFileSystem,
    rpath: Any,
    lpath: Any,
    recursive: bool,
    callback: Callback,
    maxdepth: int | None,
    kwargs: dict[str, Any],
) -> None:
    """``fs.get``: the files fsspec names, through the folder transfer engine."""
    precheck = bool(kwargs.pop("precheck", True))
    items = plan_get(fs, rpath, lpath, recursive, maxdepth, kwargs)
    if not items:
        return
    callback.set_size(len(items))
    with running(fs, "get", callback, files=len(items)) as run:
        for item in items:
            child = callback.branched(item.rpath, item.local)
            try:
                transfer = get_transfer(fs, item, child, close_child=True, precheck=precheck)
            except BaseException:
                child.close()
                raise
            if not run.submit(transfer):
                child.close()
                break
