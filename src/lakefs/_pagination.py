"""One paginator for every lakeFS listing.

lakeFS paginates with ``after`` (an exclusive cursor) and ``amount`` (at most 1,000 a page), and
answers ``pagination: {has_more, next_offset}``; ``next_offset`` goes back as the next ``after``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, SupportsIndex, TypeVar

from lakefs._exceptions import LakeFSError, ValidationError

__all__ = ["MAX_PAGE_SIZE", "Page", "Paginator", "check_max_amount"]

T = TypeVar("T")
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing.

    Attributes:
        items: the page's items.
        has_more: whether more pages follow.
        next_offset: the cursor of the next page (``after``).
    """

    items: Sequence[T]
    has_more: bool
    next_offset: str


def check_max_amount(max_amount: int | None) -> None:
    """Raise :class:`ValidationError` unless ``max_amount`` is None or a non-negative int."""
    if max_amount is None:
        return
    if isinstance(max_amount, bool) or not isinstance(max_amount, int):
        raise ValidationError(f"max_amount must be an int or None, not {max_amount!r}")
    if max_amount < 0:
        raise ValidationError(f"max_amount must be >= 0, not {max_amount}")


class Paginator(Generic[T]):
    """A lazy, re-iterable listing: no request is sent until it is iterated.

    Args:
        fetch_page: ``fetch_page(after, amount)`` returns one :class:`Page`.
        max_amount: the most items to yield; None for all, 0 for none (no request at all).
        after: start after this cursor.
        page_size: the most items asked for per request (1 to 1,000); each request asks for
            ``min(remaining, page_size)``.

    Raises:
        ValidationError: a negative or non-int ``max_amount``, or a bad ``page_size``.

    Example:
        >>> for branch in repo.list_branches(max_amount=10):  # doctest: +SKIP
        ...     print(branch.id)
    """

    def __init__(
        self,
        fetch_page: Callable[[str, int], Page[T]],
        *,
        max_amount: int | None = None,
        after: str = "",
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        check_max_amount(max_amount)
        if isinstance(page_size, bool) or not isinstance(page_size, int):
            raise ValidationError(f"page_size must be an int, not {page_size!r}")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValidationError(f"page_size must be 1 to {MAX_PAGE_SIZE}, not {page_size}")
        if not isinstance(after, str):
            raise ValidationError(f"after must be a str, not {after!r}")
        self._fetch_page = fetch_page
        self.max_amount = max_amount
        self.after = after
        self.page_size = page_size

    def pages(self, ahead: int = 0) -> Iterator[Page[T]]:
        """Yield the pages (the last one trimmed to ``max_amount``).

        Args:
            ahead: fetch up to this many pages ahead of the one being read, on a thread of
                its own, while the caller works on the current one (0: each page when it is
                asked for). Pages and errors come out in order; a caller that stops reading
                stops the thread (a request under way still ends, and is dropped).
        """
        if ahead > 0:
            return _prefetched(self._pages(), ahead)
        return self._pages()

    def _pages(self) -> Iterator[Page[T]]:
        remaining = self.max_amount
        cursor = self.after
        while remaining is None or remaining > 0:
            amount = self.page_size if remaining is None else min(remaining, self.page_size)
            page = self._fetch_page(cursor, amount)
            items = page.items if remaining is None else page.items[:remaining]
            if remaining is not None:
                remaining -= len(items)
            yield Page(items, page.has_more, page.next_offset)
            if not page.has_more:
                return
            if not page.next_offset or page.next_offset == cursor:
                raise LakeFSError(
                    f"the server said more results follow {cursor!r} but gave no new cursor"
                )
            cursor = page.next_offset

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def to_list(self) -> list[T]:
        """All the items, in a list."""
        return list(self)

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        raise TypeError(
            "a Paginator does not pickle (its pages come from a request bound to this process): "
            "pickle the resource it came from and list again there, or pickle .to_list()"
        )

    def __repr__(self) -> str:
        return f"Paginator(max_amount={self.max_amount!r}, after={self.after!r})"


def _prefetched(pages: Iterator[Page[T]], ahead: int) -> Iterator[Page[T]]:
    """``pages``, fetched by a thread at most ``ahead`` pages before the caller."""
    ready: deque[tuple[Page[T] | None, BaseException | None]] = deque()
    room = threading.Semaphore(ahead)  # pages the thread may fetch before the caller takes one
    arrived = threading.Semaphore(0)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while True:
                room.acquire()
                if stop.is_set():
                    return
                page = next(pages, None)
                ready.append((page, None))
                arrived.release()
                if page is None:
                    return
        except BaseException as exc:  # the caller's to raise, in order
            ready.append((None, exc))
            arrived.release()

    thread = threading.Thread(target=fetch, name="lakefs-pages", daemon=True)

    def read() -> Iterator[Page[T]]:
        thread.start()
        try:
            while True:
                arrived.acquire()
                page, error = ready.popleft()
                if error is not None:
                    raise error
                if page is None:
                    return
                room.release()
                yield page
        finally:
            stop.set()
            room.release()  # wake the thread if it waits for room
            if thread is not threading.current_thread():
                thread.join()

    return read()
