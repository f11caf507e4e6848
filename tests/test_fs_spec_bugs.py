"""Issue 19's bugs, found by lakefs-spec's users: metadata and content types on every write,
errors of files (close included) as Python's, ``"ab"`` and reads of a deleted object."""

from __future__ import annotations

from pathlib import Path

import pytest

import lakefs
from lakefs import Client
from lakefs.fs import LakeFSFileSystem, UnsupportedModeError
from lakefs.testing import MockRequest, MockResponse, mock_client
from tests.conftest import Repo, Server

pytestmark = pytest.mark.server("local")

_BRANCH = {"id": "main", "commit_id": "c" * 64}
_STATS = {
    "path": "big.bin",
    "path_type": "object",
    "physical_address": "local://x",
    "checksum": "abc",
    "mtime": 1700000000,
    "size_bytes": 10_000_000,
    "content_type": "application/octet-stream",
}


def _mock_fs(handler: object) -> LakeFSFileSystem:
    return LakeFSFileSystem(
        client=mock_client(handler),  # type: ignore[arg-type]
        pre_signed=False,
        max_workers=1,
        skip_instance_cache=True,
    )


@pytest.fixture
def fs(client: Client) -> LakeFSFileSystem:
    return LakeFSFileSystem(client=client, max_workers=1, skip_instance_cache=True)


def test_every_write_path_carries_metadata_and_content_type(
    fs: LakeFSFileSystem, repo: Repo, tmp_path: Path
) -> None:
    root = f"{repo.id}/main"
    meta = {"k": "v"}
    local = tmp_path / "local.csv"
    local.write_bytes(b"a,b\n")
    fs.pipe(f"{root}/pipe", b"x", metadata=meta, content_type="application/x-pipe")
    fs.pipe_file(f"{root}/over", b"x", metadata=meta, content_type="application/x-over")
    fs.pipe_file(
        f"{root}/create", b"x", mode="create", metadata=meta, content_type="application/x-custom"
    )
    fs.put_file(str(local), f"{root}/put.csv", metadata=meta)
    fs.put_file(
        str(local), f"{root}/put-create", mode="create", metadata=meta, content_type="text/x-c"
    )
    fs.put(str(local), f"{root}/put-many.csv", metadata=meta)
    with fs.open(f"{root}/open", "wb", metadata=meta, content_type="application/x-open") as f:
        f.write(b"x")
    fs.touch(f"{root}/touched", metadata=meta)
    expected = {
        "pipe": "application/x-pipe",
        "over": "application/x-over",
        "create": "application/x-custom",
        "put.csv": "text/csv",
        "put-create": "text/x-c",
        "put-many.csv": "text/csv",
        "open": "application/x-open",
        "touched": "application/octet-stream",
    }
    for name, content_type in expected.items():
        info = fs.info(f"{root}/{name}")
        assert (name, info["metadata"], info["content_type"]) == (name, meta, content_type)


def test_what_a_write_cannot_carry_is_refused(fs: LakeFSFileSystem, repo: Repo) -> None:
    root = f"{repo.id}/main"
    fs.pipe_file(f"{root}/a", b"x")
    with pytest.raises(lakefs.ValidationError, match="metadata"):
        fs.cp_file(f"{root}/a", f"{root}/b", metadata={"k": "v"})
    with pytest.raises(lakefs.ValidationError, match="metdata"):
        fs.pipe_file(f"{root}/c", b"x", metdata={"k": "v"})  # a typo is named, not dropped
    with pytest.raises(lakefs.ValidationError, match="contnt_type"):
        fs.put_file(__file__, f"{root}/d", contnt_type="text/plain")
    assert not fs.exists(f"{root}/b")
    assert not fs.exists(f"{root}/c")


def test_a_403_when_a_written_file_closes_is_a_permission_error() -> None:
    def handler(request: MockRequest) -> MockResponse:
        if request.method == "GET" and request.path.endswith("/branches/main"):
            return MockResponse.json(_BRANCH)
        if request.method == "POST" and request.path.endswith("/objects"):
            return MockResponse.json({"message": "insufficient permissions"}, status=403)
        return MockResponse.json({"message": "not found"}, status=404)

    fs = _mock_fs(handler)
    f = fs.open("repo/main/x.csv", "wb")
    f.write(b"a,b\n")
    with pytest.raises(PermissionError) as refused:
        f.close()
    assert refused.value.filename == "repo/main/x.csv"
    assert isinstance(refused.value.__cause__, lakefs.ForbiddenError)
    with pytest.raises(PermissionError), fs.open("repo/main/y.csv", "wb") as g:
        g.write(b"a,b\n")


def test_append_is_not_implemented_and_a_lakefs_error() -> None:
    fs = _mock_fs(lambda request: MockResponse.json(_BRANCH))
    for mode in ("ab", "a", "r+b"):
        with pytest.raises(NotImplementedError) as refused:
            fs.open("repo/main/x", mode)
        assert isinstance(refused.value, UnsupportedModeError)
        assert isinstance(refused.value, lakefs.LakeFSError)


def test_a_read_of_an_object_deleted_meanwhile_names_it() -> None:
    deleted = False

    def handler(request: MockRequest) -> MockResponse:
        if request.path.endswith("/objects/stat"):
            return MockResponse.json(_STATS)
        if request.method == "GET" and request.path.endswith("/objects"):
            if deleted:
                return MockResponse.json({"message": "object not found"}, status=404)
            return MockResponse(
                206, b"\x00" * 10, {"Content-Range": "bytes 0-9/10000000", "Content-Length": "10"}
            )
        return MockResponse.json({"message": "not found"}, status=404)

    fs = _mock_fs(handler)
    with fs.open("repo/main/big.bin", "rb", block_size=10) as f:
        f.read(10)
        deleted = True
        f.seek(5_000_000)
        with pytest.raises(FileNotFoundError) as gone:
            f.read(10)
    assert gone.value.filename == "repo/main/big.bin"
    assert "repo/main/big.bin" in str(gone.value)


# -- the constructor: lakefs-spec's names, typos, explicit credentials -----------------------


_OTHER_ENV = {
    "LAKECTL_SERVER_ENDPOINT_URL": "http://env.example:8000",
    "LAKECTL_CREDENTIALS_ACCESS_KEY_ID": "AKIAENVIRONMENTKEY00",
    "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY": "environment-secret",
}


def _plain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str]) -> None:
    """This process's credential sources: ``env`` only (no lakectl file, no lakefs.init())."""
    for name in list(__import__("os").environ):
        if name.startswith("LAKECTL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_lakefs_spec_credential_names_are_aliases_never_replaced(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _plain(monkeypatch, tmp_path, _OTHER_ENV)
    fs = LakeFSFileSystem(
        host="http://given.example:8000",
        username="AKIAGIVENKEY00000000",
        password="given-secret",
        skip_instance_cache=True,
    )
    config = fs.client.config
    assert config.host.startswith("http://given.example:8000")
    assert config.access_key_id == "AKIAGIVENKEY00000000"
    assert config.secret_access_key == "given-secret"
    same = LakeFSFileSystem(
        host="http://given.example:8000",
        access_key_id="AKIAGIVENKEY00000000",
        secret_access_key="given-secret",
        skip_instance_cache=True,
    )
    assert same.client.config.access_key_id == "AKIAGIVENKEY00000000"
    # the host alone may come from the environment; the keys never do
    no_host = LakeFSFileSystem(
        username="AKIAGIVENKEY00000000", password="given-secret", skip_instance_cache=True
    )
    assert no_host.client.config.host.startswith("http://env.example:8000")
    assert no_host.client.config.access_key_id == "AKIAGIVENKEY00000000"
    token = LakeFSFileSystem(
        host="http://given.example:8000", access_token="a.b.c", skip_instance_cache=True
    )
    assert token.client.config.jwt_token == "a.b.c"
    assert token.client.config.access_key_id is None
    # an explicit pair's own options travel: rebuilt from them, the same identity
    assert fs.storage_options["username"] == "AKIAGIVENKEY00000000"


def test_a_key_without_its_secret_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _plain(monkeypatch, tmp_path, _OTHER_ENV)
    with pytest.raises(lakefs.ValidationError, match="password"):
        LakeFSFileSystem(
            host="http://h:8000", username="AKIAGIVENKEY00000000", skip_instance_cache=True
        )
    with pytest.raises(lakefs.ValidationError, match="access_key_id"):
        LakeFSFileSystem(host="http://h:8000", secret_access_key="s", skip_instance_cache=True)
    with pytest.raises(lakefs.ValidationError, match="another name"):
        LakeFSFileSystem(access_key_id="A", username="B", password="s", skip_instance_cache=True)


def test_unknown_keywords_are_named_fsspec_options_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _plain(monkeypatch, tmp_path, _OTHER_ENV)
    with pytest.raises(lakefs.ValidationError, match="acess_key_id"):
        LakeFSFileSystem(acess_key_id="x", skip_instance_cache=True)
    with pytest.raises(lakefs.ValidationError, match="api_key"):
        LakeFSFileSystem(api_key="x", skip_instance_cache=True)
    fs = LakeFSFileSystem(
        use_listings_cache=False,
        listings_expiry_time=1,
        max_paths=10,
        skip_instance_cache=True,
        asynchronous=False,
        loop=None,
        pre_sign=False,
    )
    assert fs.pre_signed is False
    assert not fs.dircache.use_listings_cache
    via_fsspec = __import__("fsspec").filesystem("lakefs", use_listings_cache=False)
    assert isinstance(via_fsspec, LakeFSFileSystem)


def test_wrong_given_keys_are_refused_though_the_environment_has_good_ones(
    server: Server, repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _plain(
        monkeypatch,
        tmp_path,
        {
            "LAKECTL_SERVER_ENDPOINT_URL": server.endpoint,
            "LAKECTL_CREDENTIALS_ACCESS_KEY_ID": server.access_key_id,
            "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY": server.secret_access_key,
        },
    )
    extra = {} if server.ca_cert is None else {"ssl_ca_cert": server.ca_cert}
    wrong = LakeFSFileSystem(
        host=server.endpoint,
        username="AKIAJNOBODYNOBODY000",
        password="wrong",
        skip_instance_cache=True,
        **extra,
    )
    with pytest.raises(PermissionError):
        wrong.ls(f"{repo.id}/main")
    right = LakeFSFileSystem(
        host=server.endpoint,
        username=server.access_key_id,
        password=server.secret_access_key,
        skip_instance_cache=True,
        **extra,
    )
    right.pipe_file(f"{repo.id}/main/a", b"x")
    assert right.ls(f"{repo.id}/main", detail=False) == [f"{repo.id}/main/a"]
