"""Folders: ``Branch.upload_folder`` and ``Reference.download_folder``.

A folder transfer walks the local tree and lists the objects under the prefix *together*, both
in the same (byte-wise) order, so that memory stays bounded whatever the folder's size: one
directory's names at a time, one listing page, and the files in flight. Files move in parallel
(``max_workers`` threads, all through the client's one connection pool), each request retried
by the transport; a file that fails is recorded in :attr:`TransferResult.failed` and the others
go on. Uploads publish each object only when it was sent whole; downloads land under a temporary
name and are renamed into place. An empty local directory where an object's file must go is
removed to make room (as an old file is replaced); a directory holding anything is that file's
failure, and nothing in it is touched.

Ctrl-C (or any exception while the transfer runs) cancels it: files not started never start,
and files in flight stop at their next chunk: downloads' temporary files are removed, uploads
are cut short and never published (a pre-signed multipart upload lets its parts under way end,
then is aborted), so nothing half-written remains. A chunk being sent or received when the
cancellation comes still ends (bounded by the client's timeouts).

Unchanged files are skipped by comparing what lakeFS stores with the local file: the size, and
the checksum when it can be computed locally. What lakeFS's checksum is (verified on lakeFS
1.86.0):

* anything sent through lakeFS (local or S3 blockstore, single request or streamed): the MD5 of
  the content, in hex;
* a pre-signed single PUT, a server-side copy, an import: the object store's ETag, which S3
  (without SSE-KMS) and gofakes3 make the MD5 of the content;
* a pre-signed multipart upload (or an imported multipart object): S3's multipart ETag,
  ``md5(md5(part 1) + md5(part 2) + ...)-N``, which depends on the part size: it is compared
  for the part sizes that give N parts (this SDK's 8 MiB first, then common ones).

Any other checksum (SSE-KMS, other stores) cannot be compared, and the file is transferred. A
file changed with the same size has another MD5 and is transferred.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import hashlib
import mimetypes
import os
import re
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakefs_sdk.api.objects_api import ObjectsApi
from lakefs_sdk.models.path_list import PathList

from lakefs import _validation as validate
from lakefs._config import Timeout
from lakefs._exceptions import LakeFSError, ValidationError
from lakefs._logs import get_logger
from lakefs._server_configuration import resolve_pre_signed
from lakefs.lib.progress import ProgressEvent, ProgressOption, Tracker, check_option, tracker
from lakefs.lib.reader import TEMP_SUFFIX, fetch_to_file
from lakefs.lib.writer import DEFAULT_MAX_WORKERS, DEFAULT_PART_SIZE, _make_target, send_file

if TYPE_CHECKING:
    from lakefs._client import RequestTimeout
    from lakefs._generated.branch import Branch
    from lakefs._generated.reference import Reference

__all__ = [
    "DEFAULT_FOLDER_WORKERS",
    "TransferError",
    "TransferResult",
    "download_folder",
    "upload_folder",
]

log = get_logger("folders")

DEFAULT_FOLDER_WORKERS = 8
"""Files a folder transfer (and ``lakefs://``'s recursive put and get) moves at once."""
_DELETE_BATCH = 1000  # the server's limit of paths per bulk delete
_HASH_CHUNK = 1024 * 1024
_MULTIPART_ETAG = re.compile(r"^([0-9a-f]{32})-(\d+)$")
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_MiB = 1024 * 1024
# Part sizes tried for a multipart checksum: this SDK's, then those of common tools
# (boto3/aws cli 8 MiB, S3's smallest 5 MiB, lakectl and others 16, 32, 64, 100, 128 MiB).
_PART_SIZES = (DEFAULT_PART_SIZE, 5 * _MiB, 16 * _MiB, 32 * _MiB, 64 * _MiB, 100 * _MiB, 128 * _MiB)


class TransferError(LakeFSError):
    """Some files of a folder transfer failed (:meth:`TransferResult.raise_for_failures`);
    ``failed`` maps each one's path to its error."""

    def __init__(self, message: str, *, failed: Mapping[str, BaseException] | None = None) -> None:
        super().__init__(message)
        self.failed = dict(failed or {})


@dataclass
class TransferResult:
    """What a folder transfer did.

    Counts, not lists, so that a transfer of millions of files stays in bounded memory (a
    ``progress`` callable receives every file's path and outcome as it happens).

    Attributes:
        sent: files transferred.
        skipped: files left alone because they were unchanged.
        deleted: files (or objects) removed by ``delete=True``.
        failed: each failed file's path (relative to the folder) and its error.
        bytes: the bytes transferred.
    """

    sent: int = 0
    skipped: int = 0
    deleted: int = 0
    failed: dict[str, BaseException] = field(default_factory=dict)
    bytes: int = 0

    @property
    def ok(self) -> bool:
        """Whether no file failed."""
        return not self.failed

    def raise_for_failures(self) -> TransferResult:
        """Raise :class:`TransferError` if a file failed; else return the result."""
        if self.failed:
            shown = "; ".join(f"{p}: {e}" for p, e in list(self.failed.items())[:5])
            more = f" (and {len(self.failed) - 5} more)" if len(self.failed) > 5 else ""
            raise TransferError(
                f"{len(self.failed)} file(s) failed: {shown}{more}", failed=self.failed
            )
        return self


# -- arguments -------------------------------------------------------------------------------


def _patterns(value: object, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if isinstance(items, (bytes, Mapping)) or not isinstance(items, Iterable):
        raise ValidationError(f"{name} must be a glob pattern or patterns, not {value!r}")
    out = []
    for item in items:
        if not isinstance(item, str) or not item:
            raise ValidationError(f"{name} must hold non-empty str patterns, not {item!r}")
        # As huggingface_hub: "dir/" means everything below dir.
        out.append(item + "*" if item.endswith("/") else item)
    return tuple(out)


class _Filter:
    """include / exclude globs on the relative path (``*`` matches ``/`` too, as in fnmatch)."""

    def __init__(self, include: object, exclude: object) -> None:
        self.include = _patterns(include, "include")
        self.exclude = _patterns(exclude, "exclude")

    def __call__(self, rel: str) -> bool:
        if self.include is not None and not any(fnmatch.fnmatchcase(rel, p) for p in self.include):
            return False
        return not (self.exclude and any(fnmatch.fnmatchcase(rel, p) for p in self.exclude))


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, not {value!r}")
    return value


def _workers(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"max_workers must be a positive int, not {value!r}")
    return value


def _prefix(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"prefix must be a str, not {type(value).__name__}")
    validate.utf8(value, "prefix")
    return value if not value or value.endswith("/") else value + "/"


def _folder(value: object, name: str) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise ValidationError(f"{name} must be a str or a path, not {type(value).__name__}")
    return Path(value)


@dataclass(frozen=True)
class _Options:
    timeout: RequestTimeout | None
    extra_headers: Mapping[str, str] | None


def _options(timeout: object, extra_headers: object) -> _Options:
    if timeout is not None:
        try:
            Timeout.coerce(timeout)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"timeout: {exc}") from None
    if extra_headers is not None:
        if not isinstance(extra_headers, Mapping):
            raise ValidationError("extra_headers must be a mapping of header names to values")
        validate.headers(dict(extra_headers), "extra_headers")
    return _Options(timeout, extra_headers)  # type: ignore[arg-type]


# -- the two trees, in one order ---------------------------------------------------------------


@dataclass(frozen=True)
class _Local:
    path: Path
    size: int


_TEMP_NAME = re.compile(r"\..+\.[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX))


def _key_bytes(key: str) -> bytes:
    """A key as the bytes lakeFS orders listings by (names that are not UTF-8 as they are)."""
    return key.encode("utf-8", "surrogateescape")


def _shown(key: str) -> str:
    """A key fit to print (a name that is not UTF-8 shows replacement characters)."""
    return _key_bytes(key).decode("utf-8", "replace")


def _walk(
    root: Path, rel: str = "", top: Path | None = None
) -> Iterator[tuple[str, _Local | Exception]]:
    """Every file below ``root`` as (relative POSIX path, file), in the byte order of the
    relative paths as UTF-8 (lakeFS's listing order): a directory's entries are sorted by their
    name's bytes, a directory's name taken with its trailing ``/``. A symbolic link to a file is
    followed only when the file lies inside the folder; links to directories are not followed.
    A name that is not valid UTF-8, or a directory that cannot be read, comes as an error (the
    directory's with its trailing ``/``)."""
    top = top or root.resolve()
    try:
        with os.scandir(root) as it:
            entries = []
            for entry in it:
                if _TEMP_NAME.fullmatch(entry.name):
                    continue  # a download in progress
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                entries.append((entry.name + "/" if is_dir else entry.name, entry, is_dir))
    except FileNotFoundError:
        return
    except OSError as exc:  # unreadable: its objects must not look deleted
        yield rel, exc
        return
    entries.sort(key=lambda e: _key_bytes(e[0]))
    for key, entry, is_dir in entries:
        name = rel + key
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            problem = f"{os.fsencode(root / entry.name)!r}: the name is not valid UTF-8"
            yield name, ValidationError(problem)
            continue
        if is_dir:
            yield from _walk(Path(entry.path), name, top)
            continue
        try:
            st = entry.stat()  # follows a symbolic link
            outside = entry.is_symlink() and not Path(entry.path).resolve().is_relative_to(top)
        except OSError as exc:
            yield name, exc
            continue
        if outside:
            yield name, ValidationError(f"{entry.path}: a symbolic link out of the folder")
        elif stat.S_ISREG(st.st_mode):
            yield name, _Local(Path(entry.path), st.st_size)


def _merge(
    local: Iterator[tuple[str, _Local | Exception]],
    remote: Iterator[tuple[str, Any]],
) -> Iterator[tuple[str, _Local | Exception | None, Any]]:
    """Join two iterators sorted by key bytes: (key, local or None, remote or None).

    Raises:
        LakeFSError: a side is out of order (then nothing may be taken as missing).
    """
    local, remote = _ordered(local, "the local folder"), _ordered(remote, "lakeFS's listing")
    missing = object()
    lk: Any = missing
    rk: Any = missing
    lv: Any = None
    rv: Any = None
    while True:
        if lk is missing:
            lk, lv = next(local, (None, None))
        if rk is missing:
            rk, rv = next(remote, (None, None))
        if lk is None and rk is None:
            return
        if rk is None or (lk is not None and _key_bytes(lk) < _key_bytes(rk)):
            yield lk, lv, None
            lk = missing
        elif lk is None or _key_bytes(rk) < _key_bytes(lk):
            yield rk, None, rv
            rk = missing
        else:
            yield lk, lv, rv
            lk = rk = missing


def _ordered(items: Iterator[tuple[str, Any]], what: str) -> Iterator[tuple[str, Any]]:
    """``items``, checked to come in increasing key order."""
    last: bytes | None = None
    for key, value in items:
        here = _key_bytes(key)
        if last is not None and here <= last:
            raise LakeFSError(
                f"{what} is not in byte order at {_shown(key)!r}: stopped before deciding what "
                "is missing on either side"
            )
        last = here
        yield key, value


def _listing(reference: Reference, prefix: str, opts: _Options) -> Iterator[tuple[str, Any]]:
    """The objects under ``prefix`` as (path below the prefix, ObjectInfo), page by page."""
    for entry in reference.list_objects(
        prefix=prefix, delimiter="", timeout=opts.timeout, extra_headers=opts.extra_headers
    ):
        yield entry.path[len(prefix) :], entry


# -- unchanged? ------------------------------------------------------------------------------


def same_content(
    local: Path, size: int, checksum: str, stored_size: int, part_size: int = DEFAULT_PART_SIZE
) -> bool:
    """Whether a local file of ``size`` bytes holds what lakeFS stores with ``checksum`` and
    ``stored_size`` (False whenever it cannot tell). ``part_size`` is tried first for a
    multipart checksum."""
    if size != stored_size:
        return False
    checksum = checksum.strip('"').lower()
    if _MD5.match(checksum):
        return _md5_of(local) == checksum
    match = _MULTIPART_ETAG.match(checksum)
    if not match:
        return False
    parts = int(match.group(2))
    tried = set()
    even = -(-size // parts) if parts else 0
    for part in (part_size, *_PART_SIZES, even, -(-even // _MiB) * _MiB):
        if part <= 0 or part in tried or -(-size // part) != parts:
            continue
        tried.add(part)
        if _multipart_md5(local, part) == checksum:
            return True
    return False


def _md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _multipart_md5(path: Path, part_size: int) -> str:
    parts = []
    with path.open("rb") as f:
        while True:
            digest = hashlib.md5(usedforsecurity=False)
            left = part_size
            while left and (chunk := f.read(min(_HASH_CHUNK, left))):
                digest.update(chunk)
                left -= len(chunk)
            if left == part_size:
                break
            parts.append(digest.digest())
    return f"{hashlib.md5(b''.join(parts), usedforsecurity=False).hexdigest()}-{len(parts)}"


# -- the parallel part -----------------------------------------------------------------------


class _Cancelled(Exception):  # noqa: N818 - a signal inside a run, not an error users see
    """Raised into a transfer between two chunks once its run was cancelled."""


class _Counter(Tracker):
    """What a transfer's reader or writer advances after each chunk it moved.

    It forwards the bytes to the run's tracker (and to ``on_bytes``), and raises
    :class:`_Cancelled` once the run is cancelled: a transfer in flight stops at its next chunk
    (a download's temporary file is then removed, an upload is never published).
    """

    def __init__(
        self, run: Tracker, stop: threading.Event, on_bytes: Callable[[int], None] | None = None
    ) -> None:
        super().__init__(run.operation)
        self._run = run
        self._stop = stop
        self._on_bytes = on_bytes

    @property
    def active(self) -> bool:
        """Always: the chunks are counted to see a cancellation."""
        return True

    def advance(self, units: int) -> None:
        """``units`` more bytes were moved (raises :class:`_Cancelled` once cancelled)."""
        if self._stop.is_set():
            raise _Cancelled("the transfer was cancelled")
        if units <= 0:
            return
        if self._run.active:
            self._run.advance(units)
        if self._on_bytes is not None:
            self._on_bytes(units)


class _Runner:
    """Runs one task per file on ``workers`` threads, with at most twice that many waiting
    (bounded memory), and keeps the result; a failing task is recorded, not raised. With one
    worker, tasks run in the calling thread, one after the other (and requests in a fixed
    order, which recorded cassettes need).

    A context manager: leaving the block waits for every task; leaving it by an exception
    (Ctrl-C included, also while waiting) cancels the run: queued tasks never start, and tasks
    in flight stop at their next chunk (tasks move their bytes through :attr:`counter`). With
    ``fail_fast`` the first failure cancels the run the same way. The progress tracker
    (:attr:`bar`) ends when the run does.
    """

    def __init__(
        self,
        workers: int,
        progress: ProgressOption,
        operation: str,
        description: str = "",
        fail_fast: bool = False,
    ) -> None:
        self.result = TransferResult()
        self.bar = tracker(progress, operation, description=description)
        self.stop = threading.Event()
        self.counter: Tracker = _Counter(self.bar, self.stop)
        self._fail_fast = fail_fast
        self._lock = threading.Lock()
        self._inline = workers == 1
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="lakefs-folder")
        self._slots = threading.BoundedSemaphore(workers * 2)
        self._futures: set[Future[None]] = set()

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        try:
            if exc_type is None:
                self._wait()  # Ctrl-C may come while waiting here
            else:
                self.cancel()
        except BaseException:
            self.cancel()
            raise
        finally:
            self._pool.shutdown(wait=False)  # its threads end once idle
            self.bar.close()

    def _wait(self) -> None:
        """Until every task submitted has ended. On the tasks, not by joining threads: up to
        Python 3.12, a join that Ctrl-C interrupts marks the thread as ended while it still
        runs, and a second join returns at once."""
        while True:
            with self._lock:
                pending = list(self._futures)
            if not pending:
                return
            wait(pending)

    def counter_for(self, on_bytes: Callable[[int], None] | None) -> Tracker:
        """The counter of a task whose chunks ``on_bytes`` is told of too."""
        return self.counter if on_bytes is None else _Counter(self.bar, self.stop, on_bytes)

    def submit(self, rel: str, task: Callable[..., None], *args: Any) -> None:
        """Run ``task(rel, *args)`` on a worker (waits while too many are queued); nothing
        once the run is cancelled."""
        if self.stop.is_set():
            return
        if self._inline:
            self._run(rel, task, args)
            return
        self._slots.acquire()
        future = self._pool.submit(self._run, rel, task, args)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)
        self._slots.release()

    def _run(self, rel: str, task: Callable[..., None], args: tuple[Any, ...]) -> None:
        if self.stop.is_set():
            return  # cancelled while it waited
        try:
            task(rel, *args)
        except Exception as exc:  # recorded: one file's failure does not stop the others
            if self.stop.is_set():
                return  # stopped by the cancellation: not a failure of its own
            self.fail(rel, exc)

    def fail(self, rel: str, exc: BaseException) -> None:
        """Record ``rel``'s failure (with ``fail_fast``, cancel the run)."""
        shown = _shown(rel)
        log.warning("%s failed: %s", shown, exc)
        with self._lock:
            self.result.failed[shown] = exc
        self.bar.file_done(shown, "failed", exc)
        if self._fail_fast:
            self.stop.set()

    def count(self, rel: str, outcome: str, size: int = 0) -> None:
        """Record ``rel``'s outcome: sent (``size`` bytes), skipped or deleted."""
        with self._lock:
            if outcome == "sent":
                self.result.sent += 1
                self.result.bytes += size
            elif outcome == "skipped":
                self.result.skipped += 1
            elif outcome == "deleted":
                self.result.deleted += 1
        self.bar.file_done(rel, outcome)  # type: ignore[arg-type]

    def cancel(self) -> None:
        """Stop: queued tasks never start, tasks in flight stop at their next chunk; waits
        for them (a second Ctrl-C stops the wait, not the cancellation)."""
        self.stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._wait()


@dataclass(frozen=True)
class Transfer:
    """One file for :func:`run_transfers` (internal to the SDK: ``lakefs.fs`` uses it).

    Attributes:
        name: the file's name in progress events and in :attr:`TransferResult.failed`.
        run: moves the file and returns the bytes moved. It is given a tracker to advance by
            each chunk's bytes (pass it to the reader or writer as their ``counter``): that is
            where a cancelled run stops it, by raising.
        size: the bytes it should move, for the progress total (0 when unknown).
        on_bytes: told each chunk's bytes as well (an fsspec callback, say).
    """

    name: str
    run: Callable[[Tracker], int]
    size: int = 0
    on_bytes: Callable[[int], None] | None = None


def run_transfers(
    transfers: Iterable[Transfer],
    *,
    operation: str,
    max_workers: int = DEFAULT_FOLDER_WORKERS,
    progress: ProgressOption = False,
    description: str = "",
    fail_fast: bool = False,
) -> TransferResult:
    """Run ``transfers`` as folder transfers run their files (internal to the SDK).

    ``max_workers`` at a time through the client's pool (one: in the calling thread, in
    order), with progress (``progress`` as for folders; ``operation`` names the events), each
    failure recorded in the result, and cancellation: an exception here (Ctrl-C) stops the
    transfers in flight at their next chunk and starts no other; with ``fail_fast`` the first
    failure does the same (the result then holds that failure only).

    Raises:
        ValidationError: a bad ``max_workers`` or ``progress``.
    """
    workers = _workers(max_workers)
    check_option(progress)

    def move(rel: str, transfer: Transfer) -> None:
        moved = transfer.run(runner.counter_for(transfer.on_bytes))
        runner.count(rel, "sent", moved)

    with _Runner(workers, progress, operation, description, fail_fast) as runner:
        for transfer in transfers:
            runner.bar.add_total(transfer.size, 1)
            runner.submit(transfer.name, move, transfer)
    return runner.result


# -- upload ----------------------------------------------------------------------------------


def upload_folder(
    branch: Branch,
    local_dir: str | os.PathLike[str],
    prefix: str = "",
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    delete: bool = False,
    skip_unchanged: bool = True,
    max_workers: int = DEFAULT_FOLDER_WORKERS,
    pre_signed: bool | None = None,
    progress: bool | Callable[[ProgressEvent], None] | None = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> TransferResult:
    """Upload every file below ``local_dir`` to ``prefix`` on ``branch`` (see the module)."""
    root = _folder(local_dir, "local_dir")
    base = _prefix(prefix)
    keep = _Filter(include, exclude)
    delete = _flag(delete, "delete")
    skip_unchanged = _flag(skip_unchanged, "skip_unchanged")
    workers = _workers(max_workers)
    if pre_signed is not None and not isinstance(pre_signed, bool):
        raise ValidationError(f"pre_signed must be None, True or False, not {pre_signed!r}")
    check_option(progress)
    opts = _options(timeout, extra_headers)
    if not root.is_dir():
        raise ValidationError(f"local_dir {str(root)!r} is not a directory")
    use_presign = resolve_pre_signed(branch.client, pre_signed)
    part_workers = min(DEFAULT_MAX_WORKERS, workers)

    def upload(rel: str, key: str, local: _Local, stored: Any) -> None:
        if (
            stored is not None
            and skip_unchanged
            and same_content(
                local.path, local.size, stored.checksum(), stored.size_bytes(), DEFAULT_PART_SIZE
            )
        ):
            bar.add_total(-local.size)
            runner.count(rel, "skipped")
            return
        target = _make_target(
            branch,
            key,
            exclusive=False,
            pre_signed=use_presign,
            content_type=mimetypes.guess_type(local.path.name)[0],
            metadata=None,
            part_size=DEFAULT_PART_SIZE,
            max_workers=part_workers,
        )
        target = _with_options(target, opts)
        send_file(target, local.path, local.size, runner.counter)
        runner.count(rel, "sent", local.size)

    doomed: list[tuple[str, str]] = []  # (relative path, object path) to delete

    def flush_deletes() -> None:
        if doomed:
            _delete_objects(branch, doomed, opts, runner)
            doomed.clear()

    description = f"upload {root.name or root}"
    with _Runner(workers, progress, "upload_folder", description) as runner:
        bar = runner.bar
        need_listing = skip_unchanged or delete
        remote = _listing(branch, base, opts) if need_listing else iter(())
        blocked: list[str] = []  # unreadable local directories: nothing below is deleted
        for rel, local, stored in _merge(_walk(root), remote):
            if isinstance(local, Exception) and rel.endswith("/"):
                blocked.append(rel)
            if not keep(rel) and not isinstance(local, Exception):
                continue
            if isinstance(local, Exception):
                bar.add_total(files=1)
                runner.fail(rel, local)
            elif local is not None:
                key = base + rel
                try:
                    validate.object_path(key, "path")
                except ValidationError as exc:
                    bar.add_total(files=1)
                    runner.fail(rel, exc)
                    continue
                bar.add_total(local.size, 1)
                runner.submit(rel, upload, key, local, stored)
            elif delete and not any(rel.startswith(b) for b in blocked):
                bar.add_total(files=1)
                doomed.append((rel, base + rel))
                if len(doomed) >= _DELETE_BATCH:
                    flush_deletes()
        flush_deletes()
    return runner.result


def _with_options(target: Any, opts: _Options) -> Any:
    if opts.timeout is None and not opts.extra_headers:
        return target
    import dataclasses

    return dataclasses.replace(target, timeout=opts.timeout, extra_headers=opts.extra_headers)


def _delete_objects(
    branch: Branch, doomed: list[tuple[str, str]], opts: _Options, runner: _Runner
) -> None:
    """One bulk delete; each path it refuses is a failure."""
    try:
        data = branch._call(
            ObjectsApi(branch._sdk).delete_objects_with_http_info,
            repository=branch.repository_id,
            branch=branch.id,
            path_list=PathList(paths=[key for _, key in doomed]),
            timeout=opts.timeout,
            extra_headers=opts.extra_headers,
        )
    except LakeFSError as exc:
        for rel, _ in doomed:
            runner.fail(rel, exc)
        return
    refused = {str(e.get("path")): str(e.get("message")) for e in (data or {}).get("errors") or []}
    for rel, key in doomed:
        if key in refused:
            runner.fail(rel, LakeFSError(f"could not delete {key}: {refused[key]}"))
        else:
            runner.count(rel, "deleted")


# -- download --------------------------------------------------------------------------------


def _local_path(root: Path, rel: str) -> Path:
    """Where the object ``rel`` (below the prefix) lands, refusing names that would leave the
    folder or cannot be a file name."""
    parts = rel.split("/")
    if (
        not rel
        or rel.startswith("/")
        or any(p in ("", ".", "..") for p in parts)
        or "\\" in rel
        or "\0" in rel
    ):
        raise ValidationError(f"object {rel!r} cannot be a file below {str(root)!r}")
    return root.joinpath(*parts)


class _Directories:
    """The local directories a download writes into: each made and checked once per run (not
    once per file), refusing any whose path leads out of the folder (a symbolic link)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.top = root.resolve()
        self._ready: set[Path] = set()  # made and checked (a set's add is atomic)

    def ensure(self, directory: Path) -> None:
        """Make ``directory`` (and its parents) inside the folder."""
        if directory in self._ready:
            return
        self._check(directory)  # before: nothing is made through a link out of the folder
        directory.mkdir(parents=True, exist_ok=True)
        self._check(directory)  # after: nothing on the way became one meanwhile
        self._ready.add(directory)

    def _check(self, directory: Path) -> None:
        existing = directory
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.resolve().is_relative_to(self.top):
            raise ValidationError(
                f"{str(directory)!r} leads out of {str(self.root)!r} through a symbolic link"
            )

    def check_file(self, dest: Path, st: os.stat_result | None) -> None:
        """``dest`` (as ``os.lstat`` found it) is not a link out of the folder."""
        if (
            st is not None
            and stat.S_ISLNK(st.st_mode)
            and not dest.resolve().is_relative_to(self.top)
        ):
            raise ValidationError(
                f"{str(dest)!r} leads out of {str(self.root)!r} through a symbolic link"
            )


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def download_folder(
    reference: Reference,
    prefix: str,
    local_dir: str | os.PathLike[str],
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    delete: bool = False,
    skip_unchanged: bool = True,
    max_workers: int = DEFAULT_FOLDER_WORKERS,
    pre_signed: bool | None = None,
    progress: bool | Callable[[ProgressEvent], None] | None = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> TransferResult:
    """Download every object under ``prefix`` into ``local_dir`` (see the module)."""
    base = _prefix(prefix)
    root = _folder(local_dir, "local_dir")
    keep = _Filter(include, exclude)
    delete = _flag(delete, "delete")
    skip_unchanged = _flag(skip_unchanged, "skip_unchanged")
    workers = _workers(max_workers)
    if pre_signed is not None and not isinstance(pre_signed, bool):
        raise ValidationError(f"pre_signed must be None, True or False, not {pre_signed!r}")
    check_option(progress)
    opts = _options(timeout, extra_headers)
    if root.exists() and not root.is_dir():
        raise ValidationError(f"local_dir {str(root)!r} is not a directory")
    use_presign = resolve_pre_signed(reference.client, pre_signed)

    def download(rel: str, stored: Any) -> None:
        size = stored.size_bytes()
        dest = _local_path(root, rel)
        directories.ensure(dest.parent)
        st = _lstat(dest)  # one look at what is there now
        directories.check_file(dest, st)
        unchanged = (
            skip_unchanged
            and st is not None
            and stat.S_ISREG(st.st_mode)
            and same_content(dest, st.st_size, stored.checksum(), size, DEFAULT_PART_SIZE)
        )
        if unchanged:
            bar.add_total(-size)
            runner.count(rel, "skipped")
            return
        emptied = _clear_the_way(dest, rel, st)
        try:
            got = fetch_to_file(
                reference,
                stored.path,
                dest,
                pre_signed=use_presign,
                counter=runner.counter,
                timeout=opts.timeout,
                extra_headers=opts.extra_headers,
                expected_size=size,
            )
        except BaseException:
            if emptied:  # put the empty directory back: a failure changes nothing
                with contextlib.suppress(OSError):
                    dest.mkdir()
            raise
        runner.count(rel, "sent", got)

    def remove(rel: str, path: Path) -> None:
        path.unlink()
        runner.count(rel, "deleted")

    with _Runner(workers, progress, "download_folder", f"download {base or '/'}") as runner:
        bar = runner.bar
        root.mkdir(parents=True, exist_ok=True)
        directories = _Directories(root)
        local = _walk(root) if delete else iter(())
        for rel, here, stored in _merge(local, _listing(reference, base, opts)):
            if not keep(rel):
                continue
            if stored is not None:
                if rel.endswith("/") and stored.size_bytes() == 0:
                    continue  # a "directory marker" object
                bar.add_total(stored.size_bytes(), 1)
                runner.submit(rel, download, stored)
            elif isinstance(here, _Local):
                bar.add_total(files=1)
                runner.submit(rel, remove, here.path)
    return runner.result


def _clear_the_way(dest: Path, rel: str, st: os.stat_result | None) -> bool:
    """Make room for the file ``dest`` (``st``: its ``os.lstat``): an empty directory there is
    removed (as an old file would be replaced; returns True), a directory holding anything is
    an error naming the conflict (its files are never removed to make room)."""
    if st is None or not stat.S_ISDIR(st.st_mode):
        return False
    try:
        dest.rmdir()
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise IsADirectoryError(
                errno.EISDIR,
                f"object {_shown(rel)!r} cannot be downloaded: a directory that is not empty "
                "is in its place",
                str(dest),
            ) from None
        raise
    return True
