"""The official ``lakefs`` package (0.16.0), used as its documentation shows. Runs from its own
virtual environment: it shares our import name."""

from __future__ import annotations

import os
import random
import shutil
from typing import Any

import lakefs  # the official package, in bench's separate environment

CHUNK = 8 << 20


def setup(ctx: dict[str, Any]) -> dict[str, Any]:
    tls = {"ssl_ca_cert": ctx["ca"]} if ctx.get("ca") else {}
    client = lakefs.Client(host=ctx["endpoint"], username=ctx["key"], password=ctx["secret"], **tls)
    branch = lakefs.repository(ctx["repo"], client=client).branch("main")
    return {"branch": branch, "pre_sign": ctx.get("pre_sign", False)}


def upload_file(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    obj = s["branch"].object(ctx["target"])
    with open(ctx["local_file"], "rb") as reader, obj.writer("wb", pre_sign=s["pre_sign"]) as w:
        shutil.copyfileobj(reader, w, CHUNK)


def download(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    reader = s["branch"].object(ctx["big"]).reader("rb", pre_sign=s["pre_sign"])
    with reader as f, open("/dev/null", "wb") as out:
        while chunk := f.read(CHUNK):
            out.write(chunk)


def csv_lines(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    with s["branch"].object(ctx["csv"]).reader("r", pre_sign=s["pre_sign"]) as f:
        count = sum(1 for _ in f)
    assert count == ctx["csv_lines"], count


def random_reads(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    rng = random.Random(7)
    with s["branch"].object(ctx["big"]).reader("rb", pre_sign=s["pre_sign"]) as f:
        for _ in range(ctx["reads"]):
            f.seek(rng.randrange(ctx["big_size"] - 4096))
            assert len(f.read(4096)) == 4096


def small_uploads(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    body = b"x" * 1024
    for i in range(ctx["small"]):
        s["branch"].object(f"{ctx['small_prefix']}/{i}").upload(
            body, mode="wb", pre_sign=s["pre_sign"]
        )


def listing(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    count = sum(1 for _ in s["branch"].objects(prefix=ctx["list_prefix"]))
    assert count == ctx["list_count"], count


def stats(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    for i in range(ctx["stats"]):
        assert s["branch"].object(ctx["stat_paths"][i]).stat().size_bytes >= 0


tls_stats = stats


def small_gets(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    for path in ctx["stat_paths"]:
        with s["branch"].object(path).reader("rb", pre_sign=s["pre_sign"]) as f:
            assert f.read()


presigned_upload = upload_file
presigned_download = download


def presigned_download_file(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    reader = s["branch"].object(ctx["big"]).reader("rb", pre_sign=s["pre_sign"])
    with reader as f, open(ctx["out_file"], "wb") as out:
        shutil.copyfileobj(f, out, CHUNK)


def _files(root: str) -> list[tuple[str, str]]:
    out = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            full = os.path.join(dirpath, name)
            out.append((os.path.relpath(full, root).replace(os.sep, "/"), full))
    return sorted(out)


def folder_upload(s: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    """The documented way: a loop over the files, one writer each."""
    sent = 0
    for rel, full in _files(ctx["folder"]):
        obj = s["branch"].object(ctx["folder_prefix"] + rel)
        with open(full, "rb") as reader, obj.writer("wb") as w:
            shutil.copyfileobj(reader, w, CHUNK)
        sent += os.path.getsize(full)
    return {"bytes": sent}


folder_reupload = folder_upload  # no skipping: everything is sent again


def folder_download(s: dict[str, Any], ctx: dict[str, Any]) -> None:
    for obj in s["branch"].objects(prefix=ctx["tree_prefix"]):
        dest = os.path.join(ctx["out_dir"], obj.path[len(ctx["tree_prefix"]) :])
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with s["branch"].object(obj.path).reader("rb") as f, open(dest, "wb") as out:
            shutil.copyfileobj(f, out, CHUNK)


def import_package(s: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    """What ``import lakefs`` costs a fresh process."""
    from _import_row import measure

    return measure("lakefs")
