"""Quickstart: create a repository, upload, commit, list and read back.

Run it with `make demo` (a local lakeFS is started for it unless LAKECTL_* name a server).
It reads the server and credentials from LAKECTL_SERVER_ENDPOINT_URL,
LAKECTL_CREDENTIALS_ACCESS_KEY_ID and LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY. On a server whose
blockstore is not local, set QUICKSTART_STORAGE_NAMESPACE (e.g. s3://bucket/prefix).

This first version talks to lakeFS through the raw `lakefs_sdk`; it is rewritten in the SDK's own
resource API once that exists.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from pathlib import Path

import lakefs_sdk


def main() -> int:
    endpoint = os.environ["LAKECTL_SERVER_ENDPOINT_URL"].rstrip("/")
    if not endpoint.endswith("/api/v1"):
        endpoint += "/api/v1"
    client = lakefs_sdk.ApiClient(
        lakefs_sdk.Configuration(
            host=endpoint,
            username=os.environ["LAKECTL_CREDENTIALS_ACCESS_KEY_ID"],
            password=os.environ["LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY"],
        )
    )
    config = lakefs_sdk.ConfigApi(client).get_config()
    print(f"lakeFS {config.version_config.version}, {config.storage_config.blockstore_type} store")

    name = f"quickstart-{secrets.token_hex(4)}"
    namespace = os.environ.get("QUICKSTART_STORAGE_NAMESPACE")
    if namespace is None:
        if config.storage_config.blockstore_type != "local":
            print("set QUICKSTART_STORAGE_NAMESPACE for this server's blockstore", file=sys.stderr)
            return 2
        namespace = f"local://{name}"
    else:
        namespace = f"{namespace.rstrip('/')}/{name}"

    lakefs_sdk.RepositoriesApi(client).create_repository(
        lakefs_sdk.RepositoryCreation(name=name, storage_namespace=namespace, default_branch="main")
    )
    print(f"created repository {name} at {namespace}")

    objects = lakefs_sdk.ObjectsApi(client)
    with tempfile.TemporaryDirectory() as tmp:
        for path, text in [("datasets/a.csv", "id,v\n1,a\n"), ("datasets/b.csv", "id,v\n2,b\n")]:
            local = Path(tmp) / Path(path).name
            local.write_text(text)
            objects.upload_object(name, "main", path, content=str(local))
            print(f"uploaded {path}")

    commit = lakefs_sdk.CommitsApi(client).commit(
        name, "main", lakefs_sdk.CommitCreation(message="add datasets")
    )
    print(f"committed {commit.id[:12]}: {commit.message}")

    for item in objects.list_objects(name, "main", prefix="datasets/").results:
        print(f"  {item.path}  {item.size_bytes} bytes")
    data = bytes(objects.get_object(name, commit.id, "datasets/a.csv"))
    assert data == b"id,v\n1,a\n", data
    print(f"read back datasets/a.csv at {commit.id[:12]}: {data!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
