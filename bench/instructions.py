"""``make bench-instructions``: the CPU one small call costs, counted in instructions.

CPU seconds of a few thousand requests move by 20% from one run to the next on a busy machine;
instruction counts do not. Each contender runs ``N`` calls in a fresh process under valgrind's
callgrind, once with ``N = 100`` and once with ``N = 300``: the difference over 200 is what one call
costs, start-up and imports cancelled out. Contenders: raw urllib3 (as ``make bench`` runs it,
and with the timeouts and ``retries=False`` an SDK sets) and this SDK, for a stat and for a GET of
a whole small object (raw sends the same ranged GET ours does, and a plain one); and for each file
of a folder download (``download_folder`` of ``N`` files against ``make bench``'s raw rows: the
plain one, and the one writing as ours does). Callgrind counts the process's own instructions, not
the kernel's: a file's system calls are not in these figures.

Needs valgrind (``apt-get install valgrind``); takes about two minutes. A benchmark, not a test.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any
from urllib.parse import quote

CALLS = (100, 300)
PATHS = [f"d/f{i}" for i in range(10)]
SIZE = 100
CONTENDERS = {
    "stats": ("raw", "raw_timeouts", "ours"),
    "small_gets": ("raw", "raw_ranged", "ours"),
    "folder_files": ("raw", "raw_safe", "ours"),
}
FILE_SIZE = 4096


def _folder_child(contender: str, calls: int, ctx: dict[str, Any]) -> None:
    """Download a folder of one file (warming up), then one of ``calls`` files."""
    out = ctx["out_dir"]
    if contender.startswith("raw"):
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "contenders"))
        import raw  # type: ignore[import-not-found]

        state = raw.setup(ctx)
        run = raw.folder_download_safe if contender == "raw_safe" else raw.folder_download
        for n in (1, calls):
            run(state, {**ctx, "tree_prefix": f"tree{n}/", "out_dir": f"{out}/{n}"})
        return
    import lakefs

    client = lakefs.Client(
        host=ctx["endpoint"], access_key_id=ctx["key"], secret_access_key=ctx["secret"]
    )
    branch = lakefs.repository(ctx["repo"], client=client).branch("main")
    for n in (1, calls):
        result = branch.download_folder(f"tree{n}/", f"{out}/{n}", progress=False)
        assert result.sent == n, result


def _child(workload: str, contender: str, calls: int, ctx: dict[str, Any]) -> None:
    """Run ``calls`` calls (after one that warms up): what callgrind counts."""
    if workload == "folder_files":
        _folder_child(contender, calls, ctx)
        return
    import urllib3

    base = f"{ctx['endpoint']}/api/v1/repositories/{ctx['repo']}/refs/main"
    auth = base64.b64encode(f"{ctx['key']}:{ctx['secret']}".encode()).decode()
    headers = {"Authorization": f"Basic {auth}"}
    if contender.startswith("raw"):
        options: dict[str, Any] = {"maxsize": 8}
        if contender == "raw_timeouts":
            options.update(timeout=urllib3.Timeout(connect=10, read=60), retries=False)
        http = urllib3.PoolManager(**options)
        if contender == "raw_ranged":
            headers["Range"] = "bytes=0-262143"  # what ours asks for first
        route = "objects/stat" if workload == "stats" else "objects"

        def one(i: int) -> None:
            url = f"{base}/{route}?path={quote(PATHS[i % 10], safe='')}"
            data = http.request("GET", url, headers=headers).data
            size = json.loads(data)["size_bytes"] if workload == "stats" else len(data)
            assert size == SIZE, size

    else:
        import lakefs

        client = lakefs.Client(
            host=ctx["endpoint"], access_key_id=ctx["key"], secret_access_key=ctx["secret"]
        )
        branch = lakefs.repository(ctx["repo"], client=client).branch("main")

        def one(i: int) -> None:
            if workload == "stats":
                size = branch.stat_object(PATHS[i % 10]).size_bytes()
            else:
                with branch.open(PATHS[i % 10], "rb") as f:
                    size = len(f.read())
            assert size == SIZE, size

    for i in range(calls + 1):
        one(i)


def _instructions(workload: str, contender: str, calls: int, ctx: dict[str, Any]) -> int:
    proc = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            workload,
            contender,
            str(calls),
            json.dumps(ctx),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=True,
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    assert found, proc.stderr[-2000:]
    return int(found.group(1))


def _counted(workload: str, contender: str, calls: int, ctx: dict[str, Any]) -> int:
    """:func:`_instructions`, then what the run wrote removed (a folder download writes)."""
    count = _instructions(workload, contender, calls, ctx)
    for entry in os.listdir(ctx["out_dir"]):
        shutil.rmtree(os.path.join(ctx["out_dir"], entry))
    return count


def main() -> int:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)")
        return 2
    import lakefs
    from lakefs.testing import LocalLakeFS

    with LocalLakeFS("local") as server:
        client = lakefs.Client(**server.client_options())
        repo = lakefs.repository("instructions", client=client)
        branch = repo.create(server.storage_namespace("instructions")).branch("main")
        for path in PATHS:
            branch.upload(b"x" * SIZE, path)
        for n in (1, *CALLS):  # the folders of folder_files: 10 directories of files
            for i in range(n):
                branch.upload(os.urandom(FILE_SIZE), f"tree{n}/d{i % 10}/f{i:04d}.bin")
        scratch = tempfile.mkdtemp(prefix="lakefs-instructions-")
        ctx = {
            "endpoint": server.endpoint,
            "key": server.access_key_id,
            "secret": server.secret_access_key,
            "repo": "instructions",
            "out_dir": scratch,
        }
        print(
            f"instructions per call, (Ir at {CALLS[1]} - Ir at {CALLS[0]}) / {CALLS[1] - CALLS[0]}"
        )
        try:
            for workload, contenders in CONTENDERS.items():
                per_call = {}
                for contender in contenders:
                    low, high = (_counted(workload, contender, n, ctx) for n in CALLS)
                    per_call[contender] = (high - low) / (CALLS[1] - CALLS[0])
                for contender, count in per_call.items():
                    ratio = count / per_call["raw"]
                    print(f"  {workload:12} {contender:13} {count / 1000:8.1f}k  {ratio:5.3f}x raw")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5]))
    else:
        sys.exit(main())
