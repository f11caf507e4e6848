"""lakefs://'s credentials= : a filesystem whose pickles, task graphs, to_json() and to_dict() hold
no secret, each process reading the credentials for itself.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import lakefs
from lakefs import NoAuthenticationFound, ValidationError
from lakefs.fs import LakeFSFileSystem
from tests.conftest import Repo, Server

ENV = (
    "LAKECTL_SERVER_ENDPOINT_URL",
    "LAKECTL_CREDENTIALS_ACCESS_KEY_ID",
    "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY",
    "LAKECTL_ACCESS_KEY_ID",
    "LAKECTL_ACCESS_SECRET_KEY",
    "LAKECTL_CONFIG_FILE",
)


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    LakeFSFileSystem.clear_instance_cache()


def _secret_free(fs: LakeFSFileSystem, secret: str) -> None:
    assert secret.encode() not in pickle.dumps(fs)
    assert secret not in fs.to_json()
    assert secret not in json.dumps(fs.to_dict(), default=str)
    assert secret not in repr(fs.storage_options)


@pytest.mark.server("local")
def test_credentials_from_the_environment_stay_out_of_pickles(
    server: Server, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", server.access_key_id)
    monkeypatch.setenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", server.secret_access_key)
    options = server.client_options(credentials="environment", skip_instance_cache=True)
    del options["access_key_id"], options["secret_access_key"]  # host (and a TLS run's CA)
    fs = LakeFSFileSystem(**options)
    fs.pipe_file(f"{repo.id}/main/a.txt", b"from the environment")
    _secret_free(fs, server.secret_access_key)
    blob = pickle.dumps(fs)
    LakeFSFileSystem.clear_instance_cache()  # as in a Dask worker
    worker = pickle.loads(blob)
    assert worker is not fs
    assert worker.cat_file(f"{repo.id}/main/a.txt") == b"from the environment"
    assert worker.client.config.secret_access_key == server.secret_access_key
    # a worker whose environment has no credentials says so (typed), never uses another's
    monkeypatch.delenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY")
    monkeypatch.delenv("LAKECTL_CREDENTIALS_ACCESS_KEY_ID")
    LakeFSFileSystem.clear_instance_cache()
    with pytest.raises(NoAuthenticationFound, match="credentials='environment'"):
        pickle.loads(blob)
    # by contrast, keys given as arguments travel with the filesystem
    plain = LakeFSFileSystem(**server.client_options(), skip_instance_cache=True)
    assert server.secret_access_key.encode() in pickle.dumps(plain)


@pytest.mark.server("local")
def test_credentials_from_the_lakectl_file(
    server: Server, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "lakectl.yaml"
    config.write_text(
        f"server:\n  endpoint_url: {server.endpoint}\n"
        f"credentials:\n  access_key_id: {server.access_key_id}\n"
        f"  secret_access_key: {server.secret_access_key}\n"
    )
    monkeypatch.setenv("LAKECTL_CONFIG_FILE", str(config))
    monkeypatch.setenv("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", "not-these")  # not the file's
    monkeypatch.setenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", "not-these")
    tls = {"ssl_ca_cert": server.ca_cert} if server.ca_cert else {}  # not in a lakectl file
    fs = LakeFSFileSystem(credentials="lakectl", skip_instance_cache=True, **tls)
    assert fs.client.config.access_key_id == server.access_key_id
    _secret_free(fs, server.secret_access_key)
    assert server.endpoint.encode() not in pickle.dumps(fs)  # the host too comes from the file
    LakeFSFileSystem.clear_instance_cache()
    worker = pickle.loads(pickle.dumps(fs))
    worker.pipe_file(f"{repo.id}/main/b.txt", b"from the lakectl file")
    assert fs.cat_file(f"{repo.id}/main/b.txt") == b"from the lakectl file"


def test_credentials_are_one_source() -> None:
    with pytest.raises(ValidationError, match="credentials must be one of"):
        LakeFSFileSystem(credentials="keyring", skip_instance_cache=True)
    with pytest.raises(ValidationError, match="not both"):
        LakeFSFileSystem(credentials="environment", secret_access_key="s", skip_instance_cache=True)
    client = lakefs.Client(host="http://lakefs.invalid", access_key_id="a", secret_access_key="s")
    with pytest.raises(ValidationError, match="not both"):
        LakeFSFileSystem(client=client, credentials="environment", skip_instance_cache=True)
    with pytest.raises(NoAuthenticationFound, match="LAKECTL_"):
        LakeFSFileSystem(host="http://lakefs.invalid", credentials="environment")
