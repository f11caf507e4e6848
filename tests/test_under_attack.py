"""The SDK under attack: a fault soak through the fault-injecting proxy, clients used across
``os.fork()`` and in ``multiprocessing`` pools (fork and spawn), and pickle round trips.

The live tests (marked ``loopback`` and ``server("local")``) run only with ``make test-live``
and record no cassette; the pickle tests need no server and run everywhere.

The soak's seed is ``LAKEFS_SOAK_SEED`` (printed in its summary line), to replay a failing run's
choice of operations and faults (thread scheduling still varies).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import multiprocessing
import os
import pathlib
import pickle
import random
import select
import signal
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pytest

import lakefs
import lakefs.lib.imports
import lakefs.lib.objects
import lakefs.lib.transactions
from lakefs import Client, LakeFSError
from lakefs._transport import RetryPolicy
from lakefs.lib.imports import ImportFailedError
from lakefs.lib.objects import DeleteObjectsError
from lakefs.lib.transactions import TransactionError
from tests.conftest import Repo, Server
from tests.faultproxy import RANDOM_FAULT_KINDS, FaultProxy

MiB = 1024 * 1024


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _direct_client(server: Server, **options: Any) -> Client:
    """A client straight to the server (no proxy)."""
    return server.client(**options)


def _read(ref: lakefs.Reference, path: str) -> bytes:
    with ref.open(path, "rb") as f:
        return f.read()


# == 1. the fault soak =========================================================================

SOAK_THREADS = 8
SOAK_OPS_PER_THREAD = 200  # 1,600 operations in all
SOAK_BIG_PER_THREAD = 4  # streamed uploads of >= 9 MiB: 32 in all
SOAK_BIG_SIZE = 9 * MiB
SOAK_FAULT_RATE = 0.06  # of requests (a 503 burst counts once)
# The few big streamed uploads are faulted more often, so that each run puts some of them
# through each kind of fault; all requests together stay near SOAK_FAULT_RATE.
SOAK_BIG_UPLOAD_FAULT_RATE = 0.25
SOAK_SEED = int(os.environ.get("LAKEFS_SOAK_SEED", "20260611"))
SOAK_DEADLINE = 200.0  # seconds for the operations (pytest's timeout is 300 s per test)
SOAK_MIN_SUCCESS = 0.8  # below this share of successful operations the soak proved nothing

# How often each operation is drawn (big streamed uploads are placed separately).
SOAK_WEIGHTS = {
    "upload-bytes": 24,
    "upload-path": 8,
    "read-open": 12,
    "read-object": 10,
    "stat": 10,
    "list": 6,
    "delete": 10,
    "commit": 5,
}

State = str | None  # the sha256 of what a path holds, or None: nothing


@dataclass
class _Ledger:
    """What one thread believes its branch holds: for each path, the contents it may hold now.

    Only calls that returned change a belief to one content; a write or delete that raised may
    or may not have happened (the server may have acted before the connection broke), so it
    adds a possibility. Answers from the server narrow the possibilities back down.
    """

    states: dict[str, set[State]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)  # sha256 -> size

    def track(self, path: str) -> None:
        self.states.setdefault(path, {None})

    def wrote(self, path: str, data: bytes, ok: bool) -> None:
        digest = _sha(data)
        self.sizes[digest] = len(data)
        if ok:
            self.states[path] = {digest}
        else:
            self.states[path].add(digest)

    def deleted(self, path: str, ok: bool) -> None:
        if ok:
            self.states[path] = {None}
        else:
            self.states[path].add(None)

    def observed(self, path: str, state: State) -> bool:
        """The server says ``path`` holds ``state``; False if that cannot be."""
        if state not in self.states[path]:
            return False
        self.states[path] = {state}
        return True

    def observed_size(self, path: str, size: int) -> bool:
        """The server says ``path`` holds an object of ``size`` bytes; False if that cannot be."""
        fits: set[State] = {s for s in self.states[path] if s is not None and self.sizes[s] == size}
        if not fits:
            return False
        self.states[path] = fits
        return True

    def show(self, path: str) -> str:
        shown = sorted(
            "absent" if s is None else f"{s[:12]} ({self.sizes[s]} B)" for s in self.states[path]
        )
        return "{" + ", ".join(shown) + "}"


@dataclass
class _ThreadReport:
    index: int
    ops: Counter[str] = field(default_factory=Counter)
    succeeded: int = 0  # returned, or answered "not found" where nothing should be
    not_found: int = 0  # of those, the "not found" answers
    errors: Counter[str] = field(default_factory=Counter)  # exceptions, by type name
    unexpected: Counter[str] = field(default_factory=Counter)  # not LakeFSError: a failure
    tracebacks: dict[str, str] = field(default_factory=dict)  # one per unexpected kind
    wrong: Counter[str] = field(default_factory=Counter)  # answers that contradict the ledger
    ledger: _Ledger = field(default_factory=_Ledger)
    finished: bool = False
    out_of_time: bool = False


class _Soak:
    """One thread's operations on its own branch, through the proxy."""

    def __init__(
        self, index: int, client: Client, repo_id: str, tmp: pathlib.Path, deadline: float
    ) -> None:
        self.i = index
        self.rng = random.Random(SOAK_SEED * 1000 + index)
        self.repo_id = repo_id
        self.branch = lakefs.repository(repo_id, client=client).branch(f"soak-{index}")
        self.client = client
        self.tmp = tmp
        self.deadline = deadline
        self.report = _ThreadReport(index)
        self.small = [f"t{index}/small/{k:02d}.bin" for k in range(10)]
        self.files = [f"t{index}/file/{k}.dat" for k in range(4)]
        self.big = [f"t{index}/big/{k}.bin" for k in range(2)]
        self.never = [f"t{index}/never/{k}.bin" for k in range(2)]  # never written
        self.paths = self.small + self.files + self.big + self.never
        for path in self.paths:
            self.report.ledger.track(path)
        self.version = 0
        self._pending: bytes | None = None  # the data of the upload under way

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        r = self.report
        try:
            big_at = set(self.rng.sample(range(5, SOAK_OPS_PER_THREAD), SOAK_BIG_PER_THREAD))
            kinds = list(SOAK_WEIGHTS)
            weights = [SOAK_WEIGHTS[k] for k in kinds]
            for n in range(SOAK_OPS_PER_THREAD):
                if time.monotonic() > self.deadline:
                    r.out_of_time = True
                    return
                kind = "upload-big" if n in big_at else self.rng.choices(kinds, weights)[0]
                r.ops[kind] += 1
                self.one(kind)
            r.finished = True
        except BaseException:  # a bug in the test itself: shown, never hidden
            r.unexpected[f"soak thread {self.i} crashed"] += 1
            r.tracebacks[f"soak thread {self.i} crashed"] = traceback.format_exc()

    def one(self, kind: str) -> None:
        """Run one operation; sort its exception, if any."""
        r = self.report
        path = ""
        self._pending = None
        try:
            path = self.rng.choice(self._candidates(kind))
            getattr(self, "op_" + kind.replace("-", "_"))(path)
        except Exception as exc:
            if self.failed(kind, path, exc):
                r.succeeded += 1
                r.not_found += 1
                return
            r.errors[type(exc).__name__] += 1
            if not isinstance(exc, LakeFSError):
                what = f"{kind}: {type(exc).__name__}: {exc}"
                r.unexpected[what] += 1
                r.tracebacks.setdefault(what, "".join(traceback.format_exception(exc)[-6:]))
        else:
            r.succeeded += 1

    def _candidates(self, kind: str) -> list[str]:
        if kind == "upload-bytes":
            return self.small
        if kind == "upload-path":
            return self.files
        if kind == "upload-big":
            return self.big
        if kind == "commit":
            return [""]
        return self.paths

    def wrong(self, what: str) -> None:
        self.report.wrong[f"thread {self.i}: {what}"] += 1

    # -- what a failure means ----------------------------------------------------------------

    def failed(self, kind: str, path: str, exc: BaseException) -> bool:
        """Update the ledger after a call that raised ``exc``; True if that was the right
        answer (not found, where nothing may be)."""
        ledger = self.report.ledger
        pending, self._pending = self._pending, None
        not_found = isinstance(exc, lakefs.NotFoundError)
        if kind.startswith("upload") and pending is not None:
            ledger.wrote(path, pending, ok=False)  # either the old or the new content
        elif kind == "delete" and not_found:
            ledger.states[path] = {None}  # it is not there (a retry may have met its own work)
            return True
        elif kind == "delete":
            ledger.deleted(path, ok=False)
        elif kind in ("read-open", "read-object", "stat") and not_found:
            if ledger.observed(path, None):
                return True
            self.wrong(f"{kind} {path}: not found, but it holds {ledger.show(path)}")
        return False

    # -- the operations ----------------------------------------------------------------------

    def _data(self, path: str, size: int) -> bytes:
        self.version += 1
        head = f"{path} v{self.version} ".encode()
        return head + self.rng.randbytes(max(size - len(head), 0))

    def op_upload_bytes(self, path: str) -> None:
        data = self._data(path, self.rng.choice([0, 1, 100, 1000, 4096, 30_000]))
        self._pending = data
        self.branch.upload(data, path)
        self._pending = None
        self.report.ledger.wrote(path, data, ok=True)

    def op_upload_path(self, path: str) -> None:
        data = self._data(path, self.rng.randint(1024, 256 * 1024))
        local = self.tmp / f"t{self.i}-{self.version}.dat"
        local.write_bytes(data)
        self._pending = data
        try:
            self.branch.upload(local, path)
        finally:
            local.unlink()
        self._pending = None
        self.report.ledger.wrote(path, data, ok=True)

    def op_upload_big(self, path: str) -> None:
        data = self._data(path, SOAK_BIG_SIZE + self.rng.randint(0, 256 * 1024))
        cuts = sorted(self.rng.sample(range(1, len(data)), 6))  # seven writes of uneven sizes
        self._pending = data
        with self.branch.open(path, "wb") as f:
            for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
                f.write(data[start:end])
        self._pending = None
        self.report.ledger.wrote(path, data, ok=True)

    def _check_read(self, kind: str, path: str, data: bytes) -> None:
        ledger = self.report.ledger
        if not ledger.observed(path, _sha(data)):
            self.wrong(
                f"{kind} {path}: read {len(data)} B {_sha(data)[:12]}, "
                f"but it holds {ledger.show(path)}"
            )

    def op_read_open(self, path: str) -> None:
        self._check_read("read-open", path, _read(self.branch, path))

    def op_read_object(self, path: str) -> None:
        info = lakefs.ObjectInfo(
            self.branch.repository_id, self.branch.id, path, self.branch.client
        )
        with (
            lakefs.repository(info.repository_id, client=info.client)
            .ref(info.reference_id)
            .open(info.path, "rb") as f
        ):
            data = f.read()
        self._check_read("read-object", path, data)

    def op_stat(self, path: str) -> None:
        info = self.branch.stat_object(path)
        size = info.size_bytes()
        if info.path != path:
            self.wrong(f"stat {path}: answered for {info.path}")
        elif not self.report.ledger.observed_size(path, size):
            self.wrong(f"stat {path}: {size} B, but it holds {self.report.ledger.show(path)}")

    def op_list(self, path: str) -> None:
        listed = {
            o.path: o.size_bytes()
            for o in self.branch.list_objects(prefix=f"t{self.i}/", delimiter="")
            if isinstance(o, lakefs.ObjectInfo)
        }
        ledger = self.report.ledger
        for p in self.paths:
            if p in listed and not ledger.observed_size(p, listed[p]):
                self.wrong(f"list: {p} listed at {listed[p]} B, but it holds {ledger.show(p)}")
            elif p not in listed and not ledger.observed(p, None):
                self.wrong(f"list: {p} not listed, but it holds {ledger.show(p)}")
        for p in sorted(set(listed) - set(self.paths)):
            self.wrong(f"list: {p} listed, but nothing was ever written there")

    def op_delete(self, path: str) -> None:
        if self.rng.random() < 0.5:
            self.branch.delete_objects([path])
        else:
            lakefs.ObjectInfo(self.repo_id, self.branch.id, path, client=self.client).delete()
        self.report.ledger.deleted(path, ok=True)

    def op_commit(self, path: str) -> None:
        self.branch.commit_changes(f"soak thread {self.i}, op {sum(self.report.ops.values())}")


def _final_check(
    server: Server, repo_id: str, soaks: list[_Soak]
) -> tuple[Counter[str], list[str]]:
    """Every path as each thread believes it, read straight from the server (no proxy)."""
    direct = _direct_client(server, timeout=(10, 60))
    counts: Counter[str] = Counter()
    problems: list[str] = []
    for soak in soaks:
        branch = lakefs.repository(repo_id, client=direct).branch(soak.branch.id)
        ledger = soak.report.ledger
        for path in soak.paths:
            counts["paths"] += 1
            try:
                state: State = _sha(_read(branch, path))
            except lakefs.NotFoundError:
                state = None
            expected = ledger.states[path]
            if state in expected:
                counts["ok"] += 1
                continue
            if state is None:
                counts["lost"] += 1
                problems.append(f"LOST {branch.id}:{path}: absent, expected {ledger.show(path)}")
            elif expected == {None}:
                counts["resurrected"] += 1
                problems.append(f"NOT DELETED {branch.id}:{path}: holds {state[:12]}")
            else:
                counts["corrupted"] += 1
                size = branch.stat_object(path).size_bytes()
                problems.append(
                    f"CORRUPTED {branch.id}:{path}: holds {size} B {state[:12]}, "
                    f"expected {ledger.show(path)}"
                )
        listed = {o.path for o in branch.list_objects(prefix=f"t{soak.i}/", delimiter="")}
        for path in sorted(listed - set(soak.paths)):
            counts["stray"] += 1
            problems.append(f"STRAY {branch.id}:{path}: an object nobody wrote")
    return counts, problems


def _stacks(threads: list[threading.Thread]) -> str:
    frames = sys._current_frames()
    out = []
    for t in threads:
        if t.is_alive() and t.ident in frames:
            out.append(f"--- {t.name}\n" + "".join(traceback.format_stack(frames[t.ident])[-8:]))
    return "\n".join(out)


@pytest.fixture
def proxy(server: Server) -> Iterator[FaultProxy]:
    with FaultProxy.before(server.endpoint, ca_cert=server.ca_cert) as p:
        yield p


@pytest.mark.loopback
@pytest.mark.server("local")
def test_a_fault_soak_loses_and_corrupts_nothing(
    server: Server,
    proxy: FaultProxy,
    repo: Repo,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    direct = _direct_client(server)
    main = lakefs.repository(repo.id, client=direct).branch("main")
    for i in range(SOAK_THREADS):
        lakefs.repository(repo.id, client=direct).branch(f"soak-{i}").create(main)

    client = Client(
        host=proxy.url,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
        retries=8,
        timeout=(5.0, 20.0),  # injected delays stay under 0.5 s
        max_connections=16,
    )
    client.transport.policy = RetryPolicy(max_retries=8, backoff_initial=0.02, backoff_max=0.25)

    def rate(method: str, path: str) -> float:
        big_upload = method == "POST" and "/big/" in unquote(path)
        return SOAK_BIG_UPLOAD_FAULT_RATE if big_upload else SOAK_FAULT_RATE

    started = time.monotonic()
    deadline = started + SOAK_DEADLINE
    soaks = [_Soak(i, client, repo.id, tmp_path, deadline) for i in range(SOAK_THREADS)]
    threads = [threading.Thread(target=s.run, name=f"soak-{s.i}", daemon=True) for s in soaks]
    proxy.inject_randomly(
        rate,
        seed=SOAK_SEED,
        max_burst=3,
        delay=(0.05, 0.5),
        cut_bytes=4096,
        max_faults=SOAK_THREADS * SOAK_OPS_PER_THREAD // 4,
    )
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(deadline + 30 - time.monotonic(), 0.1))
    proxy.stop_injecting()
    elapsed = time.monotonic() - started
    hung = [t.name for t in threads if t.is_alive()]
    stacks = _stacks(threads) if hung else ""

    reports = [s.report for s in soaks]
    ops = sum((r.ops for r in reports), Counter())
    errors = sum((r.errors for r in reports), Counter())
    unexpected = sum((r.unexpected for r in reports), Counter())
    tracebacks = {k: v for r in reports for k, v in r.tracebacks.items()}
    not_found = sum(r.not_found for r in reports)
    injected = proxy.injected
    requests = len(proxy.requests)
    draws = sum(n for kind, n in injected.items() if kind != "503")  # "503-burst" counts them
    wrong = sum((r.wrong for r in reports), Counter())
    succeeded = sum(r.succeeded for r in reports)
    total = sum(ops.values())
    counts, problems = _final_check(server, repo.id, soaks) if not hung else (Counter(), [])

    summary = (
        f"soak seed={SOAK_SEED}: {total} ops in {elapsed:.0f} s "
        f"({', '.join(f'{k} {v}' for k, v in sorted(ops.items()))}); "
        f"{succeeded} succeeded ({not_found} of them 'not found', rightly); "
        f"{requests} requests, {draws} faulted ({100 * draws / max(requests, 1):.1f}%; "
        f"a burst of 503s counts once): {dict(sorted(injected.items()))}; "
        f"errors {dict(sorted(errors.items()))}; "
        f"{unexpected.total()} non-LakeFSError, {wrong.total()} wrong answers; final check "
        f"{counts['paths']} paths: {counts['corrupted']} corrupted, {counts['lost']} lost, "
        f"{counts['resurrected']} not deleted, {counts['stray']} stray"
    )
    with capsys.disabled():
        print("\n" + summary)

    failures = []
    if hung:
        failures.append(f"threads still running after the deadline: {hung}\n{stacks}")
    if any(r.out_of_time for r in reports):
        failures.append(f"the operations did not finish within {SOAK_DEADLINE:.0f} s")
    if unexpected:
        shown = [f"{n}x {what}\n{tracebacks[what]}" for what, n in unexpected.most_common(6)]
        failures.append(
            f"{unexpected.total()} exceptions that are not LakeFSError:\n" + "\n".join(shown)
        )
    if wrong:
        shown = [f"{n}x {what}" for what, n in wrong.most_common(15)]
        failures.append(f"{wrong.total()} wrong answers during the soak:\n" + "\n".join(shown))
    if problems:
        failures.append(f"{len(problems)} paths wrong at the end:\n" + "\n".join(problems[:15]))
    if not hung and total < SOAK_THREADS * SOAK_OPS_PER_THREAD:
        failures.append(f"only {total} operations ran")
    if total and succeeded < SOAK_MIN_SUCCESS * total:
        failures.append(f"only {succeeded} of {total} operations succeeded")
    missing_kinds = [k for k in RANDOM_FAULT_KINDS if injected[k] == 0]
    if missing_kinds:
        failures.append(f"faults never injected: {missing_kinds}")
    assert not failures, summary + "\n\n" + "\n\n".join(failures)


# == 2. fork =====================================================================================

FORK_CHILDREN = 4
FORK_OBJECTS_PER_PROCESS = 40
FORK_READS = 100
FORK_DEADLINE = 90.0


def _unique_objects(branch: lakefs.Branch, prefix: str, count: int) -> dict[str, bytes]:
    """``count`` objects whose contents (and sizes) differ: each its path, repeated."""
    objects = {
        f"{prefix}/{k:03d}.txt": f"{prefix}/{k:03d}.txt|".encode() * (k + 1) for k in range(count)
    }

    def put(item: tuple[str, bytes]) -> None:
        branch.upload(item[1], item[0])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(put, objects.items()))
    return objects


def _check_reads(
    ref: lakefs.Reference, paths: list[str], objects: dict[str, bytes], count: int, budget: float
) -> dict[str, Any]:
    """``count`` reads and stats of ``paths`` in turn, each checked against ``objects``."""
    result: dict[str, Any] = {"ok": 0, "wrong": 0, "errors": 0, "samples": [], "pid": os.getpid()}
    deadline = time.monotonic() + budget
    for n in range(count):
        if time.monotonic() > deadline:
            result["samples"].append(f"out of time after {n} operations")
            result["errors"] += count - n
            break
        path = paths[n % len(paths)]
        want = objects[path]
        how = ("open", "stat", "download")[n % 3]
        try:
            if how == "open":
                got: Any = _read(ref, path)
                good = got == want
            elif how == "stat":
                info = ref.stat_object(path)
                got = (info.path, info.size_bytes())
                good = got == (path, len(want))
            else:
                got = ref.download(path)
                good = got == want
        except Exception as exc:
            result["errors"] += 1
            if len(result["samples"]) < 5:
                result["samples"].append(f"{how} {path}: {type(exc).__name__}: {exc}")
            continue
        if good:
            result["ok"] += 1
        else:
            result["wrong"] += 1
            if len(result["samples"]) < 5:
                shown = got[:60] if isinstance(got, bytes) else got
                result["samples"].append(f"{how} {path}: wrong answer {shown!r}")
    return result


def _warm_pool(ref: lakefs.Reference, paths: list[str], objects: dict[str, bytes]) -> None:
    """Reads and stats from 4 threads at once: the pool then holds several open connections."""

    def work(path: str) -> None:
        assert _read(ref, path) == objects[path]
        assert ref.stat_object(path).size_bytes() == len(objects[path])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, paths))


def _fork_child(
    fd: int, ref: lakefs.Reference, paths: list[str], objects: dict[str, bytes]
) -> None:
    """The body of a forked child: report through ``fd`` and exit, never return into pytest."""
    code = 70
    try:
        result = _check_reads(ref, paths, objects, FORK_READS, FORK_DEADLINE - 10)
        payload = json.dumps(result).encode()
        code = 0
    except BaseException:
        payload = json.dumps({"crash": traceback.format_exc()}).encode()
    try:
        os.write(fd, payload[:60_000])  # below a pipe's capacity: never blocks
        os.close(fd)
    finally:
        os._exit(code)


def _collect_children(children: list[tuple[int, int]], deadline: float) -> list[dict[str, Any]]:
    """Each child's report (read from its pipe) and exit status; stragglers are killed."""
    buffers = {fd: b"" for _, fd in children}
    open_fds = set(buffers)
    while open_fds and time.monotonic() < deadline:
        ready, _, _ = select.select(list(open_fds), [], [], 0.5)
        for fd in ready:
            chunk = os.read(fd, 65536)
            if chunk:
                buffers[fd] += chunk
            else:
                open_fds.discard(fd)
    results = []
    for pid, fd in children:
        os.close(fd)
        done, status = os.waitpid(pid, os.WNOHANG)
        while done == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
            done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:  # still running: it hangs
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            results.append({"pid": pid, "hung": True, "ok": 0, "wrong": 0, "errors": 1})
            continue
        try:
            report = json.loads(buffers[fd] or b"{}")
        except ValueError:
            report = {"garbled": buffers[fd][:200].decode("latin-1")}
        report.update(pid=pid, exit=os.waitstatus_to_exitcode(status))
        results.append(report)
    return results


@pytest.mark.loopback
@pytest.mark.server("local")
def test_forked_children_read_their_own_answers(server: Server, repo: Repo) -> None:
    client = _direct_client(server, retries=2, timeout=(5.0, 10.0))
    main = lakefs.repository(repo.id, client=client).branch("main")
    total = FORK_OBJECTS_PER_PROCESS * (FORK_CHILDREN + 1)
    objects = _unique_objects(main, "fork", total)
    paths = sorted(objects)
    _warm_pool(main, paths[:24], objects)

    children: list[tuple[int, int]] = []
    deadline = time.monotonic() + FORK_DEADLINE
    for n in range(FORK_CHILDREN):
        mine = paths[n * FORK_OBJECTS_PER_PROCESS : (n + 1) * FORK_OBJECTS_PER_PROCESS]
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: it never returns into pytest
            try:
                os.close(r)
                _fork_child(w, main, mine, objects)
            finally:
                os._exit(70)
        os.close(w)
        children.append((pid, r))
    own = paths[FORK_CHILDREN * FORK_OBJECTS_PER_PROCESS :]
    parent = _check_reads(main, own, objects, FORK_READS, FORK_DEADLINE - 10)
    results = _collect_children(children, deadline)

    shown = json.dumps({"parent": parent, "children": results}, indent=1)
    assert all(r.get("exit") == 0 for r in results), f"a child failed or hung:\n{shown}"
    assert sum(r["wrong"] for r in results) == 0, f"children got wrong answers:\n{shown}"
    assert sum(r["errors"] for r in results) == 0, f"children got errors:\n{shown}"
    assert sum(r["ok"] for r in results) == FORK_CHILDREN * FORK_READS, shown
    assert (parent["wrong"], parent["errors"]) == (0, 0), f"the parent, meanwhile:\n{shown}"
    # And the parent's client still works afterwards.
    _warm_pool(main, paths[:8], objects)


_FORKED: dict[str, Any] = {}  # what fork-pool workers inherit (never pickled)


def _fork_pool_reads(paths: list[str]) -> dict[str, Any]:
    return _check_reads(_FORKED["ref"], paths, _FORKED["objects"], FORK_READS, FORK_DEADLINE - 10)


@pytest.mark.loopback
@pytest.mark.server("local")
def test_a_fork_pool_reads_its_own_answers(server: Server, repo: Repo) -> None:
    client = _direct_client(server, retries=2, timeout=(5.0, 10.0))
    main = lakefs.repository(repo.id, client=client).branch("main")
    total = FORK_OBJECTS_PER_PROCESS * (FORK_CHILDREN + 1)
    objects = _unique_objects(main, "pool", total)
    paths = sorted(objects)
    _warm_pool(main, paths[:24], objects)
    chunks = [
        paths[n * FORK_OBJECTS_PER_PROCESS : (n + 1) * FORK_OBJECTS_PER_PROCESS]
        for n in range(FORK_CHILDREN)
    ]
    own = paths[FORK_CHILDREN * FORK_OBJECTS_PER_PROCESS :]
    _FORKED.update(ref=main, objects=objects)
    try:
        with multiprocessing.get_context("fork").Pool(FORK_CHILDREN) as pool:
            pending = pool.map_async(_fork_pool_reads, chunks)
            parent = _check_reads(main, own, objects, FORK_READS, FORK_DEADLINE - 10)
            try:
                results = pending.get(timeout=FORK_DEADLINE)
            except multiprocessing.TimeoutError:
                pytest.fail(f"the fork pool's workers did not finish in {FORK_DEADLINE:.0f} s")
    finally:
        _FORKED.clear()
    shown = json.dumps({"parent": parent, "workers": results}, indent=1)
    assert sum(r["wrong"] for r in results) == 0, f"workers got wrong answers:\n{shown}"
    assert sum(r["errors"] for r in results) == 0, f"workers got errors:\n{shown}"
    assert sum(r["ok"] for r in results) == FORK_CHILDREN * FORK_READS, shown
    assert (parent["wrong"], parent["errors"]) == (0, 0), f"the parent, meanwhile:\n{shown}"


# == 3. spawn ====================================================================================

SPAWN_DEADLINE = 120.0


def _spawn_read(task: tuple[str, Any, str, str]) -> dict[str, Any]:
    """Read ``path`` through an unpickled handle (in a spawned worker)."""
    kind, handle, repo_id, path = task
    if kind == "client":
        data = _read(lakefs.repository(repo_id, client=handle).branch("main"), path)
    elif kind == "repository":
        data = _read(handle.branch("main"), path)
    elif kind == "object":
        ref = lakefs.repository(handle.repository_id, client=handle.client).ref(handle.reference_id)
        with ref.open(handle.path, "rb") as f:
            data = f.read()
        if handle.size_bytes() != len(data):
            data = b"size_bytes() disagrees with the content"
    else:  # branch, tag, reference
        data = _read(handle, path)
    client = handle if isinstance(handle, Client) else handle.client
    return {
        "kind": kind,
        "path": path,
        "sha": _sha(data),
        "type": type(handle).__name__,
        "host": client.config.host,
        "pid": os.getpid(),
        "sdk": lakefs.__file__,  # the worker runs the parent's SDK, not another install
    }


def _spawn_raise(kind: str, handle: Any) -> None:
    """Raise one kind of exception (in a spawned worker, or here for the expected one)."""
    if kind == "missing-object":
        handle.open("no/such/object.bin", "rb")
    elif kind == "missing-object-info":
        lakefs.ObjectInfo(
            handle.repository_id, handle.id, "no/such/object.bin", handle.client
        ).size_bytes()
    elif kind == "transaction":
        raise TransactionError(
            "merge conflict", repository_id="example-repo", branch_id="main-txn-1", source="main"
        )
    elif kind == "delete":
        raise DeleteObjectsError([("a.csv", "denied"), ("b/c.csv", "locked")])
    elif kind == "import":
        raise ImportFailedError("the source vanished", import_id="imp-123")
    raise AssertionError(f"{kind} raised nothing")


def _exception_state(exc: BaseException) -> dict[str, Any]:
    """What must survive a round trip: the type, text, args and attributes (not request ids)."""
    state = {k: v for k, v in vars(exc).items() if k != "request_id"}
    state.update(type=type(exc), str=str(exc), args=exc.args)
    if isinstance(exc, OSError):
        state.update(errno=exc.errno, strerror=exc.strerror, filename=exc.filename)
    return state


def _compare_exceptions(kind: str, got: BaseException, expected: BaseException) -> list[str]:
    if _exception_state(got) != _exception_state(expected):
        return [
            f"{kind}: came back as {_exception_state(got)}, expected {_exception_state(expected)}"
        ]
    if isinstance(expected, lakefs.APIStatusError) and not getattr(got, "request_id", None):
        return [f"{kind}: lost its request_id"]
    return []


@pytest.mark.loopback
@pytest.mark.server("local")
def test_a_spawn_pool_reads_through_pickled_handles(server: Server, repo: Repo) -> None:
    client = _direct_client(server, retries=2, timeout=(5.0, 30.0))
    repository = lakefs.repository(repo.id, client=client)
    main = repository.branch("main")
    objects = _unique_objects(main, "spawn", 6)
    commit = main.commit_changes("objects to read from spawned workers")
    tag = repository.tag("spawn-v1").create(commit)
    reference = repository.commit(commit.id)
    paths = sorted(objects)

    handles: dict[str, Any] = {
        "client": client,
        "repository": repository,
        "branch": main,
        "tag": tag,
        "reference": reference,
    }
    expected_types = {
        "client": "Client",
        "repository": "Repository",
        "branch": "Branch",
        "tag": "Tag",
        "reference": "Reference",
        "object": "ObjectInfo",
    }
    tasks: list[tuple[str, Any, str, str]] = [
        (kind, handle, repo.id, path) for kind, handle in handles.items() for path in paths
    ]
    failures: list[str] = []
    try:
        tasks += [
            ("object", lakefs.ObjectInfo(repo.id, "main", path, main.client), repo.id, path)
            for path in paths
        ]
    except AttributeError as exc:
        failures.append(f"no object handle to send: {exc!r}")
    # Spawned workers import this module: they get the parent's sys.path, which has the root.
    root = pathlib.Path(__file__).resolve().parent.parent
    assert root in {pathlib.Path(p or ".").resolve() for p in sys.path}

    with multiprocessing.get_context("spawn").Pool(2) as pool:
        # Exceptions raised in a worker come back as the same type, with the same attributes.
        for kind, handle in [
            ("transaction", None),
            ("delete", None),
            ("import", None),
            ("missing-object", main),
            ("missing-object-info", main),
        ]:
            try:
                _spawn_raise(kind, handle)
            except Exception as exc:
                expected = exc
            if kind.startswith("missing") and not isinstance(expected, lakefs.NotFoundError):
                failures.append(f"{kind}: raises {expected!r} here, not a NotFoundError")
                continue
            try:
                pickle.loads(pickle.dumps(expected))
            except Exception as exc:  # sent through the pool, it would kill the pool
                failures.append(f"{kind}: {type(expected).__name__} does not unpickle: {exc!r}")
                continue
            try:
                pool.apply_async(_spawn_raise, (kind, handle)).get(timeout=60)
            except multiprocessing.TimeoutError:
                failures.append(f"{kind}: no answer from the worker in 60 s")
                break  # the pool's result thread may be dead: later tasks would hang too
            except Exception as got:
                failures += _compare_exceptions(kind, got, expected)
            else:
                failures.append(f"{kind}: the worker raised nothing")

        # Reads through every kind of pickled handle.
        try:
            results = pool.map_async(_spawn_read, tasks).get(timeout=SPAWN_DEADLINE)
        except multiprocessing.TimeoutError:
            failures.append(f"the spawn pool did not finish in {SPAWN_DEADLINE:.0f} s")
            results = []
        except Exception as exc:
            failures.append(f"reads through pickled handles failed: {exc!r}")
            results = []
        for r in results:
            if r["sha"] != _sha(objects[r["path"]]):
                failures.append(f"{r['kind']} {r['path']}: wrong content")
            if r["type"] != expected_types[r["kind"]]:
                failures.append(f"{r['kind']}: unpickled as a {r['type']}")
            if r["host"] != client.config.host:
                failures.append(f"{r['kind']}: unpickled with host {r['host']}")
            if r["pid"] == os.getpid():
                failures.append("a task ran in the parent")
            if r["sdk"] != lakefs.__file__:
                failures.append(f"a worker imported another lakefs: {r['sdk']}")
        if results:
            assert len(results) == len(tasks)
    assert not failures, "\n".join(failures)


# == 4. pickle round trips, in-process (no server) ===============================================

PROTOCOLS = sorted({pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL})


def _round_trip(value: Any, protocol: int = pickle.DEFAULT_PROTOCOL) -> Any:
    return pickle.loads(pickle.dumps(value, protocol=protocol))


def _offline_client(**options: Any) -> Client:
    """A client of a server that does not exist (nothing here sends a request)."""
    return Client(
        host="http://127.0.0.1:1",
        access_key_id="AKIAEXAMPLE",
        secret_access_key="secret",
        **options,
    )


@pytest.fixture
def offline_client() -> Client:
    return _offline_client()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_client_pickles_as_its_config_with_a_pool_of_its_own(protocol: int) -> None:
    for client in (
        _offline_client(),
        _offline_client(timeout=(3.0, 7.0), retries=2, max_connections=4, verify_ssl=False),
    ):
        copy = _round_trip(client, protocol)
        assert type(copy) is Client
        assert copy.config == client.config
        assert copy.config.access_key_id == "AKIAEXAMPLE"
        assert copy.config.secret_access_key == "secret"
        assert copy.config.timeout == client.config.timeout
        assert copy.transport is not client.transport
        assert copy.sdk is not client.sdk
        assert copy.transport.config == client.config
        assert copy.sdk.configuration.host == client.sdk.configuration.host
        # Still a working client: its options can change, it closes.
        assert copy.with_options(retries=1).config.retries == 1
        copy.close()
        client.close()


HANDLES: dict[str, Callable[[Client], Any]] = {
    "repository": lambda c: lakefs.repository("example-repo", client=c),
    "reference": lambda c: lakefs.repository("example-repo", client=c).ref("main~2"),
    "commit": lambda c: lakefs.repository("example-repo", client=c).commit("a" * 64),
    "branch": lambda c: lakefs.repository("example-repo", client=c).branch("dev"),
    "tag": lambda c: lakefs.repository("example-repo", client=c).tag("v1.0"),
    "object-on-branch": lambda c: lakefs.ObjectInfo("example-repo", "main", "data/a.csv", client=c),
    "object-at-tag": lambda c: lakefs.ObjectInfo("example-repo", "v1.0", "data/b c.csv", client=c),
}


@pytest.mark.parametrize("name", sorted(HANDLES))
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_handle_pickles_with_its_client(name: str, protocol: int, offline_client: Client) -> None:
    handle = HANDLES[name](offline_client)
    copy = _round_trip(handle, protocol)
    assert type(copy) is type(handle)
    assert copy == handle
    assert hash(copy) == hash(handle)
    assert repr(copy) == repr(handle)
    for attr in ("repository_id", "id", "reference_id", "path"):
        assert getattr(copy, attr, None) == getattr(handle, attr, None)
    assert copy.client is not offline_client
    assert copy.client.config == offline_client.config
    assert copy.client.transport is not offline_client.transport

    # Pickled together, a client and its handles come back sharing one (new) client.
    client2, handle2, again = _round_trip((offline_client, handle, HANDLES[name](offline_client)))
    assert handle2.client is client2
    assert again.client is client2


@pytest.mark.parametrize("name", sorted(HANDLES))
def test_a_handle_without_a_client_pickles_without_one(name: str, offline_client: Client) -> None:
    handle = HANDLES[name](offline_client)
    handle._client = None  # as made without client=: the default client, resolved when used
    copy = _round_trip(handle)
    assert copy == handle
    assert copy._client is None


def test_an_object_from_a_listing_keeps_its_stats(offline_client: Client) -> None:
    branch = lakefs.repository("example-repo", client=offline_client).branch("main")
    stats = {
        "path": "data/a.csv",
        "path_type": "object",
        "physical_address": "local://ns/data/abc",
        "checksum": "0123456789abcdef",
        "mtime": 1_700_000_000,
        "size_bytes": 1234,
        "content_type": "text/csv",
        "metadata": {"owner": "me"},
    }
    info = lakefs.ObjectInfo.from_stats(branch, stats)
    copy = _round_trip(info)
    assert copy == info
    # Known already: no request (this client's server does not exist).
    assert copy.size_bytes() == 1234
    assert copy.checksum() == "0123456789abcdef"
    assert copy.metadata() == {"owner": "me"}
    assert copy.content_type() == "text/csv"


def _exception_classes() -> list[type[BaseException]]:
    """Every public exception class of the SDK."""
    found: dict[str, type[BaseException]] = {}
    for module in (lakefs, lakefs.lib.imports, lakefs.lib.objects, lakefs.lib.transactions):
        names = getattr(module, "__all__", dir(module))
        for name in names:
            value = getattr(module, name, None)
            public = not name.startswith("_")
            if public and inspect.isclass(value) and issubclass(value, BaseException):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


_STATUS = {  # the status each status error stands for (the base classes: an example)
    "APIStatusError": 418,
    "BadRequestError": 400,
    "UnauthorizedError": 401,
    "ForbiddenError": 403,
    "NotFoundError": 404,
    "ConflictError": 409,
    "GoneError": 410,
    "PreconditionFailedError": 412,
    "RangeNotSatisfiableError": 416,
    "TooManyRequestsError": 429,
    "ServerError": 503,
    "NotImplementedByServerError": 501,
    "ProxyError": 407,
}
_SAMPLE_ARGUMENTS = {
    "method": "GET",
    "path": "/api/v1/repositories/example-repo",
    "body": '{"message":"the message"}',
    "request_id": "req-1",
    "import_id": "imp-123",
    "repository_id": "repo-1",
    "branch_id": "main-txn-1",
    "source": "main",
    "proxy": "http://proxy.example:3128",
}


def _examples(cls: type[BaseException]) -> list[BaseException]:
    """Instances of ``cls``: with every keyword argument it takes, and with the required ones."""
    if issubclass(cls, DeleteObjectsError):
        many = [(f"p/{k}.csv", "denied") for k in range(12)]
        return [cls([("a.csv", "denied"), ("b.csv", "locked")]), cls(many)]
    params = inspect.signature(cls.__init__).parameters
    full: dict[str, Any] = {}
    for name, param in params.items():
        if param.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        if name in ("status", "status_code"):
            full[name] = next(_STATUS[c.__name__] for c in cls.__mro__ if c.__name__ in _STATUS)
        elif name in _SAMPLE_ARGUMENTS:
            full[name] = _SAMPLE_ARGUMENTS[name]
        elif param.default is inspect.Parameter.empty:
            raise AssertionError(f"{cls.__name__}: what to pass as {name}=? (teach this test)")
    required = {k: v for k, v in full.items() if params[k].default is inspect.Parameter.empty}
    return [cls("the message", **full), cls("the message", **required)]


EXCEPTIONS = _exception_classes()


def test_every_public_exception_is_covered() -> None:
    names = {cls.__name__ for cls in EXCEPTIONS}
    for needed in ("LakeFSError", "TransactionError", "DeleteObjectsError", "ImportManagerError"):
        assert needed in names
    assert {n for n in lakefs.__all__ if n.endswith("Error")} <= names


@pytest.mark.parametrize("cls", EXCEPTIONS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_an_exception_pickles_as_itself(cls: type[BaseException], protocol: int) -> None:
    for exc in _examples(cls):
        copy = _round_trip(exc, protocol)
        assert type(copy) is cls
        state = _exception_state(exc)
        state["request_id"] = getattr(exc, "request_id", None)
        copied = _exception_state(copy)
        copied["request_id"] = getattr(copy, "request_id", None)
        assert copied == state
        assert repr(copy) == repr(exc)
