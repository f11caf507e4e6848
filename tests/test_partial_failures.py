"""Bulk failures have one shape: :class:`lakefs.PartialFailureError`, whose ``failed`` maps each
path to its error, with a text naming the first few. ``DeleteObjectsError`` (a bulk delete) and
``TransferError`` (a folder transfer) are its subclasses; ``DeleteObjectsError.errors`` (the old
``(path, message)`` pairs) still reads, with a DeprecationWarning. Offline: the bulk deletes run
against an in-memory handler behind the mock seam.
"""

from __future__ import annotations

import json
import pathlib
import pickle
import warnings

import pytest

import lakefs
from lakefs import (
    DeleteObjectsError,
    ForbiddenError,
    LakeFSError,
    NotFoundError,
    PartialFailureError,
    PathRefusedError,
    TransferError,
    TransferResult,
)
from lakefs.testing import MockRequest, MockResponse, mock_client

_DELETE = "/api/v1/repositories/repo/branches/main/objects/delete"


def test_every_bulk_failure_is_a_partial_failure_exported_from_lakefs() -> None:
    for cls in (DeleteObjectsError, TransferError):
        assert issubclass(cls, PartialFailureError)
    assert issubclass(PartialFailureError, LakeFSError)
    assert {"PartialFailureError", "PathRefusedError"} <= set(lakefs.__all__)
    assert PartialFailureError.__module__ == "lakefs"
    tree = lakefs._exceptions.__doc__ or ""
    for name in ("PartialFailureError", "PathRefusedError", "DeleteObjectsError", "TransferError"):
        assert name in tree


def test_the_text_names_the_first_five_and_counts_the_rest() -> None:
    failed = {f"p/{k}.csv": OSError(f"broken {k}") for k in range(8)}
    err = PartialFailureError(failed=failed)
    assert str(err) == (
        "8 path(s) failed: p/0.csv: broken 0; p/1.csv: broken 1; p/2.csv: broken 2; "
        "p/3.csv: broken 3; p/4.csv: broken 4 (and 3 more)"
    )
    assert err.failed == failed
    assert str(PartialFailureError(failed={"a": OSError("x")})) == "1 path(s) failed: a: x"
    assert str(PartialFailureError("said so")) == "said so"


def test_each_subclass_says_what_failed() -> None:
    refused = DeleteObjectsError(failed={"a.csv": PathRefusedError("denied", path="a.csv")})
    assert str(refused) == "could not delete 1 object(s): a.csv: denied"
    with pytest.raises(TransferError) as info:
        TransferResult(failed={"x.txt": FileNotFoundError("gone")}).raise_for_failures()
    assert str(info.value) == "1 file(s) failed: x.txt: gone"
    assert list(info.value.failed) == ["x.txt"]


def test_the_old_errors_pairs_still_read_with_a_deprecation_warning() -> None:
    err = DeleteObjectsError([("a.csv", "denied"), ("b.csv", "locked")])
    assert err.failed == {
        "a.csv": PathRefusedError("denied", path="a.csv"),
        "b.csv": PathRefusedError("locked", path="b.csv"),
    }
    with pytest.warns(DeprecationWarning, match="failed"):
        pairs = err.errors
    assert pairs == [("a.csv", "denied"), ("b.csv", "locked")]


def test_a_partial_failure_pickles_with_what_failed() -> None:
    err = DeleteObjectsError([("a.csv", "denied")])
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is DeleteObjectsError
    assert (str(copy), copy.failed) == (str(err), err.failed)
    refused = copy.failed["a.csv"]
    assert isinstance(refused, PathRefusedError)
    assert refused.path == "a.csv"


class _Deletes:
    """The bulk delete endpoint: ``refuse`` paths are answered as refused; the batch numbered
    ``fail_batch`` (from 1) is answered with ``status``."""

    def __init__(self, refuse: set[str], fail_batch: int = 0, status: int = 403) -> None:
        self.refuse, self.fail_batch, self.status = refuse, fail_batch, status
        self.batches: list[list[str]] = []

    def __call__(self, request: MockRequest) -> MockResponse:
        assert request.path == _DELETE, request.url
        paths = json.loads(request.body)["paths"]
        self.batches.append(paths)
        if len(self.batches) == self.fail_batch:
            return MockResponse.json({"message": "no"}, status=self.status)
        errors = [{"path": p, "message": "denied"} for p in paths if p in self.refuse]
        return MockResponse.json({"errors": errors}) if errors else MockResponse(204)


def _branch(handler: _Deletes) -> lakefs.Branch:
    return lakefs.repository("repo", client=mock_client(handler)).branch("main")


def test_refusals_of_every_batch_come_together_after_the_last() -> None:
    paths = [f"p/{k:04}" for k in range(2500)]
    handler = _Deletes(refuse={"p/0001", "p/2400"})
    with pytest.raises(DeleteObjectsError) as info:
        _branch(handler).delete_objects(paths)
    assert [len(b) for b in handler.batches] == [1000, 1000, 500]
    assert info.value.failed == {
        "p/0001": PathRefusedError("denied", path="p/0001"),
        "p/2400": PathRefusedError("denied", path="p/2400"),
    }


def test_a_later_batch_that_fails_stops_and_is_reported_with_the_refusals() -> None:
    paths = [f"p/{k:04}" for k in range(2500)]
    handler = _Deletes(refuse={"p/0001"}, fail_batch=2)
    with pytest.raises(DeleteObjectsError) as info:
        _branch(handler).delete_objects(paths)
    assert len(handler.batches) == 2  # the third batch is never sent
    failed = info.value.failed
    assert len(failed) == 1 + 1000
    assert isinstance(failed["p/0001"], PathRefusedError)
    assert isinstance(failed["p/1000"], ForbiddenError)
    assert isinstance(info.value.__cause__, ForbiddenError)


def test_a_first_batch_that_fails_raises_its_own_error() -> None:
    handler = _Deletes(refuse=set(), fail_batch=1, status=404)
    with pytest.raises(NotFoundError):
        _branch(handler).delete_objects(["a.csv", "b.csv"])


def test_a_folder_mirror_records_each_refused_delete_as_a_path_refused(
    tmp_path: pathlib.Path,
) -> None:
    listed = {
        "results": [
            {
                "path": name,
                "physical_address": "local://x",
                "checksum": "0" * 32,
                "size_bytes": 1,
                "mtime": 1,
                "path_type": "object",
            }
            for name in ("keep.txt", "stale.txt")
        ],
        "pagination": {"has_more": False, "next_offset": "", "results": 2, "max_per_page": 1000},
    }

    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/objects/ls"):
            return MockResponse.json(listed)
        if request.path == _DELETE:
            paths = json.loads(request.body)["paths"]
            assert paths == ["stale.txt"]
            return MockResponse.json({"errors": [{"path": "stale.txt", "message": "denied"}]})
        raise AssertionError(f"unexpected {request.method} {request.url}")

    (tmp_path / "src").mkdir()
    branch = lakefs.repository("repo", client=mock_client(handler)).branch("main")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        result = branch.upload_folder(
            tmp_path / "src", "", delete=True, exclude="keep.txt", progress=False, pre_signed=False
        )
    assert result.failed == {"stale.txt": PathRefusedError("denied", path="stale.txt")}
    with pytest.raises(TransferError, match=r"stale\.txt: denied"):
        result.raise_for_failures()
