"""Every resource method against a real lakeFS (replayed from cassettes by default)."""

from __future__ import annotations

import datetime
import io
import pathlib
from collections.abc import Callable

import pytest

import lakefs
from lakefs import (
    Branch,
    Change,
    Client,
    CommonPrefix,
    ConflictError,
    NotFoundError,
    ObjectInfo,
    ObjectNotFoundError,
    Reference,
    Repository,
    Tag,
    ValidationError,
)
from tests.conftest import Repo, Server, repo_name

pytestmark = pytest.mark.server("local")


@pytest.fixture
def repository(repo: Repo, client: Client) -> Repository:
    return lakefs.repository(repo.id, client=client)


def test_repository_create_exists_metadata_delete(
    server: Server, client: Client, run_id: str, request: pytest.FixtureRequest
) -> None:
    name = repo_name(request.node.nodeid)
    repo = lakefs.repository(name, client=client)
    assert repo.exists() is False
    namespace = server.storage_namespace(f"run-{run_id}/{name}")
    assert repo.create(namespace, default_branch_id="trunk") is repo
    assert repo.exists() is True
    with pytest.raises(ConflictError):
        repo.create(namespace)
    assert repo.get_or_create(namespace) is repo  # idempotent
    assert repo.metadata() == {}
    assert [b.id for b in repo.list_branches()] == ["trunk"]
    assert name in [r.id for r in lakefs.list_repositories(prefix=name, client=client)]
    repo.delete()
    # (lakeFS caches repositories for a few seconds, so a get may still find it: list instead)
    assert name not in [r.id for r in lakefs.list_repositories(prefix=name, client=client)]


def test_get_or_create_creates(
    server: Server, client: Client, run_id: str, request: pytest.FixtureRequest
) -> None:
    name = repo_name(request.node.nodeid)
    repo = lakefs.repository(name, client=client)
    created = repo.get_or_create(server.storage_namespace(f"run-{run_id}/{name}"))
    try:
        assert created.exists()
        assert created.branch("main").head().commit_message() == "Repository created"
    finally:
        repo.delete()


def test_resources_send_no_request_and_keep_their_client(
    client: Client, sent: Callable[[], int | None]
) -> None:
    repo = lakefs.repository("some-repo", client=client)
    branch = repo.branch("dev")
    assert isinstance(branch, Branch)
    assert (branch.repository_id, branch.id) == ("some-repo", "dev")
    assert branch.client is client
    assert repo.commit("abc123").client is client
    assert isinstance(repo.tag("v1"), Tag)
    commit = repo.commit("abc123")
    assert type(commit) is Reference
    assert not hasattr(commit, "upload")  # a commit has no write methods
    assert not hasattr(commit, "commit_changes")
    assert sent() in (0, None)


_MAIN = lakefs.repository("ok-repo").branch("main")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: lakefs.repository("Bad_Name"), "repository"),
        (lambda: lakefs.repository("ok-repo").branch("a/b"), "branch"),
        (lambda: lakefs.repository("ok-repo").tag("bad tag"), "tag"),
        (lambda: lakefs.repository("ok-repo").create("bucket/no-scheme"), "storage namespace"),
        (lambda: lakefs.repository("ok-repo").list_branches(max_amount=-1), "max_amount"),
        (lambda: _MAIN.commit_changes(""), "message"),
        (lambda: _MAIN.stat_object(3), "path"),  # type: ignore[arg-type]
        (lambda: _MAIN.upload(object(), "p"), "data"),  # type: ignore[arg-type]
        (lambda: _MAIN.merge_into("x", strategy="?"), "strategy"),
        (lambda: _MAIN.diff(42), "reference"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_fails_before_any_request(
    make: object, message: str, sent: Callable[[], int | None]
) -> None:
    with pytest.raises(ValidationError, match=message):
        make()  # type: ignore[operator]
    assert sent() in (0, None)


def test_branches_create_head_delete(repository: Repository) -> None:
    main = repository.branch("main")
    dev = repository.branch("dev").create(main)
    assert dev.head().id == main.head().id
    assert sorted(b.id for b in repository.list_branches()) == ["dev", "main"]
    assert [b.id for b in repository.list_branches(prefix="d")] == ["dev"]
    assert [b.id for b in repository.list_branches(after="dev")] == ["main"]
    assert [b.id for b in repository.list_branches(max_amount=1)] == ["dev"]
    assert list(repository.list_branches(max_amount=0)) == []
    with pytest.raises(ConflictError):
        repository.branch("dev").create("main")
    dev.delete()
    assert [b.id for b in repository.list_branches()] == ["main"]
    with pytest.raises(NotFoundError):
        dev.head()


def test_upload_stat_list_download_commit(repository: Repository, tmp_path: pathlib.Path) -> None:
    main = repository.branch("main")
    info = main.upload(b"hello", "data/a.txt", metadata={"owner": "me"})
    assert isinstance(info, ObjectInfo)
    assert (info.path, info.size_bytes(), info.content_type()) == ("data/a.txt", 5, "text/plain")
    main.upload("héllo", "data/b.csv", content_type="text/csv")
    main.upload(io.BytesIO(b"x" * 1000), "data/sub/c.bin")
    local = tmp_path / "local.json"
    local.write_text('{"k": 1}')
    assert main.upload(local, "d.json").content_type() == "application/json"
    main.upload(io.StringIO("text file"), "t.txt")

    stat = main.stat_object("data/a.txt")
    assert stat.metadata() == {"owner": "me"}
    assert stat.checksum() == "5d41402abc4b2a76b9719d911017c592"  # md5("hello")
    assert isinstance(stat.modified_time(), datetime.datetime)
    assert stat.modified_time().tzinfo is not None
    assert main.download("data/b.csv") == "héllo".encode()
    assert main.download("t.txt") == b"text file"

    top = list(main.list_objects())
    assert [(type(e).__name__, e.path) for e in top] == [
        ("ObjectInfo", "d.json"),
        ("CommonPrefix", "data/"),
        ("ObjectInfo", "t.txt"),
    ]
    assert isinstance(top[1], CommonPrefix)
    assert top[1].exists() is True
    flat = [e.path for e in main.list_objects(prefix="data/", delimiter="")]
    assert flat == ["data/a.txt", "data/b.csv", "data/sub/c.bin"]
    assert [e.path for e in main.list_objects(prefix="data/", after="data/a.txt")] == [
        "data/b.csv",
        "data/sub/",
    ]
    sizes = {e.path: e.size_bytes() for e in main.list_objects(prefix="data/", delimiter="")}
    assert sizes == {"data/a.txt": 5, "data/b.csv": 6, "data/sub/c.bin": 1000}

    uncommitted = sorted(main.list_uncommitted(), key=lambda c: c.path)
    assert all(isinstance(c, Change) for c in uncommitted)
    assert [(c.type, c.path) for c in uncommitted][:2] == [
        ("added", "d.json"),
        ("added", "data/a.txt"),
    ]
    commit = main.commit_changes("add data", metadata={"source": "test"})
    assert isinstance(commit, Reference)
    assert commit.commit_message() == "add data"
    assert commit.metadata() == {"source": "test"}
    assert list(main.list_uncommitted()) == []
    assert commit.download("data/a.txt") == b"hello"
    assert [c.id for c in main.log(max_amount=2)] == [commit.id, main.log().to_list()[1].id]
    with pytest.raises(ObjectNotFoundError):
        main.stat_object("missing")
    assert lakefs.ObjectInfo(repository.id, "main", "missing", client=main.client).exists() is False


def test_diff_merge_tag_reset_revert(repository: Repository) -> None:
    main = repository.branch("main")
    main.upload(b"base", "base.txt")
    base = main.commit_changes("base")
    dev = repository.branch("dev").create(main)
    dev.upload(b"feature", "feature.txt")
    dev.upload(b"changed", "base.txt")
    dev.commit_changes("feature")
    changes = list(main.diff(dev))
    assert changes == [
        Change("changed", "base.txt", "object", 7),
        Change("added", "feature.txt", "object", 7),
    ]
    assert [(c.type, c.path) for c in dev.diff("main")] == [
        ("changed", "base.txt"),
        ("removed", "feature.txt"),
    ]
    merged = dev.merge_into(main, message="merge dev", metadata={"k": "v"})
    assert merged.commit_message() == "merge dev"
    assert main.head().id == merged.id
    assert main.download("feature.txt") == b"feature"

    tag = repository.tag("v1").create(base)
    assert tag.download("base.txt") == b"base"
    assert [t.id for t in repository.list_tags()] == ["v1"]
    with pytest.raises(ConflictError):
        repository.tag("v1").create("main")
    tag.delete()
    assert list(repository.list_tags()) == []

    main.upload(b"scratch", "scratch.txt")
    main.upload(b"scratch", "tmp/a.txt")
    main.reset("scratch.txt")
    assert [c.path for c in main.list_uncommitted()] == ["tmp/a.txt"]
    main.reset("tmp/")
    main.upload(b"x", "y.txt")
    main.reset()
    assert list(main.list_uncommitted()) == []

    main.upload(b"to revert", "r.txt")
    to_revert = main.commit_changes("add r")
    main.reverse(to_revert)
    with pytest.raises(ObjectNotFoundError):
        main.stat_object("r.txt")
    assert main.head().commit_message().startswith("Revert")


def test_copy_and_delete_objects(repository: Repository) -> None:
    main = repository.branch("main")
    main.upload(b"source", "src.txt")
    main.commit_changes("src")
    copied = main.copy_object("main", "src.txt", "dst.txt")
    assert copied.path == "dst.txt"
    assert main.download("dst.txt") == b"source"
    assert main.copy_object(main.head(), "src.txt").path == "src.txt"
    main.delete_objects("dst.txt")
    assert not main.stat_object("src.txt").path.startswith("dst")
    for i in range(3):
        main.upload(b"x", f"many/{i}.txt")
    main.delete_objects(f"many/{i}.txt" for i in range(3))
    main.delete_objects(["never-existed.txt"])  # missing paths are ignored
    assert [e.path for e in main.list_objects(prefix="many/")] == []
    info = main.upload(b"bye", "bye.txt")
    info.delete()
    assert info.exists() is False


def test_object_info_costs_one_stat_and_listings_cost_none(
    repository: Repository, sent: Callable[[], int | None]
) -> None:
    main = repository.branch("main")
    main.upload(b"12345", "o.txt", content_type="text/x-test", metadata={"a": "b"})
    before = sent()
    info = ObjectInfo(repository.id, "main", "o.txt", client=main.client)
    assert (info.size_bytes(), info.content_type(), info.metadata()) == (
        5,
        "text/x-test",
        {"a": "b"},
    )
    assert info.physical_address().startswith("local://")
    assert len(info.checksum()) == 32
    listed = next(iter(main.list_objects()))
    assert isinstance(listed, ObjectInfo)
    assert (listed.size_bytes(), listed.metadata()) == (5, {"a": "b"})
    if before is not None:
        assert sent() == before + 2  # one stat, one list


def test_delete_objects_batches_past_the_server_limit(
    repository: Repository, sent: Callable[[], int | None]
) -> None:
    main = repository.branch("main")
    before = sent()
    main.delete_objects(f"missing/{i}" for i in range(1_005))  # missing paths are ignored
    if before is not None:
        assert sent() == before + 2


def test_an_empty_commit_is_a_clear_bad_request(repository: Repository) -> None:
    with pytest.raises(lakefs.BadRequestError, match="no changes"):
        repository.branch("main").commit_changes("nothing")


def test_per_call_headers_reach_the_request(repository: Repository) -> None:
    # On replay, the X-Test-* matcher fails the test if the header is not sent again.
    assert repository.metadata(extra_headers={"X-Test-Header": "seen"}, timeout=30) == {}
