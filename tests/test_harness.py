"""The harness itself, proven through raw ``lakefs_sdk`` calls in both configurations."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import lakefs_sdk
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from lakefs.testing import _build
from lakefs.testing._build import LAKEFS_VERSION
from tests.conftest import Repo, Server

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency on Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("cassette")


def _upload(sdk: lakefs_sdk.ApiClient, repo: Repo, path: str, data: bytes, tmp: Path) -> None:
    # lakefs_sdk's plain ApiClient reads `content` as a file path; keep the file name fixed, since
    # it is part of the multipart body that replay matches on.
    src = tmp / "content.bin"
    src.write_bytes(data)
    lakefs_sdk.ObjectsApi(sdk).upload_object(repo.id, "main", path, content=str(src))


@pytest.mark.server("local")
def test_local_health_and_storage_config(sdk: lakefs_sdk.ApiClient) -> None:
    lakefs_sdk.HealthCheckApi(sdk).health_check()
    config = lakefs_sdk.ConfigApi(sdk).get_config()
    assert config.version_config.version == LAKEFS_VERSION
    assert config.storage_config.blockstore_type == "local"
    assert config.storage_config.import_support is True
    assert config.storage_config.pre_sign_support is False


@pytest.mark.server("s3")
def test_s3_health_and_storage_config(sdk: lakefs_sdk.ApiClient) -> None:
    lakefs_sdk.HealthCheckApi(sdk).health_check()
    storage = lakefs_sdk.ConfigApi(sdk).get_config().storage_config
    assert storage.blockstore_type == "s3"
    assert storage.pre_sign_support is True
    assert storage.pre_sign_multipart_upload is True


@pytest.mark.server("local")
def test_upload_commit_list_read_back(
    sdk: lakefs_sdk.ApiClient, repo: Repo, tmp_path: Path
) -> None:
    data = b"hello lakeFS\n" * 100
    _upload(sdk, repo, "data/hello.txt", data, tmp_path)
    lakefs_sdk.CommitsApi(sdk).commit(
        repo.id, "main", lakefs_sdk.CommitCreation(message="add hello")
    )
    listing = lakefs_sdk.ObjectsApi(sdk).list_objects(repo.id, "main", prefix="data/")
    assert [(o.path, o.size_bytes) for o in listing.results] == [("data/hello.txt", len(data))]
    assert bytes(lakefs_sdk.ObjectsApi(sdk).get_object(repo.id, "main", "data/hello.txt")) == data
    log = lakefs_sdk.RefsApi(sdk).log_commits(repo.id, "main")
    assert log.results[0].message == "add hello"


@pytest.mark.server("local")
def test_ranged_reads(sdk: lakefs_sdk.ApiClient, repo: Repo, tmp_path: Path) -> None:
    data = bytes(range(256)) * 4
    _upload(sdk, repo, "r.bin", data, tmp_path)
    objects = lakefs_sdk.ObjectsApi(sdk)
    # Same URI, different ranges, asked in an order that differs from the offsets': the Range
    # matcher keeps them apart on replay.
    assert (
        bytes(objects.get_object(repo.id, "main", "r.bin", range="bytes=700-709")) == data[700:710]
    )
    assert bytes(objects.get_object(repo.id, "main", "r.bin", range="bytes=0-9")) == data[:10]
    assert bytes(objects.get_object(repo.id, "main", "r.bin", range="bytes=-5")) == data[-5:]
    with pytest.raises(lakefs_sdk.ApiException) as err:
        objects.get_object(repo.id, "main", "r.bin", range="bytes=5000-6000")
    assert err.value.status == 416


@pytest.mark.server("s3")
def test_presigned_upload_link_and_read(
    sdk: lakefs_sdk.ApiClient, repo: Repo, server: Server
) -> None:
    data = b"pre-signed bytes " * 64
    staging = lakefs_sdk.StagingApi(sdk)
    location = staging.get_physical_address(repo.id, "main", "ps/object.bin", presign=True)
    assert location.presigned_url is not None
    put = server.http().request("PUT", location.presigned_url, body=data)
    assert put.status == 200
    stats = staging.link_physical_address(
        repo.id,
        "main",
        "ps/object.bin",
        lakefs_sdk.StagingMetadata(
            staging=lakefs_sdk.StagingLocation(physical_address=location.physical_address),
            checksum=put.headers["ETag"].strip('"'),
            size_bytes=len(data),
            content_type="application/x-test",
        ),
    )
    assert stats.size_bytes == len(data)
    assert stats.content_type == "application/x-test"
    objects = lakefs_sdk.ObjectsApi(sdk)
    stat = objects.stat_object(repo.id, "main", "ps/object.bin", presign=True)
    assert "X-Amz-Signature=" in stat.physical_address
    got = server.http().request("GET", stat.physical_address)
    assert got.status == 200
    assert got.data == data
    # getObject with presign answers 302; urllib3 follows it to the object store.
    assert bytes(objects.get_object(repo.id, "main", "ps/object.bin", presign=True)) == data


@pytest.mark.server("local")
def test_import_local_directory(
    sdk: lakefs_sdk.ApiClient, repo: Repo, server: Server, lakefs_mode: str
) -> None:
    source = server.import_dir / repo.id
    files = {"a.txt": b"alpha", "sub/b.txt": b"bravo" * 10, "sub/c.bin": bytes(range(50))}
    if lakefs_mode != "replay":  # the directory only matters to a real server
        for rel, content in files.items():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            (source / rel).write_bytes(content)
    imports = lakefs_sdk.ImportApi(sdk)
    started = imports.import_start(
        repo.id,
        "main",
        lakefs_sdk.ImportCreation(
            paths=[
                lakefs_sdk.ImportLocation(
                    type="common_prefix", path=f"local://{source}/", destination="imported/"
                )
            ],
            commit=lakefs_sdk.CommitCreation(message="import"),
        ),
    )
    deadline = time.monotonic() + 60
    while not (status := imports.import_status(repo.id, "main", started.id)).completed:
        assert status.error is None
        assert time.monotonic() < deadline, "import did not finish"
        time.sleep(0.2 if lakefs_mode != "replay" else 0)
    assert status.ingested_objects == len(files)
    objects = lakefs_sdk.ObjectsApi(sdk)
    for rel, content in files.items():
        assert bytes(objects.get_object(repo.id, "main", f"imported/{rel}")) == content


# -- the one lakeFS version ------------------------------------------------------------------------


def _lakefs_sdk_requirement() -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (req,) = (r for r in map(Requirement, project["dependencies"]) if r.name == "lakefs-sdk")
    return req


def test_the_lakefs_sdk_range_starts_at_the_pinned_version_and_stops_at_the_next_major() -> None:
    """pyproject's lakefs-sdk range is ``>=LAKEFS_VERSION,<next major``: the oldest release
    accepted is the one the SDK is generated from, tested against and recorded with."""
    specs = {(s.operator, s.version) for s in _lakefs_sdk_requirement().specifier}
    major = Version(LAKEFS_VERSION).major
    assert specs == {(">=", LAKEFS_VERSION), ("<", str(major + 1))}


def test_the_dev_group_pins_the_oldest_end_of_the_range() -> None:
    """.venv (make setup, make test-pythons) tests the lakefs-sdk the cassettes were recorded with;
    make test-sdk-range adds the newest."""
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    pins = [Requirement(r) for r in groups["dev"] if Requirement(r).name == "lakefs-sdk"]
    assert [str(r.specifier) for r in pins] == [f"=={LAKEFS_VERSION}"]


def test_the_installed_lakefs_sdk_is_in_the_range() -> None:
    """Whichever end of the range this venv has (make test-sdk-range runs both)."""
    assert Version(lakefs_sdk.__version__) in _lakefs_sdk_requirement().specifier


def test_the_server_version_does_not_follow_the_installed_lakefs_sdk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A newer lakefs-sdk in the venv (1.88.0, say) still finds (or builds) the pinned server."""
    monkeypatch.setattr(lakefs_sdk, "__version__", "1.99.0")
    monkeypatch.delenv("LAKEFS_BIN", raising=False)
    monkeypatch.setenv("LAKEFS_CACHE_DIR", str(tmp_path))
    binary = tmp_path / f"lakefs-{LAKEFS_VERSION}" / "lakefs"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert _build.lakefs_version() == LAKEFS_VERSION
    assert _build.ensure_binary(log=False) == binary


def test_the_spec_the_go_module_and_the_generated_code_are_of_the_pinned_version() -> None:
    """The generator reads LAKEFS_VERSION (through _build.py, loaded on its own) and its committed
    spec; the wrapper Go module builds that server; the generated modules say it."""
    from codegen.__main__ import _build_module, committed_spec

    assert _build_module().lakefs_version() == LAKEFS_VERSION
    assert committed_spec(LAKEFS_VERSION).name == f"lakefs-{LAKEFS_VERSION}.yml"  # sha256 checked
    gomod = (ROOT / "src/lakefs/testing/gomod/go.mod").read_text()
    assert re.findall(r"^\s*github\.com/treeverse/lakefs v(\S+)", gomod, re.M) == [LAKEFS_VERSION]
    headers = {p.read_text().splitlines()[0] for p in (ROOT / "src/lakefs/_generated").glob("*.py")}
    assert headers == {
        f"# Generated from the lakeFS {LAKEFS_VERSION} OpenAPI document by codegen/ "
        "(make generate). Do not edit."
    }
