"""``lakefs://`` URLs with nothing imported: fsspec finds this SDK's filesystem by its entry point.

`make wheel-check` runs it in a virtual environment holding only the built wheel, against a
local lakeFS (credentials from LAKECTL_*). The SDK is imported only to create a repository.
"""

from __future__ import annotations

import secrets
import sys

import fsspec


def main() -> int:
    assert "lakefs" not in sys.modules
    filesystem = fsspec.get_filesystem_class("lakefs")
    if filesystem.__module__ != "lakefs.fs":
        print(f"lakefs:// is served by {filesystem.__module__}, not this SDK", file=sys.stderr)
        return 1

    import lakefs  # only to make a repository to write to

    name = f"urls-{secrets.token_hex(4)}"
    lakefs.repository(name).create(storage_namespace=f"local://{name}")
    with fsspec.open(f"lakefs://{name}/main/hello.txt", "wt") as f:
        f.write("hello from lakefs://\n")
    with fsspec.open(f"lakefs://{name}/main/hello.txt", "rt") as f:
        text = f.read()
    if text != "hello from lakefs://\n":
        print(f"read back {text!r}", file=sys.stderr)
        return 1
    print(f"lakefs://{name}/main/hello.txt written and read through fsspec ({filesystem.__name__})")
    lakefs.repository(name).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
