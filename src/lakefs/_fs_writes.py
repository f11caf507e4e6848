"""The verbs of ``lakefs://`` that change objects: ``pipe_file``, ``put_file`` and ``put``,
``cp_file``, ``rm_file`` and ``rm``, over the public SDK and :mod:`lakefs._fs_transfers`.

Each is the body of the :class:`~lakefs.fs.LakeFSFileSystem` method of its name, which
translates the SDK's errors (:func:`lakefs._fs_errors.translating`); here they come out as the
SDK raises them. Every write tells the filesystem what it changed (``fs._written``), failed or
not, so no listing kept is stale.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
from typing import TYPE_CHECKING, Any

from fsspec.callbacks import Callback
from fsspec.spec import AbstractFileSystem

from lakefs._exceptions import ValidationError
from lakefs._fs_errors import MISSING, translating
from lakefs._fs_options import write_options
from lakefs._fs_refs import FSPath
from lakefs._fs_transfers import (
    Deferred,
    PutItem,
    PutScope,
    plan_put,
    put_transfer,
    release,
    running,
)
from lakefs._generated.branch import Branch
from lakefs._objects import ObjectInfo
from lakefs.lib.folders import TransferRun

if TYPE_CHECKING:
    from lakefs.fs import LakeFSFileSystem

__all__ = ["copy", "cp", "pipe", "put", "put_file", "rm", "rm_file", "touch"]


class _Stopped(Exception):  # noqa: N818 - a signal inside put, never seen outside
    """A ``put``'s run stopped at a failure: fsspec's expansion need name no more files."""


def pipe(fs: LakeFSFileSystem, path: str, value: bytes, mode: str, kwargs: dict[str, Any]) -> None:
    """``fs.pipe_file``: ``value`` as the object at ``path``."""
    content_type, metadata = write_options("pipe_file", kwargs)
    if mode not in ("overwrite", "create"):
        raise ValidationError(f"mode must be 'overwrite' or 'create', not {mode!r}")
    path = fs._strip_protocol(path)
    p = fs._parse(path)
    branch = fs._branch(p, create=True)
    try:
        if mode == "create":
            with branch.open(
                p.key, "xb", fs.pre_signed, content_type=content_type, metadata=metadata
            ) as f:
                f.write(value)
        else:
            branch.upload(bytes(value), p.key, content_type=content_type, metadata=metadata)
    finally:
        fs._written(path)


def put_file(
    fs: LakeFSFileSystem,
    lpath: str,
    rpath: str,
    callback: Callback,
    mode: str,
    kwargs: dict[str, Any],
) -> None:
    """``fs.put_file``: one local file, into ``put``'s run when inside one, else on its own."""
    write_options("put_file", kwargs)
    item = PutItem(lpath, rpath, callback, {"mode": mode, **kwargs})
    run: TransferRun | None = getattr(fs._local, "put", None)
    if run is not None:  # inside put: its run takes the file
        _submit(fs, run, item)
    elif not os.path.isdir(lpath):
        with running(fs, "put", None, files=1) as own:
            _submit(fs, own, item)


def _submit(
    fs: LakeFSFileSystem, run: TransferRun, item: PutItem, scope: PutScope | None = None
) -> None:
    if run.stopped:
        release(item.callback)
        raise _Stopped
    try:
        transfer = put_transfer(fs, item, scope or getattr(fs._local, "scope", None))
    except BaseException:
        release(item.callback)
        raise
    if not run.submit(transfer):
        release(item.callback)


def put(
    fs: LakeFSFileSystem,
    lpath: Any,
    rpath: Any,
    recursive: bool,
    callback: Callback,
    maxdepth: int | None,
    kwargs: dict[str, Any],
) -> None:
    """``fs.put``: fsspec's expansion, once (:func:`~lakefs._fs_transfers.plan_put`), each
    file it names queued into one run as it is prepared (as ``put_file`` would queue it; a
    subclass's own ``put_file`` is called instead, through fsspec's ``put``)."""
    with running(fs, "put", callback) as run:
        if type(fs).put_file is not _own_put_file():
            fs._local.put, fs._local.scope = run, PutScope()
            try:
                AbstractFileSystem.put(
                    fs, lpath, rpath, recursive, Deferred(callback), maxdepth, **kwargs
                )
            except _Stopped:
                pass  # the failure that stopped the run is raised as the run ends
            finally:
                fs._local.put = fs._local.scope = None
            return
        scope = PutScope()
        absent = functools.partial(scope.nothing_at, fs)
        pairs = plan_put(fs, lpath, rpath, recursive, maxdepth, kwargs, absent)
        if pairs is not None:
            _queue(fs, run, pairs, Deferred(callback), kwargs, scope)


def _queue(
    fs: LakeFSFileSystem,
    run: TransferRun,
    pairs: list[tuple[str, str, str | None]],
    deferred: Deferred,
    kwargs: dict[str, Any],
    scope: PutScope,
) -> None:
    """``put``'s files queued into its run, each as ``put_file`` queues it (its options checked
    once, its errors translated with its remote path), until the run stops."""
    deferred.set_size(len(pairs))
    options = {k: v for k, v in kwargs.items() if k != "mode"}
    if pairs:
        write_options("put_file", options)
    options = {"mode": kwargs.get("mode", "overwrite"), **options}
    for local, remote, kind in pairs:
        item = PutItem(local, remote, deferred.branched(local, remote), options, kind)
        try:
            with fs._errors(fs._strip_protocol(remote)):
                _submit(fs, run, item, scope)
        except _Stopped:
            return  # the failure that stopped the run is raised as the run ends


def _own_put_file() -> Any:
    """The filesystem's own ``put_file`` (what ``put`` queues files as, without calling it)."""
    from lakefs._fs_write_verbs import WriteVerbs  # the verbs import this module

    return WriteVerbs.put_file


def cp(fs: LakeFSFileSystem, path1: str, path2: str, kwargs: dict[str, Any]) -> None:
    """``fs.cp_file``: on the server within a repository, else streamed."""
    carried = sorted(k for k in ("content_type", "metadata") if kwargs.get(k) is not None)
    if carried:
        raise ValidationError(
            f"cp_file keeps the source's content type and metadata: {', '.join(carried)} "
            "cannot be carried by a copy (pipe or put the object with them instead)"
        )
    path1, path2 = fs._strip_protocol(path1), fs._strip_protocol(path2)
    src, dst = fs._parse(path1), fs._parse(path2)
    seen = fs._seen.entries or {}
    if not src.key or seen.get(path1, {}).get("type") == "directory":
        return
    branch = fs._branch(dst)
    try:
        if src.repo == dst.repo:
            branch.copy_object(fs._reference(src), src.key, dst.key)
        else:
            with (
                fs._reference(src).open(src.key, "rb", fs.pre_signed) as r,
                branch.open(dst.key, "wb", fs.pre_signed) as w,
            ):
                while chunk := r.read1(fs.block_size):
                    w.write(chunk)
    except MISSING:
        if fs.isdir(path1):  # asked now, not from a cache
            return
        raise
    finally:
        fs._written(path2)


def touch(fs: LakeFSFileSystem, path: str, truncate: bool, kwargs: dict[str, Any]) -> None:
    """``fs.touch``: an empty object (``truncate=False``: only where there is none)."""
    if truncate:
        fs.pipe_file(path, b"", **kwargs)
        return
    with contextlib.suppress(FileExistsError):
        fs.pipe_file(path, b"", mode="create", **kwargs)


def copy(
    fs: LakeFSFileSystem, path1: Any, path2: Any, recursive: bool, kwargs: dict[str, Any]
) -> None:
    """``fs.copy``: fsspec's, the kinds of what it expands collected as it lists them."""
    with fs._listed():
        AbstractFileSystem.copy(fs, path1, path2, recursive=recursive, **kwargs)


def rm_file(fs: LakeFSFileSystem, path: str) -> None:
    """``fs.rm_file``: one object deleted (a missing one is no error)."""
    path = fs._strip_protocol(path)
    p = fs._parse(path)
    branch = fs._branch(p)
    try:
        ObjectInfo(p.repo, branch.id, p.key, client=fs.client).delete()
    finally:
        fs._written(path)


def rm(fs: LakeFSFileSystem, path: Any, recursive: bool, maxdepth: int | None) -> None:
    """``fs.rm``: every name of the expansion deleted, by branch, every branch checked first."""
    paths = path if isinstance(path, list) else [path]
    by_branch: dict[tuple[str, str], list[str]] = {}
    for name in fs.expand_path(paths, recursive=recursive, maxdepth=maxdepth):
        p = fs._parse(name)
        if not p.key:
            if recursive:
                continue  # a ref's root: its objects are listed on their own
            raise IsADirectoryError(errno.EISDIR, "cannot remove a ref or repository", name)
        by_branch.setdefault((p.repo, p.ref), []).append(p.key)
    branches = {
        (repo, ref): fs._branch(FSPath(repo, ref, keys[0]))
        for (repo, ref), keys in by_branch.items()
    }  # all of them before the first removal
    for (repo, ref), keys in by_branch.items():
        if not recursive and len(keys) == 1:
            fs.rm_file(f"{repo}/{ref}/{keys[0]}")
            continue
        try:
            _delete(fs, repo, ref, branches[(repo, ref)], keys)
        finally:
            fs.invalidate_cache(f"{repo}/{ref}")


@translating(lambda fs, repo, ref, branch, keys: f"{repo}/{ref}")
def _delete(fs: LakeFSFileSystem, repo: str, ref: str, branch: Branch, keys: list[str]) -> None:
    """One branch's objects deleted, in requests of 1,000 paths."""
    branch.delete_objects(sorted(set(keys)))
