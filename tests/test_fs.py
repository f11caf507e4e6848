"""lakefs.fs.LakeFSFileSystem: paths, listings, errors, transfers and transactions."""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import fsspec
import pytest
from fsspec.callbacks import Callback

import lakefs
import lakefs._fs_cache
import lakefs._fs_transfers
from lakefs import Client, TransactionError
from lakefs.fs import LakeFSFileSystem, ReadOnlyReferenceError
from lakefs.lib.folders import TransferRun
from lakefs.testing import MockRequest, MockResponse, mock_client
from tests.conftest import Repo, Server

pytestmark = pytest.mark.server("local")


@pytest.fixture
def fs(client: Client, workers: int) -> LakeFSFileSystem:
    """A filesystem of its own for each test (no listing cached by another)."""
    return LakeFSFileSystem(client=client, max_workers=workers, skip_instance_cache=True)


# -- registration (no server) ---------------------------------------------------------------------


def _run(code: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=True,
    )
    return out.stdout.strip()


@pytest.mark.server("local")
def test_fsspec_finds_us_without_an_import(tmp_path: Path) -> None:
    # fsspec's own table names lakefs-spec for "lakefs"; our entry point replaces it, even with
    # a lakefs_spec module that imports fine on the path.
    fake = tmp_path / "lakefs_spec"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise AssertionError('lakefs_spec was imported')\n")
    code = """
        import sys
        import fsspec
        from fsspec.registry import known_implementations
        print(known_implementations["lakefs"]["class"])
        cls = fsspec.get_filesystem_class("lakefs")
        print(cls.__module__ + "." + cls.__name__)
        print("lakefs_spec" in sys.modules)
    """
    lines = _run(code, {"PYTHONPATH": str(tmp_path)}).splitlines()
    assert lines == ["lakefs.fs.LakeFSFileSystem", "lakefs.fs.LakeFSFileSystem", "False"]


@pytest.mark.server("local")
def test_paths_are_stripped() -> None:
    strip = LakeFSFileSystem._strip_protocol
    assert strip("lakefs://repo/main/a/b/") == "repo/main/a/b"
    assert strip("repo/main") == "repo/main"
    assert strip(["lakefs://r/m/x", "r/m/y/"]) == ["r/m/x", "r/m/y"]
    assert LakeFSFileSystem._parse("lakefs://r/main~1/a/b.csv") == ("r", "main~1", "a/b.csv")
    assert LakeFSFileSystem._parse("r") == ("r", "", "")


@pytest.mark.server("local")
def test_instances_are_told_apart_by_client() -> None:
    a = Client(host="http://lakefs.invalid", access_key_id="AKIA1", secret_access_key="s1")
    b = Client(host="http://lakefs.invalid", access_key_id="AKIA2", secret_access_key="s2")
    assert LakeFSFileSystem(client=a) is LakeFSFileSystem(client=a)
    assert LakeFSFileSystem(client=a) is not LakeFSFileSystem(client=b)
    by_keys = LakeFSFileSystem(
        host="http://lakefs.invalid", access_key_id="k", secret_access_key="s"
    )
    assert by_keys.client.config.access_key_id == "k"


@pytest.mark.server("local")
def test_pickled_filesystem_gets_its_own_client_and_pool() -> None:
    fs = LakeFSFileSystem(host="http://lakefs.invalid", access_key_id="k", secret_access_key="s")
    blob = pickle.dumps(fs)
    assert pickle.loads(blob) is fs  # the same process: fsspec's instance cache
    LakeFSFileSystem.clear_instance_cache()  # as in a new process
    other = pickle.loads(blob)
    assert other is not fs
    assert other.client is not fs.client
    assert other.client.transport is not fs.client.transport
    assert other.client.config.host == fs.client.config.host
    assert other.client.config.secret_access_key == "s"
    with_client = LakeFSFileSystem(client=fs.client, skip_instance_cache=True)
    again = pickle.loads(pickle.dumps(with_client))
    assert again.client is not fs.client
    assert again.client.config.access_key_id == "k"


# -- listings and details ---------------------------------------------------------------------


def test_ls_info_exists(fs: LakeFSFileSystem, repo: Repo) -> None:
    root = f"{repo.id}/main"
    assert fs.ls(root) == []  # an empty ref's root exists
    assert fs.info(root)["type"] == "directory"
    assert fs.info(f"lakefs://{repo.id}")["type"] == "directory"
    assert fs.isdir(repo.id)
    assert fs.exists(root)
    fs.pipe_file(f"{root}/data/a.csv", b"id\n1\n")
    fs.pipe_file(f"lakefs://{root}/data/sub/b.csv", b"id\n2\n")
    fs.pipe_file(f"{root}/top.txt", b"top")
    assert fs.ls(f"lakefs://{root}/data/", detail=False) == [
        f"{root}/data/a.csv",
        f"{root}/data/sub",
    ]
    assert fs.ls(root, detail=False) == [f"{root}/data", f"{root}/top.txt"]
    info = fs.info(f"{root}/data/a.csv")
    assert info["type"] == "file"
    assert info["size"] == 5
    assert info["name"] == f"{root}/data/a.csv"
    assert isinstance(info["mtime"], datetime)
    assert info["checksum"]
    assert fs.info(f"{root}/data/sub") == {
        "name": f"{root}/data/sub",
        "size": 0,
        "type": "directory",
    }
    assert fs.isfile(f"{root}/top.txt")
    assert not fs.isdir(f"{root}/top.txt")
    assert fs.isdir(f"{root}/data")
    assert not fs.isfile(f"{root}/data")
    assert fs.ls(f"{root}/top.txt", detail=False) == [f"{root}/top.txt"]
    assert fs.ls(repo.id, detail=False) == [root]
    assert fs.cat_file(f"{root}/data/a.csv") == b"id\n1\n"
    assert fs.modified(f"{root}/top.txt") == info["mtime"] or fs.modified(f"{root}/top.txt")
    assert fs.ukey(f"{root}/top.txt") == fs.info(f"{root}/top.txt")["checksum"]
    assert isinstance(fs.checksum(f"{root}/top.txt"), int)
    assert fs.size(f"{root}/data/sub/b.csv") == 5
    assert fs.du(root) == 13


def test_missing_paths_raise_file_not_found(fs: LakeFSFileSystem, repo: Repo) -> None:
    root = f"{repo.id}/main"
    fs.pipe_file(f"{root}/x/a", b"a")
    for path in (f"{root}/nope", f"{root}/x/b", f"{repo.id}/nobranch", "no-such-repo-fs"):
        with pytest.raises(FileNotFoundError):
            fs.info(path)
        assert not fs.exists(path)
    for path in (f"{root}/nope", f"{repo.id}/nobranch/x", "no-such-repo-fs/main"):
        with pytest.raises(FileNotFoundError):
            fs.ls(path)
    with pytest.raises(FileNotFoundError):
        fs.cat_file(f"{root}/nope")
    with pytest.raises(FileNotFoundError):
        fs.open(f"{root}/nope", "rb")
    fs.rm_file(f"{root}/nope")  # as on S3: deleting what is not there is no error
    with pytest.raises(FileNotFoundError):
        fs.rm(f"{root}/nope", recursive=True)
    assert fs.find(f"{root}/nope") == []


def test_permission_errors_are_not_swallowed(server: Server, repo: Repo) -> None:
    bad = server.client(secret_access_key="x")
    fs = LakeFSFileSystem(client=bad, skip_instance_cache=True)
    for call in (fs.exists, fs.info, fs.ls, fs.isdir, fs.cat_file):
        with pytest.raises(PermissionError):
            call(f"{repo.id}/main/a")


def test_prefix_boundaries(fs: LakeFSFileSystem, repo: Repo) -> None:
    root = f"{repo.id}/main"
    for key in ("x/a", "x/sub/b", "x-sibling/c", "x.txt", "xa"):
        fs.pipe_file(f"{root}/{key}", key.encode())
    assert fs.find(f"{root}/x") == [f"{root}/x/a", f"{root}/x/sub/b"]
    assert fs.glob(f"{root}/x*") == [
        f"{root}/x",
        f"{root}/x-sibling",
        f"{root}/x.txt",
        f"{root}/xa",
    ]
    assert fs.du(f"{root}/x") == len("x/a") + len("x/sub/b")
    fs.rm(f"{root}/x", recursive=True)
    assert fs.find(root) == [f"{root}/x-sibling/c", f"{root}/x.txt", f"{root}/xa"]


def test_find_walk_glob_from_one_listing(
    fs: LakeFSFileSystem, repo: Repo, sent: Callable[[], int | None]
) -> None:
    root = f"{repo.id}/main"
    for key in ("a/1", "a/b/2", "a/b/c/3", "d/4", "5"):
        fs.pipe_file(f"{root}/{key}", b"x")
    before = sent()
    found = fs.find(root, withdirs=True, detail=True)
    assert list(found) == [
        root,
        f"{root}/5",
        f"{root}/a",
        f"{root}/a/1",
        f"{root}/a/b",
        f"{root}/a/b/2",
        f"{root}/a/b/c",
        f"{root}/a/b/c/3",
        f"{root}/d",
        f"{root}/d/4",
    ]
    assert found[f"{root}/a/b"]["type"] == "directory"
    assert found[f"{root}/d/4"]["size"] == 1
    if before is not None:
        assert sent() == before + 1  # one flat listing
    # the listing filled the cache of every directory below
    assert fs.ls(f"{root}/a/b", detail=False) == [f"{root}/a/b/2", f"{root}/a/b/c"]
    if before is not None:
        assert sent() == before + 1
    assert fs.info(f"{root}/a/b/c/3")["size"] == 1  # a branch's path: asked of the server
    if before is not None:
        assert sent() == before + 2
    assert fs.find(root, maxdepth=2) == [f"{root}/5", f"{root}/a/1", f"{root}/d/4"]
    walked = list(fs.walk(root))
    assert walked[0] == (root, ["a", "d"], ["5"])
    assert (f"{root}/a/b/c", [], ["3"]) in walked
    assert [w[0] for w in fs.walk(root, maxdepth=1)] == [root]
    assert fs.glob(f"{root}/a/**/[23]") == [f"{root}/a/b/2", f"{root}/a/b/c/3"]
    assert fs.glob(f"lakefs://{root}/*/1") == [f"{root}/a/1"]
    if before is not None:
        assert sent() == before + 7  # one listing for each find, walk and glob


def test_listing_cache_and_invalidation(
    fs: LakeFSFileSystem,
    repo: Repo,
    client: Client,
    sent: Callable[[], int | None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lakefs._fs_cache, "_now", lambda: 0.0)  # no listing expires here
    root = f"{repo.id}/main"
    fs.pipe_file(f"{root}/d/a", b"a")
    assert fs.ls(f"{root}/d", detail=False) == [f"{root}/d/a"]
    before = sent()
    assert fs.ls(f"{root}/d", detail=False) == [f"{root}/d/a"]
    if before is not None:
        assert sent() == before  # from the cache
    assert fs.exists(f"{root}/d/a")
    if before is not None:
        assert sent() == before + 1  # a branch's path: asked of the server
    fs.pipe_file(f"{root}/d/b", b"b")  # a write through the filesystem invalidates
    assert fs.ls(f"{root}/d", detail=False) == [f"{root}/d/a", f"{root}/d/b"]
    # a write behind its back is seen after refresh=True or invalidate_cache()
    lakefs.repository(repo.id, client=client).branch("main").upload(b"c", "d/c")
    assert fs.ls(f"{root}/d", detail=False) == [f"{root}/d/a", f"{root}/d/b"]
    assert len(fs.ls(f"{root}/d", refresh=True)) == 3
    fs.rm_file(f"{root}/d/c")
    assert len(fs.ls(f"{root}/d")) == 2
    lakefs.repository(repo.id, client=client).branch("main").upload(b"e", "d/e")
    fs.invalidate_cache()
    assert len(fs.ls(f"{root}/d")) == 3
    with fs.open(f"{root}/d/f", "wb") as f:
        f.write(b"f")
    assert len(fs.ls(f"{root}/d")) == 4


# -- reading and writing -------------------------------------------------------------------------


def test_open_modes(fs: LakeFSFileSystem, repo: Repo) -> None:
    path = f"lakefs://{repo.id}/main/dir/t.txt"
    with fs.open(path, "wt", encoding="utf-8") as f:
        f.write("héllo\nworld\n")
    with fs.open(path, "rt", encoding="utf-8") as f:
        assert f.readlines() == ["héllo\n", "world\n"]
    with fs.open(path, "rb") as f:
        assert f.read(2) == b"h\xc3"
        f.seek(-6, os.SEEK_END)
        assert f.read() == b"world\n"
    with fsspec.open(path, "rb", client=fs.client, skip_instance_cache=True) as f:
        assert f.read().startswith(b"h")
    with pytest.raises(FileExistsError), fs.open(path, "xb") as f:
        f.write(b"other")
    assert fs.cat_file(path) == "héllo\nworld\n".encode()
    with fs.open(f"{repo.id}/main/new.bin", "xb") as f:
        f.write(b"\x00" * 10)
    assert fs.size(f"{repo.id}/main/new.bin") == 10
    with pytest.raises(NotImplementedError, match="mode") as appended:
        fs.open(path, "ab")
    assert isinstance(appended.value, lakefs.LakeFSError)
    with pytest.raises(FileExistsError):
        fs.pipe_file(path, b"x", mode="create")
    fs.touch(f"{repo.id}/main/empty")
    assert fs.cat_file(f"{repo.id}/main/empty") == b""
    fs.touch(path, truncate=False)
    assert fs.size(path) == 13


def test_cat_file_ranges(fs: LakeFSFileSystem, repo: Repo) -> None:
    path = f"{repo.id}/main/digits"
    data = bytes(range(256)) * 40
    fs.pipe_file(path, data)
    assert fs.cat_file(path) == data
    assert fs.cat_file(path, start=10, end=20) == data[10:20]
    assert fs.cat_file(path, start=10000) == data[10000:]
    assert fs.cat_file(path, start=-5) == data[-5:]
    assert fs.cat_file(path, start=5, end=-5) == data[5:-5]
    assert fs.cat_file(path, start=20, end=10) == b""
    assert fs.cat_file(path, start=len(data) + 5) == b""
    assert fs.cat_ranges([path, path], [0, 100], [3, 103]) == [data[0:3], data[100:103]]
    assert fs.head(path, 4) == data[:4]
    assert fs.tail(path, 4) == data[-4:]


def test_put_and_get(fs: LakeFSFileSystem, repo: Repo, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub" / "deep").mkdir(parents=True)
    files = {"a.txt": b"a", "sub/b.txt": b"bb", "sub/deep/c.txt": b"ccc", "d.bin": bytes(5000)}
    for name, data in files.items():
        (src / name).write_bytes(data)
    root = f"{repo.id}/main"
    fs.put_file(str(src / "a.txt"), f"{root}/single/a.txt")
    assert fs.cat_file(f"{root}/single/a.txt") == b"a"
    fs.put(str(src), f"{root}/up", recursive=True)
    assert sorted(fs.find(f"{root}/up")) == sorted(f"{root}/up/{n}" for n in files)
    assert fs.cat_file(f"{root}/up/sub/deep/c.txt") == b"ccc"
    out = tmp_path / "out"
    fs.get(f"{root}/up", str(out), recursive=True)
    got = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert got == files
    fs.get_file(f"{root}/up/d.bin", str(tmp_path / "one" / "d.bin"))
    assert (tmp_path / "one" / "d.bin").read_bytes() == bytes(5000)
    with open(tmp_path / "fileobj", "wb") as f:
        fs.get_file(f"{root}/up/a.txt", f)
    assert (tmp_path / "fileobj").read_bytes() == b"a"
    with pytest.raises(FileExistsError):
        fs.put_file(str(src / "a.txt"), f"{root}/up/a.txt", mode="create")


class _Recorder(Callback):  # type: ignore[misc]  # fsspec is untyped
    """An fsspec callback that keeps what it is told, with a child per file."""

    def __init__(self) -> None:
        super().__init__()
        self.children: dict[str, _Recorder] = {}
        self.closed = False

    def branched(self, path_1: str, path_2: str, **kwargs: Any) -> _Recorder:
        child = _Recorder()
        self.children[os.path.basename(path_1)] = child
        return child

    def close(self) -> None:
        self.closed = True


def test_put_and_get_run_through_the_folder_engine_with_callbacks(
    fs: LakeFSFileSystem,
    repo: Repo,
    tmp_path: Path,
    workers: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs: list[dict[str, Any]] = []
    engine = lakefs._fs_transfers.transfer_run

    @contextlib.contextmanager
    def spy(**kwargs: Any) -> Iterator[TransferRun]:
        run = {"files": 0, **kwargs}
        runs.append(run)
        with engine(**kwargs) as real:
            submit = real.submit

            def counted(transfer: Any) -> bool:
                run["files"] += 1
                return submit(transfer)

            real.submit = counted  # type: ignore[method-assign]
            yield real

    monkeypatch.setattr(lakefs._fs_transfers, "transfer_run", spy)
    src = tmp_path / "src"
    files = {"a.txt": b"a" * 10, "sub/b.bin": bytes(3000), "sub/deep/c.txt": b"ccc"}
    for name, data in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    root = f"{repo.id}/main"
    up = _Recorder()
    fs.put(str(src), f"{root}/up", recursive=True, callback=up)
    # fsspec names six paths (the folder, two directories, three files): one run of them all,
    # each handed over as it is named
    assert [(r["files"], r["max_workers"], r["fail_fast"]) for r in runs] == [(6, workers, True)]
    assert (up.size, up.value) == (6, 6)  # each path counted once its transfer ended
    for name, data in files.items():
        child = up.children[os.path.basename(name)]
        assert (child.size, child.value, child.closed) == (len(data), len(data), True)
    assert all(child.closed for child in up.children.values())
    assert fs.cat_file(f"{root}/up/sub/b.bin") == bytes(3000)

    out = tmp_path / "out"
    down = _Recorder()
    fs.get(f"{root}/up", str(out), recursive=True, callback=down)
    assert runs[-1]["files"] == 6
    assert (down.size, down.value) == (6, 6)
    assert {
        p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
    } == files
    for name, data in files.items():
        child = down.children[os.path.basename(name)]
        assert (child.size, child.value, child.closed) == (len(data), len(data), True)

    # A failure is raised as it is (not wrapped), and leaves no partial file.
    mixed = tmp_path / "mixed"
    with pytest.raises(FileNotFoundError):
        fs.get(
            [f"{root}/up/a.txt", f"{root}/up/missing.txt"],
            [str(mixed / "a.txt"), str(mixed / "missing.txt")],
        )
    assert not (mixed / "missing.txt").exists()
    assert not list(mixed.rglob("*.lakefs-part"))
    with pytest.raises(FileNotFoundError):
        fs.put([str(src / "nope.txt")], [f"{root}/nope.txt"])
    assert not fs.exists(f"{root}/nope.txt")


def test_the_first_failure_stops_the_other_transfers(tmp_path: Path) -> None:
    gets: list[str] = []

    def handler(request: MockRequest) -> MockResponse:
        if request.method == "GET" and request.path.endswith("/objects"):
            gets.append(request.query["path"])
            if request.query["path"] == "d/a":
                return MockResponse.json({"message": "insufficient permissions"}, status=403)
            return MockResponse(200, b"data", {"Content-Length": "4"})
        return MockResponse.json({"message": "not found"}, status=404)

    fs = LakeFSFileSystem(
        client=mock_client(handler), pre_signed=False, max_workers=1, skip_instance_cache=True
    )
    with pytest.raises(PermissionError):
        fs.get([f"repo/main/d/{n}" for n in "abc"], [str(tmp_path / n) for n in "abc"])
    assert gets == ["d/a"]  # b and c never started
    assert list(tmp_path.iterdir()) == []


def test_copy_and_move_across_branches(fs: LakeFSFileSystem, repo: Repo, client: Client) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    main.upload(b"1", "src/one")
    main.upload(b"2", "src/sub/two")
    main.commit_changes("seed")
    lakefs.repository(repo.id, client=client).branch("dev").create(main)
    fs.cp_file(f"{repo.id}/main/src/one", f"{repo.id}/dev/copied/one")
    assert fs.cat_file(f"{repo.id}/dev/copied/one") == b"1"
    fs.copy(f"{repo.id}/main/src", f"{repo.id}/dev/tree", recursive=True)
    assert fs.find(f"{repo.id}/dev/tree") == [
        f"{repo.id}/dev/tree/one",
        f"{repo.id}/dev/tree/sub/two",
    ]
    fs.mv(f"{repo.id}/dev/tree/one", f"{repo.id}/dev/moved/one")
    assert not fs.exists(f"{repo.id}/dev/tree/one")
    assert fs.cat_file(f"{repo.id}/dev/moved/one") == b"1"
    fs.mv(f"{repo.id}/dev/tree", f"{repo.id}/dev/moved-tree", recursive=True)
    assert fs.find(f"{repo.id}/dev/moved-tree") == [f"{repo.id}/dev/moved-tree/sub/two"]
    assert not fs.exists(f"{repo.id}/dev/tree")
    # reading from any ref, a commit or an expression, is fine
    head = main.head().id
    assert fs.cat_file(f"{repo.id}/{head}/src/one") == b"1"
    assert fs.cat_file(f"{repo.id}/main~0/src/sub/two") == b"2"
    with pytest.raises(FileNotFoundError):
        fs.cp_file(f"{repo.id}/main/src/none", f"{repo.id}/dev/none")


def test_a_repository_lists_its_branches_and_tags(
    fs: LakeFSFileSystem, repo: Repo, client: Client, tmp_path: Path
) -> None:
    r = lakefs.repository(repo.id, client=client)
    main = r.branch("main")
    main.upload(b"x", "data/x")
    commit = main.commit_changes("one")
    r.branch("dev").create(main)
    r.tag("v1").create(commit)
    names = fs.ls(repo.id, detail=False)
    assert names == [f"{repo.id}/dev", f"{repo.id}/main", f"{repo.id}/v1"]
    for name in names:  # each is a path info, ls and open accept
        assert fs.info(name)["type"] == "directory"
        assert fs.ls(name, detail=False) == [f"{name}/data"]
        assert fs.cat_file(f"{name}/data/x") == b"x"
    assert fs.find(repo.id) == [f"{repo.id}/{ref}/data/x" for ref in ("dev", "main", "v1")]
    # Removing everything under the repository reaches the tag: refused, nothing removed.
    with pytest.raises(ReadOnlyReferenceError, match="v1"):
        fs.rm(repo.id, recursive=True)
    for branch in ("main", "dev"):
        assert [o.path for o in r.branch(branch).list_objects(delimiter="")] == ["data/x"]
    (tmp_path / "f.txt").write_bytes(b"f")
    with pytest.raises(ReadOnlyReferenceError):
        fs.put(str(tmp_path / "f.txt"), f"{repo.id}/v1/f.txt")
    assert [b.id for b in r.list_branches()] == ["dev", "main"]  # nothing created


def test_only_branches_are_writable(fs: LakeFSFileSystem, repo: Repo, client: Client) -> None:
    r = lakefs.repository(repo.id, client=client)
    main = r.branch("main")
    main.upload(b"x", "x")
    commit = main.commit_changes("one")
    r.tag("v1").create(commit)
    for ref in ("v1", commit.id, "main~0", "main@"):
        with pytest.raises(ReadOnlyReferenceError, match="only branches are writable") as info:
            fs.pipe_file(f"{repo.id}/{ref}/y", b"y")
        assert isinstance(info.value, PermissionError)
        assert ref in str(info.value)
        with pytest.raises(ReadOnlyReferenceError):
            fs.open(f"{repo.id}/{ref}/y", "wb")
        with pytest.raises(ReadOnlyReferenceError):
            fs.rm(f"{repo.id}/{ref}/x")
    assert pickle.loads(pickle.dumps(info.value)).reference_id == "main@"
    assert [b.id for b in r.list_branches()] == ["main"]  # nothing created
    with pytest.raises(FileNotFoundError):
        fs.pipe_file(f"{repo.id}/no-such-branch/y", b"y")
    with pytest.raises(IsADirectoryError):
        fs.pipe_file(f"{repo.id}/main", b"y")


def test_rm_lists_and_batches(
    fs: LakeFSFileSystem, repo: Repo, sent: Callable[[], int | None]
) -> None:
    root = f"{repo.id}/main"
    for i in range(12):
        fs.pipe_file(f"{root}/many/{i:02d}", b"x")
    fs.pipe_file(f"{root}/keep", b"k")
    fs.rm([f"{root}/many/00", f"{root}/many/01"])
    assert len(fs.find(f"{root}/many")) == 10
    before = sent()
    fs.rm(f"{root}/many", recursive=True)
    if before is not None:
        assert sent() == before + 2  # one listing, one delete (main is known to be a branch)
    assert fs.find(root) == [f"{root}/keep"]
    fs.rm(f"{root}/k*")
    assert fs.find(root) == []


# -- transactions --------------------------------------------------------------------------------


def test_transaction_merges_on_success(fs: LakeFSFileSystem, repo: Repo, client: Client) -> None:
    root = f"{repo.id}/main"
    main = lakefs.repository(repo.id, client=client).branch("main")
    with fs.transaction("add two files", metadata={"by": "fs"}, txn_id=lambda: "t1") as tx:
        fs.pipe_file(f"{root}/t/a", b"a")
        with fs.open(f"{root}/t/b", "wb") as f:
            f.write(b"b")
        assert fs.cat_file(f"{root}/t/a") == b"a"  # read your writes
        assert fs.find(f"{root}/t") == [f"{root}/t/a", f"{root}/t/b"]
        assert [o.path for o in main.list_objects()] == []  # main is untouched until the end
        ephemeral = tx.branches[(repo.id, "main")]
        assert ephemeral.id.startswith("main-txn-")
    assert fs.find(f"{root}/t") == [f"{root}/t/a", f"{root}/t/b"]
    log = list(main.log(max_amount=2))
    assert log[0].commit_message().startswith("Merge transaction")
    assert log[1].commit_message() == "add two files"
    assert log[1].metadata() == {"by": "fs"}
    assert [b.id for b in lakefs.repository(repo.id, client=client).list_branches()] == ["main"]


def test_transaction_merges_nothing_on_error(
    fs: LakeFSFileSystem, repo: Repo, client: Client
) -> None:
    root = f"{repo.id}/main"

    def fail() -> None:
        with fs.transaction("never merged", txn_id=lambda: "t2"):
            fs.pipe_file(f"{root}/t/a", b"a")
            raise RuntimeError("boom")

    with pytest.raises(TransactionError) as info:
        fail()
    assert isinstance(info.value.__cause__, RuntimeError)
    assert fs.find(root) == []
    kept = info.value.branch_id
    lakefs.repository(repo.id, client=client).branch(kept).delete()
    assert not fs._intrans
    fs.pipe_file(f"{root}/after", b"x")  # outside any transaction again
    assert fs.find(root) == [f"{root}/after"]


@pytest.mark.server("s3")
def test_pre_signed_transfers(fs: LakeFSFileSystem, repo: Repo, tmp_path: Path) -> None:
    # the S3 configuration pre-signs: data goes straight to the object store
    path = f"{repo.id}/main/p/data.bin"
    data = bytes(range(256)) * 300
    fs.pipe_file(path, data)
    assert fs.cat_file(path) == data
    assert fs.cat_file(path, start=1000, end=1010) == data[1000:1010]
    with fs.open(path, "rb") as f:
        f.seek(-10, os.SEEK_END)
        assert f.read() == data[-10:]
    (tmp_path / "up.bin").write_bytes(data[:5000])
    fs.put_file(str(tmp_path / "up.bin"), f"{repo.id}/main/p/up.bin")
    fs.get_file(f"{repo.id}/main/p/up.bin", str(tmp_path / "down.bin"))
    assert (tmp_path / "down.bin").read_bytes() == data[:5000]
    assert fs.find(f"{repo.id}/main/p") == [path, f"{repo.id}/main/p/up.bin"]


def test_an_empty_segment_names_nothing_and_touches_nothing() -> None:
    """``repo//main/x`` must not be read as "every branch": refused before any request."""
    fs = LakeFSFileSystem(
        client=lakefs.Client(host="http://127.0.0.1:9", access_key_id="a", secret_access_key="s")
    )
    for path in ("lakefs://repo//main/x", "repo//x"):
        assert fs.exists(path) is False
        with pytest.raises(FileNotFoundError):
            fs.rm(path, recursive=True)
        with pytest.raises(FileNotFoundError):
            fs.info(path)
