"""A call's total time is bounded: a server that drips its answer byte by byte (each read well
within the read timeout) is cut at the call's deadline. Live only: it needs real sockets, served
on loopback by a small server of the test's own."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

import lakefs
from lakefs import APITimeoutError, Timeout

pytestmark = pytest.mark.loopback

_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
    + b'{"id": "main", "commit_id": "c0ffee00"}'
    + b" "
)


class DripServer:
    """Answers every request by sending ``_ANSWER`` one byte every ``interval`` seconds,
    starting after ``skip`` bytes sent at once (0: drip the status line too)."""

    def __init__(self, skip: int, interval: float = 0.2) -> None:
        self.skip = skip
        self.interval = interval
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                conn.sendall(_ANSWER[: self.skip])
                for i in range(self.skip, len(_ANSWER)):
                    if self.stop.is_set():
                        return
                    conn.sendall(_ANSWER[i : i + 1])
                    time.sleep(self.interval)
            except OSError:
                return  # the client cut the connection: what the deadline is for

    def __enter__(self) -> DripServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(params=[0, 60], ids=["headers", "body"])
def drip(request: pytest.FixtureRequest) -> Iterator[DripServer]:
    with DripServer(skip=request.param) as server:
        yield server


def test_a_dripping_answer_is_cut_at_the_deadline(drip: DripServer) -> None:
    client = lakefs.Client(
        host=f"http://127.0.0.1:{drip.port}",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        secret_access_key="drip-secret",
        timeout=Timeout(connect=1, read=1, total=2),
        retries=3,
    )
    branch = lakefs.repository("repo", client=client).branch("main")
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match="total timeout"):
        branch.head()
    elapsed = time.monotonic() - started
    assert elapsed < 4, f"the call lasted {elapsed:.1f} s past its 2 s deadline"


def test_the_default_deadline_is_connect_plus_read(drip: DripServer) -> None:
    client = lakefs.Client(
        host=f"http://127.0.0.1:{drip.port}",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        secret_access_key="drip-secret",
        timeout=(1, 1),
    )
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        lakefs.repository("repo", client=client).branch("main").head()
    assert time.monotonic() - started < 4


def test_a_per_call_timeout_sets_the_deadline(drip: DripServer) -> None:
    client = lakefs.Client(
        host=f"http://127.0.0.1:{drip.port}",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        secret_access_key="drip-secret",
    )
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        lakefs.repository("repo", client=client).branch("main").head(
            timeout=Timeout(connect=1, read=5, total=1.5)
        )
    assert time.monotonic() - started < 3.5
