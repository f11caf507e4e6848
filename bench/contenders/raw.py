"""The ceiling: urllib3 straight to the lakeFS API (and to pre-signed URLs), no SDK."""

from __future__ import annotations

import base64
import contextlib
import importlib
import io
import json
import os
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import urllib3

CHUNK = 8 << 20


def setup(ctx: dict[str, Any]) -> dict[str, Any]:
    auth = base64.b64encode(f"{ctx['key']}:{ctx['secret']}".encode()).decode()
    base = f"{ctx['endpoint']}/api/v1/repositories/{ctx['repo']}"
    _warm(ctx)
    return {
        "http": urllib3.PoolManager(maxsize=8, ca_certs=ctx.get("ca")),
        "h": {"Authorization": f"Basic {auth}"},
        "base": base,
    }


def _obj(s: dict[str, Any], path: str, ref: str = "main", kind: str = "refs") -> str:
    return f"{s['base']}/{kind}/{ref}/objects?path={quote(path, safe='')}"


def _check(resp: urllib3.BaseHTTPResponse) -> urllib3.BaseHTTPResponse:
    if resp.status >= 300:
        raise RuntimeError(f"{resp.status}: {resp.data[:200]!r}")
    return resp


def upload_file(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    size = ctx["file_size"]
    with open(ctx["local_file"], "rb") as f:
        headers = {
            **s["h"],
            "Content-Type": "application/octet-stream",
            "Content-Length": str(size),
        }
        _check(
            s["http"].request(
                "POST", _obj(s, ctx["target"], "main", "branches"), body=f, headers=headers
            )
        )


def download(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    resp = _check(
        s["http"].request("GET", _obj(s, ctx["big"]), headers=s["h"], preload_content=False)
    )
    with open("/dev/null", "wb") as out:
        for chunk in resp.stream(CHUNK):
            out.write(chunk)
    resp.release_conn()


def csv_lines(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    resp = _check(
        s["http"].request("GET", _obj(s, ctx["csv"]), headers=s["h"], preload_content=False)
    )
    resp.auto_close = False  # let TextIOWrapper read to the end
    count = sum(1 for _ in io.TextIOWrapper(io.BufferedReader(resp, CHUNK), encoding="utf-8"))
    assert count == ctx["csv_lines"], count


def random_reads(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    rng = random.Random(7)
    for _ in range(ctx["reads"]):
        offset = rng.randrange(ctx["big_size"] - 4096)
        headers = {**s["h"], "Range": f"bytes={offset}-{offset + 4095}"}
        assert (
            len(_check(s["http"].request("GET", _obj(s, ctx["big"]), headers=headers)).data) == 4096
        )


def small_uploads(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    body = b"x" * 1024
    for i in range(ctx["small"]):
        url = _obj(s, f"{ctx['small_prefix']}/{i}", "main", "branches")
        _check(
            s["http"].request(
                "POST",
                url,
                body=body,
                headers={**s["h"], "Content-Type": "application/octet-stream"},
            )
        )


def listing(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    after, count = "", 0
    while True:
        url = (
            f"{s['base']}/refs/main/objects/ls?prefix={quote(ctx['list_prefix'])}"
            f"&after={quote(after)}&amount=1000"
        )
        page = json.loads(_check(s["http"].request("GET", url, headers=s["h"])).data)
        count += len(page["results"])
        if not page["pagination"]["has_more"]:
            break
        after = page["pagination"]["next_offset"]
    assert count == ctx["list_count"], count


def stats(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    for i in range(ctx["stats"]):
        url = f"{s['base']}/refs/main/objects/stat?path={quote(ctx['stat_paths'][i], safe='')}"
        assert (
            json.loads(_check(s["http"].request("GET", url, headers=s["h"])).data)["size_bytes"]
            >= 0
        )


tls_stats = stats


def small_gets(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    """1,000 whole small objects, one GET each (the seeded listing objects)."""
    for path in ctx["stat_paths"]:
        assert len(_check(s["http"].request("GET", _obj(s, path), headers=s["h"])).data) == (
            _listing_size(path)
        )


def presigned_upload(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    """The physical-address dance by hand: one pre-signed PUT of the whole file."""
    path = quote(ctx["target"], safe="")
    branch = f"{s['base']}/branches/main"
    loc = json.loads(
        _check(
            s["http"].request(
                "GET", f"{branch}/staging/backing?path={path}&presign=true", headers=s["h"]
            )
        ).data
    )
    with open(ctx["local_file"], "rb") as f:
        put = _check(
            s["http"].request(
                "PUT",
                loc["presigned_url"],
                body=f,
                headers={"Content-Length": str(ctx["file_size"])},
            )
        )
    body = {
        "staging": {"physical_address": loc["physical_address"]},
        "checksum": put.headers["ETag"].strip('"'),
        "size_bytes": ctx["file_size"],
    }
    _check(
        s["http"].request(
            "PUT",
            f"{branch}/staging/backing?path={path}",
            body=json.dumps(body),
            headers={**s["h"], "Content-Type": "application/json"},
        )
    )


presigned_upload_parts = presigned_upload  # the reference: raw's one stream


def presigned_download(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    resp = _check(
        s["http"].request(
            "GET", _obj(s, ctx["big"]) + "&presign=true", headers=s["h"], preload_content=False
        )
    )
    with open("/dev/null", "wb") as out:
        for chunk in resp.stream(CHUNK):
            out.write(chunk)
    resp.release_conn()


def presigned_download_file(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    """One pre-signed GET (through lakeFS's redirect) streamed to a file."""
    resp = _check(
        s["http"].request(
            "GET", _obj(s, ctx["big"]) + "&presign=true", headers=s["h"], preload_content=False
        )
    )
    with open(ctx["out_file"], "wb") as out:
        for chunk in resp.stream(CHUNK):
            out.write(chunk)
    resp.release_conn()


def presigned_download_file_4(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    """The redirect once, then 4 threads of 8 MiB ranged GETs written at their offsets."""
    first = s["http"].request(
        "GET", _obj(s, ctx["big"]) + "&presign=true", headers=s["h"], redirect=False
    )
    url = first.headers["Location"]
    size = ctx["file_size"]
    fd = os.open(ctx["out_file"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.ftruncate(fd, size)

    def one(start: int) -> None:
        end = min(start + CHUNK, size) - 1
        resp = _check(s["http"].request("GET", url, headers={"Range": f"bytes={start}-{end}"}))
        os.pwrite(fd, resp.data, start)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(0, size, CHUNK)))
    os.close(fd)


def _tree(root: str) -> list[tuple[str, str]]:
    out = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            full = os.path.join(dirpath, name)
            out.append((os.path.relpath(full, root).replace(os.sep, "/"), full))
    return out


def _post_files(s: dict[str, Any], files: list[tuple[str, str]], prefix: str) -> int:
    """8 threads, one POST per file (the body streamed from disk); returns the bytes sent."""

    def one(item: tuple[str, str]) -> int:
        rel, full = item
        size = os.path.getsize(full)
        url = _obj(s, prefix + rel, "main", "branches")
        headers = {
            **s["h"],
            "Content-Type": "application/octet-stream",
            "Content-Length": str(size),
        }
        with open(full, "rb") as f:
            _check(s["http"].request("POST", url, body=f, headers=headers))
        return size

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(one, files))


def folder_upload(s: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    """8 threads, one POST per file (the body streamed from disk)."""
    return {"bytes": _post_files(s, _tree(ctx["folder"]), ctx["folder_prefix"])}


folder_reupload = folder_upload  # raw HTTP knows nothing of what is there: all sent again


def _listed_paths(s: dict[str, Any], prefix: str) -> list[str]:
    paths, after = [], ""
    while True:
        url = (
            f"{s['base']}/refs/main/objects/ls?prefix={quote(prefix)}"
            f"&after={quote(after)}&amount=1000"
        )
        page = json.loads(_check(s["http"].request("GET", url, headers=s["h"])).data)
        paths += [r["path"] for r in page["results"]]
        if not page["pagination"]["has_more"]:
            return paths
        after = page["pagination"]["next_offset"]


def folder_download(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    """List the prefix, then 8 threads, one streamed GET per object to its file."""
    paths = _listed_paths(s, ctx["tree_prefix"])

    def one(path: str) -> None:
        dest = os.path.join(ctx["out_dir"], path[len(ctx["tree_prefix"]) :])
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        resp = _check(
            s["http"].request("GET", _obj(s, path), headers=s["h"], preload_content=False)
        )
        with open(dest, "wb") as out:
            for chunk in resp.stream(1 << 20):
                out.write(chunk)
        resp.release_conn()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, paths))


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_UNNAMED_FLAGS = os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC


def folder_download_safe(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    """``folder_download`` written by hand with what this SDK guarantees and raw's row does not,
    done the cheapest way known (Linux): each directory opened relative to its parent with
    ``O_NOFOLLOW`` (a directory swapped for a link is never written through), each file written
    with no name (``O_TMPFILE``) and linked in once whole (a failure, even a crash, leaves no
    half-written file), and a read timeout on each GET (a stalled server does not hang the run).
    No index, no checks of what is there, no retries."""
    paths = _listed_paths(s, ctx["tree_prefix"])
    os.makedirs(ctx["out_dir"], exist_ok=True)
    root = os.open(ctx["out_dir"], _DIR_FLAGS)
    timeout = urllib3.Timeout(connect=10, read=60)

    def opened(parent: int, part: str) -> int:
        try:
            return os.open(part, _DIR_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, dir_fd=parent)
            return os.open(part, _DIR_FLAGS, dir_fd=parent)

    def one(path: str) -> None:
        *dirs, name = path[len(ctx["tree_prefix"]) :].split("/")
        fd = root
        for part in dirs:
            below = opened(fd, part)
            if fd != root:
                os.close(fd)
            fd = below
        try:
            resp = _check(
                s["http"].request(
                    "GET", _obj(s, path), headers=s["h"], preload_content=False, timeout=timeout
                )
            )
            out = os.open(".", _UNNAMED_FLAGS, 0o600, dir_fd=fd)
            with open(out, "wb", closefd=True) as f:
                for chunk in resp.stream(1 << 20):
                    f.write(chunk)
                f.flush()
                os.link(f"/proc/self/fd/{out}", name, dst_dir_fd=fd)
            resp.release_conn()
        finally:
            if fd != root:
                os.close(fd)

    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, paths))
    finally:
        os.close(root)


# -- the filesystem rows: what an fsspec filesystem's calls cost at the HTTP level -------------


def _warm(ctx: dict[str, Any]) -> None:
    """Import pandas and pyarrow's Parquet reader before the timing starts (as in any program
    that reads Parquet more than once)."""
    if ctx.get("workload") == "fs_read_parquet":
        for module in ("pandas", "pyarrow.dataset", "pyarrow.parquet"):
            importlib.import_module(module)


def _listing_size(path: str) -> int:
    """The seeded listing object ``.../object-000123.txt`` holds ``"123"``."""
    return len(str(int(path.rsplit("-", 1)[1].removesuffix(".txt"))))


def fs_find(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    """``find``: the flat listing of the prefix, 1,000 a page."""
    listing(s, ctx)


def fs_info(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    """``info`` x1,000: one statObject each."""
    for path in ctx["stat_paths"]:
        url = f"{s['base']}/refs/main/objects/stat?path={quote(path, safe='')}"
        stat = json.loads(_check(s["http"].request("GET", url, headers=s["h"])).data)
        assert stat["size_bytes"] == _listing_size(path), stat


def fs_read(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    """Reading the large object: one streamed GET, bytes counted."""
    resp = _check(
        s["http"].request("GET", _obj(s, ctx["big"]), headers=s["h"], preload_content=False)
    )
    total = sum(len(chunk) for chunk in resp.stream(CHUNK))
    resp.release_conn()
    assert total == ctx["big_size"], total


def fs_put(s: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    """``put`` of a local folder: 8 threads, one POST per file (as the folder rows)."""
    files = _tree(ctx["fs_put_dir"])
    assert len(files) == ctx["fs_put_files"], len(files)
    return {"bytes": _post_files(s, files, f"{ctx['fs_put_prefix']}/")}


def fs_read_parquet(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    """The Parquet object into memory with one GET, then ``pd.read_parquet`` of the bytes."""
    import pandas as pd

    data = _check(s["http"].request("GET", _obj(s, ctx["parquet"]), headers=s["h"])).data
    frame = pd.read_parquet(io.BytesIO(data))
    assert len(frame) == ctx["parquet_rows"], len(frame)


def import_package(s: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    """What ``import urllib3`` costs a fresh process."""
    from _import_row import measure

    return measure("urllib3")
