"""What a reference of a ``lakefs://`` path is: a branch, or a commit it resolves to.

The listing cache pins a commit's listings (:mod:`lakefs._fs_cache`), and writes go to
branches only. A branch is known once (lakeFS has no way to make a branch into a tag); a commit
id resolves to itself for good; a tag or an expression (``main~1``) resolves to a commit that
may change, so it is asked again once ``listings_expiry_time`` has passed.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

from lakefs import _fs_cache
from lakefs._client import Client
from lakefs._exceptions import NotFoundError, ValidationError
from lakefs._generated.branch import Branch
from lakefs._generated.reference import Reference

__all__ = ["References", "Resolved"]


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
