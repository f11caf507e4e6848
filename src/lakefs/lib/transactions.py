"""Transactions on a branch: changes made on an ephemeral branch, merged back all at once.

``with branch.transaction("message") as tx:`` creates ``<branch>-txn-<id>`` from the branch's
head; ``tx`` is that branch (every read and write of a branch works on it). On success the
changes are committed, merged into the source branch, and the ephemeral branch is deleted. On an
exception, or a failed commit or merge (a conflict with changes made meanwhile), the source is
untouched, the ephemeral branch is kept for troubleshooting, and a ``TransactionError`` says
what to do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from lakefs import _validation as validate
from lakefs._exceptions import LakeFSError, NotFoundError
from lakefs._logs import get_logger

if TYPE_CHECKING:
    from lakefs._client import RequestTimeout
    from lakefs._generated.branch import Branch
    from lakefs._generated.reference import Reference

__all__ = ["BranchTransaction", "TransactionError", "transaction"]

log = get_logger("transactions")


def _random_id() -> str:
    return uuid.uuid4().hex[:12]


class TransactionError(LakeFSError):
    """A transaction did not complete; the source branch is untouched.

    Attributes:
        branch_id: the ephemeral branch, kept as it was for troubleshooting.
        source_branch_id: the branch the transaction would have merged into.
    """

    def __init__(self, message: str, *, repository_id: str, branch_id: str, source: str) -> None:
        hint = (
            f"; the changes are kept on branch {branch_id!r} of repository {repository_id!r}: "
            f"inspect them with lakefs.repository({repository_id!r}).branch({branch_id!r})"
            ".list_uncommitted() or .diff(...), and delete it with .delete()"
        )
        super().__init__(f"transaction on {source!r} failed: {message}{hint}")
        self.repository_id = repository_id
        self.branch_id = branch_id
        self.source_branch_id = source


class ExitHook:
    """A context manager whose leaving needs only the exception: ``__exit__`` is written once
    here and hands it to the class's ``_exit`` (``exc`` None after a block that succeeded),
    which never swallows it. BranchTransaction, lakefs://'s transactions and
    ``lakefs.testing``'s launchers leave this way."""

    __slots__ = ()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Leave the block: the class's ``_exit`` with the exception (None on success)."""
        self._exit(exc)

    def _exit(self, exc: BaseException | None) -> None:
        raise NotImplementedError


class BranchTransaction(ExitHook):
    """A transaction on a branch, used as a context manager; ``with`` gives its ephemeral branch.

    Args:
        source: the branch to change.
        commit_message: the message of the transaction's commit.
        metadata: the commit's metadata.
        txn_id: makes the ephemeral branch's id suffix (injectable for repeatable tests).
        timeout: each request's timeout (None: the client's).
        extra_headers: headers added to each request sent to lakeFS.

    Raises:
        ValidationError: an empty ``commit_message`` or bad ``metadata``.

    Attributes:
        branch: the ephemeral branch (``<source>-txn-<id>``); the ``with`` block works on it.
        merge_commit: the merge into the source, once the transaction succeeded with changes.
    """

    def __init__(
        self,
        source: Branch,
        commit_message: str,
        metadata: dict[str, str] | None = None,
        txn_id: Callable[[], str] = _random_id,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        validate.commit_to_make(commit_message, metadata)
        self.source = source
        # The same class as the source (a Branch): no import of the generated module needed.
        self.branch = type(source)(
            source.repository_id, f"{source.id}-txn-{txn_id()}", client=source._client
        )
        self.commit_message = commit_message
        self.commit_metadata = dict(metadata or {})
        # Every request of the transaction (create, commit, merge, delete) gets these.
        self._options: dict[str, Any] = {"timeout": timeout, "extra_headers": extra_headers}
        self.merge_commit: Reference | None = None

    def __enter__(self) -> Branch:
        """Create the ephemeral branch from the source's head, and return it."""
        try:
            self.branch.create(self.source.head(**self._options), **self._options)
        except Exception:
            raise
        except BaseException:
            # Interrupted (Ctrl-C) while the branch was being created: it may exist now.
            # Remove it, or at least name it, so that nothing unnamed is left behind.
            self._remove_after_interrupt()
            raise
        return self.branch

    def _remove_after_interrupt(self) -> None:
        try:
            self.branch.delete(**self._options)
        except NotFoundError:
            return
        except BaseException as exc:
            log.warning(
                "transaction interrupted while branch %s of repository %s was being created; "
                "it may exist: delete it with lakefs.repository(%r).branch(%r).delete() (%s)",
                self.branch.id,
                self.branch.repository_id,
                self.branch.repository_id,
                self.branch.id,
                exc,
            )

    def _fail(self, message: str) -> TransactionError:
        return TransactionError(
            message,
            repository_id=self.branch.repository_id,
            branch_id=self.branch.id,
            source=self.source.id,
        )

    def _exit(self, exc: BaseException | None) -> None:
        """Commit and merge on success; on an exception keep the ephemeral branch and raise
        a TransactionError."""
        if exc is not None and not isinstance(exc, Exception):
            # KeyboardInterrupt, SystemExit: propagate as themselves, never as an Exception.
            log.warning(
                "transaction on %s interrupted by %s; its changes are kept on branch %s of "
                "repository %s",
                self.source.id,
                type(exc).__name__,
                self.branch.id,
                self.branch.repository_id,
            )
            return
        if exc is not None:
            raise self._fail(f"{type(exc).__name__}: {exc}") from exc
        tx = self.branch
        try:
            if next(iter(tx.list_uncommitted(max_amount=1, **self._options)), None) is not None:
                metadata = self.commit_metadata or None
                tx.commit_changes(self.commit_message, metadata=metadata, **self._options)
                self.merge_commit = tx.merge_into(
                    self.source,
                    message=f"Merge transaction {tx.id}: {self.commit_message}",
                    **self._options,
                )
        except LakeFSError as failure:
            raise self._fail(str(failure)) from failure
        try:
            tx.delete(**self._options)
        except LakeFSError as cleanup:  # the merge happened: report, never fail the transaction
            log.warning("transaction merged, but branch %s was not deleted: %s", tx.id, cleanup)

    def __repr__(self) -> str:
        """The source branch and the ephemeral one."""
        return f"BranchTransaction(source={self.source.id!r}, branch={self.branch.id!r})"


def transaction(
    branch: Branch,
    commit_message: str,
    metadata: dict[str, str] | None = None,
    *,
    txn_id: Callable[[], str] | None = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> BranchTransaction:
    """A transaction: ``with branch.transaction("message") as tx:`` works on an ephemeral
    branch, committed and merged into this one only if the block succeeds (nothing happens
    before the ``with`` block).

    Args:
        commit_message: The transaction commit's message.
        metadata: The commit's metadata.
        txn_id: Makes the ephemeral branch's suffix (None: 12 random hex digits).
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Returns:
        A BranchTransaction, to use in a ``with`` block (it yields the ephemeral Branch).

    Raises:
        ValidationError: a bad message, metadata or ``txn_id`` (before any request).
        TransactionError: raised when the ``with`` block ends: the block raised, or committing
            or merging failed (the source is untouched; the ephemeral branch is kept).

    Example:
        >>> main = lakefs.repository(repo.id).branch("main")
        >>> with main.transaction("update the table") as tx:
        ...     _ = tx.upload(b"id\\n1\\n", "table/part-0.csv")
        ...     _ = tx.upload(b"id\\n2\\n", "table/part-1.csv")
        >>> main.head().commit_message().endswith("update the table")
        True
        >>> [entry.path for entry in main.list_objects(prefix="table/")]
        ['table/part-0.csv', 'table/part-1.csv']
    """
    return BranchTransaction(
        branch, commit_message, metadata, txn_id or _random_id, timeout, extra_headers
    )
