"""Folders: ``Branch.upload_folder`` and ``Reference.download_folder``.

A folder transfer is a plan carried out by a runner. The plan (:mod:`lakefs.lib._folder_plan`,
where its ordering rules are written) walks the local tree and lists the objects under the
prefix together, in one byte-wise order, and makes each name at most one value: upload it,
download it, delete it, or fail it. This module carries the values out, in plan order, on the
runner (:mod:`lakefs.lib._transfers`): files move in parallel (``max_workers`` threads, all
through the client's one connection pool, each request retried by the transport); a file that
fails is recorded in :attr:`TransferResult.failed` and the others go on. Deletes of objects go
in batches of 1,000 paths. Memory stays bounded whatever the folder's size: one directory's
names, one listing page, and the files in flight.

Uploads publish each object only when it was sent whole, and only if the file did not change
while it was read (``SourceChangedError`` otherwise: see :func:`lakefs.lib.writer.send_file`).
Downloads are named only when whole (:meth:`lakefs.lib._local_tree.Place.write`: on Linux a new
file has no name until then; elsewhere, and over a file, a temporary name is renamed). The
local folder is reached as :mod:`lakefs.lib._local_tree` says: names that would leave it are
refused, and nothing is read, written or removed through a symbolic link, even one swapped in
while the transfer runs. An empty local directory where an object's file must go is removed to
make room (as an old file is replaced); a directory holding anything is that file's failure,
and nothing in it is touched.

Ctrl-C (or any exception while the transfer runs) cancels it, by the runner's cancel token,
which each file checks before it starts, while it is hashed, before it is sent and at each
chunk: files not started never start, and files in flight stop at their next chunk: downloads
in flight never get their names (temporary files are removed), uploads are cut short and never
published (a pre-signed multipart upload lets its parts under way end, then is aborted), so
nothing half-written remains. A chunk being sent or received when the cancellation comes still
ends (bounded by the client's timeouts).

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
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Generic, Literal, TypeVar

from lakefs._exceptions import LakeFSError, ValidationError
from lakefs._server_configuration import resolve_pre_signed
from lakefs.lib._checksums import SHA256_KEY, SkipUnchanged, digests, is_md5, same_content
from lakefs.lib._folder_args import FolderJob, Options, RunOptions
from lakefs.lib._folder_plan import (
    Action,
    Delete,
    Download,
    Entry,
    Upload,
    key_bytes,
    plan_download,
    plan_upload,
    walk,
)
from lakefs.lib._index import FolderIndex, State, open_index
from lakefs.lib._local_tree import LocalTree, Place, fetch_contained, fetch_into, local_destination
from lakefs.lib._transfers import DEFAULT_FOLDER_WORKERS as DEFAULT_FOLDER_WORKERS
from lakefs.lib._transfers import CancelToken, _Runner, shown
from lakefs.lib._transfers import Transfer as Transfer
from lakefs.lib._transfers import TransferError as TransferError
from lakefs.lib._transfers import TransferResult as TransferResult
from lakefs.lib._transfers import TransferRun as TransferRun
from lakefs.lib._transfers import run_transfers as run_transfers
from lakefs.lib._transfers import transfer_run as transfer_run
from lakefs.lib.objects import DELETE_BATCH, delete_batch
from lakefs.lib.progress import ProgressEvent
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

__all__ = [  # and the engine's names, imported from lakefs.lib._transfers
    "download_folder",
    "fetch_contained",
    "local_destination",
    "same_content",
    "upload_folder",
]


def _walk(root: Path) -> Iterator[tuple[str, Entry | Exception]]:
    """The local files below ``root`` (and the errors), in lakeFS's listing order."""
    return walk(root)


_key_bytes = key_bytes


def upload_folder(
    branch: Branch,
    local_dir: str | PathLike[str],
    prefix: str = "",
    *,
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    delete: bool = False,
    skip_unchanged: bool | Literal["sha256"] = True,
    max_workers: int = DEFAULT_FOLDER_WORKERS,
    pre_signed: bool | None = None,
    progress: bool | Callable[[ProgressEvent], None] | None = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> TransferResult:
    """Upload every file under ``local_dir`` to ``prefix`` (a file's path below the folder
    becomes its path below the prefix), in parallel.

    Each object appears only when its upload succeeded; one file's failure does not stop the
    others (see the result's ``failed``). Unchanged files (same size and checksum) are not sent
    again. :mod:`lakefs.lib.folders` describes the rest.

    Args:
        local_dir: The folder to send.
        prefix: Where the files land on the branch (a '/' is added when missing).
        include: Glob patterns on the path below the folder: only matching files are
            transferred (None: all).
        exclude: Glob patterns on the path below the folder: matching files are left alone.
        delete: Mirror: delete objects under the prefix (passing the patterns) that have no
            local file, in batched deletes staged on the branch.
        skip_unchanged: Skip files whose size and checksum equal the object's ('sha256': and
            the SHA-256 stored with it; each file sent stores its own).
        max_workers: Files transferred at once.
        pre_signed: Upload straight to the object store (None: when the server supports it).
        progress: A progress bar: None shows one on a terminal, True always, False never (nor
            with LAKEFS_NO_PROGRESS=1); a callable receives ProgressEvents instead.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Returns:
        What was sent, skipped, deleted and what failed.

    Raises:
        ValidationError: a bad argument (before any request), or ``local_dir`` is no folder.
        LakeFSError: the listing failed or came out of order (what was started ends first).

    Example:
        >>> from pathlib import Path
        >>> for name in ("a.csv", "b.csv"):
        ...     _ = (Path("dataset") / name).parent.mkdir(exist_ok=True)
        ...     _ = (Path("dataset") / name).write_text("id\\n1\\n")
        >>> main = lakefs.repository(repo.id).branch("main")
        >>> result = main.upload_folder("dataset", "datasets/v1/", progress=False)
        >>> result.sent, result.failed
        (2, {})
        >>> main.upload_folder("dataset", "datasets/v1/", progress=False).skipped
        2
    """
    job = FolderJob.check(local_dir, prefix, include, exclude, delete, skip_unchanged)
    how = RunOptions.check(max_workers, pre_signed, progress, timeout, extra_headers)
    if not job.root.is_dir():
        raise ValidationError(f"local_dir {str(job.root)!r} is not a directory")
    use_presign = resolve_pre_signed(branch.client, how.pre_signed)
    listed = _listing(branch, job.base, how.opts) if job.mode or job.delete else ()
    plan = plan_upload(
        walk(job.root, dirs=True),
        listed,
        prefix=job.base,
        keep=job.keep,
        compare=bool(job.mode),
        delete=job.delete,
    )
    described = f"upload {job.root.name or job.root}"
    with (
        LocalTree(job.root, create=False) as tree,  # left last: the runner waits for its tasks
        _noted(job) as index,
        _Runner(how.workers, how.progress, "upload_folder", described) as runner,
    ):
        uploads = _Uploads(branch, job, how, use_presign, tree, runner, index)
        _execute(runner, plan, uploads.upload, uploads.delete)
        uploads.flush()
    return runner.result


def _listing(reference: Reference, prefix: str, opts: Options) -> Iterator[Any]:
    """The objects under ``prefix``, page by page (nothing is asked before the first)."""
    yield from reference.list_objects(
        prefix=prefix, delimiter="", timeout=opts.timeout, extra_headers=opts.extra_headers
    )


def _execute(
    runner: _Runner,
    plan: Iterator[Action],
    transfer: Callable[[str, Any], None],
    delete: Callable[[Delete], None],
) -> None:
    """Carry out each value of ``plan`` as it comes, in its order (rules 6 and 7 of
    :mod:`lakefs.lib._folder_plan`): uploads and downloads by ``transfer`` on the runner's
    workers, deletes by ``delete`` (called here: it batches, or deletes now), failures
    recorded. Nothing more is taken from the plan once the run is cancelled."""
    bar = runner.bar
    for action in plan:
        if runner.token.cancelled:
            break
        if isinstance(action, (Upload, Download)):
            bar.add_total(action.size, 1)
            runner.submit(action.rel, transfer, action)
        elif isinstance(action, Delete):
            bar.add_total(files=1)
            delete(action)
        else:
            bar.add_total(files=1)
            runner.fail(action.rel, action.error)


R = TypeVar("R")


@dataclass
class _Tasks(Generic[R]):
    """What the tasks of one folder transfer share: the branch or reference, the checked
    arguments, the local tree and the runner."""

    ref: R
    job: FolderJob
    how: RunOptions
    pre_signed: bool
    tree: LocalTree
    runner: _Runner
    index: FolderIndex | None  # what each file was last found to hold (mode True only)

    def noted(self, rel: str, state: State, stored: Any) -> bool:
        """Whether the index says the file ``rel``, in ``state``, holds what ``stored`` does
        (nothing is read)."""
        if self.index is None or state.size != stored.size_bytes():
            return False
        return self.index.checksum(rel, state) == _normal(stored.checksum())

    def note(self, rel: str, state: State, checksum: str) -> None:
        """Remember that ``rel``, in ``state``, holds content of lakeFS's ``checksum``."""
        if self.index is not None:
            self.index.record(rel, state, _normal(checksum))


@dataclass
class _Uploads(_Tasks["Branch"]):
    """The tasks of one ``upload_folder``: each file's upload (on a worker), and the object
    deletes, batched."""

    doomed: list[Delete] = field(default_factory=list)

    def upload(self, rel: str, action: Upload) -> None:
        """Send one file (skipped when it holds what ``action.compare`` does)."""
        runner, bar, token = self.runner, self.runner.bar, self.runner.token
        with self.tree.open_file(action.local.inside) as file:
            since = os.fstat(file.fileno())  # before anything is read: see send_file
            size = since.st_size
            watched = _Watched(file, size, since)
            bar.add_total(size - action.size)
            state = State.of(since)
            stored = action.compare
            if stored is not None and self.noted(rel, state, stored):
                bar.add_total(-size)
                runner.count(rel, "skipped")
                return
            hashes = digests(file, token) if self.job.mode == "sha256" else None
            if stored is not None and _unchanged(file, size, stored, hashes, token):
                watched.check()  # what was compared is what the file holds
                self.note(rel, state, stored.checksum())
                bar.add_total(-size)
                runner.count(rel, "skipped")
                return
            token.check()  # nothing is sent once cancelled
            target = self._target(rel, action.local, hashes)
            sent = send_file(target, file, size, runner.chunks(), since=since)
            self.note(rel, state, sent.checksum())  # send_file checked: the file held still
        runner.count(rel, "sent", size)

    def _target(self, rel: str, local: Entry, hashes: tuple[str, str] | None) -> Any:
        target = _make_target(
            self.ref,
            self.job.base + rel,
            exclusive=False,
            pre_signed=self.pre_signed,
            content_type=mimetypes.guess_type(local.path.name)[0],
            metadata={SHA256_KEY: hashes[1]} if hashes is not None else None,
            part_size=DEFAULT_PART_SIZE,
            part_workers=min(DEFAULT_MAX_WORKERS, self.how.workers),
        )
        opts = self.how.opts
        if opts.timeout is None and not opts.extra_headers:
            return target
        return dataclasses.replace(target, timeout=opts.timeout, extra_headers=opts.extra_headers)

    def delete(self, action: Delete) -> None:
        """Delete the object later, in a batch (sent once full, and by :meth:`flush`)."""
        self.doomed.append(action)
        if len(self.doomed) >= DELETE_BATCH:
            self.flush()

    def flush(self) -> None:
        """Send the batch of deletes, if any."""
        if self.doomed:
            _delete_objects(self.ref, self.doomed, self.how.opts, self.runner)
            self.doomed.clear()


def _delete_objects(branch: Branch, doomed: list[Delete], opts: Options, runner: _Runner) -> None:
    """One bulk delete; each path it refuses is a failure (each path, when the request fails)."""
    keys = [d.key for d in doomed]
    try:
        refused = delete_batch(branch, keys, timeout=opts.timeout, extra_headers=opts.extra_headers)
    except LakeFSError as exc:
        for d in doomed:
            runner.fail(d.rel, exc)
        return
    for d in doomed:
        if d.key in refused:
            runner.fail(d.rel, refused[d.key])
        else:
            runner.count(d.rel, "deleted")


def _unchanged(
    file: IO[bytes],
    size: int,
    stored: Any,
    hashes: tuple[str, str] | None,
    token: CancelToken,
) -> bool:
    """Whether the open local ``file`` of ``size`` bytes holds what ``stored`` (an ObjectInfo)
    does: the size and the checksum compared, or with ``hashes`` (the file's MD5 and SHA-256:
    ``skip_unchanged="sha256"``) the size, the SHA-256 stored with the object, and the MD5
    when lakeFS's checksum is one. Hashing stops once ``token`` is cancelled."""
    if hashes is None:
        checksum, stored_size = stored.checksum(), stored.size_bytes()
        return same_content(file, size, checksum, stored_size, DEFAULT_PART_SIZE, cancel=token)
    md5, sha = hashes
    if size != stored.size_bytes() or stored.metadata().get(SHA256_KEY) != sha:
        return False
    checksum = stored.checksum()
    return not is_md5(checksum) or md5 == checksum.strip('"').lower()


def download_folder(
    reference: Reference,
    prefix: str,
    local_dir: str | PathLike[str],
    *,
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    delete: bool = False,
    skip_unchanged: bool | Literal["sha256"] = True,
    max_workers: int = DEFAULT_FOLDER_WORKERS,
    pre_signed: bool | None = None,
    progress: bool | Callable[[ProgressEvent], None] | None = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> TransferResult:
    """Download every object under ``prefix`` into ``local_dir`` (its path below the prefix
    becomes the file's path), in parallel.

    Each file gets its name only when complete (see the module); one file's failure
    does not stop the others (see the result's ``failed``). Unchanged files (same size and
    checksum) are not downloaded again. :mod:`lakefs.lib.folders` describes the rest.

    Args:
        prefix: The objects' prefix ("" for the whole reference).
        local_dir: The folder to write into (created).
        include: Glob patterns on the path below the prefix: only matching objects are
            transferred (None: all).
        exclude: Glob patterns on the path below the prefix: matching objects are left alone.
        delete: Mirror: remove local files (passing the patterns) that have no object.
        skip_unchanged: Skip files whose size and checksum equal the object's ('sha256': and
            the SHA-256 stored by uploads in that mode, else downloaded).
        max_workers: Files transferred at once.
        pre_signed: Read straight from the object store (None: when the server supports it).
        progress: A progress bar: None shows one on a terminal, True always, False never (nor
            with LAKEFS_NO_PROGRESS=1); a callable receives ProgressEvents instead.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Returns:
        What was downloaded, skipped, deleted and what failed.

    Raises:
        ValidationError: a bad argument (before any request), or ``local_dir`` is a file.
        LakeFSError: the listing failed or came out of order (what was started ends first).

    Example:
        >>> from pathlib import Path
        >>> main = lakefs.repository(repo.id).branch("main")
        >>> _ = main.upload(b"id\\n1\\n", "exports/2024/a.csv")
        >>> _ = main.upload(b"id\\n2\\n", "exports/2024/b.csv")
        >>> result = main.download_folder("exports/", "local-exports", progress=False)
        >>> result.sent, sorted(p.name for p in Path("local-exports/2024").iterdir())
        (2, ['a.csv', 'b.csv'])
    """
    job = FolderJob.check(local_dir, prefix, include, exclude, delete, skip_unchanged)
    how = RunOptions.check(max_workers, pre_signed, progress, timeout, extra_headers)
    if job.root.exists() and not job.root.is_dir():
        raise ValidationError(f"local_dir {str(job.root)!r} is not a directory")
    use_presign = resolve_pre_signed(reference.client, how.pre_signed)
    described = f"download {job.base or '/'}"
    with (
        LocalTree(job.root) as tree,  # left last: the runner waits for its tasks first
        _noted(job) as index,
        _Runner(how.workers, how.progress, "download_folder", described) as runner,
    ):
        local = walk(job.root, skip=tree.temporary) if job.delete else ()
        listed = _listing(reference, job.base, how.opts)
        plan = plan_download(local, listed, prefix=job.base, keep=job.keep, delete=job.delete)
        downloads = _Downloads(reference, job, how, use_presign, tree, runner, index)
        _execute(runner, plan, downloads.download, downloads.delete)
    return runner.result


@dataclass
class _Downloads(_Tasks["Reference"]):
    """The tasks of one ``download_folder``: each object's download (on a worker), and the
    local deletes (here, in plan order: rule 6 of :mod:`lakefs.lib._folder_plan`)."""

    def download(self, rel: str, action: Download) -> None:
        """Fetch one object (skipped when the local file holds what it does)."""
        runner, token = self.runner, self.runner.token
        stored, size = action.stored, action.size
        with self.tree.place(rel) as place:
            st = place.stat
            state = State.of(st) if st is not None and stat.S_ISREG(st.st_mode) else None
            if state is not None and self.noted(rel, state, stored):
                runner.bar.add_total(-size)
                runner.count(rel, "skipped")
                return
            if self.job.mode and _unchanged_here(place, stored, self.job.mode, token):
                if state is not None:
                    self.note(rel, state, stored.checksum())
                runner.bar.add_total(-size)
                runner.count(rel, "skipped")
                return
            token.check()  # nothing is written once cancelled
            emptied = _clear_the_way(place, rel)
            try:
                got = self._fetch(place, stored.path, size)
            except BaseException:
                if emptied:  # put the empty directory back: a failure changes nothing
                    with contextlib.suppress(OSError):
                        place.mkdir()
                raise
        runner.count(rel, "sent", got)

    def _fetch(self, place: Place, path: str, size: int) -> int:
        opts = self.how.opts
        return fetch_into(
            place,
            self.ref,
            path,
            pre_signed=self.pre_signed,
            block_size=DEFAULT_BLOCK_SIZE,
            counter=self.runner.chunks(),
            timeout=opts.timeout,
            extra_headers=opts.extra_headers,
            expected_size=size,
        )

    def delete(self, action: Delete) -> None:
        """Remove the local file now, before the plan goes on."""
        self.runner.run_here(action.rel, self._remove)

    def _remove(self, rel: str) -> None:
        with self.tree.place(rel, create=False) as place:
            place.unlink()
        if self.index is not None:
            self.index.forget(rel)
        self.runner.count(rel, "deleted")


def _unchanged_here(place: Place, stored: Any, mode: SkipUnchanged, token: CancelToken) -> bool:
    """Whether the regular file at ``place`` holds what ``stored`` does (``mode``)."""
    st = place.stat
    if st is None or not stat.S_ISREG(st.st_mode) or st.st_size != stored.size_bytes():
        return False
    with place.open_read() as file:
        hashes = digests(file, token) if mode == "sha256" else None
        same = _unchanged(file, st.st_size, stored, hashes, token)
        # what was compared is the file of ``place.stat`` (it held still): else not unchanged
        return same and State.of(os.fstat(file.fileno())) == State.of(st)


@contextlib.contextmanager
def _noted(job: FolderJob) -> Iterator[FolderIndex | None]:
    """The folder's index for this run (``lakefs.lib._index``): with ``skip_unchanged=True``
    only (``"sha256"`` compares what it reads, by its purpose)."""
    index = open_index(job.root) if job.mode is True else None
    try:
        yield index
    finally:
        if index is not None:
            index.close()


def _normal(checksum: str) -> str:
    return checksum.strip('"').lower()


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
