"""The filesystem rows, as fsspec code drives any filesystem: shared by the ``ours`` and
``lakefs_spec`` contenders (each passes its own filesystem in ``s["fs"]``)."""

from __future__ import annotations

import importlib
from typing import Any

CHUNK = 8 << 20


def warm(ctx: dict[str, Any], expected: type) -> None:
    """Import pandas and pyarrow's Parquet reader before the timing starts (as in any program
    that reads Parquet more than once), and check pandas finds ``expected`` for ``lakefs://``."""
    if ctx.get("workload") == "fs_read_parquet":
        import fsspec

        for module in ("pandas", "pyarrow.dataset", "pyarrow.parquet"):
            importlib.import_module(module)
        assert fsspec.get_filesystem_class("lakefs") is expected


def _listing_size(path: str) -> int:
    """The seeded listing object ``.../object-000123.txt`` holds ``"123"``."""
    return len(str(int(path.rsplit("-", 1)[1].removesuffix(".txt"))))


def fs_find(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    names = s["fs"].find(f"{ctx['repo']}/main/{ctx['list_prefix'].rstrip('/')}")
    assert len(names) == ctx["list_count"], len(names)


def fs_info(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    for path in ctx["stat_paths"]:
        entry = s["fs"].info(f"{ctx['repo']}/main/{path}")
        assert entry["type"] == "file", entry
        assert entry["size"] == _listing_size(path), entry


def fs_read(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    total = 0
    with s["fs"].open(f"{ctx['repo']}/main/{ctx['big']}", "rb") as f:
        while chunk := f.read(CHUNK):
            total += len(chunk)
    assert total == ctx["big_size"], total


def fs_put(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    """``put`` of a local folder's contents (the trailing slash) to a fresh prefix; run.py
    counts what landed."""
    target = f"{ctx['repo']}/main/{ctx['fs_put_prefix']}"
    s["fs"].put(ctx["fs_put_dir"] + "/", target, recursive=True)


def fs_read_parquet(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    import pandas as pd

    url = f"lakefs://{ctx['repo']}/main/{ctx['parquet']}"
    frame = pd.read_parquet(url, storage_options=s["options"])
    assert len(frame) == ctx["parquet_rows"], len(frame)
