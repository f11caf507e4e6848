"""The design's transaction example, run against a local lakeFS (`make examples`)."""

from __future__ import annotations

import secrets
import sys

import lakefs


def main() -> int:
    name = f"example-{secrets.token_hex(3)}"
    repo = lakefs.repository(name).get_or_create(storage_namespace=f"local://{name}")
    repo.branch("dev").create("main")
    repo.branch("dev").upload(b"existing data", "data.txt")
    repo.branch("dev").commit_changes("setup")

    # --- the design's example ---
    dev = lakefs.repository(name).branch("dev")

    # Will create an ephemeral branch from `dev` (e.g. `dev-txn-343829f89`)
    # uploads and downloads will apply to that ephemeral branch
    # on success, commit with provided message, merge and delete ephemeral branch
    # on exception or failure, leave branch as is and report it in a wrapping exception
    with dev.transaction(commit_message="do things") as tx:
        tx.upload(b"some data", "foo/data.bin")
        print("read inside the transaction:", tx.download("data.txt"))
        # or with I/O wrapper
        with tx.open("foo/bar.txt", "w") as f:
            f.write("hello world")
    # ---

    print("after the transaction dev has:", [o.path for o in dev.list_objects(delimiter="")])
    print("dev log:", [c.commit_message() for c in dev.log(max_amount=2)])
    assert dev.download("foo/bar.txt") == b"hello world"

    try:
        with dev.transaction(commit_message="fails") as tx:
            tx.upload(b"never merged", "nope.txt")
            raise RuntimeError("something went wrong")
    except lakefs.TransactionError as err:
        print(f"failed as expected, {err.branch_id} kept for troubleshooting")
        lakefs.repository(name).branch(err.branch_id).delete()

    # --- lakefs://'s two shapes (the README's "Coming from lakefs-spec") ---
    from lakefs.fs import LakeFSFileSystem

    fs = LakeFSFileSystem()
    with fs.transaction("add two files"):  # ours: writes to dev's paths, merged at the end
        fs.pipe_file(f"{name}/dev/a.csv", b"x\n1\n")
        fs.pipe_file(f"{name}/dev/b.csv", b"x\n2\n")
    with fs.transaction(name, "dev") as tx:  # lakefs-spec's: write to tx.branch, commit, tag
        fs.pipe_file(f"{name}/{tx.branch.id}/c.csv", b"x\n3\n")
        commit = tx.commit("add c.csv")
        tx.tag(commit, "v1")
    print("dev now has:", sorted(fs.ls(f"{name}/dev", detail=False)))
    assert fs.cat_file(f"{name}/v1/c.csv") == b"x\n3\n"
    return 0


if __name__ == "__main__":
    sys.exit(main())
