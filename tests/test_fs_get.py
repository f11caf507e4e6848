"""lakefs://'s get and get_file keep to the destination as download_folder does: hostile object
names and symbolic links are refused file by file, with typed errors, whatever fsspec's version.
"""

from __future__ import annotations

import os
from pathlib import Path

import fsspec.spec
import pytest

import lakefs
from lakefs import Client, ValidationError
from lakefs.fs import LakeFSFileSystem
from tests.conftest import Repo

pytestmark = pytest.mark.server("local")

# Names lakeFS stores that no file below a folder may have (as download_folder refuses them).
HOSTILE = ["../escaped.txt", "a/../../escaped.txt", "/abs", "a//b", "x\0y", "..", "p/../x", "x/.."]
LONG = "n" * 300  # a part longer than a file name may be


@pytest.fixture
def fs(client: Client, workers: int) -> LakeFSFileSystem:
    return LakeFSFileSystem(client=client, max_workers=workers, skip_instance_cache=True)


def _outside(tmp_path: Path) -> list[str]:
    """Files written anywhere below tmp_path but not below a destination (dest-*)."""
    return sorted(
        str(p.relative_to(tmp_path))
        for p in tmp_path.rglob("*")
        if p.is_file() and not p.relative_to(tmp_path).parts[0].startswith("dest-")
    )


def test_get_refuses_every_hostile_name_file_by_file(
    fs: LakeFSFileSystem, repo: Repo, client: Client, tmp_path: Path
) -> None:
    _refuses_every_hostile_name(fs, repo, client, tmp_path)


def test_get_refuses_them_whatever_fsspecs_version(
    fs: LakeFSFileSystem,
    repo: Repo,
    client: Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # fsspec before 2026.9 (fsspec>=2025.5.0 allows it) checked nothing: nor must we rely on it
    monkeypatch.setattr(fsspec.spec, "check_contained", lambda *a: None, raising=False)
    _refuses_every_hostile_name(fs, repo, client, tmp_path)


def _refuses_every_hostile_name(
    fs: LakeFSFileSystem, repo: Repo, client: Client, tmp_path: Path
) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    main.upload(b"fine", "src/ok/fine.txt")
    for i, name in enumerate([*HOSTILE, LONG]):
        main.upload(b"hostile", f"src/{name}")
        dest = tmp_path / f"dest-{i}"
        with pytest.raises(ValidationError, match="cannot be a file below") as info:
            fs.get(f"{repo.id}/main/src", str(dest), recursive=True)
        assert isinstance(info.value, ValueError)  # a ValidationError is a ValueError too
        assert _outside(tmp_path) == [], name
        assert not any("hostile" in p.read_text() for p in dest.rglob("*") if p.is_file())
        main.delete_objects([f"src/{name}"])
    dest = tmp_path / "clean"
    fs.get(f"{repo.id}/main/src", str(dest), recursive=True)
    assert (dest / "ok" / "fine.txt").read_bytes() == b"fine"


def test_get_never_writes_through_a_symbolic_link_in_the_destination(
    fs: LakeFSFileSystem, repo: Repo, client: Client, tmp_path: Path
) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    main.upload(b"1", "src/sub/one.txt")
    main.upload(b"2", "src/file.txt")
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "src").mkdir()
    (dest / "src" / "sub").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValidationError, match="symbolic link"):
        fs.get(f"{repo.id}/main/src", str(dest), recursive=True)  # into dest/src/
    assert list(outside.iterdir()) == []
    (dest / "file.txt").symlink_to(outside / "target.txt")
    with pytest.raises(ValidationError, match="symbolic link"):
        fs.get(f"{repo.id}/main/src/file.txt", str(dest) + "/")
    assert list(outside.iterdir()) == []
    # a destination the caller names is theirs: a link there is refused, not followed
    with pytest.raises(ValidationError, match="symbolic link"):
        fs.get_file(f"{repo.id}/main/src/file.txt", str(dest / "file.txt"))
    assert list(outside.iterdir()) == []
    assert os.path.islink(dest / "file.txt")


def test_get_file_writes_where_the_caller_says(
    fs: LakeFSFileSystem, repo: Repo, client: Client, tmp_path: Path
) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    main.upload(b"data", "p/../x")  # the remote name does not decide a named destination
    fs.get_file(f"{repo.id}/main/p/../x", str(tmp_path / "new" / "named.bin"))
    assert (tmp_path / "new" / "named.bin").read_bytes() == b"data"
    fs.get([f"{repo.id}/main/p/../x"], [str(tmp_path / "listed.bin")])
    assert (tmp_path / "listed.bin").read_bytes() == b"data"
    assert not list(tmp_path.rglob("*.lakefs-part"))
