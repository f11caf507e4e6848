"""pandas, polars, pyarrow datasets and duckdb read and write lakefs:// URLs (LakeFSFileSystem)."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from lakefs import Client
from lakefs.fs import LakeFSFileSystem
from tests.conftest import Repo, Server

pytestmark = pytest.mark.server("local")

FRAME = pd.DataFrame({"id": range(100), "name": [f"n{i}é" for i in range(100)], "x": 0.25})


@pytest.fixture
def storage_options(server: Server, workers: int) -> dict[str, Any]:
    """pandas' ``storage_options`` for lakefs:// (a filesystem of its own for each test)."""
    return server.client_options(max_workers=workers, skip_instance_cache=True)


@pytest.fixture
def fs(client: Client, workers: int) -> LakeFSFileSystem:
    return LakeFSFileSystem(client=client, max_workers=workers, skip_instance_cache=True)


def test_pandas_csv_both_ways(repo: Repo, storage_options: dict[str, Any]) -> None:
    url = f"lakefs://{repo.id}/main/frames/df.csv"
    FRAME.to_csv(url, index=False, storage_options=storage_options)
    pd.testing.assert_frame_equal(pd.read_csv(url, storage_options=storage_options), FRAME)


@pytest.mark.versioned_bodies  # Parquet files carry pandas' and pyarrow's versions
def test_pandas_parquet_both_ways(repo: Repo, storage_options: dict[str, Any]) -> None:
    url = f"lakefs://{repo.id}/main/frames/df.parquet"
    FRAME.to_parquet(url, storage_options=storage_options)
    got = pd.read_parquet(url, storage_options=storage_options)
    pd.testing.assert_frame_equal(got, FRAME)


@pytest.mark.versioned_bodies
def test_polars_through_file_objects_and_pyarrow(
    repo: Repo, fs: LakeFSFileSystem, storage_options: dict[str, Any]
) -> None:
    frame = pl.DataFrame({"a": list(range(50)), "b": [str(i) for i in range(50)]})
    path = f"{repo.id}/main/polars/p.parquet"
    with fs.open(path, "wb") as f:
        frame.write_parquet(f)
    with fs.open(path, "rb") as f:
        assert pl.read_parquet(f).equals(frame)
    got = pl.read_parquet(f"lakefs://{path}", use_pyarrow=True, storage_options=storage_options)
    assert got.equals(frame)
    with fs.open(f"{repo.id}/main/polars/p.csv", "wb") as f:
        frame.write_csv(f)
    with fs.open(f"{repo.id}/main/polars/p.csv", "rb") as f:
        assert pl.read_csv(f, schema=frame.schema).equals(frame)


@pytest.mark.versioned_bodies
def test_pyarrow_dataset_over_partitions(repo: Repo, fs: LakeFSFileSystem) -> None:
    root = f"{repo.id}/main/ds"
    for part in range(3):
        table = pa.table({"v": [part * 10 + i for i in range(10)]})
        with fs.open(f"{root}/part={part}/data.parquet", "wb") as f:
            pq.write_table(table, f)
    fs.pipe_file(f"{root}-sibling/part=9/data.parquet", b"not parquet")  # never listed
    dataset = ds.dataset(root, filesystem=fs, format="parquet", partitioning="hive")
    table = dataset.to_table(use_threads=False).sort_by("v")
    assert table.column("v").to_pylist() == list(range(30))
    assert sorted(set(table.column("part").to_pylist())) == [0, 1, 2]


def test_duckdb_after_register_filesystem(repo: Repo, fs: LakeFSFileSystem) -> None:
    fs.pipe_file(f"{repo.id}/main/duck/a.csv", b"k,v\na,1\nb,2\nc,3\n")
    con = duckdb.connect()
    try:
        con.execute("SET threads = 1")  # one reader thread: cassettes record one at a time
        con.register_filesystem(fs)
        url = f"lakefs://{repo.id}/main/duck/a.csv"
        assert con.sql(f"SELECT sum(v), count(*) FROM read_csv('{url}')").fetchall() == [(6, 3)]
        con.sql(f"COPY (SELECT k, v * 2 AS v FROM read_csv('{url}')) TO '{url}.out.csv'")
    finally:
        con.close()
    assert fs.cat_file(f"{repo.id}/main/duck/a.csv.out.csv").splitlines()[1:] == [
        b"a,2",
        b"b,4",
        b"c,6",
    ]
