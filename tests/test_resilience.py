"""The retry policy and the connection pool against a real lakeFS, through a fault-injecting
proxy (live only: faults and threads are transport behaviour, which cassettes cannot replay)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import lakefs_sdk
import pytest

import lakefs
from lakefs import APITimeoutError, Client, ConflictError, ServerError
from tests.conftest import Repo, Server
from tests.faultproxy import FaultProxy

pytestmark = [pytest.mark.loopback, pytest.mark.server("local")]


@pytest.fixture
def proxy(server: Server) -> Iterator[FaultProxy]:
    with FaultProxy.before(server.endpoint, ca_cert=server.ca_cert) as p:
        yield p


def _client(server: Server, proxy: FaultProxy, **options: object) -> Client:
    return Client(
        host=proxy.url,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
        **options,  # type: ignore[arg-type]
    )


def test_recovers_from_a_burst_of_503(
    server: Server, proxy: FaultProxy, repo: Repo, caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(server, proxy, retries=5)
    proxy.respond_next(3, status=503, headers={"Retry-After": "0"}, body=b'{"message":"slow"}')
    with caplog.at_level(logging.INFO, logger="lakefs"):
        got = lakefs_sdk.RepositoriesApi(client.sdk).get_repository(repo.id)
    assert got.id == repo.id
    assert proxy.faults_left() == 0
    assert len(proxy.requests) == 4
    assert sum("retrying GET" in r.getMessage() for r in caplog.records) == 3


def test_gives_up_after_the_limit_with_a_clear_error(
    server: Server, proxy: FaultProxy, repo: Repo
) -> None:
    client = _client(server, proxy, retries=2)
    proxy.respond_next(10, status=503, headers={"Retry-After": "0"}, body=b'{"message":"busy"}')
    with pytest.raises(ServerError) as info:
        lakefs_sdk.RepositoriesApi(client.sdk).get_repository(repo.id)
    assert info.value.status_code == 503
    assert info.value.message == "busy"
    assert len(proxy.requests) == 3


def test_a_conflict_is_never_retried(server: Server, proxy: FaultProxy, repo: Repo) -> None:
    client = _client(server, proxy, retries=5)
    with pytest.raises(ConflictError):
        lakefs_sdk.BranchesApi(client.sdk).create_branch(
            repo.id, lakefs_sdk.BranchCreation(name="main", source="main")
        )
    assert len(proxy.requests) == 1


def test_a_connection_dropped_mid_response_is_retried(
    server: Server, proxy: FaultProxy, repo: Repo
) -> None:
    client = _client(server, proxy, retries=3)
    proxy.drop_next(2, after_bytes=10)
    branches = lakefs.repository(repo.id, client=client).list_branches().to_list()
    assert [b.id for b in branches] == ["main"]
    assert len(proxy.requests) == 3


def test_a_slow_response_times_out_then_succeeds(
    server: Server, proxy: FaultProxy, repo: Repo
) -> None:
    client = _client(server, proxy, retries=0, timeout=(2.0, 0.5))
    proxy.delay_next(1, seconds=1.5)
    with pytest.raises(APITimeoutError):
        lakefs_sdk.RepositoriesApi(client.sdk).get_repository(repo.id)
    patient = client.with_options(retries=2)
    proxy.delay_next(1, seconds=1.5)
    assert lakefs_sdk.RepositoriesApi(patient.sdk).get_repository(repo.id).id == repo.id


def test_thirty_two_threads_share_one_default_client(
    server: Server, repo: Repo, caplog: pytest.LogCaptureFixture
) -> None:
    client = server.client()  # the default pool size: 32 threads drop no connection
    objects = lakefs_sdk.ObjectsApi(client.sdk)
    url = f"{client.config.host}/repositories/{repo.id}/branches/main/objects?path="
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        try:
            path = f"t/{(i // 4) % 50}.txt"
            kind = i % 4
            if kind == 0:
                body = f"object {i}".encode()
                client.transport.request(
                    "POST", url + path, body=body, headers={"Content-Type": "text/plain"}
                )
            elif kind == 1:
                objects.list_objects(repo.id, "main", prefix="t/", amount=100)
            elif kind == 2:
                lakefs_sdk.BranchesApi(client.sdk).get_branch(repo.id, "main")
            else:
                lakefs_sdk.RepositoriesApi(client.sdk).get_repository(repo.id)
        except BaseException as exc:  # collected and asserted below
            with lock:
                errors.append(exc)

    with caplog.at_level(logging.WARNING), ThreadPoolExecutor(32) as pool:
        list(pool.map(work, range(1000)))
    assert errors == []
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]
    listing = objects.list_objects(repo.id, "main", prefix="t/", amount=1000)
    assert len(listing.results) == 50


def test_a_per_call_timeout_overrides_the_clients(
    server: Server, proxy: FaultProxy, repo: Repo
) -> None:
    client = _client(server, proxy, retries=0, timeout=60)
    proxy.delay_next(1, seconds=1.5)
    with pytest.raises(APITimeoutError):
        lakefs.repository(repo.id, client=client).metadata(timeout=(2.0, 0.5))


def test_a_streamed_read_cut_short_resumes_where_it_broke(
    server: Server, proxy: FaultProxy, repo: Repo
) -> None:
    client = _client(server, proxy, retries=2)
    main = lakefs.repository(repo.id, client=client).branch("main")
    data = bytes(range(256)) * 4096  # 1 MiB
    main.upload(data, "big.bin")
    with main.open("big.bin", "rb", block_size=64 * 1024) as f:
        head = f.read(1000)  # the first (ranged) request
        proxy.drop_next(1, after_bytes=100_000)  # the streamed request breaks part-way
        rest = f.read()
        assert f.requests >= 3  # the first range, the broken stream, the resumed one
    assert head + rest == data


@pytest.mark.server("s3")
def test_an_expired_pre_signed_url_is_fetched_again(
    server: Server, proxy: FaultProxy, repo: Repo
) -> None:
    client = server.client()
    main = lakefs.repository(repo.id, client=client).branch("main")
    data = bytes(range(256)) * 1024
    main.upload(data, "p.bin")
    with main.open("p.bin", "rb", block_size=16 * 1024) as f:
        assert f.read(100) == data[:100]
        assert f._gets._direct is not None
        # Pretend the object store's URL expired: the next ranged read is answered 403.
        f._gets._direct = f"{proxy.url}/expired?X-Amz-Signature=old"
        proxy.respond_next(1, status=403, body=b"<Error><Code>AccessDenied</Code></Error>")
        f.seek(200_000)
        assert f.read(100) == data[200_000:200_100]
        assert proxy.requests == [("GET", "/expired?X-Amz-Signature=old")]
        assert f._gets._direct is not None
        assert "X-Amz-Signature=old" not in f._gets._direct  # a fresh URL from lakeFS
