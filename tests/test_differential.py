"""The differential check: on one seeded repository with more than two pages of objects, the SDK's
listings, diffs and logs equal what raw ``lakefs_sdk`` returns."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import lakefs_sdk
import pytest

import lakefs
from lakefs import Client
from tests.conftest import Repo, Server

pytestmark = pytest.mark.server("local")

OBJECTS = 2_150  # three pages of 1,000


def _raw_pages(fetch: Callable[[str], Any]) -> Iterator[Any]:
    after = ""
    while True:
        page = fetch(after)
        yield from page.results
        if not page.pagination.has_more:
            return
        after = page.pagination.next_offset


def _seed(sdk: lakefs_sdk.ApiClient, repo: Repo, server: Server, live: bool) -> None:
    """Import OBJECTS small files in one commit (fast, and a small cassette)."""
    source = server.import_dir / repo.id
    if live:
        for i in range(OBJECTS):
            path = source / f"d{i % 7}" / f"f{i:05d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(str(i))
    imports = lakefs_sdk.ImportApi(sdk)
    started = imports.import_start(
        repo.id,
        "main",
        lakefs_sdk.ImportCreation(
            paths=[
                lakefs_sdk.ImportLocation(
                    type="common_prefix", path=f"local://{source}/", destination=""
                )
            ],
            commit=lakefs_sdk.CommitCreation(message="seed"),
        ),
    )
    while not imports.import_status(repo.id, "main", started.id).completed:
        time.sleep(0.2 if live else 0)


def test_listings_diffs_and_logs_equal_raw_sdk(
    sdk: lakefs_sdk.ApiClient, client: Client, repo: Repo, server: Server, lakefs_mode: str
) -> None:
    _seed(sdk, repo, server, lakefs_mode != "replay")
    raw_objects = lakefs_sdk.ObjectsApi(sdk)
    main = lakefs.repository(repo.id, client=client).branch("main")

    ours = [(o.path, o.size_bytes(), o.checksum()) for o in main.list_objects(delimiter="")]
    raw = [
        (o.path, o.size_bytes, o.checksum)
        for o in _raw_pages(
            lambda after: raw_objects.list_objects(repo.id, "main", after=after, amount=1000)
        )
    ]
    assert len(ours) == OBJECTS
    assert ours == raw

    top = [e.path for e in main.list_objects(prefix="d3/", delimiter="/", max_amount=1500)]
    raw_top = [
        o.path
        for o in _raw_pages(
            lambda after: raw_objects.list_objects(
                repo.id, "main", prefix="d3/", delimiter="/", after=after, amount=1000
            )
        )
    ]
    assert top == raw_top[:1500]

    empty = main.log().to_list()[-1]  # the repository's first commit, before the import
    changes = [(c.type, c.path, c.size_bytes) for c in empty.diff(main, delimiter="")]
    refs = lakefs_sdk.RefsApi(sdk)
    raw_changes = [
        (d.type, d.path, d.size_bytes)
        for d in _raw_pages(
            lambda after: refs.diff_refs(
                repo.id, empty.id, "main", after=after, amount=1000, type="two_dot", delimiter=""
            )
        )
    ]
    assert len(changes) == OBJECTS
    assert changes == raw_changes

    log = [(c.id, c.commit_message()) for c in main.log()]
    raw_log = [
        (c.id, c.message)
        for c in _raw_pages(lambda after: refs.log_commits(repo.id, "main", after=after))
    ]
    assert log == raw_log
    assert [m for _, m in log] == ["seed", "Repository created"]
