"""Deadlines for whole calls: a watchdog that cuts the connections of a call past its time.

Socket timeouts bound each read, not a call: a server that drips one byte a second never trips
them. Each bounded call registers a :class:`Deadline`; connections taken from the pool while it is
current report to it; one daemon thread per process shuts their sockets down when the deadline
passes, so the blocked read returns at once and the transport raises ``APITimeoutError``.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection

__all__ = ["Deadline", "current"]

_local = threading.local()


class Deadline:
    """The time limit of one call, and the connections it used.

    Use it as a context manager around the call: connections used inside (on this thread) are
    watched until the block ends. Its state is changed by single attribute and list operations,
    each atomic under the GIL, so it takes no lock: the order of the steps in :meth:`watch` and
    :meth:`expire` is what makes a connection taken as the deadline passes cut either way.
    """

    __slots__ = ("_conns", "_done", "_previous", "at", "expired", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._conns: list[BaseHTTPConnection] = []
        self._done = False
        self._previous: Deadline | None = None

    @property
    def finished(self) -> bool:
        """Whether the call is over (the watchdog no longer watches it)."""
        return self._done

    def remaining(self) -> float:
        """Seconds left (never below a millisecond, so timeouts stay valid)."""
        return max(self.at - time.monotonic(), 0.001)

    def passed(self) -> bool:
        """Whether the deadline has passed (or the watchdog already cut the call)."""
        return self.expired or time.monotonic() >= self.at

    def watch(self, conn: BaseHTTPConnection) -> None:
        """Cut ``conn`` when the deadline passes (at once if it has)."""
        if self._done:
            return
        self._conns.append(conn)  # first: an expire() from now on sees it
        if self.expired:  # then: an expire() that came before did not
            _shutdown(conn)

    def expire(self) -> None:
        """Called by the watchdog: cut every connection of the call still under way."""
        if self._done:
            return
        self.expired = True  # first: a watch() from now on cuts its own connection
        for conn in list(self._conns):
            _shutdown(conn)

    def __enter__(self) -> Deadline:
        self._done = False  # entered again for each attempt of the call
        self._previous = getattr(_local, "deadline", None)
        _local.deadline = self
        _WATCHDOG.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._done = True
        _WATCHDOG.discard(self)
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
    """One thread per process, sleeping until the earliest deadline of the calls under way.

    A call adds its deadline to a set and discards it when it ends, without a lock. The thread
    is woken only for a deadline earlier than the one it sleeps until (most calls' come later,
    and cost no lock and no context switch); on waking it cuts the calls past their deadline
    and sleeps until the earliest of the others.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active: set[Deadline] = set()
        self._wake_at = math.inf  # when the thread looks next (inf: it is not waiting for one)
        self._thread: threading.Thread | None = None

    def add(self, deadline: Deadline) -> None:
        """Watch ``deadline`` until :meth:`discard`."""
        self._active.add(deadline)  # first: a scan from now on sees it
        if deadline.at < self._wake_at:  # then: a scan that came before has not
            with self._cond:
                if deadline.at < self._wake_at:
                    self._wake_at = deadline.at
                    if self._thread is None:
                        self._thread = threading.Thread(target=self._run, name="lakefs-deadlines")
                        self._thread.daemon = True
                        self._thread.start()
                    self._cond.notify()

    def discard(self, deadline: Deadline) -> None:
        """Stop watching ``deadline`` (its call ended)."""
        self._active.discard(deadline)

    def _run(self) -> None:
        with self._cond:
            while True:
                self._wake_at = math.inf  # a deadline added during the scan wakes the thread
                now = time.monotonic()
                watched = list(self._active)
                due = [d for d in watched if d.at <= now]
                for deadline in due:
                    self._active.discard(deadline)
                    deadline.expire()
                self._wake_at = min((d.at for d in watched if d.at > now), default=math.inf)
                self._cond.wait(None if self._wake_at == math.inf else self._wake_at - now)

    def after_fork(self) -> None:
        # The thread did not survive the fork and the lock may be held: start afresh.
        self._cond = threading.Condition()
        self._active = set()
        self._wake_at = math.inf
        self._thread = None


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.after_fork)
