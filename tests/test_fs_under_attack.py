"""lakefs:// under attack: a fault soak of one shared filesystem from 8 threads through the
fault-injecting proxy, and one filesystem shared by threads that write and list at once.

Live only (``loopback``): the proxy and the threads need real sockets and a real server. The
soak's seed is ``LAKEFS_FS_SOAK_SEED`` (printed in its summary line).
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import lakefs
from lakefs import Client, LakeFSError
from lakefs._transport import RetryPolicy
from lakefs.fs import LakeFSFileSystem
from tests.conftest import Repo, Server
from tests.faultproxy import RANDOM_FAULT_KINDS, FaultProxy

pytestmark = [pytest.mark.server("local"), pytest.mark.loopback]

THREADS = 8
OPS_PER_THREAD = 250  # 2,000 operations in all
FAULT_RATE = 0.08
SEED = int(os.environ.get("LAKEFS_FS_SOAK_SEED", "20260612"))
DEADLINE = 200.0  # seconds for the operations (pytest's timeout is 300 s per test)
MIN_SUCCESS = 0.7
# What a caller of an fsspec filesystem catches; anything else is an untyped error.
TYPED = (LakeFSError, FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError)
WEIGHTS = {
    "pipe": 10,
    "put": 5,
    "open-wb": 4,
    "cat": 8,
    "range": 10,
    "open-rb": 6,
    "info": 8,
    "exists": 4,
    "ls": 6,
    "find": 4,
    "get": 6,
    "cp": 4,
    "rm": 8,
    "touch": 3,
}

State = str | None  # the sha256 of what a path holds, or None: nothing


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class _Ledger:
    """What one thread believes its branch holds: each path's possible contents (a call that
    raised may or may not have acted); the server's answers narrow them down."""

    states: dict[str, set[State]] = field(default_factory=dict)
    data: dict[str, bytes] = field(default_factory=dict)  # sha256 -> content

    def wrote(self, path: str, content: bytes, ok: bool) -> None:
        digest = _sha(content)
        self.data[digest] = content
        self.states[path] = {digest} if ok else self.states[path] | {digest}

    def deleted(self, path: str, ok: bool) -> None:
        self.states[path] = {None} if ok else self.states[path] | {None}

    def fits(self, path: str, test: Callable[[bytes | None], bool]) -> bool:
        """Keep the states ``test(content or None)`` accepts; False if none does."""
        kept = {s for s in self.states[path] if test(None if s is None else self.data[s])}
        if not kept:
            return False
        self.states[path] = kept
        return True

    def show(self, path: str) -> str:
        shown = sorted(
            "absent" if s is None else f"{s[:10]} ({len(self.data[s])} B)"
            for s in self.states[path]
        )
        return "{" + ", ".join(shown) + "}"


@dataclass
class _Report:
    ops: Counter[str] = field(default_factory=Counter)
    succeeded: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    untyped: Counter[str] = field(default_factory=Counter)
    tracebacks: dict[str, str] = field(default_factory=dict)
    wrong: Counter[str] = field(default_factory=Counter)
    finished: bool = False


class _Soak:
    """One thread's operations, through the shared filesystem, on its own branch."""

    def __init__(
        self, i: int, fs: LakeFSFileSystem, repo_id: str, tmp: Path, deadline: float
    ) -> None:
        self.i, self.fs, self.tmp, self.deadline = i, fs, tmp, deadline
        self.rng = random.Random(SEED * 100 + i)
        self.root = f"{repo_id}/soak-{i}"
        self.names = [f"f{k}" for k in range(8)] + [f"sub/g{k}" for k in range(3)]
        self.ledger = _Ledger({name: {None} for name in self.names})
        self.report = _Report()
        self.version = 0
        self.pending: tuple[str, str, bytes | None] | None = None  # (what, name, data)

    def path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def run(self) -> None:
        kinds = list(WEIGHTS)
        weights = [WEIGHTS[k] for k in kinds]
        try:
            for _ in range(OPS_PER_THREAD):
                if time.monotonic() > self.deadline:
                    return
                kind = self.rng.choices(kinds, weights)[0]
                self.report.ops[kind] += 1
                self.one(kind, self.rng.choice(self.names))
            self.report.finished = True
        except BaseException:  # a bug of the test itself: shown, never hidden
            self.report.untyped["the soak thread crashed"] += 1
            self.report.tracebacks["the soak thread crashed"] = traceback.format_exc()

    def one(self, kind: str, name: str) -> None:
        r = self.report
        self.pending = None
        try:
            getattr(self, "op_" + kind.replace("-", "_"))(name)
        except Exception as exc:
            if self.failed(kind, name, exc):
                r.succeeded += 1
                return
            r.errors[type(exc).__name__] += 1
            if not isinstance(exc, TYPED):
                what = f"{kind}: {type(exc).__name__}: {exc}"
                r.untyped[what] += 1
                r.tracebacks.setdefault(what, "".join(traceback.format_exception(exc)[-8:]))
        else:
            r.succeeded += 1

    def wrong(self, what: str) -> None:
        self.report.wrong[f"thread {self.i}: {what}"] += 1

    def failed(self, kind: str, name: str, exc: Exception) -> bool:
        """Update the ledger after a call that raised; True if that was the right answer."""
        pending, self.pending = self.pending, None
        if pending is not None:  # a write or a removal: it may or may not have happened
            what, target, data = pending
            if what == "write" and data is not None:
                self.ledger.wrote(target, data, ok=False)
            elif what == "delete":
                self.ledger.deleted(target, ok=False)
            elif what == "touch" and None in self.ledger.states[target]:
                self.ledger.wrote(target, b"", ok=False)
            elif what == "copy":
                self.ledger.states[target] |= self.ledger.states[name] - {None}
        reads = ("cat", "range", "open-rb", "info", "get")
        if isinstance(exc, FileNotFoundError) and (kind in reads or kind == "cp"):
            if self.ledger.fits(name, lambda c: c is None):
                return True
            self.wrong(f"{kind} {name}: not found, but it holds {self.ledger.show(name)}")
        return False

    # -- writes ------------------------------------------------------------------------------

    def _content(self, name: str) -> bytes:
        self.version += 1
        size = self.rng.choice([0, 1, 100, 5000, 70_000, 300_000])
        head = f"{name} v{self.version} ".encode()
        return (head + self.rng.randbytes(size))[:size] if size else b""

    def op_pipe(self, name: str) -> None:
        data = self._content(name)
        self.pending = ("write", name, data)
        self.fs.pipe_file(self.path(name), data)
        self.pending = None
        self.ledger.wrote(name, data, ok=True)

    def op_put(self, name: str) -> None:
        data = self._content(name)
        local = self.tmp / f"put-{self.i}-{self.version}"
        local.write_bytes(data)
        self.pending = ("write", name, data)
        try:
            self.fs.put_file(str(local), self.path(name))
        finally:
            local.unlink()
        self.pending = None
        self.ledger.wrote(name, data, ok=True)

    def op_open_wb(self, name: str) -> None:
        data = self._content(name)
        self.pending = ("write", name, data)
        with self.fs.open(self.path(name), "wb") as f:
            for start in range(0, len(data), 40_000):
                f.write(data[start : start + 40_000])
        self.pending = None
        self.ledger.wrote(name, data, ok=True)

    def op_rm(self, name: str) -> None:
        self.pending = ("delete", name, None)
        if self.rng.random() < 0.5:
            self.fs.rm_file(self.path(name))
        else:
            self.fs.rm([self.path(name)])
        self.pending = None
        self.ledger.deleted(name, ok=True)

    def op_touch(self, name: str) -> None:
        self.pending = ("touch", name, None)
        self.fs.touch(self.path(name), truncate=False)
        self.pending = None
        states = self.ledger.states[name]
        empty = {_sha(b"")} if None in states else set()
        self.ledger.data[_sha(b"")] = b""
        self.ledger.states[name] = (states - {None}) | empty

    def op_cp(self, name: str) -> None:
        target = self.rng.choice([n for n in self.names if n != name])
        self.pending = ("copy", target, None)
        self.fs.cp_file(self.path(name), self.path(target))
        self.pending = None
        if not self.ledger.fits(name, lambda c: c is not None):
            self.wrong(f"cp {name}: copied, but it holds {self.ledger.show(name)}")
            return
        self.ledger.states[target] = set(self.ledger.states[name])

    # -- reads -------------------------------------------------------------------------------

    def _read(self, kind: str, name: str, data: bytes) -> None:
        if not self.ledger.fits(name, lambda c: c == data):
            self.wrong(f"{kind} {name}: read {len(data)} B, but it holds {self.ledger.show(name)}")

    def op_cat(self, name: str) -> None:
        self._read("cat", name, self.fs.cat_file(self.path(name)))

    def op_open_rb(self, name: str) -> None:
        with self.fs.open(self.path(name), "rb") as f:
            self._read("open-rb", name, f.read())

    def op_get(self, name: str) -> None:
        local = self.tmp / f"get-{self.i}"
        self.fs.get_file(self.path(name), str(local))
        self._read("get", name, local.read_bytes())

    def op_range(self, name: str) -> None:
        start = self.rng.choice([None, 0, 7, 5000, -1, -10, -4000, -400_000])
        end = self.rng.choice([None, 10, 6000, 200_000, -1, -3])
        got = self.fs.cat_file(self.path(name), start=start, end=end)
        if not self.ledger.fits(name, lambda c: c is not None and c[start:end] == got):
            self.wrong(
                f"range {name}[{start}:{end}]: {len(got)} B, but it holds {self.ledger.show(name)}"
            )

    def op_info(self, name: str) -> None:
        size = self.fs.info(self.path(name))["size"]
        if not self.ledger.fits(name, lambda c: c is not None and len(c) == size):
            self.wrong(f"info {name}: {size} B, but it holds {self.ledger.show(name)}")

    def op_exists(self, name: str) -> None:
        there = self.fs.exists(self.path(name))
        if not self.ledger.fits(name, lambda c: (c is not None) == there):
            self.wrong(f"exists {name}: {there}, but it holds {self.ledger.show(name)}")

    def _listed(self, kind: str, listed: dict[str, int], names: list[str]) -> None:
        for name in names:
            path = self.path(name)
            ok = self.ledger.fits(
                name,
                lambda c, p=path: (
                    (c is None and p not in listed) or (c is not None and listed.get(p) == len(c))
                ),
            )
            if not ok:
                shown = f"{listed[path]} B" if path in listed else "not listed"
                self.wrong(f"{kind} {name}: {shown}, but it holds {self.ledger.show(name)}")

    def op_ls(self, name: str) -> None:
        try:
            entries = self.fs.ls(self.root, detail=True)  # cached or not: writes invalidated it
        except FileNotFoundError:
            entries = []
        listed = {e["name"]: e["size"] for e in entries if e["type"] == "file"}
        self._listed("ls", listed, [n for n in self.names if "/" not in n])

    def op_find(self, name: str) -> None:
        found = self.fs.find(self.root, detail=True)
        self._listed("find", {n: e["size"] for n, e in found.items()}, self.names)


def _final_check(server: Server, repo_id: str, soaks: list[_Soak]) -> list[str]:
    """Every path as each thread believes it, read straight from the server (no proxy)."""
    direct = server.client(timeout=(10, 60))
    problems = []
    for soak in soaks:
        branch = lakefs.repository(repo_id, client=direct).branch(f"soak-{soak.i}")
        for name in soak.names:
            try:
                with branch.open(name, "rb") as f:
                    state: State = _sha(f.read())
            except lakefs.NotFoundError:
                state = None
            if state not in soak.ledger.states[name]:
                problems.append(f"{branch.id}:{name}: {state}, expected {soak.ledger.show(name)}")
    return problems


@pytest.fixture
def proxy(server: Server) -> Iterator[FaultProxy]:
    with FaultProxy.before(server.endpoint, ca_cert=server.ca_cert) as p:
        yield p


def test_a_fault_soak_of_lakefs_urls_from_eight_threads(
    server: Server,
    proxy: FaultProxy,
    repo: Repo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    main = lakefs.repository(repo.id, client=server.client()).branch("main")
    for i in range(THREADS):
        lakefs.repository(repo.id, client=server.client()).branch(f"soak-{i}").create(main)
    client = Client(
        host=proxy.url,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
        retries=8,
        timeout=(5.0, 20.0),  # injected delays stay under 0.5 s
        max_connections=16,
    )
    client.transport.policy = RetryPolicy(max_retries=8, backoff_initial=0.02, backoff_max=0.25)
    fs = LakeFSFileSystem(client=client, max_workers=2, skip_instance_cache=True)  # one, shared
    started = time.monotonic()
    soaks = [_Soak(i, fs, repo.id, tmp_path, started + DEADLINE) for i in range(THREADS)]
    threads = [threading.Thread(target=s.run, name=f"fs-soak-{s.i}", daemon=True) for s in soaks]
    proxy.inject_randomly(
        FAULT_RATE, seed=SEED, max_burst=3, delay=(0.05, 0.5), cut_bytes=4096, max_faults=1000
    )
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(started + DEADLINE + 30 - time.monotonic(), 0.1))
    proxy.stop_injecting()
    hung = [t.name for t in threads if t.is_alive()]
    reports = [s.report for s in soaks]
    ops = sum((r.ops for r in reports), Counter())
    errors = sum((r.errors for r in reports), Counter())
    untyped = sum((r.untyped for r in reports), Counter())
    wrong = sum((r.wrong for r in reports), Counter())
    tracebacks = {k: v for r in reports for k, v in r.tracebacks.items()}
    succeeded, total = sum(r.succeeded for r in reports), sum(ops.values())
    problems = [] if hung else _final_check(server, repo.id, soaks)
    injected = proxy.injected
    elapsed = time.monotonic() - started
    shown_ops = ", ".join(f"{k} {v}" for k, v in sorted(ops.items()))
    summary = (
        f"lakefs:// soak seed={SEED}: {total} ops from {THREADS} threads in {elapsed:.0f} s "
        f"({shown_ops}); {succeeded} succeeded; {len(proxy.requests)} requests, "
        f"faults {dict(sorted(injected.items()))}; "
        f"errors {dict(sorted(errors.items()))}; {untyped.total()} untyped errors, "
        f"{wrong.total()} wrong answers, {len(problems)} paths wrong at the end"
    )
    with capsys.disabled():
        print("\n" + summary)
    failures = []
    if hung:
        failures.append(f"threads still running: {hung}")
    if untyped:
        shown = [f"{n}x {what}\n{tracebacks[what]}" for what, n in untyped.most_common(6)]
        failures.append(f"{untyped.total()} untyped errors:\n" + "\n".join(shown))
    if wrong:
        failures.append(
            "wrong answers:\n" + "\n".join(f"{n}x {w}" for w, n in wrong.most_common(15))
        )
    if problems:
        failures.append("paths wrong at the end:\n" + "\n".join(problems[:15]))
    if not all(r.finished for r in reports):
        failures.append(f"the operations did not finish within {DEADLINE:.0f} s")
    if total and succeeded < MIN_SUCCESS * total:
        failures.append(f"only {succeeded} of {total} operations succeeded")
    missing = [k for k in RANDOM_FAULT_KINDS if injected[k] == 0]
    if missing:
        failures.append(f"faults never injected: {missing}")
    assert not failures, summary + "\n\n" + "\n\n".join(failures)


def test_one_filesystem_shared_by_threads_always_sees_its_own_writes(
    server: Server, repo: Repo
) -> None:
    """Writers each write an object and list its directory at once; listers list, refresh and
    invalidate the same directory meanwhile. No writer may miss its own object, and nothing
    may raise."""
    fs = LakeFSFileSystem(client=server.client(max_connections=16), skip_instance_cache=True)
    root = f"{repo.id}/main/shared"
    fs.pipe_file(f"{root}/seed", b"s")
    stop = threading.Event()
    errors: list[str] = []
    misses: list[str] = []

    def writer(i: int) -> None:
        try:
            for n in range(50):
                path = f"{root}/w{i}-{n}"
                fs.pipe_file(path, b"x")
                fs.info(path)  # a few requests while listings that started before end
                fs.info(f"{root}/seed")
                if path not in fs.ls(root, detail=False):
                    misses.append(path)
                if n % 5 == 4:
                    fs.rm_file(path)
                    if path in fs.ls(root, detail=False):
                        misses.append(f"{path} (removed)")
        except Exception:
            errors.append(traceback.format_exc())

    def lister(i: int) -> None:  # listings in flight all the time, invalidations meanwhile
        try:
            while not stop.is_set():
                fs.ls(root, refresh=i < 3)
                fs.find(root)
                fs.ls(f"{repo.id}/main")
                fs.info(f"{root}/seed")
                if i == 3:
                    fs.invalidate_cache(root)
        except Exception:
            errors.append(traceback.format_exc())

    listers = [threading.Thread(target=lister, args=(i,), daemon=True) for i in range(6)]
    writers = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(4)]
    for t in listers + writers:
        t.start()
    for t in writers:
        t.join(240)
    stop.set()
    for t in listers:
        t.join(60)
    assert not errors, errors[:3]
    assert not misses, misses[:10]
    assert not any(t.is_alive() for t in listers + writers)
