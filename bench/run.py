"""``make bench``: this SDK, the official ``lakefs`` package and raw HTTP, side by side.

One run starts a fresh local lakeFS (and one on gofakes3, a Go S3 store, for the pre-signed
rows), seeds the data once, then runs every workload for every contender, each in a fresh subprocess
(``bench/worker.py``), ``--repeat`` times. It prints wall time, requests sent and peak RSS growth,
with ratios raw time / contender time (1.0 = as fast as raw HTTP). A benchmark, not a test:
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
from pathlib import Path
from typing import Any

import lakefs
from lakefs.testing import LocalLakeFS

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "bench" / "worker.py"
OFFICIAL_PYTHON = Path(
    os.environ.get(
        "LAKEFS_BENCH_OFFICIAL_PYTHON", ROOT / ".cache" / "bench-official" / "bin" / "python"
    )
)
CONTENDERS = ("raw", "ours", "official")
MiB = 1 << 20


def _client(server: LocalLakeFS) -> lakefs.Client:
    return lakefs.Client(
        host=server.endpoint,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
    )


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


def _repository(server: LocalLakeFS, name: str) -> lakefs.Branch:
    repo = lakefs.repository(name, client=_client(server))
    namespace = server.storage_namespace(f"bench-{secrets.token_hex(4)}/{name}")
    return repo.create(namespace).branch("main")


def _run(contender: str, workload: str, ctx: dict[str, Any]) -> dict[str, Any]:
    python = str(OFFICIAL_PYTHON) if contender == "official" else sys.executable
    os.sync()  # the previous upload's dirty pages would slow down whoever runs next
    time.sleep(0.5)
    env = {**os.environ, "PYTHONPATH": ""}
    proc = subprocess.run(
        [python, str(WORKER), contender, workload, json.dumps(ctx)],
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
    parser.add_argument("--only", nargs="*", help="run only these workloads")
    args = parser.parse_args(argv)
    if not OFFICIAL_PYTHON.exists():
        print(f"no official package environment at {OFFICIAL_PYTHON} (make bench creates it)")
        return 2

    scratch = Path(tempfile.mkdtemp(prefix="lakefs-bench-"))
    try:
        with LocalLakeFS("local") as local, LocalLakeFS("s3") as s3:
            workloads_wanted = set(args.only or [])
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
            s3_branch = _repository(s3, "bench-s3")
            s3_branch.upload_file(pre_file, "big.bin")
            folder = scratch / "folder"
            folder_files = 0
            if not workloads_wanted or workloads_wanted & {"folder_upload", "folder_download"}:
                folder_files = _write_tree(
                    folder, args.folder_small, args.folder_big, args.folder_big_mib
                )
                main_branch.upload_folder(folder, "tree/", progress=False).raise_for_failures()
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
            )
            presigned = ctx(
                s3,
                "bench-s3",
                big="big.bin",
                local_file=str(pre_file),
                file_size=args.presigned_mib * MiB,
                pre_sign=True,
            )
            workloads: list[tuple[str, str, dict[str, Any]]] = [
                (f"upload {args.big_mib} MiB file", "upload_file", base),
                (f"download {args.big_mib} MiB", "download", base),
                (f"CSV lines ({args.csv_mib} MiB)", "csv_lines", base),
                ("1,000 random 4 KiB reads", "random_reads", base),
                ("1,000 small uploads", "small_uploads", base),
                (f"list {args.objects:,} objects", "listing", base),
                ("1,000 stats", "stats", base),
                (f"pre-signed upload {args.presigned_mib} MiB", "presigned_upload", presigned),
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
            ]
            if args.only:
                workloads = [w for w in workloads if w[1] in args.only]
            results: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for run in range(args.repeat):
                # Alternate the order between runs, so that no contender always runs right
                # after another one's writes.
                order = CONTENDERS if run % 2 == 0 else tuple(reversed(CONTENDERS))
                for title, workload, wctx in workloads:
                    for contender in order:
                        extra = {
                            "target": f"uploads/{contender}-{run}.bin",
                            "small_prefix": f"small/{contender}-{run}",
                            "folder_prefix": f"folders/{contender}-{run}/",
                            "out_file": str(scratch / "out.bin"),
                            "out_dir": str(scratch / "out"),
                        }
                        result = _run(contender, workload, {**wctx, **extra})
                        (scratch / "out.bin").unlink(missing_ok=True)
                        shutil.rmtree(scratch / "out", ignore_errors=True)
                        results.setdefault((title, contender), []).append(result)
                        shown = result.get("error") or f"{result['seconds']:.2f} s"
                        print(f"  run {run + 1}: {title:32} {contender:9} {shown}", flush=True)
            _report(workloads, results, args.repeat)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def _report(
    workloads: list[tuple[str, str, dict[str, Any]]],
    results: dict[tuple[str, str], list[dict[str, Any]]],
    repeat: int,
) -> None:
    print()
    print(
        f"Median of {repeat} runs (spread min-max); ratio = raw time / contender time; "
        "best = raw's best / the contender's best."
    )
    header = f"| {'workload':32} | {'raw s':>8} |"
    for name in ("ours", "official"):
        header += (
            f" {name + ' s':>8} | {'ratio':>17} | {'best':>5} | {'requests':>8} | {'RSS MiB':>7} |"
        )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for title, _, _ in workloads:
        raw = [r["seconds"] for r in results[(title, "raw")] if "seconds" in r]
        raw_s = statistics.median(raw) if raw else float("nan")
        line = f"| {title:32} | {raw_s:8.2f} |"
        for name in ("ours", "official"):
            runs = [r for r in results[(title, name)] if "seconds" in r]
            if not runs:
                line += f" {'error':>8} | {'':>17} | {'':>5} | {'':>8} | {'':>7} |"
                continue
            secs = [r["seconds"] for r in runs]
            ratios = sorted(raw_s / s for s in secs)
            ratio = f"{raw_s / statistics.median(secs):.2f}x"
            spread = f"{ratio} ({ratios[0]:.2f}-{ratios[-1]:.2f})" if len(ratios) > 1 else ratio
            rss = max(r["rss_growth"] for r in runs) / MiB
            best = min(raw) / min(secs) if raw else float("nan")
            line += (
                f" {statistics.median(secs):8.2f} | {spread:>17} | {best:5.2f} |"
                f" {runs[0]['requests']:8d} | {rss:7.0f} |"
            )
        print(line)
    sent = [
        (title, name, r["bytes"])
        for title, _, _ in workloads
        for name in CONTENDERS
        for r in results[(title, name)][:1]
        if "bytes" in r
    ]
    if sent:
        print()
        print("Object bytes sent (first run):")
        for title, name, count in sent:
            print(f"  {title.strip():32} {name:9} {count / MiB:10.1f} MiB")
    for (title, name), runs in results.items():
        for r in runs:
            if "error" in r:
                print(f"error in {title} / {name}:\n{r['error']}")


if __name__ == "__main__":
    sys.exit(main())
