"""The folder index (``lakefs.lib._index``): an entry is trusted only for the exact file state it
names, written after the file had settled; a broken index is not used; it survives a crash."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lakefs.lib._index import State, index_dir, open_index


@pytest.fixture(autouse=True)
def _index_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "index-home"
    monkeypatch.setenv("LAKEFS_INDEX_DIR", str(home))
    monkeypatch.delenv("LAKEFS_NO_INDEX", raising=False)
    return home


def _settled_file(path: Path, data: bytes) -> State:
    path.write_bytes(data)
    time.sleep(0.06)  # longer than the settling time: the entry written next is trusted
    return State.of(path.stat())


def test_an_entry_answers_only_for_the_state_it_names(tmp_path: Path) -> None:
    root = tmp_path / "folder"
    root.mkdir()
    state = _settled_file(root / "a.bin", b"same size")
    with open_index(root) as index:  # type: ignore[union-attr]
        index.record("a.bin", state, "md5-a")
        index.close()
    with open_index(root) as index:  # type: ignore[union-attr]  # another run
        assert index.checksum("a.bin", State.of((root / "a.bin").stat())) == "md5-a"
        assert index.checksum("b.bin", state) is None

        # an edit of the same size, its modification time set back: ctime still tells
        (root / "a.bin").write_bytes(b"SAME SIZE")
        os.utime(root / "a.bin", ns=(state.mtime_ns, state.mtime_ns))
        edited = State.of((root / "a.bin").stat())
        assert (edited.size, edited.mtime_ns) == (state.size, state.mtime_ns)
        assert index.checksum("a.bin", edited) is None

        # replaced by another file (a rename over it): another inode
        (root / "other").write_bytes(b"same size")
        os.replace(root / "other", root / "a.bin")
        assert index.checksum("a.bin", State.of((root / "a.bin").stat())) is None


def test_a_file_changed_just_before_it_was_noted_is_read_again(tmp_path: Path) -> None:
    root = tmp_path / "folder"
    root.mkdir()
    (root / "a.bin").write_bytes(b"x")
    state = State.of((root / "a.bin").stat())
    with open_index(root) as index:  # type: ignore[union-attr]
        index.record("a.bin", state, "md5-x")  # within the settling time of its last change
        index.close()
    with open_index(root) as index:  # type: ignore[union-attr]
        assert index.checksum("a.bin", state) is None


def test_forget_and_no_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "folder"
    root.mkdir()
    state = _settled_file(root / "a.bin", b"x")
    with open_index(root) as index:  # type: ignore[union-attr]
        index.record("a.bin", state, "md5-x")
        index.forget("a.bin")
        index.close()
    with open_index(root) as index:  # type: ignore[union-attr]
        assert index.checksum("a.bin", state) is None
    monkeypatch.setenv("LAKEFS_NO_INDEX", "1")
    assert index_dir() is None
    assert open_index(root) is None


def test_a_corrupt_index_is_not_used(tmp_path: Path) -> None:
    root = tmp_path / "folder"
    root.mkdir()
    index = open_index(root)
    assert index is not None
    path = index.path
    index.close()
    path.write_bytes(b"this is not an SQLite database" * 100)
    for side in path.parent.glob(path.name + "-*"):  # its WAL and shared-memory files
        side.unlink()
    broken = open_index(root)  # refused at opening (None) or given up at first use
    state = _settled_file(root / "a.bin", b"x")
    if broken is not None:
        assert broken.checksum("a.bin", state) is None
        broken.record("a.bin", state, "md5")
        broken.close()


def test_a_crash_loses_only_what_was_not_written(tmp_path: Path) -> None:
    root = tmp_path / "folder"
    root.mkdir()
    state = _settled_file(root / "a.bin", b"x")
    with open_index(root) as index:  # type: ignore[union-attr]
        index.record("a.bin", state, "md5-written")
        index.close()
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from lakefs.lib._index import State, open_index\n"
        "index = open_index(Path(sys.argv[1]))\n"
        "st = State.of((Path(sys.argv[1]) / 'a.bin').stat())\n"
        "for i in range(300):\n"  # more than one batch: some written, the rest pending
        "    index.record(f'f{i}', st, 'md5')\n"
        "os._exit(0)\n"  # no close: the pending batch is lost, nothing else
    )
    subprocess.run([sys.executable, "-c", code, str(root)], check=True, env=os.environ.copy())
    with open_index(root) as index:  # type: ignore[union-attr]
        assert index.checksum("a.bin", state) == "md5-written"
        assert index.checksum("f0", state) == "md5"  # the first batch was written whole
        assert index.checksum("f299", state) is None  # the pending one was not


def test_concurrent_runs_share_an_index(tmp_path: Path) -> None:
    root = tmp_path / "folder"
    root.mkdir()
    state = _settled_file(root / "a.bin", b"x")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from lakefs.lib._index import State, open_index\n"
        "index = open_index(Path(sys.argv[1]))\n"
        "st = State.of((Path(sys.argv[1]) / 'a.bin').stat())\n"
        "for i in range(2000):\n"
        "    index.record(f'{sys.argv[2]}-{i}', st, sys.argv[2])\n"
        "index.close()\n"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", code, str(root), name], env=os.environ.copy())
        for name in ("one", "two", "three")
    ]
    assert [run.wait() for run in runs] == [0, 0, 0]
    with open_index(root) as index:  # type: ignore[union-attr]
        for name in ("one", "two", "three"):
            assert index.checksum(f"{name}-1999", state) == name
