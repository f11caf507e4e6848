"""``fs.open(path, "rb", cache_type=..., cache_options=...)``: fsspec's cache of that name, made
with those options (as s3fs's files make it), reads the file; ``"readahead"`` (fsspec's default)
is the reader's own read-ahead."""

from __future__ import annotations

import pytest
from fsspec.caching import BlockCache, KnownPartsOfAFile

import lakefs
from lakefs import Client
from lakefs.fs import LakeFSFileSystem
from tests.conftest import Repo

pytestmark = pytest.mark.server("local")

DATA = bytes(range(256)) * 4  # 1 KiB


def _fs(client: Client, repo: Repo) -> tuple[LakeFSFileSystem, str]:
    fs = LakeFSFileSystem(client=client, max_workers=1, skip_instance_cache=True)
    path = f"{repo.id}/main/cached.bin"
    fs.pipe_file(path, DATA)
    return fs, path


def test_a_block_cache_is_made_with_its_options_and_reads_the_file(
    client: Client, repo: Repo
) -> None:
    fs, path = _fs(client, repo)
    with fs.open(
        path, "rb", block_size=64, cache_type="blockcache", cache_options={"maxblocks": 2}
    ) as f:
        cache = f._cache
        assert isinstance(cache, BlockCache)
        assert (cache.blocksize, cache.maxblocks, cache.size) == (64, 2, len(DATA))
        f.seek(100)
        assert f.read(50) == DATA[100:150]
        sent = f.requests
        f.seek(70)
        assert f.read(40) == DATA[70:110]  # the blocks kept: nothing sent
        assert f.requests == sent
        f.seek(0)
        assert f.read() == DATA


def test_the_parts_cache_answers_from_the_bytes_it_was_given(client: Client, repo: Repo) -> None:
    fs, path = _fs(client, repo)
    known = {(10, 20): b"K" * 10}  # not the object's bytes: what is read comes from the cache
    options = {"data": known, "strict": True}
    with fs.open(path, "rb", cache_type="parts", cache_options=options) as f:
        assert isinstance(f._cache, KnownPartsOfAFile)
        sent = f.requests
        f.seek(10)
        assert f.read(10) == b"K" * 10
        assert f.requests == sent


def test_cache_options_the_read_cannot_honour_are_refused(client: Client, repo: Repo) -> None:
    fs, path = _fs(client, repo)
    with pytest.raises(lakefs.ValidationError, match="maxblocks"):
        fs.open(path, "rb", cache_options={"maxblocks": 2})  # the read-ahead takes none
    with pytest.raises(lakefs.ValidationError, match="maxblocks"):
        fs.open(path, "rb", cache_type="readahead", cache_options={"maxblocks": 2})
    with pytest.raises(lakefs.ValidationError, match="nosuchcache"):
        fs.open(path, "rb", cache_type="nosuchcache")
    with pytest.raises(lakefs.ValidationError, match="bogus"):
        fs.open(path, "rb", cache_type="blockcache", cache_options={"bogus": 1})
    with fs.open(path, "rb", cache_type="readahead") as f:  # fsspec's default: our read-ahead
        assert f._cache is None
        assert f.read() == DATA
