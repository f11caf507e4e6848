"""The local lakeFS launcher's clear errors in bad situations (no lakeFS needed)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from lakefs.testing import LakeFSBuildError, LocalLakeFS, ServerStartError, ensure_binary


def test_lakefs_bin_must_be_an_executable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAKEFS_BIN", str(tmp_path / "nope"))
    with pytest.raises(LakeFSBuildError, match="not an executable"):
        ensure_binary()


def test_no_go_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LAKEFS_BIN", raising=False)
    monkeypatch.setenv("LAKEFS_CACHE_DIR", str(tmp_path))  # no cached binary
    monkeypatch.setenv("PATH", str(tmp_path))  # no go
    with pytest.raises(LakeFSBuildError, match=r"Go >= 1\.26\.4 .*LAKEFS_BIN"):
        ensure_binary(log=False)


@pytest.mark.loopback
def test_a_taken_port_is_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ServerStartError, match="already in use"):
            LocalLakeFS(port=port, binary=Path("/bin/true")).start()


@pytest.mark.loopback
def test_a_port_in_time_wait_is_free(tmp_path: Path) -> None:
    """A port whose last connection lingers in TIME_WAIT (an earlier server on it, just
    stopped) is not 'already in use': the server can listen on it again at once."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            accepted.close()  # the server side closes first: its end enters TIME_WAIT
            client.recv(1)
    fake = tmp_path / "lakefs"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(ServerStartError) as info:
        LocalLakeFS(port=port, binary=fake).start()
    assert "exited with code 3" in str(info.value)  # it got as far as starting the server


@pytest.mark.loopback
def test_a_server_that_dies_at_start_shows_its_log(tmp_path: Path) -> None:
    fake = tmp_path / "lakefs"
    fake.write_text("#!/bin/sh\necho 'fatal: something is wrong with the config' >&2\nexit 3\n")
    fake.chmod(0o755)
    server = LocalLakeFS(binary=fake)
    with pytest.raises(ServerStartError, match=r"(?s)exited with code 3.*something is wrong"):
        server.start()
    assert server._dir is None  # stopped and cleaned up
