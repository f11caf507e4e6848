"""lakefs-spec 0.15.1's ``LakeFSFileSystem``, used as its documentation shows. Runs from its own
virtual environment (``.cache/bench-lakefs-spec``): it pulls the official ``lakefs`` package,
which shares our import name."""

from __future__ import annotations

from typing import Any

from _fsspec_rows import (  # the filesystem rows: the worker finds them here
    fs_find,  # noqa: F401
    fs_info,  # noqa: F401
    fs_put,  # noqa: F401
    fs_read,  # noqa: F401
    fs_read_parquet,  # noqa: F401
    warm,
)
from lakefs_spec import LakeFSFileSystem


def setup(ctx: dict[str, Any]) -> dict[str, Any]:
    # Its constructor's (and pandas' storage_options') names for the key pair.
    options = {"host": ctx["endpoint"], "username": ctx["key"], "password": ctx["secret"]}
    warm(ctx, LakeFSFileSystem)  # pandas must find lakefs-spec's
    return {"fs": LakeFSFileSystem(**options), "options": options}
