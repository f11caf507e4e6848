"""The local lakeFS launcher's clear errors in bad situations (no lakeFS needed)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
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


# Starts a LocalLakeFS (lakeFS, gofakes3 and nginx in front of it) and tells its port, its
# directory and the process groups of its programs, then waits to be killed.
_HOLDER = """
import time
from lakefs.testing import LocalLakeFS
server = LocalLakeFS("s3", tls=True).start()
print(server.port, server.directory, *(proc.pid for proc in server._procs), flush=True)
time.sleep(600)
"""


def _group_running(pgid: int) -> bool:
    """Whether a process of group ``pgid`` is still running (zombies, waiting to be reaped by
    whoever adopted them, do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


@pytest.mark.loopback
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_servers_die_with_the_python_process_that_started_them() -> None:
    """SIGKILL runs no finalizer: each program's watchdog sees its lifeline to the Python
    process close and stops the program."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline().split()
    finally:
        holder.send_signal(signal.SIGKILL)
        _, err = holder.communicate()
    assert len(line) == 5, err  # lakeFS's port, its directory, gofakes3, nginx and lakeFS
    port, directory, groups = int(line[0]), Path(line[1]), [int(pgid) for pgid in line[2:]]
    try:
        deadline = time.monotonic() + 5
        while any(_group_running(pgid) for pgid in groups) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pgid for pgid in groups if _group_running(pgid)]
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        for pgid in groups:  # should the test fail, leave nothing running
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)  # only a finalizer would have removed it
