"""Imports, for real: a local directory (local configuration) and a bucket prefix (s3)."""

from __future__ import annotations

from datetime import timedelta

import pytest

import lakefs
from lakefs import (
    Branch,
    Client,
    ImportCancelledError,
    ImportFailedError,
    ImportRefusedError,
    ImportResult,
    ImportTimeoutError,
    Reference,
    ValidationError,
)
from tests.conftest import Repo, Server

FILES = {"a.txt": b"alpha", "sub/b.csv": b"x,y\n1,2\n", "sub/deep/c.bin": bytes(range(200))}


@pytest.fixture
def main(repo: Repo, client: Client) -> Branch:
    return lakefs.repository(repo.id, client=client).branch("main")


def _poll(lakefs_mode: str) -> float:
    return 0.1 if lakefs_mode != "replay" else 0


def _write_local(server: Server, name: str, files: dict[str, bytes], live: bool) -> str:
    root = server.import_dir / name
    if live:  # only a real server reads the files
        for rel, data in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
    return f"local://{root}/"


@pytest.mark.server("local")
def test_import_a_local_directory(
    main: Branch, server: Server, repo: Repo, lakefs_mode: str
) -> None:
    live = lakefs_mode != "replay"
    uri = _write_local(server, repo.id, FILES, live)
    single = _write_local(server, repo.id + "-one", {"one.txt": b"single"}, live)
    progress: list[int] = []
    manager = main.import_from(uri, "imported/", "import data", metadata={"by": "test"})
    assert manager.object(single + "one.txt", "single/one.txt") is manager  # chainable
    result = manager.run(poll_interval=_poll(lakefs_mode), on_progress=progress.append)
    assert isinstance(result, ImportResult)
    assert isinstance(result.commit, Reference)
    assert result.ingested_objects == len(FILES) + 1
    assert progress[-1] == len(FILES) + 1
    assert result.commit.commit_message() == "import data"
    assert result.commit.metadata()["by"] == "test"
    for rel, data in FILES.items():
        assert main.download(f"imported/{rel}") == data
    assert main.download("single/one.txt") == b"single"
    with pytest.raises(ValidationError, match="started already"):
        manager.start()


@pytest.mark.server("s3")
def test_import_a_bucket_prefix(
    main: Branch, server: Server, run_id: str, repo: Repo, lakefs_mode: str
) -> None:
    prefix = f"import-src/run-{run_id}/{repo.id}"
    http = server.http()
    for rel, data in FILES.items():  # the test store checks no signatures
        put = http.request(
            "PUT", f"{server.s3_endpoint}/{server.s3_bucket}/{prefix}/{rel}", body=data
        )
        assert put.status == 200
    uri = f"s3://{server.s3_bucket}/{prefix}/"
    result = main.import_from(uri, "from-s3/", "import from s3").run(
        poll_interval=_poll(lakefs_mode)
    )
    assert result.ingested_objects == len(FILES)
    for rel, data in FILES.items():
        assert main.download(f"from-s3/{rel}") == data
        assert result.commit.download(f"from-s3/{rel}") == data


@pytest.mark.server("local")
def test_a_source_outside_the_allowed_prefix_is_refused(main: Branch, lakefs_mode: str) -> None:
    manager = main.import_from("local:///etc/", "etc/", "nope")
    with pytest.raises(ImportRefusedError) as info:
        manager.run(poll_interval=_poll(lakefs_mode))
    assert info.value.import_id == manager.import_id
    assert "forbidden" in str(info.value)


@pytest.mark.server("local")
def test_a_failed_import_carries_its_id_and_message(
    main: Branch, server: Server, lakefs_mode: str
) -> None:
    manager = main.import_from(f"local://{server.import_dir}/missing/", "m/", "missing")
    import_id = manager.start()
    with pytest.raises(ImportFailedError) as info:
        manager.wait(poll_interval=_poll(lakefs_mode))
    assert info.value.import_id == import_id
    assert "no such file or directory" in str(info.value)


@pytest.mark.server("local")
def test_cancel_and_timeout(main: Branch, server: Server, repo: Repo, lakefs_mode: str) -> None:
    many = {f"d{i % 10}/f{i}.txt": str(i).encode() for i in range(3000)}
    uri = _write_local(server, repo.id, many, lakefs_mode != "replay")
    waiting = main.import_from(uri, "many/", "many")
    waiting.start()
    with pytest.raises(ImportTimeoutError) as timed_out:
        waiting.wait(poll_interval=0, timeout=timedelta(0))
    assert timed_out.value.import_id == waiting.import_id
    waiting.cancel()
    with pytest.raises(ImportCancelledError) as cancelled:
        waiting.wait(poll_interval=_poll(lakefs_mode), timeout=30)
    assert "Canceled" in str(cancelled.value)


@pytest.mark.server("local")
def test_bad_arguments_fail_before_any_request(main: Branch, sent: object) -> None:
    before = sent()  # type: ignore[operator]
    with pytest.raises(ValidationError):
        main.import_from("no-scheme/path", "x/", "m")
    with pytest.raises(ValidationError):
        main.import_from("local:///x/", "x/", "")
    with pytest.raises(ValidationError, match="has not started"):
        main.import_from("local:///x/", "x/", "m").status()
    with pytest.raises(ValidationError):
        main.import_from("local:///x/", "x/", "m").wait(poll_interval=-1)
    assert sent() == before  # type: ignore[operator]


@pytest.mark.server("local")
def test_a_server_without_import_support_is_a_clear_error(client: Client, sent: object) -> None:
    from lakefs._server_configuration import _Snapshot, _Storage

    storage = _Storage("mem", "mem://x/", None, False, False, False)
    client.cached("server-configuration", lambda: _Snapshot("1.86.0", storage))
    main = lakefs.repository("no-imports", client=client).branch("main")
    with pytest.raises(lakefs.ImportNotSupportedError, match="does not support imports"):
        main.import_from("mem://bucket/x/", "x/", "m").start()
    assert sent() in (0, None)  # type: ignore[operator]
