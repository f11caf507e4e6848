"""One paginator for every lakeFS listing.

lakeFS paginates with ``after`` (an exclusive cursor) and ``amount`` (at most 1,000 a page), and
answers ``pagination: {has_more, next_offset}``; ``next_offset`` goes back as the next ``after``.

A paginator's ``repr()`` says what it lists and sends no request; in a notebook, its
``_repr_html_`` shows its first rows (at most :data:`HTML_ROWS`) as a table, with one request.
"""

from __future__ import annotations

import datetime
import html
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, SupportsIndex, TypeVar

from lakefs._exceptions import LakeFSError, ValidationError

__all__ = ["AHEAD", "HTML_ROWS", "MAX_PAGE_SIZE", "Page", "Paginator", "check_max_amount"]

T = TypeVar("T")
MAX_PAGE_SIZE = 1000
HTML_ROWS = 50
"""The most rows a paginator's notebook table shows (one request's worth)."""
AHEAD = 2
"""The pages iterating a paginator fetches ahead of the one being read (when more than one)."""


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
    """Check a listing's ``max_amount`` (before any request).

    Args:
        max_amount: the value given.

    Raises:
        ValidationError: ``max_amount`` is neither None nor a non-negative int.
    """
    if max_amount is None:
        return
    if isinstance(max_amount, bool) or not isinstance(max_amount, int):
        raise ValidationError(f"max_amount must be an int or None, not {max_amount!r}")
    if max_amount < 0:
        raise ValidationError(f"max_amount must be >= 0, not {max_amount}")


class Paginator(Generic[T]):
    """A lazy, re-iterable listing: no request is sent until it is iterated.

    ``repr()`` says what it lists (no request); in a Jupyter notebook it shows as a table of its
    first rows (at most 50, with one request: a diff's changes, a log's commits, a listing's
    objects), every value escaped.

    Args:
        fetch_page: ``fetch_page(after, amount)`` returns one :class:`Page`.
        max_amount: the most items to yield; None for all, 0 for none (no request at all).
        after: start after this cursor.
        page_size: the most items asked for per request (1 to 1,000); each request asks for
            ``min(remaining, page_size)``.
        lists: what it lists, for its repr (``"objects of 'repo' at 'main' under 'data/'"``);
            empty when unsaid.

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
        lists: str = "",
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
        self.lists = lists

    def pages(self, ahead: int = 0) -> Iterator[Page[T]]:
        """Yield the pages (the last one trimmed to ``max_amount``).

        Args:
            ahead: fetch up to this many pages ahead of the one being read, on a thread of
                its own, while the caller works on the current one (0: each page when it is
                asked for). The first page is fetched by the caller, and the thread starts
                only when more follow it, so a one-page listing starts none. Pages and errors
                come out in order; a caller that stops reading stops the thread (a request
                under way still ends, and is dropped). In a process forked while the thread
                ran, the rest is fetched by the caller, from the last page it read.

        Returns:
            An iterator of the pages; each is fetched when it is reached (with ``ahead``, up
            to that many pages before).

        Raises:
            LakeFSError: a request failed (``NotFoundError`` for a missing repository or
                reference, and so on), raised while iterating.
        """
        if ahead > 0:
            return self._ahead(ahead)
        return self._pages(self.after, self.max_amount)

    def _pages(self, cursor: str, remaining: int | None) -> Iterator[Page[T]]:
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

    def _ahead(self, ahead: int) -> Iterator[Page[T]]:
        cursor, remaining = self.after, self.max_amount
        pages = self._pages(cursor, remaining)
        page = next(pages, None)
        if page is None or not page.has_more or len(page.items) == remaining:
            # One page (or none), or all that max_amount asks for: no thread.
            if page is not None:
                yield page
            return
        feed = _Ahead(pages, ahead)  # fetching the second page while the first is read
        try:
            while page is not None:
                yield page
                cursor = page.next_offset
                if remaining is not None:
                    remaining -= len(page.items)
                try:
                    page = feed.take()
                except _ForkedError:
                    yield from self._pages(cursor, remaining)
                    return
        finally:
            feed.close()

    def __iter__(self) -> Iterator[T]:
        """Iterate over the items. A listing of more than one page fetches up to
        :data:`AHEAD` pages ahead (on a thread, while the caller reads the current one): a
        caller that stops early may have asked for them (use :meth:`pages` to fetch each page
        only when it is reached).

        Returns:
            An iterator of the items.

        Raises:
            LakeFSError: a request failed (``NotFoundError`` for a missing repository or
                reference, and so on), raised while iterating.
        """
        for page in self.pages(ahead=AHEAD):
            yield from page.items

    def to_list(self) -> list[T]:
        """Fetch all the items.

        Returns:
            The items, in a list.

        Raises:
            LakeFSError: a request failed (``NotFoundError`` for a missing repository or
                reference, and so on).
        """
        return list(self)

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        raise TypeError(
            "a Paginator does not pickle (its pages come from a request bound to this process): "
            "pickle the resource it came from and list again there, or pickle .to_list()"
        )

    def __repr__(self) -> str:
        """What it lists, and its bounds (no request is sent).

        Returns:
            ``<Paginator: objects of 'repo' at 'main' under 'data/', max_amount=10>``, or
            ``Paginator(max_amount=..., after=...)`` when it was not told what it lists.
        """
        if not self.lists:
            return f"Paginator(max_amount={self.max_amount!r}, after={self.after!r})"
        bounds = "" if self.max_amount is None else f", max_amount={self.max_amount!r}"
        if self.after:
            bounds += f", after={self.after!r}"
        return f"<Paginator: {self.lists}{bounds}>"

    def _repr_html_(self) -> str:
        """Its first rows as an HTML table, for notebooks (one request; never raises).

        Returns:
            A small table of at most :data:`HTML_ROWS` rows (one page), every value escaped,
            with "… more" when more follow, or the error that stopped the request.
        """
        head = "<p><b>Paginator</b>" + (f": {html.escape(self.lists)}" if self.lists else "")
        head += "</p>"
        limit = min(HTML_ROWS, self.page_size)
        if self.max_amount is not None:
            limit = min(limit, self.max_amount)
        if limit <= 0:
            return f"<div>{head}<p>no items (max_amount=0)</p></div>"
        try:
            page = self._fetch_page(self.after, limit)
            items = list(page.items[:limit])
            more = page.has_more or len(page.items) > limit
            if self.max_amount is not None and self.max_amount <= len(items):
                more = False
            table = _html_table(items)
        except Exception as exc:  # a notebook shows the text repr, and why the rows are not here
            reason = html.escape(f"{type(exc).__name__}: {exc}")
            return f"<div>{head}<p>could not list: {reason}</p></div>"
        if not items:
            return f"<div>{head}<p>no items</p></div>"
        rows = f"{len(items)} row{'s' if len(items) != 1 else ''}"
        tail = f"<p>… more (the first {rows} shown)</p>" if more else ""
        return f"<div>{head}{table}{tail}</div>"


def _cells_of(item: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A listing item's column names and cell texts (what it already holds: no request)."""
    from lakefs._objects import Change, CommonPrefix, ObjectInfo
    from lakefs._values import Commit

    if isinstance(item, Change):
        size = "" if item.size_bytes is None else f"{item.size_bytes:,}"
        path = item.path if item.path_type == "object" else f"{item.path} (prefix)"
        return ("type", "path", "size (bytes)"), (item.type, path, size)
    commit = item if isinstance(item, Commit) else getattr(item, "_commit", None)
    if isinstance(commit, Commit):  # a Commit, or a log entry (a Reference carrying one)
        lines = commit.message.splitlines() or [""]
        message = lines[0] + (" …" if len(lines) > 1 else "")
        return ("commit", "message", "committer", "date (UTC)"), (
            commit.id[:16],
            message,
            commit.committer,
            _when(commit.creation_date),
        )
    if isinstance(item, ObjectInfo):
        return ("path", "size (bytes)", "modified (UTC)", "checksum"), item._known_cells()
    if isinstance(item, CommonPrefix):
        return ("path", "size (bytes)", "modified (UTC)", "checksum"), (item.path, "", "", "")
    return ("item",), (repr(item),)


def _when(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _html_table(items: Sequence[object]) -> str:
    """``items`` as an escaped HTML table; the columns are the first item's."""
    if not items:
        return ""
    columns = _cells_of(items[0])[0]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for item in items:
        names, cells = _cells_of(item)
        if names != columns:  # a listing of mixed values: each shown as its repr
            cells = (repr(item), *([""] * (len(columns) - 1)))
        row = "".join(f'<td style="text-align:left">{html.escape(c)}</td>' for c in cells)
        body.append(f"<tr>{row}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class _ForkedError(Exception):
    """The process forked while the thread fetched: the thread is not in this one."""


class _Ahead(Generic[T]):
    """``pages``, fetched by a thread (started at once) at most ``ahead`` pages before the
    caller's :meth:`take`; :meth:`close` stops it."""

    def __init__(self, pages: Iterator[Page[T]], ahead: int) -> None:
        self._pages = pages
        self._ready: deque[tuple[Page[T] | None, BaseException | None]] = deque()
        self._room = threading.Semaphore(ahead)  # pages it may fetch before the caller takes one
        self._arrived = threading.Semaphore(0)
        self._stop = threading.Event()
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._fetch, name="lakefs-pages", daemon=True)
        self._thread.start()

    def _fetch(self) -> None:
        try:
            while True:
                self._room.acquire()
                if self._stop.is_set():
                    return
                page = next(self._pages, None)
                self._ready.append((page, None))
                self._arrived.release()
                if page is None:
                    return
        except BaseException as exc:  # the caller's to raise, in order
            self._ready.append((None, exc))
            self._arrived.release()

    def take(self) -> Page[T] | None:
        """The next page, None after the last; raises the error that ended the fetching, or
        :class:`_ForkedError` in a forked child."""
        if os.getpid() != self._pid:
            raise _ForkedError
        self._arrived.acquire()
        page, error = self._ready.popleft()
        if error is not None:
            raise error
        if page is not None:
            self._room.release()
        return page

    def close(self) -> None:
        """Stop the thread, after the request under way (nothing to stop in a forked child,
        whose locks the thread may have held at the fork)."""
        if os.getpid() != self._pid:
            return
        self._stop.set()
        self._room.release()  # wake the thread if it waits for room
        if self._thread is not threading.current_thread():
            self._thread.join()
