"""lakefs-spec's public API on ``lakefs://`` (issue 19): implicit branch creation."""

from __future__ import annotations

from pathlib import Path

import pytest

import lakefs
from lakefs import Client
from lakefs._fs_transaction import EphemeralBranchTransaction
from lakefs.fs import LakeFSFileSystem, ReadOnlyReferenceError
from tests.conftest import Repo

pytestmark = pytest.mark.server("local")


def _address(client: Client, repo: Repo, key: str) -> str:
    """Where the object's bytes live: every upload stores them anew."""
    stats = lakefs.repository(repo.id, client=client).branch("main").stat_object(key)
    return str(stats.physical_address())


def _identity(path: Path) -> tuple[int, int]:
    """A local file's inode and mtime: a download writes a new file and renames it."""
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


def _fs(client: Client, **options: object) -> LakeFSFileSystem:
    return LakeFSFileSystem(client=client, max_workers=1, skip_instance_cache=True, **options)


def test_branches_are_created_on_write_only_when_asked(client: Client, repo: Repo) -> None:
    repository = lakefs.repository(repo.id, client=client)
    main = repository.branch("main")
    main.upload(b"seed", "seed.txt")
    main.commit_changes("seed")
    off = _fs(client)  # the default: a typo fails, creates nothing
    with pytest.raises(FileNotFoundError):
        off.pipe_file(f"{repo.id}/typo/a.txt", b"x")
    assert not off.exists(f"{repo.id}/typo")

    on = _fs(client, create_branch_ok=True)
    on.pipe_file(f"{repo.id}/new/a.txt", b"x")
    assert on.cat_file(f"{repo.id}/new/seed.txt") == b"seed"  # from main
    with on.open(f"{repo.id}/opened/b.txt", "wb") as f:
        f.write(b"y")
    assert on.cat_file(f"{repo.id}/opened/b.txt") == b"y"
    on.pipe_file(f"{repo.id}/new/c.txt", b"z")  # an existing branch is written, not moved
    assert sorted(on.ls(f"{repo.id}/new", detail=False)) == [
        f"{repo.id}/new/a.txt",
        f"{repo.id}/new/c.txt",
        f"{repo.id}/new/seed.txt",
    ]
    on.rm_file(f"{repo.id}/new/a.txt")
    with pytest.raises(FileNotFoundError):  # a removal creates nothing
        on.rm_file(f"{repo.id}/nowhere/a.txt")
    with pytest.raises(FileNotFoundError):  # nor does a copy (as in lakefs-spec)
        on.cp_file(f"{repo.id}/main/seed.txt", f"{repo.id}/copied/seed.txt")

    repository.branch("dev").create(main)
    repository.branch("dev").upload(b"dev only", "dev.txt")
    repository.branch("dev").commit_changes("dev")
    from_dev = _fs(client, create_branch_ok=True, source_branch="dev")
    from_dev.pipe_file(f"{repo.id}/feature/x.txt", b"x")
    assert from_dev.cat_file(f"{repo.id}/feature/dev.txt") == b"dev only"

    repository.tag("v1").create(main)
    with pytest.raises(ReadOnlyReferenceError):  # a tag stays read-only
        on.pipe_file(f"{repo.id}/v1/x.txt", b"x")
    assert (off.create_branch_ok, on.create_branch_ok) == (False, True)


def test_precheck_skips_transfers_whose_checksum_matches(
    client: Client, repo: Repo, tmp_path: Path
) -> None:
    fs = _fs(client, pre_signed=False)
    root = f"{repo.id}/main"
    local = tmp_path / "a.bin"
    local.write_bytes(b"same bytes")
    fs.put_file(str(local), f"{root}/a.bin")
    first = _address(client, repo, "a.bin")
    fs.put_file(str(local), f"{root}/a.bin")  # on by default: the same content is not sent
    fs.put(str(local), f"{root}/a.bin")
    assert _address(client, repo, "a.bin") == first
    fs.put_file(str(local), f"{root}/a.bin", precheck=False)
    second = _address(client, repo, "a.bin")
    assert second != first
    fs.put_file(str(local), f"{root}/a.bin", metadata={"k": "v"})  # new metadata: sent
    assert fs.info(f"{root}/a.bin")["metadata"] == {"k": "v"}
    local.write_bytes(b"other byte")  # the same size, other content: sent
    fs.put_file(str(local), f"{root}/a.bin")
    assert fs.cat_file(f"{root}/a.bin") == b"other byte"

    out = tmp_path / "out.bin"
    fs.get_file(f"{root}/a.bin", str(out))
    assert out.read_bytes() == b"other byte"
    kept = _identity(out)
    fs.get_file(f"{root}/a.bin", str(out))  # unchanged: not downloaded again
    fs.get(f"{root}/a.bin", str(out))
    assert _identity(out) == kept
    fs.get_file(f"{root}/a.bin", str(out), precheck=False)
    assert _identity(out) != kept
    out.write_bytes(b"local edit")
    fs.get_file(f"{root}/a.bin", str(out))
    assert out.read_bytes() == b"other byte"
    with pytest.raises(lakefs.ValidationError, match="precheck"):
        fs.pipe_file(f"{root}/b", b"x", precheck=True)


def test_ls_recursive_lists_everything_below(client: Client, repo: Repo) -> None:
    fs = _fs(client)
    root = f"{repo.id}/main"
    for key in ("dir/a", "dir/sub/b", "dir-sibling/c", "top"):
        fs.pipe_file(f"{root}/{key}", b"x")
    assert sorted(fs.ls(f"{root}/dir", recursive=True, detail=False)) == [
        f"{root}/dir/a",
        f"{root}/dir/sub",
        f"{root}/dir/sub/b",
    ]
    assert sorted(fs.ls(f"{root}/dir/", detail=False)) == [f"{root}/dir/a", f"{root}/dir/sub"]
    entries = fs.ls(root, recursive=True)
    assert {e["name"]: e["type"] for e in entries}[f"{root}/dir/sub"] == "directory"
    assert len(entries) == 7
    assert fs.ls(f"{root}/top", recursive=True, detail=False) == [f"{root}/top"]


# -- lakefs-spec's transaction shape (its documentation's examples, on our filesystem) --------


def _exists(client: Client, repo: Repo, branch: str) -> bool:
    return lakefs.repository(repo.id, client=client).branch(branch).exists()


def test_spec_transaction_commits_tags_and_merges(client: Client, repo: Repo) -> None:
    fs = _fs(client)
    fs.pipe_file(f"{repo.id}/main/seed.txt", b"seed")
    lakefs.repository(repo.id, client=client).branch("main").commit_changes("seed")
    with fs.transaction(repo.id, "main", branch_name="tx-data") as tx:
        assert tx.branch.id == "tx-data"
        assert tx.base_branch.id == "main"
        assert fs.cat_file(f"{repo.id}/{tx.branch.id}/seed.txt") == b"seed"
        fs.pipe_file(f"{repo.id}/{tx.branch.id}/data.csv", b"a,b\n1,2\n")
        commit = tx.commit("add data", metadata={"source": "test"})
        tag = tx.tag(commit, "v1")
        assert not fs.exists(f"{repo.id}/main/data.csv")  # nothing reaches main before the end
    assert fs.cat_file(f"{repo.id}/main/data.csv") == b"a,b\n1,2\n"  # automerged
    assert not _exists(client, repo, "tx-data")  # "onsuccess": deleted
    tagged = tx.rev_parse(tag)
    assert tagged.id == commit.id
    assert tagged.message == "add data"
    assert tagged.metadata == {"source": "test"}
    assert tx.rev_parse("main").parents[1] == commit.id  # a merge commit


def test_spec_transaction_merge_revert_and_rev_parse(client: Client, repo: Repo) -> None:
    fs = _fs(client)
    with fs.transaction(repository=repo.id, branch_name="tx-ops", squash=True) as tx:
        fs.pipe_file(f"{repo.id}/tx-ops/a.txt", b"1")
        first = tx.commit("one")
        fs.pipe_file(f"{repo.id}/tx-ops/b.txt", b"2")
        second = tx.commit("two")
        assert tx.rev_parse("tx-ops").id == second.id
        assert tx.rev_parse("tx-ops~1").id == first.id
        reverted = tx.revert(tx.branch, second)
        assert reverted.parents == (second.id,)
        assert not fs.exists(f"{repo.id}/tx-ops/b.txt")
        unchanged = tx.commit("nothing to commit")  # the head, with a logged warning
        assert unchanged.id == reverted.id
        merged = tx.merge(tx.branch, "main", message="merged by hand")
        assert merged.message == "merged by hand"
        assert tx.merge("tx-ops", "main").id == merged.id  # nothing more to bring: no merge
    assert fs.cat_file(f"{repo.id}/main/a.txt") == b"1"  # the automerge had nothing to add
    assert not fs.exists(f"{repo.id}/main/b.txt")
    assert tx.rev_parse("main").id == merged.id


def test_spec_transaction_warns_and_keeps_branches_as_told(client: Client, repo: Repo) -> None:
    fs = _fs(client)
    left = fs.transaction(repo.id, "main", branch_name="tx-left", delete="never")
    with pytest.warns(UserWarning, match=r"'tx-left' with uncommitted changes\.$"), left:
        fs.pipe_file(f"{repo.id}/tx-left/x.txt", b"x")
    assert _exists(client, repo, "tx-left")  # kept: "never"
    assert not fs.exists(f"{repo.id}/main/x.txt")  # uncommitted changes are not merged

    def fail(tx: EphemeralBranchTransaction, key: str, commit: bool) -> None:
        with tx:
            fs.pipe_file(f"{repo.id}/{tx.branch.id}/{key}", b"y")
            if commit:
                tx.commit(key)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail(fs.transaction(repo.id, "main", branch_name="tx-failed"), "y.txt", commit=True)
    assert _exists(client, repo, "tx-failed")  # "onsuccess": kept after a failure
    assert not fs.exists(f"{repo.id}/main/y.txt")  # and nothing merged

    gone = fs.transaction(repo.id, "main", branch_name="tx-gone", delete="always")
    with pytest.warns(UserWarning, match="are lost"), pytest.raises(RuntimeError):
        fail(gone, "z.txt", commit=False)
    assert not _exists(client, repo, "tx-gone")  # "always": deleted even so

    with fs.transaction(repo.id, "main", branch_name="tx-kept", automerge=False) as tx:
        fs.pipe_file(f"{repo.id}/tx-kept/k.txt", b"k")
        tx.commit("k")
    assert not fs.exists(f"{repo.id}/main/k.txt")  # no automerge
    assert not _exists(client, repo, "tx-kept")

    missing = fs.transaction("no-such-repository", "main", branch_name="tx")
    with pytest.raises(FileNotFoundError, match="no-such-repository"), missing:
        pass


def test_our_transaction_creates_a_missing_branch_when_allowed(client: Client, repo: Repo) -> None:
    fs = _fs(client, create_branch_ok=True)
    fs.pipe_file(f"{repo.id}/main/seed.txt", b"seed")
    lakefs.repository(repo.id, client=client).branch("main").commit_changes("seed")
    with fs.transaction("write a new branch", txn_id=lambda: "nb"):
        fs.pipe_file(f"{repo.id}/fresh/a.txt", b"a")
    assert fs.cat_file(f"{repo.id}/fresh/a.txt") == b"a"
    assert fs.cat_file(f"{repo.id}/fresh/seed.txt") == b"seed"


def test_open_refuses_options_it_cannot_honour(client: Client, repo: Repo) -> None:
    fs = _fs(client)
    path = f"{repo.id}/main/o.bin"
    with fs.open(path, "wb", metadata={"k": "v"}, content_type="text/x-o") as f:
        f.write(b"o")
    info = fs.info(path)
    assert (info["metadata"], info["content_type"]) == ({"k": "v"}, "text/x-o")
    with fs.open(path, "rb", cache_type="readahead") as f:  # Dask and fsspec.parquet pass it
        assert f.read() == b"o"
    with pytest.raises(lakefs.ValidationError, match="version_id"):
        fs.open(path, "rb", version_id="abc")
    with pytest.raises(lakefs.ValidationError, match="acl"):
        fs.open(path, "wb", acl="public-read")
    assert fs.cat_file(path) == b"o"  # the refused write sent nothing
