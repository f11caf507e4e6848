"""Runs one workload of one contender in a fresh process and prints its measurements as JSON.

Usage: python bench/worker.py CONTENDER WORKLOAD CONTEXT_JSON. It imports only the standard
library and urllib3 itself, so that it runs in this project's environment and in the official
package's and lakefs-spec's (both import the other ``lakefs`` package). Requests are counted at
urllib3's connection pool (every contender sends through urllib3), peak RSS growth from ``VmHWM``.
"""

from __future__ import annotations

import importlib.util
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import urllib3.connectionpool


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        line = next(ln for ln in f if ln.startswith(field + ":"))
    return int(line.split()[1])


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets this process's peak RSS (VmHWM) to its current RSS.
    # (ru_maxrss would not do: after fork and exec it keeps the parent's peak.)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _cpu() -> float:
    """CPU seconds of this process, all threads, user and system (and of the children it
    waited for: the import row runs one)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    contender, workload, raw_ctx = sys.argv[1], sys.argv[2], sys.argv[3]
    ctx: dict[str, Any] = json.loads(raw_ctx)
    ctx["workload"] = workload  # setup may prepare for it (imports) outside the timing
    path = Path(__file__).with_name("contenders") / f"{contender}.py"
    sys.path.append(str(path.parent))  # _fsspec_rows.py; last: lakefs_spec.py hides no package
    spec = importlib.util.spec_from_file_location(f"contender_{contender}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    requests = 0
    pool = urllib3.connectionpool.HTTPConnectionPool
    original = pool._make_request

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal requests
        requests += 1
        return original(self, *args, **kwargs)

    pool._make_request = counted  # type: ignore[method-assign]
    run = getattr(module, workload, None)
    if run is None:  # a contender without this workload (the official package has no such API)
        print(json.dumps({"absent": True}))
        return
    state = module.setup(ctx)  # client creation etc.: not measured
    requests = 0
    _reset_peak()
    before = _status_kib("VmRSS") * 1024
    cpu_before = _cpu()
    start = time.perf_counter()
    extra = run(state, ctx)  # a dict of more figures (bytes sent), or None
    seconds = time.perf_counter() - start
    cpu = _cpu() - cpu_before
    peak = _status_kib("VmHWM") * 1024
    result = {
        "seconds": seconds,
        "cpu": cpu,
        "requests": requests,
        "rss_growth": max(peak - before, 0),
    }
    print(json.dumps({**(extra or {}), **result}))


if __name__ == "__main__":
    main()
