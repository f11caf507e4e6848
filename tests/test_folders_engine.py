"""The transfer engine that folder transfers and ``lakefs://``'s ``put``/``get`` share:
streaming (issue 18's item 13: transfers handed over as they are made, in bounded memory),
fail-fast, and Ctrl-C."""

from __future__ import annotations

import hashlib
import pathlib
import threading
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from lakefs import ValidationError
from lakefs.lib._checksums import digests, same_content
from lakefs.lib._transfers import Cancelled, CancelToken, _Runner
from lakefs.lib.folders import Transfer, run_transfers, transfer_run
from lakefs.lib.progress import Tracker
from tests.test_folders_safety import Store


class _Flight:
    """Counts the transfers made and not yet ended (the engine's memory holds those)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.alive = 0
        self.most = 0
        self.made = 0
        self.ran = 0

    def make(self, name: str) -> Transfer:
        with self.lock:
            self.made += 1
            self.alive += 1
            self.most = max(self.most, self.alive)

        def run(counter: Tracker) -> int:
            counter.advance(1)
            with self.lock:
                self.alive -= 1
                self.ran += 1
            return 1

        return Transfer(name, run, 1)


@pytest.mark.parametrize("workers", [1, 4])
def test_transfers_submitted_as_they_are_made_stay_in_bounded_memory(workers: int) -> None:
    flight = _Flight()
    tracemalloc.start()
    try:
        with transfer_run(operation="get", max_workers=workers) as run:
            for i in range(50_000):
                assert run.submit(flight.make(f"f{i}"))
                assert flight.alive <= 3 * workers + 1  # queued (2 per worker) and running
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert run.result.sent == run.result.bytes == flight.ran == 50_000
    assert flight.most <= 3 * workers + 1
    assert peak < 8 << 20, f"{peak >> 20} MiB for 50,000 transfers"  # a list would hold them


def test_run_transfers_consumes_an_iterator_lazily_and_stops_with_the_run() -> None:
    flight = _Flight()

    def produce() -> Iterator[Transfer]:
        for i in range(1_000):
            if i == 3:

                def broken(counter: Tracker) -> int:
                    raise OSError("disk full")

                yield Transfer("broken", broken)
            else:
                yield flight.make(f"f{i}")

    result = run_transfers(produce(), operation="put", max_workers=1, fail_fast=True)
    assert list(result.failed) == ["broken"]
    assert flight.made == 3  # nothing more was made once the run stopped


def test_submit_says_when_the_run_stopped() -> None:
    def broken(counter: Tracker) -> int:
        raise OSError("no")

    with transfer_run(operation="put", max_workers=1, fail_fast=True) as run:
        assert run.submit(Transfer("a", lambda c: 0))
        assert not run.submit(Transfer("b", broken))
        assert run.stopped
        assert not run.submit(Transfer("c", lambda c: 0))
    assert (run.result.sent, list(run.result.failed)) == (1, ["b"])
    with pytest.raises(ValidationError), transfer_run(operation="put", max_workers=0):
        pass


def test_ctrl_c_right_after_a_submit_still_waits_for_that_transfer() -> None:
    started, ended = threading.Event(), threading.Event()

    def run(counter: Tracker) -> int:
        started.set()
        try:
            while True:  # stops at a chunk once the run is cancelled
                counter.advance(1)
                time.sleep(0.01)
        finally:
            time.sleep(0.2)  # cleaning up (a temporary file, say)
            ended.set()

    class Pool(ThreadPoolExecutor):
        """Ctrl-C comes once the pool took the task, before the run recorded it."""

        def submit(self, *args: Any, **kwargs: Any) -> Future[Any]:
            super().submit(*args, **kwargs)
            assert started.wait(10)
            raise KeyboardInterrupt

    with (
        pytest.raises(KeyboardInterrupt),
        transfer_run(operation="get", max_workers=2, pool=Pool) as t,
    ):
        t.submit(Transfer("x", run))
    assert ended.is_set()  # the cancellation waited for it to clean up


def test_a_full_queue_wakes_its_producer_once_half_of_it_ran() -> None:
    """With 2 workers, 4 tasks wait at most; the producer of a 5th waits until 2 of them ended,
    not 1 (being woken after every task took the GIL from the workers once per file)."""
    futures: list[Future[Any]] = []

    class Pool(ThreadPoolExecutor):
        """Takes each task and runs none: the test ends them."""

        def submit(self, *args: Any, **kwargs: Any) -> Future[Any]:
            futures.append(Future())
            return futures[-1]

    def until(condition: Any) -> bool:
        deadline = time.monotonic() + 10
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.01)
        return bool(condition())

    def end_all() -> None:  # whatever happened, the run ends
        while not producer_done.is_set() or any(not f.done() for f in futures):
            for future in list(futures):
                if not future.done():
                    future.set_result(None)
            time.sleep(0.01)

    producer_done = threading.Event()

    def produce(t: Any) -> None:
        try:
            for i in range(8):
                t.submit(Transfer(f"f{i}", lambda c: 0))
        finally:
            producer_done.set()

    with transfer_run(operation="put", max_workers=2, pool=Pool) as t:
        producer = threading.Thread(target=produce, args=(t,), daemon=True)
        producer.start()
        try:
            assert until(lambda: len(futures) == 4)
            futures[0].set_result(None)
            producer.join(0.3)
            assert len(futures) == 4  # one ended: the queue is not half empty yet
            futures[1].set_result(None)
            assert until(lambda: len(futures) == 6)  # refilled to 4 at once
            for i in range(2, 6):
                futures[i].set_result(None)
            assert until(lambda: len(futures) == 8)
        finally:
            end_all()
    producer.join(10)
    assert not producer.is_alive()


# -- the cancel token: owned by the runner, checked by the transfers, apart from progress -------


def test_the_cancel_token_is_set_once_and_checked() -> None:
    token = CancelToken()
    assert not token.cancelled
    assert not token.wait(0)
    token.check()  # nothing yet
    token.cancel()
    token.cancel()
    assert token.cancelled
    assert token.wait(0)
    with pytest.raises(Cancelled):
        token.check()


def test_hashing_stops_at_its_next_chunk_once_cancelled(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * (3 << 20))
    token = CancelToken()
    md5 = hashlib.md5(path.read_bytes()).hexdigest()
    with path.open("rb") as file:
        assert same_content(file, 3 << 20, md5, 3 << 20, cancel=token)
        assert digests(file, token)[0] == md5
        token.cancel()
        for compare in (
            lambda: same_content(file, 3 << 20, md5, 3 << 20, cancel=token),
            lambda: same_content(file, 3 << 20, "0" * 32 + "-3", 3 << 20, cancel=token),
            lambda: digests(file, token),
        ):
            file.seek(0)
            with pytest.raises(Cancelled):
                compare()
            assert file.tell() == 0  # not a byte read


def test_a_run_cancelled_from_another_thread_stops_its_transfers_at_a_chunk() -> None:
    chunks: list[int] = []
    started = threading.Event()

    def run(counter: Tracker) -> int:
        started.set()
        while True:  # a transfer that would never end
            counter.advance(1)
            chunks.append(1)
            time.sleep(0.005)

    with transfer_run(operation="get", max_workers=2) as run_:
        run_.submit(Transfer("endless", run))
        assert started.wait(10)
        run_.cancel()
        assert not run_.submit(Transfer("late", lambda c: 0))
    assert run_.stopped
    assert (run_.result.sent, run_.result.failed) == (0, {})  # stopped, not failed
    seen = len(chunks)
    time.sleep(0.05)
    assert len(chunks) == seen


def test_without_a_progress_bar_a_transfer_still_stops_at_its_next_chunk() -> None:
    """The chunk hook checks the token whatever progress does (progress=False: no bar)."""
    after: list[int] = []

    def run(counter: Tracker) -> int:
        counter.advance(1)
        after.append(1)
        return 1

    with transfer_run(operation="get", max_workers=1, progress=False) as run_:
        run_.submit(Transfer("a", run))
        run_.cancel()
        run_.submit(Transfer("b", run))  # never starts
    assert (after, run_.result.sent) == ([1], 1)
    runner = _Runner(1, False, "get")
    runner.token.cancel()
    with pytest.raises(Cancelled):
        runner.chunks().advance(0)


# -- the executor's order (rule 6 of lakefs.lib._folder_plan) ----------------------------------


def test_a_local_delete_is_done_before_a_download_below_its_name(tmp_path: pathlib.Path) -> None:
    for attempt in range(20):  # with the delete on a worker, the download raced it
        store = Store({"p/a/b": b"below", "p/c": b"other"})
        out = tmp_path / str(attempt)
        out.mkdir()
        (out / "a").write_bytes(b"a file where a directory must go")
        result = store.branch.download_folder(
            "p/", out, delete=True, max_workers=4, pre_signed=False
        )
        assert (result.sent, result.deleted, result.failed) == (2, 1, {})
        assert (out / "a" / "b").read_bytes() == b"below"
