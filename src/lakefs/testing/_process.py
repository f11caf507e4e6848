"""The one way the testing helpers run a server program: lakeFS, gofakes3, nginx and the
forward proxies are each a ``_Process`` (started, waited for and stopped the same way) owned by a
``_Lifecycle`` (a temporary directory and a finalizer that stops what it started).

A ``_Process`` runs its program under a tiny watchdog (``_WATCHDOG``, in a fresh interpreter):
the watchdog leads a session of its own, starts the program in it and exits with the program's
code. It also holds the read end of a pipe whose write end only this (parent) Python process
holds: when the parent dies, even by SIGKILL, the kernel closes it, the watchdog reads EOF and
stops the program's process group (SIGTERM, then SIGKILL after the grace period). A pipe rather
than ``prctl(PR_SET_PDEATHSIG)``: that fires when the *thread* that started the child exits, is
cleared when a program changes its user (squid as root), is Linux-only, and needs ``preexec_fn``
or a wrapper anyway. A ``fork()``-ed copy of the parent that outlives it keeps the pipe open.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Protocol, TypeVar

from lakefs.lib.transactions import ExitHook

__all__ = ["ServerStartError"]

STOP_GRACE_S = 10.0

# argv: the lifeline's fd, the grace in seconds, then the program's command. SIGTERM and SIGINT
# are blocked in the watchdog (they are the program's: stop() signals the whole group) and
# unblocked in the program before exec.
_WATCHDOG = """\
import os, signal, sys, threading, time
fd, grace, cmd = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
stops = {signal.SIGTERM, signal.SIGINT}
signal.pthread_sigmask(signal.SIG_BLOCK, stops)
pid = os.fork()
if pid == 0:
    os.close(fd)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)
    try:
        os.execvp(cmd[0], cmd)
    except OSError as e:
        print(f"cannot run {cmd[0]}: {e}", file=sys.stderr, flush=True)
    os._exit(127)

def watch():
    while os.read(fd, 64):
        pass
    os.killpg(0, signal.SIGTERM)
    time.sleep(grace)
    os.killpg(0, signal.SIGKILL)

threading.Thread(target=watch, daemon=True).start()
code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
sys.exit(code if code >= 0 else 128 - code)
"""


class ServerStartError(RuntimeError):
    """A server (lakeFS or gofakes3) did not come up; the message carries the tail of its log."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_taken(port: int) -> bool:
    """Whether a server could not listen on ``port``. Like the servers started here (Go, nginx
    and tinyproxy listen with SO_REUSEADDR), a port whose last connections linger in TIME_WAIT
    is free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _refuse_taken(port: int | None) -> None:
    """Raise :class:`ServerStartError` if ``port`` was asked for and is in use."""
    if port is not None and _port_taken(port):
        raise ServerStartError(f"port {port} on 127.0.0.1 is already in use")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class _Process:
    """A program under its watchdog, in a session of its own (whose id is :attr:`pid`), with
    its output in ``<cwd>/<name>-output.log``; stopped when this Python process dies."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.log_path = cwd / f"{name}-output.log"
        self._log: IO[bytes] = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        lifeline, self._lifeline = os.pipe()  # neither end is inherited unless passed
        try:
            watchdog = [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(lifeline)]
            self.proc = subprocess.Popen(
                [*watchdog, str(STOP_GRACE_S), *cmd],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=(lifeline,),
            )
        except BaseException:
            os.close(self._lifeline)
            self._log.close()
            raise
        finally:
            os.close(lifeline)

    @property
    def pid(self) -> int:
        """The watchdog's process id: the id of the process group the program runs in."""
        return int(self.proc.pid)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds; idempotent."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(grace)
        if not self._log.closed:
            os.close(self._lifeline)
            self._log.close()

    def wait_ready(
        self,
        ready: Callable[[], bool],
        timeout: float,
        waiting_for: str,
        logs: Sequence[Path] = (),
    ) -> None:
        """Poll ``ready()`` until it holds with the program still running (so that the answer
        was its own, not another program's on its port). If the program exits first or
        ``timeout`` seconds pass, stop it and raise :class:`ServerStartError` with the tails of
        its output and of ``logs``; ``waiting_for`` names what did not answer."""
        deadline = time.monotonic() + timeout
        while not (ready() and self.alive()):
            if not self.alive():
                what = f"exited with code {self.proc.returncode} while starting"
            elif time.monotonic() > deadline:
                what = f"did not answer {waiting_for} within {timeout:.0f} s"
            else:
                time.sleep(0.05)
                continue
            self.stop(grace=2)
            tails = "".join(f"\n{p} ends with:\n{_tail(p)}" for p in [self.log_path, *logs])
            raise ServerStartError(f"{self.name} {what};{tails}")


class _Stoppable(Protocol):
    def stop(self) -> None: ...


class _Lifecycle(ExitHook):
    """What every launcher here shares: a temporary directory, the processes started in it,
    and a finalizer that stops them (last started first) and removes the directory, even when
    ``stop()`` is forgotten or the interpreter exits. Subclasses define ``start()``."""

    _dir: Path | None = None
    _finalizer: weakref.finalize[[list[_Stoppable], Path], _Lifecycle] | None = None

    def _begin(self, prefix: str) -> Path:
        """Make the directory and arm the finalizer (before the first process starts)."""
        if self._dir is not None:
            raise RuntimeError(f"this {type(self).__name__} is already running")
        self._procs: list[_Stoppable] = []
        self._dir = Path(tempfile.mkdtemp(prefix=prefix))
        # The finalizer shares the process list: it stops whatever has been started so far.
        self._finalizer = weakref.finalize(self, _cleanup, self._procs, self._dir)
        return self._dir

    def _launch(
        self,
        name: str,
        cmd: list[str],
        env: dict[str, str],
        ready: Callable[[], bool],
        timeout: float,
        waiting_for: str,
        logs: Sequence[Path] = (),
    ) -> _Process:
        """Start ``cmd`` in :attr:`directory`, to be stopped with the others, and wait until
        ``ready()`` (see :meth:`_Process.wait_ready`); one that did not come up is stopped and
        forgotten before the error propagates."""
        proc = _Process(name, cmd, env, self.directory)
        self._procs.append(proc)
        try:
            proc.wait_ready(ready, timeout, waiting_for, logs)
        except BaseException:
            proc.stop()
            self._procs.remove(proc)
            raise
        return proc

    def start(self: _Self) -> _Self:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop every process started and remove the directory (idempotent)."""
        if self._finalizer is not None:
            self._finalizer()
        self._finalizer = None
        self._procs = []
        self._dir = None

    @property
    def directory(self) -> Path:
        """The temporary directory (configuration, data, logs)."""
        if self._dir is None:
            raise RuntimeError(f"this {type(self).__name__} is not running")
        return self._dir

    def __enter__(self: _Self) -> _Self:
        """Start (see ``start()``); returns the launcher."""
        return self.start()

    def _exit(self, exc: BaseException | None) -> None:
        """Stop every process and remove the directory (see ``stop()``)."""
        self.stop()


_Self = TypeVar("_Self", bound=_Lifecycle)


def _cleanup(procs: list[_Stoppable], directory: Path) -> None:
    # The last started first (lakeFS talks to gofakes3); then the files.
    for proc in reversed(procs):
        proc.stop()
    shutil.rmtree(directory, ignore_errors=True)
