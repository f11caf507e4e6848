"""A fault-injecting HTTP/1.1 proxy for tests: loopback only, standard library only, bounded.

It sits between a client and a real local server and, request by request, forwards untouched or
injects a queued fault: a canned response (503 bursts), a connection dropped mid-response, a
delay, a connection reset before the request reached the server, or one reset after the server
answered (it acted; the client never hears of it). Faults are consumed in order, one per
matching request::

    with FaultProxy("127.0.0.1", upstream_port) as proxy:
        proxy.respond_next(3, status=503, headers={"Retry-After": "0"})
        client = make_client(proxy.url)

Or drawn at random, from a seeded generator, for a soak (``inject_randomly``); ``injected``
counts the faults applied, by kind.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
import socket
import ssl
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

__all__ = ["RANDOM_FAULT_KINDS", "FaultProxy"]

Match = Callable[[str, str], bool]
Rate = float | Callable[[str, str], float]  # a chance, or one per (method, path)
_TIMEOUT = 30.0
_MAX_CONNECTIONS = 64
_CHUNK = 64 * 1024


RANDOM_FAULT_KINDS = ("503", "reset-before-answer", "reset-after-answer", "cut-answer", "slow")
"""What ``inject_randomly`` draws from: a burst of 503s, a connection reset before the request
reached the server, one reset after the server answered, an answer cut short, a slow answer."""


@dataclass
class _Fault:
    kind: str  # respond | drop | delay | reset | lose
    match: Match | None
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    after_bytes: int = 0
    seconds: float = 0.0
    request_bytes: int | None = None  # reset: request body bytes read first (None: all of it)
    strict: bool = False  # drop: make sure the client gets less than the whole answer
    label: str = ""  # what ``injected`` counts it as


@dataclass
class _Chaos:
    """The settings of ``inject_randomly``."""

    rate: Rate
    rng: random.Random
    weights: dict[str, float]
    max_burst: int
    delay: tuple[float, float]
    cut_bytes: int
    match: Match | None
    left: int | None  # faults still allowed (None: no bound)


class _Reader:
    """Buffered reads of lines and exact byte counts from a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.at_end = False

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
        """The raw bytes of a chunked body, framing included (``at_end`` turns True just before
        the last chunk's size line is yielded)."""
        self.at_end = False
        while True:
            size_line = self.line()
            size = int(size_line.split(b";")[0], 16)
            self.at_end = size == 0
            yield size_line + b"\r\n"
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
        ca_cert: the upstream speaks TLS, with a certificate of this CA (clients still talk
            plain http to the proxy, which sees and can break every exchange).
    """

    def __init__(self, host: str, port: int, ca_cert: str | None = None) -> None:
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"FaultProxy only talks to loopback addresses, not {host!r}")
        self.upstream = (host, port)
        self._tls = ssl.create_default_context(cafile=ca_cert) if ca_cert else None
        self._faults: deque[_Fault] = deque()
        self._chaos: _Chaos | None = None
        self._injected: Counter[str] = Counter()
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

    @classmethod
    def before(cls, endpoint: str, *, ca_cert: str | None = None) -> FaultProxy:
        """A proxy in front of ``endpoint`` (``http://`` or ``https://`` with ``ca_cert``)."""
        parts = urlsplit(endpoint)
        default = 443 if parts.scheme == "https" else 80
        tls = ca_cert if parts.scheme == "https" else None
        return cls(parts.hostname or "127.0.0.1", parts.port or default, tls)

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
            fault = _Fault("respond", match, status, dict(headers or {}), body)
            fault.label = str(status)
            self._queue(fault)

    def drop_next(self, n: int, *, after_bytes: int = 0, match: Match | None = None) -> None:
        """Forward the next ``n`` requests, relay the response's head and ``after_bytes`` of its
        body, then close the connection (a response cut short)."""
        for _ in range(n):
            self._queue(_Fault("drop", match, after_bytes=after_bytes, label="cut-answer"))

    def delay_next(self, n: int, *, seconds: float, match: Match | None = None) -> None:
        """Hold the next ``n`` requests for ``seconds`` before forwarding them."""
        for _ in range(n):
            self._queue(_Fault("delay", match, seconds=seconds, label="slow"))

    def reset_next(
        self, n: int, *, after_request_bytes: int | None = None, match: Match | None = None
    ) -> None:
        """Read the next ``n`` requests (all of each body, or its first ``after_request_bytes``)
        and reset the connection without forwarding them: the server never sees them."""
        for _ in range(n):
            fault = _Fault("reset", match, request_bytes=after_request_bytes)
            fault.label = "reset-before-answer"
            self._queue(fault)

    def lose_next(self, n: int, *, match: Match | None = None) -> None:
        """Forward the next ``n`` requests and read the server's whole answer, then reset the
        connection without relaying any of it: the server acted, the client never hears of it."""
        for _ in range(n):
            self._queue(_Fault("lose", match, label="reset-after-answer"))

    def inject_randomly(
        self,
        rate: Rate,
        *,
        seed: int,
        weights: Mapping[str, float] | None = None,
        max_burst: int = 3,
        delay: tuple[float, float] = (0.05, 0.5),
        cut_bytes: int = 4096,
        match: Match | None = None,
        max_faults: int | None = None,
    ) -> None:
        """From now on, fault a ``rate`` of the (matching) requests, drawn from a generator
        seeded with ``seed``; queued faults still come first.

        Args:
            rate: the chance, per request, of a fault (at most 0.5), or a function of the
                request's method and path (its query string included) that returns it.
            seed: the seed of the draws (which requests, which fault, its parameters).
            weights: the relative weight of each kind of ``RANDOM_FAULT_KINDS`` (default equal;
                kinds left out are never drawn): ``"503"`` answers a burst of 1 to
                ``max_burst`` 503s to the same method and path (half of them with
                ``Retry-After: 0``), ``"reset-before-answer"`` as ``reset_next`` (half of them
                part-way through the request body), ``"reset-after-answer"`` as ``lose_next``,
                ``"cut-answer"`` relays fewer bytes than the whole answer (at most
                ``cut_bytes`` of its body), then drops the connection, ``"slow"`` holds the
                request for a time drawn from ``delay`` (seconds) before forwarding it.
            max_burst: the longest burst of 503s.
            delay: the range of a slow answer's delay, in seconds.
            cut_bytes: the most body bytes relayed of a cut answer.
            match: fault only the requests it accepts.
            max_faults: stop drawing after this many faults (a burst counts once).
        """
        if not callable(rate) and not 0 <= rate <= 0.5:
            raise ValueError(f"rate must be within [0, 0.5], not {rate}")
        chosen = dict.fromkeys(RANDOM_FAULT_KINDS, 1.0) if weights is None else dict(weights)
        unknown = set(chosen) - set(RANDOM_FAULT_KINDS)
        if unknown or not chosen or min(chosen.values()) < 0 or sum(chosen.values()) <= 0:
            raise ValueError(f"weights must give kinds of {RANDOM_FAULT_KINDS}, not {chosen}")
        if max_burst < 1 or not 0 <= delay[0] <= delay[1] or cut_bytes < 0:
            raise ValueError("max_burst must be >= 1, delay a (low, high) range, cut_bytes >= 0")
        with self._lock:
            self._chaos = _Chaos(
                rate, random.Random(seed), chosen, max_burst, delay, cut_bytes, match, max_faults
            )

    def stop_injecting(self) -> None:
        """Stop drawing random faults (queued ones are kept)."""
        with self._lock:
            self._chaos = None

    @property
    def injected(self) -> Counter[str]:
        """The faults applied so far, by kind (``RANDOM_FAULT_KINDS`` names; a canned answer
        counts as its status; ``"503-burst"`` counts random bursts)."""
        with self._lock:
            return Counter(self._injected)

    def _draw(self, chaos: _Chaos, method: str, path: str) -> _Fault | None:
        """A random fault for this request, or None (called with the lock held)."""
        rng = chaos.rng
        if chaos.match is not None and not chaos.match(method, path):
            return None
        rate = chaos.rate(method, path) if callable(chaos.rate) else chaos.rate
        if chaos.left == 0 or rng.random() >= min(max(rate, 0.0), 0.5):
            return None
        if chaos.left is not None:
            chaos.left -= 1
        kinds = list(chaos.weights)
        kind = rng.choices(kinds, [chaos.weights[k] for k in kinds])[0]
        if kind == "503":
            headers = {"Retry-After": "0"} if rng.random() < 0.5 else {}
            body = b'{"message":"injected: service unavailable"}'
            burst = rng.randint(1, chaos.max_burst)
            self._injected["503-burst"] += 1

            def same(m: str, p: str) -> bool:
                return (m, p) == (method, path)

            for _ in range(burst - 1):  # the retries of this very request meet the rest
                self._faults.append(_Fault("respond", same, 503, dict(headers), body, label="503"))
            return _Fault("respond", None, 503, headers, body, label="503")
        if kind == "reset-before-answer":
            part = rng.randint(0, 64 * 1024) if rng.random() < 0.5 else None
            return _Fault("reset", None, request_bytes=part, label=kind)
        if kind == "reset-after-answer":
            return _Fault("lose", None, label=kind)
        if kind == "cut-answer":
            cut = rng.randint(0, chaos.cut_bytes)
            return _Fault("drop", None, after_bytes=cut, strict=True, label=kind)
        return _Fault("delay", None, seconds=rng.uniform(*chaos.delay), label="slow")

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
        """Forget queued faults, seen requests and injected counts; stop random faults."""
        with self._lock:
            self._faults.clear()
            self._requests.clear()
            self._injected.clear()
            self._chaos = None

    def _take(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            self._requests.append((method, path))
            found: _Fault | None = None
            for fault in self._faults:
                if fault.match is None or fault.match(method, path):
                    self._faults.remove(fault)
                    found = fault
                    break
            if found is None and self._chaos is not None:
                found = self._draw(self._chaos, method, path)
            if found is not None:
                self._injected[found.label or found.kind] += 1
            return found

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
                if fault is not None and fault.kind == "reset":
                    seen = 0
                    for chunk in _body(reader, headers):
                        seen += len(chunk)
                        if fault.request_bytes is not None and seen >= fault.request_bytes:
                            break
                    _abort(client)
                    return
                delayed = fault is not None and fault.kind == "delay"
                if delayed and self._closed.wait(fault.seconds):  # type: ignore[union-attr]
                    return
                if upstream is None:
                    upstream = socket.create_connection(self.upstream, timeout=_TIMEOUT)
                    if self._tls is not None:
                        upstream = self._tls.wrap_socket(upstream, server_hostname=self.upstream[0])
                upstream.sendall(b"\r\n".join(head) + b"\r\n\r\n")
                for chunk in _body(reader, headers):
                    upstream.sendall(chunk)
                if fault is not None and fault.kind == "lose":
                    self._consume(upstream, method)
                    _abort(client)
                    return
                limit = fault.after_bytes if fault is not None and fault.kind == "drop" else None
                strict = fault is not None and fault.strict
                keep = self._relay(upstream, client, method, limit, strict)
                if limit is not None or not keep:
                    return
        except OSError:  # either side hung up (a client may drop a stream it no longer reads)
            return
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.close()
            with self._lock:
                self._conns.discard(client)

    @staticmethod
    def _consume(upstream: socket.socket, method: str) -> None:
        """Read one whole response from upstream and forget it."""
        reader = _Reader(upstream)
        head = reader.head()
        status = int(head[0].split(b" ", 2)[1])
        headers = _headers(head[1:])
        no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
        framed = "content-length" in headers or "chunked" in headers.get("transfer-encoding", "")
        for _ in _body(reader, headers, no_body) if (framed or no_body) else reader.until_close():
            pass

    def _relay(
        self,
        upstream: socket.socket,
        client: socket.socket,
        method: str,
        limit: int | None,
        strict: bool = False,
    ) -> bool:
        """Copy one response; stop after ``limit`` body bytes if given (``strict``: and before
        its end: an answer without a body is cut in its status line). True if keep-alive
        holds."""
        reader = _Reader(upstream)
        head = reader.head()
        status = int(head[0].split(b" ", 2)[1])
        headers = _headers(head[1:])
        no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
        framed = "content-length" in headers or "chunked" in headers.get("transfer-encoding", "")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        body = _body(reader, headers, no_body) if (framed or no_body) else reader.until_close()
        if limit is not None and strict:
            length = -1 if chunked else int(headers.get("content-length", "-1"))
            if no_body or length == 0:  # nothing to cut but the head: relay no more than its
                # protocol name (a client reading a head cut later may take it for a whole one)
                client.sendall(head[0][: min(limit, len(b"HTTP/1.1"))])
                return False
            if length > 0:
                limit = min(limit, length - 1)
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
            if strict and limit is not None and chunked and reader.at_end:
                return False  # never the last chunk: the answer stays incomplete
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


def _abort(sock: socket.socket) -> None:
    """Close with a reset (RST), as a crashed peer or a middlebox would, not a clean FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
