"""The design's import example, with its URIs adapted to a local lakeFS (`make examples`).

Objects already in the object store are imported without copying them: lakeFS records them in
one commit. Locally the "object store" is a directory lakeFS may import from
(LAKEFS_EXAMPLE_IMPORT_DIR, set by `python -m lakefs.testing exec`).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import lakefs


def main() -> int:
    source = os.environ.get("LAKEFS_EXAMPLE_IMPORT_DIR")
    if not source:
        print("run it through `make examples` (it needs a directory lakeFS may import from)")
        return 2
    bucket = Path(source) / f"bucket-{secrets.token_hex(3)}"
    for i in range(20):
        path = bucket / "path" / f"part-{i:02d}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"id,value\n{i},{i * i}\n")
    uri = f"local://{bucket}/path/"  # the design's 's3://bucket/path'

    name = f"example-{secrets.token_hex(3)}"
    lakefs.repository(name).get_or_create(storage_namespace=f"local://{name}")

    # --- the design's example ---
    main = lakefs.repository(name).branch("main")
    task = main.import_from(uri, destination="some/path/", commit_message="imported stuff!")
    task.start()  # will not block, run the import API
    result = task.wait()  # block, polling in the background
    print(f"imported {result.ingested_objects} objects in commit {result.commit.id[:12]}")

    # or just run(), same as start() & wait()
    result = main.import_from(
        object_store_uri=uri, destination="datasets/", commit_message="sync datasets"
    ).run()
    # ---

    print(f"synced {result.ingested_objects} objects; datasets/ holds:")
    for item in main.list_objects(prefix="datasets/", max_amount=3):
        print(f"  {item.path}")
    assert main.download("datasets/part-03.csv") == b"id,value\n3,9\n"
    return 0


if __name__ == "__main__":
    sys.exit(main())
