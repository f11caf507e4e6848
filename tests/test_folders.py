"""Folder transfers (upload_folder / download_folder), progress, and the S3 store's behaviour.

Cassette tests run transfers with the ``workers`` fixture (one worker under cassettes: tasks then
run in order in the test's thread); live runs use several. Requests are counted with ``sent``.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest

import lakefs
from lakefs import (
    Branch,
    Client,
    LakeFSError,
    NotFoundError,
    ProgressEvent,
    TransferError,
    TransferResult,
    ValidationError,
)
from lakefs.lib import folders, writer
from lakefs.lib.folders import same_content
from lakefs.lib.progress import tracker
from lakefs.testing import MockRequest, MockResponse, mock_client
from tests.conftest import PART_SIZE, Repo, Server

BOTH = [
    pytest.param("local", marks=pytest.mark.server("local"), id="local"),
    pytest.param("s3", marks=pytest.mark.server("s3"), id="s3"),
]

# Names chosen for the order lakeFS lists them in: "a!b" < "a.txt" < "a/..." byte-wise.
TREE = {
    "a.txt": b"alpha",
    "a!b": b"bang",
    "a/b.txt": b"nested",
    "a/c/d/e.bin": bytes(range(256)) * 4,
    "données/été.csv": "x,ü\n1,é\n".encode(),
    "日本/😀.txt": b"unicode",
    "z.json": b"{}",
}


@pytest.fixture(params=BOTH)
def main(request: pytest.FixtureRequest, repo: Repo, client: Client) -> Branch:
    return lakefs.repository(repo.id, client=client).branch("main")


@pytest.fixture
def local_main(repo: Repo, client: Client) -> Branch:
    return lakefs.repository(repo.id, client=client).branch("main")


def _write(root: pathlib.Path, files: dict[str, bytes]) -> pathlib.Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _files(root: pathlib.Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _objects(branch: Branch, prefix: str = "") -> list[str]:
    return [o.path for o in branch.list_objects(prefix=prefix, delimiter="")]


def test_nested_folders_and_unicode_names_round_trip(
    main: Branch, tmp_path: pathlib.Path, workers: int
) -> None:
    source = _write(tmp_path / "src", TREE)
    result = main.upload_folder(source, "data", max_workers=workers)
    assert result == TransferResult(sent=len(TREE), bytes=sum(map(len, TREE.values())))
    assert _objects(main, "data/") == sorted(f"data/{rel}" for rel in TREE)
    assert main.download("data/données/été.csv") == TREE["données/été.csv"]
    assert main.stat_object("data/z.json").content_type() == "application/json"

    target = tmp_path / "out" / "new"  # created
    got = main.download_folder("data/", target, max_workers=workers)
    assert got == TransferResult(sent=len(TREE), bytes=sum(map(len, TREE.values())))
    assert _files(target) == TREE
    assert not list(target.rglob("*.lakefs-part"))  # no temporary file left


@pytest.mark.server("local")
def test_include_and_exclude_patterns(
    local_main: Branch, tmp_path: pathlib.Path, workers: int
) -> None:
    source = _write(tmp_path / "src", TREE)
    only_txt = local_main.upload_folder(
        source, "p/", include=["*.txt", "données/"], exclude="日本/*", max_workers=workers
    )
    assert only_txt.sent == 3
    assert _objects(local_main) == ["p/a.txt", "p/a/b.txt", "p/données/été.csv"]
    target = tmp_path / "out"
    got = local_main.download_folder("p", target, exclude=["a/*"], max_workers=workers)
    assert got.sent == 2
    assert sorted(_files(target)) == ["a.txt", "données/été.csv"]


@pytest.mark.server("local")
def test_upload_delete_mirrors_the_folder(
    local_main: Branch, tmp_path: pathlib.Path, workers: int
) -> None:
    source = _write(tmp_path / "src", TREE)
    local_main.upload_folder(source, "m", max_workers=workers)
    local_main.upload(b"outside", "m2/kept.txt")  # "m2/" is not below "m/"
    local_main.commit_changes("first")
    (source / "a.txt").unlink()
    (source / "a/c/d/e.bin").unlink()
    (source / "z.json").unlink()
    result = local_main.upload_folder(
        source, "m", delete=True, exclude="*.json", max_workers=workers
    )
    # a.txt and e.bin removed; z.json is excluded, so it stays (as aws s3 sync --exclude).
    assert (result.sent, result.skipped, result.deleted, result.failed) == (0, 4, 2, {})
    assert _objects(local_main) == [
        "m/a!b",
        "m/a/b.txt",
        "m/données/été.csv",
        "m/z.json",
        "m/日本/😀.txt",
        "m2/kept.txt",
    ]
    # Staged like every write: the branch's uncommitted changes hold the removals.
    changes = [(c.type, c.path) for c in local_main.list_uncommitted()]
    assert changes == [("removed", "m/a.txt"), ("removed", "m/a/c/d/e.bin")]


@pytest.mark.server("local")
def test_download_delete_mirrors_the_prefix(
    local_main: Branch, tmp_path: pathlib.Path, workers: int
) -> None:
    local_main.upload_folder(_write(tmp_path / "src", TREE), "", max_workers=workers)
    target = _write(tmp_path / "out", {"stale.txt": b"old", "a/old.bin": b"x", "keep.log": b"l"})
    result = local_main.download_folder(
        "", target, delete=True, exclude="*.log", max_workers=workers
    )
    assert (result.sent, result.deleted, result.failed) == (len(TREE), 2, {})
    assert _files(target) == {**TREE, "keep.log": b"l"}


def test_skip_unchanged_sends_listing_pages_only(
    main: Branch,
    tmp_path: pathlib.Path,
    workers: int,
    sent: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Pre-signed files from PART_SIZE on go in parts: their checksum is a multipart ETag.
    monkeypatch.setattr(writer, "DEFAULT_MULTIPART_THRESHOLD", PART_SIZE)
    monkeypatch.setattr(folders, "DEFAULT_PART_SIZE", PART_SIZE)
    files = {**TREE, "large.bin": bytes(range(256)) * (PART_SIZE * 3 // 256 + 1)}
    source = _write(tmp_path / "src", files)
    main.upload_folder(source, "s", max_workers=workers)
    count = sent  # type: ignore[assignment]

    before = count()  # type: ignore[operator]
    again = main.upload_folder(source, "s", max_workers=workers)
    assert again == TransferResult(skipped=len(files))
    if before is not None:  # one listing page, no object bytes
        assert count() == before + 1  # type: ignore[operator]

    (source / "a.txt").write_bytes(b"ALPHA")  # same size, other content: sent
    changed = main.upload_folder(source, "s", max_workers=workers)
    assert (changed.sent, changed.skipped, changed.bytes) == (1, len(files) - 1, 5)
    assert main.download("s/a.txt") == b"ALPHA"

    target = tmp_path / "out"
    main.download_folder("s", target, max_workers=workers)
    before = count()  # type: ignore[operator]
    down = main.download_folder("s", target, max_workers=workers)
    assert down == TransferResult(skipped=len(files))
    if before is not None:
        assert count() == before + 1  # type: ignore[operator]


@pytest.mark.server("local")
def test_a_failing_file_does_not_stop_the_others(
    local_main: Branch, tmp_path: pathlib.Path, workers: int
) -> None:
    source = _write(tmp_path / "src", {"good1.txt": b"1", "sub/good2.txt": b"2"})
    (source / "broken.txt").symlink_to(source / "nowhere")  # a dangling link: unreadable
    fd = os.open(os.fsencode(source) + b"/bad\xff.txt", os.O_CREAT | os.O_WRONLY)
    os.close(fd)  # a name that is not UTF-8: no object path
    result = local_main.upload_folder(source, "", max_workers=workers)
    assert result.sent == 2
    assert sorted(result.failed) == ["bad\ufffd.txt", "broken.txt"]
    assert isinstance(result.failed["broken.txt"], FileNotFoundError)
    assert isinstance(result.failed["bad\ufffd.txt"], ValidationError)
    with pytest.raises(TransferError) as info:
        result.raise_for_failures()
    assert isinstance(info.value, LakeFSError)
    assert _objects(local_main) == ["good1.txt", "sub/good2.txt"]

    # Downloads: an object vanishes after the listing, and "x" is a file where "x/y" needs a
    # folder. One worker, so that the object is removed before its turn, in every mode.
    for name in ("vanished.txt", "x", "x/y", "z.txt"):
        local_main.upload(name.encode(), name)

    def remove_gone(event: ProgressEvent) -> None:
        if event.kind == "file" and event.path == "good1.txt":
            local_main.delete_objects("vanished.txt")

    target = tmp_path / "out"
    got = local_main.download_folder("", target, max_workers=1, progress=remove_gone)
    assert sorted(got.failed) == ["vanished.txt", "x/y"]
    assert isinstance(got.failed["vanished.txt"], NotFoundError)
    assert isinstance(got.failed["x/y"], OSError)
    assert got.sent == 4
    assert _files(target) == {
        "good1.txt": b"1",
        "sub/good2.txt": b"2",
        "x": b"x",
        "z.txt": b"z.txt",
    }
    assert not list(target.rglob("*.lakefs-part"))


@pytest.mark.server("local")
def test_progress_events_of_files_and_imports(
    local_main: Branch, tmp_path: pathlib.Path, server: Server, repo: Repo, lakefs_mode: str
) -> None:
    data = bytes(range(256)) * 64
    source = _write(tmp_path, {"f.bin": data})
    events: list[ProgressEvent] = []
    local_main.upload_file(source / "f.bin", "f.bin", progress=events.append)
    local_main.download_file("f.bin", tmp_path / "back.bin", progress=events.append)
    assert (tmp_path / "back.bin").read_bytes() == data
    for operation in ("upload_file", "download_file"):
        mine = [e for e in events if e.operation == operation]
        assert mine[0].kind == "start"
        assert mine[-1].kind == "end"
        assert mine[-1].units_done == len(data)
        assert [e.outcome for e in mine if e.kind == "file"] == ["sent"]

    root = server.import_dir / repo.id
    if lakefs_mode != "replay":  # only a real server reads the files
        _write(root, {"one.txt": b"1", "two/three.txt": b"3"})
    seen: list[ProgressEvent] = []
    local_main.commit_changes("an import needs a clean branch")
    local_main.import_from(f"local://{root}/", "imp/", "import").run(
        poll_interval=0.1 if lakefs_mode != "replay" else 0, progress=seen.append
    )
    assert next(e.kind for e in seen) == "start"
    assert seen[-1].kind == "end"
    assert seen[-1].units_done == 2


def test_progress_options(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAKEFS_NO_PROGRESS", raising=False)
    with tracker(None, "upload_file", units_total=10) as quiet:  # stderr is not a terminal
        quiet.advance(10)
    assert not quiet.active
    with tracker(True, "upload_file", description="up", units_total=10) as bar:
        bar.advance(10)
        bar.file_done("x", "sent")
    assert "up" in capsys.readouterr().err
    monkeypatch.setenv("LAKEFS_NO_PROGRESS", "1")
    with tracker(True, "upload_file", units_total=10) as off:
        off.advance(10)
    assert not off.active
    assert capsys.readouterr().err == ""
    events: list[ProgressEvent] = []
    with tracker(events.append, "download_folder") as calls:  # a callable still gets events
        calls.add_total(5, 1)
        calls.advance(5)
        calls.file_done("a", "skipped")
    assert [e.kind for e in events] == ["start", "total", "advance", "file", "end"]
    assert events[-1].files_done == 1
    with pytest.raises(ValidationError, match="progress"):
        tracker("yes", "upload_file")  # type: ignore[arg-type]


def test_bad_arguments_fail_before_any_request(tmp_path: pathlib.Path) -> None:
    requests: list[MockRequest] = []

    def handler(request: MockRequest) -> MockResponse:
        requests.append(request)
        return MockResponse(500, b"{}")

    main = lakefs.repository("repo", client=mock_client(handler)).branch("main")
    (tmp_path / "f").write_bytes(b"x")
    bad: list[dict[str, object]] = [
        {"local_dir": tmp_path / "missing"},
        {"local_dir": tmp_path / "f"},
        {"local_dir": 42},
        {"include": 3},
        {"exclude": [""]},
        {"max_workers": 0},
        {"delete": "yes"},
        {"skip_unchanged": None},
        {"pre_signed": "auto"},
        {"progress": "bar"},
        {"prefix": b"bytes"},
        {"extra_headers": {"Bad Header": "v"}},
        {"timeout": "soon"},
    ]
    for kwargs in bad:
        args = {"local_dir": tmp_path, **kwargs}
        with pytest.raises(ValidationError):
            main.upload_folder(**args)  # type: ignore[arg-type]
        down = {"prefix": "", **args}
        if down["local_dir"] == tmp_path:
            with pytest.raises(ValidationError):
                main.download_folder(**down)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        main.download_folder("", tmp_path / "f")  # a file, not a folder
    with pytest.raises(ValidationError):
        main.download_file("", tmp_path / "x")
    with pytest.raises(ValidationError):
        main.download_file("a", tmp_path / "x", part_workers=0)
    with pytest.raises(ValidationError):
        main.upload_file(tmp_path / "f", "a", progress=1)  # type: ignore[arg-type]
    assert requests == []


# -- Ctrl-C and what is in the way ---------------------------------------------------------------

_MiB = 1024 * 1024
_STATS = {"physical_address": "local://x", "mtime": 1, "path_type": "object"}


def _listing(*entries: dict[str, object]) -> dict[str, object]:
    results = [{**_STATS, **e} for e in entries]
    pagination = {"has_more": False, "next_offset": "", "results": len(results)}
    return {"results": results, "pagination": {**pagination, "max_per_page": 1000}}


class _Runners(list["folders._Runner"]):
    """Every run a test starts (to see its cancellation)."""


@pytest.fixture
def runners(monkeypatch: pytest.MonkeyPatch) -> _Runners:
    seen = _Runners()

    class Spy(folders._Runner):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            seen.append(self)

    monkeypatch.setattr(folders, "_Runner", Spy)
    return seen


@pytest.fixture
def ctrl_c(runners: _Runners) -> Iterator[Callable[[], None]]:
    """Press Ctrl-C (SIGINT to the main thread, where the transfer waits) from a transfer's
    thread, and wait there until the run is cancelled, as a user's Ctrl-C would find it."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)

    def press() -> None:
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        assert runners[-1].token.wait(10), "Ctrl-C did not cancel the run"

    yield press
    signal.signal(signal.SIGINT, previous)


def _press_on_first_chunk(press: Callable[[], None], advanced: list[int]) -> Callable[..., None]:
    def progress(event: ProgressEvent) -> None:
        if event.kind == "advance":
            advanced.append(event.units_done)
            if len(advanced) == 1:
                press()

    return progress


def test_ctrl_c_stops_a_download_in_flight(
    tmp_path: pathlib.Path, ctrl_c: Callable[[], None]
) -> None:
    data = bytes(range(256)) * (4 * _MiB // 256)  # read in 1 MiB chunks

    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/objects/ls"):
            entry = {"path": "p/big.bin", "size_bytes": len(data), "checksum": "0" * 32}
            return MockResponse.json(_listing(entry))
        return MockResponse(200, data, {"Content-Length": str(len(data))})

    main = lakefs.repository("repo", client=mock_client(handler)).branch("main")
    out = tmp_path / "out"
    advanced: list[int] = []
    with pytest.raises(KeyboardInterrupt):
        main.download_folder(
            "p/",
            out,
            pre_signed=False,
            max_workers=2,  # the transfer in a worker, the main thread waiting for it
            progress=_press_on_first_chunk(ctrl_c, advanced),
        )
    assert advanced == [_MiB]  # it stopped at its next chunk, not at the end
    assert list(out.iterdir()) == []  # no file, no temporary file


@pytest.mark.loopback
@pytest.mark.server("local")
def test_ctrl_c_stops_transfers_in_flight_and_publishes_nothing(
    local_main: Branch, tmp_path: pathlib.Path, ctrl_c: Callable[[], None]
) -> None:
    source = _write(tmp_path / "src", {"big.bin": os.urandom(64 * _MiB)})
    up: list[int] = []
    with pytest.raises(KeyboardInterrupt):
        local_main.upload_folder(
            source, "up", max_workers=2, progress=_press_on_first_chunk(ctrl_c, up)
        )
    assert len(up) == 1
    assert up[0] < 64 * _MiB
    assert _objects(local_main) == []  # the cut upload was not published

    local_main.upload_folder(source, "up", max_workers=2, progress=False)
    down: list[int] = []
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        local_main.download_folder(
            "up", out, max_workers=2, progress=_press_on_first_chunk(ctrl_c, down)
        )
    assert down == [_MiB]
    assert list(out.iterdir()) == []


def test_a_directory_in_the_way_of_a_download(tmp_path: pathlib.Path) -> None:
    stored = {"p/a/b": b"ab", "p/c/d": b"cd"}
    cut = set()

    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/objects/ls"):
            entries = [
                {"path": k, "size_bytes": len(v), "checksum": hashlib.md5(v).hexdigest()}
                for k, v in stored.items()
            ]
            return MockResponse.json(_listing(*entries))
        data = stored[request.query["path"]]
        if request.query["path"] in cut:
            data = data[:1]  # cut short: the download fails
        return MockResponse(200, data, {"Content-Length": str(len(data))})

    main = lakefs.repository("repo", client=mock_client(handler)).branch("main")
    out = tmp_path / "out"
    (out / "a" / "b").mkdir(parents=True)  # empty: replaced, as a file would be
    (out / "c" / "d").mkdir(parents=True)  # not empty: that file fails, nothing is removed
    (out / "c" / "d" / "keep.txt").write_bytes(b"k")
    result = main.download_folder("p/", out, pre_signed=False, max_workers=1)
    assert (result.sent, list(result.failed)) == (1, ["c/d"])
    error = result.failed["c/d"]
    assert isinstance(error, IsADirectoryError)
    assert "not empty" in str(error)
    assert "'c/d'" in str(error)
    assert error.filename == str(out / "c" / "d")
    assert (out / "a" / "b").read_bytes() == b"ab"
    assert (out / "c" / "d" / "keep.txt").read_bytes() == b"k"
    # Run again: the replaced file is unchanged, and the conflict is still reported.
    again = main.download_folder("p/", out, pre_signed=False, max_workers=1)
    assert (again.skipped, list(again.failed)) == (1, ["c/d"])
    # A download that fails puts the empty directory back: a failure changes nothing.
    (out / "a" / "b").unlink()
    (out / "a" / "b").mkdir()
    cut.add("p/a/b")
    failed = main.download_folder("p/", out, pre_signed=False, max_workers=1)
    assert sorted(failed.failed) == ["a/b", "c/d"]
    assert (out / "a" / "b").is_dir()
    assert list((out / "a").iterdir()) == [out / "a" / "b"]  # no temporary file either


def test_checksums_lakefs_stores_are_compared(tmp_path: pathlib.Path) -> None:
    data = bytes(range(256)) * 1000 + b"tail"
    path = tmp_path / "f"
    path.write_bytes(data)
    md5 = hashlib.md5(data).hexdigest()
    assert same_content(path, len(data), md5, len(data))
    assert same_content(path, len(data), f'"{md5.upper()}"', len(data))
    assert not same_content(path, len(data), md5, len(data) + 1)
    assert not same_content(path, len(data), "0" * 32, len(data))
    part = 100_000
    parts = [hashlib.md5(data[i : i + part]).digest() for i in range(0, len(data), part)]
    etag = f"{hashlib.md5(b''.join(parts)).hexdigest()}-{len(parts)}"
    assert same_content(path, len(data), etag, len(data), part_size=part)
    assert not same_content(path, len(data), etag, len(data))  # no part size gives that ETag
    assert not same_content(path, len(data), "sha256:abc", len(data))  # cannot compare: send


@pytest.mark.server("s3")
def test_s3_store_imports_copies_and_deletes(
    repo: Repo,
    client: Client,
    server: Server,
    run_id: str,
    tmp_path: pathlib.Path,
    lakefs_mode: str,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
    sent: object,
) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    # A pre-signed multipart object, and a plain one. Its multipart checksum is compared for the
    # part size folder transfers use (8 MiB; here PART_SIZE).
    monkeypatch.setattr(folders, "DEFAULT_PART_SIZE", PART_SIZE)
    large = bytes(range(256)) * (PART_SIZE * 2 // 256 + 3)
    (tmp_path / "large.bin").write_bytes(large)
    info = main.upload_file(
        tmp_path / "large.bin",
        "mp/large.bin",
        part_size=PART_SIZE,
        part_workers=workers,
        multipart_threshold=PART_SIZE,
    )
    assert info.checksum().endswith("-3")
    main.upload(b"plain", "mp/plain.txt")
    # Server-side copies keep the checksum and the bytes.
    copied = main.copy_object("main", "mp/large.bin", "copy/large.bin")
    assert copied.checksum() == info.checksum()
    assert main.download("copy/large.bin") == large
    main.copy_object("main", "mp/plain.txt", "copy/plain.txt")
    # An import from a bucket prefix: the store's ETags become the checksums.
    prefix = f"import-src/run-{run_id}/{repo.id}"
    http = server.http()
    for rel, data in {"one.txt": b"one", "sub/two.txt": b"two"}.items():
        put = http.request(
            "PUT", f"{server.s3_endpoint}/{server.s3_bucket}/{prefix}/{rel}", body=data
        )
        assert put.status == 200
    main.commit_changes("before import")
    main.import_from(f"s3://{server.s3_bucket}/{prefix}/", "imp/", "import").run(
        poll_interval=0.1 if lakefs_mode != "replay" else 0
    )
    assert main.stat_object("imp/one.txt").checksum() == hashlib.md5(b"one").hexdigest()
    # Everything downloads, and a second download finds everything unchanged: imported and
    # multipart checksums compare too.
    target = tmp_path / "out"
    first = main.download_folder("", target, max_workers=workers)
    assert first.sent == 6
    assert (target / "copy" / "large.bin").read_bytes() == large
    before = sent()  # type: ignore[operator]
    assert main.download_folder("", target, max_workers=workers).skipped == 6
    if before is not None:
        assert sent() == before + 1  # type: ignore[operator]
    # Deletes: batched, staged, and gone from the listing.
    main.delete_objects(["copy/large.bin", "copy/plain.txt", "imp/sub/two.txt"])
    assert _objects(main) == ["imp/one.txt", "mp/large.bin", "mp/plain.txt"]


@pytest.mark.loopback
@pytest.mark.server("local")
def test_a_1_gib_folder_in_bounded_memory(
    local_main: Branch, tmp_path: pathlib.Path, workers: int
) -> None:
    source = tmp_path / "big"
    source.mkdir()
    block = os.urandom(8 << 20)
    for i in range(8):  # 8 x 128 MiB
        with (source / f"part-{i}.bin").open("wb") as f:
            for _ in range(16):
                f.write(block)
    del block
    _reset_peak()
    before = _rss("VmRSS")
    up = local_main.upload_folder(source, "big", max_workers=workers, progress=False)
    down = local_main.download_folder("big", tmp_path / "out", max_workers=workers)
    again = local_main.upload_folder(source, "big", max_workers=workers)
    growth = _rss("VmHWM") - before
    assert (up.sent, up.bytes, down.sent, again.skipped) == (8, 1 << 30, 8, 8)
    assert growth <= 64 << 20, f"peak RSS grew by {growth >> 20} MiB"
    for name in ("part-0.bin", "part-7.bin"):
        assert (tmp_path / "out" / name).stat().st_size == 128 << 20


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS


def _rss(field: str) -> int:
    with open("/proc/self/status") as f:
        line = next(ln for ln in f if ln.startswith(field + ":"))
    return int(line.split()[1]) * 1024


def _bytes_read() -> int:
    """Bytes this process has read through read(2) and friends (files and sockets alike)."""
    with open("/proc/self/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("rchar:"))


@pytest.mark.server("local")
@pytest.mark.loopback  # live only: a cassette would hold every downloaded byte
def test_a_rerun_over_an_unchanged_folder_reads_nothing(
    local_main: Branch, tmp_path: pathlib.Path, workers: int, sent: object
) -> None:
    count = sent  # type: ignore[assignment]
    files = {f"d{i % 4}/f{i:03d}.bin": os.urandom(256 * 1024) for i in range(40)}  # 10 MiB
    total = sum(len(b) for b in files.values())
    source = _write(tmp_path / "src", files)
    time.sleep(0.06)  # the files settle: what is noted about them next is trusted
    assert local_main.upload_folder(source, "ix", max_workers=workers).sent == len(files)

    read, before = _bytes_read(), count()  # type: ignore[operator]
    again = local_main.upload_folder(source, "ix", max_workers=workers)
    assert again == TransferResult(skipped=len(files))
    assert _bytes_read() - read < total // 100  # the listing's answer, no file's bytes
    if before is not None:
        assert count() == before + 1  # type: ignore[operator]  # one listing page

    # An edit that keeps the size and sets the modification time back is still seen.
    victim = source / "d1" / "f001.bin"
    old = victim.stat()
    victim.write_bytes(os.urandom(256 * 1024))
    os.utime(victim, ns=(old.st_atime_ns, old.st_mtime_ns))
    changed = local_main.upload_folder(source, "ix", max_workers=workers)
    assert (changed.sent, changed.skipped) == (1, len(files) - 1)
    assert local_main.download("ix/d1/f001.bin") == victim.read_bytes()

    target = tmp_path / "out"
    local_main.download_folder("ix", target, max_workers=workers)
    time.sleep(0.06)
    # Files this SDK just wrote are compared once (read), then noted as settled ...
    assert local_main.download_folder("ix", target, max_workers=workers).skipped == len(files)
    read = _bytes_read()
    # ... so the next comparison reads nothing.
    down = local_main.download_folder("ix", target, max_workers=workers)
    assert down == TransferResult(skipped=len(files))
    assert _bytes_read() - read < total // 100
