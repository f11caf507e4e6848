"""Quickstart: the design's examples, end to end, in the SDK's own API.

Run it with `make demo` (a local lakeFS is started for it unless LAKECTL_* name a server). The
default client comes from LAKECTL_SERVER_ENDPOINT_URL, LAKECTL_CREDENTIALS_ACCESS_KEY_ID and
LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY (or ~/.lakectl.yaml). On a server whose blockstore is not
local, set QUICKSTART_STORAGE_NAMESPACE (e.g. s3://bucket/prefix).
"""

from __future__ import annotations

import os
import secrets
import sys

import lakefs


def storage_namespace(name: str) -> str | None:
    prefix = os.environ.get("QUICKSTART_STORAGE_NAMESPACE")
    if prefix:
        return f"{prefix.rstrip('/')}/{name}"
    storage = lakefs.ServerConfiguration().storage_config()
    return f"local://{name}" if storage.blockstore_type() == "local" else None


def main() -> int:
    server = lakefs.ServerConfiguration()
    print(f"lakeFS {server.version()}, {server.storage_config().blockstore_type()} blockstore")

    name = f"quickstart-{secrets.token_hex(4)}"
    namespace = storage_namespace(name)
    if namespace is None:
        print("set QUICKSTART_STORAGE_NAMESPACE for this server's blockstore", file=sys.stderr)
        return 2

    # Creating repositories: a small helper for succinct examples.
    repo = lakefs.repository(name).get_or_create(storage_namespace=namespace)
    main_branch = repo.branch("main")
    print(f"repository {repo.id} at {namespace}")

    # Upload, list with a prefix, download.
    main_branch.upload(b"PAR1 not really parquet", "foo/1.parquet")
    main_branch.upload("id,v\n1,a\n", "foo/bar/notes.csv")
    for item in main_branch.list_objects(prefix="foo/"):
        if item.path.endswith(".parquet"):
            print(f"  found {item.path}")
    data: bytes = main_branch.download("foo/1.parquet")
    main_branch.upload(data, "foo/bar/baz.parquet")

    commit = main_branch.commit_changes("add foo", metadata={"source": "quickstart"})
    print(f"committed {commit.id[:12]}: {commit.commit_message()!r} {commit.metadata()}")

    # Commits are immutable: a commit reference reads but has no upload().
    assert lakefs.repository(name).commit(commit.id).download("foo/1.parquet") == data
    assert not hasattr(repo.commit(commit.id), "upload")

    # Branch, change, diff, merge, tag.
    dev = repo.branch("dev").create(main_branch)
    dev.upload(b"new data", "foo/2.parquet")
    dev.delete_objects("foo/bar/notes.csv")
    print("uncommitted on dev:", [(c.type, c.path) for c in dev.list_uncommitted()])
    dev.commit_changes("add 2, drop notes")
    for change in main_branch.diff(dev, delimiter=""):
        print(f"  main -> dev: {change.type} {change.path}")
    merged = dev.merge_into(main_branch, message="merge dev")
    tag = repo.tag("v1").create(merged)
    print(f"merged into main at {merged.id[:12]}, tagged {tag.id}")
    print("log:", [c.commit_message() for c in main_branch.log(max_amount=3)])
    print("branches:", [b.id for b in repo.list_branches()])
    assert tag.download("foo/2.parquet") == b"new data"
    return 0


if __name__ == "__main__":
    sys.exit(main())
