"""What lakeFS users do every day, in both configurations: commit details, log filters, squash
merges, cherry-picks, reverts, idempotent creates, merge bases, three-dot diffs, metadata updates
and pre-signed URLs."""

from __future__ import annotations

import datetime

import pytest

import lakefs
from lakefs import (
    Branch,
    Client,
    Commit,
    ConflictError,
    PresignNotSupportedError,
    Reference,
    RepositoryProperties,
    ValidationError,
)
from tests.conftest import Repo, Server

BOTH = [
    pytest.param("local", marks=pytest.mark.server("local"), id="local"),
    pytest.param("s3", marks=pytest.mark.server("s3"), id="s3"),
]


@pytest.fixture(params=BOTH)
def main(request: pytest.FixtureRequest, repo: Repo, client: Client) -> Branch:
    branch = lakefs.repository(repo.id, client=client).branch("main")
    branch.upload(b"base", "base.txt")
    branch.commit_changes("base", metadata={"k": "v"})
    return branch


def test_a_commit_and_the_log_that_carries_it(main: Branch) -> None:
    head = main.head()
    commit = head.get_commit()
    assert isinstance(commit, Commit)
    assert (commit.id, commit.message, commit.metadata) == (head.id, "base", {"k": "v"})
    assert len(commit.parents) == 1
    assert commit.committer
    assert commit.creation_date.tzinfo == datetime.timezone.utc
    assert commit.meta_range_id
    with pytest.raises(AttributeError):
        commit.message = "changed"  # type: ignore[misc]
    entries = main.log(max_amount=2).to_list()
    assert entries[0].id == head.id
    assert entries[0].get_commit() == commit  # carried: equal to the fetched one
    assert entries[0].commit_message() == "base"
    assert entries[0].metadata() == {"k": "v"}


def test_log_filters(main: Branch) -> None:
    main.upload(b"a", "dir/a.txt")
    first = main.commit_changes("add a")
    main.upload(b"b", "other/b.txt")
    second = main.commit_changes("add b")
    assert [c.id for c in main.log(objects=["dir/a.txt"])] == [first.id]
    assert [c.id for c in main.log(prefixes=["other/"])] == [second.id]
    assert [c.id for c in main.log(stop_at=first)] == [second.id, first.id]  # stops there
    future = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
    assert main.log(since=future).to_list() == []
    past = datetime.datetime(2000, 1, 1)  # naive: taken as UTC
    assert [c.id for c in main.log(since=past, max_amount=2)] == [second.id, first.id]
    with pytest.raises(ValidationError):
        main.log(since="yesterday")  # type: ignore[arg-type]


def test_commit_options_and_merges(main: Branch) -> None:
    empty = main.commit_changes("nothing", allow_empty=True, date=1_600_000_000)
    assert empty.get_commit().creation_date == datetime.datetime(
        2020, 9, 13, 12, 26, 40, tzinfo=datetime.timezone.utc
    )
    repo = lakefs.repository(main.repository_id, client=main.client)
    feature = repo.branch("feature").create(main)
    feature.upload(b"1", "f1.txt")
    feature.commit_changes("f1")
    feature.upload(b"2", "f2.txt")
    feature.commit_changes("f2")
    assert feature.find_merge_base(main).id == main.head().id
    three = [c.path for c in main.diff(feature, diff_type="three_dot")]
    assert sorted(three) == ["f1.txt", "f2.txt"]
    squashed = feature.merge_into(main, message="squash it", squash=True)
    assert isinstance(squashed, Reference)
    assert len(squashed.get_commit().parents) == 1  # a squash merge has one parent
    assert main.download("f2.txt") == b"2"
    again = feature.merge_into(main, allow_empty=True, force=True)
    assert again.id == main.head().id
    with pytest.raises(ValidationError):
        main.diff(feature, diff_type="four_dot")


def test_cherry_pick_and_reverse_return_the_new_commit(main: Branch) -> None:
    repo = lakefs.repository(main.repository_id, client=main.client)
    side = repo.branch("side").create(main)
    side.upload(b"picked", "picked.txt")
    pick = side.commit_changes("to pick")
    new = main.cherry_pick(pick)
    assert new.id == main.head().id != pick.id
    assert new.commit_message() == "to pick"
    assert main.download("picked.txt") == b"picked"
    undone = main.reverse(new)
    assert undone.id == main.head().id
    with pytest.raises(lakefs.ObjectNotFoundError):
        main.stat_object("picked.txt")


def test_exist_ok_returns_what_exists_and_never_moves_it(main: Branch, repo: Repo) -> None:
    repository = lakefs.repository(repo.id, client=main.client)
    props = repository.properties()
    assert isinstance(props, RepositoryProperties)
    assert (props.id, props.default_branch) == (repo.id, "main")
    assert props.storage_namespace
    assert props.creation_date.tzinfo == datetime.timezone.utc
    assert repository.create(props.storage_namespace, exist_ok=True) is repository
    with pytest.raises(ConflictError):
        repository.create(props.storage_namespace)
    before = main.head().id
    tag = repository.tag("v1").create(main)
    main.upload(b"later", "later.txt")
    main.commit_changes("later")
    assert repository.branch("main").create("v1", exist_ok=True).head().id == main.head().id
    assert main.head().id != before
    assert repository.tag("v1").create(main, exist_ok=True).get_commit().id == before
    with pytest.raises(ConflictError):
        tag.create(main)
    assert (tag.exists(), repository.tag("v2").exists()) == (True, False)
    assert (main.exists(), repository.branch("nope").exists()) == (True, False)


def test_update_object_metadata(main: Branch) -> None:
    main.upload(b"content", "m.txt", metadata={"old": "1"})
    main.update_object_metadata("m.txt", {"new": "2", "note": "é"})
    info = main.stat_object("m.txt")
    assert info.metadata() == {"new": "2", "note": "é"}
    assert main.download("m.txt") == b"content"
    with pytest.raises(ValidationError):
        main.update_object_metadata("m.txt", {"Bad Key": "x"})


def test_presigned_url(main: Branch, server: Server) -> None:
    if not lakefs.ServerConfiguration(main.client).pre_sign_support():
        with pytest.raises(PresignNotSupportedError):
            main.presigned_url("base.txt")
        return
    url = main.presigned_url("base.txt")
    answer = server.http().request("GET", url)  # no credentials of any kind
    assert (answer.status, answer.data) == (200, b"base")
