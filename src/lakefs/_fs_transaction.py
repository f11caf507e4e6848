"""``fs.transaction`` of ``lakefs://``: writes land on ephemeral branches, merged when the block
succeeds (the SDK's :class:`~lakefs.BranchTransaction`, one per branch written)."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from fsspec.transaction import Transaction

from lakefs._generated.branch import Branch
from lakefs.lib.transactions import BranchTransaction

if TYPE_CHECKING:
    from lakefs.fs import LakeFSFileSystem

__all__ = ["LakeFSTransaction"]


class LakeFSTransaction(Transaction):  # type: ignore[misc]  # fsspec is untyped
    """``fs.transaction``: writes land on ephemeral branches, merged when the block succeeds.

    The first write to a branch inside the transaction starts an SDK
    :class:`~lakefs.BranchTransaction` on it; every later read and write of that branch's paths
    through this filesystem goes to the ephemeral branch. On success each ephemeral branch is
    committed with ``message`` and merged into its branch; after an exception nothing is merged,
    the ephemeral branches are kept for inspection and a :class:`~lakefs.TransactionError` names
    them (chained from the exception).

    Example:
        >>> with fs.transaction("add partition 7"):  # doctest: +SKIP
        ...     fs.pipe_file("repo/main/data/part-7.parquet", data)
    """

    def __init__(
        self,
        fs: LakeFSFileSystem,
        message: str = "fsspec transaction",
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(fs)
        self.message = message
        self.metadata = metadata
        self.transactions: dict[tuple[str, str], BranchTransaction] = {}
        self.txn_id: Callable[[], str] | None = None

    def __call__(
        self,
        message: str | None = None,
        metadata: dict[str, str] | None = None,
        *,
        txn_id: Callable[[], str] | None = None,
    ) -> LakeFSTransaction:
        """Set the commit message (and metadata): ``with fs.transaction("message"):``.

        Args:
            message: the commit message of each branch's transaction.
            metadata: the commits' metadata.
            txn_id: makes the ephemeral branches' suffix (default: random).
        """
        if message is not None:
            self.message = message
        if metadata is not None:
            self.metadata = metadata
        if txn_id is not None:
            self.txn_id = txn_id
        return self

    @property
    def _fs(self) -> LakeFSFileSystem | None:
        fs: LakeFSFileSystem | None = self.fs
        return fs

    @property
    def branches(self) -> dict[tuple[str, str], Branch]:
        """The ephemeral branch of each ``(repository, branch)`` written so far."""
        return {key: tx.branch for key, tx in self.transactions.items()}

    def branch_for(self, repository_id: str, branch_id: str) -> Branch:
        """The ephemeral branch that writes to ``branch_id`` go to (started on first use)."""
        key = (repository_id, branch_id)
        if key not in self.transactions:
            fs = self._fs
            assert fs is not None, "the transaction has ended"
            source = fs._check_branch(repository_id, branch_id)
            tx = source.transaction(self.message, metadata=self.metadata, txn_id=self.txn_id)
            with fs._errors(f"{repository_id}/{branch_id}"):
                tx.__enter__()
            self.transactions[key] = tx
        return self.transactions[key].branch

    def start(self) -> None:
        """Begin: no branch is created until something is written."""
        super().start()
        self.transactions = {}

    def complete(self, commit: bool = True) -> None:
        """Merge every ephemeral branch (``commit``), or keep them all and merge nothing."""
        self._finish(None if commit else RuntimeError("the transaction was discarded"))

    def _finish(self, error: BaseException | None) -> None:
        fs: LakeFSFileSystem | None = self._fs
        first: BaseException | None = None
        try:
            for (repo, branch), tx in self.transactions.items():
                try:
                    if error is None:
                        tx.__exit__(None, None, None)
                    else:
                        tx.__exit__(type(error), error, error.__traceback__)
                except BaseException as exc:
                    first = first or exc
                finally:
                    if fs is not None:
                        fs.invalidate_cache(f"{repo}/{branch}")
            self.files.clear()
        finally:
            self.transactions = {}
            if fs is not None:
                fs._intrans = False
                fs._transaction = None
            self.fs = None
        if first is not None:
            raise first

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish(exc)
