"""The folder index: what a local file was last found to hold, so that a re-run reads nothing.

``skip_unchanged`` compares each local file with its object by size and checksum, and computing
a checksum reads the whole file: a re-run over an unchanged 100 GB folder would read 100 GB. The
index remembers, per file of a folder, the checksum its content was found to have (compared, sent
or downloaded) together with the file's identity and state: device, inode, size, modification and
status-change times in nanoseconds. A later comparison trusts the remembered checksum only when
all of them are the same, so no edit can hide: writing changes the times, ``utime`` can set the
modification time back but not the status-change time (``ctime``, set by the kernel on every
change), and a file replaced by another (a rename, a copy) has another inode.

One rule guards against an edit within a timestamp's resolution ("racily clean" files, as git
calls them): an entry is trusted only if the file had not changed for a while when the entry was
written (50 ms, or 2 s where the file system keeps whole seconds); otherwise the file is read, as
without an index.

Where: the user's cache directory, ``$LAKEFS_INDEX_DIR``, else ``$XDG_CACHE_HOME/lakefs-python/
folder-index``, else ``~/.cache/lakefs-python/folder-index``: one SQLite file per folder (named by
a hash of its absolute path), as huggingface_hub keeps its caches. Not beside the folder (as
lakectl ``local`` does): the folder stays exactly the user's data, an upload of it never carries
the index, and a read-only folder still gets one. ``LAKEFS_NO_INDEX=1`` turns it off.

Safety: SQLite writes each batch atomically (a crash mid-write leaves the previous state) and
locks between processes (concurrent runs on one folder wait for each other's short writes); every
entry is true of the state it names, so whichever run wrote last, an entry can only make a file
be read when it need not be, never skipped when it must not be. An index that cannot be opened
or read (a full disk, a corrupt file) is not used, with one warning: the run reads the files.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from lakefs._logs import get_logger

if TYPE_CHECKING:  # imported when an index is opened: `import lakefs` does not pay for it
    import sqlite3

__all__ = ["FolderIndex", "State", "index_dir", "open_index"]

log = get_logger("folders")

_SETTLED_NS = 50_000_000  # how long a file must have been unchanged when its entry is written
_SETTLED_COARSE_NS = 2_000_000_000  # the same where the file system keeps whole seconds
_FLUSH_EVERY = 256  # entries written in one transaction


class State(NamedTuple):
    """A local file's identity and state, as ``os.stat`` gives them."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> State:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def index_dir() -> Path | None:
    """Where folder indexes live (None: ``LAKEFS_NO_INDEX=1``)."""
    if os.environ.get("LAKEFS_NO_INDEX", "") not in ("", "0"):
        return None
    given = os.environ.get("LAKEFS_INDEX_DIR")
    if given:
        return Path(given)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "lakefs-python" / "folder-index"


class FolderIndex:
    """The index of one local folder: :meth:`checksum` looks a file up, :meth:`record` notes
    what it holds (written in batches, and by :meth:`close`). Safe to share between threads."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._lock = threading.Lock()
        self._pending: list[tuple[object, ...]] = []
        self._broken = False

    def checksum(self, rel: str, state: State) -> str | None:
        """The checksum ``rel``'s content was found to have, if the file is still exactly as it
        was then (and had settled before); None otherwise."""
        import sqlite3

        with self._lock:
            if self._broken:
                return None
            try:
                row = self._db.execute(
                    "SELECT dev, ino, size, mtime_ns, ctime_ns, recorded_ns, checksum"
                    " FROM files WHERE rel = ?",
                    (rel,),
                ).fetchone()
            except sqlite3.Error as exc:
                self._give_up(exc)
                return None
        if row is None or State(*row[:5]) != state:
            return None
        settled = _SETTLED_COARSE_NS if state.ctime_ns % 1_000_000_000 == 0 else _SETTLED_NS
        if row[5] - max(state.mtime_ns, state.ctime_ns) < settled:
            return None  # changed too close to when it was noted: an edit could hide there
        return str(row[6])

    def record(self, rel: str, state: State, checksum: str) -> None:
        """Note that ``rel``, in ``state``, holds content of ``checksum`` (lakeFS's, normalized:
        no quotes, lower case)."""
        entry = (rel, *state, time.time_ns(), checksum)
        with self._lock:
            if self._broken:
                return
            self._pending.append(entry)
            if len(self._pending) >= _FLUSH_EVERY:
                self._flush()

    def forget(self, rel: str) -> None:
        """Drop ``rel``'s entry (its file was deleted)."""
        import sqlite3

        with self._lock:
            if self._broken:
                return
            self._pending = [e for e in self._pending if e[0] != rel]
            try:
                self._db.execute("DELETE FROM files WHERE rel = ?", (rel,))
            except sqlite3.Error as exc:
                self._give_up(exc)

    def _flush(self) -> None:
        import sqlite3

        if not self._pending:
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")  # one transaction: all of the batch, or none
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO files"
                    " (rel, dev, ino, size, mtime_ns, ctime_ns, recorded_ns, checksum)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    self._pending,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._give_up(exc)
        self._pending.clear()

    def _give_up(self, exc: Exception) -> None:
        self._broken = True
        log.warning("folder index %s not used (%s): files are read to compare", self.path, exc)

    def close(self) -> None:
        """Write what is pending and release the database (idempotent)."""
        with self._lock:
            if not self._broken:
                self._flush()
            self._db.close()
            self._broken = True

    def __enter__(self) -> FolderIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_index(root: Path) -> FolderIndex | None:
    """The index of the folder ``root`` (created on first use), or None when there is none to
    use (``LAKEFS_NO_INDEX=1``, or it cannot be opened: logged once)."""
    import sqlite3

    where = index_dir()
    if where is None:
        return None
    name = hashlib.sha256(os.fsencode(os.path.abspath(root))).hexdigest()[:32]
    path = where / f"{name}.sqlite3"
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        db = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS files (rel TEXT PRIMARY KEY, dev INTEGER, ino INTEGER,"
            " size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, recorded_ns INTEGER,"
            " checksum TEXT)"
        )
    except (OSError, sqlite3.Error) as exc:
        log.warning("no folder index at %s (%s): files are read to compare", path, exc)
        return None
    return FolderIndex(db, path)
