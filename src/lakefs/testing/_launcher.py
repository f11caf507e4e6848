"""What the field tests' launchers share: ``_Launcher`` (finding the packaged program, a free
port, the start-up probe, a failure with the logs' tails). Notes: ``lakefs.testing._field``."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import time
from pathlib import Path
from typing import TypeVar

from lakefs.testing._server import (
    ServerStartError,
    _free_port,
    _Lifecycle,
    _port_taken,
    _Process,
    _tail,
)

__all__: list[str] = []

_L = TypeVar("_L", bound="_Launcher")
_SBIN = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")


def _find_program(name: str, package: str) -> str:
    """The path of ``name`` (also looked for in the sbin directories), or a clear error."""
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SBIN))
    if found is None:
        raise ServerStartError(
            f"{name} is not installed: install it with `apt-get install {package}` (Debian/Ubuntu)"
        )
    return found


def _quote(value: str | Path) -> str:
    """``value`` as a double-quoted string for nginx, tinyproxy or squid config files."""
    text = str(value)
    if any(c in text for c in '"\\\n\r'):
        raise ValueError(f"cannot write {text!r} into a config file")
    return f'"{text}"'


_PROBE_PATH = "/lakefs-field-probe"


def _answers_http(port: int, tls: bool, request: bytes) -> bool:
    """Whether ``127.0.0.1:port`` answers ``request`` with a status line (any status)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
            sock: socket.socket = raw
            if tls:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
            sock.sendall(request)
            return sock.recv(5) == b"HTTP/"
    except OSError:
        return False


class _Launcher(_Lifecycle):
    """One program in the foreground, in a temporary directory of its own."""

    _program = ""
    _package = ""
    # The start-up probe: a request the program answers itself, without going anywhere (with no
    # Host header, tinyproxy's transparent mode sees a local address and refuses it).
    _probe = f"GET {_PROBE_PATH} HTTP/1.0\r\n\r\n".encode()

    def __init__(self, port: int | None, startup_timeout: float) -> None:
        self._requested_port = port
        self._startup_timeout = startup_timeout
        self._proc: _Process | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    def _start(self: _L) -> _L:
        if self._dir is not None:
            raise RuntimeError(f"this {type(self).__name__} is already running")
        program = _find_program(self._program, self._package)
        if self._requested_port is not None and _port_taken(self._requested_port):
            raise ServerStartError(f"port {self._requested_port} on 127.0.0.1 is already in use")
        self._begin(f"lakefs-field-{self._program}-")
        try:
            # A free port may be taken again before the program binds it: then try another.
            for attempt in range(3):
                self.port = self._requested_port or _free_port()
                cmd = self._command(program)
                proc = _Process(f"{self._program}-output", cmd, self._env(), self.directory)
                self._procs.append(proc)
                try:
                    self._wait(proc)
                    self._proc = proc
                    break
                except ServerStartError as e:
                    proc.stop()
                    self._procs.remove(proc)
                    retry = self._requested_port is None and attempt < 2
                    if not (retry and "in use" in str(e)):
                        raise
        except BaseException:
            self.stop()
            raise
        return self

    # -- what tests look at ----------------------------------------------------------------

    @property
    def pid(self) -> int:
        """The process id of the running program (its process group has the same id)."""
        if self._dir is None or self._proc is None:
            raise RuntimeError(f"this {type(self).__name__} is not running")
        return int(self._proc.proc.pid)

    def _read(self, name: str) -> str:
        try:
            return (self.directory / name).read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- for subclasses --------------------------------------------------------------------

    def _command(self, program: str) -> list[str]:
        raise NotImplementedError

    def _env(self) -> dict[str, str]:
        return {**os.environ, "TMPDIR": str(self.directory)}

    def _logs(self) -> list[Path]:
        """Logs besides the process's output whose tail a start failure shows."""
        return []

    def _serves_tls(self) -> bool:
        return False

    def _wait(self, proc: _Process) -> None:
        """Wait until the port answers HTTP; fail fast (with the logs) if the process dies."""
        deadline = time.monotonic() + self._startup_timeout
        # Alive after answering: the answer was not from another program that took the port.
        while not (_answers_http(self.port, self._serves_tls(), self._probe) and proc.alive()):
            if not proc.alive():
                what = f"exited with code {proc.proc.returncode} while starting"
            elif time.monotonic() > deadline:
                what = f"did not answer on port {self.port} within {self._startup_timeout:.0f} s"
            else:
                time.sleep(0.05)
                continue
            proc.stop(grace=2)
            logs = [proc.log_path, *self._logs()]
            tails = "".join(f"\n{path} ends with:\n{_tail(path)}" for path in logs)
            raise ServerStartError(f"{self._program} {what};{tails}")
