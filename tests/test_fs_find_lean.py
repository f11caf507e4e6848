"""``fs.find``'s lean path (issue 21): the listing cache keeps a flat listing in columns
(:class:`lakefs._fs_cache.Rows`), ``find`` builds no entry per object unless asked, and the
paginator fetches up to two pages ahead on a thread.

What every verb answers is compared with a filesystem that keeps no cache (so every answer is
one listed or stated now, built as before); nothing here depends on how fast the machine runs.
"""

from __future__ import annotations

import datetime
import gc
import random
import threading
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from lakefs import APIResponseError, LakeFSError, Page, Paginator
from lakefs._fs_cache import Rows
from lakefs.fs import LakeFSFileSystem
from lakefs.testing import MockRequest, MockResponse, mock_client

# -- a lakeFS of one repository, "repo", with a branch "main" and a tag "v1" (same commit) ----


def _stats(path: str, i: int) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "path": path,
        "path_type": "object",
        "checksum": f"{i:032x}",
        "mtime": 1_700_000_000 + i,
        "size_bytes": i * 7,
        "physical_address": f"local://somewhere/{i}",
        "content_type": "text/plain" if i % 2 else "application/octet-stream",
    }
    if i % 5 == 0:
        stats["metadata"] = {"k": str(i)}
    return stats


ODD = {  # fields as lakeFS may leave them: none, null, empty; a size past 64 bits
    "a/odd/no-size": {"path": "a/odd/no-size", "checksum": "etag-1", "mtime": 5},
    "a/odd/nulls": {
        "path": "a/odd/nulls",
        "checksum": "etag-2",
        "mtime": 6,
        "size_bytes": None,
        "content_type": "",
        "metadata": None,
    },
    "a/odd/huge": {"path": "a/odd/huge", "checksum": "e", "mtime": 2**33, "size_bytes": 2**70},
}


def _tree() -> dict[str, dict[str, Any]]:
    """Objects at every depth, a file beside a same-named directory (``a/b`` and
    ``a/b.txt``), directory markers (one alone: an empty directory), and odd fields."""
    paths = [
        "top.txt",
        "a/b.txt",
        "a/b/c.txt",
        "a/b/d/e.txt",
        "a/c.txt",
        "a/marker/",
        "a/marker/inside",
        "a/empty/",  # a marker alone: an empty directory
        *(f"many/d{i % 7}/f-{i:04d}" for i in range(2345)),
    ]
    objects = {path: _stats(path, i) for i, path in enumerate(paths)}
    objects.update(ODD)
    return dict(sorted(objects.items()))


class LakeFS:
    """Answers lakeFS's listing, stat, branch and commit calls from ``objects``."""

    def __init__(self, objects: dict[str, dict[str, Any]]) -> None:
        self.objects = objects
        self.fail_after: str | None = None  # a listing page after this cursor: a 400
        self.shuffled = False  # each page's results out of order (the cursor as before)
        self.lists = 0

    def __call__(self, request: MockRequest) -> MockResponse:
        path = request.path
        if path.endswith("/config"):
            return MockResponse.json({"storage_config": {"pre_sign_support": False}})
        if path.endswith("/branches/main"):
            return MockResponse.json({"id": "main", "commit_id": "c0"})
        if path.endswith("/commits/v1"):
            return MockResponse.json(
                {
                    "id": "c0",
                    "parents": [],
                    "committer": "me",
                    "message": "m",
                    "creation_date": 1,
                    "meta_range_id": "",
                    "metadata": {},
                }
            )
        if path.endswith("/objects/ls"):
            return self._list(request.query)
        if path.endswith("/objects/stat"):
            stats = self.objects.get(request.query["path"])
            if stats is not None:
                return MockResponse.json(stats)
        return MockResponse.json({"message": "not found"}, status=404)

    def _list(self, query: dict[str, str]) -> MockResponse:
        self.lists += 1
        after, prefix = query.get("after", ""), query.get("prefix", "")
        if self.fail_after is not None and after == self.fail_after:
            return MockResponse.json({"message": "no such page"}, status=400)
        delimiter, amount = query.get("delimiter", ""), int(query.get("amount", "1000"))
        results: list[dict[str, Any]] = []
        for key, stats in self.objects.items():
            if not key.startswith(prefix) or key <= after:
                continue
            cut = key.find(delimiter, len(prefix)) if delimiter else -1
            if cut >= 0:
                common = key[: cut + 1]
                if common <= after or (results and results[-1]["path"] == common):
                    continue
                results.append({"path": common, "path_type": "common_prefix"})
            else:
                results.append(stats)
            if len(results) > amount:
                break
        more = len(results) > amount
        results = results[:amount]
        pagination = {
            "has_more": more,
            "next_offset": results[-1]["path"] if more else "",
            "results": len(results),
            "max_per_page": 1000,
        }
        if self.shuffled:
            random.Random(len(results)).shuffle(results)
        return MockResponse.json({"results": results, "pagination": pagination})


def _fs(server: LakeFS, **options: Any) -> LakeFSFileSystem:
    return LakeFSFileSystem(
        client=mock_client(server), pre_signed=False, skip_instance_cache=True, **options
    )


@pytest.fixture
def server() -> LakeFS:
    return LakeFS(_tree())


def _dirs(fs: LakeFSFileSystem, root: str) -> list[str]:
    found = fs.find(root, withdirs=True, detail=True)
    return [root, *(n for n, e in found.items() if e["type"] == "directory")]


# -- what the verbs answer ---------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["main", "v1"])
def test_after_find_every_verb_answers_as_without_a_cache(server: LakeFS, ref: str) -> None:
    cached, fresh = _fs(server), _fs(LakeFS(server.objects), use_listings_cache=False)
    root = f"repo/{ref}"
    for top in (root, f"{root}/a", f"{root}/many"):
        for kwargs in (
            {},
            {"detail": True},
            {"withdirs": True},
            {"withdirs": True, "detail": True},
            {"maxdepth": 1},
            {"maxdepth": 2, "withdirs": True, "detail": True},
        ):
            assert cached.find(top, **kwargs) == fresh.find(top, **kwargs), (top, kwargs)
    cached.find(root)  # every listing below the root is kept now
    lists = server.lists
    dirs = _dirs(fresh, root)
    assert len(dirs) > 10
    for d in dirs:  # from the cache, by name (a listing has "b.txt" before "b/", as before)
        assert cached.ls(d) == sorted(fresh.ls(d), key=lambda e: str(e["name"])), d
        assert cached.ls(d, detail=False) == sorted(fresh.ls(d, detail=False)), d
    assert server.lists == lists  # the cached filesystem listed nothing more
    for name in [*ODD, "top.txt", "a/b.txt", "a/b/d/e.txt", "many/d6/f-0020"]:
        path = f"{root}/{name}"
        assert cached.info(path) == fresh.info(path), path
        assert cached.ls(path) == fresh.ls(path), path
    for d in dirs:
        assert cached.info(d) == fresh.info(d), d
    assert list(cached.walk(root, detail=True)) == list(fresh.walk(root, detail=True))
    assert cached.du(root, total=False) == fresh.du(root, total=False)
    assert cached.du(f"{root}/a") == fresh.du(f"{root}/a")
    with pytest.raises(FileNotFoundError):
        cached.info(f"{root}/a/nothing")


def test_a_page_out_of_order_is_kept_as_its_directories_list(server: LakeFS) -> None:
    """lakeFS lists in order; a page that is not (a proxy's, a hostile server's) must not
    file an object under another directory: the cache answers as the listings do."""
    server.shuffled = True
    cached, fresh = _fs(server), _fs(LakeFS(server.objects), use_listings_cache=False)
    assert sorted(cached.find("repo/main")) == sorted(fresh.find("repo/main"))
    lists = server.lists
    for d in _dirs(fresh, "repo/main"):
        assert sorted(cached.ls(d, detail=False)) == sorted(fresh.ls(d, detail=False)), d
        by_name = sorted(fresh.ls(d), key=lambda e: str(e["name"]))
        assert sorted(cached.ls(d), key=lambda e: str(e["name"])) == by_name, d
    assert server.lists == lists  # all from the cache


@pytest.mark.parametrize(
    "broken", [{"mtime": None}, {"mtime": "soon"}, {"path": None}, {"path": 7}, {}]
)
def test_a_listed_object_lacking_a_field_is_a_malformed_answer(
    server: LakeFS, broken: dict[str, Any]
) -> None:
    """A listing whose object has no time (``{}``: the field left out), or a time or a path
    of another type, raises the SDK's ``APIResponseError`` from every listing verb, as
    ``info`` does, not the error reading it raised; nothing is kept."""
    stats = server.objects["a/c.txt"]
    if not broken:
        del stats["mtime"]
    stats.update(broken)
    fs = _fs(server)
    calls = {
        "find": lambda: fs.find("repo/main"),
        "find detail": lambda: fs.find("repo/main", detail=True),
        "find withdirs": lambda: fs.find("repo/main/a", withdirs=True),
        "ls": lambda: fs.ls("repo/main/a"),
        "walk": lambda: list(fs.walk("repo/main")),
        "info": lambda: fs.info("repo/main/a/c.txt"),
    }
    for what, call in calls.items():
        with pytest.raises(APIResponseError):
            call()
        assert list(fs.dircache) == [], what
    assert len(fs.ls("repo/main/many/d0")) > 300  # the other listings answer as before


def test_entries_keep_their_types_and_are_new_each_time(server: LakeFS) -> None:
    fs = _fs(server)
    fs.find("repo/main")
    first = fs.ls("repo/main/a/odd")
    assert [e["name"].rsplit("/", 1)[1] for e in first] == sorted(k.rsplit("/", 1)[1] for k in ODD)
    by = {e["name"].rsplit("/", 1)[1]: e for e in first}
    assert by["no-size"]["size"] == by["nulls"]["size"] == 0
    assert by["nulls"]["content_type"] is None
    assert by["nulls"]["metadata"] == {}
    assert by["huge"]["size"] == 2**70
    entry = next(e for e in fs.ls("repo/main/many/d0") if e["metadata"])
    assert list(entry) == ["name", "size", "type", "mtime", "checksum", "content_type", "metadata"]
    assert entry["mtime"].tzinfo is datetime.timezone.utc
    kept = dict(entry["metadata"])
    assert kept == server.objects[entry["name"].removeprefix("repo/main/")]["metadata"]
    entry["metadata"]["k"] = "changed"  # a caller's copy: the cache keeps its own
    assert fs.info(entry["name"])["metadata"] == kept
    assert next(e for e in fs.ls("repo/main/many/d0") if e["name"] == entry["name"]) != entry


def test_directory_markers_and_a_file_beside_a_directory(server: LakeFS) -> None:
    fs = _fs(server)
    assert "repo/main/a/marker/" not in fs.find("repo/main")
    assert fs.ls("repo/main/a", detail=False) == [
        "repo/main/a/b",
        "repo/main/a/b.txt",
        "repo/main/a/c.txt",
        "repo/main/a/empty",
        "repo/main/a/marker",
        "repo/main/a/odd",
    ]
    assert fs.ls("repo/main/a/empty") == []  # a directory of nothing but its marker
    assert fs.find("repo/main/a/empty") == []
    assert fs.find("repo/main/a/empty", withdirs=True) == ["repo/main/a/empty"]  # as fsspec's
    assert fs.ls("repo/main", detail=False) == [
        "repo/main/a",
        "repo/main/many",
        "repo/main/top.txt",
    ]


def test_a_page_that_fails_fails_find_and_nothing_is_kept(server: LakeFS) -> None:
    fs = _fs(server)
    server.fail_after = list(server.objects)[999]  # the second page
    with pytest.raises(Exception) as caught:  # noqa: PT011 - as the SDK's error translates
        fs.find("repo/main")
    assert not isinstance(caught.value, (KeyError, AttributeError))
    assert list(fs.dircache) == []
    assert not [t for t in threading.enumerate() if t.name == "lakefs-pages"]


def test_the_cache_keeps_well_under_a_quarter_kib_per_object() -> None:
    objects = {f"data/d{i % 20:02d}/object-{i:06d}.txt": _stats("", i) for i in range(20_000)}
    for key, stats in objects.items():
        stats["path"] = key
        stats.pop("metadata", None)
    server = LakeFS(dict(sorted(objects.items())))
    fs = _fs(server)
    fs.ls("repo/main")  # the client and its connections, before measuring
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        assert len(fs.find("repo/main/data")) == 20_000
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(fs.ls("repo/main/data/d07")) == 1000  # kept indeed
    assert kept / 20_000 < 256, kept / 20_000


# -- the paginator's pages ahead -----------------------------------------------------------------


class Pages:
    """Serves ``total`` numbered items, one page of ``size`` per call, recording the calls;
    ``gate`` (when set) makes each call wait for a permit."""

    def __init__(self, total: int, size: int = 10, fail_at: int | None = None) -> None:
        self.total, self.size, self.fail_at = total, size, fail_at
        self.calls: list[str] = []
        self.gate: threading.Semaphore | None = None
        self.fetched = threading.Semaphore(0)

    def __call__(self, after: str, amount: int) -> Page[int]:
        if self.gate is not None:
            assert self.gate.acquire(timeout=60)
        self.calls.append(after)
        start = int(after) if after else 0
        try:
            if self.fail_at is not None and start >= self.fail_at:
                raise LakeFSError(f"page at {start}")
            items = list(range(start, min(start + min(amount, self.size), self.total)))
            end = start + len(items)
            return Page(items, end < self.total, str(end) if end < self.total else "")
        finally:
            self.fetched.release()


def _no_page_threads() -> bool:
    return not [t for t in threading.enumerate() if t.name == "lakefs-pages"]


@pytest.mark.parametrize("ahead", [1, 2, 5])
def test_pages_ahead_come_in_order_as_without(ahead: int) -> None:
    source = Pages(95)
    pages = list(Paginator(source).pages(ahead=ahead))
    assert [p.items for p in pages] == [list(range(i, min(i + 10, 95))) for i in range(0, 95, 10)]
    assert [p.has_more for p in pages] == [True] * 9 + [False]
    assert list(Paginator(Pages(95), max_amount=33).pages(ahead=ahead))[-1].items == [30, 31, 32]
    assert _no_page_threads()


def test_at_most_two_pages_are_fetched_ahead_of_the_reader() -> None:
    source = Pages(1000)
    pages = Paginator(source).pages(ahead=2)
    assert source.calls == []  # nothing before the first page is asked for
    first = next(pages)
    assert first.items[0] == 0
    for _ in range(3):  # it and the two ahead of it
        assert source.fetched.acquire(timeout=60)
    assert not source.fetched.acquire(timeout=0.2)  # and no third while the reader holds
    assert len(source.calls) == 3
    next(pages)
    assert source.fetched.acquire(timeout=60)
    assert not source.fetched.acquire(timeout=0.2)
    assert len(source.calls) == 4
    pages.close()  # the reader stops: so does the thread
    assert _no_page_threads()
    assert len(source.calls) == 4


def test_an_error_comes_after_the_pages_before_it() -> None:
    seen: list[int] = []
    pages = Paginator(Pages(100, fail_at=30)).pages(ahead=2)
    seen.extend(next(pages).items)
    seen.extend(next(pages).items)
    seen.extend(next(pages).items)
    with pytest.raises(LakeFSError, match="page at 30"):
        next(pages)
    assert seen == list(range(30))
    assert _no_page_threads()


def test_a_reader_that_stops_early_stops_the_thread() -> None:
    source = Pages(10_000)
    for page in Paginator(source).pages(ahead=2):
        if page.items[0] == 20:
            break
    assert _no_page_threads()
    assert len(source.calls) <= 5
    gated = Pages(10_000)
    gated.gate = threading.Semaphore(1)
    pages = Paginator(gated).pages(ahead=2)
    next(pages)
    closer = threading.Thread(target=pages.close)
    closer.start()
    gated.gate.release()  # the request under way ends; its page is dropped
    closer.join(60)
    assert not closer.is_alive()
    assert _no_page_threads()


def _rows_of(entries: Iterator[tuple[str, dict[str, Any]]]) -> Rows:
    rows = Rows("r/main/d")
    names, stats = zip(*entries, strict=True)
    rows.add_files(list(names), list(stats))
    return rows


def test_rows_answer_a_name_and_their_entries() -> None:
    rows = _rows_of((f"f{i}", _stats(f"d/f{i}", i)) for i in range(3))
    rows.add_dir("f1")  # "f1/" beside the object "f1": both listed, the file first
    assert [e["name"] for e in rows.entries()] == [
        "r/main/d/f0",
        "r/main/d/f1",
        "r/main/d/f1",
        "r/main/d/f2",
    ]
    assert rows.entry("r/main/d/f2") == rows.entries()[-1]
    assert rows.entry("r/main/d/nothing") is None
    assert rows.entry("r/main/other/f0") is None
    assert len(rows) == 4
    rows.add_files(["g"], [{"path": "d/g", "checksum": 1, "mtime": 7.5, "size_bytes": 3.0}])
    assert rows.entry("r/main/d/g") == {
        "name": "r/main/d/g",
        "size": 3,
        "type": "file",
        "mtime": datetime.datetime.fromtimestamp(7.5, datetime.timezone.utc),
        "checksum": "1",
        "content_type": None,
        "metadata": {},
    }
    assert rows.entry("r/main/d/f2") == rows.entries()[-2]  # the earlier values kept


def test_rows_of_a_size_null_without_a_size_missing_beside_it_answer_zero() -> None:
    """A size lakeFS leaves null is 0, as ``info`` answers it, also when no object of the same
    run lacks the field (which made the whole run take the long way)."""
    rows = _rows_of([("n", {"path": "d/n", "checksum": "e", "mtime": 6, "size_bytes": None})])
    rows.add_files(["big"], [{"path": "d/big", "checksum": "e", "mtime": 7, "size_bytes": 2**70}])
    rows.add_files(["m"], [{"path": "d/m", "checksum": "e", "mtime": 8, "size_bytes": None}])
    assert [e["size"] for e in rows.entries()] == [0, 2**70, 0]
    with pytest.raises(TypeError):  # a time that is no number: find keeps no listing
        rows.add_files(["t"], [{"path": "d/t", "checksum": "e", "mtime": None, "size_bytes": 1}])
