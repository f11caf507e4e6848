"""This SDK, used as its README shows."""

from __future__ import annotations

import inspect
import random
from typing import Any

from _fsspec_rows import (  # the filesystem rows: the worker finds them here
    fs_find,  # noqa: F401
    fs_info,  # noqa: F401
    fs_put,  # noqa: F401
    fs_read,  # noqa: F401
    fs_read_parquet,  # noqa: F401
    warm,
)

import lakefs
from lakefs.fs import LakeFSFileSystem

CHUNK = 8 << 20


def setup(ctx: dict[str, Any]) -> dict[str, Any]:
    client = lakefs.Client(
        host=ctx["endpoint"],
        access_key_id=ctx["key"],
        secret_access_key=ctx["secret"],
        ssl_ca_cert=ctx.get("ca"),
    )
    branch = lakefs.repository(ctx["repo"], client=client).branch("main")
    lakefs.ServerConfiguration(client).storage_config().blockstore_type()  # fetched once per client
    # The filesystem as pandas' storage_options make it (its own client, nothing fetched yet).
    options = {
        "host": ctx["endpoint"],
        "access_key_id": ctx["key"],
        "secret_access_key": ctx["secret"],
        "ssl_ca_cert": ctx.get("ca"),
    }
    warm(ctx, LakeFSFileSystem)  # pandas must find ours
    return {"branch": branch, "fs": LakeFSFileSystem(**options), "options": options}


def upload_file(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    s["branch"].upload_file(ctx["local_file"], ctx["target"])


def download(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    with s["branch"].open(ctx["big"], "rb") as f, open("/dev/null", "wb") as out:
        while chunk := f.read1(CHUNK):
            out.write(chunk)


def csv_lines(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    with s["branch"].open(ctx["csv"], "r") as f:
        count = sum(1 for _ in f)
    assert count == ctx["csv_lines"], count


def random_reads(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    rng = random.Random(7)
    with s["branch"].open(ctx["big"], "rb") as f:
        for _ in range(ctx["reads"]):
            f.seek(rng.randrange(ctx["big_size"] - 4096))
            assert len(f.read(4096)) == 4096


def small_uploads(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    body = b"x" * 1024
    for i in range(ctx["small"]):
        s["branch"].upload(body, f"{ctx['small_prefix']}/{i}")


def listing(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    count = sum(1 for _ in s["branch"].list_objects(prefix=ctx["list_prefix"], delimiter=""))
    assert count == ctx["list_count"], count


def stats(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    for i in range(ctx["stats"]):
        assert s["branch"].stat_object(ctx["stat_paths"][i]).size_bytes() >= 0


tls_stats = stats


def small_gets(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    for path in ctx["stat_paths"]:
        with s["branch"].open(path, "rb") as f:
            assert f.read()


presigned_upload = upload_file


def presigned_upload_parts(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    """Parallel multipart parts (8 MiB, 4 at once) instead of one stream: the crossover row."""
    s["branch"].upload_file(ctx["local_file"], ctx["target"], multipart_threshold=8 << 20)


presigned_download = download


def presigned_download_file(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    s["branch"].download_file(ctx["big"], ctx["out_file"], pre_signed=True)


def presigned_download_file_4(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    download = s["branch"].download_file
    # part_workers=, spelled max_workers= before 0.1 (a --baseline may run such a version)
    name = (
        "part_workers"
        if "part_workers" in inspect.signature(download).parameters
        else "max_workers"
    )
    download(ctx["big"], ctx["out_file"], pre_signed=True, **{name: 4})


def folder_upload(s: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    result = s["branch"].upload_folder(ctx["folder"], ctx["folder_prefix"], progress=False)
    assert result.ok, result.failed
    assert result.sent == ctx["folder_files"], result
    return {"bytes": result.bytes}


def folder_reupload(s: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    result = s["branch"].upload_folder(ctx["folder"], ctx["folder_prefix"], progress=False)
    assert result.ok, result.failed
    assert result.skipped == ctx["folder_files"], result
    return {"bytes": result.bytes}


def folder_download(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    result = s["branch"].download_folder(ctx["tree_prefix"], ctx["out_dir"], progress=False)
    assert result.ok, result.failed
    assert result.sent == ctx["folder_files"], result


folder_download_safe = folder_download  # raw's row does by hand what this one guarantees


def import_package(s: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    """What ``import lakefs`` costs a fresh process."""
    from _import_row import measure

    return measure("lakefs")
