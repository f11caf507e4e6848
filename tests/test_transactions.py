"""Branch transactions against a real lakeFS."""

from __future__ import annotations

import itertools

import pytest

import lakefs
from lakefs import Branch, BranchTransaction, Client, ObjectNotFoundError, TransactionError
from tests.conftest import Repo

pytestmark = pytest.mark.server("local")


@pytest.fixture
def main(repo: Repo, client: Client) -> Branch:
    branch = lakefs.repository(repo.id, client=client).branch("main")
    branch.upload(b"base", "base.txt")
    branch.commit_changes("base")
    return branch


def _ids() -> itertools.count[int]:
    return itertools.count(1)


def _branch_ids(main: Branch) -> list[str]:
    return sorted(
        b.id for b in lakefs.repository(main.repository_id, client=main.client).list_branches()
    )


def test_success_commits_merges_and_cleans_up(main: Branch) -> None:
    before = main.head().id
    transaction = main.transaction("txn work", metadata={"k": "v"}, txn_id=lambda: "t1")
    assert isinstance(transaction, BranchTransaction)
    with transaction as tx:
        assert tx.id == "main-txn-t1"
        tx.upload(b"new", "new.txt")
        with tx.open("text.txt", "w") as f:
            f.write("hello world")
        tx.delete_objects("base.txt")
        assert tx.download("new.txt") == b"new"
        with pytest.raises(ObjectNotFoundError):  # isolation: the source sees nothing yet
            main.stat_object("new.txt")
        assert main.download("base.txt") == b"base"
        assert sorted(c.path for c in tx.list_uncommitted()) == ["base.txt", "new.txt", "text.txt"]
    assert main.download("new.txt") == b"new"
    assert main.download("text.txt") == b"hello world"
    with pytest.raises(ObjectNotFoundError):
        main.stat_object("base.txt")
    assert transaction.merge_commit is not None
    assert main.head().id == transaction.merge_commit.id
    assert main.head().id != before
    messages = [c.commit_message() for c in main.log(max_amount=2)]
    assert messages[1] == "txn work"
    assert _branch_ids(main) == ["main"]  # the ephemeral branch is gone


def _fail_inside(main: Branch) -> None:
    with main.transaction("t", txn_id=lambda: "t2") as tx:
        tx.upload(b"half", "half.txt")
        raise ValueError("something broke")


def _conflict(main: Branch) -> None:
    with main.transaction("t", txn_id=lambda: "t3") as tx:
        tx.upload(b"from the transaction", "base.txt")
        main.upload(b"changed meanwhile", "base.txt")
        main.commit_changes("concurrent change")


def test_an_exception_in_the_body_keeps_the_source_and_the_branch(main: Branch) -> None:
    before = main.head().id
    with pytest.raises(TransactionError) as info:
        _fail_inside(main)
    err = info.value
    assert isinstance(err.__cause__, ValueError)
    assert err.branch_id == "main-txn-t2"
    assert "main-txn-t2" in str(err)
    assert ".delete()" in str(err)  # says how to clean up
    assert main.head().id == before
    kept = lakefs.repository(main.repository_id, client=main.client).branch("main-txn-t2")
    assert [c.path for c in kept.list_uncommitted()] == ["half.txt"]


def test_a_conflict_with_the_source_fails_cleanly(main: Branch) -> None:
    with pytest.raises(TransactionError) as info:
        _conflict(main)
    assert isinstance(info.value.__cause__, lakefs.ConflictError)
    assert main.download("base.txt") == b"changed meanwhile"
    assert "main-txn-t3" in _branch_ids(main)


def test_an_empty_transaction_merges_nothing(main: Branch) -> None:
    before = main.head().id
    transaction = main.transaction("nothing", txn_id=lambda: "t4")
    with transaction as tx:
        assert tx.download("base.txt") == b"base"
    assert transaction.merge_commit is None
    assert main.head().id == before
    assert _branch_ids(main) == ["main"]


def test_two_transactions_one_after_another(main: Branch) -> None:
    counter = _ids()
    for i in (1, 2):
        with main.transaction(f"txn {i}", txn_id=lambda: f"n{next(counter)}") as tx:
            tx.upload(f"v{i}".encode(), "v.txt")
    assert main.download("v.txt") == b"v2"
    assert [c.commit_message() for c in main.log(max_amount=4)][1::2] == ["txn 2", "txn 1"]
    assert _branch_ids(main) == ["main"]


def test_ctrl_c_in_the_body_propagates_as_itself(
    main: Branch, caplog: pytest.LogCaptureFixture
) -> None:
    before = main.head().id

    def body() -> None:
        with main.transaction("m", txn_id=lambda: "kb") as tx:
            tx.upload(b"half", "half.txt")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        body()
    assert main.head().id == before  # nothing merged
    assert _branch_ids(main) == ["main", "main-txn-kb"]  # kept for inspection, and named:
    assert any("main-txn-kb" in r.getMessage() for r in caplog.records)


def test_ctrl_c_while_the_branch_is_created_leaves_no_branch(
    main: Branch, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Branch.create

    def create_then_interrupt(self: Branch, *args: object, **kwargs: object) -> Branch:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # as if Ctrl-C arrived while the answer was read

    monkeypatch.setattr(Branch, "create", create_then_interrupt)
    with pytest.raises(KeyboardInterrupt), main.transaction("m", txn_id=lambda: "kc"):
        pytest.fail("the body must not run")
    monkeypatch.undo()
    assert _branch_ids(main) == ["main"]
