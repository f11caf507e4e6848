"""How a download makes its file below a folder (``Place.write``): whole or not at all.

On Linux a new file is written with no name (``O_TMPFILE``) and linked in under its own once
whole, so that no temporary name is ever seen and nothing remains after a failure or a crash;
where a file is there already, or the file system has no unnamed files, it is written under a
temporary name renamed into place. Offline: a local folder, no server.
"""

from __future__ import annotations

import errno
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
from typing import IO

import pytest

from lakefs.lib import _local_tree
from lakefs.lib._local_tree import TEMP_SUFFIX, LocalTree, replace_whole

linux_only = pytest.mark.skipif(
    not hasattr(os, "O_TMPFILE"), reason="unnamed files (O_TMPFILE) are Linux's"
)


def _write(tree: LocalTree, name: str, fill: object) -> int:
    with tree.place(name) as place:
        return place.write(fill)  # type: ignore[arg-type]


@linux_only
def test_a_new_file_has_no_name_in_its_folder_until_it_is_whole(tmp_path: pathlib.Path) -> None:
    seen: list[list[str]] = []

    def fill(out: IO[bytes]) -> int:
        out.write(b"half")
        out.flush()
        seen.append(sorted(os.listdir(tmp_path / "d")))
        out.write(b" and the rest")
        return 17

    with LocalTree(tmp_path) as tree:
        assert _write(tree, "d/new.bin", fill) == 17
    assert seen == [[]]  # neither the file's name nor a temporary one while it was written
    assert sorted(os.listdir(tmp_path / "d")) == ["new.bin"]
    assert (tmp_path / "d" / "new.bin").read_bytes() == b"half and the rest"
    assert (tmp_path / "d" / "new.bin").stat().st_mode & 0o777 == 0o600 & ~_umask()


@pytest.mark.parametrize("unnamed", [True, False], ids=["unnamed", "temporary name"])
def test_a_failed_write_leaves_nothing_in_the_folder(tmp_path: pathlib.Path, unnamed: bool) -> None:
    if unnamed and not hasattr(os, "O_TMPFILE"):
        pytest.skip("unnamed files (O_TMPFILE) are Linux's")

    def fill(out: IO[bytes]) -> int:
        out.write(b"partial")
        raise ConnectionResetError("the answer broke off")

    with LocalTree(tmp_path) as tree:
        tree.unnamed = unnamed
        (tmp_path / "d").mkdir()
        with pytest.raises(ConnectionResetError):
            _write(tree, "d/new.bin", fill)
        (tmp_path / "d" / "old.bin").write_bytes(b"old")
        with pytest.raises(ConnectionResetError):
            _write(tree, "d/old.bin", fill)  # a file there: the temporary name's way
    assert sorted(os.listdir(tmp_path / "d")) == ["old.bin"]
    assert (tmp_path / "d" / "old.bin").read_bytes() == b"old"


@linux_only
@pytest.mark.parametrize("came", ["a file", "a link"])
def test_what_came_to_the_name_while_it_was_written_is_replaced_not_written_through(
    tmp_path: pathlib.Path, came: str
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not to be touched")
    root = tmp_path / "root"

    def fill(out: IO[bytes]) -> int:
        # Another writer puts something at the name after the place was looked at.
        if came == "a file":
            (root / "new.bin").write_bytes(b"theirs")
        else:
            (root / "new.bin").symlink_to(outside)
        out.write(b"ours")
        return 4

    with LocalTree(root) as tree:
        assert _write(tree, "new.bin", fill) == 4
    assert sorted(os.listdir(root)) == ["new.bin"]  # no temporary file left
    assert not (root / "new.bin").is_symlink()
    assert (root / "new.bin").read_bytes() == b"ours"
    assert outside.read_bytes() == b"not to be touched"


@linux_only
def test_a_file_system_without_unnamed_files_gets_temporary_names(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kernel before 3.11 knows no O_TMPFILE: it opens O_DIRECTORY | O_WRONLY, which says
    # EISDIR (a file system without them says EOPNOTSUPP).
    monkeypatch.setattr(_local_tree, "_UNNAMED_OPEN", os.O_DIRECTORY | os.O_WRONLY)
    seen: list[list[str]] = []

    def fill(out: IO[bytes]) -> int:
        seen.append(os.listdir(tmp_path))
        out.write(b"data")
        return 4

    with LocalTree(tmp_path) as tree:
        assert _write(tree, "a.bin", fill) == 4
        assert not tree.unnamed  # found once: the next files go the temporary name's way
        assert _write(tree, "b.bin", fill) == 4
    assert [len(names) for names in seen] == [1, 2]
    assert seen[0][0].startswith(".a.bin.")
    assert seen[0][0].endswith(TEMP_SUFFIX)
    assert sorted(os.listdir(tmp_path)) == ["a.bin", "b.bin"]


@linux_only
def test_where_naming_an_unnamed_file_is_refused_its_bytes_get_a_temporary_name(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sandbox without /proc (or a file system without hard links) refuses the link once the
    # bytes are written: they are copied under a temporary name, renamed; nothing is lost.
    assert _local_tree._can_name_unnamed()  # looked up once per process, before the patch
    monkeypatch.setattr(_local_tree, "_PROC_FD", str(tmp_path / "no-proc"))
    data = os.urandom(3 * 1024 * 1024 + 5)  # more than one block of the copy
    seen: list[list[str]] = []

    def fill(out: IO[bytes]) -> int:
        seen.append(os.listdir(tmp_path / "root"))
        out.write(data)
        return len(data)

    with LocalTree(tmp_path / "root") as tree:
        assert tree.unnamed
        assert _write(tree, "a.bin", fill) == len(data)
        assert not tree.unnamed  # the next files go the temporary name's way at once
        assert _write(tree, "b.bin", fill) == len(data)
    assert seen[0] == []  # a.bin had no name while it was written
    temporary, whole = sorted(seen[1])  # while b.bin was written: its temporary name, a.bin
    assert temporary.startswith(".b.bin.")
    assert whole == "a.bin"
    assert sorted(os.listdir(tmp_path / "root")) == ["a.bin", "b.bin"]
    assert (tmp_path / "root" / "a.bin").read_bytes() == data
    assert (tmp_path / "root" / "b.bin").read_bytes() == data


@linux_only
def test_a_download_killed_while_it_writes_leaves_nothing_behind(tmp_path: pathlib.Path) -> None:
    # kill -9 while the file is being written: no name was ever given, nothing remains.
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from lakefs.lib._local_tree import LocalTree

        def fill(out):
            out.write(b"x" * 65536)
            out.flush()
            print("writing", flush=True)
            time.sleep(60)
            return 0

        with LocalTree(Path({str(tmp_path)!r})) as tree, tree.place("d/big.bin") as place:
            place.write(fill)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "writing\n"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert os.listdir(tmp_path / "d") == []


@linux_only
def test_download_file_writes_its_file_as_a_folder_download_does(tmp_path: pathlib.Path) -> None:
    # replace_whole (download_file's): unnamed while written; over a file, that file is whole
    # until the new one is, then replaced; a link at the name is replaced, never followed.
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not to be touched")
    seen: list[tuple[list[str], bytes]] = []

    def fill(out: IO[bytes]) -> int:
        out.write(b"new")
        out.flush()
        seen.append((sorted(os.listdir(tmp_path / "d")), (tmp_path / "d" / "f.bin").read_bytes()))
        return 3

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.bin").symlink_to(outside)
    listed: list[list[str]] = []

    def new_file(out: IO[bytes]) -> int:
        listed.append(os.listdir(tmp_path / "d"))
        return out.write(b"g")

    assert replace_whole(tmp_path / "d" / "g.bin", new_file) == 1
    assert listed == [["f.bin"]]  # g.bin had no name, nor a temporary one, while written
    assert replace_whole(tmp_path / "d" / "f.bin", fill) == 3
    temporary = [n for n in seen[0][0] if n.endswith(TEMP_SUFFIX)]
    assert len(temporary) == 1  # over something: a temporary name, renamed
    assert seen[0][1] == b"not to be touched"  # read through the link while it was still there
    assert sorted(os.listdir(tmp_path / "d")) == ["f.bin", "g.bin"]
    assert not (tmp_path / "d" / "f.bin").is_symlink()
    assert (tmp_path / "d" / "f.bin").read_bytes() == b"new"
    assert outside.read_bytes() == b"not to be touched"
    with pytest.raises(ConnectionResetError):
        replace_whole(tmp_path / "d" / "h.bin", _broken)
    assert sorted(os.listdir(tmp_path / "d")) == ["f.bin", "g.bin"]


def _broken(out: IO[bytes]) -> int:
    out.write(b"partial")
    raise ConnectionResetError("the answer broke off")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_write_that_takes_part_of_a_chunk_is_written_again_not_left_short(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A filling disk takes what fits and refuses the rest at the next write: every chunk a
    # download writes is written whole, or the download fails (nothing short is ever named).
    from tests.test_folders_safety import Store

    data = {f"p/f{i}.bin": os.urandom(5000 + i) for i in range(3)}
    real = os.pwrite

    def takes_part(fd: int, chunk: bytes, offset: int) -> int:
        return real(fd, bytes(chunk[:1000]), offset)

    monkeypatch.setattr(os, "pwrite", takes_part)
    result = Store(data).branch.download_folder(
        "p", tmp_path / "out", pre_signed=False, max_workers=1
    )
    assert (result.sent, result.failed) == (3, {})
    for name, body in data.items():
        assert (tmp_path / "out" / name[2:]).read_bytes() == body

    def disk_full(fd: int, chunk: bytes, offset: int) -> int:
        if offset:  # the rest of the chunk: no room left
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, bytes(chunk[:4096]), offset)

    monkeypatch.setattr(os, "pwrite", disk_full)
    result = Store(data).branch.download_folder(
        "p", tmp_path / "full", pre_signed=False, max_workers=1
    )
    assert result.sent == 0
    assert sorted(result.failed) == sorted(name[2:] for name in data)
    assert all(isinstance(exc, OSError) for exc in result.failed.values())
    assert [p for p in (tmp_path / "full").rglob("*") if p.is_file()] == []


def test_a_write_that_writes_nothing_fails_the_file_instead_of_looping(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_folders_safety import Store

    real = os.pwrite

    def stalls(fd: int, chunk: bytes, offset: int) -> int:
        return real(fd, bytes(chunk[:100]), offset) if offset == 0 else 0

    monkeypatch.setattr(os, "pwrite", stalls)
    result = Store({"p/f.bin": os.urandom(5000)}).branch.download_folder(
        "p", tmp_path / "out", pre_signed=False, max_workers=1
    )
    assert result.sent == 0
    assert isinstance(result.failed["f.bin"], OSError)
    assert [p for p in (tmp_path / "out").rglob("*") if p.is_file()] == []
