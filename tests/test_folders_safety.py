"""Folder transfers never write, read or remove where they must not: names and links.

Issue 18's items 4 (a directory swapped for a link mid-run), 5 (``delete=True`` deletes only
objects with no local counterpart), 10 (a listed name outside the prefix), and the one
containment rule (``lakefs.lib.folders.local_destination``) that ``lakefs://``'s ``get``
shares. Offline tests run against :class:`Store`, an in-memory lakeFS behind the mock seam;
those marked ``loopback`` race a real server (live only).
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import lakefs
from lakefs import APIResponseError, Branch, Client, ProgressEvent, ValidationError
from lakefs.lib import folders
from lakefs.lib._local_tree import LocalTree
from lakefs.lib.folders import local_destination
from lakefs.testing import MockRequest, MockResponse, mock_client, sent_requests
from tests.conftest import Repo

_REF = "/api/v1/repositories/repo/refs/main/objects"
_BRANCH = "/api/v1/repositories/repo/branches/main/objects"


class Store:
    """An in-memory lakeFS for folder transfers (listing, GET, upload, bulk delete), behind
    ``mock_client``; ``extra`` entries are listed as they are (a hostile server's names)."""

    def __init__(self, objects: dict[str, bytes] | None = None) -> None:
        self.objects: dict[str, tuple[bytes, dict[str, str]]] = {
            k: (v, {}) for k, v in (objects or {}).items()
        }
        self.extra: list[str] = []
        self.deleted: list[str] = []
        self.uploads: list[str] = []
        self.on_get: Callable[[str], None] | None = None
        self.branch: Branch = lakefs.repository("repo", client=mock_client(self)).branch("main")

    def stats(self, path: str) -> dict[str, Any]:
        data, meta = self.objects.get(path, (b"", {}))
        return {
            "path": path,
            "physical_address": "local://x",
            "checksum": hashlib.md5(data).hexdigest(),
            "size_bytes": len(data),
            "mtime": 1,
            "path_type": "object",
            "metadata": meta,
        }

    def __call__(self, request: MockRequest) -> MockResponse:
        q = request.query
        if request.path == _REF + "/ls":
            prefix, after = q.get("prefix", ""), q.get("after", "")
            names = [k for k in self.objects if k.startswith(prefix)] + self.extra
            names = sorted((n for n in names if n > after), key=lambda n: n.encode())
            page = [self.stats(n) for n in names[:1000]]
            more = len(names) > 1000
            pagination = {
                "has_more": more,
                "next_offset": page[-1]["path"] if more else "",
                "results": len(page),
                "max_per_page": 1000,
            }
            return MockResponse.json({"results": page, "pagination": pagination})
        if request.path == _REF and request.method == "GET":
            if self.on_get is not None:
                self.on_get(q["path"])
            if q["path"] not in self.objects and q["path"] in self.extra:
                data = b"from elsewhere"
            else:
                data = self.objects[q["path"]][0]
            return MockResponse(200, data, {"Content-Length": str(len(data))})
        if request.path == _BRANCH and request.method == "POST":
            meta = {
                k[len("x-lakefs-meta-") :]: v
                for k, v in request.headers.items()
                if k.lower().startswith("x-lakefs-meta-")
            }
            self.objects[q["path"]] = (request.body, meta)
            self.uploads.append(q["path"])
            return MockResponse.json(self.stats(q["path"]), status=201)
        if request.path == _BRANCH + "/delete":
            paths = json.loads(request.body)["paths"]
            for path in paths:
                self.objects.pop(path, None)
            self.deleted += paths
            return MockResponse(204)
        raise AssertionError(f"unexpected {request.method} {request.url}")


def _write(root: pathlib.Path, files: dict[str, bytes]) -> pathlib.Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _on_first(kind: str, act: Callable[[], None]) -> Callable[[ProgressEvent], None]:
    """A progress callable that calls ``act`` at the first event of ``kind``."""
    done: list[bool] = []

    def progress(event: ProgressEvent) -> None:
        if event.kind == kind and not done:
            done.append(True)
            act()

    return progress


def _swap_for_link(directory: pathlib.Path, target: pathlib.Path) -> None:
    """Replace ``directory`` by a symbolic link to ``target`` (the directory is kept aside)."""
    directory.rename(directory.with_name(directory.name + ".moved"))
    directory.symlink_to(target, target_is_directory=True)


# -- the containment rule ------------------------------------------------------------------------

HOSTILE = [
    "",
    "..",
    "../a",
    "a/../../b",
    "a/..",
    "/abs",
    "a//b",
    "a/./b",
    "./a",
    "a/",
    "a\0b",
    "a\\..\\b",
    "x" * 256,
    "a/" + "é" * 128,  # 256 bytes
]


@pytest.mark.parametrize("name", HOSTILE)
def test_names_that_cannot_be_a_file_below_the_folder_are_refused(
    tmp_path: pathlib.Path, name: str
) -> None:
    with pytest.raises(ValidationError, match="cannot be a file below"):
        local_destination(tmp_path, name)
    with LocalTree(tmp_path) as tree, pytest.raises(ValidationError):
        tree.place(name).__enter__()
    assert list(tmp_path.iterdir()) == []


def test_a_name_maps_below_the_folder_unless_a_link_is_on_its_way(tmp_path: pathlib.Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    outside.mkdir()
    _write(root, {"a/b/c.txt": b"c"})
    assert local_destination(root, "a/b/c.txt") == root / "a" / "b" / "c.txt"
    assert local_destination(root, "new/deep/x") == root / "new" / "deep" / "x"  # none yet
    assert local_destination(root, "x" * 255) == root / ("x" * 255)
    (root / "a" / "link").symlink_to(outside, target_is_directory=True)
    (root / "inner").symlink_to(root / "a", target_is_directory=True)  # even one inside
    (root / "file-link").symlink_to(root / "a" / "b" / "c.txt")
    for name in ("a/link/x", "inner/b/c.txt", "file-link"):
        with pytest.raises(ValidationError, match="symbolic link"):
            local_destination(root, name)
    linked_root = tmp_path / "via-link"
    linked_root.symlink_to(root, target_is_directory=True)  # the folder itself may be one
    assert local_destination(linked_root, "a/b/c.txt") == linked_root / "a" / "b" / "c.txt"


def test_download_refuses_hostile_names_and_writes_the_others(tmp_path: pathlib.Path) -> None:
    store = Store({"p/ok.txt": b"ok", "p/sub/fine.txt": b"fine"})
    store.objects.update({f"p/{n}": (b"evil", {}) for n in HOSTILE})
    root = tmp_path / "deep" / "root"
    result = store.branch.download_folder("p/", root, pre_signed=False, max_workers=1)
    assert result.sent == 2
    assert set(result.failed) == set(HOSTILE)  # "a/" too: a "marker" with content
    assert all(isinstance(e, ValidationError) for e in result.failed.values())
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["root"]  # nothing beside
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert found == ["ok.txt", "sub/fine.txt"]


# -- item 10: a listed name outside the prefix -----------------------------------------------------


def test_a_name_listed_outside_the_prefix_is_refused_not_sliced(tmp_path: pathlib.Path) -> None:
    store = Store({"L/a.txt": b"a"})
    store.extra = ["other/secret.txt"]  # a hostile (or broken) server lists it under "L/"
    root = tmp_path / "out"
    result = store.branch.download_folder("L", root, pre_signed=False, max_workers=1)
    assert result.sent == 1
    assert list(result.failed) == ["other/secret.txt"]
    assert isinstance(result.failed["other/secret.txt"], APIResponseError)
    assert sorted(p.name for p in root.iterdir()) == ["a.txt"]  # no "her/secret.txt"

    # Uploads with delete=True never delete it (nor "L/her/secret.txt").
    up = store.branch.upload_folder(root, "L", delete=True, pre_signed=False, max_workers=1)
    assert list(up.failed) == ["other/secret.txt"]
    assert store.deleted == []


# -- item 4: a directory swapped for a link while the transfer runs --------------------------------


def test_a_download_never_writes_through_a_directory_swapped_for_a_link(
    tmp_path: pathlib.Path,
) -> None:
    store = Store({f"p/d/{i:02d}.txt": b"data" for i in range(10)})
    root, outside = tmp_path / "root", tmp_path / "outside"
    outside.mkdir()

    def swap(path: str) -> None:
        if path == "p/d/03.txt":  # its directory already made and checked: swap it now
            _swap_for_link(root / "d", outside)

    store.on_get = swap
    result = store.branch.download_folder("p/", root, pre_signed=False, max_workers=1)
    assert list(outside.iterdir()) == []
    # The file in flight lands in the directory it was opened in (moved aside, still inside
    # the folder); each later one is refused at the link.
    assert sorted(p.name for p in (root / "d.moved").iterdir()) == [
        f"{i:02d}.txt" for i in range(4)
    ]
    assert sorted(result.failed) == [f"d/{i:02d}.txt" for i in range(4, 10)]
    assert all(isinstance(e, ValidationError) for e in result.failed.values())
    assert result.sent == 4


def test_a_mirroring_download_never_removes_through_a_directory_swapped_for_a_link(
    tmp_path: pathlib.Path,
) -> None:
    store = Store({"p/z.txt": b"z"})
    root, outside = tmp_path / "root", tmp_path / "outside"
    _write(root, {"d/stale.txt": b"s"})
    _write(outside, {"stale.txt": b"precious"})
    # Planned for removal, then its directory becomes a link before the removal runs.
    progress = _on_first("total", lambda: _swap_for_link(root / "d", outside))
    result = store.branch.download_folder(
        "p/", root, delete=True, pre_signed=False, max_workers=1, progress=progress
    )
    assert (outside / "stale.txt").read_bytes() == b"precious"
    assert list(result.failed) == ["d/stale.txt"]
    assert isinstance(result.failed["d/stale.txt"], ValidationError)


def test_an_upload_never_reads_through_a_directory_swapped_for_a_link(
    tmp_path: pathlib.Path,
) -> None:
    store = Store()
    root, outside = tmp_path / "root", tmp_path / "outside"
    _write(root, {"d/a.txt": b"mine"})
    _write(outside, {"a.txt": b"leak"})  # the same size: nothing else would tell
    progress = _on_first("total", lambda: _swap_for_link(root / "d", outside))
    result = store.branch.upload_folder(
        root, "p", pre_signed=False, max_workers=1, progress=progress
    )
    assert list(result.failed) == ["d/a.txt"]
    assert isinstance(result.failed["d/a.txt"], ValidationError)
    assert store.objects == {}


@pytest.mark.loopback
@pytest.mark.server("local")
def test_a_download_racing_a_link_swap_writes_nothing_outside(
    repo: Repo, client: Client, tmp_path: pathlib.Path
) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    source = _write(tmp_path / "src", {f"d/{i:03d}.txt": b"%d" % i for i in range(400)})
    assert main.upload_folder(source, "p", max_workers=8).sent == 400
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "d").mkdir(parents=True)
    outside.mkdir()
    stop = threading.Event()

    def swapper() -> None:  # the directory and a link out of the folder, in turn
        parked = tmp_path / "parked"
        while not stop.is_set():
            try:
                (root / "d").rename(parked)
                (root / "d").symlink_to(outside, target_is_directory=True)
                time.sleep(0.001)
                (root / "d").unlink()
                parked.rename(root / "d")
            except OSError:
                pass

    thread = threading.Thread(target=swapper)
    thread.start()
    try:
        result = main.download_folder("p/", root, max_workers=8, progress=False)
    finally:
        stop.set()
        thread.join()
    assert list(outside.iterdir()) == []
    assert result.sent + len(result.failed) == 400
    assert all(isinstance(e, (ValidationError, OSError)) for e in result.failed.values())


# -- item 5: delete=True deletes only objects with no local counterpart ---------------------------


def test_upload_delete_keeps_every_object_with_a_local_counterpart(tmp_path: pathlib.Path) -> None:
    root = _write(
        tmp_path / "src",
        {
            ".notes.abcdefgh.lakefs-part": b"a user's file, named like a temporary download",
            "real/kept.txt": b"k",
            "sub/inner.txt": b"i",
        },
    )
    (root / "link").symlink_to(root / "sub", target_is_directory=True)
    os.mkfifo(root / "fifo")
    store = Store(
        {
            "m/.notes.abcdefgh.lakefs-part": b"old",
            "m/real/": b"",  # the marker of a directory that exists locally
            "m/link/inner.txt": b"i",  # below a link to a directory inside the folder
            "m/link/more.txt": b"m",
            "m/fifo": b"f",  # named after a FIFO
            "m/gone.txt": b"no counterpart",
            "m/gone/": b"",
        }
    )
    result = store.branch.upload_folder(root, "m", delete=True, pre_signed=False, max_workers=1)
    assert store.deleted == ["m/gone.txt", "m/gone/"]
    assert result.failed == {}
    assert (result.sent, result.deleted) == (3, 2)
    assert store.objects["m/.notes.abcdefgh.lakefs-part"][0] == (
        b"a user's file, named like a temporary download"
    )


@pytest.mark.server("local")
def test_upload_delete_against_lakefs_keeps_local_counterparts(
    repo: Repo, client: Client, tmp_path: pathlib.Path, workers: int
) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    for path in ("m/.n.abcdefgh.lakefs-part", "m/real/", "m/link/x.txt", "m/fifo", "m/gone"):
        main.upload(b"" if path.endswith("/") else b"remote", path)
    root = _write(tmp_path / "src", {".n.abcdefgh.lakefs-part": b"local", "real/k": b"k"})
    (root / "link").symlink_to(root / "real", target_is_directory=True)
    os.mkfifo(root / "fifo")
    result = main.upload_folder(root, "m", delete=True, max_workers=workers)
    assert (result.sent, result.deleted, result.failed) == (2, 1, {})
    assert [o.path for o in main.list_objects(prefix="m/", delimiter="")] == [
        "m/.n.abcdefgh.lakefs-part",
        "m/fifo",
        "m/link/x.txt",
        "m/real/",
        "m/real/k",
    ]
    assert main.download("m/.n.abcdefgh.lakefs-part") == b"local"


def test_a_download_names_its_temporary_files_apart_from_users_files(
    tmp_path: pathlib.Path,
) -> None:
    with LocalTree(tmp_path) as tree, LocalTree(tmp_path) as other:
        name = tree.temp_name("notes")
        assert tree.temporary.fullmatch(name)
        assert tree.temporary.fullmatch(tree.temp_name("é" * 200))  # cut to 100 bytes
        assert not other.temporary.fullmatch(name)  # another run's: a leftover, not its own
        assert not tree.temporary.fullmatch(".notes.abcdefgh.lakefs-part")
    # A mirroring download removes a stale file named like a temporary one (it has no
    # object), and never uploads nor skips over a user's such file.
    stale = _write(tmp_path / "out", {".x.abcdefgh.lakefs-part": b"stale", "kept": b"k"})
    store = Store({"p/kept": b"k"})
    result = store.branch.download_folder("p", stale, delete=True, pre_signed=False, max_workers=1)
    assert (result.deleted, result.skipped) == (1, 1)
    assert sorted(p.name for p in stale.iterdir()) == ["kept"]


def test_the_folder_module_keeps_its_names(tmp_path: pathlib.Path) -> None:
    # What lakefs.fs and other tests import from lakefs.lib.folders.
    for name in ("Transfer", "run_transfers", "transfer_run", "DEFAULT_FOLDER_WORKERS"):
        assert hasattr(folders, name)


def test_fetch_contained_writes_below_the_folder_by_the_same_rule(tmp_path: pathlib.Path) -> None:
    from lakefs.lib.folders import fetch_contained

    store = Store({"p/x.bin": b"data"})
    root, outside = tmp_path / "new" / "root", tmp_path / "outside"
    got = fetch_contained(store.branch, "p/x.bin", root, "a/b/x.bin", pre_signed=False)
    assert got == 4
    assert (root / "a" / "b" / "x.bin").read_bytes() == b"data"
    outside.mkdir()
    (root / "a" / "link").symlink_to(outside, target_is_directory=True)
    before = len(sent_requests(store.branch.client))
    for name in ("a/link/x.bin", "../x.bin", "a//x.bin"):
        with pytest.raises(ValidationError):
            fetch_contained(store.branch, "p/x.bin", root, name, pre_signed=False)
    assert len(sent_requests(store.branch.client)) == before  # refused before any request
    assert list(outside.iterdir()) == []
    (root / "a" / "dir").mkdir()
    (root / "a" / "dir" / "keep").write_bytes(b"k")
    with pytest.raises(IsADirectoryError):  # a directory in the file's place
        fetch_contained(store.branch, "p/x.bin", root, "a/dir", pre_signed=False)
    assert sorted(p.name for p in (root / "a").iterdir()) == ["b", "dir", "link"]  # no temporary
