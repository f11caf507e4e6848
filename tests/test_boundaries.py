"""The SDK's edges under hostile answers, hostile inputs and faults, offline through the seam
(``lakefs.testing.mock_client``): everything above the socket runs for real."""

from __future__ import annotations

import http.client
import json
import logging
import os
import pickle
import select
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import urllib3

import lakefs
from lakefs import (
    APIConnectionError,
    APIResponseError,
    APITimeoutError,
    LakeFSError,
    ServerError,
    ValidationError,
)
from lakefs.testing import MockRequest, MockResponse, mock_client, sent_requests

STATS = {
    "path": "a.bin",
    "physical_address": "local://x",
    "checksum": "c",
    "size_bytes": 3,
    "mtime": 1,
    "path_type": "object",
}


def _branch(handler: Callable[[MockRequest], MockResponse], **options: object) -> lakefs.Branch:
    client = mock_client(handler, **options)  # type: ignore[arg-type]
    return lakefs.repository("repo", client=client).branch("main")


def _never(request: MockRequest) -> MockResponse:
    raise AssertionError(f"no request expected, got {request.method} {request.url}")


# -- redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_api_calls_never_follow_a_redirect(status: int) -> None:
    def handler(request: MockRequest) -> MockResponse:
        return MockResponse(status, headers={"Location": "http://elsewhere.example/steal"})

    branch = _branch(handler)
    with pytest.raises(APIResponseError, match="redirect"):
        branch.head()
    with pytest.raises(APIResponseError, match="redirect"):
        branch.commit_changes("a message that must not travel")
    hosts = {r.url.split("/")[2] for r in sent_requests(branch.client)}
    assert hosts == {"lakefs.mock"}  # nothing went to the other host
    assert len(sent_requests(branch.client)) == 2  # and nothing was retried


def test_a_pre_signed_read_follows_one_redirect_without_credentials() -> None:
    data = b"0123456789"
    store = "http://store.example/bucket/key?X-Amz-Signature=sig"

    def handler(request: MockRequest) -> MockResponse:
        if request.url.startswith("http://lakefs.mock"):
            if request.path.endswith("/config"):
                return MockResponse.json({"storage_config": {"pre_sign_support": True}})
            return MockResponse(302, headers={"Location": store})
        assert "Authorization" not in request.headers
        start, end = request.headers["Range"].removeprefix("bytes=").split("-")
        stop = int(end) + 1 if end else len(data)
        body = data[int(start) : stop]
        return MockResponse(206, body, {"Content-Range": f"bytes {start}-{stop - 1}/{len(data)}"})

    branch = _branch(handler)
    with branch.open("a.bin", "rb", pre_signed=True) as f:
        assert f.read() == data


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "ftp://store.example/x", "http://lakefs.mock/again"]
)
def test_a_pre_signed_redirect_elsewhere_is_refused_once(location: str) -> None:
    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/config"):
            return MockResponse.json({"storage_config": {"pre_sign_support": True}})
        return MockResponse(302, headers={"Location": location})

    branch = _branch(handler)
    with pytest.raises(APIResponseError, match="redirect"):
        branch.open("a.bin", "rb", pre_signed=True)
    gets = [r for r in sent_requests(branch.client) if "/objects" in r.path]
    assert len(gets) <= 2  # no retry loop on a redirect that cannot succeed


# -- malformed answers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"not json at all{", "application/json"),
        (b"[]", "application/json"),
        (b"{}", "application/json"),
        (b"<html><body>login</body></html>", "text/html"),
    ],
)
def test_a_malformed_answer_is_an_api_response_error(body: bytes, content_type: str) -> None:
    branch = _branch(lambda r: MockResponse(200, body, {"Content-Type": content_type}))
    with pytest.raises(APIResponseError):
        branch.head()
    with pytest.raises(APIResponseError):
        branch.upload(b"abc", "a.bin")


def test_an_answer_over_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lakefs._transport.MAX_ANSWER_BYTES", 1024)
    huge = {"results": [STATS] * 100, "pagination": {"has_more": False}}
    branch = _branch(lambda r: MockResponse.json(huge))
    with pytest.raises(APIResponseError, match="exceeds"):
        list(branch.list_objects())


# -- connection failures -------------------------------------------------------------------------


def test_a_refused_connection_is_a_connection_error_not_a_timeout() -> None:
    def handler(request: MockRequest) -> MockResponse:
        raise urllib3.exceptions.NewConnectionError(None, "[Errno 111] Connection refused")  # type: ignore[arg-type]

    branch = _branch(handler, retries=2)
    with pytest.raises(APIConnectionError) as info:
        branch.head()
    assert not isinstance(info.value, APITimeoutError)
    assert len(sent_requests(branch.client)) == 3  # refused is worth retrying (a restart)


def test_a_tls_failure_is_not_retried() -> None:
    def handler(request: MockRequest) -> MockResponse:
        raise urllib3.exceptions.SSLError("certificate verify failed")

    branch = _branch(handler, retries=5)
    with pytest.raises(APIConnectionError, match="TLS"):
        branch.head()
    assert len(sent_requests(branch.client)) == 1


def test_no_signature_in_error_texts_or_causes() -> None:
    url = "http://store.example/b/k?X-Amz-Signature=topsecret&X-Amz-Credential=AKIA"

    def handler(request: MockRequest) -> MockResponse:
        raise urllib3.exceptions.ProtocolError(f"Connection aborted while reading {url}")

    client = mock_client(handler, retries=0)
    with pytest.raises(APIConnectionError) as info:
        client.transport.request("GET", url, authenticate=False)
    texts = [str(info.value), str(info.value.__cause__), repr(info.value.__cause__)]
    assert not any("topsecret" in t or "AKIA" in t for t in texts), texts
    assert "X-Amz-Signature=REDACTED" in str(info.value.__cause__)  # the rest of the URL stays


def test_urllib3_debug_lines_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    record = logging.LogRecord(
        "urllib3.connectionpool",
        logging.DEBUG,
        __file__,
        1,
        '%s://%s:%s "%s %s %s" %s %s',
        ("http", "store", 80, "PUT", "/b/k?X-Amz-Signature=topsecret", "HTTP/1.1", 200, 0),
        None,
    )
    logging.getLogger("urllib3.connectionpool").handle(record)
    assert "topsecret" not in record.getMessage()


# -- bodies that cannot be sent twice ------------------------------------------------------------


def test_a_consumed_streamed_body_is_never_sent_again() -> None:
    def handler(request: MockRequest) -> MockResponse:
        return MockResponse(503, b'{"message": "busy"}')

    client = mock_client(handler, retries=3)
    body = iter([b"a" * 10, b"b" * 10])
    with pytest.raises(ServerError, match="cannot be sent again"):
        client.transport.request("POST", "http://lakefs.mock/api/v1/x", body=body)
    assert len(sent_requests(client)) == 1


def test_a_streamed_write_that_meets_a_503_is_sent_again_whole() -> None:
    data = os.urandom(3 << 20)
    posts: list[bytes] = []

    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/config"):
            return MockResponse.json({"storage_config": {"pre_sign_support": False}})
        posts.append(request.body)
        if len(posts) == 1:
            return MockResponse(503, b'{"message": "busy"}')
        return MockResponse.json({**STATS, "size_bytes": len(request.body)}, status=201)

    branch = _branch(handler)
    with branch.open("a.bin", "wb", part_size=1 << 20) as f:
        for i in range(0, len(data), 1 << 19):
            f.write(data[i : i + (1 << 19)])
    assert posts[-1] == data  # the object holds every byte, never the empty rest of a stream
    assert f.info is not None
    assert f.info.size_bytes() == len(data)


def test_a_file_body_is_reopened_for_a_retry(tmp_path: pytest.TempPathFactory) -> None:
    source = tmp_path / "data.bin"  # type: ignore[operator]
    source.write_bytes(b"x" * 5000)
    bodies: list[bytes] = []

    def handler(request: MockRequest) -> MockResponse:
        bodies.append(request.body)
        if len(bodies) < 3:
            return MockResponse(503, b"{}")
        return MockResponse.json({**STATS, "size_bytes": 5000}, status=201)

    branch = _branch(handler)
    branch.upload_file(source, "a.bin", pre_signed=False)
    assert bodies == [b"x" * 5000] * 3


# -- hostile inputs: ValidationError before any request -------------------------------------------


def _calls(branch: lakefs.Branch) -> Iterator[Callable[[], object]]:
    yield lambda: branch.commit_changes("m", metadata={"a": 1})  # type: ignore[dict-item]
    yield lambda: branch.merge_into("dev", metadata={"a": 1})  # type: ignore[dict-item]
    yield lambda: list(branch.list_objects(prefix=123))  # type: ignore[arg-type]
    yield lambda: branch.reset(path=123)  # type: ignore[arg-type]
    yield lambda: branch.delete_objects(None)  # type: ignore[arg-type]
    yield lambda: branch.upload(b"x", "a", metadata={"k": "a\r\nInjected: 1"})
    yield lambda: branch.upload(b"x", "a", metadata={"Upper": "v"})
    yield lambda: branch.upload(b"x", "a", content_type="text/plain\r\nX: 1")
    yield lambda: branch.upload(b"x", "a", content_type=123)  # type: ignore[arg-type]
    yield lambda: branch.upload(b"x", "a", content_type="multipart/form-data; boundary=x")
    yield lambda: branch.head(extra_headers={"X-A": "b\r\nInjected: 1"})
    yield lambda: branch.upload(b"x", "lone\ud800surrogate")
    yield lambda: branch.upload(b"x", "a", metadata={"k": "lone\ud800"})
    yield lambda: branch.transaction("m", metadata={"a": 1})  # type: ignore[dict-item]
    for threshold in (0, True, 5 * 1024**3 + 1):  # S3 takes at most 5 GiB in one PUT
        yield lambda t=threshold: branch.upload_file(__file__, "a", multipart_threshold=t)


def test_hostile_inputs_fail_before_any_request() -> None:
    branch = _branch(_never)
    for number, call in enumerate(_calls(branch)):
        with pytest.raises(ValidationError):
            call()
        assert not sent_requests(branch.client), number


def test_a_bad_proxy_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="proxy"):
        lakefs.Client(host="http://h", access_key_id="a", secret_access_key="s", proxy="not a url")


def test_non_ascii_metadata_travels_as_utf8_and_comes_back() -> None:
    seen: list[MockRequest] = []

    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/config"):
            return MockResponse.json({"storage_config": {"pre_sign_support": False}})
        seen.append(request)
        meta = {"k": request.headers["X-Lakefs-Meta-k"]}
        return MockResponse.json({**STATS, "metadata": meta}, status=201)

    info = _branch(handler).upload(b"abc", "a.bin", metadata={"k": "é日本 😀"})
    assert info.metadata() == {"k": "é日本 😀"}


# -- the application's logging and processes ----------------------------------------------------


def test_creating_a_client_leaves_the_applications_loggers_alone() -> None:
    loggers = [logging.getLogger(n) for n in ("urllib3", "lakefs_sdk")]
    before = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.DEBUG)
        http.client.HTTPConnection.debuglevel = 0
        lakefs.Client(host="http://h", access_key_id="a", secret_access_key="s")
        assert [lg.level for lg in loggers] == [logging.DEBUG, logging.DEBUG]
    finally:
        for lg, level in zip(loggers, before, strict=True):
            lg.setLevel(level)


@pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")
def test_a_forked_child_gets_its_own_pool() -> None:
    client = lakefs.Client(host="http://127.0.0.1:9", access_key_id="a", secret_access_key="s")
    parent_pool = client.transport.pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether its pool is the parent's, then leave at once
        os.write(write, b"same" if client.transport.pool is parent_pool else b"own")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 10)
    os.waitpid(pid, 0)
    assert answer == b"own"
    assert client.transport.pool is parent_pool


def test_a_client_pickles_as_its_configuration_with_a_new_pool() -> None:
    client = lakefs.Client(host="http://h", access_key_id="a", secret_access_key="s", retries=2)
    copy = pickle.loads(pickle.dumps(client))
    assert copy.config == client.config
    assert copy.transport is not client.transport
    branch = lakefs.repository("repo", client=client).branch("main")
    again = pickle.loads(pickle.dumps(branch))
    assert (again.repository_id, again.id, again.client.config) == ("repo", "main", client.config)


def test_with_options_shares_the_pool_while_connection_options_agree() -> None:
    client = lakefs.Client(host="http://h", access_key_id="a", secret_access_key="s")
    assert client.with_options(retries=1).transport.pool is client.transport.pool
    assert client.with_options(max_connections=3).transport.pool is not client.transport.pool


def test_errors_are_all_lakefs_errors() -> None:
    # The SDK's own exception types round-trip through pickle with their attributes.
    err = lakefs.NotFoundError("gone", status_code=404, method="GET", path="/x", request_id="r")
    copy = pickle.loads(pickle.dumps(err))
    assert (type(copy), copy.status_code, copy.request_id, str(copy)) == (
        lakefs.NotFoundError,
        404,
        "r",
        str(err),
    )
    assert isinstance(copy, LakeFSError)
    assert json.dumps({"status": copy.status_code})


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, "ImportRefusedError"),
        (401, "UnauthorizedError"),
        (403, "ForbiddenError"),
        (500, "ServerError"),
        (501, "ImportNotSupportedError"),
    ],
)
def test_an_import_start_keeps_errors_that_are_not_refusals(status: int, expected: str) -> None:
    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/config"):
            return MockResponse.json({"storage_config": {"import_support": True}})
        return MockResponse(status, b'{"message": "no"}')

    manager = _branch(handler, retries=0).import_from("s3://b/p/", "p/", "import")
    with pytest.raises(LakeFSError) as info:
        manager.start()
    assert type(info.value).__name__ == expected


def test_each_import_request_carries_its_own_and_the_managers_headers() -> None:
    seen: list[tuple[str, dict[str, str]]] = []

    def handler(request: MockRequest) -> MockResponse:
        seen.append((request.path.rsplit("/", 1)[-1], request.headers))
        if request.path.endswith("/config"):
            return MockResponse.json({"storage_config": {"import_support": True}})
        if request.method == "POST":
            return MockResponse.json({"id": "i1"}, status=202)
        if request.method == "DELETE":
            return MockResponse(204)
        return MockResponse.json({"completed": True, "ingested_objects": 2, "commit": {"id": "c"}})

    branch = _branch(handler, retries=0)
    manager = branch.import_from("s3://b/p/", "p/", "import", extra_headers={"X-Import": "m"})
    manager.start(extra_headers={"X-Call": "start"})
    manager.status(extra_headers={"X-Call": "status"})
    manager.wait(0, extra_headers={"X-Call": "wait"}, progress=False)
    manager.cancel(extra_headers={"X-Call": "cancel"})
    calls = [(name, h.get("X-Import"), h.get("X-Call")) for name, h in seen if name != "config"]
    assert calls == [
        ("import", "m", "start"),
        ("import", "m", "status"),
        ("import", "m", "wait"),
        ("import", "m", "cancel"),
    ]
    with pytest.raises(ValidationError):
        manager.status(extra_headers={"X-Bad": "a\r\nb"})


def test_a_compressed_answer_is_capped_after_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip
    import resource

    monkeypatch.setattr("lakefs._transport.MAX_ANSWER_BYTES", 8 << 20)
    bomb = gzip.compress(b"{" + b" " * (256 << 20), compresslevel=9)  # 256 MiB in ~250 KiB
    assert len(bomb) < 1 << 20

    def handler(request: MockRequest) -> MockResponse:
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        return MockResponse(200, bomb, headers)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(APIResponseError, match="exceeds"):
        _branch(handler).head()
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 64, f"peak memory grew by {grown_mib:.0f} MiB"


@pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")
def test_a_child_forked_while_the_parent_held_a_lock_does_not_hang() -> None:
    client = lakefs.Client(host="http://127.0.0.1:9", access_key_id="a", secret_access_key="s")
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "parent's"

    holder = threading.Thread(target=client.cached, args=("k", slow))
    holder.start()
    started.wait(5)  # the parent's thread now holds the client's cache lock
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            value = client.cached("k", lambda: "child's")
            pool_ok = client.transport.pool is not None
            os.write(write, f"{value} {pool_ok}".encode())
        finally:
            os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], 10)
    answer = os.read(read, 100) if ready else b"hung"
    if not ready:
        os.kill(pid, 9)
    release.set()
    holder.join()
    os.waitpid(pid, 0)
    assert answer == b"child's True"


def test_a_multipart_write_whose_lakefs_dies_is_aborted_or_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Parts went to the store; then lakeFS stops answering: the abort is tried, and when it
    cannot reach lakeFS either, the open upload is named in a warning (the error is kept)."""
    lakefs_up = True

    def handler(request: MockRequest) -> MockResponse:
        nonlocal lakefs_up
        if request.url.startswith("http://store.example"):
            lakefs_up = False  # lakeFS dies once the parts are in the store
            return MockResponse(200, headers={"ETag": '"e"'})
        if not lakefs_up:
            raise urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]
        if request.path.endswith("/config"):
            config = {"pre_sign_support": True, "pre_sign_multipart_upload": True}
            return MockResponse.json({"storage_config": config})
        urls = [f"http://store.example/p{i}?X-Amz-Signature=s" for i in range(1, 4)]
        return MockResponse.json(
            {"upload_id": "UPLOAD-1", "physical_address": "s3://b/k", "presigned_urls": urls},
            status=201,
        )

    branch = _branch(handler, retries=1)
    with pytest.raises(APIConnectionError), branch.open("big.bin", "wb", part_size=5) as f:
        f.write(b"x" * 12)
    aborts = [r for r in sent_requests(branch.client) if r.method == "DELETE"]
    assert aborts  # the abort was tried
    assert any("UPLOAD-1" in r.getMessage() for r in caplog.records)


def _server(request: MockRequest) -> MockResponse:
    """A tiny stand-in for lakeFS: enough answers for the forwarding methods below."""
    path, method = request.path, request.method
    commit = {
        "id": "c1",
        "parents": [],
        "committer": "me",
        "message": "m",
        "creation_date": 1,
        "meta_range_id": "r",
        "metadata": {},
    }
    empty = {
        "results": [],
        "pagination": {"has_more": False, "next_offset": "", "results": 0, "max_per_page": 1000},
    }
    if path.endswith("/config"):
        config = {"pre_sign_support": True, "import_support": True}
        return MockResponse.json({"storage_config": config})
    if request.url.startswith("https://store.example"):
        return MockResponse(200, headers={"ETag": '"e"'})
    if path.endswith("/refs/main/objects"):
        return MockResponse(206, b"abc", {"Content-Range": "bytes 0-2/3"})
    if path.endswith("/import") and method == "POST":
        return MockResponse.json({"id": "imp-1"}, status=202)
    if path.endswith("/import"):
        return MockResponse.json({"completed": True, "ingested_objects": 1, "commit": commit})
    if path.endswith("/staging/backing") and method == "GET":
        location = {
            "presigned_url": "https://store.example/put?sig=1",
            "physical_address": "s3://b/k",
        }
        return MockResponse.json(location)
    if path.endswith("/staging/backing") or (method == "POST" and path.endswith("/objects")):
        return MockResponse.json(STATS, status=201)
    if method == "DELETE" or path.endswith("/revert"):
        return MockResponse(204)
    if path.endswith("/objects/delete"):
        return MockResponse.json({"errors": []})
    if path.endswith("/objects/stat"):
        return MockResponse.json({**STATS, "physical_address": "https://store.example/k?sig=1"})
    if path.endswith("/diff"):
        return MockResponse.json(empty)
    if "/commits/" in path:
        return MockResponse.json(commit)
    if method == "POST" and path.endswith("/branches"):
        return MockResponse(201, b"c1", {"Content-Type": "text/plain"})
    if method == "POST" and path.endswith("/repositories"):
        return MockResponse.json({"id": "repo"}, status=409)
    return MockResponse.json(
        {
            "id": "main",
            "commit_id": "c1",
            "default_branch": "main",
            "storage_namespace": "local://x",
            "creation_date": 1,
        }
    )


def test_forwarding_methods_send_the_callers_headers_with_every_request(tmp_path: Path) -> None:
    client = mock_client(_server)
    repo = lakefs.repository("repo", client=client)
    main = repo.branch("main")
    headers = {"X-Trace": "t-1"}
    with main.transaction("m", extra_headers=headers, timeout=5):
        pass
    main.reverse("c1", extra_headers=headers)
    main.delete_objects(["a", "b"], extra_headers=headers)
    main.presigned_url("a.bin", extra_headers=headers)
    main.head(extra_headers=headers).get_commit(extra_headers=headers)
    repo.get_or_create("local://x", extra_headers=headers)
    repo.exists(extra_headers=headers)
    main.upload(b"abc", "a.bin", extra_headers=headers)
    with main.open("b.bin", "wb", extra_headers=headers) as f:
        f.write(b"x" * 10)
    with main.open("a.bin", "rb", extra_headers=headers, pre_signed=False) as r:
        assert r.read() == b"abc"
    main.download_file("a.bin", tmp_path / "a.bin", pre_signed=False, extra_headers=headers)
    manager = main.import_from("s3://b/p/", "p/", "import", extra_headers=headers)
    manager.run(poll_interval=0, progress=False)
    manager.cancel()
    to_lakefs = [
        r
        for r in sent_requests(client)
        if r.url.startswith("http://lakefs.mock") and not r.path.endswith("/config")
    ]
    assert len(to_lakefs) >= 10
    missing = [f"{r.method} {r.path}" for r in to_lakefs if r.headers.get("X-Trace") != "t-1"]
    assert missing == []


# -- what an attack on transfers found ----------------------------------------------------------


def _listing(*entries: dict[str, object]) -> dict[str, object]:
    return {
        "results": list(entries),
        "pagination": {
            "has_more": False,
            "next_offset": "",
            "results": len(entries),
            "max_per_page": 1000,
        },
    }


def test_a_pre_signed_redirect_carries_only_the_range(tmp_path: Path) -> None:
    seen: list[MockRequest] = []

    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/config"):
            return MockResponse.json({"storage_config": {"pre_sign_support": True}})
        if request.url.startswith("http://lakefs.mock"):
            return MockResponse(302, headers={"Location": "http://store.example/k?sig=1"})
        seen.append(request)
        return MockResponse(206, b"abc", {"Content-Range": "bytes 0-2/3"})

    branch = _branch(handler)
    headers = {"X-Internal-Token": "s3cr3t"}
    with branch.open("a.bin", "rb", pre_signed=True, extra_headers=headers) as f:
        assert f.read() == b"abc"
    branch.download_file("a.bin", tmp_path / "a.bin", pre_signed=True, extra_headers=headers)
    assert seen
    for request in seen:
        assert "X-Internal-Token" not in request.headers
        assert "Authorization" not in request.headers


def test_an_object_is_read_as_stored_whatever_its_content_encoding(tmp_path: Path) -> None:
    import gzip

    stored = gzip.compress(b"a,b\n" * 1000)

    def handler(request: MockRequest) -> MockResponse:
        headers = {
            "Content-Encoding": "gzip",
            "Content-Range": f"bytes 0-{len(stored) - 1}/{len(stored)}",
        }
        return MockResponse(206, stored, headers)

    branch = _branch(handler)
    with branch.open("a.csv.gz", "rb", pre_signed=False) as f:
        assert f.read() == stored
    assert (
        branch.download_file("a.csv.gz", tmp_path / "a.gz", pre_signed=False).read_bytes() == stored
    )


@pytest.mark.parametrize(("declared", "problem"), [(50, "grew"), (150, "shrank")])
def test_a_file_that_changes_size_while_sent_stops_the_upload(
    tmp_path: Path, declared: int, problem: str
) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(b"x" * 100)
    client = mock_client(lambda r: MockResponse.json(STATS, status=201), retries=3)
    with pytest.raises(lakefs.SourceChangedError, match=problem):
        client.transport.request(
            "POST",
            "http://lakefs.mock/api/v1/x",
            body=source,
            headers={"Content-Length": str(declared)},
        )
    assert len(sent_requests(client)) <= 1  # not retried


def test_a_truncated_download_is_a_failure_and_leaves_the_old_file(tmp_path: Path) -> None:
    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/objects/ls"):
            return MockResponse.json(
                _listing({**STATS, "path": "p/a.bin", "size_bytes": 30, "checksum": "0" * 32})
            )
        return MockResponse(200, b"only ten b")  # 10 bytes, no length: cut short

    (tmp_path / "a.bin").write_bytes(b"y" * 30)
    result = _branch(handler).download_folder("p/", tmp_path, pre_signed=False, max_workers=1)
    assert list(result.failed) == ["a.bin"]
    assert result.sent == 0
    assert (tmp_path / "a.bin").read_bytes() == b"y" * 30
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]  # no temporary file left


def test_a_download_never_writes_through_a_link_out_of_the_folder(tmp_path: Path) -> None:
    outside, root = tmp_path / "outside", tmp_path / "root"
    outside.mkdir()
    root.mkdir()
    (root / "sub").symlink_to(outside, target_is_directory=True)

    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/objects/ls"):
            return MockResponse.json(_listing({**STATS, "path": "p/sub/evil.txt", "size_bytes": 5}))
        return MockResponse(200, b"PWNED", {"Content-Length": "5"})

    result = _branch(handler).download_folder("p/", root, pre_signed=False, max_workers=1)
    assert list(result.failed) == ["sub/evil.txt"]
    assert list(outside.iterdir()) == []


def test_local_names_sort_as_lakefs_lists_them(tmp_path: Path) -> None:
    from lakefs.lib.folders import _key_bytes, _walk

    names = ["report_\uff081\uff09.csv", "report_a.csv", "b", "a-b", "a/c"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"1")
    (tmp_path / os.fsdecode(b"report_\xe9.csv")).write_bytes(b"1")  # not UTF-8
    keys = [key for key, _ in _walk(tmp_path)]
    assert keys == sorted(keys, key=_key_bytes)
    assert [k for k in keys if "\udce9" not in k] == sorted(names, key=lambda n: n.encode())


def test_a_listing_out_of_order_stops_before_anything_is_deleted(tmp_path: Path) -> None:
    (tmp_path / "m.txt").write_bytes(b"1")
    deletes: list[MockRequest] = []

    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/config"):
            return MockResponse.json({"storage_config": {}})
        if request.path.endswith("/objects/ls"):
            unordered = [{**STATS, "path": f"p/{n}"} for n in ("z.txt", "a.txt")]
            return MockResponse.json(_listing(*unordered))
        if request.path.endswith("/objects/delete"):
            deletes.append(request)
        return MockResponse.json(STATS, status=201)

    with pytest.raises(LakeFSError, match="not in byte order"):
        _branch(handler).upload_folder(tmp_path, "p/", delete=True, max_workers=1)
    assert deletes == []


def test_a_read_never_mixes_two_versions_of_an_object() -> None:
    versions = iter([b"A" * 100_000, b"B" * 100_000])
    current = next(versions)
    answers = 0

    def handler(request: MockRequest) -> MockResponse:
        nonlocal current, answers
        answers += 1
        if answers == 2:
            current = next(versions)  # overwritten between the first read and the next
        start, end = request.headers["Range"].removeprefix("bytes=").split("-")
        stop = int(end) + 1 if end else len(current)
        etag = f'"{current[:1].decode()}"'
        headers = {"Content-Range": f"bytes {start}-{stop - 1}/{len(current)}", "ETag": etag}
        return MockResponse(206, current[int(start) : stop], headers)

    with (
        pytest.raises(lakefs.ObjectChangedError),
        _branch(handler).open("a.bin", "rb", pre_signed=False, block_size=65536) as f,
    ):
        f.read()


def test_object_info_methods_forward_the_callers_options() -> None:
    client = mock_client(
        lambda r: MockResponse.json(STATS) if r.method == "GET" else MockResponse(204)
    )
    info = lakefs.ObjectInfo("repo", "main", "a.bin", client=client)
    headers = {"X-Trace": "t-2"}
    assert info.size_bytes(extra_headers=headers, timeout=5) == 3
    assert info.exists(extra_headers=headers)
    info.delete(extra_headers=headers)
    assert all(r.headers.get("X-Trace") == "t-2" for r in sent_requests(client))
    assert len(sent_requests(client)) == 3


def test_a_download_to_a_long_file_name_works(tmp_path: Path) -> None:
    name = "n" * 180 + "é" * 30  # 240 bytes: with the temporary suffix, more than a name holds
    handler = lambda r: MockResponse(200, b"abc", {"Content-Length": "3"})  # noqa: E731
    target = _branch(handler).download_file("a.bin", tmp_path / name, pre_signed=False)
    assert target.read_bytes() == b"abc"
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_download_makes_the_missing_folders_of_its_file(tmp_path: Path) -> None:
    handler = lambda r: MockResponse(200, b"abc", {"Content-Length": "3"})  # noqa: E731
    target = tmp_path / "a" / "b" / "c.bin"
    assert _branch(handler).download_file("a.bin", target, pre_signed=False) == target
    assert target.read_bytes() == b"abc"
    assert [p.name for p in target.parent.iterdir()] == ["c.bin"]  # no temporary left


def test_fs_info_checks_the_stats_it_is_given() -> None:
    from lakefs.fs import LakeFSFileSystem

    answers = {"stat": MockResponse.json({"path": "a.bin"})}  # no checksum, no mtime

    def handler(request: MockRequest) -> MockResponse:
        return answers[request.path.rsplit("/", 1)[-1]]

    fs = LakeFSFileSystem(client=mock_client(handler, retries=0), skip_instance_cache=True)
    with pytest.raises(APIResponseError, match="lack a field"):
        fs.info("repo/main/a.bin")
    answers["stat"] = MockResponse.json(STATS)
    entry = fs.info("repo/main/a.bin", refresh=True)
    assert (entry["name"], entry["size"], entry["checksum"]) == ("repo/main/a.bin", 3, "c")
    answers["stat"] = MockResponse(404, b'{"message": "not found"}')
    answers["ls"] = MockResponse.json({"results": [], "pagination": {"has_more": False}})
    with pytest.raises(FileNotFoundError):
        fs.info("repo/main/gone.bin", refresh=True)


def test_a_small_file_read_whole_must_have_the_size_it_had(tmp_path: Path) -> None:
    from lakefs import SourceChangedError
    from lakefs.lib.writer import _make_target, send_file

    source = tmp_path / "small.bin"
    source.write_bytes(b"12345")
    branch = _branch(_never)
    target = _make_target(
        branch,
        "a",
        exclusive=False,
        pre_signed=False,
        content_type=None,
        metadata=None,
        part_size=1 << 20,
        part_workers=1,
    )
    for stale_size in (4, 6):  # it grew, or shrank, after its size was taken
        with pytest.raises(SourceChangedError):
            send_file(target, source, stale_size, None)
    assert not sent_requests(branch.client)
