"""File I/O in both configurations: open() for reading and writing, transfers, and edge cases."""

from __future__ import annotations

import hashlib
import io
import os
import pathlib

import pytest

import lakefs
from lakefs import Branch, Client, ObjectExistsError, ValidationError
from lakefs.lib.reader import ObjectReader
from lakefs.lib.writer import ObjectWriter
from tests.conftest import PART_SIZE, Repo

BOTH = [
    pytest.param("local", marks=pytest.mark.server("local"), id="local"),
    pytest.param("s3", marks=pytest.mark.server("s3"), id="s3"),
]


@pytest.fixture(params=BOTH)
def main(request: pytest.FixtureRequest, repo: Repo, client: Client) -> Branch:
    return lakefs.repository(repo.id, client=client).branch("main")


def _data(n: int) -> bytes:
    return bytes((i * 7 + i // 251) % 256 for i in range(n))


def test_many_writes_then_read_back(main: Branch) -> None:
    with main.open("w/many.bin", "wb") as f:
        assert isinstance(f, ObjectWriter)
        for i in range(50):
            assert f.write(bytes([i]) * (i + 1)) == i + 1
        assert f.tell() == sum(range(1, 51))
    expected = b"".join(bytes([i]) * (i + 1) for i in range(50))
    with main.open("w/many.bin", "rb") as r:
        assert isinstance(r, ObjectReader)
        assert r.read() == expected
    assert main.stat_object("w/many.bin").size_bytes() == len(expected)


def test_empty_and_one_byte_objects(main: Branch) -> None:
    with main.open("empty", "wb"):
        pass
    with main.open("empty", "rb") as r:
        assert r.read() == b""
        assert r.read(10) == b""
        assert r.size == 0
    main.upload(b"x", "one")
    with main.open("one", "rb") as r:
        assert r.read(5) == b"x"
        assert r.read() == b""


def test_seek_patterns_and_block_boundaries(main: Branch) -> None:
    block = 100
    data = _data(block * 3 + 1)
    main.upload(data, "s.bin")
    with main.open("s.bin", "rb", block_size=block) as r:
        assert (r.seekable(), r.readable()) == (True, True)
        assert r.read(7) == data[:7]
        assert r.seek(95) == 95
        assert r.read(10) == data[95:105]  # straddles the first block's end
        assert r.seek(-3, os.SEEK_CUR) == 102
        assert r.read(3) == data[102:105]
        assert r.seek(-1, os.SEEK_END) == len(data) - 1
        assert r.read(10) == data[-1:]
        assert r.read(10) == b""
        r.seek(250)
        buf = bytearray(60)
        assert r.readinto(buf) == 51
        assert bytes(buf[:51]) == data[250:]
        r.seek(0)
        assert b"".join(iter(lambda: r.read1(33), b"")) == data
        r.seek(len(data) + 5)
        assert r.read() == b""
        with pytest.raises(OSError, match="negative"):
            r.seek(-1)
    assert r.closed
    with pytest.raises(ValueError, match="closed"):
        r.read()


def test_text_mode_across_block_boundaries(main: Branch) -> None:
    text = "".join(f"line {i}: żółw 🐢 naïve\n" for i in range(40))
    with main.open("t.txt", "w") as w:
        for line in text.splitlines(keepends=True):
            w.write(line)
    with main.open("t.txt", "r", block_size=7) as r:  # multibyte characters split everywhere
        assert r.read() == text
    with main.open("t.txt", block_size=64) as r:
        assert list(r) == text.splitlines(keepends=True)
    with main.open("t.txt", "rb", block_size=16) as rb:
        lines = list(rb)
    assert b"".join(lines) == text.encode()
    assert len(lines) == 40


def test_large_writes_stream_in_parts(main: Branch, workers: int) -> None:
    data = _data(PART_SIZE * 3 + 123)
    with main.open("big.bin", "wb", part_size=PART_SIZE, part_workers=workers) as f:
        for i in range(0, len(data), 10_000):
            f.write(data[i : i + 10_000])
    info = main.stat_object("big.bin")
    assert info.size_bytes() == len(data)
    if main.client.config.host and lakefs.ServerConfiguration(main.client).pre_sign_support():
        assert info.checksum().endswith("-4")  # four parts
    else:
        assert info.checksum() == hashlib.md5(data).hexdigest()
    with main.open("big.bin", "rb", block_size=PART_SIZE) as r:
        assert hashlib.sha256(r.read()).digest() == hashlib.sha256(data).digest()


def _write_then_fail(main: Branch, size: int, workers: int) -> None:
    with main.open("fail.bin", "wb", part_size=PART_SIZE, part_workers=workers) as f:
        f.write(_data(size))
        raise RuntimeError("boom")


def test_an_exception_inside_with_leaves_nothing(main: Branch, workers: int) -> None:
    for size in (10, PART_SIZE * 2 + 1):  # a small one, and one that started a large upload
        with pytest.raises(RuntimeError, match="boom"):
            _write_then_fail(main, size, workers)
        with pytest.raises(FileNotFoundError):
            main.open("fail.bin", "rb")
    w = main.open("d.bin", "wb")
    w.write(b"abc")
    w.discard()
    assert w.closed
    assert list(main.list_objects()) == []


def test_exclusive_mode_refuses_an_existing_path(main: Branch) -> None:
    with main.open("x.txt", "x") as f:
        f.write("first")
    second = main.open("x.txt", "x")
    second.write("second")
    with pytest.raises(FileExistsError) as info:
        second.close()  # the server refuses, when the object would appear
    assert isinstance(info.value, ObjectExistsError)
    assert main.download("x.txt") == b"first"


def test_missing_object_is_file_not_found_at_open(main: Branch) -> None:
    with pytest.raises(FileNotFoundError):
        main.open("nope.txt", "rb")


def test_download_file_and_upload_file(main: Branch, tmp_path: pathlib.Path) -> None:
    source = tmp_path / "table.csv"
    source.write_bytes(b"a,b\n" + b"1,2\n" * 500)
    info = main.upload_file(source, "data/table.csv", metadata={"k": "v"})
    assert info.content_type() == "text/csv"
    target = tmp_path / "out" / "copy.csv"
    target.parent.mkdir()
    assert main.download_file("data/table.csv", target, block_size=512) == target
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["copy.csv"]  # no temporary left
    with pytest.raises(FileNotFoundError):
        main.download_file("missing.csv", target.parent / "missing.csv")
    assert [p.name for p in target.parent.iterdir()] == ["copy.csv"]


def test_upload_accepts_bytes_str_files_and_paths(main: Branch, tmp_path: pathlib.Path) -> None:
    main.upload(b"bytes", "u/1")
    main.upload("stré", "u/2")
    main.upload(io.BytesIO(b"binary file"), "u/3")
    main.upload(io.StringIO("text file"), "u/4")
    (tmp_path / "p.json").write_text("{}")
    assert main.upload(tmp_path / "p.json", "u/5").content_type() == "application/json"
    got = [main.download(f"u/{i}") for i in range(1, 6)]
    assert got == [b"bytes", "stré".encode(), b"binary file", b"text file", b"{}"]


@pytest.mark.server("local")
def test_pre_signed_true_on_a_store_without_it_is_a_clear_error(repo: Repo, client: Client) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    with pytest.raises(ValidationError, match="does not support pre-signed"):
        main.open("a", "rb", pre_signed=True)
    with pytest.raises(ValidationError, match="does not support pre-signed"):
        main.open("a", "wb", pre_signed=True)


@pytest.mark.server("s3")
def test_pre_signed_reads_go_straight_to_the_object_store(repo: Repo, client: Client) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    data = _data(1000)
    main.upload(data, "p.bin")
    with main.open("p.bin", "rb", block_size=100) as r:
        assert r.read() == data
        assert r._gets._direct is not None  # later ranges skipped lakeFS
        assert "X-Amz-" in r._gets._direct
    with main.open("p.bin", "rb", pre_signed=False) as r:
        assert r.read() == data
        assert r._gets._direct is None


@pytest.mark.server("s3")
def test_multipart_abort_leaves_no_object(repo: Repo, client: Client, workers: int) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    writer = main.open("abort.bin", "wb", part_size=PART_SIZE, part_workers=workers)
    writer.write(_data(PART_SIZE * 2))
    upload = writer._upload
    assert upload is not None
    writer.discard()
    assert getattr(upload, "_finished", None) is False
    assert list(main.list_objects()) == []
    assert list(main.list_uncommitted()) == []


@pytest.mark.server("s3")
def test_a_large_file_goes_as_multipart_with_every_url_at_once(
    repo: Repo,
    client: Client,
    tmp_path: pathlib.Path,
    sent: object,
    workers: int,
) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    data = _data(PART_SIZE * 3 + 5)
    source = tmp_path / "large.bin"
    source.write_bytes(data)
    lakefs.ServerConfiguration(client).pre_sign_support()  # fetched once per client: not counted
    before = sent()  # type: ignore[operator]
    info = main.upload_file(  # "large" from 64 KiB on
        source,
        "large.bin",
        part_size=PART_SIZE,
        part_workers=workers,
        multipart_threshold=PART_SIZE,
    )
    assert info.checksum().endswith("-4")
    if before is not None:  # create (with 4 part URLs), 4 part PUTs, complete: no URL requests
        assert sent() == before + 6  # type: ignore[operator]
    assert main.download("large.bin") == data


METADATA = {"owner": "Zoë", "note": "日本 😀 a\tb", "empty": "", "x-y_z.1": "plain"}


def test_metadata_and_content_type_round_trip_on_every_path(main: Branch, workers: int) -> None:
    """One rule for every way an object travels: what passes validation comes back exactly."""
    pre_signed = lakefs.ServerConfiguration(main.client).pre_sign_support()
    ways = {"small": 10, "large": PART_SIZE * 2 + 5}  # one request; streamed or multipart
    for name, size in ways.items():
        for signed in {False, pre_signed}:
            path = f"meta/{name}-{signed}.bin"
            with main.open(
                path,
                "wb",
                pre_signed=signed,
                content_type="text/csv; charset=utf-8",
                metadata=METADATA,
                part_size=PART_SIZE,
                part_workers=workers,
            ) as f:
                f.write(_data(size))
            info = main.stat_object(path)
            assert (info.metadata(), info.content_type()) == (
                METADATA,
                "text/csv; charset=utf-8",
            ), path
    with pytest.raises(ValidationError):
        main.upload(b"x", "meta/bad.bin", metadata={"k": "two\r\nlines"})
    with pytest.raises(ValidationError):
        main.upload(b"x", "meta/bad.bin", content_type=123)  # type: ignore[arg-type]


def test_an_object_overwritten_during_a_read_is_never_mixed(main: Branch) -> None:
    """Through lakeFS the next answer is of the new version: the read stops. Pre-signed, the
    read goes on from the old version's own data in the store: all of it is the old one."""
    main.upload(b"A" * 300_000, "v.bin")
    pre_signed = lakefs.ServerConfiguration(main.client).pre_sign_support()
    with main.open("v.bin", "rb", block_size=65536) as f:
        assert f.read(65536) == b"A" * 65536
        main.upload(b"B" * 300_000, "v.bin")
        if pre_signed:
            assert f.read() == b"A" * (300_000 - 65536)
        else:
            with pytest.raises(lakefs.ObjectChangedError):
                f.read()
