"""``make bench``: this SDK, the official ``lakefs`` package and raw HTTP, side by side; and
this SDK's fsspec filesystem (``lakefs.fs``), lakefs-spec's and raw HTTP, side by side.

One run starts a fresh local lakeFS (and one on gofakes3, a Go S3 store, for the pre-signed
rows), seeds the data once, then runs every workload for every contender, each in a fresh subprocess
(``bench/worker.py``), ``--repeat`` times. The official package and lakefs-spec run from virtual
environments of their own (``make bench`` creates them): both import the other ``lakefs``
package. It prints wall time, requests sent and peak RSS growth, with ratios raw time / contender
time (1.0 = as fast as raw HTTP), one table per pair of contenders. A benchmark, not a test:
nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import lakefs
from lakefs.testing import LocalLakeFS

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "bench" / "worker.py"
# The contenders that run from a virtual environment of their own (the others run from this
# project's, sys.executable); LAKEFS_BENCH_<NAME>_PYTHON names another interpreter.
PYTHONS = {
    name: Path(
        os.environ.get(
            f"LAKEFS_BENCH_{name.upper()}_PYTHON", ROOT / ".cache" / venv / "bin" / "python"
        )
    )
    for name, venv in (("official", "bench-official"), ("lakefs_spec", "bench-lakefs-spec"))
}
SDK_CONTENDERS = ("raw", "ours", "official")
FS_CONTENDERS = ("raw", "ours", "lakefs_spec")  # the official package has no fsspec filesystem
SDK_WORKLOADS = (
    "upload_file",
    "download",
    "csv_lines",
    "random_reads",
    "small_uploads",
    "listing",
    "stats",
    "small_gets",
    "presigned_upload",
    "presigned_upload_parts",
    "presigned_download",
    "presigned_download_file",
    "presigned_download_file_4",
    "folder_upload",
    "folder_reupload",
    "folder_download",
    "folder_download_safe",
    "tls_stats",
    "import_package",
)
FS_WORKLOADS = ("fs_find", "fs_info", "fs_read", "fs_put", "fs_read_parquet")
MiB = 1 << 20


class Workload(NamedTuple):
    """One row: its title, the contenders' function name, their context, who runs it."""

    title: str
    name: str
    ctx: dict[str, Any]
    contenders: tuple[str, ...]


def _client(server: LocalLakeFS) -> lakefs.Client:
    return lakefs.Client(**server.client_options())


def _write_random(path: Path, size: int) -> None:
    with path.open("wb") as f:
        block = os.urandom(8 * MiB)
        for offset in range(0, size, len(block)):
            f.write(block[: min(len(block), size - offset)])


def _write_csv(path: Path, size: int) -> int:
    lines = 0
    with path.open("w") as f:
        written = 0
        while written < size:
            chunk = "".join(f"{i},name-{i},{i * 0.001:.3f}\n" for i in range(lines, lines + 10_000))
            f.write(chunk)
            written += len(chunk)
            lines += 10_000
    return lines


def _write_tree(root: Path, small: int, big: int, big_mib: int) -> int:
    """``small`` 4 KiB files in 10 folders and ``big`` files of ``big_mib``: the folder rows."""
    for i in range(small):
        path = root / f"small/d{i % 10}" / f"f{i:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(4096))
    (root / "big").mkdir(parents=True, exist_ok=True)
    for i in range(big):
        _write_random(root / f"big/part-{i}.bin", big_mib * MiB)
    return small + big


def _seed_listing(server: LocalLakeFS, branch: lakefs.Branch, count: int) -> list[str]:
    source = server.import_dir / "listing"
    for i in range(count):
        path = source / f"d{i % 20:02d}" / f"object-{i:06d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(i))
    branch.import_from(f"local://{source}/", "listing/", "seed listing").run(poll_interval=0.2)
    return [f"listing/d{i % 20:02d}/object-{i:06d}.txt" for i in range(count)]


def _write_fs_put_dir(root: Path, count: int) -> int:
    """``count`` 4 KiB files in 10 folders: what ``fs.put(recursive=True)`` uploads."""
    for i in range(count):
        path = root / f"d{i % 10}" / f"f{i:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(4096))
    return count


def _write_parquet(path: Path, size: int) -> int:
    """A Parquet file of about ``size`` bytes (random numbers do not compress); its rows."""
    import numpy as np
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    rows = size // 32  # four 8-byte columns
    rng = np.random.default_rng(7)
    table = pa.table(
        {
            "k": rng.integers(-(1 << 63), (1 << 63) - 1, rows),
            "n": rng.integers(-(1 << 63), (1 << 63) - 1, rows),
            "x": rng.random(rows),
            "y": rng.standard_normal(rows),
        }
    )
    pq.write_table(table, path, use_dictionary=False)
    return rows


def _count_objects(branch: lakefs.Branch, prefix: str) -> tuple[int, int]:
    """How many objects are under ``prefix`` and their bytes."""
    count = size = 0
    for obj in branch.list_objects(prefix=prefix, delimiter=""):
        if isinstance(obj, lakefs.ObjectInfo):
            count += 1
            size += obj.size_bytes()
    return count, size


def _repository(server: LocalLakeFS, name: str) -> lakefs.Branch:
    repo = lakefs.repository(name, client=_client(server))
    namespace = server.storage_namespace(f"bench-{secrets.token_hex(4)}/{name}")
    return repo.create(namespace).branch("main")


def _export_src(rev: str, into: Path) -> Path:
    """``src/`` as it was at git revision ``rev``, written under ``into``: the 'before' SDK."""
    into.mkdir(parents=True)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    # Compiled now, so that no timed run (the import row) compiles it.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into / "src")], check=True)
    print(f"before = {rev} ({commit[:12]})", flush=True)
    return into / "src"


def _run(
    contender: str, workload: str, ctx: dict[str, Any], sources: dict[str, Path]
) -> dict[str, Any]:
    """One worker process. A contender in ``sources`` is this SDK's contender file run on that
    source tree instead of the installed one (PYTHONPATH comes before the editable install)."""
    python = str(PYTHONS.get(contender, sys.executable))
    os.sync()  # the previous upload's dirty pages would slow down whoever runs next
    time.sleep(0.5)
    env = {**os.environ, "PYTHONPATH": str(sources.get(contender, ""))}
    script = "ours" if contender in sources else contender
    proc = subprocess.run(
        [python, str(WORKER), script, workload, json.dumps(ctx)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-6:])
        return {"error": tail}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each workload")
    parser.add_argument("--big-mib", type=int, default=1024, help="the large object's size")
    parser.add_argument("--csv-mib", type=int, default=200, help="the CSV object's size")
    parser.add_argument("--presigned-mib", type=int, default=256, help="pre-signed rows' size")
    parser.add_argument("--objects", type=int, default=20_000, help="objects to list")
    parser.add_argument("--folder-small", type=int, default=1000, help="4 KiB files of the folder")
    parser.add_argument("--folder-big", type=int, default=4, help="large files of the folder")
    parser.add_argument("--folder-big-mib", type=int, default=64, help="their size")
    parser.add_argument("--parquet-mib", type=int, default=200, help="the Parquet object's size")
    parser.add_argument("--fs-put-files", type=int, default=1000, help="4 KiB files fs.put sends")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also run this SDK as it was at git revision REV (contender 'before', from "
        "`git archive REV src`) and print a before/after table from the same run",
    )
    parser.add_argument(
        "--only",
        nargs="*",
        choices=SDK_WORKLOADS + FS_WORKLOADS,
        metavar="WORKLOAD",
        help="run only these workloads: " + ", ".join(SDK_WORKLOADS + FS_WORKLOADS),
    )
    args = parser.parse_args(argv)
    workloads_wanted = set(args.only or SDK_WORKLOADS + FS_WORKLOADS)
    needed = set(SDK_CONTENDERS if workloads_wanted & set(SDK_WORKLOADS) else ())
    needed |= set(FS_CONTENDERS if workloads_wanted & set(FS_WORKLOADS) else ())
    for name in sorted(needed & set(PYTHONS)):
        if not PYTHONS[name].exists():
            print(f"no {name} environment at {PYTHONS[name]} (make bench creates it)")
            return 2

    scratch = Path(tempfile.mkdtemp(prefix="lakefs-bench-"))
    try:
        sources = (
            {"before": _export_src(args.baseline, scratch / "before")} if args.baseline else {}
        )
        with (
            LocalLakeFS("local") as local,
            LocalLakeFS("s3") as s3,
            LocalLakeFS("local", tls=True) as tls,
        ):
            print("seeding ...", flush=True)
            t0 = time.monotonic()
            big_file, pre_file, csv_file = (
                scratch / "big.bin",
                scratch / "pre.bin",
                scratch / "d.csv",
            )
            _write_random(big_file, args.big_mib * MiB)
            _write_random(pre_file, args.presigned_mib * MiB)
            csv_lines = _write_csv(csv_file, args.csv_mib * MiB)
            main_branch = _repository(local, "bench")
            main_branch.upload_file(big_file, "big.bin")
            main_branch.upload_file(csv_file, "data.csv")
            main_branch.commit_changes("seed data")  # an import needs a clean branch
            stat_paths = _seed_listing(local, main_branch, args.objects)
            tls_branch = _repository(tls, "bench-tls")
            tls_paths = [f"stat/object-{i:04d}.txt" for i in range(100)]
            for path in tls_paths:
                tls_branch.upload(b"x", path)
            s3_branch = _repository(s3, "bench-s3")
            s3_branch.upload_file(pre_file, "big.bin")
            folder = scratch / "folder"
            folder_files = 0
            if {w for w in workloads_wanted if w.startswith("folder_")}:
                folder_files = _write_tree(
                    folder, args.folder_small, args.folder_big, args.folder_big_mib
                )
                main_branch.upload_folder(folder, "tree/", progress=False).raise_for_failures()
            fs_put_dir = scratch / "fs-put"
            fs_put_files = 0
            if "fs_put" in workloads_wanted:
                fs_put_files = _write_fs_put_dir(fs_put_dir, args.fs_put_files)
            parquet_file = scratch / "data.parquet"
            parquet_rows = parquet_mib = 0
            if "fs_read_parquet" in workloads_wanted:
                parquet_rows = _write_parquet(parquet_file, args.parquet_mib * MiB)
                parquet_mib = round(parquet_file.stat().st_size / MiB)
                main_branch.upload_file(parquet_file, "data.parquet")
            print(f"seeded in {time.monotonic() - t0:.0f} s", flush=True)

            def ctx(server: LocalLakeFS, repo: str, **extra: Any) -> dict[str, Any]:
                return {
                    "endpoint": server.endpoint,
                    "key": server.access_key_id,
                    "secret": server.secret_access_key,
                    "repo": repo,
                    **extra,
                }

            base = ctx(
                local,
                "bench",
                big="big.bin",
                big_size=args.big_mib * MiB,
                csv="data.csv",
                csv_lines=csv_lines,
                reads=1000,
                small=1000,
                list_prefix="listing/",
                list_count=args.objects,
                stats=1000,
                stat_paths=stat_paths[:1000],
                local_file=str(big_file),
                file_size=args.big_mib * MiB,
                folder=str(folder),
                folder_files=folder_files,
                tree_prefix="tree/",
                fs_put_dir=str(fs_put_dir),
                fs_put_files=fs_put_files,
                parquet="data.parquet",
                parquet_rows=parquet_rows,
            )
            presigned = ctx(
                s3,
                "bench-s3",
                big="big.bin",
                local_file=str(pre_file),
                file_size=args.presigned_mib * MiB,
                pre_sign=True,
            )
            over_tls = ctx(
                tls,
                "bench-tls",
                ca=str(tls.ca_cert),
                stats=1000,
                stat_paths=(tls_paths * 10)[:1000],
            )
            sdk_rows = [
                (f"upload {args.big_mib} MiB file", "upload_file", base),
                (f"download {args.big_mib} MiB", "download", base),
                (f"CSV lines ({args.csv_mib} MiB)", "csv_lines", base),
                ("1,000 random 4 KiB reads", "random_reads", base),
                ("1,000 small uploads", "small_uploads", base),
                (f"list {args.objects:,} objects", "listing", base),
                ("1,000 stats", "stats", base),
                ("1,000 small GETs", "small_gets", base),
                (f"pre-signed upload {args.presigned_mib} MiB", "presigned_upload", presigned),
                # The crossover: parallel parts against one stream (raw's row is its one PUT).
                ("  same, in 8 MiB parts x4", "presigned_upload_parts", presigned),
                (f"pre-signed read {args.presigned_mib} MiB", "presigned_download", presigned),
                (
                    f"pre-signed download {args.presigned_mib} MiB",
                    "presigned_download_file",
                    presigned,
                ),
                (
                    "  same, 4 ranged GETs at once",
                    "presigned_download_file_4",
                    presigned,
                ),
                (f"upload_folder ({folder_files:,} files)", "folder_upload", base),
                ("  again, nothing changed", "folder_reupload", base),
                (f"download_folder ({folder_files:,} files)", "folder_download", base),
                # raw writing as ours does: no link followed, whole or nothing, a read timeout
                ("  same, raw writing safely", "folder_download_safe", base),
                ("1,000 stats over https", "tls_stats", over_tls),
                ("import the package (see below)", "import_package", base),
            ]
            fs_rows = [
                (f"find over {args.objects:,} objects", "fs_find", base),
                (f"info x{len(stat_paths[:1000]):,}", "fs_info", base),
                (f"read {args.big_mib} MiB (open, rb)", "fs_read", base),
                (f"put {fs_put_files:,} files of 4 KiB", "fs_put", base),
                (f"pd.read_parquet {parquet_mib} MiB", "fs_read_parquet", base),
            ]
            extra = tuple(sources)  # ("before",) with --baseline
            workloads = [Workload(*row, SDK_CONTENDERS + extra) for row in sdk_rows]
            workloads += [Workload(*row, FS_CONTENDERS + extra) for row in fs_rows]
            workloads = [w for w in workloads if w.name in workloads_wanted]
            checks = {"fs_put": lambda c: _check_put(main_branch, c)}
            results = _measure(workloads, checks, args.repeat, scratch, sources)
            _report(workloads, results, args.repeat)
            if sources:
                _before_after(workloads, results, args.baseline)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def _check_put(branch: lakefs.Branch, ctx: dict[str, Any]) -> str | None:
    """What ``fs_put`` should have left: every file, 4 KiB each, under the run's prefix."""
    want = (ctx["fs_put_files"], ctx["fs_put_files"] * 4096)
    got = _count_objects(branch, ctx["fs_put_prefix"] + "/")
    return None if got == want else f"fs_put: (objects, bytes) {got} under the prefix, not {want}"


def _measure(
    workloads: list[Workload],
    checks: dict[str, Callable[[dict[str, Any]], str | None]],
    repeat: int,
    scratch: Path,
    sources: dict[str, Path],
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Run every workload of every contender ``repeat`` times; check what a write left (outside
    the timing) where ``checks`` has a check."""
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in range(repeat):
        for w in workloads:
            # Alternate the order between runs, so that no contender always runs right
            # after another one's writes.
            order = w.contenders if run % 2 == 0 else tuple(reversed(w.contenders))
            for contender in order:
                extra = {
                    "target": f"uploads/{contender}-{run}.bin",
                    "small_prefix": f"small/{contender}-{run}",
                    "folder_prefix": f"folders/{contender}-{run}/",
                    "fs_put_prefix": f"fs-put/{contender}-{run}",
                    "out_file": str(scratch / "out.bin"),
                    "out_dir": str(scratch / "out"),
                }
                ctx = {**w.ctx, **extra}
                result = _run(contender, w.name, ctx, sources)
                (scratch / "out.bin").unlink(missing_ok=True)
                shutil.rmtree(scratch / "out", ignore_errors=True)
                if "error" not in result and w.name in checks:
                    error = checks[w.name](ctx)
                    result = {"error": error} if error else result
                results.setdefault((w.title, contender), []).append(result)
                if result.get("absent"):
                    shown = "n/a"
                else:
                    shown = result.get("error") or f"{result['seconds']:.2f} s"
                print(f"  run {run + 1}: {w.title:32} {contender:11} {shown}", flush=True)
    return results


def _report(
    workloads: list[Workload],
    results: dict[tuple[str, str], list[dict[str, Any]]],
    repeat: int,
) -> None:
    print()
    print(
        f"Median of {repeat} runs (spread min-max); ratio = raw time / contender time; "
        "best = raw's best / the contender's best; CPU s = the client's CPU seconds (all "
        "threads), CPU x = the contender's / raw's."
    )
    captions = {
        SDK_CONTENDERS: "The SDK: ours = this package, official = lakefs 0.16.0.",
        FS_CONTENDERS: "The fsspec filesystem: ours = lakefs.fs.LakeFSFileSystem, lakefs_spec = "
        "lakefs-spec 0.15.1 (the official package has none).",
    }
    for contenders, caption in captions.items():
        rows = [w for w in workloads if w.contenders[: len(contenders)] == contenders]
        if rows:
            print()
            print(caption)
            _table(rows, results, contenders[1:])
    _imports(workloads, results)
    sent = [
        (w.title, name, r["bytes"])
        for w in workloads
        for name in w.contenders
        for r in results[(w.title, name)][:1]
        if "bytes" in r
    ]
    if sent:
        print()
        print("Object bytes sent (first run):")
        for title, name, count in sent:
            print(f"  {title.strip():32} {name:11} {count / MiB:10.1f} MiB")
    for (title, name), runs in results.items():
        for r in runs:
            if "error" in r:
                print(f"error in {title} / {name}:\n{r['error']}")


def _table(
    workloads: list[Workload],
    results: dict[tuple[str, str], list[dict[str, Any]]],
    names: tuple[str, ...],
) -> None:
    """One table: raw's time and CPU, then each of ``names``': time, ratio (median, spread, best),
    client CPU (median, and its ratio to raw's), requests and RSS growth."""
    header = f"| {'workload':32} | {'raw s':>8} | {'raw CPU':>7} |"
    widths = {name: max(8, len(name) + 2) for name in names}
    for name in names:
        header += (
            f" {name + ' s':>{widths[name]}} | {'ratio':>17} | {'best':>5} | {'CPU s':>6} |"
            f" {'CPU x':>5} | {'requests':>8} | {'RSS MiB':>7} |"
        )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for title in (w.title for w in workloads):
        raw_runs = [r for r in results[(title, "raw")] if "seconds" in r]
        raw = [r["seconds"] for r in raw_runs]
        raw_s = statistics.median(raw) if raw else float("nan")
        raw_cpu = statistics.median(r["cpu"] for r in raw_runs) if raw_runs else float("nan")
        line = f"| {title:32} | {raw_s:8.2f} | {raw_cpu:7.2f} |"
        for name in names:
            runs = [r for r in results[(title, name)] if "seconds" in r]
            if not runs:
                absent = all(r.get("absent") for r in results[(title, name)])
                shown = "n/a" if absent else "error"
                line += (
                    f" {shown:>{widths[name]}} | {'':>17} | {'':>5} | {'':>6} | {'':>5} |"
                    f" {'':>8} | {'':>7} |"
                )
                continue
            secs = [r["seconds"] for r in runs]
            ratios = sorted(raw_s / s for s in secs)
            ratio = f"{raw_s / statistics.median(secs):.2f}x"
            spread = f"{ratio} ({ratios[0]:.2f}-{ratios[-1]:.2f})" if len(ratios) > 1 else ratio
            rss = max(r["rss_growth"] for r in runs) / MiB
            best = min(raw) / min(secs) if raw else float("nan")
            cpu = statistics.median(r["cpu"] for r in runs)
            cpu_x = cpu / raw_cpu if raw_cpu else float("nan")
            line += (
                f" {statistics.median(secs):{widths[name]}.2f} | {spread:>17} | {best:5.2f} |"
                f" {cpu:6.2f} | {cpu_x:5.2f} | {runs[0]['requests']:8d} | {rss:7.0f} |"
            )
        print(line)


def _before_after(
    workloads: list[Workload], results: dict[tuple[str, str], list[dict[str, Any]]], rev: str
) -> None:
    """This SDK at ``rev`` (before) against the working tree (ours), every row of the same run:
    speed = before's time / ours (above 1.0: faster now), best of each and CPU beside it."""
    print()
    print(f"Before and after: before = this SDK at {rev}, ours = the working tree (same run).")
    header = (
        f"| {'workload':32} | {'before s':>8} | {'ours s':>8} | {'speed':>17} | {'best':>5} |"
        f" {'CPU before':>10} | {'CPU ours':>8} | {'CPU x':>5} | {'requests':>11} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for w in workloads:
        before = [r for r in results[(w.title, "before")] if "seconds" in r]
        ours = [r for r in results[(w.title, "ours")] if "seconds" in r]
        if not before or not ours:
            print(
                f"| {w.title:32} | {'error' if not before else '':>8} | "
                f"{'error' if not ours else '':>8} |"
            )
            continue
        b_s = statistics.median(r["seconds"] for r in before)
        o_s = statistics.median(r["seconds"] for r in ours)
        speeds = sorted(b_s / r["seconds"] for r in ours)
        speed = f"{b_s / o_s:.2f}x ({speeds[0]:.2f}-{speeds[-1]:.2f})"
        best = min(r["seconds"] for r in before) / min(r["seconds"] for r in ours)
        b_cpu = statistics.median(r["cpu"] for r in before)
        o_cpu = statistics.median(r["cpu"] for r in ours)
        requests = f"{before[0]['requests']}/{ours[0]['requests']}"
        print(
            f"| {w.title:32} | {b_s:8.2f} | {o_s:8.2f} | {speed:>17} | {best:5.2f} |"
            f" {b_cpu:10.2f} | {o_cpu:8.2f} | {o_cpu / b_cpu if b_cpu else float('nan'):5.2f} |"
            f" {requests:>11} |"
        )


def _imports(
    workloads: list[Workload], results: dict[tuple[str, str], list[dict[str, Any]]]
) -> None:
    """The import row's own figures: what importing each package costs a fresh process."""
    row = next((w for w in workloads if w.name == "import_package"), None)
    if row is None:
        return
    print()
    print("Import in a fresh process (median; raw = urllib3, its whole stack):")
    for name in row.contenders:
        runs = [r for r in results[(row.title, name)] if "import_cpu" in r]
        if runs:
            cpu = statistics.median(r["import_cpu"] for r in runs)
            kib = statistics.median(r["import_kib"] for r in runs)
            print(f"  {name:11} {cpu:6.3f} s of CPU, RSS +{kib / 1024:5.1f} MiB")


if __name__ == "__main__":
    sys.exit(main())
