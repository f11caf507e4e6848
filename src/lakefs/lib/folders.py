"""Folders: ``Branch.upload_folder`` and ``Reference.download_folder``.

A folder transfer is a planner and an executor. The planner (:mod:`lakefs.lib._folder_plan`)
walks the local tree and lists the objects under the prefix together, in one byte-wise order,
and makes each name one action: send it, delete it, or refuse it. The executor
(:mod:`lakefs.lib._transfers`) moves files in parallel (``max_workers`` threads, all through
the client's one connection pool, each request retried by the transport); a file that fails is
recorded in :attr:`TransferResult.failed` and the others go on. Deletes of objects go in
batches of 1,000 paths. Memory stays bounded whatever the folder's size: one directory's names,
one listing page, and the files in flight.

Uploads publish each object only when it was sent whole, and only if the file did not change
while it was read (``SourceChangedError`` otherwise: see :func:`lakefs.lib.writer.send_file`).
Downloads land under a temporary name in the file's directory and are renamed into place. The
local folder is reached as :mod:`lakefs.lib._local_tree` says: names that would leave it are
refused, and nothing is read, written or removed through a symbolic link, even one swapped in
while the transfer runs. An empty local directory where an object's file must go is removed to
make room (as an old file is replaced); a directory holding anything is that file's failure,
and nothing in it is touched.

Ctrl-C (or any exception while the transfer runs) cancels it: files not started never start,
and files in flight stop at their next chunk: downloads' temporary files are removed, uploads
are cut short and never published (a pre-signed multipart upload lets its parts under way end,
then is aborted), so nothing half-written remains. A chunk being sent or received when the
cancellation comes still ends (bounded by the client's timeouts).

Unchanged files are skipped by comparing what lakeFS stores with the local file
(:mod:`lakefs.lib._checksums`): by default the size and lakeFS's checksum (the MD5, or S3's
multipart ETag) when it can be computed locally; with ``skip_unchanged="sha256"``, also the
SHA-256 such uploads store with each object. Any other checksum cannot be compared, and the
file is transferred.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import mimetypes
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lakefs_sdk.api.objects_api import ObjectsApi
from lakefs_sdk.models.path_list import PathList

from lakefs._exceptions import LakeFSError, ValidationError
from lakefs._server_configuration import resolve_pre_signed
from lakefs.lib._checksums import (
    SHA256_KEY,
    SkipUnchanged,
    digests,
    is_md5,
    same_content,
    skip_mode,
)
from lakefs.lib._folder_plan import (
    Delete,
    Entry,
    Filter,
    Options,
    Refuse,
    Send,
    flag,
    folder_option,
    key_bytes,
    plan_download,
    plan_upload,
    pre_signed_option,
    prefix_option,
    request_options,
    walk,
)
from lakefs.lib._local_tree import LocalTree, Place, fetch_contained, fetch_into, local_destination
from lakefs.lib._transfers import (
    DEFAULT_FOLDER_WORKERS,
    Transfer,
    TransferError,
    TransferResult,
    TransferRun,
    _Runner,
    check_workers,
    run_transfers,
    shown,
    transfer_run,
)
from lakefs.lib.progress import ProgressEvent, check_option
from lakefs.lib.reader import DEFAULT_BLOCK_SIZE
from lakefs.lib.writer import (
    DEFAULT_MAX_WORKERS,
    DEFAULT_PART_SIZE,
    _make_target,
    _Watched,
    send_file,
)

if TYPE_CHECKING:
    from lakefs._client import RequestTimeout
    from lakefs._generated.branch import Branch
    from lakefs._generated.reference import Reference

__all__ = [
    "DEFAULT_FOLDER_WORKERS",
    "Transfer",
    "TransferError",
    "TransferResult",
    "TransferRun",
    "download_folder",
    "fetch_contained",
    "local_destination",
    "run_transfers",
    "same_content",
    "transfer_run",
    "upload_folder",
]

_DELETE_BATCH = 1000  # the server's limit of paths per bulk delete


def _walk(root: Path) -> Iterator[tuple[str, Entry | Exception]]:
    """The local files below ``root`` (and the errors), in lakeFS's listing order."""
    return walk(root)


_key_bytes = key_bytes


# -- upload ----------------------------------------------------------------------------------


def upload_folder(
    branch: Branch,
    local_dir: str | os.PathLike[str],
    prefix: str = "",
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    delete: bool = False,
    skip_unchanged: SkipUnchanged = True,
    max_workers: int = DEFAULT_FOLDER_WORKERS,
    pre_signed: bool | None = None,
    progress: bool | Callable[[ProgressEvent], None] | None = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> TransferResult:
    """Upload every file below ``local_dir`` to ``prefix`` on ``branch`` (see the module).

    Raises:
        ValidationError: a bad argument (before any request), or ``local_dir`` is no folder.
        LakeFSError: the listing failed or came out of order (what was started ends first).
    """
    root = folder_option(local_dir, "local_dir")
    base = prefix_option(prefix)
    keep = Filter(include, exclude)
    delete = flag(delete, "delete")
    mode = skip_mode(skip_unchanged)
    workers = check_workers(max_workers)
    pre_signed = pre_signed_option(pre_signed)
    check_option(progress)
    opts = request_options(timeout, extra_headers)
    if not root.is_dir():
        raise ValidationError(f"local_dir {str(root)!r} is not a directory")
    use_presign = resolve_pre_signed(branch.client, pre_signed)
    part_workers = min(DEFAULT_MAX_WORKERS, workers)

    def upload(rel: str, action: Send) -> None:
        assert action.local is not None
        with tree.open_file(action.local.inside) as file:
            since = os.fstat(file.fileno())  # before anything is read: see send_file
            size = since.st_size
            watched = _Watched(file, size, since)
            bar.add_total(size - action.local.size)
            hashes = digests(file) if mode == "sha256" else None
            stored = action.stored
            if stored is not None and mode and _unchanged(file, size, stored, hashes):
                watched.check()  # what was compared is what the file holds
                bar.add_total(-size)
                runner.count(rel, "skipped")
                return
            target = _make_target(
                branch,
                base + rel,
                exclusive=False,
                pre_signed=use_presign,
                content_type=mimetypes.guess_type(action.local.path.name)[0],
                metadata={SHA256_KEY: hashes[1]} if hashes is not None else None,
                part_size=DEFAULT_PART_SIZE,
                max_workers=part_workers,
            )
            send_file(_with_options(target, opts), file, size, runner.counter, since=since)
        runner.count(rel, "sent", size)

    doomed: list[Delete] = []

    def flush() -> None:
        if doomed:
            _delete_objects(branch, doomed, opts, runner)
            doomed.clear()

    def delete_later(rel: str, action: Delete) -> None:
        doomed.append(action)
        if len(doomed) >= _DELETE_BATCH:
            flush()

    plan = plan_upload(root, branch, base, keep, listed=bool(mode), delete=delete, opts=opts)
    with (
        LocalTree(root, create=False) as tree,  # left last: the runner waits for its tasks
        _Runner(workers, progress, "upload_folder", f"upload {root.name or root}") as runner,
    ):
        bar = runner.bar
        _execute(runner, plan, upload, delete_later)
        flush()
    return runner.result


def _with_options(target: Any, opts: Options) -> Any:
    if opts.timeout is None and not opts.extra_headers:
        return target
    return dataclasses.replace(target, timeout=opts.timeout, extra_headers=opts.extra_headers)


def _execute(
    runner: _Runner,
    plan: Iterator[Send | Delete | Refuse],
    send: Callable[[str, Send], None],
    delete: Callable[[str, Delete], None],
) -> None:
    """Carry out each action of ``plan`` as it comes: sends on the runner's workers, deletes
    by ``delete`` (called here, in order: it batches or submits), refusals as failures."""
    bar = runner.bar
    for action in plan:
        if isinstance(action, Send):
            bar.add_total(action.size, 1)
            runner.submit(action.rel, send, action)
        elif isinstance(action, Delete):
            bar.add_total(files=1)
            delete(action.rel, action)
        else:
            bar.add_total(files=1)
            runner.fail(action.rel, action.error)


def _delete_objects(branch: Branch, doomed: list[Delete], opts: Options, runner: _Runner) -> None:
    """One bulk delete; each path it refuses is a failure."""
    try:
        data = branch._call(
            ObjectsApi(branch._sdk).delete_objects_with_http_info,
            repository=branch.repository_id,
            branch=branch.id,
            path_list=PathList(paths=[d.key for d in doomed]),
            timeout=opts.timeout,
            extra_headers=opts.extra_headers,
        )
    except LakeFSError as exc:
        for d in doomed:
            runner.fail(d.rel, exc)
        return
    refused = {str(e.get("path")): str(e.get("message")) for e in (data or {}).get("errors") or []}
    for d in doomed:
        if d.key in refused:
            runner.fail(d.rel, LakeFSError(f"could not delete {d.key}: {refused[d.key]}"))
        else:
            runner.count(d.rel, "deleted")


def _unchanged(file: IO[bytes], size: int, stored: Any, hashes: tuple[str, str] | None) -> bool:
    """Whether the open local ``file`` of ``size`` bytes holds what ``stored`` (an ObjectInfo)
    does: the size and the checksum compared, or with ``hashes`` (the file's MD5 and SHA-256:
    ``skip_unchanged="sha256"``) the size, the SHA-256 stored with the object, and the MD5
    when lakeFS's checksum is one."""
    if hashes is None:
        return same_content(file, size, stored.checksum(), stored.size_bytes(), DEFAULT_PART_SIZE)
    md5, sha = hashes
    if size != stored.size_bytes() or stored.metadata().get(SHA256_KEY) != sha:
        return False
    checksum = stored.checksum()
    return not is_md5(checksum) or md5 == checksum.strip('"').lower()


# -- download --------------------------------------------------------------------------------


def download_folder(
    reference: Reference,
    prefix: str,
    local_dir: str | os.PathLike[str],
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    delete: bool = False,
    skip_unchanged: SkipUnchanged = True,
    max_workers: int = DEFAULT_FOLDER_WORKERS,
    pre_signed: bool | None = None,
    progress: bool | Callable[[ProgressEvent], None] | None = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> TransferResult:
    """Download every object under ``prefix`` into ``local_dir`` (see the module).

    Raises:
        ValidationError: a bad argument (before any request), or ``local_dir`` is a file.
        LakeFSError: the listing failed or came out of order (what was started ends first).
    """
    base = prefix_option(prefix)
    root = folder_option(local_dir, "local_dir")
    keep = Filter(include, exclude)
    delete = flag(delete, "delete")
    mode = skip_mode(skip_unchanged)
    workers = check_workers(max_workers)
    pre_signed = pre_signed_option(pre_signed)
    check_option(progress)
    opts = request_options(timeout, extra_headers)
    if root.exists() and not root.is_dir():
        raise ValidationError(f"local_dir {str(root)!r} is not a directory")
    use_presign = resolve_pre_signed(reference.client, pre_signed)

    def download(rel: str, action: Send) -> None:
        stored = action.stored
        size = stored.size_bytes()
        with tree.place(rel) as place:
            if mode and _unchanged_here(place, stored, mode):
                bar.add_total(-size)
                runner.count(rel, "skipped")
                return
            emptied = _clear_the_way(place, rel)
            try:
                got = fetch_into(
                    place,
                    reference,
                    stored.path,
                    pre_signed=use_presign,
                    block_size=DEFAULT_BLOCK_SIZE,
                    counter=runner.counter,
                    timeout=opts.timeout,
                    extra_headers=opts.extra_headers,
                    expected_size=size,
                )
            except BaseException:
                if emptied:  # put the empty directory back: a failure changes nothing
                    with contextlib.suppress(OSError):
                        place.mkdir()
                raise
        runner.count(rel, "sent", got)

    def remove(rel: str, action: Delete) -> None:
        with tree.place(rel, create=False) as place:
            place.unlink()
        runner.count(rel, "deleted")

    def delete_now(rel: str, action: Delete) -> None:
        runner.submit(rel, remove, action)

    with (
        LocalTree(root) as tree,  # left last: the runner waits for its tasks first
        _Runner(workers, progress, "download_folder", f"download {base or '/'}") as runner,
    ):
        bar = runner.bar
        plan = plan_download(
            root, reference, base, keep, delete=delete, temporary=tree.temporary, opts=opts
        )
        _execute(runner, plan, download, delete_now)
    return runner.result


def _unchanged_here(place: Place, stored: Any, mode: SkipUnchanged) -> bool:
    """Whether the regular file at ``place`` holds what ``stored`` does (``mode``)."""
    st = place.stat
    if st is None or not stat.S_ISREG(st.st_mode) or st.st_size != stored.size_bytes():
        return False
    with place.open_read() as file:
        hashes = digests(file) if mode == "sha256" else None
        return _unchanged(file, st.st_size, stored, hashes)


def _clear_the_way(place: Place, rel: str) -> bool:
    """Make room for the file at ``place``: an empty directory there is removed (as an old
    file would be replaced; returns True), a directory holding anything is an error naming the
    conflict (its files are never removed to make room)."""
    st = place.stat
    if st is None or not stat.S_ISDIR(st.st_mode):
        return False
    try:
        place.rmdir()
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise IsADirectoryError(
                errno.EISDIR,
                f"object {shown(rel)!r} cannot be downloaded: a directory that is not empty "
                "is in its place",
                str(place.path),
            ) from None
        raise
    return True
