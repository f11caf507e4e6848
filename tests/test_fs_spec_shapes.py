"""Which ``fs.transaction(...)`` a call gets, ours or lakefs-spec's, decided before any request."""

from __future__ import annotations

import pytest

import lakefs
from lakefs import ValidationError
from lakefs._fs_transaction import EphemeralBranchTransaction, LakeFSTransaction
from lakefs.fs import LakeFSFileSystem


@pytest.fixture
def fs() -> LakeFSFileSystem:
    # Nothing listens on port 9: a request sent would fail the test.
    return LakeFSFileSystem(
        host="http://127.0.0.1:9",
        username="AKIAEXAMPLE",
        password="secret",
        skip_instance_cache=True,
    )


def test_a_message_alone_is_ours(fs: LakeFSFileSystem) -> None:
    tx = fs.transaction("add partition 7", {"k": "v"})
    assert isinstance(tx, LakeFSTransaction)
    assert tx.message == "add partition 7"
    assert fs.transaction is tx  # with fs.transaction: keeps working
    with pytest.raises(AttributeError, match=r"lakefs-spec's transaction.*repository, base_branch"):
        tx.branch  # noqa: B018
    with pytest.raises(AttributeError, match="lakefs-spec"):
        tx.commit("x")
    with pytest.raises(AttributeError) as missing:
        tx.nothing_at_all  # noqa: B018
    assert "lakefs-spec" not in str(missing.value)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("repo-x", "main"), {}),
        (("repo-x",), {"base_branch": "main"}),
        ((), {"repository": "repo-x"}),
        (("repo-x",), {"automerge": False}),
        ((lakefs.Repository("repo-x"),), {}),
        (("repo-x", lakefs.Branch("repo-x", "main")), {}),
    ],
)
def test_lakefs_spec_shapes_are_recognised(
    fs: LakeFSFileSystem, args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    tx = fs.transaction(*args, **kwargs)  # type: ignore[call-overload]
    assert isinstance(tx, EphemeralBranchTransaction)
    assert (tx.repository, tx.base_branch.id) == ("repo-x", "main")
    assert tx.branch.id.startswith("transaction-")
    assert tx.branch.repository_id == "repo-x"
    assert fs.transaction(*args, **kwargs).branch.id != tx.branch.id  # type: ignore[call-overload]


def test_spec_options_are_checked_before_any_request(fs: LakeFSFileSystem) -> None:
    with pytest.raises(ValidationError, match=r"message belong to fs.transaction\('message'\)"):
        fs.transaction(repository="repo-x", message="m")  # type: ignore[call-overload]
    with pytest.raises(ValidationError, match="delete must be"):
        fs.transaction("repo-x", "main", delete="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not bogus"):
        fs.transaction("repo-x", "main", merge_kwargs={"bogus": 1})
    with pytest.raises(ValidationError, match="branch_id"):
        fs.transaction("repo-x", "main", "bad branch name")
    tx = fs.transaction("repo-x", "main", merge_kwargs={"squash_merge": True, "message": "m"})
    assert tx.merge_kwargs == {"squash": True, "message": "m"}
    assert fs.transaction("repo-x", "main", squash=True).merge_kwargs == {"squash": True}
    assert "base_branch='main'" in repr(tx)
