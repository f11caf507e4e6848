"""The error hierarchy and its mapping from HTTP answers (no network)."""

from __future__ import annotations

import pickle

import pytest

from lakefs import (
    APIStatusError,
    BadRequestError,
    ConflictError,
    LakeFSError,
    NotFoundError,
    NotImplementedByServerError,
    ObjectExistsError,
    ObjectNotFoundError,
    ServerError,
    ValidationError,
)
from lakefs._exceptions import is_retryable_status, make_status_error


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (404, NotFoundError),
        (409, ConflictError),
        (500, ServerError),
        (501, NotImplementedByServerError),
        (503, ServerError),
        (418, APIStatusError),
    ],
)
def test_statuses_map_to_classes(status: int, cls: type[APIStatusError]) -> None:
    err = make_status_error(
        status,
        body=b'{"message": "nope"}',
        headers={"x-request-id": "r1"},
        method="get",
        path="http://h:1/api/v1/repositories/r?X-Amz-Signature=abc",
    )
    assert type(err) is cls
    got = (err.status_code, err.message, err.method, err.request_id)
    assert got == (status, "nope", "GET", "r1")
    assert err.path == "/api/v1/repositories/r"
    assert str(err) == f"{status} GET /api/v1/repositories/r (X-Amz-Signature=REDACTED): nope"
    assert "abc" not in repr(err)


def test_object_errors_are_also_os_errors_and_pickle() -> None:
    missing = make_status_error(
        404, body=None, headers=None, method="GET", path="/o", object_path="a.txt"
    )
    assert isinstance(missing, ObjectNotFoundError)
    assert isinstance(missing, FileNotFoundError)
    assert missing.message == "Not Found"
    exists = make_status_error(
        412,
        body="path already exists",
        headers=[("X-Request-Id", "r")],
        method="POST",
        path="/o",
        object_path="a.txt",
    )
    assert isinstance(exists, ObjectExistsError)
    assert isinstance(exists, FileExistsError)
    assert exists.request_id == "r"
    for err in (missing, exists):
        copy = pickle.loads(pickle.dumps(err))
        assert (type(copy), copy.status_code, str(copy)) == (type(err), err.status_code, str(err))


def test_validation_error_is_a_value_error() -> None:
    assert issubclass(ValidationError, ValueError)
    assert issubclass(ValidationError, LakeFSError)


@pytest.mark.parametrize(
    ("status", "idempotent", "expected"),
    [
        (503, False, True),
        (429, False, True),
        (500, True, True),
        (500, False, False),
        (409, True, False),
        (412, True, False),
        (404, True, False),
    ],
)
def test_retryable_statuses(status: int, idempotent: bool, expected: bool) -> None:
    assert is_retryable_status(status, idempotent=idempotent) is expected


def test_a_json_answer_without_a_message_is_named_by_its_status() -> None:
    # lakeFS answers a merge's conflict with its result, which has no message
    err = make_status_error(
        409,
        body=b'{"reference":""}',
        headers=None,
        method="POST",
        path="/api/v1/repositories/r/refs/dev/merge/main",
    )
    assert isinstance(err, ConflictError)
    assert str(err).endswith(": Conflict")
    assert err.body == '{"reference":""}'  # kept whole for who wants it
