"""lakefs://'s listing cache: what may be stale and for how long, that no data operation acts on
a stale entry, and that a write's invalidation wins over a listing in flight.

The cache's clock is frozen (or moved by hand) in these tests: nothing here depends on how fast
the machine runs.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import lakefs
from lakefs import Client
from lakefs._fs_cache import DEFAULT_LISTINGS_EXPIRY_TIME, ListingCache
from lakefs.fs import LakeFSFileSystem
from lakefs.testing import MockRequest, MockResponse, mock_client
from tests.conftest import Repo, Server


class Clock:
    """The listing cache's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(lakefs._fs_cache, "_now", clock)
    return clock


@pytest.fixture
def fs(client: Client, workers: int, clock: Clock) -> LakeFSFileSystem:
    return LakeFSFileSystem(client=client, max_workers=workers, skip_instance_cache=True)


def _other(client: Client, repo: Repo) -> lakefs.Branch:
    """``main`` as another client sees it (writes behind the filesystem's back)."""
    other = Client.from_config(client.config)
    return lakefs.repository(repo.id, client=other).branch("main")


# -- no data operation acts on a stale entry ---------------------------------------------------


@pytest.mark.server("local")
def test_every_data_operation_is_right_after_another_clients_writes(
    fs: LakeFSFileSystem, repo: Repo, client: Client, tmp_path: Path
) -> None:
    root = f"{repo.id}/main"
    blob = f"{root}/data/blob"
    old, new = bytes(range(256)) * 4, b"0123456789abcdefghijklmnopqrst"
    fs.pipe_file(blob, old)
    fs.pipe_file(f"{root}/x/inside", b"in")
    fs.pipe_file(f"{root}/dest/old", b"o")
    fs.pipe_file(f"{root}/gone", b"g")
    assert len(fs.find(root)) == 4  # every listing is cached now; the clock never moves
    main = _other(client, repo)
    main.upload(new, "data/blob")
    main.delete_objects(["x/inside", "dest/old", "gone"])
    main.upload(b"x is an object now", "x")

    # Listings may be stale for listings_expiry_time (the clock is frozen: they are) ...
    assert fs.ls(f"{root}/data")[0]["size"] == len(old)
    assert fs.ls(root, detail=False) == [
        f"{root}/data",
        f"{root}/dest",
        f"{root}/gone",
        f"{root}/x",
    ]
    # ... no data operation is: reads take sizes from the answer, the rest ask the server.
    assert fs.cat_file(blob, start=-8) == new[-8:]
    assert fs.cat_file(blob, start=5, end=-5) == new[5:-5]
    assert fs.cat_file(blob, start=-20, end=-10) == new[-20:-10]
    assert fs.cat_file(blob, start=-100) == new
    assert fs.cat_file(blob, start=10) == new[10:]
    assert fs.cat_file(blob, start=len(new)) == b""
    assert fs.cat_file(blob) == new
    assert fs.tail(blob, 4) == new[-4:]
    assert (fs.info(blob)["size"], fs.size(blob)) == (len(new), len(new))
    assert fs.cat_ranges([blob, blob], [0, -3], [3, None]) == [new[:3], new[-3:]]
    with fs.open(blob, "rb") as f:
        assert f.read() == new
    assert not fs.exists(f"{root}/gone")
    assert not fs.exists(f"{root}/dest/old")

    # The prefix x/ became the object x.
    assert fs.isfile(f"{root}/x")
    assert not fs.isdir(f"{root}/x")
    fs.get_file(f"{root}/x", str(tmp_path / "get_file-x"))
    fs.get(f"{root}/x", str(tmp_path / "get-x"))
    assert (tmp_path / "get_file-x").read_bytes() == b"x is an object now"
    assert (tmp_path / "get-x").read_bytes() == b"x is an object now"
    with open(tmp_path / "into-x", "wb") as out:
        fs.get_file(f"{root}/x", out)
    assert (tmp_path / "into-x").read_bytes() == b"x is an object now"
    fs.cp_file(f"{root}/x", f"{root}/x-copy")
    assert _read(main, "x-copy") == b"x is an object now"
    fs.rm(f"{root}/x")
    assert not _exists(main, "x")

    # A recursive get lists now: the new blob, whole.
    fs.get(f"{root}/data", str(tmp_path / "data"), recursive=True)
    assert (tmp_path / "data" / "blob").read_bytes() == new

    # put onto dest/, cached as a directory but emptied since: the object dest.
    (tmp_path / "f").write_bytes(b"f")
    fs.put(str(tmp_path / "f"), f"{root}/dest")
    assert _read(main, "dest") == b"f"
    assert not _exists(main, "dest/f")

    # touch(truncate=False) of an object deleted since creates it; of an existing one keeps it.
    fs.touch(f"{root}/gone", truncate=False)
    assert _read(main, "gone") == b""
    fs.touch(f"{root}/data/blob", truncate=False)
    assert _read(main, "data/blob") == new


def _read(branch: lakefs.Branch, path: str) -> bytes:
    with branch.open(path, "rb") as f:
        return f.read()


def _exists(branch: lakefs.Branch, path: str) -> bool:
    return lakefs.ObjectInfo(branch.repository_id, branch.id, path, client=branch.client).exists()


@pytest.mark.server("local")
def test_dask_sizes_its_blocks_from_the_object_as_it_is_now(
    server: Server, repo: Repo, client: Client, clock: Clock
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    dask = pytest.importorskip("dask")
    options = server.client_options()  # the filesystem Dask gets is this very instance
    LakeFSFileSystem.clear_instance_cache()
    try:
        fs = LakeFSFileSystem(**options)
        url = f"lakefs://{repo.id}/main/rows.csv"
        fs.pipe_file(url, b"n\n" + b"".join(b"%d\n" % i for i in range(10)))
        assert fs.ls(f"{repo.id}/main")[0]["size"] < 100  # cached: 10 rows
        rows = b"n\n" + b"".join(b"%d\n" % i for i in range(1000))
        _other(client, repo).upload(rows, "rows.csv")
        with dask.config.set(scheduler="synchronous"):  # one thread: one cassette
            frame = dd.read_csv(url, blocksize=1024, storage_options=options)
            assert frame.npartitions > 1
            assert sorted(frame["n"].compute()) == list(range(1000))
    finally:
        LakeFSFileSystem.clear_instance_cache()


# -- what may be stale, and for how long --------------------------------------------------------


@pytest.mark.server("local")
def test_a_branchs_listings_expire(
    fs: LakeFSFileSystem, repo: Repo, client: Client, clock: Clock
) -> None:
    assert fs.dircache.listings_expiry_time == DEFAULT_LISTINGS_EXPIRY_TIME == 5.0
    root = f"{repo.id}/main"
    fs.pipe_file(f"{root}/d/a", b"a")
    assert fs.ls(f"{root}/d", detail=False) == [f"{root}/d/a"]
    _other(client, repo).upload(b"b", "d/b")
    clock.now += DEFAULT_LISTINGS_EXPIRY_TIME  # not yet expired
    assert fs.ls(f"{root}/d", detail=False) == [f"{root}/d/a"]
    clock.now += 0.001
    assert fs.ls(f"{root}/d", detail=False) == [f"{root}/d/a", f"{root}/d/b"]
    assert fs.ls(root, detail=False) == [f"{root}/d"]

    never = LakeFSFileSystem(client=client, listings_expiry_time=None, skip_instance_cache=True)
    assert never.ls(f"{root}/d", detail=False) == [f"{root}/d/a", f"{root}/d/b"]
    _other(client, repo).upload(b"c", "d/c")
    clock.now += 1e9
    assert len(never.ls(f"{root}/d")) == 2  # as fsspec's None means: until invalidated
    assert len(never.ls(f"{root}/d", refresh=True)) == 3
    with pytest.raises(lakefs.ValidationError, match="listings_expiry_time"):
        LakeFSFileSystem(client=client, listings_expiry_time=-1, skip_instance_cache=True)


@pytest.mark.server("local")
def test_a_commits_listings_are_kept_and_a_tags_follow_the_tag(
    fs: LakeFSFileSystem, repo: Repo, client: Client, clock: Clock, sent: Callable[[], int | None]
) -> None:
    r = lakefs.repository(repo.id, client=client)
    main = r.branch("main")
    main.upload(b"one", "data/x")
    first = main.commit_changes("one")
    main.upload(b"two!", "data/x")
    main.upload(b"y", "data/y")
    second = main.commit_changes("two")
    r.tag("v1").create(first)

    at_first = f"{repo.id}/{first.id}/data"
    assert [e["size"] for e in fs.ls(at_first)] == [3]
    before = sent()
    clock.now += 1e9  # a commit never changes: its listing and entries hold for good
    assert [e["size"] for e in fs.ls(at_first)] == [3]
    assert fs.info(f"{at_first}/x")["size"] == 3
    assert not fs.exists(f"{at_first}/y")
    if before is not None:
        assert sent() == before  # all from the cache

    tag = f"{repo.id}/v1/data"
    assert fs.ls(tag, detail=False) == [f"{tag}/x"]
    r.tag("v1").delete()
    r.tag("v1").create(second)  # the tag moved (another client could have moved it)
    assert fs.ls(tag, detail=False) == [f"{tag}/x"]  # for listings_expiry_time at most
    clock.now += DEFAULT_LISTINGS_EXPIRY_TIME + 1
    assert fs.ls(tag, detail=False) == [f"{tag}/x", f"{tag}/y"]  # v1 resolved again
    assert fs.info(f"{tag}/x")["size"] == 4

    expression = f"{repo.id}/main~1/data"
    assert fs.ls(expression, detail=False) == [f"{expression}/x"]
    main.upload(b"z", "data/z")
    main.commit_changes("three")  # main~1 is the second commit now
    assert fs.ls(expression, detail=False, refresh=True) == [f"{expression}/x", f"{expression}/y"]
    fs.invalidate_cache()
    assert fs.ls(f"{repo.id}/main/data", detail=False)[-1] == f"{repo.id}/main/data/z"


def test_the_cache_takes_fsspecs_options_and_pickles() -> None:
    cache = ListingCache(use_listings_cache=False)
    cache["a/b"] = [{"name": "a/b/c"}]
    assert "a/b" not in cache
    assert len(cache) == 0
    cache = ListingCache(max_paths=2)
    for name in ("a", "b", "c"):
        cache[name] = []
    assert sorted(cache) == ["b", "c"]
    assert cache.pop("b") == []
    assert cache.pop("b", None) is None
    with pytest.raises(KeyError):
        del cache["b"]
    again = pickle.loads(pickle.dumps(cache))
    assert (again.max_paths, again.listings_expiry_time, len(again)) == (2, 5.0, 0)


# -- threads: a write's invalidation wins ---------------------------------------------------


def _listing(paths: list[str]) -> MockResponse:
    results = [
        {"path": p, "path_type": "object", "checksum": "c", "mtime": 1, "size_bytes": 1}
        for p in paths
    ]
    return MockResponse.json({"results": results, "pagination": {"has_more": False}})


def test_a_listing_in_flight_never_undoes_a_writes_invalidation() -> None:
    """Thread A lists d/ and its answer (without b) arrives after thread B wrote d/b: B's next
    ls() must show d/b (the listing that started before the write is not kept)."""
    stored: list[str] = []
    listing_started, written = threading.Event(), threading.Event()
    hold = {"first": True}

    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/config"):
            return MockResponse.json({"storage_config": {"pre_sign_support": False}})
        if request.path.endswith("/branches/main"):
            return MockResponse.json({"id": "main", "commit_id": "c0"})
        if request.path.endswith("/objects/ls"):
            answer = _listing(list(stored))
            if hold.pop("first", False):
                listing_started.set()
                assert written.wait(60)
            return answer
        if request.method == "POST" and request.path.endswith("/objects"):
            stored.append(request.query["path"])
            return MockResponse.json(
                {"path": request.query["path"], "checksum": "c", "mtime": 1, "size_bytes": 1}
            )
        return MockResponse.json({"message": "not found"}, status=404)

    fs = LakeFSFileSystem(client=mock_client(handler), pre_signed=False, skip_instance_cache=True)
    fs.pipe_file("repo/main/d/a", b"a")
    errors: list[BaseException] = []

    def list_in_a_thread() -> None:
        try:
            fs.ls("repo/main/d")
        except BaseException as exc:  # shown below
            errors.append(exc)

    lister = threading.Thread(target=list_in_a_thread)
    lister.start()
    assert listing_started.wait(60)
    fs.pipe_file("repo/main/d/b", b"b")  # the listing in flight started before this write
    written.set()
    lister.join(60)
    assert not errors
    assert not lister.is_alive()
    assert fs.ls("repo/main/d", detail=False) == ["repo/main/d/a", "repo/main/d/b"]


def test_invalidations_concern_their_paths_only() -> None:
    cache = ListingCache()
    ticket = cache.ticket()
    cache.invalidate("r/main/other")
    cache.store(ticket, {"r/main/d": [], "r/main/d/e": []}, None)
    assert sorted(cache) == ["r/main/d", "r/main/d/e"]  # an unrelated write: kept
    for written in ("r/main/d/e/f", "r/main", "r/main/d"):  # below, above, the path itself
        ticket = cache.ticket()
        cache.invalidate(written)
        cache.store(ticket, {"r/main/d": []}, None)
        assert "r/main/d" not in cache, written


def _threads(target: Callable[[int], None], count: int) -> Iterator[threading.Thread]:
    for i in range(count):
        thread = threading.Thread(target=target, args=(i,))
        thread.start()
        yield thread


def test_shared_between_threads_the_cache_never_raises_a_raw_key_error(clock: Clock) -> None:
    """Threads store, read, expire and invalidate the same paths at once (no server)."""
    cache = ListingCache(listings_expiry_time=0.5, max_paths=8)
    errors: list[BaseException] = []
    paths = [f"r/main/{i}" for i in range(12)]

    def work(i: int) -> None:
        try:
            for n in range(3000):
                path = paths[(i + n) % len(paths)]
                ticket = cache.ticket()
                cache.store(ticket, {path: [{"name": f"{path}/x"}]}, None)
                listing = cache.listing(path)
                assert listing is None or listing.entries[0]["name"] == f"{path}/x"
                _ = path in cache, len(cache), list(cache), cache.get(path)
                if n % 7 == i % 7:
                    cache.invalidate(paths[n % len(paths)])
                clock.now += 0.01
        except BaseException as exc:
            errors.append(exc)

    threads: list[Any] = list(_threads(work, 6))
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
