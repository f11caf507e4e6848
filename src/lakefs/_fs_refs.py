"""What a reference of a ``lakefs://`` path is: a branch, or a commit it resolves to.

The listing cache pins a commit's listings (:mod:`lakefs._fs_cache`), and writes go to
branches only. A branch is known once (lakeFS has no way to make a branch into a tag); a commit
id resolves to itself for good; a tag or an expression (``main~1``) resolves to a commit that
may change, so it is asked again once ``listings_expiry_time`` has passed.

Here too: how a path names them (``REPOSITORY/REF/KEY``), the reference a read goes to and the
branch a write goes to (a transaction's ephemeral branch inside one; a tag, a commit or an
expression refused with :class:`~lakefs.fs.ReadOnlyReferenceError`).
"""

from __future__ import annotations

import errno
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from lakefs import _fs_cache
from lakefs._client import Client
from lakefs._exceptions import NotFoundError, ValidationError
from lakefs._fs_errors import MISSING, ReadOnlyReferenceError, translating
from lakefs._generated.branch import Branch
from lakefs._generated.reference import Reference

if TYPE_CHECKING:
    from lakefs.fs import LakeFSFileSystem

__all__ = [
    "FSPath",
    "References",
    "Resolved",
    "check_branch",
    "in_transaction",
    "parse",
    "read_reference",
    "strip_protocol",
    "write_branch",
]


class FSPath(NamedTuple):
    """A parsed ``REPOSITORY/REF/KEY`` path (missing parts are empty strings)."""

    repo: str
    ref: str
    key: str


def strip_protocol(path: Any) -> Any:
    """``lakefs://repo/ref/key/`` -> ``repo/ref/key`` (lists element-wise)."""
    if isinstance(path, list):
        return [strip_protocol(p) for p in path]
    text = os.fspath(path) if isinstance(path, os.PathLike) else str(path)
    if text.startswith("lakefs://"):
        text = text[len("lakefs://") :]
    elif text.startswith("lakefs::"):
        text = text[len("lakefs::") :]
    return text.strip("/")


def parse(path: str) -> FSPath:
    """Split ``REPOSITORY/REF/KEY``; an empty repository or reference before a later part
    (``repo//main/x``) names nothing, so it is refused before any request."""
    parts = strip_protocol(path).split("/", 2)
    parts += [""] * (3 - len(parts))
    repo, ref, key = parts
    if (not repo and (ref or key)) or (not ref and key):
        raise FileNotFoundError(
            errno.ENOENT, "an empty repository or reference in a lakefs:// path", path
        )
    return FSPath(repo, ref, key)


@dataclass(frozen=True)
class Resolved:
    """What one reference is.

    Attributes:
        commit: the commit it resolves to (None: a branch, whose content changes).
        until: when to ask again (the cache's clock; infinite for branches and commit ids).
    """

    commit: str | None
    until: float


class References:
    """The references of one filesystem, each resolved once (a tag's, an expression's again
    after ``expiry()`` seconds). Thread-safe: an answer replaces another whole.

    Args:
        client: the client requests go through.
        expiry: seconds a tag's or an expression's resolution is kept (None: for good).
    """

    def __init__(self, client: Callable[[], Client], expiry: Callable[[], float | None]) -> None:
        self._client = client
        self._expiry = expiry
        self._known: dict[tuple[str, str], Resolved] = {}
        self._lock = threading.Lock()  # for forget()'s walk over them; one answer is one write

    def mark_branch(self, repository_id: str, reference_id: str) -> None:
        """``reference_id`` was found to be a branch."""
        with self._lock:
            self._known[(repository_id, reference_id)] = Resolved(None, math.inf)

    def is_branch(self, repository_id: str, reference_id: str) -> bool:
        """Whether ``reference_id`` is known to be a branch (no request)."""
        known = self._known.get((repository_id, reference_id))
        return known is not None and known.commit is None

    def forget(self, repository_id: str | None = None, reference_id: str | None = None) -> None:
        """Ask again what tags and expressions resolve to: all, or ``reference_id``'s."""
        with self._lock:
            for key, known in list(self._known.items()):
                chosen = repository_id is None or key == (repository_id, reference_id)
                if known.commit is not None and chosen:
                    del self._known[key]

    def resolve(self, repository_id: str, reference_id: str) -> Resolved:
        """What ``reference_id`` is now: at most two requests, none while still known.

        Raises:
            NotFoundError: no such reference (or repository).
            LakeFSError: the requests failed.
        """
        key = (repository_id, reference_id)
        known = self._known.get(key)
        if known is not None and _fs_cache._now() < known.until:
            return known
        client = self._client()
        try:
            Branch(repository_id, reference_id, client=client).head()
        except (ValidationError, NotFoundError):  # not a branch name, or no such branch
            pass
        else:
            self.mark_branch(repository_id, reference_id)
            return Resolved(None, math.inf)
        commit = Reference(repository_id, reference_id, client=client).get_commit().id
        expiry = self._expiry()
        forever = commit == reference_id or expiry is None  # a commit id: for good
        until = math.inf if forever else _fs_cache._now() + (expiry or 0.0)
        resolved = Resolved(commit, until)
        with self._lock:
            self._known[key] = resolved
        return resolved


def in_transaction(fs: LakeFSFileSystem, p: FSPath) -> bool:
    """Whether ``p``'s ref has an ephemeral branch of the transaction under way."""
    tx = fs._transaction if fs._intrans else None
    return tx is not None and (p.repo, p.ref) in tx.transactions


def read_reference(fs: LakeFSFileSystem, p: FSPath) -> Reference:
    """The reference reads of ``p`` go to (a transaction's ephemeral branch if it has one)."""
    tx = fs._transaction if fs._intrans else None
    if tx is not None and (p.repo, p.ref) in tx.transactions:
        return tx.transactions[(p.repo, p.ref)].branch
    return Reference(p.repo, p.ref, client=fs.client)


def write_branch(fs: LakeFSFileSystem, p: FSPath, create: bool = False) -> Branch:
    """The branch a write to ``p`` goes to (a transaction's ephemeral branch inside one;
    ``create``: a write of new bytes, which ``create_branch_ok`` may create it for)."""
    if not p.repo or not p.ref or not p.key:
        raise IsADirectoryError(
            errno.EISDIR, "a repository, a ref or a path is needed", "/".join(p)
        )
    tx = fs._transaction if fs._intrans else None
    if tx is not None:
        return tx.branch_for(p.repo, p.ref, create)
    return check_branch(fs, p.repo, p.ref, create)


@translating(lambda fs, repository_id, branch_id, create=False: f"{repository_id}/{branch_id}")
def check_branch(
    fs: LakeFSFileSystem, repository_id: str, branch_id: str, create: bool = False
) -> Branch:
    """``branch_id`` as a Branch, after checking once that it is one (``create``, with
    ``create_branch_ok``: a ref that names nothing is created from ``source_branch``)."""
    try:
        branch = Branch(repository_id, branch_id, client=fs.client)
    except ValidationError:
        raise ReadOnlyReferenceError(repository_id, branch_id) from None
    if fs._refs.is_branch(repository_id, branch_id):
        return branch
    try:
        resolved = fs._refs.resolve(repository_id, branch_id)
    except MISSING:
        if not (create and fs.create_branch_ok):
            raise
        branch.create(fs.source_branch, exist_ok=True)
        fs._refs.forget(repository_id, branch_id)
        fs._refs.mark_branch(repository_id, branch_id)
        fs.invalidate_cache(repository_id)
        return branch
    if resolved.commit is not None:
        raise ReadOnlyReferenceError(repository_id, branch_id)
    return branch
