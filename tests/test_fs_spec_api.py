"""lakefs-spec's public API on ``lakefs://`` (issue 19): implicit branch creation."""

from __future__ import annotations

from pathlib import Path

import pytest

import lakefs
from lakefs import Client
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
