"""``fs.put`` names its files once, as fsspec's ``put`` names them (``plan_put``), and queues
them itself; the kinds its expansion listed spare a stat a file in the calling thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fsspec.spec import AbstractFileSystem

from lakefs._fs_transfers import plan_put


class _Named(AbstractFileSystem):  # type: ignore[misc]  # fsspec is untyped
    """fsspec's own ``put``, each file it would upload recorded (``dirs``: the remote
    directories its ``isdir`` knows)."""

    protocol = "named"
    cachable = False  # a fresh one each time

    def __init__(self, dirs: set[str]) -> None:
        super().__init__()
        self.dirs = dirs
        self.named: list[tuple[str, str]] = []

    def isdir(self, path: str) -> bool:
        return path.rstrip("/") in self.dirs

    def put_file(self, lpath: str, rpath: str, callback: Any = None, **kwargs: Any) -> None:
        self.named.append((lpath, rpath))


def _tree(root: Path) -> None:
    for name in ("a.txt", "b.csv", "sub/c.txt", "sub/deeper/d.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")


@pytest.mark.parametrize(
    ("source", "dest", "recursive", "maxdepth"),
    [
        ("{root}/", "repo/main/to/", True, None),
        ("{root}", "repo/main/to", True, None),
        ("{root}", "repo/main/existing", True, None),
        ("{root}/", "repo/main/to", True, 1),
        ("{root}/*.txt", "repo/main/to/", False, None),
        ("{root}/*", "repo/main/existing", True, None),
        ("{root}/a.txt", "repo/main/to/x.txt", False, None),
        ("{root}/a.txt", "repo/main/existing", False, None),
        (["{root}/a.txt", "{root}/sub/c.txt"], "repo/main/to/", False, None),
        ("{root}/sub/deeper/*.nothing", "repo/main/to/", False, None),
    ],
)
def test_files_are_named_as_fsspecs_put_names_them(
    tmp_path: Path, source: Any, dest: str, recursive: bool, maxdepth: int | None
) -> None:
    _tree(tmp_path)
    src = [s.format(root=tmp_path) for s in source] if isinstance(source, list) else source
    if isinstance(src, str):
        src = src.format(root=tmp_path)
    fsspec_put = _Named({"repo/main/existing"})
    try:
        fsspec_put.put(src, dest, recursive=recursive, maxdepth=maxdepth)
    except FileNotFoundError:
        with pytest.raises(FileNotFoundError):
            plan_put(_Named({"repo/main/existing"}), src, dest, recursive, maxdepth, {})
        return
    planned = plan_put(_Named({"repo/main/existing"}), src, dest, recursive, maxdepth, {})
    assert [(lp, rp) for lp, rp, _ in planned or []] == fsspec_put.named


def test_the_expansion_tells_directories_from_files(tmp_path: Path) -> None:
    _tree(tmp_path)
    planned = plan_put(_Named(set()), f"{tmp_path}/", "repo/main/to/", True, None, {})
    kinds = {Path(lp).relative_to(tmp_path).as_posix(): kind for lp, _, kind in planned or []}
    assert kinds["sub"] == kinds["sub/deeper"] == "directory"
    assert kinds["a.txt"] == kinds["sub/deeper/d.txt"] == "file"
