"""The transfer engine that folder transfers and ``lakefs://``'s ``put``/``get`` share:
streaming (issue 18's item 13: transfers handed over as they are made, in bounded memory),
fail-fast, and Ctrl-C."""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from lakefs import ValidationError
from lakefs.lib import _transfers
from lakefs.lib.folders import Transfer, run_transfers, transfer_run
from lakefs.lib.progress import Tracker


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


def test_ctrl_c_right_after_a_submit_still_waits_for_that_transfer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
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

    monkeypatch.setattr(_transfers, "ThreadPoolExecutor", Pool)
    with pytest.raises(KeyboardInterrupt):
        run_transfers([Transfer("x", run)], operation="get", max_workers=2)
    assert ended.is_set()  # the cancellation waited for it to clean up
