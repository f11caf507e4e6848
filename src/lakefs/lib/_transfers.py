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

Cancellation is a :class:`CancelToken` the runner owns and sets (Ctrl-C or any exception
leaving the run, ``fail_fast``'s first failure, :meth:`TransferRun.cancel`); transfers check it
at their natural points (before starting, between the chunks they hash, read or write). The
progress tracker only counts: readers and writers take one per-chunk hook (:class:`_Chunks`),
which checks the token, then counts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from lakefs._exceptions import PartialFailureError, ValidationError
from lakefs._logs import get_logger
from lakefs.lib.progress import ProgressOption, Tracker, check_option, tracker

__all__ = [
    "DEFAULT_FOLDER_WORKERS",
    "CancelToken",
    "Cancelled",
    "Pool",
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


class TransferError(PartialFailureError):
    """Some files of a folder transfer failed (:meth:`TransferResult.raise_for_failures`);
    ``failed`` maps each one's path (relative to the folder) to its error."""

    def _headline(self, count: int) -> str:
        return f"{count} file(s) failed"


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
        """Raise :class:`TransferError` if a file failed; else return the result.

        Returns:
            This result (no file failed).

        Raises:
            TransferError: a file failed; it names the first five, its ``failed`` holds them all.
        """
        if self.failed:
            raise TransferError(failed=self.failed)
        return self


def check_workers(value: object) -> int:
    """A checked ``max_workers``.

    Raises:
        ValidationError: not a positive int.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"max_workers must be a positive int, not {value!r}")
    return value


class Cancelled(Exception):  # noqa: N818 - a signal inside a run, not an error users see
    """Raised by :meth:`CancelToken.check` once the run is cancelled: what stops a transfer at
    its next natural point (a chunk, a part, a file not yet started)."""


class CancelToken:
    """Whether a run is cancelled: set once, by its runner (Ctrl-C or any exception leaving
    the run, ``fail_fast``'s first failure), and never cleared.

    Each transfer of the run checks it at its natural stopping points: before it starts,
    between the chunks it hashes, reads or writes (through :class:`_Chunks`, the hook readers
    and writers are given), before it sends anything. A transfer stopped this way raises
    :class:`Cancelled`, which the runner does not record as a failure.
    """

    def __init__(self) -> None:
        self._set = threading.Event()

    def cancel(self) -> None:
        """Cancel the run (again: nothing more happens)."""
        self._set.set()

    @property
    def cancelled(self) -> bool:
        """Whether the run was cancelled."""
        return self._set.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the run was cancelled."""
        if self._set.is_set():
            raise Cancelled("the transfer was cancelled")

    def wait(self, timeout: float | None = None) -> bool:
        """Until the run is cancelled (or ``timeout`` seconds passed); whether it is."""
        return self._set.wait(timeout)


class _Chunks(Tracker):
    """The per-chunk hook a transfer hands its reader or writer (as their ``counter``).

    Readers and writers call one hook after each chunk they moved, and two things happen
    there, each owned elsewhere: the run's :class:`CancelToken` is checked (the chunk is the
    transfer's natural stopping point: a download's temporary file is then removed, an upload
    is never published), then the bytes are counted on the run's progress tracker, which only
    counts (and told to ``on_bytes``, an fsspec callback say).
    """

    def __init__(
        self, token: CancelToken, bar: Tracker, on_bytes: Callable[[int], None] | None = None
    ) -> None:
        super().__init__(bar.operation)
        self._token = token
        self._bar = bar
        self._on_bytes = on_bytes

    @property
    def active(self) -> bool:
        """Always: every chunk is a point where a cancellation is seen."""
        return True

    def advance(self, units: int) -> None:
        """``units`` more bytes were moved (raises :class:`Cancelled` once cancelled)."""
        self._token.check()
        if units <= 0:
            return
        if self._bar.active:
            self._bar.advance(units)
        if self._on_bytes is not None:
            self._on_bytes(units)


Pool = Callable[[int], Executor]
"""What makes a run's worker pool, given the number of workers (a seam: the default is a
:class:`~concurrent.futures.ThreadPoolExecutor`; the run shuts down what it made)."""


def _threads(workers: int) -> Executor:
    return ThreadPoolExecutor(workers, thread_name_prefix="lakefs-folder")


class _Runner:
    """Runs one task per file on ``workers`` threads, with at most twice that many queued
    (bounded memory: a full queue wakes its producer once half of it ran, not after each task,
    so the producer and the workers take the GIL from each other far less often), and keeps
    the result; a failing task is recorded, not raised. With one worker, tasks run in the
    calling thread, one after the other (and requests in a fixed order, which recorded
    cassettes need).

    The run's three parts are apart: the workers (``pool`` makes them), the cancel token
    (:attr:`token`: the runner sets it, tasks check it) and the progress tracker (:attr:`bar`:
    it only counts, and ends when the run does).

    A context manager: leaving the block waits for every task; leaving it by an exception
    (Ctrl-C included, also while waiting) cancels the run: queued tasks never start, and tasks
    in flight stop at their next check of the token (a chunk: tasks hand their readers and
    writers :meth:`chunks`). With ``fail_fast`` the first failure cancels the run the same way.
    """

    def __init__(
        self,
        workers: int,
        progress: ProgressOption,
        operation: str,
        description: str = "",
        fail_fast: bool = False,
        pool: Pool = _threads,
    ) -> None:
        self.result = TransferResult()
        self.bar = tracker(progress, operation, description=description)
        self.token = CancelToken()
        self._fail_fast = fail_fast
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified when no task is running
        self._running = 0  # tasks started (on a worker or inline) and not ended
        self._inline = workers == 1
        self._pool = pool(workers)
        self._room = threading.Condition(self._lock)  # notified when the queue is low again
        self._queued = 0  # tasks submitted to the pool and not done
        self._most, self._refill = workers * 2, workers
        self._futures: set[Future[None]] = set()
        self._hook = _Chunks(self.token, self.bar)  # what tasks without an on_bytes share

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

    def chunks(self, on_bytes: Callable[[int], None] | None = None) -> Tracker:
        """The per-chunk hook for a task's reader or writer (see :class:`_Chunks`)."""
        return self._hook if on_bytes is None else _Chunks(self.token, self.bar, on_bytes)

    def submit(self, rel: str, task: Callable[..., None], *args: Any) -> None:
        """Run ``task(rel, *args)`` on a worker (waits while too many are queued); nothing
        once the run is cancelled."""
        if self.token.cancelled:
            return
        if self._inline:
            self.run_here(rel, task, *args)
            return
        with self._room:  # a full queue is refilled once half of it ran, not task by task
            while self._queued >= self._most:
                self._room.wait()
            self._queued += 1
        future = self._pool.submit(self.run_here, rel, task, *args)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)
            self._queued -= 1
            if self._queued <= self._refill:
                self._room.notify_all()  # one producer, as a rule

    def run_here(self, rel: str, task: Callable[..., None], *args: Any) -> None:
        """Run ``task(rel, *args)`` in this thread now, as a worker would: its failure is
        recorded, nothing runs once the run is cancelled."""
        with self._lock:
            self._running += 1
        try:
            if self.token.cancelled:
                return  # cancelled while it waited
            task(rel, *args)
        except Exception as exc:  # recorded: one file's failure does not stop the others
            if isinstance(exc, Cancelled) or self.token.cancelled:
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
            self.token.cancel()

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
        """Stop: queued tasks never start, tasks in flight stop at their next check of the
        token; waits for them (a second Ctrl-C stops the wait, not the cancellation)."""
        self.token.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._wait()
        # And every task that started, even one whose future Ctrl-C kept from being recorded
        # (between the pool's submit and the bookkeeping after it): a task that starts after
        # this sees the token at once and touches nothing.
        with self._idle:
            while self._running:
                self._idle.wait()


@dataclass(frozen=True)
class Transfer:
    """One file for :func:`transfer_run` / :func:`run_transfers` (internal to the SDK:
    ``lakefs.fs`` uses it).

    Attributes:
        name: the file's name in progress events and in :attr:`TransferResult.failed`.
        run: moves the file and returns the bytes moved. It is given the run's per-chunk
            hook (pass it to the reader or writer as their ``counter``): each chunk counts
            there, and a cancelled run stops the transfer there, by raising.
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
        moved = transfer.run(self._runner.chunks(transfer.on_bytes))
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
        if runner.token.cancelled:
            return False
        runner.bar.add_total(transfer.size, 1)
        runner.submit(transfer.name, self._move, transfer)
        return not runner.token.cancelled

    @property
    def stopped(self) -> bool:
        """Whether the run was stopped (nothing more starts)."""
        return self._runner.token.cancelled

    def cancel(self) -> None:
        """Cancel the run from anywhere (another thread, say): nothing more starts, and the
        transfers in flight stop at their next chunk; leaving the ``with`` block waits for
        them."""
        self._runner.token.cancel()

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
    pool: Pool = _threads,
) -> Iterator[TransferRun]:
    """Run transfers as folder transfers run their files, submitted one by one while the run is
    open (internal to the SDK: ``lakefs.fs`` streams ``put``/``get`` through it).

    ``max_workers`` at a time through the client's pool (one: in the calling thread, in
    order), with progress (``progress`` as for folders; ``operation`` names the events), each
    failure recorded in the result, and cancellation: an exception in the ``with`` block
    (Ctrl-C) stops the transfers in flight at their next chunk and starts no other; with
    ``fail_fast`` the first failure does the same (the result then holds that failure only).
    Leaving the block normally waits for every transfer submitted. ``pool`` makes the
    workers (see :data:`Pool`).

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
    with _Runner(workers, progress, operation, description, fail_fast, pool) as runner:
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
