"""The client against a real lakeFS: errors it really returns, the server configuration, and the
raw streaming path."""

from __future__ import annotations

import io
from collections.abc import Callable

import lakefs_sdk
import pytest

import lakefs
from lakefs import (
    BadRequestError,
    Client,
    ConflictError,
    NotFoundError,
    ObjectExistsError,
    ObjectNotFoundError,
    RangeNotSatisfiableError,
    ServerConfiguration,
    UnauthorizedError,
)
from tests.conftest import Repo, Server


def _objects_url(client: Client, repo: Repo, path: str, *, write: bool) -> str:
    kind = "branches" if write else "refs"  # uploads go to a branch, reads to any ref
    return f"{client.config.host}/repositories/{repo.id}/{kind}/main/objects?path={path}"


@pytest.mark.server("local")
def test_wrong_secret_is_unauthorized_on_first_request(server: Server) -> None:
    client = server.client(secret_access_key="wrong-secret")
    with pytest.raises(UnauthorizedError) as info:
        lakefs_sdk.RepositoriesApi(client.sdk).list_repositories()
    err = info.value
    assert err.status_code == 401
    assert err.method == "GET"
    assert err.path == "/api/v1/repositories"
    assert "wrong-secret" not in str(err) + repr(err)


@pytest.mark.server("local")
def test_not_found_conflict_and_bad_request(client: Client, repo: Repo) -> None:
    repos = lakefs_sdk.RepositoriesApi(client.sdk)
    with pytest.raises(NotFoundError) as missing:
        repos.get_repository("no-such-repository")
    assert missing.value.status_code == 404
    assert "not found" in missing.value.message
    assert not isinstance(missing.value, FileNotFoundError)
    with pytest.raises(ConflictError) as exists:
        repos.create_repository(
            lakefs_sdk.RepositoryCreation(name=repo.id, storage_namespace=repo.storage_namespace)
        )
    assert exists.value.status_code == 409
    with pytest.raises(BadRequestError) as empty:
        lakefs_sdk.CommitsApi(client.sdk).commit(
            repo.id, "main", lakefs_sdk.CommitCreation(message="nothing to commit")
        )
    assert empty.value.status_code == 400
    assert empty.value.request_id


@pytest.mark.server("local")
def test_missing_object_is_a_file_not_found_error(client: Client, repo: Repo) -> None:
    with pytest.raises(ObjectNotFoundError) as info:
        lakefs_sdk.ObjectsApi(client.sdk).stat_object(repo.id, "main", "no/such/object")
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value, NotFoundError)


@pytest.mark.server("local")
def test_raw_path_streams_uploads_and_reads(client: Client, repo: Repo) -> None:
    data = bytes(range(256)) * 1024  # 256 KiB
    url = _objects_url(client, repo, "raw/blob.bin", write=False)
    upload_url = _objects_url(client, repo, "raw/blob.bin", write=True)
    resp = client.transport.request(
        "POST",
        upload_url,
        body=io.BytesIO(data),
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
    )
    assert resp.status == 201
    read = client.transport.request("GET", url, stream=True)
    try:
        chunks = list(read.stream(64 * 1024))
    finally:
        read.release_conn()
    assert b"".join(chunks) == data
    assert len(chunks) >= 4  # read incrementally, not in one piece
    with pytest.raises(ObjectExistsError) as exists:
        client.transport.request(
            "POST",
            upload_url,
            body=b"again",
            headers={"Content-Type": "application/octet-stream", "If-None-Match": "*"},
        )
    assert isinstance(exists.value, FileExistsError)
    with pytest.raises(RangeNotSatisfiableError):
        client.transport.request("GET", url, headers={"Range": f"bytes={len(data) + 10}-"})


@pytest.mark.server("local")
def test_server_configuration_is_fetched_once_per_client(
    client: Client, sent: Callable[[], int | None]
) -> None:
    config = ServerConfiguration(client)
    assert config.version() == "1.86.0"
    storage = config.storage_config()
    assert storage.blockstore_type() == "local"
    assert storage.import_support() is True
    assert config.pre_sign_support() is False
    assert ServerConfiguration(client).pre_sign_multipart_upload() is False
    assert sent() in (1, None)


@pytest.mark.server("s3")
def test_server_configuration_of_s3(client: Client) -> None:
    config = ServerConfiguration(client)
    assert config.pre_sign_support() is True
    assert config.pre_sign_multipart_upload() is True
    assert config.storage_config().blockstore_type() == "s3"


@pytest.mark.server("local")
def test_default_client_from_the_environment(
    server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from lakefs._client import _reset_default_client

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("LAKECTL_SERVER_ENDPOINT_URL", server.endpoint)
    monkeypatch.setenv("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", server.access_key_id)
    monkeypatch.setenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", server.secret_access_key)
    if server.ca_cert is not None:  # over https: lakectl's way to trust a private CA
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_cert)
    _reset_default_client()
    try:
        assert ServerConfiguration().version() == "1.86.0"
        assert lakefs.default_client() is lakefs.default_client()
    finally:
        _reset_default_client()


@pytest.mark.server("local")
def test_a_ready_sdk_client_is_accepted(server: Server) -> None:
    from lakefs_sdk.api_client import ApiClient
    from lakefs_sdk.configuration import Configuration

    api_client = ApiClient(
        Configuration(
            host=server.api_url,
            username=server.access_key_id,
            password=server.secret_access_key,
            ssl_ca_cert=server.ca_cert,
        )
    )
    client = Client(api_client=api_client)
    assert client.sdk is api_client
    assert ServerConfiguration(client).version() == "1.86.0"
    with pytest.raises(NotFoundError):  # errors are mapped: the transport is ours
        lakefs_sdk.RepositoriesApi(api_client).get_repository("no-such-repository")
