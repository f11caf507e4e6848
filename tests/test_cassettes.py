"""Cassette hygiene, and the recording machinery's own rules (no server needed)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from vcr.request import Request

from tests.conftest import CASSETTES
from tests.recording import Recording, _before_record_request, scrub

# Anything that looks like a credential, a signature or a machine path.
FORBIDDEN = {
    "authorization header": re.compile(r"^\s*[Aa]uthorization:", re.M),
    "basic or bearer token": re.compile(r"\b(Basic|Bearer) [A-Za-z0-9+/=._-]{8,}"),
    "lakeFS development secret": re.compile(r"wJalrXUtnFEMI"),
    "access key id": re.compile(r"AKIA[0-9A-Z]{12,}"),
    "S3 signature": re.compile(r"X-Amz-(Signature|Credential|Security-Token)=(?!REDACTED)"),
    "secret in a body": re.compile(r'"secret_access_key"\s*:\s*"(?!REDACTED)'),
    "cookie": re.compile(r"^\s*(Set-)?Cookie:", re.M | re.I),
    "absolute local path": re.compile(r"(local://)?/(tmp|root|home|work|var|Users)/"),
    "loopback address": re.compile(r"(127\.0\.0\.1|localhost):\d+"),
}


def _cassettes() -> list[Path]:
    return sorted(CASSETTES.rglob("*.yaml"))


def test_there_are_cassettes() -> None:
    assert len(_cassettes()) >= 6


@pytest.mark.parametrize("name", sorted(FORBIDDEN))
def test_no_cassette_holds_secrets_or_machine_paths(name: str) -> None:
    rx = FORBIDDEN[name]
    offenders = [str(p.relative_to(CASSETTES)) for p in _cassettes() if rx.search(p.read_text())]
    assert offenders == [], f"{name} found in {offenders}"


def test_scrub_rewrites_hosts_signatures_paths_and_namespaces() -> None:
    text = (
        '{"presigned_url":"http://127.0.0.1:41234/b/k?X-Amz-Credential=AKIAXYZ%2F1'
        '\\u0026X-Amz-Signature=abcdef","physical_address":"local:///tmp/lakefs-server-x1_y/'
        'block/run-0123456789ab/data","token":"eyJhb"}'
    )
    out = scrub(text)
    assert "127.0.0.1" not in out
    assert "http://lakefs.invalid/b/k" in out
    assert "AKIAXYZ" not in out
    assert "abcdef" not in out
    assert "local:///LAKEFS_DIR/block/run-NS/data" in out
    assert '"token":"REDACTED"' in out


def test_request_bodies_hash_once_and_ignore_multipart_boundaries() -> None:
    def req(boundary: str) -> Request:
        body = f"--{boundary}\r\ncontent\r\n--{boundary}--".encode()
        ctype = f"multipart/form-data; boundary={boundary}"
        return Request("POST", "http://127.0.0.1:1/x", body, {"Content-Type": ctype})

    a, b = _before_record_request(req("aaa")), _before_record_request(req("bbb"))
    assert a.body == b.body
    assert a.body.startswith(b"sha256:")
    assert _before_record_request(a).body == a.body  # idempotent: it runs again on load


def test_a_failed_recording_keeps_the_previous_cassette(tmp_path: Path) -> None:
    target = tmp_path / "c.yaml"
    target.write_text("previous")
    rec = Recording(target)
    rec.tmp.write_text("partial")
    rec.discard()
    assert target.read_text() == "previous"
    assert not rec.tmp.exists()
    rec = Recording(target)
    rec.tmp.write_text("new")
    rec.commit()
    assert target.read_text() == "new"


def test_replay_refuses_a_request_that_was_not_recorded() -> None:
    import urllib3
    from vcr.errors import CannotOverwriteExistingCassetteException

    from tests.recording import PLACEHOLDER_HOST, replaying

    path = CASSETTES / "test_harness" / "test_local_health_and_storage_config.yaml"
    with replaying(path), pytest.raises(CannotOverwriteExistingCassetteException):
        urllib3.PoolManager().request("GET", f"{PLACEHOLDER_HOST}/api/v1/not-recorded")


def test_replay_blocks_real_sockets(lakefs_mode: str) -> None:
    import socket

    if lakefs_mode != "replay":
        pytest.skip("sockets are only blocked in replay mode")  # counted as skipped, live only
    with pytest.raises(OSError, match="network blocked"), socket.socket() as s:
        s.connect(("127.0.0.1", 9))


def _inherited_tests(module: Path) -> set[str]:
    """The test methods a module's classes have, their bases' included (tests/test_fs_conformance
    runs fsspec's suite, whose tests, parametrized ones among them, are not in its source)."""
    if not module.exists():
        return set()
    mod = importlib.import_module(f"tests.{module.stem}")
    classes = [
        c for c in vars(mod).values() if isinstance(c, type) and c.__module__ == mod.__name__
    ]
    return {n for c in classes for n in dir(c) if n.startswith("test_") and callable(getattr(c, n))}


def test_every_cassette_belongs_to_a_test() -> None:
    """A cassette left by a renamed or removed test (or by a live-only one) is stale."""
    tests = Path(__file__).parent
    stale = []
    for path in _cassettes():
        module = tests / f"{path.parent.name}.py"
        name = path.stem.split("_lambda_")[0].split("[")[0]
        source = module.read_text() if module.exists() else ""
        base = re.sub(r"_(local|s3)_?$", "", name)
        has_test = f"def {name}(" in source or f"def {base}(" in source
        if not has_test and "(abstract." in source:  # a test inherited (and parametrized)
            inherited = _inherited_tests(module)
            has_test = any(path.stem == n or path.stem.startswith(f"{n}_") for n in inherited)
        live_only = "pytestmark = [pytest.mark.loopback" in source
        if live_only or not has_test:
            stale.append(str(path.relative_to(CASSETTES)))
    assert stale == []
