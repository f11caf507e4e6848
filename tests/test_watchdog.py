"""The deadline watchdog: woken only for a deadline earlier than the one it sleeps until, and
still cutting every call on its own deadline."""

from __future__ import annotations

import threading
import time

from lakefs import _deadline
from lakefs._deadline import Deadline


class _CountingCondition(threading.Condition):
    """A condition that counts the wake-ups asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.notified = 0

    def notify(self, n: int = 1) -> None:
        self.notified += 1
        super().notify(n)


def _wait_for(predicate: object, limit: float = 10.0) -> None:
    end = time.monotonic() + limit
    while not predicate() and time.monotonic() < end:  # type: ignore[operator]
        time.sleep(0.005)


def _asleep(dog: _deadline._Watchdog) -> bool:
    """Whether the watchdog's thread waits on its condition (it is not scanning its calls)."""
    return bool(dog._cond._waiters)  # type: ignore[attr-defined]


def test_only_an_earlier_deadline_wakes_the_watchdog() -> None:
    dog = _deadline._Watchdog()
    dog._cond = cond = _CountingCondition()
    later = [Deadline(60.0 + i) for i in range(50)]
    first = Deadline(30.0)
    dog.add(first)  # the first one wakes the idle thread
    _wait_for(lambda: _asleep(dog))  # a deadline added while it scans is seen by the scan
    for deadline in later:  # each later than the one the thread sleeps until: no wake-up
        dog.add(deadline)
    assert cond.notified == 1
    _wait_for(lambda: _asleep(dog))
    soon = Deadline(0.05)
    dog.add(soon)  # earlier: it must wake the thread, or it would be cut 30 s late
    assert cond.notified == 2
    _wait_for(lambda: soon.expired)
    assert soon.expired
    assert not first.expired
    assert not any(d.expired for d in later)


def test_deadlines_added_in_any_order_expire_in_order() -> None:
    dog = _deadline._Watchdog()
    deadlines = [Deadline(s) for s in (0.3, 0.1, 30.0, 0.2)]
    for deadline in deadlines:
        dog.add(deadline)
    _wait_for(lambda: deadlines[0].expired)
    assert [d.expired for d in deadlines] == [True, True, False, True]


def test_calls_that_ended_are_dropped_not_expired() -> None:
    dog = _deadline._Watchdog()
    ended = Deadline(0.05)
    with ended:  # the call finishes in time
        pass
    dog.add(ended)
    live = Deadline(0.1)
    dog.add(live)
    _wait_for(lambda: live.expired)
    assert live.expired
    assert not ended.expired
    assert ended not in dog._active
