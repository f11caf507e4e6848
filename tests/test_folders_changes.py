"""Folder transfers and files that change: issue 18's items 6 (a file rewritten in place while
it is uploaded is never stored torn) and 7 (``skip_unchanged="sha256"`` compares more than
MD5; the default's limit)."""

from __future__ import annotations

import hashlib
import os
import pathlib
import time

import pytest

import lakefs
from lakefs import Branch, Client, SourceChangedError, ValidationError
from lakefs.lib import folders, writer
from lakefs.lib._checksums import SHA256_KEY
from tests.conftest import PART_SIZE, Repo
from tests.test_folders_safety import Store, _on_first

_MiB = 1024 * 1024

# The published MD5 collision pair (Wang et al., 2004): same size, same MD5, other bytes.
WANG_A = bytes.fromhex(
    "d131dd02c5e6eec4693d9a0698aff95c2fcab58712467eab4004583eb8fb7f89"
    "55ad340609f4b30283e488832571415a085125e8f7cdc99fd91dbdf280373c5b"
    "d8823e3156348f5bae6dacd436c919c6dd53e2b487da03fd02396306d248cda0"
    "e99f33420f577ee8ce54b67080a80d1ec69821bcb6a8839396f9652b6ff72a70"
)
WANG_B = bytes.fromhex(
    "d131dd02c5e6eec4693d9a0698aff95c2fcab50712467eab4004583eb8fb7f89"
    "55ad340609f4b30283e4888325f1415a085125e8f7cdc99fd91dbd7280373c5b"
    "d8823e3156348f5bae6dacd436c919c6dd53e23487da03fd02396306d248cda0"
    "e99f33420f577ee8ce54b67080280d1ec69821bcb6a8839396f965ab6ff72a70"
)


def _aged(path: pathlib.Path, data: bytes) -> pathlib.Path:
    """``path`` holding ``data``, last changed a day ago (a rewrite now changes its mtime
    whatever the file system's timestamp granularity)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    past = time.time() - 86400
    os.utime(path, (past, past))
    return path


def _rewrite_in_place(path: pathlib.Path) -> None:
    """Overwrite ``path``'s bytes with others, same size (no truncation, no new inode)."""
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.write(b"N" * size)


# -- item 6: a file rewritten in place while it is uploaded --------------------------------------


def test_a_file_rewritten_in_place_while_streamed_publishes_nothing(
    tmp_path: pathlib.Path,
) -> None:
    old = b"O" * (3 * _MiB)
    store = Store({"m/big.bin": old})
    source = _aged(tmp_path / "src" / "big.bin", b"V" * (3 * _MiB))  # read in 1 MiB chunks
    progress = _on_first("advance", lambda: _rewrite_in_place(source))
    result = store.branch.upload_folder(
        source.parent, "m", pre_signed=False, max_workers=1, progress=progress
    )
    assert (result.sent, result.bytes, list(result.failed)) == (0, 0, ["big.bin"])
    assert isinstance(result.failed["big.bin"], SourceChangedError)
    assert store.uploads == []  # the request never completed: nothing published
    assert store.objects["m/big.bin"][0] == old  # the previous version stays


def test_a_small_file_changed_after_it_was_opened_publishes_nothing(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store({"m/small.txt": b"other"})
    source = _aged(tmp_path / "src" / "small.txt", b"local")
    compare = folders.same_content

    def rewritten_while_compared(*args: object, **kwargs: object) -> bool:
        _rewrite_in_place(source)  # between the first look and the bytes sent
        return compare(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(folders, "same_content", rewritten_while_compared)
    result = store.branch.upload_folder(source.parent, "m", pre_signed=False, max_workers=1)
    assert list(result.failed) == ["small.txt"]
    assert isinstance(result.failed["small.txt"], SourceChangedError)
    assert store.uploads == []


def test_a_file_left_alone_uploads_as_before(tmp_path: pathlib.Path) -> None:
    store = Store()
    data = os.urandom(3 * _MiB)
    source = _aged(tmp_path / "src" / "big.bin", data)
    result = store.branch.upload_folder(source.parent, "m", pre_signed=False, max_workers=1)
    assert (result.sent, result.bytes, result.failed) == (1, len(data), {})
    assert store.objects["m/big.bin"][0] == data
    assert store.objects["m/big.bin"][1] == {}  # no metadata unless asked for


UPLOADS = [
    pytest.param("local", False, marks=pytest.mark.server("local"), id="through-lakefs"),
    pytest.param("s3", False, marks=pytest.mark.server("s3"), id="pre-signed-put"),
    pytest.param("s3", True, marks=pytest.mark.server("s3"), id="pre-signed-multipart"),
]


@pytest.mark.loopback
@pytest.mark.parametrize(("kind", "multipart"), UPLOADS)
def test_a_file_rewritten_during_its_upload_is_never_stored_torn(
    repo: Repo,
    client: Client,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    multipart: bool,
) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    size = 40 * PART_SIZE + 123  # 41 parts, several chunks of any strategy
    if multipart:
        monkeypatch.setattr(writer, "DEFAULT_MULTIPART_THRESHOLD", PART_SIZE)
        monkeypatch.setattr(folders, "DEFAULT_PART_SIZE", PART_SIZE)
    old = os.urandom(size)
    main.upload(old, "m/f.bin")
    source = _aged(tmp_path / "src" / "f.bin", os.urandom(size))
    progress = _on_first("advance", lambda: _rewrite_in_place(source))
    result = main.upload_folder(source.parent, "m", max_workers=2, progress=progress)
    assert list(result.failed) == ["f.bin"]
    assert isinstance(result.failed["f.bin"], SourceChangedError)
    assert (result.sent, result.bytes) == (0, 0)
    assert main.download("m/f.bin") == old  # neither torn nor new: the old version
    # Once the file is left alone, it uploads.
    again = main.upload_folder(source.parent, "m", max_workers=2, progress=False)
    assert (again.sent, again.failed) == (1, {})
    assert main.download("m/f.bin") == source.read_bytes()


@pytest.mark.loopback
@pytest.mark.server("local")
def test_a_64_mib_file_rewritten_throughout_its_upload(
    repo: Repo, client: Client, tmp_path: pathlib.Path
) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    first, second = b"1" * (64 * _MiB), b"2" * (64 * _MiB)
    source = _aged(tmp_path / "src" / "f.bin", first)
    rewrites = 0

    def rewrite(event: lakefs.ProgressEvent) -> None:
        nonlocal rewrites
        if event.kind == "advance" and rewrites < 3:  # its first chunks: rewritten thrice
            rewrites += 1
            with source.open("r+b") as f:
                f.write(second if rewrites % 2 else first)

    result = main.upload_folder(source.parent, "m", max_workers=2, progress=rewrite)
    assert isinstance(result.failed.get("f.bin"), SourceChangedError)
    assert list(main.list_objects(prefix="m/")) == []  # nothing torn was stored


# -- item 7: skip_unchanged="sha256" ---------------------------------------------------------------


def test_the_collision_pair_is_one() -> None:
    assert WANG_A != WANG_B
    assert len(WANG_A) == len(WANG_B)
    assert hashlib.md5(WANG_A).digest() == hashlib.md5(WANG_B).digest()


BOTH = [
    pytest.param("local", marks=pytest.mark.server("local"), id="local"),
    pytest.param("s3", marks=pytest.mark.server("s3"), id="s3"),  # pre-signed: linked
]


@pytest.mark.parametrize("kind", BOTH)
def test_sha256_mode_tells_an_md5_collision_apart(
    repo: Repo, client: Client, tmp_path: pathlib.Path, workers: int, kind: str
) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    source = _aged(tmp_path / "src" / "f.bin", WANG_A)
    assert main.upload_folder(source.parent, "c", max_workers=workers).sent == 1
    source.write_bytes(WANG_B)

    # The default compares size and MD5: a deliberate collision passes as unchanged.
    assert main.upload_folder(source.parent, "c", max_workers=workers).skipped == 1
    assert main.download("c/f.bin") == WANG_A

    # "sha256": an object without the SHA-256 cannot be told unchanged, so it is sent, and it
    # is stored with its SHA-256.
    sent = main.upload_folder(source.parent, "c", skip_unchanged="sha256", max_workers=workers)
    assert (sent.sent, sent.skipped) == (1, 0)
    assert main.download("c/f.bin") == WANG_B
    assert main.stat_object("c/f.bin").metadata() == {
        SHA256_KEY: hashlib.sha256(WANG_B).hexdigest()
    }
    again = main.upload_folder(source.parent, "c", skip_unchanged="sha256", max_workers=workers)
    assert (again.sent, again.skipped) == (0, 1)
    source.write_bytes(WANG_A)  # the same MD5 again, another SHA-256: sent
    back = main.upload_folder(source.parent, "c", skip_unchanged="sha256", max_workers=workers)
    assert (back.sent, back.skipped) == (1, 0)
    assert main.download("c/f.bin") == WANG_A

    # Downloads: the local file has the object's MD5, not its SHA-256.
    target = tmp_path / "out"
    (target / "f.bin").parent.mkdir()
    (target / "f.bin").write_bytes(WANG_B)
    assert main.download_folder("c", target, max_workers=workers).skipped == 1
    assert (target / "f.bin").read_bytes() == WANG_B  # the default's limit
    down = main.download_folder("c", target, skip_unchanged="sha256", max_workers=workers)
    assert (down.sent, down.skipped) == (1, 0)
    assert (target / "f.bin").read_bytes() == WANG_A
    same = main.download_folder("c", target, skip_unchanged="sha256", max_workers=workers)
    assert (same.sent, same.skipped) == (0, 1)


def test_sha256_mode_without_the_stored_hash_always_transfers(tmp_path: pathlib.Path) -> None:
    store = Store({"p/a.txt": b"same"})  # stored by another tool: no SHA-256
    target = tmp_path / "out"
    (target).mkdir()
    (target / "a.txt").write_bytes(b"same")
    down = store.branch.download_folder(
        "p", target, skip_unchanged="sha256", pre_signed=False, max_workers=1
    )
    assert (down.sent, down.skipped) == (1, 0)
    up = store.branch.upload_folder(
        target, "p", skip_unchanged="sha256", pre_signed=False, max_workers=1
    )
    assert (up.sent, up.skipped) == (1, 0)
    assert store.objects["p/a.txt"][1] == {SHA256_KEY: hashlib.sha256(b"same").hexdigest()}
    again = store.branch.upload_folder(
        target, "p", skip_unchanged="sha256", pre_signed=False, max_workers=1
    )
    assert (again.sent, again.skipped) == (0, 1)


@pytest.mark.parametrize("value", [None, "md5", "SHA256", 1, 0, "checksum"])
def test_skip_unchanged_takes_true_false_or_sha256(tmp_path: pathlib.Path, value: object) -> None:
    branch: Branch = Store().branch
    with pytest.raises(ValidationError, match="skip_unchanged"):
        branch.upload_folder(tmp_path, "p", skip_unchanged=value)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="skip_unchanged"):
        branch.download_folder("p", tmp_path, skip_unchanged=value)  # type: ignore[arg-type]
