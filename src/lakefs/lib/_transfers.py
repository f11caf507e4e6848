"""The executor of folder transfers (and of ``lakefs://``'s ``put``/``get``): files in
parallel, in bounded memory, each failure recorded, and cancellation.

Two ways in, one engine (:class:`_Runner`):

* :func:`transfer_run`, a context manager whose :meth:`TransferRun.submit` starts each
  :class:`Transfer` as its producer makes it (waiting while ``2 * max_workers`` are queued):
  a producer that cannot hand over an iterator (fsspec's ``put``/``get`` expansion calls back
  once per file) streams through it;
* :func:`run_transfers`, which takes any iterable of transfers and consumes it lazily, one
  transfer per free slot.

Either way memory holds the transfers in flight and queued, never the whole list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from lakefs._exceptions import LakeFSError, ValidationError
from lakefs._logs import get_logger
from lakefs.lib.progress import ProgressOption, Tracker, check_option, tracker

__all__ = [
    "DEFAULT_FOLDER_WORKERS",
    "Transfer",
    "TransferError",
    "TransferResult",
    "TransferRun",
    "run_transfers",
    "transfer_run",
]

log = get_logger("folders")

DEFAULT_FOLDER_WORKERS = 8
"""Files a folder transfer (and ``lakefs://``'s recursive put and get) moves at once."""


def shown(key: str) -> str:
    """A key fit to print (a name that is not UTF-8 shows replacement characters)."""
    return key.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


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
            listed = "; ".join(f"{p}: {e}" for p, e in list(self.failed.items())[:5])
            more = f" (and {len(self.failed) - 5} more)" if len(self.failed) > 5 else ""
            raise TransferError(
                f"{len(self.failed)} file(s) failed: {listed}{more}", failed=self.failed
            )
        return self


def check_workers(value: object) -> int:
    """A checked ``max_workers``.

    Raises:
        ValidationError: not a positive int.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"max_workers must be a positive int, not {value!r}")
    return value


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
        self._idle = threading.Condition(self._lock)  # notified when no task is running
        self._running = 0  # tasks started on a worker and not ended
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
        with self._lock:
            self._running += 1
        try:
            if self.stop.is_set():
                return  # cancelled while it waited
            task(rel, *args)
        except Exception as exc:  # recorded: one file's failure does not stop the others
            if self.stop.is_set():
                return  # stopped by the cancellation: not a failure of its own
            self.fail(rel, exc)
        finally:
            with self._idle:
                self._running -= 1
                if not self._running:
                    self._idle.notify_all()

    def fail(self, rel: str, exc: BaseException) -> None:
        """Record ``rel``'s failure (with ``fail_fast``, cancel the run)."""
        name = shown(rel)
        log.warning("%s failed: %s", name, exc)
        with self._lock:
            self.result.failed[name] = exc
        self.bar.file_done(name, "failed", exc)
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
        # And every task that started, even one whose future Ctrl-C kept from being recorded
        # (between the pool's submit and the bookkeeping after it): a task that starts after
        # this sees the stop at once and touches nothing.
        with self._idle:
            while self._running:
                self._idle.wait()


@dataclass(frozen=True)
class Transfer:
    """One file for :func:`transfer_run` / :func:`run_transfers` (internal to the SDK:
    ``lakefs.fs`` uses it).

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


class TransferRun:
    """Transfers running (from :func:`transfer_run`): hand each over with :meth:`submit`."""

    def __init__(self, runner: _Runner) -> None:
        self._runner = runner

    def _move(self, rel: str, transfer: Transfer) -> None:
        moved = transfer.run(self._runner.counter_for(transfer.on_bytes))
        self._runner.count(rel, "sent", moved)

    def submit(self, transfer: Transfer) -> bool:
        """Start ``transfer``: at once on a free worker, else once one is free (this waits
        while ``2 * max_workers`` transfers are queued: memory stays bounded); with one
        worker, it runs here, now.

        Returns:
            False, and nothing starts, once the run is stopped (``fail_fast``'s first
            failure): the producer may stop making transfers.
        """
        runner = self._runner
        if runner.stop.is_set():
            return False
        runner.bar.add_total(transfer.size, 1)
        runner.submit(transfer.name, self._move, transfer)
        return not runner.stop.is_set()

    @property
    def stopped(self) -> bool:
        """Whether the run was stopped (nothing more starts)."""
        return self._runner.stop.is_set()

    @property
    def result(self) -> TransferResult:
        """What the run did so far (final once the ``with`` block is left)."""
        return self._runner.result


@contextmanager
def transfer_run(
    *,
    operation: str,
    max_workers: int = DEFAULT_FOLDER_WORKERS,
    progress: ProgressOption = False,
    description: str = "",
    fail_fast: bool = False,
) -> Iterator[TransferRun]:
    """Run transfers as folder transfers run their files, submitted one by one while the run is
    open (internal to the SDK: ``lakefs.fs`` streams ``put``/``get`` through it).

    ``max_workers`` at a time through the client's pool (one: in the calling thread, in
    order), with progress (``progress`` as for folders; ``operation`` names the events), each
    failure recorded in the result, and cancellation: an exception in the ``with`` block
    (Ctrl-C) stops the transfers in flight at their next chunk and starts no other; with
    ``fail_fast`` the first failure does the same (the result then holds that failure only).
    Leaving the block normally waits for every transfer submitted.

    Example:
        >>> with transfer_run(operation="get", fail_fast=True) as run:  # doctest: +SKIP
        ...     for item in produce():
        ...         if not run.submit(Transfer(item.name, item.run)):
        ...             break
        >>> run.result  # doctest: +SKIP

    Raises:
        ValidationError: a bad ``max_workers`` or ``progress``.
    """
    workers = check_workers(max_workers)
    check_option(progress)
    with _Runner(workers, progress, operation, description, fail_fast) as runner:
        yield TransferRun(runner)


def run_transfers(
    transfers: Iterable[Transfer],
    *,
    operation: str,
    max_workers: int = DEFAULT_FOLDER_WORKERS,
    progress: ProgressOption = False,
    description: str = "",
    fail_fast: bool = False,
) -> TransferResult:
    """Run ``transfers`` as :func:`transfer_run` does, taking each from the iterable only when
    it can be queued (a generator is consumed lazily, and no further once the run stopped).

    Raises:
        ValidationError: a bad ``max_workers`` or ``progress``.
    """
    with transfer_run(
        operation=operation,
        max_workers=max_workers,
        progress=progress,
        description=description,
        fail_fast=fail_fast,
    ) as run:
        for transfer in transfers:
            if not run.submit(transfer):
                break
    return run.result
