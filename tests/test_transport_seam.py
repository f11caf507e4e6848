"""The offline seam is a constructor argument: ``Client(transport=...)``, ``retry_sleep=`` (no
network: every request is answered by a function)."""

from __future__ import annotations

import importlib.metadata
import inspect
import pickle
from collections.abc import Iterator

import pytest

import lakefs
import lakefs.fs
from lakefs import Client, ServerError, ValidationError
from lakefs._client import _reset_default_client
from lakefs.testing import MockRequest, MockResponse, MockTransport, mock_client, sent_requests

KEYS = {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "mock-secret"}
BRANCH = {"id": "main", "commit_id": "c1"}


def _branch_or_busy(busy: int) -> MockTransport:
    """Answers 503 ``busy`` times, then the branch."""

    def handler(request: MockRequest) -> MockResponse:
        if len(transport.requests) <= busy:
            return MockResponse(503, b'{"message": "busy"}')
        return MockResponse.json(BRANCH)

    transport = MockTransport(handler)
    return transport


@pytest.fixture
def no_default_client() -> Iterator[None]:
    _reset_default_client()
    yield
    _reset_default_client()


def test_a_client_sends_through_the_transport_it_is_given() -> None:
    transport = MockTransport(lambda request: MockResponse.json(BRANCH))
    client = Client(host="http://lakefs.mock", transport=transport, **KEYS)
    assert lakefs.repository("repo", client=client).branch("main").head().id == "c1"
    assert client.transport.pool is transport
    [request] = transport.requests
    assert request.path == "/api/v1/repositories/repo/branches/main"
    assert request.headers["Authorization"].startswith("Basic ")


def test_retry_sleep_is_how_the_retry_loop_waits() -> None:
    slept: list[float] = []
    transport = _branch_or_busy(2)
    client = Client(
        host="http://lakefs.mock", transport=transport, retry_sleep=slept.append, **KEYS
    )
    assert lakefs.repository("repo", client=client).branch("main").head().id == "c1"
    assert len(transport.requests) == 3
    assert len(slept) == 2
    assert all(0 < s <= 8 for s in slept)


def test_with_options_keeps_the_transport_and_the_sleep() -> None:
    slept: list[float] = []
    transport = _branch_or_busy(10)
    client = Client(
        host="http://lakefs.mock", transport=transport, retry_sleep=slept.append, **KEYS
    )
    other = client.with_options(retries=1, max_connections=3)  # another pool's options
    assert other.transport.pool is transport
    with pytest.raises(ServerError):
        lakefs.repository("repo", client=other).branch("main").head()
    assert len(transport.requests) == 2
    assert len(slept) == 1


def test_a_pickled_client_leaves_the_given_transport_behind() -> None:
    client = mock_client(lambda request: MockResponse.json(BRANCH))
    copy = pickle.loads(pickle.dumps(client))
    assert copy.config == client.config
    assert not isinstance(copy.transport.pool, MockTransport)


def test_a_transport_without_urlopen_is_refused() -> None:
    with pytest.raises(ValidationError, match="transport must have urlopen"):
        Client(host="http://lakefs.mock", transport=object(), **KEYS)  # type: ignore[arg-type]


def test_mock_client_is_the_public_seam() -> None:
    client = mock_client(lambda request: MockResponse.json(BRANCH), retries=0)
    assert isinstance(client.transport.pool, MockTransport)
    lakefs.repository("repo", client=client).branch("main").head()
    assert [r.method for r in sent_requests(client)] == ["GET"]


def test_init_takes_the_arguments_of_client(no_default_client: None) -> None:
    assert inspect.signature(lakefs.init).parameters == inspect.signature(Client).parameters
    transport = MockTransport(lambda request: MockResponse.json(BRANCH))
    client = lakefs.init(host="http://lakefs.mock", transport=transport, **KEYS)
    assert lakefs.repository("repo").branch("main").head().id == "c1"
    assert client.transport.pool is transport
    # The options are the chain's second link; the transport is the default client's only.
    later = Client()
    assert later.config.host == "http://lakefs.mock/api/v1"
    assert later.transport.pool is not transport
    with pytest.raises(TypeError, match="hots"):
        lakefs.init(hots="http://x")  # type: ignore[call-arg]


def test_requests_say_who_sent_them_unless_the_caller_does() -> None:
    transport = MockTransport(lambda request: MockResponse.json(BRANCH))
    client = Client(host="http://lakefs.mock", transport=transport, **KEYS)
    branch = lakefs.repository("repo", client=client).branch("main")
    branch.head()
    branch.head(extra_headers={"User-Agent": "my-pipeline/2"})
    branch.head(extra_headers={"user-agent": "my-pipeline/3"})  # any case: one header sent
    sent = [r.headers["User-Agent"] for r in transport.requests[:2]]
    # The installed package's version, known without reading its metadata per process
    assert sent[0].startswith(f"lakefs-python/{importlib.metadata.version('lakefs')} ")
    assert " python/3." in sent[0]
    assert sent[1] == "my-pipeline/2"
    third = transport.requests[2].headers
    assert [v for k, v in third.items() if k.lower() == "user-agent"] == ["my-pipeline/3"]


def test_the_version_is_written_once_and_read_without_the_package_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lakefs._transport import _exchange
    from lakefs._version import VERSION

    assert importlib.metadata.version("lakefs") == VERSION  # pyproject reads it from there
    monkeypatch.setattr(importlib.metadata, "version", _no_metadata_scan)
    _exchange.user_agent.cache_clear()
    try:
        assert _exchange.user_agent().startswith(f"lakefs-python/{VERSION} python/")
    finally:
        _exchange.user_agent.cache_clear()


def _no_metadata_scan(name: str) -> str:
    raise AssertionError(f"the metadata of {name} was read")


def test_part_workers_is_the_name_and_max_workers_still_works_with_a_warning() -> None:
    """One meaning per name: ``part_workers`` is one object's parts or ranges in flight,
    ``max_workers`` files (folder transfers, lakefs.fs); the former spelling of the first
    still works for a release, with a DeprecationWarning that points at the caller."""
    answered = {"path": "a", "physical_address": "x", "checksum": "c", "mtime": 1, "size_bytes": 1}
    transport = MockTransport(lambda request: MockResponse.json(answered))
    client = Client(host="http://lakefs.mock", transport=transport, **KEYS)
    branch = lakefs.repository("repo", client=client).branch("main")
    with branch.open("a", "wb", pre_signed=False, part_workers=2) as f:
        f.write(b"x")
    with (
        pytest.warns(DeprecationWarning, match="part_workers") as caught,
        branch.open("a", "wb", pre_signed=False, max_workers=2) as f,
    ):
        f.write(b"x")
    assert caught[0].filename == __file__
    with pytest.raises(ValidationError, match="give part_workers only"):
        branch.open("a", "wb", pre_signed=False, part_workers=3, max_workers=2)
    with pytest.raises(ValidationError, match="part_workers must be a positive int"):
        branch.open("a", "wb", pre_signed=False, part_workers=0)
    fs = lakefs.fs.LakeFSFileSystem(client=client, max_workers=3, skip_instance_cache=True)
    assert (fs.max_workers, fs.part_workers) == (3, 3)
    fs = lakefs.fs.LakeFSFileSystem(
        client=client, max_workers=3, part_workers=2, skip_instance_cache=True
    )
    assert (fs.max_workers, fs.part_workers) == (3, 2)
