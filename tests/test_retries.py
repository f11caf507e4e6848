"""The retry loop's policy, driven by fake attempts (no network)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import urllib3
from lakefs_sdk.exceptions import ApiException

from lakefs import (
    APIConnectionError,
    APITimeoutError,
    ConflictError,
    PreconditionFailedError,
    ServerError,
    TooManyRequestsError,
)
from lakefs._config import ClientConfig
from lakefs._transport import RetryPolicy, Transport

URL = "http://lakefs.invalid/api/v1/repositories/r?x-id=1&X-Amz-Signature=s3cr3t"


def _transport(retries: int = 3) -> tuple[Transport, list[float]]:
    slept: list[float] = []
    config = ClientConfig(
        host="http://lakefs.invalid/api/v1", access_key_id="AKIAX", secret_access_key="s3cr3t-key"
    )
    transport = Transport(
        config.with_options(retries=retries), sleep=slept.append, rand=lambda: 0.999
    )
    return transport, slept


def _api_error(status: int, headers: dict[str, str] | None = None) -> ApiException:
    exc = ApiException(status=status, reason="reason")
    exc.body = b'{"message": "server says no"}'
    exc.headers = headers or {}
    return exc


def _script(*outcomes: BaseException | str) -> tuple[Callable[[], str], list[int]]:
    """An attempt that raises or returns the given outcomes in order, counting calls."""
    calls: list[int] = []

    def attempt() -> str:
        calls.append(1)
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return attempt, calls


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
def test_transient_statuses_are_retried_for_any_method(status: int) -> None:
    transport, slept = _transport()
    attempt, calls = _script(_api_error(status), _api_error(status), "ok")
    assert transport.send("POST", URL, attempt) == "ok"
    assert len(calls) == 3
    assert len(slept) == 2


def test_500_is_retried_only_when_idempotent() -> None:
    transport, _ = _transport()
    attempt, calls = _script(_api_error(500), "ok")
    assert transport.send("GET", URL, attempt) == "ok"
    assert len(calls) == 2
    attempt, calls = _script(_api_error(500), "ok")
    with pytest.raises(ServerError):
        transport.send("POST", URL, attempt)
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("status", "error"), [(409, ConflictError), (412, PreconditionFailedError)]
)
def test_conflicts_are_never_retried(status: int, error: type[Exception]) -> None:
    transport, slept = _transport()
    attempt, calls = _script(_api_error(status), "ok")
    with pytest.raises(error) as info:
        transport.send("PUT", URL, attempt)
    assert len(calls) == 1
    assert slept == []
    assert "server says no" in str(info.value)


def test_gives_up_after_the_limit_with_the_last_error_chained() -> None:
    transport, slept = _transport(retries=2)
    attempt, calls = _script(*[_api_error(503)] * 3)
    with pytest.raises(ServerError) as info:
        transport.send("GET", URL, attempt)
    assert len(calls) == 3
    assert len(slept) == 2
    assert isinstance(info.value.__cause__, ApiException)
    assert info.value.status_code == 503


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(backoff_initial=0.5, backoff_max=4.0)
    assert [policy.backoff(n, None, lambda: 0.0) for n in (1, 2, 3, 4, 5)] == [
        0.25,
        0.5,
        1.0,
        2.0,
        2.0,
    ]
    assert policy.backoff(2, None, lambda: 0.999) == pytest.approx(0.9995)


def test_retry_after_is_honoured_and_capped() -> None:
    transport, slept = _transport()
    attempt, _ = _script(
        _api_error(429, {"Retry-After": "3"}), _api_error(429, {"Retry-After": "900"}), "ok"
    )
    assert transport.send("GET", URL, attempt) == "ok"
    assert slept == [3.0, 60.0]


def test_too_many_requests_error_after_retries() -> None:
    transport, _ = _transport(retries=0)
    attempt, _ = _script(_api_error(429))
    with pytest.raises(TooManyRequestsError):
        transport.send("GET", URL, attempt)


def test_connection_refused_is_retried_even_for_post() -> None:
    transport, _ = _transport()
    refused = urllib3.exceptions.MaxRetryError(
        None,  # type: ignore[arg-type]
        URL,
        urllib3.exceptions.NewConnectionError(None, "refused"),  # type: ignore[arg-type]
    )
    attempt, calls = _script(refused, "ok")
    assert transport.send("POST", URL, attempt) == "ok"
    assert len(calls) == 2


def test_a_lost_response_is_retried_only_when_idempotent() -> None:
    transport, _ = _transport()
    timeout = urllib3.exceptions.ReadTimeoutError(None, URL, "read timed out")  # type: ignore[arg-type]
    attempt, calls = _script(timeout, "ok")
    with pytest.raises(APITimeoutError) as info:
        transport.send("POST", URL, attempt)
    assert len(calls) == 1
    assert "X-Amz-Signature" not in str(info.value)  # only the path is reported
    assert "/api/v1/repositories/r" in str(info.value)
    dropped = urllib3.exceptions.ProtocolError("Connection aborted.")
    attempt, calls = _script(dropped, "ok")
    assert transport.send("GET", URL, attempt) == "ok"
    attempt, calls = _script(dropped, "ok")
    with pytest.raises(APIConnectionError):
        transport.send("POST", URL, attempt)


def test_bodies_are_rewound_before_each_retry() -> None:
    transport, _ = _transport()
    rewinds: list[int] = []
    attempt, _ = _script(_api_error(503), _api_error(503), "ok")
    transport.send("PUT", URL, attempt, rewind=lambda: rewinds.append(1))
    assert len(rewinds) == 2
