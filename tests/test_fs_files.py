"""lakefs://'s files and reads: fs.open files pickle (readers) or refuse to (writers), the SDK's
ObjectReader pickles, and cat_file reads its answer where the request is retried, with typed
errors only.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import lakefs
from lakefs import APIConnectionError, Client, LakeFSError, ObjectChangedError
from lakefs.fs import LakeFSFileSystem
from lakefs.testing import MockRequest, MockResponse, mock_client
from tests.conftest import Repo

DATA = bytes(range(256)) * 64  # 16 KiB


@pytest.fixture
def fs(client: Client, workers: int) -> LakeFSFileSystem:
    return LakeFSFileSystem(client=client, max_workers=workers, skip_instance_cache=True)


# -- pickling --------------------------------------------------------------------------------


@pytest.mark.server("local")
def test_a_file_open_for_reading_pickles_and_reopens_the_same_version(
    fs: LakeFSFileSystem, repo: Repo, client: Client
) -> None:
    path = f"{repo.id}/main/data.bin"
    fs.pipe_file(path, DATA)
    with fs.open(path, "rb", block_size=4096) as f:
        assert f.read(1000) == DATA[:1000]
        blob = pickle.dumps(f)
        LakeFSFileSystem.clear_instance_cache()  # as in another process
        again = pickle.loads(blob)
    with again:
        assert (again.tell(), again.size) == (1000, len(DATA))
        assert again.read(3000) == DATA[1000:4000]
        again.seek(-10, 2)
        assert again.read() == DATA[-10:]
        twice = pickle.loads(pickle.dumps(again))
    twice.close()
    lakefs.repository(repo.id, client=client).branch("main").upload(DATA[::-1], "data.bin")
    with pytest.raises(ObjectChangedError, match="changed"):
        pickle.loads(blob)  # never the new bytes at the old file's position
    closed = fs.open(path, "rb")
    closed.close()
    with pytest.raises(ValueError, match="closed"):
        pickle.dumps(closed)


@pytest.mark.server("local")
def test_an_object_reader_pickles_with_its_reference(repo: Repo, client: Client) -> None:
    main = lakefs.repository(repo.id, client=client).branch("main")
    main.upload(DATA, "r.bin")
    with main.open("r.bin", "rb", block_size=2048) as f:
        f.seek(5000)
        blob = pickle.dumps(f)
    with pickle.loads(blob) as again:
        assert again.read(100) == DATA[5000:5100]
        assert again.etag is not None
    main.upload(b"short", "r.bin")
    with pytest.raises(ObjectChangedError):
        pickle.loads(blob)


@pytest.mark.server("local")
def test_a_file_open_for_writing_refuses_to_pickle(fs: LakeFSFileSystem, repo: Repo) -> None:
    with fs.open(f"{repo.id}/main/w.bin", "wb") as f:
        f.write(b"abc")
        with pytest.raises(TypeError, match="open for writing does not pickle"):
            pickle.dumps(f)
    assert fs.cat_file(f"{repo.id}/main/w.bin") == b"abc"


# -- cat_file: typed errors only ----------------------------------------------------------


def _object_handler(answers: list[MockResponse]) -> tuple[list[MockRequest], object]:
    gets: list[MockRequest] = []

    def handler(request: MockRequest) -> MockResponse:
        if request.method == "GET" and request.path.endswith("/objects"):
            gets.append(request)
            return answers.pop(0) if answers else MockResponse(500, b"no more answers")
        return MockResponse.json({"message": "not found"}, status=404)

    return gets, handler


def _fs(handler: object) -> LakeFSFileSystem:
    client = mock_client(handler, retries=2)  # type: ignore[arg-type]
    return LakeFSFileSystem(client=client, pre_signed=False, skip_instance_cache=True)


def test_cat_file_resumes_an_answer_cut_short() -> None:
    data = b"0123456789" * 10
    cut = MockResponse(200, data[:30], {"Content-Length": "100", "ETag": '"e1"'})
    rest = MockResponse(
        206, data[30:], {"Content-Range": "bytes 30-99/100", "Content-Length": "70", "ETag": '"e1"'}
    )
    gets, handler = _object_handler([cut, rest])
    assert _fs(handler).cat_file("repo/main/x") == data
    assert [g.headers.get("Range") for g in gets] == [None, "bytes=30-99"]


def test_cat_file_resumes_as_every_read_does_and_gives_up_with_a_typed_error() -> None:
    """cat_file's ranged read goes through the one resume loop (lakefs.lib._fetch.Resumed):
    an answer that breaks off is resumed from where it stopped for as long as answers bring
    bytes; ATTEMPTS answers in a row that bring none end it with a typed error."""
    gets: list[MockRequest] = []

    def trickle(request: MockRequest) -> MockResponse:  # three bytes of each answer, then a cut
        gets.append(request)
        start = int(request.headers["Range"].split("=")[1].split("-")[0])
        headers = {"Content-Range": f"bytes {start}-29/30", "Content-Length": str(30 - start)}
        return MockResponse(206, DATA[start : start + 3], headers)

    assert _fs(trickle).cat_file("repo/main/x", 0, 30) == DATA[:30]
    assert [g.headers["Range"] for g in gets] == [f"bytes={n}-29" for n in range(0, 30, 3)]

    gets.clear()

    def stuck(request: MockRequest) -> MockResponse:  # after three bytes, answers bring none
        gets.append(request)
        start = int(request.headers["Range"].split("=")[1].split("-")[0])
        headers = {"Content-Range": f"bytes {start}-99/100", "Content-Length": str(100 - start)}
        return MockResponse(206, b"abc" if start == 0 else b"", headers)

    with pytest.raises(APIConnectionError, match="cut short 5 times at byte 3"):
        _fs(stuck).cat_file("repo/main/x", 0, 100)
    # five tries at byte 3: the first answer, broken off there, then four GETs that bring nothing
    assert [g.headers["Range"] for g in gets] == ["bytes=0-99"] + ["bytes=3-99"] * 4


def test_cat_file_never_mixes_two_versions() -> None:
    first = MockResponse(200, b"old", {"Content-Length": "10", "ETag": '"v1"'})
    second = MockResponse(
        206, b"new-new", {"Content-Range": "bytes 3-9/10", "Content-Length": "7", "ETag": '"v2"'}
    )
    _gets, handler = _object_handler([first, second])
    with pytest.raises(ObjectChangedError):
        _fs(handler).cat_file("repo/main/x")


@pytest.mark.parametrize("length", ["-5", "-1", "abc", "", "5, 6"])
def test_a_nonsensical_content_length_gives_the_bytes_or_a_typed_error(
    length: str, tmp_path: Path
) -> None:
    def handler(request: MockRequest) -> MockResponse:
        headers = {"Content-Length": length} if length else {}
        if "Range" in request.headers:
            headers["Content-Range"] = "bytes 0-10/11"
            return MockResponse(206, b"hello world", headers)
        return MockResponse(200, b"hello world", headers)

    fs = _fs(handler)
    reads = {
        "cat_file": lambda: fs.cat_file("repo/main/x"),
        "a range": lambda: fs.cat_file("repo/main/x", 0, 11),
        "open": lambda: fs.open("repo/main/x").read(),
        "get_file": lambda: (
            fs.get_file("repo/main/x", str(tmp_path / "x")) or (tmp_path / "x").read_bytes()
        ),
    }
    for name, read in reads.items():
        try:
            assert read() == b"hello world", name
        except LakeFSError:
            assert length == "5, 6", name  # two lengths: a connection error, typed


def test_negative_ranges_are_suffix_requests_sized_by_the_answer() -> None:
    data = b"0123456789abcdefghij"
    answers = [
        MockResponse(206, data[-8:], {"Content-Range": "bytes 12-19/20"}),
        MockResponse(206, data[5:], {"Content-Range": "bytes 5-19/20"}),
        MockResponse(206, data[-15:], {"Content-Range": "bytes 5-19/20"}),
        MockResponse(416, b"", {}),
        MockResponse(200, data, {"Content-Length": "20"}),  # a store that ignores ranges
    ]
    gets, handler = _object_handler(answers)
    fs = _fs(handler)
    assert fs.cat_file("repo/main/x", start=-8) == data[-8:]
    assert fs.cat_file("repo/main/x", start=5, end=-5) == data[5:-5]
    assert fs.cat_file("repo/main/x", start=-15, end=-5) == data[-15:-5]
    assert fs.cat_file("repo/main/x", start=50) == b""
    assert fs.cat_file("repo/main/x", start=-4) == data[-4:]
    assert [g.headers.get("Range") for g in gets] == [
        "bytes=-8",
        "bytes=5-",
        "bytes=-15",
        "bytes=50-",
        "bytes=-4",
    ]  # no stat: the size comes from each answer
