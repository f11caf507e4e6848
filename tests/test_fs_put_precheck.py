"""``fs.put``'s precheck asks what the destinations hold with one listing a directory, not a
stat per file (issue 21): putting a folder again sends listing requests only; ``fs.get``'s
compares local files with what its own listing said: getting a folder again sends it alone."""

from __future__ import annotations

import builtins
import hashlib
import io
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import lakefs
from lakefs import Client
from lakefs._fs_precheck import Stored
from lakefs.fs import LakeFSFileSystem
from lakefs.testing import MockRequest, MockResponse, MockTransport
from tests.conftest import Repo

_SENT = re.compile(r"^(GET|PUT|POST|DELETE|HEAD|PATCH) (\S+) -> ok")


def _sent(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The requests the SDK logged as answered (method and path), and forget them."""
    found = [
        m.group(1) + " " + m.group(2) for r in caplog.records if (m := _SENT.match(r.getMessage()))
    ]
    caplog.clear()
    return found


def _folder(root: Path, files: int) -> None:
    for i in range(files):
        where = root / ("sub" if i % 2 else "") / f"f{i:02}.txt"
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_bytes(f"file {i}".encode())


@pytest.mark.server("local")
def test_putting_a_folder_again_sends_listings_only(
    client: Client, repo: Repo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fs = LakeFSFileSystem(client=client, max_workers=1, skip_instance_cache=True)
    local = tmp_path / "data"
    _folder(local, 20)
    dest = f"{repo.id}/main/data"
    fs.put(f"{local}/", dest, recursive=True)  # its contents, into data/
    first = _sent(caplog)
    assert sum(1 for r in first if "/objects?" in r or r.endswith("/objects")) >= 20

    fs.put(f"{local}/", dest, recursive=True)  # nothing changed: nothing is sent
    again = _sent(caplog)
    assert all("/objects/ls" in r for r in again), "\n".join(again)
    assert len(again) == 3  # fsspec asking whether data/ is a directory; data/, data/sub/

    (local / "sub" / "f03.txt").write_bytes(b"file 3, edited")
    fs.put(f"{local}/", dest, recursive=True)  # its contents, into data/
    edited = _sent(caplog)
    assert [r for r in edited if "/objects/ls" not in r and "/objects/stat" not in r]
    branch = lakefs.repository(repo.id, client=client).branch("main")
    assert branch.download("data/sub/f03.txt") == b"file 3, edited"
    assert branch.download("data/f02.txt") == b"file 2"


@pytest.mark.server("local")
def test_getting_a_folder_again_sends_its_listing_only(
    client: Client, repo: Repo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fs = LakeFSFileSystem(client=client, max_workers=1, skip_instance_cache=True)
    local = tmp_path / "data"
    _folder(local, 6)
    fs.put(f"{local}/", f"{repo.id}/main/data", recursive=True)
    out = tmp_path / "out"
    fs.get(f"{repo.id}/main/data/", f"{out}/", recursive=True)
    assert (out / "sub" / "f03.txt").read_bytes() == b"file 3"
    _sent(caplog)

    fs.get(f"{repo.id}/main/data/", f"{out}/", recursive=True)  # nothing changed
    again = _sent(caplog)
    assert again
    assert all("/objects/ls" in r for r in again), "\n".join(again)

    (out / "f02.txt").write_bytes(b"file 2, edited here")  # fetched again, by its checksum
    (out / "f04.txt").write_bytes(b"file X")  # the same size, other bytes: fetched again
    fs.get(f"{repo.id}/main/data/", f"{out}/", recursive=True)
    assert (out / "f02.txt").read_bytes() == b"file 2"
    assert (out / "f04.txt").read_bytes() == b"file 4"


KEYS = {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "mock-secret"}
STATS = {"checksum": "0" * 32, "mtime": 1, "physical_address": "s3://x/y", "size_bytes": 99}


def _big_directory(objects: int) -> MockTransport:
    """A branch whose ``big/`` holds ``objects`` keys ``big/k00000``...; stats answer 404."""
    keys = [f"big/k{i:05}" for i in range(objects)]

    def handler(request: MockRequest) -> MockResponse:
        query = parse_qs(urlsplit(request.url).query)
        if request.path.endswith("/objects/ls"):
            after = query.get("after", [""])[0]
            amount = int(query.get("amount", ["1000"])[0])
            page = [k for k in keys if k > after][:amount]
            more = len([k for k in keys if k > after]) > amount
            results = [{"path": k, "path_type": "object", **STATS} for k in page]
            next_offset = page[-1] if more else ""
            return MockResponse.json(
                {
                    "results": results,
                    "pagination": {
                        "has_more": more,
                        "next_offset": next_offset,
                        "results": len(results),
                        "max_per_page": amount,
                    },
                }
            )
        if request.path.endswith("/objects/stat"):
            return MockResponse(404, b'{"message": "not found"}')
        if request.path.endswith("/branches/main"):
            return MockResponse.json({"id": "main", "commit_id": "c1"})
        return MockResponse(500, b'{"message": "unexpected"}')

    return MockTransport(handler)


def test_a_few_files_into_a_huge_directory_cost_about_a_stat_each(tmp_path: Path) -> None:
    transport = _big_directory(5000)
    client = Client(host="http://lakefs.mock", transport=transport, **KEYS)
    stored = Stored()
    branch = lakefs.repository("repo", client=client).branch("main")
    assert stored.lookup(branch, "big/k00010") is not None  # the first page has it
    assert stored.lookup(branch, "big/k00011") is not None  # no new request
    assert stored.lookup(branch, "big/k00003") is None  # behind: a stat (404 here)
    asked = [r.path.rsplit("/", 1)[-1] for r in transport.requests]
    assert asked == ["ls", "stat"]
    assert stored.lookup(branch, "big/k04999") is None  # pages away: a stat, in the end
    assert transport.requests[-1].path.endswith("/stat")
    assert len(transport.requests) <= 4 + 1  # a stat a key asked, and one page more at most

    transport.requests.clear()
    fresh = Stored()  # a folder put again, in order: a listing page a thousand keys
    assert all(fresh.lookup(branch, f"big/k{i:05}") for i in range(3000))
    assert [r.path.rsplit("/", 1)[-1] for r in transport.requests] == ["ls"] * 3


def _empty_branch() -> MockTransport:
    """A branch that holds nothing, taking uploads (lakeFS's answers, as small as they go)."""

    def handler(request: MockRequest) -> MockResponse:
        path = request.path
        if path.endswith("/objects/ls"):
            empty = {"has_more": False, "next_offset": "", "results": 0, "max_per_page": 1000}
            return MockResponse.json({"results": [], "pagination": empty})
        if path.endswith("/objects/stat"):
            return MockResponse(404, b'{"message": "not found"}')
        if path.endswith("/branches/main"):
            return MockResponse.json({"id": "main", "commit_id": "c1"})
        if path.endswith("/config"):
            storage = {"blockstore_type": "local", "pre_sign_support": False}
            return MockResponse.json({"storage_config": storage, "version_config": {}})
        if request.method == "POST" and path.endswith("/branches/main/objects"):
            key = parse_qs(urlsplit(request.url).query)["path"][0]
            return MockResponse.json({"path": key, "path_type": "object", **STATS}, status=201)
        return MockResponse(500, b'{"message": "unexpected"}')

    return MockTransport(handler)


def test_a_folder_put_where_nothing_is_lists_no_directory(tmp_path: Path) -> None:
    transport = _empty_branch()
    client = Client(host="http://lakefs.mock", transport=transport, **KEYS)
    fs = LakeFSFileSystem(client=client, max_workers=2, skip_instance_cache=True)
    _folder(tmp_path / "data", 6)  # f00, f02, f04 and sub/f01, sub/f03, sub/f05
    fs.put(f"{tmp_path / 'data'}/", "repo/main/fresh", recursive=True)
    listed = [
        parse_qs(urlsplit(r.url).query)["prefix"][0]
        for r in transport.requests
        if r.path.endswith("/objects/ls")
    ]
    assert listed == ["fresh/"]  # fsspec asking whether fresh is a directory; no precheck
    posted = sorted(
        parse_qs(urlsplit(r.url).query)["path"][0] for r in transport.requests if r.method == "POST"
    )
    assert posted == [f"fresh/{n}" for n in ("f00.txt", "f02.txt", "f04.txt")] + [
        f"fresh/sub/{n}" for n in ("f01.txt", "f03.txt", "f05.txt")
    ]

    transport.requests.clear()  # into a destination that exists, the precheck lists it
    fs.put(f"{tmp_path / 'data'}/", "repo/main/fresh/", recursive=True)
    listed = [
        parse_qs(urlsplit(r.url).query)["prefix"][0]
        for r in transport.requests
        if r.path.endswith("/objects/ls")
    ]
    assert sorted(listed) == ["fresh/", "fresh/sub/"]


def test_a_put_opens_each_local_file_once_to_compare_and_send_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "data"
    _folder(local, 4)  # f00, f02 and sub/f01, sub/f03: "file 0"... (6 bytes each)
    same = {"checksum": hashlib.md5(b"file 0").hexdigest(), "size_bytes": 6}
    other = {"checksum": hashlib.md5(b"file X").hexdigest(), "size_bytes": 6}
    stored = {"data/f00.txt": same, "data/f02.txt": other}  # f00 holds it; f02 does not
    posted: dict[str, bytes] = {}

    def handler(request: MockRequest) -> MockResponse:
        query = parse_qs(urlsplit(request.url).query)
        if request.path.endswith("/objects/ls"):
            prefix = query["prefix"][0]
            found = [
                {"path": k, "path_type": "object", **STATS, **v}
                for k, v in stored.items()
                if k.startswith(prefix) and "/" not in k[len(prefix) :]
            ]
            more = {"has_more": False, "next_offset": "", "results": len(found)}
            return MockResponse.json({"results": found, "pagination": more})
        if request.path.endswith("/config"):
            storage = {"blockstore_type": "local", "pre_sign_support": False}
            return MockResponse.json({"storage_config": storage, "version_config": {}})
        if request.method == "POST" and request.path.endswith("/branches/main/objects"):
            posted[query["path"][0]] = request.body
            return MockResponse.json({"path": query["path"][0], **STATS}, status=201)
        if request.path.endswith("/branches/main"):
            return MockResponse.json({"id": "main", "commit_id": "c1"})
        return MockResponse(500, b'{"message": "unexpected"}')

    opened: list[str] = []
    real_open = io.open

    def counted_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, os.PathLike)) and str(local) in os.fspath(file):
            opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counted_open)  # open() and pathlib's io.open
    monkeypatch.setattr(io, "open", counted_open)
    client = Client(host="http://lakefs.mock", transport=MockTransport(handler), **KEYS)
    fs = LakeFSFileSystem(client=client, max_workers=2, skip_instance_cache=True)
    fs.put(f"{local}/", "repo/main/data/", recursive=True)
    names = ["f00.txt", "f02.txt", "sub/f01.txt", "sub/f03.txt"]
    assert sorted(opened) == [str(local / n) for n in names]  # once each: compared, then sent
    assert posted == {f"data/{n}": (local / n).read_bytes() for n in names[1:]}  # f00 skipped
