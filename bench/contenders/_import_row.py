"""The ``import`` row, shared by the SDK contenders: a fresh interpreter imports the package, and
says what that cost it (CPU seconds, RSS growth); the worker's CPU counts the child's too."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

# VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's (it survives fork and exec).
_CHILD = """
import json, time
def kib(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))
rss, cpu = kib("VmRSS"), time.process_time()
import {module}
print(json.dumps({{"import_cpu": time.process_time() - cpu, "import_kib": kib("VmHWM") - rss}}))
"""


def measure(module: str) -> dict[str, Any]:
    """``import module`` in a fresh interpreter (this one's: the contender's environment)."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result
