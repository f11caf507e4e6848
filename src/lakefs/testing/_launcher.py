"""What the field tests' launchers share: ``_Launcher`` (finding the packaged program, a free
port, the start-up probe; the process itself is started, waited for and stopped by
``lakefs.testing._process``, as lakeFS's are). Notes: ``lakefs.testing._field``."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import ssl
from pathlib import Path
from typing import TypeVar

from lakefs.testing._process import (
    ServerStartError,
    _free_port,
    _Lifecycle,
    _Process,
    _refuse_taken,
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
    """One packaged program in the foreground, in a temporary directory of its own, listening on
    127.0.0.1. A subclass names it (``class Nginx(_Launcher, program="nginx",
    package="nginx-light")``: the program, and the Debian package to install when it is missing)
    and writes its command line and config (``_command``).

    Every launcher takes, besides its own arguments, ``port`` (the port to listen on; a free one
    by default) and ``startup_timeout`` (seconds to wait for the program to answer), and has the
    attribute ``port``: the port it listens on (0 until started).
    """

    _program = ""
    _package = ""
    # The start-up probe: a request the program answers itself, without going anywhere (with no
    # Host header, tinyproxy's transparent mode sees a local address and refuses it).
    _probe = f"GET {_PROBE_PATH} HTTP/1.0\r\n\r\n".encode()

    def __init_subclass__(cls, *, program: str = "", package: str = "", **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if program:
            cls._program, cls._package = program, package or program

    def __init__(self, port: int | None, startup_timeout: float) -> None:
        self._requested_port = port
        self._startup_timeout = startup_timeout
        self._proc: _Process | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self: _L) -> _L:
        """Start the program and wait until its port answers HTTP (any status).

        Returns:
            This launcher, running.

        Raises:
            RuntimeError: it is already running.
            ServerStartError: the program is not installed, the port asked for is in use, or
                the program did not come up (the message carries the tails of its logs).
        """
        if self._dir is not None:
            raise RuntimeError(f"this {type(self).__name__} is already running")
        program = _find_program(self._program, self._package)
        _refuse_taken(self._requested_port)
        self._begin(f"lakefs-field-{self._program}-")
        try:
            self._proc = self._launch_on_a_port(program)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch_on_a_port(self, program: str) -> _Process:
        # A free port may be taken again before the program binds it: then try another.
        for attempt in range(3):
            self.port = self._requested_port or _free_port()
            ready = functools.partial(_answers_http, self.port, self._serves_tls(), self._probe)
            cmd, env, timeout = self._command(program), self._env(), self._startup_timeout
            try:
                return self._launch(
                    self._program, cmd, env, ready, timeout, f"on port {self.port}", self._logs()
                )
            except ServerStartError as e:
                if self._requested_port is not None or attempt == 2 or "in use" not in str(e):
                    raise
        raise AssertionError("unreachable")

    # -- what tests look at ----------------------------------------------------------------

    @property
    def pid(self) -> int:
        """The id of the process group the program runs in (led by its watchdog, see
        ``lakefs.testing._process``): gone once the program has stopped."""
        if self._dir is None or self._proc is None:
            raise RuntimeError(f"this {type(self).__name__} is not running")
        return self._proc.pid

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
