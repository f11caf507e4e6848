"""Libraries read what another wrote through this API, byte-exact (local configuration)."""

from __future__ import annotations

import csv
import io
import json
import tarfile
import zipfile

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

import lakefs
from lakefs import Branch, Client
from tests.conftest import Repo

pytestmark = pytest.mark.server("local")


@pytest.fixture
def main(repo: Repo, client: Client) -> Branch:
    return lakefs.repository(repo.id, client=client).branch("main")


FRAME = pd.DataFrame({"id": range(200), "name": [f"n{i}é" for i in range(200)], "x": 0.5})


def test_pandas_csv(main: Branch) -> None:
    with main.open("df.csv", "w") as f:
        FRAME.to_csv(f, index=False)
    with main.open("df.csv", "r", block_size=1024) as f:
        got = pd.read_csv(f)
    pd.testing.assert_frame_equal(got, FRAME)


@pytest.mark.versioned_bodies  # Parquet files carry pandas' and pyarrow's versions
def test_pandas_and_pyarrow_parquet(main: Branch) -> None:
    with main.open("df.parquet", "wb") as f:
        FRAME.to_parquet(f)
    with main.open("df.parquet", "rb", block_size=4096) as f:
        pd.testing.assert_frame_equal(pd.read_parquet(f), FRAME)
    table = pa.table({"a": list(range(1000)), "b": [str(i) for i in range(1000)]})
    with main.open("t.parquet", "wb") as f:
        pq.write_table(table, f)
    with main.open("t.parquet", "rb", block_size=2048) as f:
        assert pq.read_table(f).equals(table)


def test_zipfile_and_tarfile(main: Branch) -> None:
    members = {f"m{i}.txt": (f"member {i}\n" * (i + 1)).encode() for i in range(5)}
    with main.open("a.zip", "wb") as f, zipfile.ZipFile(f, "w") as z:
        for name, data in members.items():  # a fixed date: the bytes must match on replay
            z.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    with main.open("a.zip", "rb", block_size=512) as f, zipfile.ZipFile(f) as z:
        assert {n: z.read(n) for n in z.namelist()} == members
    with main.open("a.tar", "wb") as f, tarfile.open(fileobj=f, mode="w|") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    with main.open("a.tar", "rb", block_size=1000) as f, tarfile.open(fileobj=f) as t:
        got = {m.name: t.extractfile(m).read() for m in t.getmembers()}  # type: ignore[union-attr]
    assert got == members


def test_pil_image(main: Branch) -> None:
    image = Image.new("RGB", (40, 30))
    pixels = bytes(v for y in range(30) for x in range(40) for v in (x * 6, y * 8, (x + y) % 256))
    image.frombytes(pixels)
    with main.open("img.png", "wb") as f:
        image.save(f, format="PNG")
    with main.open("img.png", "rb", block_size=256) as f, Image.open(f) as got:
        assert got.size == (40, 30)
        assert got.convert("RGB").tobytes() == pixels


def test_csv_and_json(main: Branch) -> None:
    rows = [["id", "text"], *[[str(i), f"ünïcode {i}, with comma"] for i in range(100)]]
    with main.open("r.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    with main.open("r.csv", "r", newline="", block_size=300) as f:
        assert list(csv.reader(f)) == rows
    doc = {"k": [1, 2, {"z": "ż"}], "n": None}
    with main.open("d.json", "w") as f:
        json.dump(doc, f)
    with main.open("d.json") as f:
        assert json.load(f) == doc
    assert json.loads(main.download("d.json")) == doc
