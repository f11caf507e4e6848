"""The paginator, driven by a fake page source (no network)."""

from __future__ import annotations

import pytest

from lakefs import LakeFSError, Page, Paginator, ValidationError


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
