"""The retry loop: one call's attempts, the waits between them, and the error that ends them.

Connection failures before a request was sent are always retried; a lost or timed-out answer only
for idempotent methods; failures that cannot succeed (TLS, redirects) never. Statuses 408, 429,
502, 503 and 504 are retried, 500 only for idempotent methods, 409 and 412 never (lakeFS means
real conflicts by them). Backoff is exponential with full jitter, ``Retry-After`` is honoured, and
a call's deadline (:attr:`lakefs.Timeout.total`) bounds the whole, waits included.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn, TypeVar, cast

import urllib3

from lakefs import _deadline
from lakefs._exceptions import (
    APIStatusError,
    APITimeoutError,
    LakeFSError,
    header_value,
    is_retryable_status,
    make_status_error,
)
from lakefs._logs import get_logger
from lakefs._transport._body import NotReplayable
from lakefs._transport._failures import (
    FollowFailed,
    Mapped,
    add_note,
    object_path,
    safe_cause,
)
from lakefs._transport._protocol import path_of

if TYPE_CHECKING:
    from lakefs_sdk.exceptions import ApiException

__all__ = ["IDEMPOTENT_METHODS", "Call", "RetryPolicy", "retrying"]

log = get_logger("transport")

T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

Classify = Callable[[BaseException, str, str], Mapped]
"""Maps a urllib3 error of a request (its method and URL) to ours, with its two flags."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        backoff_initial: the first backoff, in seconds; it doubles with each retry.
        backoff_max: the longest backoff between two attempts.
        retry_after_max: the longest ``Retry-After`` honoured; longer ones are capped.
    """

    max_retries: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    retry_after_max: float = 60.0

    def backoff(self, retry: int, retry_after: float | None, rand: Callable[[], float]) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_max)
        ceiling = min(self.backoff_initial * 2.0 ** (retry - 1), self.backoff_max)
        return ceiling * (0.5 + rand() / 2)  # jitter in [ceiling/2, ceiling)


@dataclass
class Call:
    """One call to retry: its request, and how the loop waits and maps connection errors."""

    method: str
    url: str
    idempotent: bool
    policy: RetryPolicy
    sleep: Callable[[float], None]
    rand: Callable[[], float]
    classify: Classify
    rewind: Callable[[], None] | None = None
    deadline: float | None = None

    @functools.cached_property
    def path(self) -> str:
        """The URL's path, what logs and errors name."""
        return path_of(self.url)


@dataclass
class _Failed:
    """One failed attempt: the error it ends in, its cause, and whether to try again."""

    err: LakeFSError
    cause: BaseException
    retry: bool
    retry_after: float | None
    outcome: str  # for the log: the status, or the error's type


class _NeverRaisedError(Exception):
    """Stands for ``lakefs_sdk``'s ``ApiException`` while lakefs_sdk is not imported (nothing
    can raise it then)."""


def _sdk_exception() -> type[ApiException]:
    """``lakefs_sdk.exceptions.ApiException`` if lakefs_sdk was imported (``Client.sdk``)."""
    module = sys.modules.get("lakefs_sdk.exceptions")
    return cast("type[ApiException]", getattr(module, "ApiException", _NeverRaisedError))


def retrying(call: Call, attempt: Callable[[], T]) -> T:
    """Run ``attempt`` (one HTTP exchange) until it succeeds or the retry policy gives up.

    ``attempt`` returns the answer or raises a ``lakefs_sdk`` ``ApiException``, a urllib3 error,
    or a :class:`LakeFSError` (final: not retried); all of them leave as :class:`LakeFSError`.
    """
    attempts = call.policy.max_retries + 1
    watch = _deadline.Deadline(call.deadline) if call.deadline is not None else None
    for number in range(1, attempts + 1):
        started = time.monotonic()
        try:
            return _attempt(attempt, watch, call, started)
        except (_sdk_exception(), APIStatusError) as exc:
            failed = _status_failure(exc, call)
        except urllib3.exceptions.HTTPError as exc:
            failed = _connection_failure(exc, call)
        _check_deadline(watch, failed, call)
        if log.isEnabledFor(logging.DEBUG):
            elapsed_ms = (time.monotonic() - started) * 1e3
            log.debug("%s %s -> %s in %.0f ms", call.method, call.path, failed.outcome, elapsed_ms)
        delay = call.policy.backoff(number, failed.retry_after, call.rand) if failed.retry else 0.0
        if failed.retry and watch is not None and delay >= watch.remaining():
            failed.retry = False  # the deadline would pass while waiting
        if failed.retry and number < attempts and call.rewind is not None:
            _rewind(call, failed)
        if not failed.retry or number == attempts:
            _give_up(call, failed, number)
        log.info(
            "retrying %s %s after %s in %.2f s (attempt %d of %d)",
            call.method,
            call.path,
            failed.outcome,
            delay,
            number + 1,
            attempts,
        )
        call.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _attempt(
    attempt: Callable[[], T], watch: _deadline.Deadline | None, call: Call, started: float
) -> T:
    if watch is None:
        result = attempt()
    else:
        with watch:
            result = attempt()
    if log.isEnabledFor(logging.DEBUG):  # the path is parsed only for a log that is kept
        elapsed_ms = (time.monotonic() - started) * 1e3
        log.debug("%s %s -> ok in %.0f ms", call.method, call.path, elapsed_ms)
    return result


def _status_failure(exc: ApiException | APIStatusError, call: Call) -> _Failed:
    err = exc if isinstance(exc, APIStatusError) else _status_error(exc, call)
    retry = is_retryable_status(err.status_code, idempotent=call.idempotent)
    retry_after = _retry_after(getattr(exc, "headers", None)) if retry else None
    return _Failed(err, exc, retry, retry_after, f"{err.status_code}")


def _status_error(exc: ApiException, call: Call) -> APIStatusError:
    return make_status_error(
        exc.status,
        body=exc.body,
        headers=exc.headers,
        method=call.method,
        path=call.url,
        object_path=object_path(call.url),
    )


def _connection_failure(exc: urllib3.exceptions.HTTPError, call: Call) -> _Failed:
    # A redirect's target failing is told as the target's failure (the store).
    where = exc.location if isinstance(exc, FollowFailed) else call.url
    failure = exc.error if isinstance(exc, FollowFailed) else exc
    err, never_sent, can_succeed = call.classify(failure, call.method, where)
    retry = can_succeed and (never_sent or call.idempotent)
    return _Failed(err, failure, retry, None, type(err).__name__)


def _check_deadline(watch: _deadline.Deadline | None, failed: _Failed, call: Call) -> None:
    if watch is not None and watch.passed():
        raise APITimeoutError(
            f"no complete answer within {watch.seconds:g} s (the call's total "
            f"timeout): {call.method} {call.path}",
            method=call.method,
            path=call.path,
        ) from safe_cause(failed.cause)


def _rewind(call: Call, failed: _Failed) -> None:
    """Give the body afresh for the next attempt, or give up retrying when it cannot be."""
    assert call.rewind is not None
    try:
        call.rewind()
    except NotReplayable:
        failed.retry = False
        log.warning(
            "%s %s not retried after %s: its streamed body was consumed and cannot be sent again",
            call.method,
            call.path,
            failed.outcome,
        )
        add_note(failed.err, "not retried: the streamed body cannot be sent again")


def _give_up(call: Call, failed: _Failed, number: int) -> NoReturn:
    if failed.retry:
        log.warning(
            "%s %s failed after %d attempt%s: %s",
            call.method,
            call.path,
            number,
            "" if number == 1 else "s",
            failed.err,
        )
    if failed.err is failed.cause:
        raise failed.err
    raise failed.err from safe_cause(failed.cause)


def _retry_after(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> float | None:
    value = header_value(headers, "Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return parsed.timestamp() - time.time()
