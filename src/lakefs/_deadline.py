"""Deadlines for whole calls: a watchdog that cuts the connections of a call past its time.

Socket timeouts bound each read, not a call: a server that drips one byte a second never trips
them. Each bounded call registers a :class:`Deadline`; connections taken from the pool while it is
current report to it; one daemon thread per process shuts their sockets down when the deadline
passes, so the blocked read returns at once and the transport raises ``APITimeoutError``.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection

__all__ = ["Deadline", "current"]

_local = threading.local()
_COMPACT_AT = 1024  # heap entries before those of finished calls are dropped


class Deadline:
    """The time limit of one call, and the connections it used.

    Use it as a context manager around the call: connections used inside (on this thread) are
    watched until the block ends.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._conns: list[BaseHTTPConnection] = []
        self._lock = threading.Lock()
        self._done = False

    @property
    def finished(self) -> bool:
        """Whether the call is over (its entry in the watchdog's heap is dead)."""
        return self._done

    def remaining(self) -> float:
        """Seconds left (never below a millisecond, so timeouts stay valid)."""
        return max(self.at - time.monotonic(), 0.001)

    def passed(self) -> bool:
        """Whether the deadline has passed (or the watchdog already cut the call)."""
        return self.expired or time.monotonic() >= self.at

    def watch(self, conn: BaseHTTPConnection) -> None:
        with self._lock:
            if self._done:
                return
            self._conns.append(conn)
            cut = self.expired
        if cut:
            _shutdown(conn)

    def expire(self) -> None:
        """Called by the watchdog: cut every connection of the call still under way."""
        with self._lock:
            if self._done:
                return
            self.expired = True
            conns = list(self._conns)
        for conn in conns:
            _shutdown(conn)

    def __enter__(self) -> Deadline:
        with self._lock:
            self._done = False  # entered again for each attempt of the call
        self._previous = getattr(_local, "deadline", None)
        _local.deadline = self
        _WATCHDOG.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True
            self._conns.clear()
        _local.deadline = self._previous


def current() -> Deadline | None:
    """The deadline of the call running on this thread, if any."""
    return getattr(_local, "deadline", None)


def _shutdown(conn: BaseHTTPConnection) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One thread per process, sleeping until the earliest deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def add(self, deadline: Deadline) -> None:
        with self._cond:
            if self._thread is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._heap = []
                self._thread = threading.Thread(target=self._run, name="lakefs-deadlines")
                self._thread.daemon = True
                self._thread.start()
            if len(self._heap) >= _COMPACT_AT:  # calls that ended leave their entries behind
                self._heap = [e for e in self._heap if not e[2].finished]
                heapq.heapify(self._heap)
            # The thread sleeps until the earliest deadline: it needs waking only when this one
            # comes sooner (most calls' deadlines come later, and so cost no context switch).
            wake = not self._heap or deadline.at < self._heap[0][0]
            heapq.heappush(self._heap, (deadline.at, next(self._seq), deadline))
            if wake:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].finished:  # calls that ended in time
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                at, _, deadline = self._heap[0]
                wait = at - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            deadline.expire()

    def after_fork(self) -> None:
        # The thread did not survive the fork and the lock may be held: start afresh.
        self._cond = threading.Condition()
        self._heap = []
        self._thread = None


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.after_fork)
