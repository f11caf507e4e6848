"""lakefs:// in other processes: a multiprocessing pool (fork and spawn) and a Dask cluster.

Live only (``loopback``): a cassette cannot record requests sent from other processes, and a
Dask cluster talks to its workers over local sockets.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import pickle
from typing import Any

import pandas as pd
import pytest

from lakefs import Client
from lakefs.fs import LakeFSFileSystem
from tests.conftest import Repo, Server

pytestmark = [pytest.mark.server("local"), pytest.mark.loopback]


@pytest.fixture
def storage_options(server: Server) -> dict[str, Any]:
    return server.client_options()


def _read(fs: LakeFSFileSystem, path: str) -> tuple[int, bytes, int]:
    """In a worker: its pid, the object's bytes and its connection pool's id."""
    return os.getpid(), fs.cat_file(path), id(fs.client.transport)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_pool_reads_in_parallel(method: str, repo: Repo, client: Client) -> None:
    fs = LakeFSFileSystem(client=client, skip_instance_cache=True)
    paths = [f"{repo.id}/main/mp/{i}" for i in range(8)]
    for i, path in enumerate(paths):
        fs.pipe_file(path, f"object {i}".encode())
    fs.ls(f"{repo.id}/main/mp")  # the parent's pool holds connections when the children start
    assert pickle.loads(pickle.dumps(fs)).cat_file(paths[0]) == b"object 0"
    with multiprocessing.get_context(method).Pool(2) as pool:
        results = pool.map(functools.partial(_read, fs), paths)
    assert [data for _, data, _ in results] == [f"object {i}".encode() for i in range(8)]
    assert os.getpid() not in {pid for pid, _, _ in results}
    assert fs.cat_file(paths[-1]) == b"object 7"  # the parent's pool still works


def test_dask_cluster_reads_and_writes_parquet(
    repo: Repo, client: Client, storage_options: dict[str, Any]
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    fs = LakeFSFileSystem(client=client, skip_instance_cache=True)
    root = f"lakefs://{repo.id}/main/events"
    for day in range(4):
        part = pd.DataFrame({"day": day, "n": range(day * 100, day * 100 + 100)})
        with fs.open(f"{root}/day={day}/part.parquet", "wb") as f:
            part.drop(columns="day").to_parquet(f)
    expected = pd.read_parquet(root, storage_options=storage_options)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        frame = dd.read_parquet(root, storage_options=storage_options)
        total = frame["n"].sum().compute()
        by_day = frame.groupby("day", observed=True)["n"].sum().compute().sort_index()
        assert total == expected["n"].sum()
        pd.testing.assert_series_equal(
            by_day, expected.groupby("day", observed=True)["n"].sum().sort_index()
        )
        workers = dask_client.run(os.getpid)
        assert len(set(workers.values())) == 2
        assert os.getpid() not in workers.values()
        out = f"lakefs://{repo.id}/main/out/"
        frame.repartition(npartitions=3).to_parquet(out, storage_options=storage_options)
    written = fs.find(f"{repo.id}/main/out")
    assert all("//" not in name for name in written)
    parts = [n for n in written if n.endswith(".parquet")]
    assert len(parts) == 3, written
    again = pd.read_parquet(out, storage_options=storage_options)
    assert sorted(again["n"]) == sorted(expected["n"])


def test_dask_task_graphs_hold_no_secret_with_credentials_from_the_environment(
    repo: Repo, client: Client, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    cloudpickle = pytest.importorskip("cloudpickle")
    # the workers inherit this environment: each reads the credentials itself
    monkeypatch.setenv("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", server.access_key_id)
    monkeypatch.setenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", server.secret_access_key)
    options = server.client_options(credentials="environment")
    del options["access_key_id"], options["secret_access_key"]
    fs = LakeFSFileSystem(client=client, skip_instance_cache=True)
    root = f"lakefs://{repo.id}/main/events"
    for day in range(2):
        with fs.open(f"{root}/day={day}/part.parquet", "wb") as f:
            pd.DataFrame({"n": range(day * 10, day * 10 + 10)}).to_parquet(f)
    secret = server.secret_access_key.encode()
    with_keys = dd.read_parquet(root, storage_options=server.client_options())
    assert secret in cloudpickle.dumps(with_keys)  # fsspec's design: the keys travel
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        frame = dd.read_parquet(root, storage_options=options)
        assert secret not in cloudpickle.dumps(frame)
        assert secret not in cloudpickle.dumps(dict(frame.__dask_graph__()))
        assert sorted(frame["n"].compute()) == list(range(20))
