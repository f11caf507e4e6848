"""The paginator, driven by a fake page source (no network)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest

from lakefs import LakeFSError, Page, Paginator, ValidationError
from lakefs import _pagination as pagination


class Source:
    """Serves ``total`` numbered items in pages, recording every (after, amount) asked."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.calls: list[tuple[str, int]] = []

    def __call__(self, after: str, amount: int) -> Page[int]:
        self.calls.append((after, amount))
        start = int(after) if after else 0
        items = list(range(start, min(start + amount, self.total)))
        end = start + len(items)
        return Page(items, end < self.total, str(end) if end < self.total else "")


@pytest.mark.parametrize(
    ("max_amount", "asked"),
    [(2500, [1000, 1000, 500]), (5, [5]), (1000, [1000]), (None, [1000, 1000, 1000, 1000])],
)
def test_each_page_asks_for_what_remains(max_amount: int | None, asked: list[int]) -> None:
    source = Source(3500)
    items = Paginator(source, max_amount=max_amount).to_list()
    assert [amount for _, amount in source.calls] == asked
    assert items == list(range(min(max_amount or 3500, 3500)))


def test_zero_sends_nothing_and_iteration_is_lazy_and_repeatable() -> None:
    source = Source(10)
    assert list(Paginator(source, max_amount=0)) == []
    lazy = Paginator(source, after="3", page_size=4)
    assert source.calls == []
    assert "after='3'" in repr(lazy)
    assert list(lazy) == [3, 4, 5, 6, 7, 8, 9]
    assert list(lazy) == [3, 4, 5, 6, 7, 8, 9]
    assert [p.items for p in lazy.pages()] == [[3, 4, 5, 6], [7, 8, 9]]
    assert source.calls[:2] == [("3", 4), ("7", 4)]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_amount": -1},
        {"max_amount": True},
        {"max_amount": 1.5},
        {"page_size": 0},
        {"page_size": 1001},
        {"after": 3},
    ],
)
def test_bad_arguments_fail_before_any_request(kwargs: dict[str, object]) -> None:
    source = Source(10)
    with pytest.raises(ValidationError):
        Paginator(source, **kwargs)  # type: ignore[arg-type]
    assert source.calls == []


def test_a_server_that_never_advances_is_an_error_not_a_loop() -> None:
    def stuck(after: str, amount: int) -> Page[int]:
        return Page([1], True, after)

    with pytest.raises(LakeFSError, match="no new cursor"):
        list(Paginator(stuck))


# -- iterating: the pages after the first fetched ahead -----------------------------------------


class Threaded(Source):
    """A :class:`Source` that records which thread asked for each page; ``held`` (when set)
    makes every page after the first wait until it is released."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.threads: list[str] = []
        self.held: threading.Event | None = None

    def __call__(self, after: str, amount: int) -> Page[int]:
        self.threads.append(threading.current_thread().name)
        if after and self.held is not None:
            assert self.held.wait(60)
        return super().__call__(after, amount)


def _page_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "lakefs-pages"]


def test_a_listing_of_one_page_is_fetched_by_the_caller_and_starts_no_thread() -> None:
    source = Threaded(1000)
    assert Paginator(source).to_list() == list(range(1000))
    assert source.threads == [threading.current_thread().name]


def test_a_listing_cut_to_its_first_page_by_max_amount_starts_no_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[object] = []

    class Counted(pagination._Ahead[int]):
        def __init__(self, *args: Any) -> None:
            started.append(self)
            super().__init__(*args)

    monkeypatch.setattr(pagination, "_Ahead", Counted)
    source = Threaded(5000)
    assert Paginator(source, max_amount=10).to_list() == list(range(10))
    assert Paginator(source, max_amount=1000).to_list() == list(range(1000))
    assert source.calls == [("", 10), ("", 1000)]
    assert started == []
    assert Paginator(source, max_amount=1001).to_list() == list(range(1001))  # two pages: one
    assert len(started) == 1


def test_iterating_fetches_the_next_page_while_the_caller_reads_the_first() -> None:
    source = Threaded(2500)
    items = iter(Paginator(source))
    assert next(items) == 0
    deadline = time.monotonic() + 60
    while len(source.calls) < 3 and time.monotonic() < deadline:  # the caller asks for nothing
        time.sleep(0.01)
    assert [after for after, _ in source.calls] == ["", "1000", "2000"]
    assert source.threads[1:] == ["lakefs-pages", "lakefs-pages"]
    assert list(items) == list(range(1, 2500))
    assert len(source.calls) == 3
    assert not _page_threads()


def test_a_caller_that_stops_early_stops_the_fetching() -> None:
    source = Threaded(10_000)
    source.held = threading.Event()
    items = iter(Paginator(source))
    assert next(items) == 0
    releaser = threading.Timer(0.2, source.held.set)
    releaser.start()
    items.close()  # while the second page is under way: it ends, and is dropped
    releaser.join()
    assert not _page_threads()
    assert len(source.calls) <= 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
@pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")
def test_a_process_forked_mid_listing_fetches_the_rest_itself() -> None:
    source = Threaded(3500)
    source.held = threading.Event()  # the thread's request is under way at the fork
    items = iter(Paginator(source, max_amount=3200))
    first = [next(items) for _ in range(1000)]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the rest of the listing, from where the parent stood
        try:
            source.held.set()
            rest = list(items)
            ok = first + rest == list(range(3200)) and source.calls[-1] == ("3000", 200)
            os.write(write, b"ok" if ok else repr(rest[:3]).encode())
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 100)
    os.waitpid(pid, 0)
    assert answer == b"ok"
    source.held.set()
    assert first + list(items) == list(range(3200))
    assert not _page_threads()
