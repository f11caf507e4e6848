"""``python -m lakefs.testing [local|s3] [--tls] [--port N]``: run a local lakeFS in the foreground
(``make server``; ``--tls``, ``make server TLS=1``, serves it and the store over https with CAs
made for the run, and prints the ``ssl_ca_cert`` to give).

``python -m lakefs.testing exec -- CMD ...`` starts the local configuration, runs CMD with the
``LAKECTL_*`` variables pointing at it, stops the server and exits with CMD's code (``make demo``).

Other commands: ``build`` builds (or finds) the server binary and gofakes3's, and prints their
paths; ``module``
rewrites the wrapper Go module for the pinned lakeFS version; ``spec`` prints the path of the pinned
version's OpenAPI document.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading

from lakefs.testing._build import (
    LakeFSBuildError,
    ensure_binary,
    ensure_gofakes3,
    module_dir,
    write_module,
)
from lakefs.testing._server import LocalLakeFS, ServerStartError


def _serve(blockstore: str, tls: bool, port: int | None) -> None:
    """Run one configuration until SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with LocalLakeFS("s3" if blockstore == "s3" else "local", tls=tls, port=port) as server:
        print(f"lakeFS {server.blockstore} is running at {server.endpoint}")
        print(f"  access key id:     {server.access_key_id}")
        print(f"  secret access key: {server.secret_access_key}")
        if server.ca_cert is not None:
            print(f"  ssl_ca_cert:       {server.ca_cert}")
            print(f"  lakefs.Client(host='{server.endpoint}', ssl_ca_cert='{server.ca_cert}', ...)")
        if server.blockstore == "local":
            print(f"  imports allowed from local://{server.import_dir}")
        else:
            print(f"  object store (gofakes3, path-style, any keys): {server.s3_endpoint}")
        print("Point a client at it with:")
        for key, value in server.lakectl_env().items():
            print(f"  export {key}='{value}'")
        print("Press Ctrl-C to stop.", flush=True)
        stop.wait()
        print("stopping ...")


def _exec(cmd: list[str]) -> int:
    if not cmd:
        raise SystemExit("exec needs a command: python -m lakefs.testing exec -- CMD ...")
    with LocalLakeFS("local") as server:
        print(f"started lakeFS at {server.endpoint} for: {' '.join(cmd)}", flush=True)
        env = {**os.environ, **server.lakectl_env(), **server.example_env()}
        return subprocess.call(cmd, env=env)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m lakefs.testing", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="local",
        choices=["local", "s3", "exec", "build", "module", "spec"],
    )
    parser.add_argument(
        "--tls", action="store_true", help="serve lakeFS (and the S3 store) over https"
    )
    parser.add_argument("--port", type=int, help="lakeFS's port (default: a free one)")
    argv = list(sys.argv[1:] if argv is None else argv)
    # exec's command is everything after it (after an optional "--"), options included.
    at = argv.index("exec") + 1 if "exec" in argv else len(argv)
    args = parser.parse_args(argv[:at])
    args.cmd = argv[at:]
    try:
        if args.command == "exec":
            return _exec(args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd)
        if args.command == "build":
            print(ensure_binary())
            print(ensure_gofakes3())
        elif args.command == "module":
            write_module()
        elif args.command == "spec":
            print(module_dir() / "api" / "swagger.yml")
        else:
            _serve(args.command, args.tls, args.port)
    except (LakeFSBuildError, ServerStartError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
