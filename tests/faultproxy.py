"""A fault-injecting HTTP/1.1 proxy for tests: loopback only, standard library only, bounded.

It sits between a client and a real local server and, request by request, forwards untouched or
injects a queued fault: a canned response (503 bursts), a connection dropped mid-response, or a
delay. Faults are consumed in order, one per matching request::

    with FaultProxy("127.0.0.1", upstream_port) as proxy:
        proxy.respond_next(3, status=503, headers={"Retry-After": "0"})
        client = make_client(proxy.url)
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType

__all__ = ["FaultProxy"]

Match = Callable[[str, str], bool]
_TIMEOUT = 30.0
_MAX_CONNECTIONS = 64
_CHUNK = 64 * 1024


@dataclass
class _Fault:
    kind: str  # respond | drop | delay
    match: Match | None
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    after_bytes: int = 0
    seconds: float = 0.0


class _Reader:
    """Buffered reads of lines and exact byte counts from a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        data = self.sock.recv(_CHUNK)
        self.buf += data
        return bool(data)

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError("closed")
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def head(self) -> list[bytes]:
        lines = [self.line()]
        while lines[-1]:
            lines.append(self.line())
        return lines[:-1]

    def exactly(self, n: int) -> Iterator[bytes]:
        while n > 0:
            if not self.buf and not self._fill():
                raise ConnectionError("closed")
            chunk, self.buf = self.buf[:n], self.buf[n:]
            n -= len(chunk)
            yield chunk

    def until_close(self) -> Iterator[bytes]:
        if self.buf:
            yield self.buf
            self.buf = b""
        while data := self.sock.recv(_CHUNK):
            yield data

    def chunked(self) -> Iterator[bytes]:
        """The raw bytes of a chunked body, framing included."""
        while True:
            size_line = self.line()
            yield size_line + b"\r\n"
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while trailer := self.line():
                    yield trailer + b"\r\n"
                yield b"\r\n"
                return
            yield from self.exactly(size + 2)


def _headers(lines: list[bytes]) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in lines:
        key, _, value = raw.decode("latin-1").partition(":")
        out[key.strip().lower()] = value.strip()
    return out


def _body(reader: _Reader, headers: dict[str, str], no_body: bool = False) -> Iterator[bytes]:
    if no_body:
        return iter(())
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return reader.chunked()
    if "content-length" in headers:
        return reader.exactly(int(headers["content-length"]))
    return iter(())


class FaultProxy:
    """An HTTP proxy on a free loopback port that forwards to ``upstream`` or injects faults.

    Args:
        host: the upstream host (must be a loopback address or ``localhost``).
        port: the upstream port.
    """

    def __init__(self, host: str, port: int) -> None:
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"FaultProxy only talks to loopback addresses, not {host!r}")
        self.upstream = (host, port)
        self._faults: deque[_Fault] = deque()
        self._requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._accept_thread = threading.Thread(
            target=self._accept, name="faultproxy-accept", daemon=True
        )
        self._accept_thread.start()

    @property
    def url(self) -> str:
        """The proxy's base URL, to use instead of the upstream's."""
        return f"http://127.0.0.1:{self.port}"

    # -- faults ------------------------------------------------------------------------------

    def respond_next(
        self,
        n: int,
        *,
        status: int = 503,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        match: Match | None = None,
    ) -> None:
        """Answer the next ``n`` (matching) requests with this response, upstream untouched."""
        for _ in range(n):
            self._queue(_Fault("respond", match, status, dict(headers or {}), body))

    def drop_next(self, n: int, *, after_bytes: int = 0, match: Match | None = None) -> None:
        """Forward the next ``n`` requests, relay the response's head and ``after_bytes`` of its
        body, then close the connection (a response cut short)."""
        for _ in range(n):
            self._queue(_Fault("drop", match, after_bytes=after_bytes))

    def delay_next(self, n: int, *, seconds: float, match: Match | None = None) -> None:
        """Hold the next ``n`` requests for ``seconds`` before forwarding them."""
        for _ in range(n):
            self._queue(_Fault("delay", match, seconds=seconds))

    def _queue(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def faults_left(self) -> int:
        """How many queued faults have not been used yet."""
        with self._lock:
            return len(self._faults)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """``(method, path)`` of every request seen, in order."""
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget queued faults and seen requests."""
        with self._lock:
            self._faults.clear()
            self._requests.clear()

    def _take(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            self._requests.append((method, path))
            for fault in self._faults:
                if fault.match is None or fault.match(method, path):
                    self._faults.remove(fault)
                    return fault
        return None

    # -- serving -----------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                if len(self._conns) >= _MAX_CONNECTIONS:
                    conn.close()
                    continue
                self._conns.add(conn)
            thread = threading.Thread(
                target=self._serve, args=(conn,), name="faultproxy-conn", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(_TIMEOUT)
        upstream: socket.socket | None = None
        reader = _Reader(client)
        try:
            while not self._closed.is_set():
                try:
                    head = reader.head()
                except (ConnectionError, OSError):
                    return
                method, path, _ = head[0].decode("latin-1").split(" ", 2)
                headers = _headers(head[1:])
                fault = self._take(method, path)
                if fault is not None and fault.kind == "respond":
                    for _ in _body(reader, headers):
                        pass  # read and discard, so the connection stays usable
                    client.sendall(self._canned(fault))
                    continue
                delayed = fault is not None and fault.kind == "delay"
                if delayed and self._closed.wait(fault.seconds):  # type: ignore[union-attr]
                    return
                if upstream is None:
                    upstream = socket.create_connection(self.upstream, timeout=_TIMEOUT)
                upstream.sendall(b"\r\n".join(head) + b"\r\n\r\n")
                for chunk in _body(reader, headers):
                    upstream.sendall(chunk)
                limit = fault.after_bytes if fault is not None and fault.kind == "drop" else None
                keep = self._relay(upstream, client, method, limit)
                if limit is not None or not keep:
                    return
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.close()
            with self._lock:
                self._conns.discard(client)

    def _relay(
        self, upstream: socket.socket, client: socket.socket, method: str, limit: int | None
    ) -> bool:
        """Copy one response; stop after ``limit`` body bytes if given. True if keep-alive holds."""
        reader = _Reader(upstream)
        head = reader.head()
        status = int(head[0].split(b" ", 2)[1])
        headers = _headers(head[1:])
        no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
        framed = "content-length" in headers or "chunked" in headers.get("transfer-encoding", "")
        body = _body(reader, headers, no_body) if (framed or no_body) else reader.until_close()
        sent = 0

        def send(data: bytes) -> bool:
            nonlocal sent
            if limit is not None and sent + len(data) >= limit:
                client.sendall(data[: max(limit - sent, 0)])
                return False
            client.sendall(data)
            sent += len(data)
            return True

        client.sendall(b"\r\n".join(head) + b"\r\n\r\n")
        for chunk in body:
            if not send(chunk):
                return False
        if limit is not None:
            return False  # the response fit under the limit: still drop the connection
        return (framed or no_body) and headers.get("connection", "").lower() != "close"

    @staticmethod
    def _canned(fault: _Fault) -> bytes:
        headers = {"Content-Length": str(len(fault.body)), **fault.headers}
        if fault.body and "Content-Type" not in headers:
            headers["Content-Type"] = "application/json"
        lines = [f"HTTP/1.1 {fault.status} Injected"] + [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + fault.body

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop accepting, close every connection and join the threads (bounded)."""
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + 5
        for thread in [self._accept_thread, *self._threads]:
            thread.join(max(deadline - time.monotonic(), 0))

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
